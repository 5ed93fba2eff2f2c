#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A sequential byte source for the container readers: an in-memory copy of a file, or an open file
/// read through a 64 KiB window with `pread`, so a long recording is never loaded whole.
///
/// Not thread-safe: one reader owns it.
public final class MediaInput {
    private enum Storage {
        case memory([UInt8])
        case file(Int32)
    }

    private let storage: Storage
    /// Total size in bytes (the file size when opened).
    public let length: Int64
    /// Offset of the next unread byte.
    public private(set) var position: Int64 = 0

    // File window: bytes [windowStart, windowStart + windowCount) of the file.
    private var window: [UInt8]
    private var windowStart: Int64 = 0
    private var windowCount = 0
    private static let windowSize = 64 << 10

    /// Reads from a copy of `bytes`.
    public init(bytes: [UInt8]) {
        storage = .memory(bytes)
        length = Int64(bytes.count)
        window = []
    }

    /// Reads from a copy of `bytes`.
    public convenience init(bytes: UnsafeRawBufferPointer) {
        self.init(bytes: Array(bytes))
    }

    /// Opens `path` for reading.
    public init(path: String) throws(ContainerError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ContainerError(.io, at: Int64(errno), "cannot open \(path) for reading") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw ContainerError(.io, at: Int64(e), "cannot stat \(path)")
        }
        storage = .file(fd)
        length = Int64(st.st_size)
        window = [UInt8](repeating: 0, count: Self.windowSize)
    }

    deinit {
        if case .file(let fd) = storage { close(fd) }
    }

    public var remaining: Int64 { length - position }
    public var isAtEnd: Bool { position >= length }

    /// Checks that `count` more bytes exist.
    @inline(__always)
    public func require(_ count: Int64, _ detail: @autoclosure () -> String) throws(ContainerError) {
        if count < 0 || count > remaining { throw ContainerError(.truncated, at: position, detail()) }
    }

    /// Moves to an absolute offset (within the input).
    public func seek(to offset: Int64) throws(ContainerError) {
        guard offset >= 0, offset <= length else { throw ContainerError(.truncated, at: offset, "seek beyond the end of the input") }
        position = offset
    }

    public func skip(_ count: Int64, _ detail: @autoclosure () -> String) throws(ContainerError) {
        try require(count, detail())
        position += count
    }

    /// Copies the next `target.count` bytes into `target` and advances.
    public func read(into target: UnsafeMutableRawBufferPointer, _ detail: @autoclosure () -> String) throws(ContainerError) {
        let n = target.count
        try require(Int64(n), detail())
        if n == 0 { return }
        switch storage {
        case .memory(let bytes):
            bytes.withUnsafeBytes { src in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[Int(position)..<Int(position) + n]))
            }
        case .file(let fd):
            if n >= Self.windowSize / 2 {
                try preadFully(fd, target, at: position)
            } else {
                if position < windowStart || position + Int64(n) > windowStart + Int64(windowCount) {
                    try fillWindow(fd)
                }
                let from = Int(position - windowStart)
                window.withUnsafeBytes { w in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: w[from..<from + n]))
                }
            }
        }
        position += Int64(n)
    }

    /// The next `count` bytes as a new array (bounded by `ContainerLimits.maximumFrameSize` by the
    /// callers before they ask).
    public func readBytes(_ count: Int, _ detail: @autoclosure () -> String) throws(ContainerError) -> [UInt8] {
        try require(Int64(count), detail())
        var out = [UInt8](repeating: 0, count: count)
        var failure: ContainerError?
        out.withUnsafeMutableBytes { b in
            do throws(ContainerError) { try read(into: b, detail()) } catch { failure = error }
        }
        if let failure { throw failure }
        return out
    }

    public func readUInt8(_ detail: @autoclosure () -> String) throws(ContainerError) -> UInt8 {
        var b: UInt8 = 0
        try withUnsafeMutableBytes(of: &b) { p throws(ContainerError) in try read(into: p, detail()) }
        return b
    }

    /// Little-endian unsigned integer of `size` bytes (IVF, Ogg).
    public func readLittleEndian(_ size: Int, _ detail: @autoclosure () -> String) throws(ContainerError) -> UInt64 {
        var raw: UInt64 = 0
        try withUnsafeMutableBytes(of: &raw) { p throws(ContainerError) in
            try read(into: UnsafeMutableRawBufferPointer(rebasing: p[0..<size]), detail())
        }
        return UInt64(littleEndian: raw)
    }

    private func fillWindow(_ fd: Int32) throws(ContainerError) {
        let count = Int(min(Int64(Self.windowSize), length - position))
        var failure: ContainerError?
        window.withUnsafeMutableBytes { w in
            do throws(ContainerError) {
                try preadFully(fd, UnsafeMutableRawBufferPointer(rebasing: w[0..<count]), at: position)
            } catch { failure = error }
        }
        if let failure { windowCount = 0; throw failure }
        windowStart = position
        windowCount = count
    }

    private func preadFully(_ fd: Int32, _ target: UnsafeMutableRawBufferPointer, at offset: Int64) throws(ContainerError) {
        var done = 0
        while done < target.count {
            let r = pread(fd, target.baseAddress! + done, target.count - done, off_t(offset + Int64(done)))
            if r < 0 {
                if errno == EINTR { continue }
                throw ContainerError(.io, at: Int64(errno), "read failed at byte \(offset + Int64(done))")
            }
            if r == 0 { throw ContainerError(.truncated, at: offset + Int64(done), "file shrank while reading") }
            done += r
        }
    }
}

