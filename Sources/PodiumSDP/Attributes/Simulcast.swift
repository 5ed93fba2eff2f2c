/// Simulcast (RFC 8853 §5.1) and RTP stream restrictions (RFC 8851 §10).
///
///     a=simulcast:<send|recv> <stream>;<stream>... [<recv|send> <stream>;...]
///         stream = [~]<rid>,[~]<rid>...      ("," separates alternatives, "~" marks paused)
///     a=rid:<rid-id> <send|recv> [pt=<fmt>,<fmt>...][;<restriction>=<value>...]
///
///     a=rid:q send
///     a=simulcast:send q;h;f
///     a=rid:1 send pt=96;max-width=1280;max-height=720
///     a=simulcast:send 1;~2,3 recv 4
public struct SDPSimulcast: Sendable, Hashable, CustomStringConvertible {
    /// Streams sent by the offerer of this line; each is a list of alternatives.
    public var send: [[Alternative]]
    public var receive: [[Alternative]]

    /// One rid in a simulcast stream list.
    public struct Alternative: Sendable, Hashable, CustomStringConvertible {
        public var rid: String
        /// Written with a leading `~`: offered but paused.
        public var isPaused: Bool
        public init(rid: String, isPaused: Bool = false) { self.rid = rid; self.isPaused = isPaused }
        public var description: String { (isPaused ? "~" : "") + rid }
    }

    public init(send: [[Alternative]] = [], receive: [[Alternative]] = []) {
        self.send = send
        self.receive = receive
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard words.count == 2 || words.count == 4 else {
            throw SDPError(.malformed, "a=simulcast needs '<send|recv> <rid list> [<recv|send> <rid list>]'")
        }
        var send: [[Alternative]]? = nil, receive: [[Alternative]]? = nil
        var i = 0
        while i < words.count {
            let list = try Self.parseList(words[i + 1])
            switch words[i] {
            case "send" where send == nil: send = list
            case "recv" where receive == nil: receive = list
            default: throw SDPError(.malformed, "a=simulcast direction '\(words[i].sdpExcerpt)' must be send or recv, each at most once")
            }
            i += 2
        }
        self.send = send ?? []
        self.receive = receive ?? []
    }

    private static func parseList(_ text: Substring) throws(SDPError) -> [[Alternative]] {
        let streams = text.sdpSplit(UInt8(ascii: ";"))
        try sdpRequireListSize(streams.count, "a=simulcast stream list")
        var out: [[Alternative]] = []
        for stream in streams {
            var alternatives: [Alternative] = []
            for alt in stream.sdpSplit(UInt8(ascii: ",")) {
                let paused = alt.utf8.first == UInt8(ascii: "~")
                let rid = paused ? alt.dropFirst() : alt
                alternatives.append(Alternative(rid: try SDPRID.requireID(rid, "a=simulcast rid"), isPaused: paused))
            }
            try sdpRequireListSize(alternatives.count, "a=simulcast alternatives")
            out.append(alternatives)
        }
        return out
    }

    private static func format(_ list: [[Alternative]]) -> String {
        list.map { $0.map(\.description).joined(separator: ",") }.joined(separator: ";")
    }

    public var attributeValue: String {
        var parts: [String] = []
        if !send.isEmpty { parts.append("send " + Self.format(send)) }
        if !receive.isEmpty { parts.append("recv " + Self.format(receive)) }
        return parts.joined(separator: " ")
    }

    public var description: String { attributeValue }
}

/// One simulcast layer of a media section: a stream of the a=simulcast line with its a=rid.
public struct SDPSimulcastLayer: Sendable, Hashable, CustomStringConvertible {
    public var rid: String
    public var direction: SDPRID.Direction
    public var isPaused: Bool
    /// Position of the stream in its send or recv list (alternatives share it).
    public var streamIndex: Int
    /// The matching a=rid line, if any.
    public var restrictions: SDPRID?

    public var description: String {
        "\(isPaused ? "~" : "")\(rid) \(direction.rawValue)" + (restrictions.map { r in r.parameterText.isEmpty ? "" : " " + r.parameterText } ?? "")
    }
}

