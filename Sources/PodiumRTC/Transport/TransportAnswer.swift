import PodiumSDP

/// What Podium puts into an answer about its own end of a transport: ICE-lite credentials, the
/// DTLS certificate fingerprint and role, and the host candidates of the worker's UDP port.
public struct LocalTransportDescription: Sendable, Hashable {
    public var iceUfrag: String
    public var icePwd: String
    public var fingerprint: SDPFingerprint
    /// The addresses announced as host candidates (the announced IP, not necessarily the bound one).
    public var candidates: [(ip: String, port: UInt16)] { candidateList.map { ($0.ip, $0.port) } }
    var candidateList: [Candidate]

    struct Candidate: Sendable, Hashable {
        var ip: String
        var port: UInt16
    }

    public init(iceUfrag: String, icePwd: String, fingerprint: SDPFingerprint, candidates: [(ip: String, port: UInt16)]) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.candidateList = candidates.map { Candidate(ip: $0.ip, port: $0.port) }
    }
}

/// What the offer says about the remote end of the transport.
public struct RemoteTransportDescription: Sendable, Hashable {
    public var iceUfrag: String
    public var icePwd: String
    public var fingerprints: [SDPFingerprint]
    /// The offer's a=setup (actpass when absent, RFC 8842 §5.2).
    public var setup: SDPSetup
    public var candidates: [ICECandidate]
}

/// Why an offer cannot be answered, worded for whoever sent it.
public struct NegotiationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The DTLS role Podium takes in an answer.
public enum AnswerDTLSRole: Sendable, Hashable {
    /// `a=setup:passive` (Podium is the DTLS server) unless the offer is `passive`. What browsers expect.
    case automatic
    /// Podium is the DTLS server (`a=setup:passive`); needs an offer with `actpass` or `active`.
    case server
    /// Podium is the DTLS client (`a=setup:active`); needs an offer with `actpass` or `passive`.
    case client
}

/// A deliberately small JSEP answerer for one bundled WebRTC transport: enough to connect real
/// peers (browsers, aiortc, GStreamer) and receive their Opus and VP8 media. The full negotiation —
/// every codec the router forwards, simulcast, RTX for all codecs, per-consumer payload types — is
/// the router's (issue 4); this one accepts the first Opus and the first VP8 codec of each m-line
/// with their RTX and feedback, the header extensions Podium reads, and rejects everything else.
public enum TransportAnswer {
    /// Header extensions accepted in answers: the ones Podium reads or rewrites.
    public static let acceptedExtensions: Set<String> = [
        SDPExtensionURI.mid, SDPExtensionURI.rtpStreamID, SDPExtensionURI.repairedRTPStreamID,
        SDPExtensionURI.audioLevel, SDPExtensionURI.absSendTime, SDPExtensionURI.transportWideCC,
    ]
    /// RTCP feedback accepted in answers (by type and parameter).
    static let acceptedFeedback: Set<String> = ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"]

    /// Parses the remote transport parameters of a BUNDLE offer (from its first bundled m-line).
    public static func remoteDescription(of offer: SessionDescription) throws(NegotiationError) -> RemoteTransportDescription {
        guard let first = offer.media.first(where: { !$0.isRejected }) else {
            throw NegotiationError("the offer has no m-line that is not rejected")
        }
        guard let ufrag = offer.iceUfrag(of: first), let pwd = offer.icePwd(of: first) else {
            throw NegotiationError("the offer has no a=ice-ufrag/a=ice-pwd")
        }
        let fingerprints = offer.fingerprints(of: first)
        guard !fingerprints.isEmpty else { throw NegotiationError("the offer has no a=fingerprint (DTLS-SRTP is required)") }
        let setup = offer.setup(of: first) ?? .actpass
        return RemoteTransportDescription(iceUfrag: ufrag, icePwd: pwd, fingerprints: fingerprints, setup: setup,
                                          candidates: offer.media.flatMap(\.candidates))
    }

    /// The a=setup Podium answers with, or an error if the offer leaves no compatible role.
    public static func answerSetup(offer: SDPSetup, role: AnswerDTLSRole) throws(NegotiationError) -> SDPSetup {
        switch (role, offer) {
        case (.automatic, _) where offer != .holdconn: return offer.answer
        case (.server, .actpass), (.server, .active): return .passive
        case (.client, .actpass), (.client, .passive): return .active
        default: throw NegotiationError("offer a=setup:\(offer.rawValue) leaves no DTLS role for Podium (\(role))")
        }
    }

