/// One `a=` line (RFC 8866 §5.13), typed where Podium negotiates it, kept verbatim otherwise.
///
///     a=<attribute name>[:<attribute value>]
///
/// The same enum serves the session and the media level: several attributes (direction, ICE and DTLS
/// parameters, extmap) may appear at either (RFC 8866 §6, RFC 8839 §5, RFC 8842 §5, RFC 8285 §8).
public enum SDPAttribute: Sendable, Hashable, CustomStringConvertible {
    case group(SDPGroup)
    /// Legacy `a=msid-semantic`, kept as written after the colon (Chromium writes ": WMS …").
    case msidSemantic(String)
    case extmapAllowMixed
    case iceLite
    case iceUfrag(String)
    case icePwd(String)
    case iceOptions([String])
    case candidate(ICECandidate)
    case endOfCandidates
    case fingerprint(SDPFingerprint)
    case setup(SDPSetup)
    case mid(String)
    case direction(SDPDirection)
    case rtcp(SDPRTCPAddress)
    case rtcpMux
    case rtcpMuxOnly
    case rtcpReducedSize
    case rtcpXR([SDPRTCPXRFormat])
    case rtpmap(SDPRTPMap)
    case fmtp(SDPFormatParameters)
    case rtcpFeedback(SDPRTCPFeedback)
    case extmap(SDPExtMap)
    case ssrc(SDPSSRCAttribute)
    case ssrcGroup(SDPSSRCGroup)
    case msid(SDPMSID)
    case simulcast(SDPSimulcast)
    case rid(SDPRID)
    case sctpPort(UInt16)
    case maxMessageSize(UInt64)
    /// Anything else, exactly as written (`value` is nil without a colon).
    case other(name: String, value: String?)

    /// Parses the text after `a=`. `payloadTypesTyped` is false at the session level and in
    /// non-RTP sections, where rtpmap/fmtp/rtcp-fb formats are not payload types and stay `.other`.
    init(parsing text: Substring, payloadTypesTyped: Bool) throws(SDPError) {
        let name: Substring, value: Substring?
        if let (n, v) = text.sdpSplitOnce(UInt8(ascii: ":")) { (name, value) = (n, v) } else { (name, value) = (text, nil) }
        guard !name.isEmpty else { throw SDPError(.malformed, "a= line without an attribute name") }

        func flag(_ a: SDPAttribute) throws(SDPError) -> SDPAttribute {
            guard value == nil else { throw SDPError(.malformed, "a=\(name) takes no value") }
            return a
        }
        func required() throws(SDPError) -> Substring {
            guard let value else { throw SDPError(.malformed, "a=\(name) needs a value") }
            return value
        }
        func single(_ field: String) throws(SDPError) -> Substring {
            let words = try required().sdpWords
            guard words.count == 1 else { throw SDPError(.malformed, "a=\(name) needs exactly one \(field)") }
            return words[0]
        }

        switch name {
        case "group": self = .group(try SDPGroup(attributeValue: try required()))
        case "msid-semantic": self = .msidSemantic(String(try required()))
        case "extmap-allow-mixed": self = try flag(.extmapAllowMixed)
        case "ice-lite": self = try flag(.iceLite)
        case "ice-ufrag": self = .iceUfrag(try sdpRequireToken(try single("username fragment"), "a=ice-ufrag"))
        case "ice-pwd": self = .icePwd(try sdpRequireToken(try single("password"), "a=ice-pwd"))
        case "ice-options":
            let words = try required().sdpWords
            guard !words.isEmpty else { throw SDPError(.malformed, "a=ice-options needs at least one option") }
            try sdpRequireListSize(words.count, "a=ice-options")
            var options: [String] = []
            for w in words { options.append(try sdpRequireToken(w, "a=ice-options option", maxLength: 64)) }
            self = .iceOptions(options)
        case "candidate": self = .candidate(try ICECandidate(attributeValue: try required()))
        case "end-of-candidates": self = try flag(.endOfCandidates)
        case "fingerprint": self = .fingerprint(try SDPFingerprint(attributeValue: try required()))
        case "setup":
            let w = try single("role")
            guard let s = SDPSetup(rawValue: String(w)) else {
                throw SDPError(.malformed, "a=setup '\(w.sdpExcerpt)' is not actpass, active, passive or holdconn")
            }
            self = .setup(s)
        case "mid": self = .mid(try sdpRequireToken(try single("identification tag"), "a=mid"))
        case "sendrecv", "sendonly", "recvonly", "inactive": self = try flag(.direction(SDPDirection(rawValue: String(name))!))
        case "rtcp": self = .rtcp(try SDPRTCPAddress(attributeValue: try required()))
        case "rtcp-mux": self = try flag(.rtcpMux)
        case "rtcp-mux-only": self = try flag(.rtcpMuxOnly)
        case "rtcp-rsize": self = try flag(.rtcpReducedSize)
        case "rtcp-xr": self = .rtcpXR(try SDPRTCPXRFormat.parseList(value ?? ""))
        case "rtpmap" where payloadTypesTyped: self = .rtpmap(try SDPRTPMap(attributeValue: try required()))
        case "fmtp" where payloadTypesTyped: self = .fmtp(try SDPFormatParameters(attributeValue: try required()))
        case "rtcp-fb" where payloadTypesTyped: self = .rtcpFeedback(try SDPRTCPFeedback(attributeValue: try required()))
        case "extmap": self = .extmap(try SDPExtMap(attributeValue: try required()))
        case "ssrc": self = .ssrc(try SDPSSRCAttribute(attributeValue: try required()))
        case "ssrc-group": self = .ssrcGroup(try SDPSSRCGroup(attributeValue: try required()))
        case "msid": self = .msid(try SDPMSID(attributeValue: try required()))
        case "simulcast": self = .simulcast(try SDPSimulcast(attributeValue: try required()))
        case "rid": self = .rid(try SDPRID(attributeValue: try required()))
        case "sctp-port": self = .sctpPort(try sdpRequireNumber(try single("port"), UInt16(0)...UInt16.max, "a=sctp-port"))
        case "max-message-size": self = .maxMessageSize(try sdpRequireNumber(try single("size"), UInt64(0)...UInt64.max, "a=max-message-size"))
        default: self = .other(name: String(name), value: value.map(String.init))
        }
    }