/// RTP stream identifier with restrictions (RFC 8851 §10).
public struct SDPRID: Sendable, Hashable, CustomStringConvertible {
    public enum Direction: String, Sendable, Hashable { case send, recv }

    public var id: String
    public var direction: Direction
    /// `pt=` formats this stream may use; empty when absent (any format of the section).
    public var payloadTypes: [UInt8]
    /// Other restrictions in order (max-width, max-height, max-fps, max-br, depend…).
    public var restrictions: [SDPFormatParameter]

    public init(id: String, direction: Direction, payloadTypes: [UInt8] = [], restrictions: [SDPFormatParameter] = []) {
        self.id = id
        self.direction = direction
        self.payloadTypes = payloadTypes
        self.restrictions = restrictions
    }

    /// rid-id = 1*(alpha-numeric / "-" / "_") (RFC 8851 §10).
    static func requireID(_ text: Substring, _ field: String) throws(SDPError) -> String {
        guard !text.isEmpty, text.utf8.count <= SDPLimits.maxIdentifierLength, text.utf8.allSatisfy({ c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
        }) else {
            throw SDPError(.malformed, "\(field) '\(text.sdpExcerpt)' must be letters, digits, '-' or '_'")
        }
        return String(text)
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard words.count == 2 || words.count == 3 else {
            throw SDPError(.malformed, "a=rid needs '<rid-id> <send|recv> [<restrictions>]'")
        }
        id = try Self.requireID(words[0], "a=rid id")
        guard let d = Direction(rawValue: String(words[1])) else {
            throw SDPError(.malformed, "a=rid direction '\(words[1].sdpExcerpt)' must be send or recv")
        }
        direction = d
        payloadTypes = []
        restrictions = []
        guard words.count == 3 else { return }
        let params = words[2].sdpSplit(UInt8(ascii: ";"))
        try sdpRequireListSize(params.count, "a=rid restrictions")
        for (i, param) in params.enumerated() {
            guard let (k, v) = param.sdpSplitOnce(UInt8(ascii: "=")) else {
                throw SDPError(.malformed, "a=rid restriction '\(param.sdpExcerpt)' must be '<name>=<value>'")
            }
            if k == "pt" {
                guard i == 0 else { throw SDPError(.malformed, "a=rid pt= must come first") }
                let pts = v.sdpSplit(UInt8(ascii: ","))
                try sdpRequireListSize(pts.count, "a=rid pt")
                for p in pts { payloadTypes.append(try sdpRequirePayloadType(p)) }
            } else {
                restrictions.append(SDPFormatParameter(key: try sdpRequireToken(k, "a=rid restriction name", maxLength: 64),
                                                       value: try sdpRequireToken(v, "a=rid restriction value", maxLength: 64)))
            }
        }
    }

    public func restriction(_ name: String) -> String? { restrictions.first { $0.key == name }?.value }
    public var maxWidth: UInt32? { restriction("max-width").flatMap { sdpNumber(Substring($0), UInt32(0)...UInt32.max) } }
    public var maxHeight: UInt32? { restriction("max-height").flatMap { sdpNumber(Substring($0), UInt32(0)...UInt32.max) } }
    public var maxBitrate: UInt32? { restriction("max-br").flatMap { sdpNumber(Substring($0), UInt32(0)...UInt32.max) } }
    /// max-fps may be fractional ("29.97").
    public var maxFramerate: Double? { restriction("max-fps").flatMap { Double($0) } }

    /// "pt=96,97;max-width=1280" (empty without restrictions).
    public var parameterText: String {
        var parts: [String] = []
        if !payloadTypes.isEmpty { parts.append("pt=" + payloadTypes.map(String.init).joined(separator: ",")) }
        parts += restrictions.map(\.description)
        return parts.joined(separator: ";")
    }

    public var attributeValue: String {
        let p = parameterText
        return p.isEmpty ? "\(id) \(direction.rawValue)" : "\(id) \(direction.rawValue) \(p)"
    }

    public var description: String { attributeValue }
}
