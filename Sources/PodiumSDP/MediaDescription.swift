/// One media section (RFC 8866 §5.14): the m= line, its i=/c=/b=/k= lines and its attributes in
/// order. Typed accessors read the attributes; nothing is stored twice, so editing `attributes`
/// keeps every view consistent.
///
///     m=<media> <port>[/<number of ports>] <proto> <fmt> ...
///     m=video 9 UDP/TLS/RTP/SAVPF 96 97
///     m=application 9 UDP/DTLS/SCTP webrtc-datachannel
public struct MediaDescription: Sendable, Hashable {
    public var kind: SDPMediaKind
    /// 0 marks a rejected section (RFC 3264 §6), or a bundled one in JSEP (RFC 9429 §5.2.1).
    public var port: UInt16
    public var portCount: UInt16?
    /// "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", …
    public var proto: String
    /// The formats as written: payload types for RTP, "webrtc-datachannel" for SCTP.
    public var formats: [String]
    public var information: String?
    public var connections: [SDPConnection]
    public var bandwidths: [SDPBandwidth]
    public var encryptionKey: String?
    public var attributes: [SDPAttribute]

    public init(kind: SDPMediaKind, port: UInt16 = 9, portCount: UInt16? = nil, proto: String = "UDP/TLS/RTP/SAVPF",
                formats: [String], information: String? = nil, connections: [SDPConnection] = [],
                bandwidths: [SDPBandwidth] = [], encryptionKey: String? = nil, attributes: [SDPAttribute] = []) {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.information = information
        self.connections = connections
        self.bandwidths = bandwidths
        self.encryptionKey = encryptionKey
        self.attributes = attributes
    }

    /// Whether the formats are RTP payload types (the proto has an "RTP" component).
    public var isRTP: Bool { Self.isRTP(proto: proto) }

    static func isRTP(proto: String) -> Bool { proto.utf8.split(separator: UInt8(ascii: "/")).contains { $0.elementsEqual("RTP".utf8) } }

    /// The formats as payload types, in preference order (empty unless `isRTP`).
    public var payloadTypes: [UInt8] { isRTP ? formats.compactMap { sdpNumber(Substring($0), UInt8(0)...127) } : [] }

    // MARK: Identification and direction

    public var mid: String? { firstValue { if case .mid(let m) = $0 { m } else { nil } } }
    /// The explicit direction attribute, if any (see `SessionDescription.direction(of:)` for the
    /// session-level default).
    public var direction: SDPDirection? { firstValue { if case .direction(let d) = $0 { d } else { nil } } }
    /// `direction`, or sendrecv when absent (RFC 8866 §6.7).
    public var effectiveDirection: SDPDirection { direction ?? .sendrecv }
    public var isSendOnly: Bool { effectiveDirection == .sendonly }
    public var isRecvOnly: Bool { effectiveDirection == .recvonly }
    public var isInactive: Bool { effectiveDirection == .inactive }
    /// Port 0 without a=bundle-only: the section is rejected or stopped.
    public var isRejected: Bool { port == 0 && !hasAttribute("bundle-only") }
    public var msid: SDPMSID? { firstValue { if case .msid(let m) = $0 { m } else { nil } } }

    // MARK: Transport