    /// The attribute name (`rtpmap`, `candidate`, …).
    public var name: String {
        switch self {
        case .group: "group"
        case .msidSemantic: "msid-semantic"
        case .extmapAllowMixed: "extmap-allow-mixed"
        case .iceLite: "ice-lite"
        case .iceUfrag: "ice-ufrag"
        case .icePwd: "ice-pwd"
        case .iceOptions: "ice-options"
        case .candidate: "candidate"
        case .endOfCandidates: "end-of-candidates"
        case .fingerprint: "fingerprint"
        case .setup: "setup"
        case .mid: "mid"
        case .direction(let d): d.rawValue
        case .rtcp: "rtcp"
        case .rtcpMux: "rtcp-mux"
        case .rtcpMuxOnly: "rtcp-mux-only"
        case .rtcpReducedSize: "rtcp-rsize"
        case .rtcpXR: "rtcp-xr"
        case .rtpmap: "rtpmap"
        case .fmtp: "fmtp"
        case .rtcpFeedback: "rtcp-fb"
        case .extmap: "extmap"
        case .ssrc: "ssrc"
        case .ssrcGroup: "ssrc-group"
        case .msid: "msid"
        case .simulcast: "simulcast"
        case .rid: "rid"
        case .sctpPort: "sctp-port"
        case .maxMessageSize: "max-message-size"
        case .other(let name, _): name
        }
    }

    /// The text after the colon; nil for property attributes.
    public var value: String? {
        switch self {
        case .group(let g): g.attributeValue
        case .msidSemantic(let s): s
        case .extmapAllowMixed, .iceLite, .endOfCandidates, .direction, .rtcpMux, .rtcpMuxOnly, .rtcpReducedSize: nil
        case .iceUfrag(let s), .icePwd(let s), .mid(let s): s
        case .iceOptions(let o): o.joined(separator: " ")
        case .candidate(let c): c.attributeValue
        case .fingerprint(let f): f.attributeValue
        case .setup(let s): s.rawValue
        case .rtcp(let r): r.attributeValue
        case .rtcpXR(let x): x.map(\.description).joined(separator: " ")
        case .rtpmap(let m): m.attributeValue
        case .fmtp(let f): f.attributeValue
        case .rtcpFeedback(let f): f.attributeValue
        case .extmap(let e): e.attributeValue
        case .ssrc(let s): s.attributeValue
        case .ssrcGroup(let g): g.attributeValue
        case .msid(let m): m.attributeValue
        case .simulcast(let s): s.attributeValue
        case .rid(let r): r.attributeValue
        case .sctpPort(let p): "\(p)"
        case .maxMessageSize(let s): "\(s)"
        case .other(_, let value): value
        }
    }

    /// The whole line without CRLF: `a=name[:value]`.
    public var description: String { value.map { "a=\(name):\($0)" } ?? "a=\(name)" }
}
