/// RTCP common header (RFC 3550 §6.4.1, RFC 4585 §6.1).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P| count/FMT |      PT       |   length (32-bit words − 1)   |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// With P set, the last byte of the packet counts the padding bytes (including itself).
public struct RTCPHeader: Sendable, Equatable, CustomStringConvertible {
    public static let size = 4
    /// The largest packet the 16-bit length field can describe.
    public static let maxPacketSize = 65536 * 4

    public var padding: Bool
    /// RC / SC / FMT: the 5-bit field after P.
    public var count: UInt8
    public var packetType: UInt8
    /// Packet length in 32-bit words minus one, as on the wire.
    public var length: UInt16

    public init(padding: Bool = false, count: UInt8, packetType: UInt8, length: UInt16) {
        precondition(count < 32, "RTCP count/FMT is 5 bits")
        self.padding = padding
        self.count = count
        self.packetType = packetType
        self.length = length
    }

    /// Size in bytes of the whole packet, header and padding included.
    @inlinable public var packetSize: Int { (Int(length) + 1) * 4 }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        guard bytes.count >= 4 else { throw ParseError(.truncated, at: 0, "RTCP header") }
        let b0 = bytes[0]
        guard b0 >> 6 == 2 else { throw ParseError(.malformed, at: 0, "RTCP version is not 2") }
        padding = b0 & 0x20 != 0
        count = b0 & 0x1F
        packetType = bytes[1]
        length = bytes.loadBigEndianUInt16(at: 2)
    }

    public var encodedSize: Int { 4 }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        try w.write(0x80 | (padding ? 0x20 : 0) | count & 0x1F)
        try w.write(packetType)
        try w.write(length)
    }

    public var description: String {
        "RTCP(pt=\(packetType) count=\(count) length=\(length)\(padding ? " padded" : ""))"
    }
}

/// RTCP packet type values (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611 §2).
public enum RTCPPacketType {
    public static let senderReport: UInt8 = 200
    public static let receiverReport: UInt8 = 201
    public static let sdes: UInt8 = 202
    public static let bye: UInt8 = 203
    public static let app: UInt8 = 204
    /// Transport-layer feedback (RFC 4585).
    public static let rtpfb: UInt8 = 205
    /// Payload-specific feedback (RFC 4585).
    public static let psfb: UInt8 = 206
    public static let extendedReport: UInt8 = 207
}

/// Feedback message types (FMT) inside RTPFB and PSFB packets.
public enum RTCPFeedbackFormat {
    /// RTPFB: generic NACK (RFC 4585 §6.2.1).
    public static let genericNACK: UInt8 = 1
    /// RTPFB: transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
    public static let transportCC: UInt8 = 15
    /// PSFB: picture loss indication (RFC 4585 §6.3.1).
    public static let pli: UInt8 = 1
    /// PSFB: full intra request (RFC 5104 §4.3.1).
    public static let fir: UInt8 = 4
    /// PSFB: application layer feedback (RFC 4585 §6.4), REMB when its identifier is "REMB".
    public static let applicationLayer: UInt8 = 15
}

/// One RTCP packet located inside a datagram: its header, and its body without header or padding.
struct RTCPFrame {
    let header: RTCPHeader
    /// The packet's bytes: header, body and padding.
    let packet: UnsafeRawBufferPointer
    /// The bytes after the 4-byte header, without padding.
    let body: UnsafeRawBufferPointer
    /// Offset of `body` within `packet`.
    static let bodyOffset = 4

    /// Frames the packet at the start of `bytes` (which may hold further packets).
    init(at offset: Int, in bytes: UnsafeRawBufferPointer) throws(ParseError) {
        let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
        let header: RTCPHeader
        do { header = try RTCPHeader(parsing: rest) } catch { throw ParseError(error.kind, at: offset + error.offset, error.detail) }
        let size = header.packetSize
        guard size <= rest.count else { throw ParseError(.truncated, at: offset + 2, "RTCP length points past the end") }
        var bodyEnd = size
        if header.padding {
            let pad = Int(rest[size - 1])
            guard pad > 0 else { throw ParseError(.malformed, at: offset + size - 1, "RTCP padding count is zero") }
            guard pad <= size - 4 else { throw ParseError(.malformed, at: offset + size - 1, "RTCP padding bigger than the packet") }
            bodyEnd = size - pad
        }
        self.header = header
        self.packet = UnsafeRawBufferPointer(rebasing: rest[0..<size])
        self.body = UnsafeRawBufferPointer(rebasing: rest[4..<bodyEnd])
    }

    /// Frames a buffer that must hold exactly one packet of type `packetType`.
    init(single bytes: UnsafeRawBufferPointer, packetType: UInt8) throws(ParseError) {
        try self.init(at: 0, in: bytes)
        guard header.packetType == packetType else { throw ParseError(.malformed, at: 1, "unexpected RTCP packet type") }
        guard packet.count == bytes.count else { throw ParseError(.malformed, at: packet.count, "bytes after the RTCP packet") }
    }
}

extension ByteWriter {
    /// Writes an RTCP header for a packet whose header and body take `unpaddedSize` bytes. When that is
    /// not a multiple of 4 the header gets P set, and `writeRTCPPadding` must end the packet.
    mutating func writeRTCPHeader(count: UInt8, packetType: UInt8, unpaddedSize: Int) throws(BufferTooSmall) {
        let size = rtcpPaddedSize(unpaddedSize)
        precondition(unpaddedSize >= 4 && size <= RTCPHeader.maxPacketSize, "RTCP packet size")
        try require(size)
        try RTCPHeader(padding: size != unpaddedSize, count: count, packetType: packetType, length: UInt16(size / 4 - 1)).write(to: &self)
    }

    /// Ends a packet started by `writeRTCPHeader`: pads to 32 bits (zeros, then the padding count).
    mutating func writeRTCPPadding(unpaddedSize: Int) throws(BufferTooSmall) {
        let pad = rtcpPaddedSize(unpaddedSize) - unpaddedSize
        guard pad > 0 else { return }
        try writeZeros(pad - 1)
        try write(UInt8(pad))
    }
}

/// A packet size rounded up to 32 bits.
/// A wire type that writes itself at a `ByteWriter`'s offset (RTCP packets and their header), so that
/// compound packets are written in one pass; it gets the common `write(into:)` from here.
public protocol RTCPWritable {
    func write(to w: inout ByteWriter) throws(BufferTooSmall)
}

extension RTCPWritable {
    /// Writes the encoding at the start of `buffer`; returns the bytes written.
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try write(to: &w)
        return w.offset
    }
}

@inline(__always) func rtcpPaddedSize(_ size: Int) -> Int { (size + 3) & ~3 }

extension UnsafeRawBufferPointer {
    /// Content equality (the pointers' bytes, not their addresses).
    func sameBytes(as other: UnsafeRawBufferPointer) -> Bool {
        count == other.count && (count == 0 || memcmpBytes(self, other))
    }
    static var emptyBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }
}

@inline(__always)
private func memcmpBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    for i in 0..<a.count where a[i] != b[i] { return false }
    return true
}

/// Hex of a few bytes for descriptions (not used on the packet path).
func rtcpHexPreview(_ bytes: UnsafeRawBufferPointer, limit: Int = 16) -> String {
    let hex = "0123456789abcdef".utf8.map { Character(UnicodeScalar($0)) }
    var s = ""
    for b in bytes.prefix(limit) { s.append(hex[Int(b >> 4)]); s.append(hex[Int(b & 15)]) }
    if bytes.count > limit { s += "…" }
    return s
}

extension RTCPHeader: RTCPWritable {}