    /// Builds the answer. Podium receives what the offer sends (sendonly/sendrecv → recvonly) and
    /// sends nothing yet.
    public static func answer(_ offer: SessionDescription, local: LocalTransportDescription,
                              role: AnswerDTLSRole = .automatic, sessionID: UInt64) throws(NegotiationError) -> SessionDescription {
        let remote = try remoteDescription(of: offer)
        let setup = try answerSetup(offer: remote.setup, role: role)
        var media: [MediaDescription] = []
        var bundled: [String] = []
        for (index, m) in offer.media.enumerated() {
            guard let mid = m.mid else { throw NegotiationError("m-line \(index) has no a=mid (unified plan and BUNDLE need one)") }
            if let accepted = acceptMedia(m, mid: mid, offer: offer, local: local, setup: setup) {
                media.append(accepted)
                bundled.append(mid)
            } else {
                media.append(MediaDescription(kind: m.kind, port: 0, proto: m.proto, formats: m.formats,
                                              connections: [SDPConnection(address: "0.0.0.0")], attributes: [.mid(mid)]))
            }
        }
        guard !bundled.isEmpty else { throw NegotiationError("the offer has no Opus audio or VP8 video m-line Podium can receive") }
        var attributes: [SDPAttribute] = [.group(SDPGroup(semantics: "BUNDLE", mids: bundled)), .iceLite, .msidSemantic("WMS")]
        if offer.isExtmapAllowMixed { attributes.append(.extmapAllowMixed) }
        let origin = SDPOrigin(username: "podium", sessionID: sessionID, sessionVersion: 1)
        return SessionDescription(origin: origin, sessionName: "-", attributes: attributes, media: media)
    }

    static func acceptMedia(_ m: MediaDescription, mid: String, offer: SessionDescription,
                            local: LocalTransportDescription, setup: SDPSetup) -> MediaDescription? {
        guard m.isRTP, !m.isRejected, offer.isBundled(m) || offer.media.count == 1 else { return nil }
        let wanted: String
        switch m.kind {
        case .audio: wanted = "opus"
        case .video: wanted = "vp8"
        default: return nil
        }
        guard let codec = m.codecs.first(where: { $0.isNamed(wanted) }) else { return nil }
        let direction = offer.direction(of: m)
        guard direction.sends else { return nil } // Podium has nothing to send on this transport yet.

        var attributes: [SDPAttribute] = [
            .mid(mid), .iceUfrag(local.iceUfrag), .icePwd(local.icePwd), .fingerprint(local.fingerprint), .setup(setup),
        ]
        for (i, c) in local.candidateList.enumerated() {
            let type = ICECandidateType(rawValue: "host")
            // Why this priority: RFC 8445 §5.1.2.1 with host type preference 126, local preference
            // descending by order, component 1.
            let priority = UInt32(126) << 24 | UInt32(65535 - i) << 8 | UInt32(255)
            attributes.append(.candidate(ICECandidate(foundation: "\(i + 1)", priority: priority, address: c.ip,
                                                      port: c.port, type: type)))
        }
        attributes.append(.endOfCandidates)
        attributes.append(.direction(direction.reversed == .sendrecv ? .recvonly : direction.reversed))
        attributes.append(.rtcpMux)
        if m.isRTCPReducedSize { attributes.append(.rtcpReducedSize) }
        for ext in m.headerExtensions where acceptedExtensions.contains(ext.uri) {
            attributes.append(.extmap(SDPExtMap(id: ext.id, uri: ext.uri)))
        }
        var formats = [String(codec.payloadType)]
        attributes.append(.rtpmap(SDPRTPMap(payloadType: codec.payloadType, encodingName: codec.name,
                                           clockRate: codec.clockRate, channels: codec.channels)))
        for fb in codec.feedback where acceptedFeedback.contains(fb.description) {
            attributes.append(.rtcpFeedback(SDPRTCPFeedback(payloadType: codec.payloadType, type: fb.type, parameter: fb.parameter)))
        }
        if !codec.parameters.isEmpty {
            attributes.append(.fmtp(SDPFormatParameters(payloadType: codec.payloadType, parameters: codec.parameters)))
        }
        if let rtx = codec.rtxPayloadType, m.codec(payloadType: rtx) != nil {
            formats.append(String(rtx))
            attributes.append(.rtpmap(SDPRTPMap(payloadType: rtx, encodingName: "rtx", clockRate: codec.clockRate)))
            attributes.append(.fmtp(SDPFormatParameters(payloadType: rtx, parameters: [SDPFormatParameter(key: "apt", value: String(codec.payloadType))])))
        }
        let ip = local.candidateList.first?.ip ?? "0.0.0.0"
        let addressType = ip.contains(":") ? "IP6" : "IP4"
        return MediaDescription(kind: m.kind, port: local.candidateList.first?.port ?? 9, proto: m.proto, formats: formats,
                                connections: [SDPConnection(addressType: addressType, address: ip)], attributes: attributes)
    }
}
