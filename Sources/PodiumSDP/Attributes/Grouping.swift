/// Media grouping (RFC 5888 §5; BUNDLE RFC 9143) and MediaStream ids (RFC 8830 §2).
///
///     a=group:<semantics> *(SP <mid>)
///     a=msid:<stream id> [<track id>]
///     a=msid-semantic: WMS <stream id>...      (legacy, kept as written)
///
///     a=group:BUNDLE 0 1
///     a=msid:3e58bc7f-3c79-46af-b77c-7aefccd7be02 c274e454-d63f-416d-b471-e219337269e8
public struct SDPGroup: Sendable, Hashable, CustomStringConvertible {
    /// "BUNDLE", "LS", "FID"…
    public var semantics: String
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard let first = words.first else { throw SDPError(.malformed, "a=group needs '<semantics> <mid>...'") }
        try sdpRequireListSize(words.count, "a=group")
        semantics = try sdpRequireToken(first, "a=group semantics", maxLength: 32)
        var mids: [String] = []
        for w in words.dropFirst() { mids.append(try sdpRequireToken(w, "a=group mid")) }
        self.mids = mids
    }

    public var isBundle: Bool { semantics == "BUNDLE" }
    public var attributeValue: String { ([semantics] + mids).joined(separator: " ") }
    public var description: String { attributeValue }
}

/// The MediaStream and track a media section belongs to (RFC 8830 §2).
public struct SDPMSID: Sendable, Hashable, CustomStringConvertible {
    /// "-" when the track belongs to no stream.
    public var streamID: String
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard words.count == 1 || words.count == 2 else { throw SDPError(.malformed, "a=msid needs '<stream id> [<track id>]'") }
        streamID = try sdpRequireToken(words[0], "a=msid stream id")
        trackID = words.count == 2 ? try sdpRequireToken(words[1], "a=msid track id") : nil
    }

    public var attributeValue: String { trackID.map { "\(streamID) \($0)" } ?? streamID }
    public var description: String { attributeValue }
}

/// Source-specific attributes (RFC 5576 §4.1, §4.2).
///
///     a=ssrc:<ssrc> <attribute>[:<value>]
///     a=ssrc-group:<semantics> <ssrc>...
///
///     a=ssrc:3983790210 cname:KIUyhQkFPXu3Xca6
///     a=ssrc-group:FID 2861615566 2548379711
public struct SDPSSRCAttribute: Sendable, Hashable, CustomStringConvertible {
    public var ssrc: UInt32
    /// "cname", "msid", "mslabel", "label"…
    public var attribute: String
    /// Everything after the first ':', as written; nil without one.
    public var value: String?

    public init(ssrc: UInt32, attribute: String, value: String? = nil) {
        self.ssrc = ssrc
        self.attribute = attribute
        self.value = value
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let v = value.sdpTrimmed
        guard let (ssrcText, rest) = v.sdpSplitOnce(UInt8(ascii: " ")) else {
            throw SDPError(.malformed, "a=ssrc needs '<ssrc> <attribute>[:<value>]'")
        }
        ssrc = try sdpRequireNumber(ssrcText, UInt32(0)...UInt32.max, "a=ssrc ssrc")
        let r = rest.sdpTrimmed
        if let (name, val) = r.sdpSplitOnce(UInt8(ascii: ":")) {
            attribute = try sdpRequireToken(name, "a=ssrc attribute name", maxLength: 64)
            self.value = String(val)
        } else {
            attribute = try sdpRequireToken(r, "a=ssrc attribute name", maxLength: 64)
            self.value = nil
        }
    }

    public var attributeValue: String { "\(ssrc) \(attribute)" + (value.map { ":\($0)" } ?? "") }
    public var description: String { attributeValue }
}

public struct SDPSSRCGroup: Sendable, Hashable, CustomStringConvertible {
    /// "FID" (RTX, RFC 4588), "SIM" (simulcast), "FEC-FR" (RFC 5956)…
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard words.count >= 2 else { throw SDPError(.malformed, "a=ssrc-group needs '<semantics> <ssrc>...'") }
        try sdpRequireListSize(words.count, "a=ssrc-group")
        semantics = try sdpRequireToken(words[0], "a=ssrc-group semantics", maxLength: 32)
        var ssrcs: [UInt32] = []
        for w in words.dropFirst() { ssrcs.append(try sdpRequireNumber(w, UInt32(0)...UInt32.max, "a=ssrc-group ssrc")) }
        self.ssrcs = ssrcs
    }

    public var attributeValue: String { ([semantics] + ssrcs.map(String.init)).joined(separator: " ") }
    public var description: String { attributeValue }
}

/// Where RTCP goes when not muxed (RFC 3605 §2.1).
///
///     a=rtcp:<port> [<nettype> <addrtype> <address>]
///     a=rtcp:9 IN IP4 0.0.0.0
public struct SDPRTCPAddress: Sendable, Hashable {
    public var port: UInt16
    public var connection: SDPConnection?

    public init(port: UInt16, connection: SDPConnection? = nil) {
        self.port = port
        self.connection = connection
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard words.count == 1 || words.count == 4 else { throw SDPError(.malformed, "a=rtcp needs '<port> [IN IP4 <address>]'") }
        port = try sdpRequireNumber(words[0], UInt16(0)...UInt16.max, "a=rtcp port")
        connection = words.count == 4 ? try SDPConnection(words: Array(words[1...]), field: "a=rtcp") : nil
    }

    public var attributeValue: String { connection.map { "\(port) \($0.lineValue)" } ?? "\(port)" }
}

/// One RTCP XR block format offered (RFC 3611 §5.1), e.g. `rcvr-rtt=all`.
public struct SDPRTCPXRFormat: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var value: String?
    public init(name: String, value: String? = nil) { self.name = name; self.value = value }

    static func parseList(_ value: Substring) throws(SDPError) -> [SDPRTCPXRFormat] {
        let words = value.sdpWords
        try sdpRequireListSize(words.count, "a=rtcp-xr")
        var out: [SDPRTCPXRFormat] = []
        for w in words {
            if let (n, v) = w.sdpSplitOnce(UInt8(ascii: "=")) {
                out.append(SDPRTCPXRFormat(name: try sdpRequireToken(n, "a=rtcp-xr format", maxLength: 64), value: String(v)))
            } else {
                out.append(SDPRTCPXRFormat(name: try sdpRequireToken(w, "a=rtcp-xr format", maxLength: 64)))
            }
        }
        return out
    }

    public var description: String { value.map { "\(name)=\($0)" } ?? name }
}
