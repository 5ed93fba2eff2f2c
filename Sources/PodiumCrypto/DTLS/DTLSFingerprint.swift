import COpenSSL

/// A certificate fingerprint as carried in SDP (`a=fingerprint:sha-256 AB:CD:…`, RFC 8122 §5):
/// the hash of the DER certificate. In WebRTC it is what makes a self-signed DTLS certificate
/// trustworthy (RFC 8827 §6.5): the signalling channel vouches for the hash.
public struct DTLSFingerprint: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Hash functions of the IANA "Hash Function Textual Names" registry that Podium accepts.
    public enum Algorithm: String, Sendable, Equatable, Hashable, CaseIterable {
        case sha1 = "sha-1"
        case sha256 = "sha-256"
        case sha384 = "sha-384"
        case sha512 = "sha-512"

        /// Digest length in bytes.
        public var digestLength: Int {
            switch self {
            case .sha1: 20
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }

        /// The name as SDP spells it (lowercase, RFC 8122 §5).
        public var sdpName: String { rawValue }

        /// Matches the SDP name case-insensitively (RFC 8122: the token is case-insensitive).
        public init?(sdpName: String) {
            guard let match = Algorithm.allCases.first(where: { $0.rawValue == sdpName.lowercased() }) else { return nil }
            self = match
        }

        var evpMD: OpaquePointer? {
            switch self {
            case .sha1: EVP_sha1()
            case .sha256: EVP_sha256()
            case .sha384: EVP_sha384()
            case .sha512: EVP_sha512()
            }
        }
    }

    public let algorithm: Algorithm
    /// The raw digest, `algorithm.digestLength` bytes.
    public let digest: [UInt8]

    public init(algorithm: Algorithm, digest: [UInt8]) throws(DTLSError) {
        guard digest.count == algorithm.digestLength else {
            throw .invalidFingerprint("\(algorithm.rawValue) digest must be \(algorithm.digestLength) bytes, got \(digest.count)")
        }
        self.algorithm = algorithm
        self.digest = digest
    }

    /// Parses the value of an SDP `a=fingerprint:` attribute: a hash name, whitespace, and the
    /// digest as colon-separated hex pairs (either case).
    public init(parsing sdpValue: String) throws(DTLSError) {
        let fields = sdpValue.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
        guard fields.count == 2 else {
            throw .invalidFingerprint("expected '<hash-func> <hex:hex:…>', got \(fields.count) field(s)")
        }
        guard let algorithm = Algorithm(sdpName: String(fields[0])) else {
            throw .unsupportedFingerprintAlgorithm(String(fields[0].prefix(32)))
        }
        let pairs = fields[1].split(separator: ":", omittingEmptySubsequences: false)
        guard pairs.count == algorithm.digestLength else {
            throw .invalidFingerprint("\(algorithm.rawValue) needs \(algorithm.digestLength) hex pairs, got \(pairs.count)")
        }
        var digest: [UInt8] = []
        digest.reserveCapacity(pairs.count)
        for pair in pairs {
            guard pair.utf8.count == 2, pair.utf8.allSatisfy(\.isHexDigitASCII), let byte = UInt8(pair, radix: 16) else {
                throw .invalidFingerprint("'\(pair.prefix(8))' is not a hex byte")
            }
            digest.append(byte)
        }
        self.algorithm = algorithm
        self.digest = digest
    }

    /// The hash of a DER-encoded certificate.
    public init(algorithm: Algorithm = .sha256, derCertificate: UnsafeRawBufferPointer) throws(DTLSError) {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { md in
            EVP_Digest(derCertificate.baseAddress, derCertificate.count, md.baseAddress, &length, algorithm.evpMD, nil)
        }
        guard ok == 1, Int(length) == algorithm.digestLength else {
            throw .invalidFingerprint(OpenSSLErrors.drain("digest of the DER certificate failed"))
        }
        self.algorithm = algorithm
        self.digest = Array(out.prefix(Int(length)))
    }

    /// The hash of an OpenSSL certificate (`X509 *`), over its DER encoding.
    init(algorithm: Algorithm, x509: OpaquePointer) throws(DTLSError) {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { X509_digest(x509, algorithm.evpMD, $0.baseAddress, &length) }
        guard ok == 1, Int(length) == algorithm.digestLength else {
            throw .invalidFingerprint(OpenSSLErrors.drain("digest of the certificate failed"))
        }
        self.algorithm = algorithm
        self.digest = Array(out.prefix(Int(length)))
    }

    /// The `a=fingerprint:` value: lowercase hash name, uppercase hex pairs joined by colons.
    public var sdpValue: String {
        algorithm.rawValue + " " + hexDigest
    }

    /// Uppercase hex pairs joined by colons.
    public var hexDigest: String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var chars: [UInt8] = []
        chars.reserveCapacity(digest.count * 3)
        for (i, byte) in digest.enumerated() {
            if i > 0 { chars.append(UInt8(ascii: ":")) }
            chars.append(hex[Int(byte >> 4)])
            chars.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    public var description: String { sdpValue }
}

extension UInt8 {
    fileprivate var isHexDigitASCII: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
