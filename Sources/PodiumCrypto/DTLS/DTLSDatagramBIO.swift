import COpenSSL

/// The datagram I/O between one `SSL` and its caller: a custom OpenSSL `BIO_METHOD` over two
/// buffers owned here, so DTLS runs without sockets ("sans-IO").
///
/// Why a custom BIO and not a pair of `BIO_s_mem`: a memory BIO is a byte stream, so two records
/// written in a row merge and the datagram boundaries OpenSSL intends are lost (and OpenSSL 3.0 has
/// no `BIO_s_dgram_mem`). Here every `BIO_write` is one DTLS record that OpenSSL already sized to the
/// MTU (`SSL_set_mtu`); consecutive records of one flight are packed into the same datagram while
/// the sum stays ≤ MTU (RFC 6347 §4.1.1 allows several records per datagram), which keeps a flight
/// to few datagrams. Reads hand OpenSSL exactly the one datagram the caller is feeding, then report
/// "retry" so the handshake returns `SSL_ERROR_WANT_READ`.
///
/// Memory: one arena of `slotCapacity × mtu` bytes and a slot table, allocated at init. When the
/// caller does not drain and the arena fills, further records are dropped and counted (as if the
/// network lost them; DTLS retransmits the flight).
final class DTLSDatagramIO {
    let mtu: Int
    let slotCapacity: Int
    private let arena: UnsafeMutableRawBufferPointer
    /// (offset, length) of each queued datagram; datagram i occupies arena[offsets[i]...].
    private let slots: UnsafeMutablePointer<(offset: Int, length: Int)>
    private(set) var queued = 0
    private var used = 0
    /// The last datagram may still take more records until the caller drains it.
    private var lastIsOpen = false

    /// The datagram being fed to OpenSSL, if not yet read.
    var incoming: UnsafeRawBufferPointer?

    private(set) var datagramsOut = 0
    private(set) var bytesOut = 0
    private(set) var droppedOutgoing = 0

    init(mtu: Int, slotCapacity: Int = 16) {
        self.mtu = mtu
        self.slotCapacity = slotCapacity
        arena = .allocate(byteCount: mtu * slotCapacity, alignment: 16)
        slots = .allocate(capacity: slotCapacity)
    }

    deinit {
        arena.deallocate()
        slots.deallocate()
    }

    /// One record from OpenSSL. Returns false when it was dropped (larger than the MTU or no room).
    func enqueue(_ record: UnsafeRawBufferPointer) -> Bool {
        let n = record.count
        guard n > 0 else { return true }
        guard n <= mtu else {
            droppedOutgoing += 1
            return false
        }
        if lastIsOpen, queued > 0, slots[queued - 1].length + n <= mtu, used + n <= arena.count {
            let slot = slots[queued - 1]
            UnsafeMutableRawBufferPointer(rebasing: arena[slot.offset + slot.length ..< slot.offset + slot.length + n])
                .copyMemory(from: record)
            slots[queued - 1].length += n
            used += n
            bytesOut += n
            return true
        }
        guard queued < slotCapacity, used + n <= arena.count else {
            droppedOutgoing += 1
            return false
        }
        UnsafeMutableRawBufferPointer(rebasing: arena[used ..< used + n]).copyMemory(from: record)
        slots[queued] = (used, n)
        queued += 1
        used += n
        lastIsOpen = true
        bytesOut += n
        return true
    }

    /// Ends the current datagram: the next record starts a new one. Why: records written during
    /// different calls belong to different flights or retransmissions; keeping them apart mirrors
    /// what a socket BIO would send.
    func closeDatagram() { lastIsOpen = false }

    /// Yields every queued datagram once, oldest first, and empties the queue.
    func drain(_ body: (UnsafeRawBufferPointer) -> Void) {
        for i in 0..<queued {
            let slot = slots[i]
            body(UnsafeRawBufferPointer(rebasing: arena[slot.offset ..< slot.offset + slot.length]))
        }
        datagramsOut += queued
        queued = 0
        used = 0
        lastIsOpen = false
    }

    // MARK: - BIO glue

    /// A BIO over this object (unretained: the owner keeps `self` alive longer than the `SSL`).
    func makeBIO() -> OpaquePointer? {
        guard let method = DTLSDatagramBIOMethod.method, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    fileprivate static func from(_ bio: OpaquePointer?) -> DTLSDatagramIO? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<DTLSDatagramIO>.fromOpaque(data).takeUnretainedValue()
    }
}

/// The process-wide `BIO_METHOD` (created once; immutable afterwards, so shared by all threads).
enum DTLSDatagramBIOMethod {
    nonisolated(unsafe) static let method: OpaquePointer? = {
        let type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK
        guard let method = BIO_meth_new(type, "podium-dtls-datagram") else { return nil }
        _ = BIO_meth_set_write(method, dtlsBIOWrite)
        _ = BIO_meth_set_read(method, dtlsBIORead)
        _ = BIO_meth_set_ctrl(method, dtlsBIOCtrl)
        _ = BIO_meth_set_create(method, { _ in 1 })
        _ = BIO_meth_set_destroy(method, { bio in
            // Why: the DTLSDatagramIO is owned by the session, not the BIO.
            BIO_set_data(bio, nil)
            BIO_set_init(bio, 0)
            return 1
        })
        return method
    }()
}

private func dtlsBIOWrite(_ bio: OpaquePointer?, _ data: UnsafePointer<CChar>?, _ length: Int32) -> Int32 {
    podium_BIO_clear_retry_flags(bio)
    guard let io = DTLSDatagramIO.from(bio), let data, length > 0 else { return length == 0 ? 0 : -1 }
    // A record we cannot queue is reported as sent: like UDP loss, retransmission recovers it.
    _ = io.enqueue(UnsafeRawBufferPointer(start: data, count: Int(length)))
    return length
}

private func dtlsBIORead(_ bio: OpaquePointer?, _ out: UnsafeMutablePointer<CChar>?, _ capacity: Int32) -> Int32 {
    podium_BIO_clear_retry_flags(bio)
    guard let io = DTLSDatagramIO.from(bio), let out, capacity > 0 else { return -1 }
    guard let datagram = io.incoming else {
        podium_BIO_set_retry_read(bio)
        return -1
    }
    io.incoming = nil
    // Why truncate: OpenSSL's read buffer exceeds any valid DTLS datagram; a longer one is garbage
    // and its truncated records fail the length check and are dropped.
    let n = min(Int(capacity), datagram.count)
    if n > 0 { UnsafeMutableRawPointer(out).copyMemory(from: datagram.baseAddress!, byteCount: n) }
    return Int32(n)
}

private func dtlsBIOCtrl(_ bio: OpaquePointer?, _ cmd: Int32, _ larg: Int, _ parg: UnsafeMutableRawPointer?) -> Int {
    guard let io = DTLSDatagramIO.from(bio) else { return 0 }
    switch cmd {
    case BIO_CTRL_FLUSH: return 1
    case BIO_CTRL_PENDING: return io.incoming?.count ?? 0
    case BIO_CTRL_WPENDING: return 0
    case BIO_CTRL_DGRAM_QUERY_MTU, BIO_CTRL_DGRAM_GET_FALLBACK_MTU: return io.mtu
    // The MTU we are given is the UDP payload size: no IP/UDP header to subtract.
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 0
    case BIO_CTRL_DGRAM_SET_MTU: return larg
    case BIO_CTRL_DGRAM_MTU_EXCEEDED: return 0
    default: return 0
    }
}
