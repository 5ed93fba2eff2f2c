/// ICE candidate attribute (RFC 8839 §5.1; tcptype RFC 6544 §4.5; generation and other extensions as
/// Chromium and libnice send them).
///
///     a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
///                 [raddr <address>] [rport <port>] [tcptype <active|passive|so>]
///                 [generation <n>] *(<extension-name> <extension-value>)
///
///     a=candidate:316716414 1 udp 2122260223 127.0.0.1 34665 typ host generation 0 network-id 1
public struct ICECandidate: Sendable, Hashable, CustomStringConvertible {
    public var foundation: String
    /// 1 = RTP, 2 = RTCP (absent with rtcp-mux).
    public var component: UInt16
    /// As written ("udp", "UDP", "tcp"); compare with `isUDP` / `isTCP`.
    public var transport: String
    public var priority: UInt32
    /// An IP address or an FQDN (mDNS `….local` names included).
    public var address: String
    public var port: UInt16
    public var type: ICECandidateType
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    public var tcpType: String?
    public var generation: UInt32?
    /// Other extension pairs in their order (`ufrag`, `network-id`, `network-cost`…).
    public var extensions: [Extension]

    public struct Extension: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    public init(
        foundation: String, component: UInt16 = 1, transport: String = "udp", priority: UInt32,
        address: String, port: UInt16, type: ICECandidateType, relatedAddress: String? = nil,
        relatedPort: UInt16? = nil, tcpType: String? = nil, generation: UInt32? = nil,
        extensions: [Extension] = []
    ) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.tcpType = tcpType
        self.generation = generation
        self.extensions = extensions
    }

    /// Parses a candidate as trickled by signaling, with or without the `a=` / `candidate:` prefix.
    public init(parsing text: String) throws(SDPError) {
        var value = Substring(text)
        if value.hasPrefix("a=") { value = value.dropFirst(2) }
        if value.hasPrefix("candidate:") { value = value.dropFirst("candidate:".utf8.count) }
        try self.init(attributeValue: value)
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard words.count >= 8, words[6] == "typ" else {
            throw SDPError(.malformed, "a=candidate needs '<foundation> <component> <transport> <priority> <address> <port> typ <type>'")
        }
        try sdpRequireListSize(words.count, "a=candidate")
        foundation = try sdpRequireToken(words[0], "candidate foundation", maxLength: 32)
        component = try sdpRequireNumber(words[1], UInt16(1)...256, "candidate component")
        transport = try sdpRequireToken(words[2], "candidate transport", maxLength: 32)
        priority = try sdpRequireNumber(words[3], UInt32(0)...UInt32.max, "candidate priority")
        address = try sdpRequireToken(words[4], "candidate address")
        port = try sdpRequireNumber(words[5], UInt16(0)...UInt16.max, "candidate port")
        type = ICECandidateType(rawValue: try sdpRequireToken(words[7], "candidate type", maxLength: 32))
        relatedAddress = nil
        relatedPort = nil
        tcpType = nil
        generation = nil
        extensions = []
        guard words.count % 2 == 0 else {
            throw SDPError(.malformed, "a=candidate extension '\(words[words.count - 1].sdpExcerpt)' has no value")
        }
        var i = 8
        while i < words.count {
            let name = words[i], v = words[i + 1]
            i += 2
            switch name {
            case "raddr":
                guard relatedAddress == nil else { throw SDPError(.malformed, "a=candidate has raddr twice") }
                relatedAddress = try sdpRequireToken(v, "candidate raddr")
            case "rport":
                guard relatedPort == nil else { throw SDPError(.malformed, "a=candidate has rport twice") }
                relatedPort = try sdpRequireNumber(v, UInt16(0)...UInt16.max, "candidate rport")
            case "tcptype":
                guard tcpType == nil else { throw SDPError(.malformed, "a=candidate has tcptype twice") }
                tcpType = try sdpRequireToken(v, "candidate tcptype", maxLength: 32)
            case "generation":
                guard generation == nil else { throw SDPError(.malformed, "a=candidate has generation twice") }
                generation = try sdpRequireNumber(v, UInt32(0)...UInt32.max, "candidate generation")
            default:
                extensions.append(Extension(name: try sdpRequireToken(name, "candidate extension name"),
                                            value: try sdpRequireToken(v, "candidate extension value")))
            }
        }
    }

    /// The attribute value, without `a=candidate:`.
    public var attributeValue: String {
        var s = "\(foundation) \(component) \(transport) \(priority) \(address) \(port) typ \(type.rawValue)"
        if let relatedAddress { s += " raddr \(relatedAddress)" }
        if let relatedPort { s += " rport \(relatedPort)" }
        if let tcpType { s += " tcptype \(tcpType)" }
        if let generation { s += " generation \(generation)" }
        for e in extensions { s += " \(e.name) \(e.value)" }
        return s
    }

    public var isUDP: Bool { transport.lowercased() == "udp" }
    public var isTCP: Bool { transport.lowercased() == "tcp" }
    /// The value of an extension pair, e.g. `extension("ufrag")`.
    public func `extension`(_ name: String) -> String? { extensions.first { $0.name == name }?.value }

    /// `candidate:…` as trickled in signaling (the `a=` line without `a=`).
    public var description: String { "candidate:" + attributeValue }
}

/// ICE candidate type (RFC 8445 §5.1.1): host, srflx, prflx, relay; other tokens are kept.
public struct ICECandidateType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let host = ICECandidateType(rawValue: "host")
    public static let serverReflexive = ICECandidateType(rawValue: "srflx")
    public static let peerReflexive = ICECandidateType(rawValue: "prflx")
    public static let relay = ICECandidateType(rawValue: "relay")
    public var description: String { rawValue }
}
