/// MAPPED-ADDRESS and XOR-MAPPED-ADDRESS values (RFC 8489 §14.1, §14.2).
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |0 0 0 0 0 0 0 0|    Family     |         Port (X-Port)         |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                                                               |
///     |           Address (X-Address): 32 bits or 128 bits            |
///     |                                                               |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// Family 0x01 = IPv4 (value 8 bytes), 0x02 = IPv6 (value 20 bytes). In the XOR form the port is
/// XORed with the top 16 bits of the magic cookie, an IPv4 address with the cookie, an IPv6 address
/// with the cookie followed by the 96-bit transaction ID.

/// An IP address and UDP port, stored inline (no allocation): IPv4 as a `UInt32`, IPv6 as two
/// `UInt64` halves, both in host order of their big-endian wire value.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public enum IP: Hashable, Sendable {
        /// The address as a number: 192.0.2.1 is 0xC000_0201.
        case v4(UInt32)
        /// Bytes 0–7 and 8–15 of the address: 2001:db8:: is (0x2001_0db8_0000_0000, 0).
        case v6(high: UInt64, low: UInt64)
    }

    public var ip: IP
    public var port: UInt16

    @inlinable
    public init(ip: IP, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    @inlinable
    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) {
        self.init(ip: .v4(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)), port: port)
    }

    /// IPv6 from its eight 16-bit groups, as written in text.
    @inlinable
    public init(ipv6 g0: UInt16, _ g1: UInt16, _ g2: UInt16, _ g3: UInt16,
                _ g4: UInt16, _ g5: UInt16, _ g6: UInt16, _ g7: UInt16, port: UInt16) {
        let hi = UInt64(g0) << 48 | UInt64(g1) << 32 | UInt64(g2) << 16 | UInt64(g3)
        let lo = UInt64(g4) << 48 | UInt64(g5) << 32 | UInt64(g6) << 16 | UInt64(g7)
        self.init(ip: .v6(high: hi, low: lo), port: port)
    }

    /// The attribute value size: 8 for IPv4, 20 for IPv6.
    @inlinable
    public var encodedSize: Int {
        switch ip {
        case .v4: 8
        case .v6: 20
        }
    }

    /// Decodes a (XOR-)MAPPED-ADDRESS value. `transactionID` non-nil means the XOR form.
    /// `offset` is only used to locate errors.
    @inlinable
    init(parsing value: UnsafeRawBufferPointer, xorWith transactionID: STUNTransactionID?, offset: Int) throws(ParseError) {
        guard value.count >= 4 else { throw ParseError(.malformed, at: offset, "address attribute shorter than 4 bytes") }
        var port = value.loadBigEndianUInt16(at: 2)
        if transactionID != nil { port ^= UInt16(truncatingIfNeeded: STUNMessage.magicCookie >> 16) }
        switch value[1] {
        case 0x01:
            guard value.count == 8 else { throw ParseError(.malformed, at: offset, "IPv4 address attribute length not 8") }
            var a = value.loadBigEndianUInt32(at: 4)
            if transactionID != nil { a ^= STUNMessage.magicCookie }
            self.init(ip: .v4(a), port: port)
        case 0x02:
            guard value.count == 20 else { throw ParseError(.malformed, at: offset, "IPv6 address attribute length not 20") }
            var hi = value.loadBigEndianUInt64(at: 4)
            var lo = value.loadBigEndianUInt64(at: 12)
            if let t = transactionID {
                hi ^= UInt64(STUNMessage.magicCookie) << 32 | UInt64(t.high)
                lo ^= t.low
            }
            self.init(ip: .v6(high: hi, low: lo), port: port)
        default:
            throw ParseError(.unsupported, at: offset + 1, "address family not IPv4 or IPv6")
        }
    }

    /// Writes the attribute value (without the attribute header) at `offset`; the caller checked room.
    @inlinable
    func store(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, xorWith transactionID: STUNTransactionID?) {
        buffer[offset] = 0
        let xorPort = transactionID != nil ? UInt16(truncatingIfNeeded: STUNMessage.magicCookie >> 16) : 0
        buffer.storeBigEndian(port ^ xorPort, at: offset + 2)
        switch ip {
        case .v4(let a):
            buffer[offset + 1] = 0x01
            buffer.storeBigEndian(transactionID != nil ? a ^ STUNMessage.magicCookie : a, at: offset + 4)
        case .v6(let hi, let lo):
            buffer[offset + 1] = 0x02
            if let t = transactionID {
                buffer.storeBigEndian(hi ^ (UInt64(STUNMessage.magicCookie) << 32 | UInt64(t.high)), at: offset + 4)
                buffer.storeBigEndian(lo ^ t.low, at: offset + 12)
            } else {
                buffer.storeBigEndian(hi, at: offset + 4)
                buffer.storeBigEndian(lo, at: offset + 12)
            }
        }
    }

    /// `192.0.2.1:32853` or `[2001:db8::1]:32853` (RFC 5952 form).
    public var description: String {
        switch ip {
        case .v4(let a):
            return "\(a >> 24).\(a >> 16 & 0xFF).\(a >> 8 & 0xFF).\(a & 0xFF):\(port)"
        case .v6(let hi, let lo):
            let groups = (0..<8).map { i in UInt16(truncatingIfNeeded: (i < 4 ? hi : lo) >> (48 - 16 * UInt64(i % 4))) }
            // Why: RFC 5952 §4.2 — the longest run (≥ 2) of zero groups, the first one on a tie, becomes "::".
            var best = (start: -1, count: 0)
            var i = 0
            while i < 8 {
                if groups[i] == 0 {
                    var j = i
                    while j < 8 && groups[j] == 0 { j += 1 }
                    if j - i > best.count && j - i >= 2 { best = (i, j - i) }
                    i = j
                } else {
                    i += 1
                }
            }
            func hex(_ r: Range<Int>) -> String { r.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
            let text = best.start < 0 ? hex(0..<8) : hex(0..<best.start) + "::" + hex(best.start + best.count..<8)
            return "[\(text)]:\(port)"
        }
    }
}
