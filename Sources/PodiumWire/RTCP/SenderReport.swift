/// Sender report, SR (RFC 3550 §6.4.1).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P|    RC   |   PT=SR=200   |             length            |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                         SSRC of sender                        |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |              NTP timestamp, most significant word             |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |             NTP timestamp, least significant word             |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                         RTP timestamp                         |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                     sender's packet count                     |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                      sender's octet count                     |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |                 report blocks (24 bytes × RC)                 |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |                  profile-specific extensions                  |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
public struct SenderReport: Equatable, CustomStringConvertible {
    public var ssrc: UInt32
    /// 64-bit NTP timestamp (seconds since 1900 in the high word, fraction in the low word).
    public var ntpTimestamp: UInt64
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    public var reportBlocks: RTCPList<ReportBlock>
    /// Profile-specific extension bytes after the report blocks (a multiple of 4; usually empty).
    public var profileExtension: UnsafeRawBufferPointer

    public init(ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32,
                reportBlocks: RTCPList<ReportBlock> = .empty, profileExtension: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reportBlocks = reportBlocks
        self.profileExtension = profileExtension
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        try self.init(frame: RTCPFrame(single: bytes, packetType: RTCPPacketType.senderReport))
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let body = frame.body
        let blocksSize = Int(frame.header.count) * ReportBlock.wireSize
        guard body.count >= 24 + blocksSize else { throw ParseError(.truncated, at: 4, "SR shorter than its report count") }
        ssrc = body.loadBigEndianUInt32(at: 0)
        ntpTimestamp = body.loadBigEndianUInt64(at: 4)
        rtpTimestamp = body.loadBigEndianUInt32(at: 12)
        packetCount = body.loadBigEndianUInt32(at: 16)
        octetCount = body.loadBigEndianUInt32(at: 20)
        reportBlocks = RTCPList(wire: UnsafeRawBufferPointer(rebasing: body[24..<24 + blocksSize]))
        profileExtension = UnsafeRawBufferPointer(rebasing: body[(24 + blocksSize)...])
    }

    var unpaddedSize: Int { 28 + reportBlocks.encodedSize + profileExtension.count }
    public var encodedSize: Int { rtcpPaddedSize(unpaddedSize) }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        precondition(reportBlocks.count < 32, "an SR carries at most 31 report blocks")
        try w.writeRTCPHeader(count: UInt8(reportBlocks.count), packetType: RTCPPacketType.senderReport, unpaddedSize: unpaddedSize)
        try w.write(ssrc)
        try w.write(ntpTimestamp)
        try w.write(rtpTimestamp)
        try w.write(packetCount)
        try w.write(octetCount)
        try reportBlocks.write(to: &w)
        try w.write(bytes: profileExtension)
        try w.writeRTCPPadding(unpaddedSize: unpaddedSize)
    }

    public static func == (a: SenderReport, b: SenderReport) -> Bool {
        a.ssrc == b.ssrc && a.ntpTimestamp == b.ntpTimestamp && a.rtpTimestamp == b.rtpTimestamp
            && a.packetCount == b.packetCount && a.octetCount == b.octetCount && a.reportBlocks == b.reportBlocks
            && a.profileExtension.sameBytes(as: b.profileExtension)
    }

    public var description: String {
        "SR(ssrc=\(ssrc) ntp=\(ntpTimestamp) rtp=\(rtpTimestamp) packets=\(packetCount) octets=\(octetCount) \(reportBlocks))"
    }
}

extension SenderReport: RTCPWritable {}