    public var isRTCPMux: Bool { attributes.contains(.rtcpMux) }
    public var isRTCPMuxOnly: Bool { attributes.contains(.rtcpMuxOnly) }
    public var isRTCPReducedSize: Bool { attributes.contains(.rtcpReducedSize) }
    public var isExtmapAllowMixed: Bool { attributes.contains(.extmapAllowMixed) }
    public var rtcp: SDPRTCPAddress? { firstValue { if case .rtcp(let r) = $0 { r } else { nil } } }
    public var rtcpXR: [SDPRTCPXRFormat] { allValues { if case .rtcpXR(let x) = $0 { x } else { nil } }.flatMap { $0 } }
    public var iceUfrag: String? { firstValue { if case .iceUfrag(let u) = $0 { u } else { nil } } }
    public var icePwd: String? { firstValue { if case .icePwd(let p) = $0 { p } else { nil } } }
    public var iceOptions: [String] { allValues { if case .iceOptions(let o) = $0 { o } else { nil } }.flatMap { $0 } }
    public var candidates: [ICECandidate] { allValues { if case .candidate(let c) = $0 { c } else { nil } } }
    public var hasEndOfCandidates: Bool { attributes.contains(.endOfCandidates) }
    public var fingerprints: [SDPFingerprint] { allValues { if case .fingerprint(let f) = $0 { f } else { nil } } }
    public var setup: SDPSetup? { firstValue { if case .setup(let s) = $0 { s } else { nil } } }
    public var sctpPort: UInt16? { firstValue { if case .sctpPort(let p) = $0 { p } else { nil } } }
    public var maxMessageSize: UInt64? { firstValue { if case .maxMessageSize(let s) = $0 { s } else { nil } } }

    // MARK: Codecs

    public var rtpMaps: [SDPRTPMap] { allValues { if case .rtpmap(let m) = $0 { m } else { nil } } }
    public var formatParameters: [SDPFormatParameters] { allValues { if case .fmtp(let f) = $0 { f } else { nil } } }
    public var rtcpFeedback: [SDPRTCPFeedback] { allValues { if case .rtcpFeedback(let f) = $0 { f } else { nil } } }

    /// The codecs of the m= line in preference order, each with its fmtp, rtcp-fb and RTX link.
    /// Payload types with neither an a=rtpmap nor a static assignment are left out.
    public var codecs: [SDPCodec] {
        let maps = rtpMaps, fmtps = formatParameters, feedback = rtcpFeedback
        let wildcard = feedback.filter { $0.payloadType == nil }
        var out: [SDPCodec] = []
        for pt in payloadTypes {
            var codec: SDPCodec
            if let m = maps.first(where: { $0.payloadType == pt }) {
                codec = SDPCodec(payloadType: pt, name: m.encodingName, clockRate: m.clockRate, channels: m.channels)
            } else if let s = SDPCodec.staticPayloadType(pt) {
                codec = SDPCodec(payloadType: pt, name: s.name, clockRate: s.clockRate, channels: s.channels)
            } else {
                continue
            }
            codec.parameters = fmtps.first { $0.payloadType == pt }?.parameters ?? []
            codec.feedback = feedback.filter { $0.payloadType == pt } + wildcard
            if codec.isRTX, let apt = codec.parameter("apt") { codec.associatedPayloadType = sdpNumber(Substring(apt), UInt8(0)...127) }
            out.append(codec)
        }
        for rtx in out where rtx.associatedPayloadType != nil {
            if let i = out.firstIndex(where: { $0.payloadType == rtx.associatedPayloadType && !$0.isRTX }), out[i].rtxPayloadType == nil {
                out[i].rtxPayloadType = rtx.payloadType
            }
        }
        return out
    }

    public func codec(payloadType: UInt8) -> SDPCodec? { codecs.first { $0.payloadType == payloadType } }
    /// Codecs whose name matches case-insensitively ("vp8", "opus", "H264").
    public func codecs(named name: String) -> [SDPCodec] { codecs.filter { $0.isNamed(name) } }
    /// The RTX payload type repairing `payloadType` (RFC 4588 §8.1).
    public func rtxPayloadType(for payloadType: UInt8) -> UInt8? { codec(payloadType: payloadType)?.rtxPayloadType }

    // MARK: Header extensions

    public var headerExtensions: [SDPExtMap] { allValues { if case .extmap(let e) = $0 { e } else { nil } } }
    /// The id negotiated for an extension URI (see `SDPExtensionURI`).
    public func extensionID(for uri: String) -> UInt8? { headerExtensions.first { $0.uri == uri }?.id }
    public func headerExtension(id: UInt8) -> SDPExtMap? { headerExtensions.first { $0.id == id } }

