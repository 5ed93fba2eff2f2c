/// Application-defined packet, APP (RFC 3550 §6.7).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P| subtype |   PT=APP=204  |             length            |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                           SSRC/CSRC                           |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                          name (ASCII)                         |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                   application-dependent data                ...
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
public struct ApplicationDefined: Equatable, CustomStringConvertible {
    /// 5 bits.
    public var subtype: UInt8
    public var ssrc: UInt32
    /// Four ASCII characters, big-endian (e.g. 0x5445_5354 for "TEST").
    public var name: UInt32
    public var data: UnsafeRawBufferPointer

    public init(subtype: UInt8, ssrc: UInt32, name: UInt32, data: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        precondition(subtype < 32, "APP subtype is 5 bits")
        self.subtype = subtype
        self.ssrc = ssrc
        self.name = name
        self.data = data
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        try self.init(frame: RTCPFrame(single: bytes, packetType: RTCPPacketType.app))
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let body = frame.body
        guard body.count >= 8 else { throw ParseError(.truncated, at: 4, "APP SSRC and name") }
        subtype = frame.header.count
        ssrc = body.loadBigEndianUInt32(at: 0)
        name = body.loadBigEndianUInt32(at: 4)
        data = UnsafeRawBufferPointer(rebasing: body[8...])
    }

    var unpaddedSize: Int { 12 + data.count }
    public var encodedSize: Int { rtcpPaddedSize(unpaddedSize) }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        try w.writeRTCPHeader(count: subtype, packetType: RTCPPacketType.app, unpaddedSize: unpaddedSize)
        try w.write(ssrc)
        try w.write(name)
        try w.write(bytes: data)
        try w.writeRTCPPadding(unpaddedSize: unpaddedSize)
    }

    public static func == (a: ApplicationDefined, b: ApplicationDefined) -> Bool {
        a.subtype == b.subtype && a.ssrc == b.ssrc && a.name == b.name && a.data.sameBytes(as: b.data)
    }

    public var description: String { "APP(subtype=\(subtype) ssrc=\(ssrc) name=0x\(String(name, radix: 16)) data=\(rtcpHexPreview(data)))" }
}

extension ApplicationDefined: RTCPWritable {}
