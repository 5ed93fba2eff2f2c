/// One RTCP packet of any kind (RFC 3550 §6, RFC 4585 §6, RFC 5104 §4.3, RFC 3611,
/// draft-holmer-rmcat-transport-wide-cc-extensions-01, draft-alvestrand-rmcat-remb): a closed set of
/// typed views. Packets Podium does not model (SLI, RPSI, other RTPFB/PSFB formats, unknown types)
/// are `.unknown` with their bytes, header and padding included, and write back unchanged.
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P| count/FMT |      PT       |             length          |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                  type-specific body                         ...
public enum RTCPPacket: Equatable, CustomStringConvertible {
    case senderReport(SenderReport)
    case receiverReport(ReceiverReport)
    case sdes(SourceDescription)
    case bye(Goodbye)
    case app(ApplicationDefined)
    case genericNACK(GenericNACK)
    case transportFeedback(TransportCCFeedback)
    case pli(PictureLossIndication)
    case fir(FullIntraRequest)
    case remb(REMB)
    case extendedReport(ExtendedReport)
    case unknown(packetType: UInt8, fmt: UInt8, bytes: UnsafeRawBufferPointer)

    /// Parses a buffer holding exactly one RTCP packet.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        let frame = try RTCPFrame(at: 0, in: bytes)
        guard frame.packet.count == bytes.count else { throw ParseError(.malformed, at: frame.packet.count, "bytes after the RTCP packet") }
        try self.init(frame: frame)
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let h = frame.header
        switch (h.packetType, h.count) {
        case (RTCPPacketType.senderReport, _): self = .senderReport(try SenderReport(frame: frame))
        case (RTCPPacketType.receiverReport, _): self = .receiverReport(try ReceiverReport(frame: frame))
        case (RTCPPacketType.sdes, _): self = .sdes(try SourceDescription(frame: frame))
        case (RTCPPacketType.bye, _): self = .bye(try Goodbye(frame: frame))
        case (RTCPPacketType.app, _): self = .app(try ApplicationDefined(frame: frame))
        case (RTCPPacketType.rtpfb, RTCPFeedbackFormat.genericNACK): self = .genericNACK(try GenericNACK(frame: frame))
        case (RTCPPacketType.rtpfb, RTCPFeedbackFormat.transportCC): self = .transportFeedback(try TransportCCFeedback(frame: frame))
        case (RTCPPacketType.psfb, RTCPFeedbackFormat.pli): self = .pli(try PictureLossIndication(frame: frame))
        case (RTCPPacketType.psfb, RTCPFeedbackFormat.fir): self = .fir(try FullIntraRequest(frame: frame))
        case (RTCPPacketType.psfb, RTCPFeedbackFormat.applicationLayer) where REMB.isREMB(frame): self = .remb(try REMB(frame: frame))
        case (RTCPPacketType.extendedReport, _): self = .extendedReport(try ExtendedReport(frame: frame))
        default: self = .unknown(packetType: h.packetType, fmt: h.count, bytes: frame.packet)
        }
    }

    public var packetType: UInt8 {
        switch self {
        case .senderReport: return RTCPPacketType.senderReport
        case .receiverReport: return RTCPPacketType.receiverReport
        case .sdes: return RTCPPacketType.sdes
        case .bye: return RTCPPacketType.bye
        case .app: return RTCPPacketType.app
        case .genericNACK, .transportFeedback: return RTCPPacketType.rtpfb
        case .pli, .fir, .remb: return RTCPPacketType.psfb
        case .extendedReport: return RTCPPacketType.extendedReport
        case .unknown(let pt, _, _): return pt
        }
    }

    public var encodedSize: Int {
        switch self {
        case .senderReport(let p): return p.encodedSize
        case .receiverReport(let p): return p.encodedSize
        case .sdes(let p): return p.encodedSize
        case .bye(let p): return p.encodedSize
        case .app(let p): return p.encodedSize
        case .genericNACK(let p): return p.encodedSize
        case .transportFeedback(let p): return p.encodedSize
        case .pli(let p): return p.encodedSize
        case .fir(let p): return p.encodedSize
        case .remb(let p): return p.encodedSize
        case .extendedReport(let p): return p.encodedSize
        case .unknown(_, _, let bytes): return bytes.count
        }
    }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        switch self {
        case .senderReport(let p): try p.write(to: &w)
        case .receiverReport(let p): try p.write(to: &w)
        case .sdes(let p): try p.write(to: &w)
        case .bye(let p): try p.write(to: &w)
        case .app(let p): try p.write(to: &w)
        case .genericNACK(let p): try p.write(to: &w)
        case .transportFeedback(let p): try p.write(to: &w)
        case .pli(let p): try p.write(to: &w)
        case .fir(let p): try p.write(to: &w)
        case .remb(let p): try p.write(to: &w)
        case .extendedReport(let p): try p.write(to: &w)
        case .unknown(_, _, let bytes): try w.write(bytes: bytes)
        }
    }

    public static func == (a: RTCPPacket, b: RTCPPacket) -> Bool {
        switch (a, b) {
        case (.senderReport(let x), .senderReport(let y)): return x == y
        case (.receiverReport(let x), .receiverReport(let y)): return x == y
        case (.sdes(let x), .sdes(let y)): return x == y
        case (.bye(let x), .bye(let y)): return x == y
        case (.app(let x), .app(let y)): return x == y
        case (.genericNACK(let x), .genericNACK(let y)): return x == y
        case (.transportFeedback(let x), .transportFeedback(let y)): return x == y
        case (.pli(let x), .pli(let y)): return x == y
        case (.fir(let x), .fir(let y)): return x == y
        case (.remb(let x), .remb(let y)): return x == y
        case (.extendedReport(let x), .extendedReport(let y)): return x == y
        case (.unknown(let p1, let f1, let b1), .unknown(let p2, let f2, let b2)): return p1 == p2 && f1 == f2 && b1.sameBytes(as: b2)
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .senderReport(let p): return p.description
        case .receiverReport(let p): return p.description
        case .sdes(let p): return p.description
        case .bye(let p): return p.description
        case .app(let p): return p.description
        case .genericNACK(let p): return p.description
        case .transportFeedback(let p): return p.description
        case .pli(let p): return p.description
        case .fir(let p): return p.description
        case .remb(let p): return p.description
        case .extendedReport(let p): return p.description
        case .unknown(let pt, let fmt, let bytes): return "RTCP(pt=\(pt) fmt=\(fmt) \(bytes.count) bytes)"
        }
    }
}

extension RTCPPacket: RTCPWritable {}
