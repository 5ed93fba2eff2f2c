/// Bit-level reader and writer for the AV1 syntax notation (AV1 bitstream spec §4.10): `f(n)`
/// (most significant bit first), `ns(n)` (non-symmetric unsigned) and `leb128()`. Used by the OBU
/// header, the frame header peek and the Dependency Descriptor (AV1 RTP spec Appendix A), which
/// share the notation.
///
///     byte 0            byte 1
///     7 6 5 4 3 2 1 0   7 6 5 4 3 2 1 0
///     ^ bit 0 read first
///
/// Never allocates; every read checks the remaining bits and throws `.truncated` with the byte
/// offset of the failing read.
public struct AV1BitReader {
    public let bytes: UnsafeRawBufferPointer
    /// Bits consumed so far.
    public private(set) var bitOffset: Int

    public init(_ bytes: UnsafeRawBufferPointer, bitOffset: Int = 0) {
        self.bytes = bytes
        self.bitOffset = bitOffset
    }

    public var remainingBits: Int { bytes.count &* 8 &- bitOffset }

    /// `f(n)` for `n` in 0...32.
    public mutating func read(_ n: Int, _ detail: StaticString = "bits") throws(ParseError) -> UInt32 {
        precondition(n >= 0 && n <= 32)
        if n > remainingBits { throw ParseError(.truncated, at: bitOffset >> 3, detail) }
        var value: UInt32 = 0
        var left = n
        while left > 0 {
            let byte = UInt32(bytes[bitOffset >> 3])
            let used = bitOffset & 7
            let available = 8 - used
            let take = min(available, left)
            let chunk = (byte >> UInt32(available - take)) & ((1 << UInt32(take)) - 1)
            value = value << UInt32(take) | chunk
            left -= take
            bitOffset += take
        }
        return value
    }

    public mutating func readBit(_ detail: StaticString = "flag") throws(ParseError) -> Bool {
        try read(1, detail) == 1
    }

    /// `ns(n)`: a value in `0..<n` coded with either ⌊log2 n⌋ or ⌊log2 n⌋+1 bits (AV1 §4.10.7).
    public mutating func readNonSymmetric(_ n: UInt32, _ detail: StaticString = "ns(n)") throws(ParseError) -> UInt32 {
        if n <= 1 { return 0 }
        let w = 32 - n.leadingZeroBitCount
        let m = (UInt32(1) << UInt32(w)) - n
        let v = try read(w - 1, detail)
        if v < m { return v }
        let extra = try read(1, detail)
        return (v << 1) - m + extra
    }

    public mutating func skip(_ n: Int, _ detail: StaticString = "bits") throws(ParseError) {
        if n < 0 || n > remainingBits { throw ParseError(.truncated, at: bitOffset >> 3, detail) }
        bitOffset += n
    }
}

/// Writes the same notation MSB first into a caller-owned buffer. With `bytes == nil` it only counts
/// bits, so `encodedSize` and `write(into:)` share one code path.
public struct AV1BitWriter {
    public let bytes: UnsafeMutableRawBufferPointer?
    public private(set) var bitOffset: Int = 0

    public init(_ bytes: UnsafeMutableRawBufferPointer?) {
        self.bytes = bytes
    }

    public var byteCount: Int { (bitOffset + 7) >> 3 }

    public mutating func write(_ value: UInt32, bits n: Int) throws(BufferTooSmall) {
        precondition(n >= 0 && n <= 32)
        guard let bytes else { bitOffset += n; return }
        let needed = (bitOffset + n + 7) >> 3
        if needed > bytes.count { throw BufferTooSmall(needed: needed, available: bytes.count) }
        var left = n
        while left > 0 {
            left -= 1
            let bit = UInt8(truncatingIfNeeded: value >> UInt32(left)) & 1
            let index = bitOffset >> 3
            let shift = 7 - (bitOffset & 7)
            if shift == 7 { bytes[index] = 0 }
            bytes[index] |= bit << UInt8(shift)
            bitOffset += 1
        }
    }

    public mutating func write(bit: Bool) throws(BufferTooSmall) {
        try write(bit ? 1 : 0, bits: 1)
    }

    /// Inverse of `AV1BitReader.readNonSymmetric`; `value` must be below `n`.
    public mutating func writeNonSymmetric(_ value: UInt32, _ n: UInt32) throws(BufferTooSmall) {
        if n <= 1 { return }
        let w = 32 - n.leadingZeroBitCount
        let m = (UInt32(1) << UInt32(w)) - n
        if value < m {
            try write(value, bits: w - 1)
        } else {
            try write(value + m, bits: w)
        }
    }
}

/// `leb128()` (AV1 §4.10.5): little-endian base-128, at most 8 bytes, value below 2^32 as the AV1
/// spec requires for OBU sizes.
public enum LEB128 {
    public static let maxBytes = 8

    /// Reads at `offset`; returns the value and the number of bytes it took.
    public static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(ParseError) -> (value: UInt32, length: Int) {
        var value: UInt64 = 0
        var i = 0
        while true {
            if i == maxBytes { throw ParseError(.malformed, at: offset, "leb128 longer than 8 bytes") }
            if offset + i >= bytes.count { throw ParseError(.truncated, at: offset + i, "leb128") }
            let byte = bytes[offset + i]
            value |= UInt64(byte & 0x7F) << UInt64(7 * i)
            i += 1
            if byte & 0x80 == 0 { break }
        }
        if value > UInt64(UInt32.max) { throw ParseError(.limitExceeded, at: offset, "leb128 value exceeds 2^32-1") }
        return (UInt32(value), i)
    }

    public static func encodedSize(_ value: UInt32) -> Int {
        var v = value >> 7
        var n = 1
        while v != 0 { v >>= 7; n += 1 }
        return n
    }

    /// Writes the shortest encoding at `offset`; returns the number of bytes written.
    public static func write(_ value: UInt32, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) throws(BufferTooSmall) -> Int {
        let n = encodedSize(value)
        if offset < 0 || offset + n > bytes.count { throw BufferTooSmall(needed: offset + n, available: bytes.count) }
        var v = value
        for i in 0..<n {
            bytes[offset + i] = UInt8(v & 0x7F) | (i == n - 1 ? 0 : 0x80)
            v >>= 7
        }
        return n
    }
}