    // MARK: Sources and simulcast

    public var ssrcAttributes: [SDPSSRCAttribute] { allValues { if case .ssrc(let s) = $0 { s } else { nil } } }
    /// Distinct SSRCs of a=ssrc lines, in order of appearance.
    public var ssrcs: [UInt32] {
        var seen = Set<UInt32>(), out: [UInt32] = []
        for a in ssrcAttributes where seen.insert(a.ssrc).inserted { out.append(a.ssrc) }
        return out
    }
    public var ssrcGroups: [SDPSSRCGroup] { allValues { if case .ssrcGroup(let g) = $0 { g } else { nil } } }
    public func cname(ssrc: UInt32) -> String? {
        ssrcAttributes.first { $0.ssrc == ssrc && $0.attribute == "cname" }?.value
    }
    /// The RTX SSRC paired with a media SSRC by an FID group (RFC 5576 §4.2, RFC 4588).
    public func rtxSSRC(for ssrc: UInt32) -> UInt32? {
        ssrcGroups.first { $0.semantics == "FID" && $0.ssrcs.count == 2 && $0.ssrcs[0] == ssrc }?.ssrcs[1]
    }

    public var rids: [SDPRID] { allValues { if case .rid(let r) = $0 { r } else { nil } } }
    public var simulcast: SDPSimulcast? { firstValue { if case .simulcast(let s) = $0 { s } else { nil } } }

    /// Simulcast layers in list order (send list, then recv list), each with its a=rid.
    public var simulcastLayers: [SDPSimulcastLayer] {
        guard let simulcast else { return [] }
        let rids = rids
        var out: [SDPSimulcastLayer] = []
        for (direction, list) in [(SDPRID.Direction.send, simulcast.send), (.recv, simulcast.receive)] {
            for (index, stream) in list.enumerated() {
                for alt in stream {
                    out.append(SDPSimulcastLayer(rid: alt.rid, direction: direction, isPaused: alt.isPaused, streamIndex: index,
                                                 restrictions: rids.first { $0.id == alt.rid && $0.direction == direction }))
                }
            }
        }
        return out
    }

    // MARK: Generic access and edits

    public func attributes(named name: String) -> [SDPAttribute] { attributes.filter { $0.name == name } }
    public func hasAttribute(_ name: String) -> Bool { attributes.contains { $0.name == name } }

    /// Replaces the direction attribute (or appends one).
    public mutating func setDirection(_ direction: SDPDirection) {
        if let i = attributes.firstIndex(where: { if case .direction = $0 { true } else { false } }) {
            attributes[i] = .direction(direction)
        } else {
            attributes.append(.direction(direction))
        }
    }

    /// Appends a codec as a=rtpmap, a=rtcp-fb and a=fmtp lines and adds its payload type to the m= line
    /// (wildcard feedback becomes feedback for this payload type).
    public mutating func appendCodec(_ codec: SDPCodec) {
        formats.append(String(codec.payloadType))
        attributes.append(.rtpmap(SDPRTPMap(payloadType: codec.payloadType, encodingName: codec.name,
                                            clockRate: codec.clockRate, channels: codec.channels)))
        for fb in codec.feedback {
            attributes.append(.rtcpFeedback(SDPRTCPFeedback(payloadType: codec.payloadType, type: fb.type, parameter: fb.parameter)))
        }
        if !codec.parameters.isEmpty {
            attributes.append(.fmtp(SDPFormatParameters(payloadType: codec.payloadType, parameters: codec.parameters)))
        }
    }

    private func firstValue<T>(_ pick: (SDPAttribute) -> T?) -> T? {
        for a in attributes { if let v = pick(a) { return v } }
        return nil
    }

    private func allValues<T>(_ pick: (SDPAttribute) -> T?) -> [T] { attributes.compactMap(pick) }
}
