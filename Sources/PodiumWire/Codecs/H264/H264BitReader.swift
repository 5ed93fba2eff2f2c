/// A bit reader over the RBSP of an H.264 NAL unit (ITU-T H.264 §7.2, §7.3.1), with fixed-length
/// `u(n)` and Exp-Golomb `ue(v)`/`se(v)` reads (§9.1).
///
///     NAL unit bytes:   ... 00 00 03 01 ...      (emulation_prevention_three_byte, §7.4.1)
///     RBSP seen here:   ... 00 00 01 ...
///
/// Emulation-prevention bytes are skipped on the fly while reading, so nothing is copied or
/// allocated. Offsets in errors are byte offsets into the buffer given to `init`.
public struct H264BitReader {
    public let bytes: UnsafeRawBufferPointer
    /// Offset of the next byte to load.
    private var next: Int
    /// Consecutive zero bytes just loaded (for emulation prevention).
    private var zeros: Int
    /// The loaded byte, its unread bits at the top.
    private var current: UInt8
    private var bitsLeft: Int

    /// Reads from `offset` (e.g. 1 to skip the NAL unit header byte).
    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.next = offset
        self.zeros = 0
        self.current = 0
        self.bitsLeft = 0
    }

    /// Byte offset of the next unread byte in `bytes`.
    public var byteOffset: Int { next }

    private mutating func load() throws(ParseError) {
        guard next < bytes.count else { throw ParseError(.truncated, at: next, "H.264 RBSP bits") }
        var b = bytes[next]
        if zeros >= 2 && b == 0x03 {
            next += 1
            zeros = 0
            guard next < bytes.count else { throw ParseError(.truncated, at: next, "H.264 RBSP after emulation prevention") }
            b = bytes[next]
        }
        zeros = b == 0 ? zeros + 1 : 0
        next += 1
        current = b
        bitsLeft = 8
    }

    public mutating func readBit() throws(ParseError) -> UInt32 {
        if bitsLeft == 0 { try load() }
        bitsLeft -= 1
        return UInt32(current >> UInt8(bitsLeft)) & 1
    }

    public mutating func readFlag() throws(ParseError) -> Bool { try readBit() == 1 }

    /// `u(n)`, 0 ≤ n ≤ 32.
    public mutating func readBits(_ n: Int) throws(ParseError) -> UInt32 {
        precondition(n >= 0 && n <= 32)
        var v: UInt32 = 0
        var n = n
        while n > 0 {
            if bitsLeft == 0 { try load() }
            let take = min(n, bitsLeft)
            let chunk = UInt32(current >> UInt8(bitsLeft - take)) & ((1 << UInt32(take)) - 1)
            v = v << UInt32(take) | chunk
            bitsLeft -= take
            n -= take
        }
        return v
    }

    /// `ue(v)`: unsigned Exp-Golomb, up to 2^32 - 2.
    public mutating func readUE() throws(ParseError) -> UInt32 {
        var leadingZeros = 0
        while try readBit() == 0 {
            leadingZeros += 1
            if leadingZeros > 31 { throw ParseError(.malformed, at: next, "H.264 Exp-Golomb code longer than 32 bits") }
        }
        if leadingZeros == 0 { return 0 }
        let suffix = try readBits(leadingZeros)
        return UInt32((UInt64(1) << UInt64(leadingZeros)) - 1 + UInt64(suffix))
    }

    /// `se(v)`: signed Exp-Golomb.
    public mutating func readSE() throws(ParseError) -> Int32 {
        let k = UInt64(try readUE())
        return k & 1 == 1 ? Int32(truncatingIfNeeded: (k + 1) / 2) : -Int32(truncatingIfNeeded: k / 2)
    }

    /// `ue(v)` that must be ≤ `limit`, else `.malformed` naming `detail`.
    public mutating func readUE(max limit: UInt32, _ detail: StaticString) throws(ParseError) -> UInt32 {
        let at = next
        let v = try readUE()
        if v > limit { throw ParseError(.malformed, at: at, detail) }
        return v
    }
}
