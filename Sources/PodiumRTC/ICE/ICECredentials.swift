/// ICE short-term credentials (RFC 8445 §5.3, SDP syntax RFC 8839 §5.4).
///
///     ice-ufrag-att = "ice-ufrag:" ufrag        ufrag = 4*256ice-char
///     ice-pwd-att   = "ice-pwd:" password       password = 22*256ice-char
///     ice-char      = ALPHA / DIGIT / "+" / "/"
///
/// The ufrag names an agent in the USERNAME of connectivity checks ("receiver:sender",
/// RFC 8445 §7.2.2); the pwd keys MESSAGE-INTEGRITY of the checks sent *to* that agent.

/// A ufrag and password pair. Local credentials come from `random()`; remote ones from the peer's
/// SDP, checked with `init(validatingUfrag:pwd:)` before use, since a ':' in a ufrag would make the
/// USERNAME ambiguous and an oversized value would not fit a STUN USERNAME.
public struct ICECredentials: Sendable, Hashable, CustomStringConvertible {
    public var ufrag: String
    public var pwd: String

    /// Credentials taken as given (no check): for values this process generated.
    public init(ufrag: String, pwd: String) {
        self.ufrag = ufrag
        self.pwd = pwd
    }

    /// Credentials from a peer's SDP, checked against RFC 8839 §5.4.
    public init(validatingUfrag ufrag: String, pwd: String) throws(ICECredentialsError) {
        self.init(ufrag: ufrag, pwd: pwd)
        try validate()
    }

    /// Shortest and longest ufrag, in characters (RFC 8839 §5.4).
    public static let ufragLengths = 4...256
    /// Shortest and longest password, in characters (RFC 8839 §5.4).
    public static let pwdLengths = 22...256

    /// Throws unless both values have RFC 8839 lengths and only ice-chars.
    public func validate() throws(ICECredentialsError) {
        try Self.check(ufrag, field: .ufrag, lengths: Self.ufragLengths)
        try Self.check(pwd, field: .pwd, lengths: Self.pwdLengths)
    }

    /// True when `byte` is an ice-char: A–Z a–z 0–9 + /.
    @inlinable
    public static func isICEChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"): true
        default: false
        }
    }

    private static func check(_ value: String, field: ICECredentialsError.Field, lengths: ClosedRange<Int>) throws(ICECredentialsError) {
        // ice-chars are ASCII, so for a valid value UTF-8 bytes = characters; a non-ASCII value fails
        // the character check below whatever its length.
        var count = 0
        for byte in value.utf8 {
            guard isICEChar(byte) else { throw .invalidCharacter(field, offset: count) }
            count += 1
            guard count <= lengths.upperBound else { throw .badLength(field, count: value.utf8.count, allowed: lengths) }
        }
        guard count >= lengths.lowerBound else { throw .badLength(field, count: count, allowed: lengths) }
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Fresh local credentials: an 8-character ufrag (48 random bits: collisions among one server's
    /// transports are negligible, and a table insert refuses them anyway) and a 24-character password
    /// (144 bits, above RFC 8445 §5.3's 128-bit minimum), from the system's secure generator.
    public static func random() -> ICECredentials {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    /// As `random()`, with a caller's generator (tests use a seeded one).
    public static func random<G: RandomNumberGenerator>(using g: inout G) -> ICECredentials {
        func text(_ n: Int) -> String {
            // 64 symbols: 6 bits per character, no modulo bias.
            String(decoding: (0..<n).map { _ in alphabet[Int(g.next() & 63)] }, as: UTF8.self)
        }
        return ICECredentials(ufrag: text(8), pwd: text(24))
    }

    /// The ufrag and a redacted password: the password is a secret.
    public var description: String { "ICECredentials(ufrag: \(ufrag), pwd: <\(pwd.utf8.count) chars>)" }
}

/// Why remote ICE credentials were refused.
public enum ICECredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Field: String, Sendable, Equatable {
        case ufrag = "ice-ufrag"
        case pwd = "ice-pwd"
    }

    /// The value has `count` characters; RFC 8839 §5.4 allows `allowed`.
    case badLength(Field, count: Int, allowed: ClosedRange<Int>)
    /// The byte at `offset` is not an ice-char (A–Z a–z 0–9 + /).
    case invalidCharacter(Field, offset: Int)

    public var description: String {
        switch self {
        case let .badLength(field, count, allowed):
            "\(field.rawValue) has \(count) characters; RFC 8839 allows \(allowed.lowerBound)-\(allowed.upperBound)"
        case let .invalidCharacter(field, offset):
            "\(field.rawValue) has a character other than A-Z a-z 0-9 + / at byte \(offset)"
        }
    }
}
