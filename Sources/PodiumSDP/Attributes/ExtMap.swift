/// RTP header extension mapping (RFC 8285 §8).
///
///     a=extmap:<id>[/<direction>] <URI> [<extension attributes>]
///
///     a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
///     a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on
public struct SDPExtMap: Sendable, Hashable, CustomStringConvertible {
    /// 1...14 fit the one-byte header form, 16...255 need the two-byte form (RFC 8285 §4.2: 15 is
    /// reserved in the one-byte form, so it also needs the two-byte form).
    public var id: UInt8
    public var direction: SDPDirection?
    public var uri: String
    /// Extension attributes after the URI, word by word.
    public var attributes: [String]

    public init(id: UInt8, direction: SDPDirection? = nil, uri: String, attributes: [String] = []) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.attributes = attributes
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard words.count >= 2 else { throw SDPError(.malformed, "a=extmap needs '<id>[/<direction>] <URI>'") }
        try sdpRequireListSize(words.count, "a=extmap")
        let idText: Substring
        if let (i, d) = words[0].sdpSplitOnce(UInt8(ascii: "/")) {
            idText = i
            guard let dir = SDPDirection(rawValue: String(d)) else {
                throw SDPError(.malformed, "a=extmap direction '\(d.sdpExcerpt)' is not sendrecv, sendonly, recvonly or inactive")
            }
            direction = dir
        } else {
            idText = words[0]
            direction = nil
        }
        guard let id = sdpNumber(idText, UInt8(1)...255) else {
            throw SDPError(.invalidExtensionID, "a=extmap id '\(idText.sdpExcerpt)' is not in 1...255")
        }
        self.id = id
        uri = try sdpRequireToken(words[1], "a=extmap URI", maxLength: 1024)
        attributes = words.dropFirst(2).map(String.init)
    }

    /// Whether the one-byte header form (RFC 8285 §4.2) can carry this id.
    public var fitsOneByteHeader: Bool { id >= 1 && id <= 14 }

    public var attributeValue: String {
        var s = "\(id)"
        if let direction { s += "/\(direction.rawValue)" }
        s += " \(uri)"
        for a in attributes { s += " \(a)" }
        return s
    }

    /// "3 → http://…transport-wide-cc-extensions-01".
    public var description: String {
        "\(id)" + (direction.map { "/\($0.rawValue)" } ?? "") + " → " + uri
    }
}

/// Well-known header extension URIs.
public enum SDPExtensionURI {
    public static let mid = "urn:ietf:params:rtp-hdrext:sdes:mid"
    public static let rtpStreamID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    public static let repairedRTPStreamID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
    public static let audioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    public static let absSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    public static let transportWideCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    public static let transmissionOffset = "urn:ietf:params:rtp-hdrext:toffset"
    public static let videoOrientation = "urn:3gpp:video-orientation"
    public static let playoutDelay = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
    public static let dependencyDescriptor = "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension"
}

/// Media direction (RFC 8866 §6.7; RFC 3264 §5.1).
public enum SDPDirection: String, Sendable, Hashable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    /// The direction an answerer uses to mirror this offer (RFC 3264 §6.1).
    public var reversed: SDPDirection {
        switch self {
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        default: self
        }
    }
}
