import Glibc
import PodiumWire

/// Up to `capacity` datagrams read by one `recvmmsg` call into preallocated slots.
///
/// Every buffer, `iovec`, `mmsghdr`, `sockaddr_storage` and control buffer is allocated once, in
/// `init`; `receive(on:)` allocates nothing. Slot `i` of the last receive is `bytes(i)` (mutable:
/// SRTP decrypts in place) from `source(i)`. The bytes stay valid until the next `receive`, so a
/// consumer must not keep the pointer after it returns. Datagrams longer than `slotSize` are
/// dropped and counted, never delivered cut short.
///
/// Confinement: one thread (the event loop's). Not `Sendable`.
public final class ReceiveBatch {
    /// Slots per `recvmmsg` call.
    public let capacity: Int
    /// Largest datagram a slot accepts.
    public let slotSize: Int
    /// Datagrams delivered by the last `receive`.
    public private(set) var count = 0
    /// The socket of the last `receive`, for receivers serving several sockets.
    public private(set) var socket: UDPSocket?

    @usableFromInline let slots: MMsgSlots
    let controls: UnsafeMutableRawPointer
    /// Delivered index → slot, so dropped (truncated) slots leave no holes.
    @usableFromInline let order: UnsafeMutablePointer<Int32>
    /// Slots the kernel filled in the last call, including dropped ones.
    private(set) var slotsFilled = 0

    /// Room for one `SO_RXQ_OVFL` message (`CMSG_SPACE(4)` = 24) with slack.
    static let controlSize = 32

    /// - Parameters:
    ///   - capacity: slots per call (≥ 1; 32–64 amortizes the system call well).
    ///   - slotSize: the largest datagram accepted; 2048 covers any WebRTC packet on a 1500 MTU.
    public init(capacity: Int = 64, slotSize: Int = 2048) {
        precondition(capacity >= 1 && capacity <= 1024, "ReceiveBatch capacity must be 1…1024")
        precondition(slotSize >= 1 && slotSize <= 65536, "ReceiveBatch slotSize must be 1…65536")
        self.capacity = capacity
        self.slotSize = slotSize
        slots = MMsgSlots(capacity: capacity, slotSize: slotSize, iovLength: slotSize,
                          nameLength: socklen_t(MemoryLayout<sockaddr_storage>.size))
        controls = .allocate(byteCount: capacity * Self.controlSize, alignment: 8)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * Self.controlSize)
        order = .allocate(capacity: capacity)
        order.initialize(repeating: 0, count: capacity)
        for slot in 0..<capacity {
            slots.header(slot).pointee.msg_control = controls + slot * Self.controlSize
            slots.header(slot).pointee.msg_controllen = Self.controlSize
        }
    }

    deinit {
        slots.deallocate()
        controls.deallocate()
        order.deallocate()
    }

    /// Reads what is waiting on `socket` (never blocks) and returns how many datagrams are now in
    /// slots `0..<count`. 0 when nothing is waiting (`EAGAIN`) or every datagram read was dropped;
    /// errors are counted in `socket.counters`, never thrown.
    public func receive(on socket: UDPSocket) -> Int {
        self.socket = socket
        count = 0
        // The kernel overwrote these for the slots it filled last time.
        for slot in 0..<slotsFilled {
            let h = slots.header(slot)
            h.pointee.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            h.pointee.msg_controllen = Self.controlSize
        }
        slotsFilled = 0
        guard socket.descriptor >= 0 else { return 0 }
        var attempts = 0
        var filled: Int32
        while true {
            filled = LinuxCalls.shared.recvmmsg(socket.descriptor, slots.messages, UInt32(capacity), Int32(MSG_DONTWAIT), nil)
            if filled >= 0 { break }
            let code = Glibc.errno
            if code == EAGAIN || code == EWOULDBLOCK { return 0 }
            if code != EINTR { socket.countReceiveError(code) }
            // Why retry: ECONNREFUSED and other ICMP-born errors are consumed by the call that
            // reports them, so datagrams queued behind the error are readable right away.
            attempts += 1
            if attempts == 4 { return 0 }
        }
        slotsFilled = Int(filled)
        var delivered = 0
        var bytes: UInt64 = 0
        var truncated: UInt64 = 0
        for slot in 0..<slotsFilled {
            if slots.header(slot).pointee.msg_flags & Int32(MSG_TRUNC) != 0 {
                truncated &+= 1
                continue
            }
            order[delivered] = Int32(slot)
            delivered &+= 1
            bytes &+= UInt64(slots.length(slot))
        }
        count = delivered
        socket.counters.receiveCalls &+= 1
        socket.counters.datagramsReceived &+= UInt64(delivered)
        socket.counters.bytesReceived &+= bytes
        socket.counters.receiveTruncated &+= truncated
        // Why only the last slot: the SO_RXQ_OVFL figure is cumulative and the queue is FIFO, so
        // the newest datagram carries the largest value.
        if slotsFilled > 0, let drops = kernelDrops(slot: slotsFilled - 1) {
            socket.counters.receiveKernelDrops = UInt64(drops)
        }
        return delivered
    }

    /// The bytes of delivered datagram `i` (`0..<count`), writable in place; valid until the next
    /// `receive`.
    @inlinable
    public func bytes(_ i: Int) -> UnsafeMutableRawBufferPointer {
        precondition(i >= 0 && i < count, "ReceiveBatch index out of range")
        let slot = Int(order[i])
        return UnsafeMutableRawBufferPointer(start: slots.buffer(slot), count: slots.length(slot))
    }

    /// The sender of delivered datagram `i`. IPv4-mapped IPv6 sources come back as IPv4.
    @inlinable
    public func source(_ i: Int) -> SocketAddress {
        precondition(i >= 0 && i < count, "ReceiveBatch index out of range")
        let slot = Int(order[i])
        let length = Int(slots.header(slot).pointee.msg_namelen)
        return SocketAddress(sockaddr: UnsafeRawPointer(slots.names + slot), length: length) ?? .unspecifiedIPv4
    }

    /// True when the last call filled every slot, so more may be waiting.
    var mayHaveMore: Bool { slotsFilled == capacity }

    /// The `SO_RXQ_OVFL` value in the slot's control data, if present.
    private func kernelDrops(slot: Int) -> UInt32? {
        let h = slots.header(slot).pointee
        guard let control = h.msg_control else { return nil }
        let headerSize = MemoryLayout<cmsghdr>.size
        var offset = 0
        // Walk the cmsgs (CMSG_NXTHDR by hand: Swift does not import the macros).
        while offset + headerSize <= h.msg_controllen {
            let message = (control + offset).assumingMemoryBound(to: cmsghdr.self).pointee
            guard message.cmsg_len >= headerSize, offset + message.cmsg_len <= h.msg_controllen else { return nil }
            if message.cmsg_level == SOL_SOCKET && message.cmsg_type == SO_RXQ_OVFL && message.cmsg_len >= headerSize + 4 {
                return control.loadUnaligned(fromByteOffset: offset + headerSize, as: UInt32.self)
            }
            offset += (message.cmsg_len + 7) & ~7
        }
        return nil
    }
}
