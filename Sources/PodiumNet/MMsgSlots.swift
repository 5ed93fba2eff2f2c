import Glibc

/// The memory behind a `recvmmsg`/`sendmmsg` batch, allocated and wired once: per datagram a data
/// slot (64-byte aligned, so each datagram starts on its own cache line), an `iovec` over it, a
/// `sockaddr_storage` for the peer's address, and the `mmsghdr` pointing at both. `ReceiveBatch`
/// and `SendBatch` each hold one; the owner calls `deallocate()` in its `deinit`.
@usableFromInline
struct MMsgSlots {
    @usableFromInline let capacity: Int
    @usableFromInline let slotSize: Int
    @usableFromInline let slotStride: Int
    @usableFromInline let buffers: UnsafeMutableRawPointer
    /// `capacity` × `struct mmsghdr` (see `MMsgLayout`).
    @usableFromInline let messages: UnsafeMutableRawPointer
    @usableFromInline let names: UnsafeMutablePointer<sockaddr_storage>
    @usableFromInline let iovecs: UnsafeMutablePointer<iovec>

    /// - Parameters:
    ///   - iovLength: each `iov_len` to start with (the slot size to receive, 0 to send).
    ///   - nameLength: each `msg_namelen` to start with (the storage size to receive, 0 to send).
    init(capacity: Int, slotSize: Int, iovLength: Int, nameLength: socklen_t) {
        self.capacity = capacity
        self.slotSize = slotSize
        slotStride = (slotSize + 63) & ~63
        buffers = .allocate(byteCount: capacity * slotStride, alignment: 64)
        buffers.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * slotStride)
        messages = .allocate(byteCount: capacity * MMsgLayout.stride, alignment: MemoryLayout<msghdr>.alignment)
        messages.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * MMsgLayout.stride)
        names = .allocate(capacity: capacity)
        names.initialize(repeating: sockaddr_storage(), count: capacity)
        iovecs = .allocate(capacity: capacity)
        for slot in 0..<capacity {
            iovecs[slot] = iovec(iov_base: buffers + slot * slotStride, iov_len: iovLength)
            header(slot).initialize(to: msghdr(
                msg_name: UnsafeMutableRawPointer(names + slot), msg_namelen: nameLength,
                msg_iov: iovecs + slot, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0))
        }
    }

    func deallocate() {
        buffers.deallocate()
        messages.deallocate()
        names.deallocate()
        iovecs.deallocate()
    }

    /// Slot `slot`'s data buffer (`slotSize` bytes).
    @inlinable
    func buffer(_ slot: Int) -> UnsafeMutableRawPointer { buffers + slot * slotStride }

    @inlinable
    func header(_ slot: Int) -> UnsafeMutablePointer<msghdr> {
        (messages + slot * MMsgLayout.stride).assumingMemoryBound(to: msghdr.self)
    }

    /// The kernel's `msg_len` for the slot: bytes received, or bytes accepted for sending.
    @inlinable
    func length(_ slot: Int) -> Int {
        Int(messages.load(fromByteOffset: slot * MMsgLayout.stride + MMsgLayout.lengthOffset, as: UInt32.self))
    }
}
