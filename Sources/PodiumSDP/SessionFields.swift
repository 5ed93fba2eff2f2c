/// The non-attribute lines of a description (RFC 8866 §5.2, §5.7, §5.8, §5.9, §5.14).
///
///     o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
///     c=<nettype> <addrtype> <connection-address>
///     b=<bwtype>:<bandwidth>
///     t=<start-time> <stop-time>
///     m=<media> <port>[/<number of ports>] <proto> <fmt> ...
///
///     o=- 4237717916049234015 2 IN IP4 127.0.0.1
///     m=video 9 UDP/TLS/RTP/SAVPF 96 97 98
public struct SDPOrigin: Sendable, Hashable {
    public var username: String
    public var sessionID: UInt64
    /// JSEP (RFC 9429 §5.2.2) increments it with every new offer or answer of the session.
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String = "-", sessionID: UInt64, sessionVersion: UInt64, networkType: String = "IN",
                addressType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init(value: Substring) throws(SDPError) {
        let w = value.sdpWords
        guard w.count == 6 else { throw SDPError(.malformed, "o= needs '<username> <sess-id> <sess-version> IN <IP4|IP6> <address>'") }
        username = try sdpRequireToken(w[0], "o= username")
        sessionID = try sdpRequireNumber(w[1], UInt64(0)...UInt64.max, "o= session id")
        sessionVersion = try sdpRequireNumber(w[2], UInt64(0)...UInt64.max, "o= session version")
        networkType = try sdpRequireToken(w[3], "o= network type", maxLength: 32)
        addressType = try sdpRequireToken(w[4], "o= address type", maxLength: 32)
        address = try sdpRequireToken(w[5], "o= address")
    }

    var lineValue: String { "\(username) \(sessionID) \(sessionVersion) \(networkType) \(addressType) \(address)" }
}

public struct SDPConnection: Sendable, Hashable {
    public var networkType: String
    public var addressType: String
    /// The address as written, with any /ttl/count suffix of multicast.
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String) {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init(words w: [Substring], field: String) throws(SDPError) {
        guard w.count == 3 else { throw SDPError(.malformed, "\(field) needs 'IN <IP4|IP6> <address>'") }
        networkType = try sdpRequireToken(w[0], "\(field) network type", maxLength: 32)
        addressType = try sdpRequireToken(w[1], "\(field) address type", maxLength: 32)
        address = try sdpRequireToken(w[2], "\(field) address")
    }

    var lineValue: String { "\(networkType) \(addressType) \(address)" }
}

public struct SDPBandwidth: Sendable, Hashable {
    /// "AS" (kbit/s), "TIAS" (bit/s, RFC 3890), "CT", "RR", "RS"…
    public var type: String
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }

    init(value text: Substring) throws(SDPError) {
        guard let (t, v) = text.sdpSplitOnce(UInt8(ascii: ":")) else { throw SDPError(.malformed, "b= needs '<type>:<bandwidth>'") }
        type = try sdpRequireToken(t, "b= type", maxLength: 32)
        value = try sdpRequireNumber(v, UInt64(0)...UInt64(UInt32.max), "b= bandwidth")
    }

    var lineValue: String { "\(type):\(value)" }
}

public struct SDPTiming: Sendable, Hashable {
    public var start: UInt64
    public var stop: UInt64
    /// r= lines for this t=, as written.
    public var repeats: [String]

    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }

    init(value: Substring) throws(SDPError) {
        let w = value.sdpWords
        guard w.count == 2 else { throw SDPError(.malformed, "t= needs '<start> <stop>'") }
        start = try sdpRequireNumber(w[0], UInt64(0)...UInt64.max, "t= start time")
        stop = try sdpRequireNumber(w[1], UInt64(0)...UInt64.max, "t= stop time")
        repeats = []
    }
}

/// The media type of an m= line (RFC 8866 §5.14): audio, video, application, text, message, or
/// another token as written.
public struct SDPMediaKind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let audio = SDPMediaKind(rawValue: "audio")
    public static let video = SDPMediaKind(rawValue: "video")
    public static let application = SDPMediaKind(rawValue: "application")
    public var description: String { rawValue }
}
