/// Reception report block (RFC 3550 §6.4.1), carried by SR and RR.
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |                 SSRC_1 (SSRC of first source)                 |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    | fraction lost |       cumulative number of packets lost       |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |           extended highest sequence number received           |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                      interarrival jitter                      |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                         last SR (LSR)                         |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                   delay since last SR (DLSR)                  |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
public struct ReportBlock: RTCPListElement, CustomStringConvertible {
    public static var wireSize: Int { 24 }

    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, in 1/256.
    public var fractionLost: UInt8
    /// Cumulative packets lost: signed 24-bit (negative when duplicates outnumber losses).
    public var cumulativeLost: Int32
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received from this source.
    public var lastSenderReport: UInt32
    /// Delay since that SR, in 1/65536 s.
    public var delaySinceLastSenderReport: UInt32

    public init(ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0, extendedHighestSequence: UInt32 = 0,
                jitter: UInt32 = 0, lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// Clamps a loss count to the signed 24-bit range the field can carry (RFC 3550 §6.4.1).
    public static func clampCumulativeLost(_ lost: Int64) -> Int32 { Int32(min(max(lost, -0x80_0000), 0x7F_FFFF)) }

    public init(wire bytes: UnsafeRawBufferPointer, at o: Int) {
        ssrc = bytes.loadBigEndianUInt32(at: o)
        fractionLost = bytes[o + 4]
        // Why: sign-extend the 24-bit two's-complement count by shifting it into the top of an Int32.
        cumulativeLost = Int32(bitPattern: bytes.loadBigEndianUInt24(at: o + 5) << 8) >> 8
        extendedHighestSequence = bytes.loadBigEndianUInt32(at: o + 8)
        jitter = bytes.loadBigEndianUInt32(at: o + 12)
        lastSenderReport = bytes.loadBigEndianUInt32(at: o + 16)
        delaySinceLastSenderReport = bytes.loadBigEndianUInt32(at: o + 20)
    }

    public func store(into bytes: UnsafeMutableRawBufferPointer, at o: Int) {
        bytes.storeBigEndian(ssrc, at: o)
        bytes[o + 4] = fractionLost
        bytes.storeBigEndianUInt24(UInt32(bitPattern: ReportBlock.clampCumulativeLost(Int64(cumulativeLost))) & 0xFF_FFFF, at: o + 5)
        bytes.storeBigEndian(extendedHighestSequence, at: o + 8)
        bytes.storeBigEndian(jitter, at: o + 12)
        bytes.storeBigEndian(lastSenderReport, at: o + 16)
        bytes.storeBigEndian(delaySinceLastSenderReport, at: o + 20)
    }

    public var description: String {
        "block(ssrc=\(ssrc) fraction=\(fractionLost) lost=\(cumulativeLost) highest=\(extendedHighestSequence) jitter=\(jitter) lsr=\(lastSenderReport) dlsr=\(delaySinceLastSenderReport))"
    }
}
