// Unchecked big-endian loads and stores at byte offsets. Callers check bounds first (ByteReader does);
// these exist so validated hot-path code can read fields without re-checking.

extension UnsafeRawBufferPointer {
    @inlinable @inline(__always)
    public func loadBigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inlinable @inline(__always)
    public func loadBigEndianUInt24(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 16 | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2])
    }
    @inlinable @inline(__always)
    public func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inlinable @inline(__always)
    public func loadBigEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inlinable @inline(__always)
    public func loadBigEndianUInt16(at offset: Int) -> UInt16 { UnsafeRawBufferPointer(self).loadBigEndianUInt16(at: offset) }
    @inlinable @inline(__always)
    public func loadBigEndianUInt32(at offset: Int) -> UInt32 { UnsafeRawBufferPointer(self).loadBigEndianUInt32(at: offset) }

    @inlinable @inline(__always)
    public func storeBigEndian(_ v: UInt16, at offset: Int) { storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self) }
    @inlinable @inline(__always)
    public func storeBigEndian(_ v: UInt32, at offset: Int) { storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self) }
    @inlinable @inline(__always)
    public func storeBigEndian(_ v: UInt64, at offset: Int) { storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self) }
    @inlinable @inline(__always)
    public func storeBigEndianUInt24(_ v: UInt32, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: v >> 16)
        self[offset + 1] = UInt8(truncatingIfNeeded: v >> 8)
        self[offset + 2] = UInt8(truncatingIfNeeded: v)
    }
}
