/// Full intra request, PSFB FMT=4 (RFC 5104 §4.3.1).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P|  FMT=4  |  PT=PSFB=206  |             length            |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                  SSRC of packet sender                        |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |             SSRC of media source (unused, 0)                  |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |                              SSRC                             |  × n
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    | Seq nr.       |    Reserved (0)                               |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
public struct FullIntraRequest: Equatable, CustomStringConvertible {
    public var senderSSRC: UInt32
    /// RFC 5104 §4.3.1.2: SHALL be 0; the target SSRCs are in the entries.
    public var mediaSSRC: UInt32
    public var entries: RTCPList<FIREntry>

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: RTCPList<FIREntry>) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        let frame = try RTCPFrame(single: bytes, packetType: RTCPPacketType.psfb)
        guard frame.header.count == RTCPFeedbackFormat.fir else { throw ParseError(.malformed, at: 0, "PSFB FMT is not FIR") }
        try self.init(frame: frame)
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let body = frame.body
        guard body.count >= 16 else { throw ParseError(.truncated, at: 4, "FIR needs at least one entry") }
        guard body.count % 8 == 0 else { throw ParseError(.malformed, at: 4 + body.count, "FIR length is not whole entries") }
        senderSSRC = body.loadBigEndianUInt32(at: 0)
        mediaSSRC = body.loadBigEndianUInt32(at: 4)
        entries = RTCPList(wire: UnsafeRawBufferPointer(rebasing: body[8...]))
    }

    public var encodedSize: Int { 12 + entries.encodedSize }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        try w.writeRTCPHeader(count: RTCPFeedbackFormat.fir, packetType: RTCPPacketType.psfb, unpaddedSize: encodedSize)
        try w.write(senderSSRC)
        try w.write(mediaSSRC)
        try entries.write(to: &w)
    }

    public static func == (a: FullIntraRequest, b: FullIntraRequest) -> Bool {
        a.senderSSRC == b.senderSSRC && a.mediaSSRC == b.mediaSSRC && a.entries == b.entries
    }

    public var description: String { "FIR(sender=\(senderSSRC) \(entries))" }
}

/// One FIR entry: the SSRC asked for a decoder refresh and the command sequence number.
public struct FIREntry: RTCPListElement, CustomStringConvertible {
    public static var wireSize: Int { 8 }
    public var ssrc: UInt32
    /// Incremented by one (modulo 256) for each new request to this SSRC (RFC 5104 §4.3.1.1).
    public var sequenceNumber: UInt8

    public init(ssrc: UInt32, sequenceNumber: UInt8) {
        self.ssrc = ssrc
        self.sequenceNumber = sequenceNumber
    }

    public init(wire bytes: UnsafeRawBufferPointer, at o: Int) {
        ssrc = bytes.loadBigEndianUInt32(at: o)
        sequenceNumber = bytes[o + 4]
    }

    /// Reserved bits are written as zero (RFC 5104 §4.3.1.1: ignored by the receiver).
    public func store(into bytes: UnsafeMutableRawBufferPointer, at o: Int) {
        bytes.storeBigEndian(ssrc, at: o)
        bytes.storeBigEndian(UInt32(sequenceNumber) << 24, at: o + 4)
    }

    public var description: String { "(ssrc=\(ssrc) seq=\(sequenceNumber))" }
}

extension FullIntraRequest: RTCPWritable {}
