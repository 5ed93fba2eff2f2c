/// Receiver report, RR (RFC 3550 §6.4.2).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P|    RC   |   PT=RR=201   |             length            |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                     SSRC of packet sender                     |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |                 report blocks (24 bytes × RC)                 |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |                  profile-specific extensions                  |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
public struct ReceiverReport: Equatable, CustomStringConvertible {
    public var ssrc: UInt32
    public var reportBlocks: RTCPList<ReportBlock>
    /// Profile-specific extension bytes after the report blocks (a multiple of 4; usually empty).
    public var profileExtension: UnsafeRawBufferPointer

    public init(ssrc: UInt32, reportBlocks: RTCPList<ReportBlock> = .empty, profileExtension: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        self.ssrc = ssrc
        self.reportBlocks = reportBlocks
        self.profileExtension = profileExtension
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        try self.init(frame: RTCPFrame(single: bytes, packetType: RTCPPacketType.receiverReport))
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let body = frame.body
        let blocksSize = Int(frame.header.count) * ReportBlock.wireSize
        guard body.count >= 4 + blocksSize else { throw ParseError(.truncated, at: 4, "RR shorter than its report count") }
        ssrc = body.loadBigEndianUInt32(at: 0)
        reportBlocks = RTCPList(wire: UnsafeRawBufferPointer(rebasing: body[4..<4 + blocksSize]))
        profileExtension = UnsafeRawBufferPointer(rebasing: body[(4 + blocksSize)...])
    }

    var unpaddedSize: Int { 8 + reportBlocks.encodedSize + profileExtension.count }
    public var encodedSize: Int { rtcpPaddedSize(unpaddedSize) }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        precondition(reportBlocks.count < 32, "an RR carries at most 31 report blocks")
        try w.writeRTCPHeader(count: UInt8(reportBlocks.count), packetType: RTCPPacketType.receiverReport, unpaddedSize: unpaddedSize)
        try w.write(ssrc)
        try reportBlocks.write(to: &w)
        try w.write(bytes: profileExtension)
        try w.writeRTCPPadding(unpaddedSize: unpaddedSize)
    }

    public static func == (a: ReceiverReport, b: ReceiverReport) -> Bool {
        a.ssrc == b.ssrc && a.reportBlocks == b.reportBlocks && a.profileExtension.sameBytes(as: b.profileExtension)
    }

    public var description: String { "RR(ssrc=\(ssrc) \(reportBlocks))" }
}

extension ReceiverReport: RTCPWritable {}
