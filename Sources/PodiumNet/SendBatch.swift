import Glibc
import PodiumWire

/// Outgoing datagrams gathered into preallocated slots and sent with one `sendmmsg` per flush
/// (normally once per loop turn, from a turn-end handler).
///
/// Write a datagram straight into its slot — `reserve()`, fill, `commit(length:to:)` — so the
/// sender's single copy (rewrite + SRTP protect in place) is the only one; `enqueue(copying:to:)`
/// is the shortcut for bytes that already exist. Nothing allocates per datagram.
///
/// Error policy (UDP errors are traffic, not failures): nothing is thrown. A full send buffer
/// (`EAGAIN`) or kernel memory shortage (`ENOBUFS`) drops the rest of the batch, because retrying
/// in the same turn would fail again and stall the loop; an error belonging to one datagram
/// (`EHOSTUNREACH`, `EPERM`, `EMSGSIZE`…) skips that datagram and sends the rest. Every drop is
/// counted in the socket's `SocketCounters`.
///
/// Bound to one socket because a destination's `sockaddr` form depends on the socket's family, and
/// because `reserve()` must be able to flush when the batch is full. Confinement: one thread.
public final class SendBatch {
    public let socket: UDPSocket
    /// Slots per batch; `reserve()` flushes when all are taken.
    public let capacity: Int
    /// The largest datagram a slot holds.
    public let slotSize: Int
    /// Datagrams waiting for `flush()`.
    public private(set) var count = 0
    /// True between `reserve()` and `commit`.
    private var isReserved = false

    private let slots: MMsgSlots

    public init(socket: UDPSocket, capacity: Int = 64, slotSize: Int = 2048) {
        precondition(capacity >= 1 && capacity <= 1024, "SendBatch capacity must be 1…1024")
        precondition(slotSize >= 1 && slotSize <= 65536, "SendBatch slotSize must be 1…65536")
        self.socket = socket
        self.capacity = capacity
        self.slotSize = slotSize
        slots = MMsgSlots(capacity: capacity, slotSize: slotSize, iovLength: 0, nameLength: 0)
    }

    deinit {
        slots.deallocate()
    }

    /// The next free slot (`slotSize` bytes) to write one datagram into; flushes first when the
    /// batch is full. Follow with `commit`; a second `reserve` without one reuses the same slot.
    public func reserve() -> UnsafeMutableRawBufferPointer {
        if count == capacity { flush() }
        isReserved = true
        return UnsafeMutableRawBufferPointer(start: slots.buffer(count), count: slotSize)
    }

    /// Queues the reserved slot's first `length` bytes for `destination`.
    public func commit(length: Int, to destination: SocketAddress) {
        precondition(isReserved, "SendBatch.commit without reserve")
        precondition(length >= 0 && length <= slotSize, "SendBatch.commit length exceeds the slot")
        let slot = count
        slots.iovecs[slot].iov_len = length
        slots.header(slot).pointee.msg_namelen = destination.write(to: slots.names + slot, forIPv6Socket: socket.isIPv6)
        isReserved = false
        count = slot + 1
    }

    /// Queues the reserved slot's first `length` bytes for the connected peer (`UDPSocket.connect`).
    public func commit(length: Int) {
        precondition(isReserved, "SendBatch.commit without reserve")
        precondition(length >= 0 && length <= slotSize, "SendBatch.commit length exceeds the slot")
        let slot = count
        slots.iovecs[slot].iov_len = length
        slots.header(slot).pointee.msg_namelen = 0
        isReserved = false
        count = slot + 1
    }

    /// Copies `bytes` into a slot for `destination`. A datagram larger than `slotSize` is not
    /// queued: counted as `sendTooLarge`, returns false.
    @discardableResult
    public func enqueue(copying bytes: UnsafeRawBufferPointer, to destination: SocketAddress) -> Bool {
        guard bytes.count <= slotSize else {
            socket.counters.sendTooLarge &+= 1
            return false
        }
        let slot = reserve()
        if let base = bytes.baseAddress { slot.baseAddress!.copyMemory(from: base, byteCount: bytes.count) }
        commit(length: bytes.count, to: destination)
        return true
    }

    /// Sends every queued datagram (see the error policy above) and empties the batch.
    public func flush() {
        let pending = count
        guard pending > 0 else { return }
        count = 0
        isReserved = false
        let fd = socket.descriptor
        guard fd >= 0 else {
            socket.countSendError(EBADF, datagrams: pending)
            return
        }
        var next = 0
        var retriedRefusal = -1
        var sentDatagrams: UInt64 = 0
        var sentBytes: UInt64 = 0
        var calls: UInt64 = 0
        while next < pending {
            let sent = LinuxCalls.shared.sendmmsg(fd, slots.messages + next * MMsgLayout.stride, UInt32(pending - next), 0)
            calls &+= 1
            if sent > 0 {
                for slot in next..<(next + Int(sent)) { sentBytes &+= UInt64(slots.length(slot)) }
                sentDatagrams &+= UInt64(sent)
                next += Int(sent)
                continue
            }
            // sendmmsg reports an error only when the first datagram of the call fails; the
            // datagrams after it are untouched.
            let code = Glibc.errno
            switch code {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK, ENOBUFS, ENOMEM:
                socket.countSendError(code, datagrams: pending - next)
                next = pending
            case ECONNREFUSED where retriedRefusal != next:
                // Why retry: the refusal is an ICMP error left by an *earlier* datagram (connected
                // socket); reporting it consumed it, and this datagram was never tried.
                socket.countSendError(code, datagrams: 1)
                retriedRefusal = next
            default:
                socket.countSendError(code, datagrams: 1)
                next += 1
            }
        }
        socket.counters.sendCalls &+= calls
        socket.counters.datagramsSent &+= sentDatagrams
        socket.counters.bytesSent &+= sentBytes
    }
}
