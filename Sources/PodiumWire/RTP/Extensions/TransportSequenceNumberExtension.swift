/// Transport-wide sequence number header extension (draft-holmer-rmcat-transport-wide-cc-extensions-01
/// §2), and its webrtc.org `transport-wide-cc-02` form with a feedback request.
///
///     0                   1                   2
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |  ID   | L=1   |transport-wide sequence number |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
///    version 02, with a feedback request:
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |  ID   | L=3   |transport-wide sequence number |T|  sequence count (15 bits)   |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// T: the feedback should include timestamps; sequence count: how many packets, ending with this
/// one, the requested feedback covers.
public struct TransportSequenceNumberExtension: Sendable, Hashable, CustomStringConvertible {
    public struct FeedbackRequest: Sendable, Hashable {
        public var includeTimestamps: Bool
        /// 0…32767.
        public var sequenceCount: UInt16
        public init(includeTimestamps: Bool, sequenceCount: UInt16) {
            self.includeTimestamps = includeTimestamps
            self.sequenceCount = sequenceCount & 0x7FFF
        }
    }

    public var sequenceNumber: UInt16
    /// Only in the transport-wide-cc-02 4-byte form.
    public var feedbackRequest: FeedbackRequest?

    public init(sequenceNumber: UInt16, feedbackRequest: FeedbackRequest? = nil) {
        self.sequenceNumber = sequenceNumber
        self.feedbackRequest = feedbackRequest
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        switch bytes.count {
        case 2:
            sequenceNumber = bytes.loadBigEndianUInt16(at: 0)
            feedbackRequest = nil
        case 4:
            sequenceNumber = bytes.loadBigEndianUInt16(at: 0)
            let r = bytes.loadBigEndianUInt16(at: 2)
            feedbackRequest = FeedbackRequest(includeTimestamps: r & 0x8000 != 0, sequenceCount: r & 0x7FFF)
        case 0, 1, 3:
            throw ParseError(.truncated, at: 0, "transport-wide sequence number is 2 or 4 bytes")
        default:
            throw ParseError(.malformed, at: 0, "transport-wide sequence number is 2 or 4 bytes")
        }
    }

    public var encodedSize: Int { feedbackRequest == nil ? 2 : 4 }

    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.require(encodedSize)
        try w.write(sequenceNumber)
        if let r = feedbackRequest { try w.write((r.includeTimestamps ? 0x8000 : 0) | r.sequenceCount & 0x7FFF) }
        return w.offset
    }

    public var description: String {
        var s = "transport-cc seq=\(sequenceNumber)"
        if let r = feedbackRequest { s += " request(count=\(r.sequenceCount)\(r.includeTimestamps ? " T" : ""))" }
        return s
    }
}
