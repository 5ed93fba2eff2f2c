/// A bounds-checked, big-endian cursor over borrowed bytes. Never copies, never allocates.
///
/// Every read checks the remaining length and throws `ParseError(.truncated)` instead of reading
/// past the end. The buffer must outlive the reader (it is a view over a receive slot).
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    /// Offset of the next unread byte, relative to `bytes.baseAddress`.
    @inlinable public var offset: Int { _offset }
    @usableFromInline var _offset: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self._offset = offset
    }

    @inlinable public var remaining: Int { bytes.count - offset }
    @inlinable public var isAtEnd: Bool { offset >= bytes.count }

    @inlinable
    public func require(_ count: Int, _ detail: StaticString) throws(ParseError) {
        if count < 0 || count > remaining { throw ParseError(.truncated, at: offset, detail) }
    }

    @inlinable
    public mutating func readUInt8(_ detail: StaticString = "byte") throws(ParseError) -> UInt8 {
        try require(1, detail)
        defer { _offset += 1 }
        return bytes[offset]
    }

    @inlinable
    public mutating func readUInt16(_ detail: StaticString = "16-bit field") throws(ParseError) -> UInt16 {
        try require(2, detail)
        defer { _offset += 2 }
        return bytes.loadBigEndianUInt16(at: offset)
    }

    @inlinable
    public mutating func readUInt24(_ detail: StaticString = "24-bit field") throws(ParseError) -> UInt32 {
        try require(3, detail)
        defer { _offset += 3 }
        return bytes.loadBigEndianUInt24(at: offset)
    }

    @inlinable
    public mutating func readUInt32(_ detail: StaticString = "32-bit field") throws(ParseError) -> UInt32 {
        try require(4, detail)
        defer { _offset += 4 }
        return bytes.loadBigEndianUInt32(at: offset)
    }

    @inlinable
    public mutating func readUInt64(_ detail: StaticString = "64-bit field") throws(ParseError) -> UInt64 {
        try require(8, detail)
        defer { _offset += 8 }
        return bytes.loadBigEndianUInt64(at: offset)
    }

    /// Returns a view of the next `count` bytes (no copy) and advances past them.
    @inlinable
    public mutating func readBytes(_ count: Int, _ detail: StaticString = "bytes") throws(ParseError) -> UnsafeRawBufferPointer {
        try require(count, detail)
        defer { _offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    @inlinable
    public mutating func skip(_ count: Int, _ detail: StaticString = "skipped bytes") throws(ParseError) {
        try require(count, detail)
        _offset += count
    }

    @inlinable
    public func peekUInt8(_ detail: StaticString = "byte") throws(ParseError) -> UInt8 {
        try require(1, detail)
        return bytes[offset]
    }
}

/// A bounds-checked, big-endian cursor writing into a caller-owned buffer. Never allocates.
public struct ByteWriter {
    public let bytes: UnsafeMutableRawBufferPointer
    /// Number of bytes written so far (offset of the next byte).
    @inlinable public var offset: Int { _offset }
    @usableFromInline var _offset: Int

    @inlinable
    public init(_ bytes: UnsafeMutableRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self._offset = offset
    }

    @inlinable public var remaining: Int { bytes.count - offset }

    @inlinable
    public func require(_ count: Int) throws(BufferTooSmall) {
        if count > remaining { throw BufferTooSmall(needed: offset + count, available: bytes.count) }
    }

    @inlinable
    public mutating func write(_ v: UInt8) throws(BufferTooSmall) {
        try require(1)
        bytes[offset] = v
        _offset += 1
    }

    @inlinable
    public mutating func write(_ v: UInt16) throws(BufferTooSmall) {
        try require(2)
        bytes.storeBigEndian(v, at: offset)
        _offset += 2
    }

    @inlinable
    public mutating func writeUInt24(_ v: UInt32) throws(BufferTooSmall) {
        try require(3)
        bytes.storeBigEndianUInt24(v, at: offset)
        _offset += 3
    }

    @inlinable
    public mutating func write(_ v: UInt32) throws(BufferTooSmall) {
        try require(4)
        bytes.storeBigEndian(v, at: offset)
        _offset += 4
    }

    @inlinable
    public mutating func write(_ v: UInt64) throws(BufferTooSmall) {
        try require(8)
        bytes.storeBigEndian(v, at: offset)
        _offset += 8
    }

    @inlinable
    public mutating func write(bytes source: UnsafeRawBufferPointer) throws(BufferTooSmall) {
        try require(source.count)
        if source.count > 0 {
            (bytes.baseAddress! + offset).copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        _offset += source.count
    }

    @inlinable
    public mutating func writeZeros(_ count: Int) throws(BufferTooSmall) {
        try require(count)
        if count > 0 { (bytes.baseAddress! + offset).initializeMemory(as: UInt8.self, repeating: 0, count: count) }
        _offset += count
    }

    /// Advances over `count` bytes the caller fills later (e.g. a length field); returns their offset.
    @inlinable
    public mutating func reserve(_ count: Int) throws(BufferTooSmall) -> Int {
        try require(count)
        let at = offset
        _offset += count
        return at
    }
}
