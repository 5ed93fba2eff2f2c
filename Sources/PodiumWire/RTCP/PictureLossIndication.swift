/// Picture loss indication, PSFB FMT=1 (RFC 4585 §6.3.1). No FCI.
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P|  FMT=1  |  PT=PSFB=206  |          length=2             |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                  SSRC of packet sender                        |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                  SSRC of media source                         |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
public struct PictureLossIndication: Sendable, Equatable, CustomStringConvertible {
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        let frame = try RTCPFrame(single: bytes, packetType: RTCPPacketType.psfb)
        guard frame.header.count == RTCPFeedbackFormat.pli else { throw ParseError(.malformed, at: 0, "PSFB FMT is not PLI") }
        try self.init(frame: frame)
    }

    init(frame: RTCPFrame) throws(ParseError) {
        guard frame.body.count >= 8 else { throw ParseError(.truncated, at: 4, "PLI SSRCs") }
        // Why: RFC 4585 §6.3.1 says PLI has no FCI; stray bytes would be lost on write-back.
        guard frame.body.count == 8 else { throw ParseError(.malformed, at: 12, "PLI with FCI bytes") }
        senderSSRC = frame.body.loadBigEndianUInt32(at: 0)
        mediaSSRC = frame.body.loadBigEndianUInt32(at: 4)
    }

    public var encodedSize: Int { 12 }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        try w.writeRTCPHeader(count: RTCPFeedbackFormat.pli, packetType: RTCPPacketType.psfb, unpaddedSize: 12)
        try w.write(senderSSRC)
        try w.write(mediaSSRC)
    }

    public var description: String { "PLI(sender=\(senderSSRC) media=\(mediaSSRC))" }
}

extension PictureLossIndication: RTCPWritable {}
