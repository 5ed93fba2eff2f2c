/// Receiver estimated maximum bitrate, REMB: PSFB FMT=15 application layer feedback with the
/// identifier "REMB" (draft-alvestrand-rmcat-remb-03 §2.2).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P| FMT=15  |   PT=206      |             length            |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                  SSRC of packet sender                        |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                  SSRC of media source (0)                     |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |  Unique identifier 'R' 'E' 'M' 'B'                            |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |  Num SSRC     | BR Exp    |  BR Mantissa (18)                 |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |   SSRC feedback                                               |  × Num SSRC
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// Bitrate in bits per second = mantissa × 2^exp.
public struct REMB: Equatable, CustomStringConvertible {
    /// "REMB" in ASCII.
    public static let identifier: UInt32 = 0x5245_4D42

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    /// Bits per second. Encoded with an 18-bit mantissa, so values above 2^18 lose low bits.
    public var bitrate: UInt64
    public var ssrcs: RTCPList<UInt32>

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, bitrate: UInt64, ssrcs: RTCPList<UInt32>) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.bitrate = bitrate
        self.ssrcs = ssrcs
    }

    /// Whether an application layer feedback packet's FCI starts with the REMB identifier.
    static func isREMB(_ frame: RTCPFrame) -> Bool {
        frame.body.count >= 12 && frame.body.loadBigEndianUInt32(at: 8) == identifier
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        let frame = try RTCPFrame(single: bytes, packetType: RTCPPacketType.psfb)
        guard frame.header.count == RTCPFeedbackFormat.applicationLayer else { throw ParseError(.malformed, at: 0, "PSFB FMT is not application layer feedback") }
        guard frame.body.count >= 12 else { throw ParseError(.truncated, at: 4, "REMB identifier") }
        guard REMB.isREMB(frame) else { throw ParseError(.malformed, at: 12, "application layer feedback is not REMB") }
        try self.init(frame: frame)
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let body = frame.body
        guard body.count >= 16 else { throw ParseError(.truncated, at: 4, "REMB fields") }
        senderSSRC = body.loadBigEndianUInt32(at: 0)
        mediaSSRC = body.loadBigEndianUInt32(at: 4)
        let word = body.loadBigEndianUInt32(at: 12)
        let count = Int(word >> 24)
        let exponent = UInt64(word >> 18 & 0x3F)
        let mantissa = UInt64(word & 0x3_FFFF)
        guard body.count >= 16 + 4 * count else { throw ParseError(.truncated, at: 20, "REMB SSRC list") }
        guard body.count == 16 + 4 * count else { throw ParseError(.malformed, at: 20 + 4 * count, "REMB bytes after the SSRC list") }
        // Why: 6-bit exponent and 18-bit mantissa can describe more than 64 bits (libwebrtc rejects it too).
        guard exponent <= 46 || mantissa >> (64 - exponent) == 0 else { throw ParseError(.malformed, at: 17, "REMB bitrate overflows 64 bits") }
        bitrate = mantissa << exponent
        ssrcs = RTCPList(wire: UnsafeRawBufferPointer(rebasing: body[16...]))
    }

    /// The exponent and mantissa the bitrate is written with (libwebrtc's choice: the smallest
    /// exponent whose mantissa fits 18 bits, truncating the rest).
    public var exponentAndMantissa: (exponent: UInt8, mantissa: UInt32) {
        var mantissa = bitrate
        var exponent: UInt8 = 0
        while mantissa > 0x3_FFFF {
            mantissa >>= 1
            exponent += 1
        }
        return (exponent, UInt32(mantissa))
    }

    public var encodedSize: Int { 20 + ssrcs.encodedSize }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        precondition(ssrcs.count <= 255, "REMB lists at most 255 SSRCs")
        try w.writeRTCPHeader(count: RTCPFeedbackFormat.applicationLayer, packetType: RTCPPacketType.psfb, unpaddedSize: encodedSize)
        try w.write(senderSSRC)
        try w.write(mediaSSRC)
        try w.write(REMB.identifier)
        let (exponent, mantissa) = exponentAndMantissa
        try w.write(UInt32(ssrcs.count) << 24 | UInt32(exponent) << 18 | mantissa)
        try ssrcs.write(to: &w)
    }

    public static func == (a: REMB, b: REMB) -> Bool {
        a.senderSSRC == b.senderSSRC && a.mediaSSRC == b.mediaSSRC && a.bitrate == b.bitrate && a.ssrcs == b.ssrcs
    }

    public var description: String { "REMB(sender=\(senderSSRC) bitrate=\(bitrate) ssrcs=\(ssrcs))" }
}

extension REMB: RTCPWritable {}
