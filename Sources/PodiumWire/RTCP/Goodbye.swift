/// Goodbye, BYE (RFC 3550 §6.6).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P|    SC   |   PT=BYE=203  |             length            |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                           SSRC/CSRC                           |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    :                              ...                              :
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |     length    |               reason for leaving            ... (opt)
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
public struct Goodbye: Equatable, CustomStringConvertible {
    public var ssrcs: RTCPList<UInt32>
    /// The reason text (UTF-8, up to 255 bytes), nil when absent.
    public var reason: UnsafeRawBufferPointer?

    public init(ssrcs: RTCPList<UInt32>, reason: UnsafeRawBufferPointer? = nil) {
        self.ssrcs = ssrcs
        self.reason = reason
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        try self.init(frame: RTCPFrame(single: bytes, packetType: RTCPPacketType.bye))
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let body = frame.body
        let listSize = Int(frame.header.count) * 4
        guard body.count >= listSize else { throw ParseError(.truncated, at: 4, "BYE shorter than its source count") }
        ssrcs = RTCPList(wire: UnsafeRawBufferPointer(rebasing: body[0..<listSize]))
        if body.count == listSize {
            reason = nil
            return
        }
        let length = Int(body[listSize])
        guard listSize + 1 + length <= body.count else { throw ParseError(.truncated, at: 4 + listSize, "BYE reason length points past the end") }
        // Why: what follows the reason may only be the null padding to 32 bits.
        guard rtcpPaddedSize(listSize + 1 + length) >= body.count else { throw ParseError(.malformed, at: 4 + listSize, "BYE bytes after the reason") }
        reason = UnsafeRawBufferPointer(rebasing: body[(listSize + 1)..<(listSize + 1 + length)])
    }

    public var encodedSize: Int { 4 + ssrcs.encodedSize + (reason.map { rtcpPaddedSize(1 + $0.count) } ?? 0) }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        precondition(ssrcs.count < 32, "a BYE carries at most 31 sources")
        try w.writeRTCPHeader(count: UInt8(ssrcs.count), packetType: RTCPPacketType.bye, unpaddedSize: encodedSize)
        try ssrcs.write(to: &w)
        if let reason {
            precondition(reason.count <= 255, "BYE reason over 255 bytes")
            try w.write(UInt8(reason.count))
            try w.write(bytes: reason)
            try w.writeZeros(rtcpPaddedSize(1 + reason.count) - 1 - reason.count)
        }
    }

    public static func == (a: Goodbye, b: Goodbye) -> Bool {
        guard a.ssrcs == b.ssrcs else { return false }
        switch (a.reason, b.reason) {
        case (nil, nil): return true
        case (let x?, let y?): return x.sameBytes(as: y)
        default: return false
        }
    }

    public var description: String {
        "BYE(\(ssrcs)" + (reason.map { " reason=\"\(String(decoding: $0, as: UTF8.self))\"" } ?? "") + ")"
    }
}

extension Goodbye: RTCPWritable {}
