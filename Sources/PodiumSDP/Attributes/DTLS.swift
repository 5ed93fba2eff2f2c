/// DTLS certificate fingerprint (RFC 8122 §5) and connection role (RFC 4145 §4, RFC 8842).
///
///     a=fingerprint:<hash function> <hex byte>:<hex byte>:...
///     a=setup:<actpass | active | passive | holdconn>
///
///     a=fingerprint:sha-256 88:23:53:D3:12:A1:47:08:C2:04:03:03:68:E1:96:28:70:03:...
public struct SDPFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// "sha-256", "sha-384", "sha-512", "sha-1"… as written.
    public var algorithm: String
    public var bytes: [UInt8]

    public init(algorithm: String, bytes: [UInt8]) {
        self.algorithm = algorithm
        self.bytes = bytes
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard words.count == 2 else { throw SDPError(.malformed, "a=fingerprint needs '<hash function> <XX:XX:...>'") }
        algorithm = try sdpRequireToken(words[0], "a=fingerprint hash function", maxLength: 32)
        let pairs = words[1].sdpSplit(UInt8(ascii: ":"))
        guard pairs.count <= 64 else { throw SDPError(.outOfRange, "a=fingerprint has more than 64 bytes") }
        var out: [UInt8] = []
        out.reserveCapacity(pairs.count)
        for pair in pairs {
            guard pair.utf8.count == 2, let hi = Self.nibble(pair.utf8.first!), let lo = Self.nibble(pair.utf8.last!) else {
                throw SDPError(.malformed, "a=fingerprint byte '\(pair.sdpExcerpt)' is not two hex digits")
            }
            out.append(hi << 4 | lo)
        }
        bytes = out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Uppercase hex pairs joined by ':' (RFC 8122 §5).
    public var hex: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for (i, b) in bytes.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ":")) }
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var attributeValue: String { "\(algorithm) \(hex)" }
    public var description: String { attributeValue }
}

/// DTLS role negotiation (RFC 4145 §4, as used by RFC 8842).
public enum SDPSetup: String, Sendable, Hashable, CaseIterable {
    case actpass, active, passive, holdconn

    /// The role an answerer picks for an offer (RFC 8842): an SFU answering `actpass` takes
    /// `passive`, so the browser, which knows when it is ready, starts the handshake.
    public var answer: SDPSetup {
        switch self {
        case .actpass, .active: .passive
        case .passive: .active
        case .holdconn: .holdconn
        }
    }
}
