import PodiumCrypto
import PodiumSDP
import PodiumWire

// Pieces shared by publisher and subscriber negotiation: reading the offerer's transport, checking
// an m-line before looking at its codecs, choosing codecs Podium can forward, and writing Podium's
// transport attributes. Signaling path only (one call per offer), so plain arrays and strings.

/// Bounds on what negotiation looks at, beyond the parser's `SDPLimits`.
public enum NegotiationLimits {
    /// Most m-lines in one description (also the parser's limit; checked again for descriptions
    /// built in code).
    public static let maxMediaSections = 64
    /// Most simulcast streams of one publisher m-line (browsers send three).
    public static let maxSimulcastStreams = 8
    /// Most codecs listed in one subscriber m-line (Chromium offers about ten Podium can forward).
    public static let maxCodecsPerMLine = 16
}

enum Negotiation {
    /// "m-line 1 (video)" — how errors and rejections name an m-line to the peer.
    static func label(_ index: Int, _ m: MediaDescription) -> String { "m-line \(index) (\(m.kind.rawValue))" }

    static func checkSize(_ description: SessionDescription) throws(NegotiationError) {
        guard description.media.count <= NegotiationLimits.maxMediaSections else {
            throw NegotiationError("the description has \(description.media.count) m-lines; Podium accepts at most \(NegotiationLimits.maxMediaSections)")
        }
    }

    /// Podium's description must stay within what its own parser (and any sane peer) accepts; a
    /// hostile offer must not make it write an unbounded one.
    static func checkOutputSize(_ description: SessionDescription) throws(NegotiationError) {
        let size = description.description.utf8.count
        guard size <= SDPLimits.maxBytes else {
            throw NegotiationError("the answer would be \(size) bytes, more than \(SDPLimits.maxBytes); offer fewer m-lines or codecs")
        }
    }