private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }

/// A byte sink for the container writers: a growing in-memory buffer, or a file written through a
/// 64 KiB buffer. Writers append, and patch a few header bytes at `finish()` (`overwrite`), so a
/// file is never held in memory.
///
/// Not thread-safe: one writer owns it.
public final class MediaOutput {
    private enum Storage {
        case memory
        case file(Int32)
    }

    private var storage: Storage
    private var closed = false
    /// The in-memory output (empty for a file output).
    public private(set) var bytes: [UInt8] = []
    /// Bytes written so far (the offset of the next byte).
    public private(set) var position: Int64 = 0
    private var pending: [UInt8] = []
    private var flushedCount: Int64 = 0
    private static let bufferSize = 64 << 10

    /// Writes into memory; read the result from `bytes`.
    public init() {
        storage = .memory
    }

    /// Creates (or truncates) `path`.
    public init(path: String) throws(ContainerError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ContainerError(.io, at: Int64(errno), "cannot create \(path)") }
        storage = .file(fd)
        pending.reserveCapacity(Self.bufferSize)
    }

    deinit {
        if case .file(let fd) = storage {
            try? flush()
            _ = closeDescriptor(fd)
        }
    }

    public func write(_ source: UnsafeRawBufferPointer) throws(ContainerError) {
        guard !closed else { throw ContainerError(.invalidArgument, at: position, "write after close") }
        switch storage {
        case .memory:
            bytes.append(contentsOf: source)
        case .file:
            if pending.count + source.count > Self.bufferSize { try flush() }
            if source.count >= Self.bufferSize {
                try writeFully(source, at: flushedCount)
                flushedCount += Int64(source.count)
            } else {
                pending.append(contentsOf: source)
            }
        }
        position += Int64(source.count)
    }

    public func write(_ source: [UInt8]) throws(ContainerError) {
        var failure: ContainerError?
        source.withUnsafeBytes { b in
            do throws(ContainerError) { try write(b) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Replaces already written bytes at `offset` (header fix-ups at finish).
    public func overwrite(at offset: Int64, with source: [UInt8]) throws(ContainerError) {
        guard !closed else { throw ContainerError(.invalidArgument, at: offset, "overwrite after close") }
        guard offset >= 0, offset + Int64(source.count) <= position else {
            throw ContainerError(.invalidArgument, at: offset, "overwrite beyond the written bytes")
        }
        switch storage {
        case .memory:
            bytes.replaceSubrange(Int(offset)..<Int(offset) + source.count, with: source)
        case .file:
            try flush()
            var failure: ContainerError?
            source.withUnsafeBytes { b in
                do throws(ContainerError) { try writeFully(b, at: offset) } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }

    /// Writes buffered bytes to the file.
    public func flush() throws(ContainerError) {
        guard case .file = storage, !pending.isEmpty else { return }
        var failure: ContainerError?
        pending.withUnsafeBytes { b in
            do throws(ContainerError) { try writeFully(b, at: flushedCount) } catch { failure = error }
        }
        if let failure { throw failure }
        flushedCount += Int64(pending.count)
        pending.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes the file (idempotent; a memory output keeps its bytes).
    public func close() throws(ContainerError) {
        guard case .file(let fd) = storage else { return }
        try flush()
        storage = .memory
        closed = true
        if closeDescriptor(fd) != 0 { throw ContainerError(.io, at: Int64(errno), "close failed") }
    }

    private func writeFully(_ source: UnsafeRawBufferPointer, at offset: Int64) throws(ContainerError) {
        guard case .file(let fd) = storage else { return }
        var done = 0
        while done < source.count {
            let r = pwrite(fd, source.baseAddress! + done, source.count - done, off_t(offset + Int64(done)))
            if r < 0 {
                if errno == EINTR { continue }
                throw ContainerError(.io, at: Int64(errno), "write failed at byte \(offset + Int64(done))")
            }
            done += r
        }
    }
}