    /// Every m-line that is not rejected has a mid, and at most one direction attribute.
    static func checkStructure(_ description: SessionDescription, role: String) throws(NegotiationError) {
        try checkSize(description)
        guard !description.media.isEmpty else { throw NegotiationError("the \(role) has no m-line") }
        var sessionDirections = Set<SDPDirection>()
        for a in description.attributes { if case .direction(let d) = a { sessionDirections.insert(d) } }
        if sessionDirections.count > 1 {
            throw NegotiationError("the \(role) has contradictory session-level directions (\(sessionDirections.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        for (i, m) in description.media.enumerated() {
            var directions: [SDPDirection] = []
            for a in m.attributes { if case .direction(let d) = a, !directions.contains(d) { directions.append(d) } }
            if directions.count > 1 {
                throw NegotiationError("\(label(i, m)) has contradictory directions (\(directions.map { "a=\($0.rawValue)" }.joined(separator: " and ")))")
            }
            if m.mid == nil && !m.isRejected {
                throw NegotiationError("\(label(i, m)) has no a=mid (unified plan and BUNDLE need one)")
            }
        }
    }

    /// The remote transport of a BUNDLE description, read from the first m-line of the BUNDLE
    /// group that is not rejected (its tag, RFC 9143 §7.2), else the first m-line not rejected.
    static func remoteTransport(of description: SessionDescription, role: String) throws(NegotiationError) -> RemoteTransportDescription {
        let live = description.media.enumerated().filter { !$0.element.isRejected }
        guard let (index, first) = live.first(where: { description.isBundled($0.element) }) ?? live.first else {
            throw NegotiationError("every m-line of the \(role) is rejected (port 0)")
        }
        guard let ufrag = description.iceUfrag(of: first) else {
            throw NegotiationError("the \(role) has no a=ice-ufrag (in \(label(index, first)) or at the session level)")
        }
        guard let pwd = description.icePwd(of: first) else {
            throw NegotiationError("the \(role) has no a=ice-pwd (in \(label(index, first)) or at the session level)")
        }
        let fingerprints = description.fingerprints(of: first)
        guard !fingerprints.isEmpty else {
            throw NegotiationError("the \(role) has no a=fingerprint (DTLS-SRTP is required; none in \(label(index, first)) or at the session level)")
        }
        let setup = description.setup(of: first) ?? .actpass
        var candidates: [ICECandidate] = []
        for m in description.media { candidates += m.candidates }
        return RemoteTransportDescription(iceUfrag: ufrag, icePwd: pwd, fingerprints: fingerprints, setup: setup,
                                          candidates: candidates)
    }

    /// Why an offered m-line cannot be used on Podium's one bundled transport, or nil when it can
    /// (directions and codecs are the caller's). `acceptedWithoutBundle`: an m-line was already
    /// accepted, which in an offer without BUNDLE uses up the one transport.
    static func transportProblem(_ m: MediaDescription, in description: SessionDescription,
                                 acceptedWithoutBundle: Bool) -> String? {
        if m.isRejected { return "rejected in the offer (port 0)" }
        if !m.isRTP {
            return m.kind == .application ? "Podium does not take data channels (\(m.proto))" : "not RTP (\(m.proto))"
        }
        guard m.kind == .audio || m.kind == .video else { return "Podium forwards audio and video, not \(m.kind.rawValue)" }
        guard m.proto.uppercased().contains("SAVP") else { return "proto \(m.proto) is not DTLS-SRTP (UDP/TLS/RTP/SAVPF)" }
        guard m.isRTCPMux || m.isRTCPMuxOnly else { return "no a=rtcp-mux (Podium sends RTP and RTCP on one port)" }
        if description.bundleGroup != nil {
            guard description.isBundled(m) else { return "not in the offer's BUNDLE group (Podium uses one transport)" }
        } else if acceptedWithoutBundle {
            return "the offer has no a=group:BUNDLE, and Podium receives one m-line per transport"
        }
        return nil
    }

    static func mediaKind(_ m: MediaDescription) -> MediaKind? {
        switch m.kind {
        case .audio: .audio
        case .video: .video
        default: nil
        }
    }

    static func kind(of codec: PayloadCodec) -> MediaKind { codec == .opus ? .audio : .video }

    /// Whether Podium can forward `codec` as offered (its fmtp decides for VP9, H.264 and AV1), and
    /// which `PayloadCodec` it is.
    static func forwardable(_ codec: SDPCodec, kind: MediaKind, capabilities: MediaCapabilities) -> PayloadCodec? {
        guard !codec.isAuxiliary, let payload = PayloadCodec(encodingName: codec.name), self.kind(of: payload) == kind else { return nil }
        let allowed = kind == .audio ? capabilities.audioCodecs : capabilities.videoCodecs
        guard allowed.contains(payload) else { return nil }
        switch payload {
        case .opus:
            guard codec.clockRate == 48000 else { return nil }
        case .vp8:
            guard codec.clockRate == 90000 else { return nil }
        case .vp9:
            // Why: profile 2 is 10-bit; most receivers cannot decode it, and the router does not mix profiles.
            guard codec.clockRate == 90000, (codec.parameter("profile-id") ?? "0") == "0" else { return nil }
        case .h264:
            // Why: Podium forwards FU-A/STAP-A (RFC 6184 mode 1), what every browser sends.
            guard codec.clockRate == 90000, codec.parameter("packetization-mode") == "1" else { return nil }
        case .av1:
            guard codec.clockRate == 90000, (codec.parameter("profile") ?? "0") == "0" else { return nil }
        }
        return payload
    }

    /// 0 for constrained baseline (what every decoder takes), 1 for baseline or no
    /// profile-level-id (RFC 6184 default 42000a), 2 for other profiles.
    static func h264ProfileRank(_ codec: SDPCodec) -> Int {
        guard let p = codec.parameter("profile-level-id")?.lowercased() else { return 1 }
        if p.hasPrefix("42e0") || p.hasPrefix("4240") { return 0 }
        if p.hasPrefix("4200") { return 1 }
        return 2
    }

    /// Names of the media codecs of an m-line, for error messages ("VP8, H264, H265").
    static func offeredNames(_ m: MediaDescription) -> [String] {
        var names: [String] = []
        for c in m.codecs where !c.isAuxiliary && !names.contains(c.name) { names.append(c.name) }
        return names
    }

    static func feedback(of codec: SDPCodec) -> RTCPFeedbackSet {
        var set: RTCPFeedbackSet = []
        for fb in codec.feedback { if let f = feedback(fb) { set.insert(f) } }
        return set
    }

    static func feedback(_ fb: SDPRTCPFeedback) -> RTCPFeedbackSet? {
        switch (fb.type.lowercased(), fb.parameter?.lowercased()) {
        case ("nack", nil): .nack
        case ("nack", "pli"): .pli
        case ("ccm", "fir"): .fir
        case ("transport-cc", nil): .transportCC
        case ("goog-remb", nil): .remb
        default: nil
        }
    }

    static func feedbackLines(_ set: RTCPFeedbackSet, payloadType: UInt8) -> [SDPAttribute] {
        var out: [SDPAttribute] = []
        // Order as browsers write it.
        if set.contains(.remb) { out.append(.rtcpFeedback(SDPRTCPFeedback(payloadType: payloadType, type: "goog-remb"))) }
        if set.contains(.transportCC) { out.append(.rtcpFeedback(SDPRTCPFeedback(payloadType: payloadType, type: "transport-cc"))) }
        if set.contains(.fir) { out.append(.rtcpFeedback(SDPRTCPFeedback(payloadType: payloadType, type: "ccm", parameter: "fir"))) }
        if set.contains(.nack) { out.append(.rtcpFeedback(SDPRTCPFeedback(payloadType: payloadType, type: "nack"))) }
        if set.contains(.pli) { out.append(.rtcpFeedback(SDPRTCPFeedback(payloadType: payloadType, type: "nack", parameter: "pli"))) }
        return out
    }

    /// The m-line's header extensions (session-level ones included, RFC 8285 §8) whose URI is in
    /// `capabilities`, with the offer's ids.
    static func acceptedExtensions(_ m: MediaDescription, in description: SessionDescription,
                                   capabilities: MediaCapabilities) -> [SDPExtMap] {
        var out: [SDPExtMap] = []
        var ids = Set<UInt8>(), uris = Set<String>()
        for e in m.headerExtensions + description.headerExtensions
        where capabilities.headerExtensions.contains(e.uri) && e.direction != .inactive {
            guard ids.insert(e.id).inserted, uris.insert(e.uri).inserted else { continue }
            out.append(SDPExtMap(id: e.id, direction: e.direction?.reversed, uri: e.uri))
        }
        return out
    }

    /// The codec lines of one negotiated codec (rtpmap, rtcp-fb, fmtp, then its RTX).
    static func codecLines(_ c: NegotiatedCodec, name: String) -> (formats: [String], attributes: [SDPAttribute]) {
        var formats = [String(c.payloadType)]
        var attributes: [SDPAttribute] = [
            .rtpmap(SDPRTPMap(payloadType: c.payloadType, encodingName: name, clockRate: c.clockRate, channels: c.channels)),
        ]
        attributes += feedbackLines(c.feedback, payloadType: c.payloadType)
        if !c.parameters.isEmpty {
            attributes.append(.fmtp(SDPFormatParameters(payloadType: c.payloadType, parameters: c.parameters)))
        }
        if let rtx = c.rtxPayloadType {
            formats.append(String(rtx))
            attributes.append(.rtpmap(SDPRTPMap(payloadType: rtx, encodingName: "rtx", clockRate: c.clockRate)))
            attributes.append(.fmtp(SDPFormatParameters(payloadType: rtx, parameters: [SDPFormatParameter(key: "apt", value: String(c.payloadType))])))
        }
        return (formats, attributes)
    }

    /// The negotiated form of an offered codec: its payload types, fmtp, RTX when offered, and the
    /// feedback both sides support.
    static func negotiated(_ c: SDPCodec, as payload: PayloadCodec, in m: MediaDescription,
                           capabilities: MediaCapabilities) -> NegotiatedCodec {
        var rtx: UInt8? = nil
        if let pt = c.rtxPayloadType, let r = m.codec(payloadType: pt), r.clockRate == c.clockRate { rtx = pt }
        return NegotiatedCodec(codec: payload, payloadType: c.payloadType, clockRate: c.clockRate,
                               channels: payload == .opus ? (c.channels ?? 2) : c.channels,
                               parameters: c.parameters, rtxPayloadType: rtx,
                               feedback: feedback(of: c).intersection(capabilities.feedback))
    }

    /// ice-ufrag/pwd, fingerprint, setup, host candidates and end-of-candidates of Podium's end,
    /// repeated in every accepted m-line (what `TransportAnswer` does, and what aiortc and
    /// browsers accept for a BUNDLE answer).
    static func transportAttributes(_ local: LocalTransportDescription, setup: SDPSetup) -> [SDPAttribute] {
        var attributes: [SDPAttribute] = [
            .iceUfrag(local.iceUfrag), .icePwd(local.icePwd), .fingerprint(local.fingerprint), .setup(setup),
        ]
        for (i, c) in local.candidateList.enumerated() {
            // Why this priority: RFC 8445 §5.1.2.1 with host type preference 126, local preference
            // descending by order, component 1.
            let priority = UInt32(126) << 24 | UInt32(65535 - min(i, 65535)) << 8 | UInt32(255)
            attributes.append(.candidate(ICECandidate(foundation: "\(i + 1)", priority: priority, address: c.ip,
                                                      port: c.port, type: .host)))
        }
        attributes.append(.endOfCandidates)
        return attributes
    }

    /// An accepted m-line's m= line and c= line for Podium's first candidate.
    static func acceptedMedia(kind: SDPMediaKind, proto: String, formats: [String], local: LocalTransportDescription,
                              attributes: [SDPAttribute]) -> MediaDescription {
        let ip = local.candidateList.first?.ip ?? "0.0.0.0"
        let addressType = ip.contains(":") ? "IP6" : "IP4"
        return MediaDescription(kind: kind, port: local.candidateList.first?.port ?? 9, proto: proto, formats: formats,
                                connections: [SDPConnection(addressType: addressType, address: ip)], attributes: attributes)
    }

    /// A rejected m-line (port 0) in place of `m`, keeping its mid.
    static func rejectedMedia(_ m: MediaDescription) -> MediaDescription {
        var attributes: [SDPAttribute] = []
        if let mid = m.mid { attributes.append(.mid(mid)) }
        attributes.append(.direction(.inactive))
        return MediaDescription(kind: m.kind, port: 0, proto: m.proto, formats: m.formats.isEmpty ? ["0"] : m.formats,
                                connections: [SDPConnection(address: "0.0.0.0")], attributes: attributes)
    }

    /// Session-level attributes of Podium's description.
    static func sessionAttributes(bundled: [String], extmapAllowMixed: Bool) -> [SDPAttribute] {
        var attributes: [SDPAttribute] = []
        if !bundled.isEmpty { attributes.append(.group(SDPGroup(semantics: "BUNDLE", mids: bundled))) }
        attributes.append(.iceLite)
        if extmapAllowMixed { attributes.append(.extmapAllowMixed) }
        attributes.append(.msidSemantic(" WMS"))
        return attributes
    }

    /// Podium's answer to `offer` with these m-lines: session attributes (BUNDLE only when the
    /// offer bundles), version 1, size-checked.
    static func answer(to offer: SessionDescription, media: [MediaDescription], bundled: [String],
                       sessionID: UInt64) throws(NegotiationError) -> SessionDescription {
        let attributes = sessionAttributes(bundled: offer.bundleGroup == nil ? [] : bundled,
                                           extmapAllowMixed: isExtmapAllowMixed(offer))
        let answer = SessionDescription(origin: SDPOrigin(username: "podium", sessionID: sessionID, sessionVersion: 1),
                                        sessionName: "-", attributes: attributes, media: media)
        try checkOutputSize(answer)
        return answer
    }

    static func isExtmapAllowMixed(_ description: SessionDescription) -> Bool {
        description.isExtmapAllowMixed || description.media.contains { $0.isExtmapAllowMixed }
    }

    /// `text` as an SDP token (visible ASCII, no spaces, at most 64 bytes): msid ids come from the
    /// API's caller and must not break the description they go into.
    static func token(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars.prefix(64) { out.unicodeScalars.append(u.value > 0x20 && u.value < 0x7F ? u : "-") }
        return out.isEmpty ? "-" : out
    }

    static func dtlsRole(for setup: SDPSetup) -> DTLSSession.Role { setup == .active ? .client : .server }
}

/// Random SSRCs unique on one transport, and CNAMEs.
struct SSRCAllocator {
    private(set) var used: Set<UInt32>

    init(avoiding used: Set<UInt32> = []) { self.used = used }

    mutating func next<G: RandomNumberGenerator>(using generator: inout G) -> UInt32 {
        while true {
            let s = UInt32.random(in: 1...UInt32.max, using: &generator)
            if used.insert(s).inserted { return s }
        }
    }

    static func cname<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var s = ""
        for _ in 0..<16 { s.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]) }
        return s
    }
}
