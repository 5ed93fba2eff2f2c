/// SRTP protection profiles negotiated by DTLS-SRTP (RFC 5764 §4.1.2, RFC 7714 §14.2) and the
/// keying material layout DTLS exports for them (RFC 5764 §4.2).
///
///     profile                        id      master key  master salt  RTP tag  RTCP tag
///     SRTP_AES128_CM_HMAC_SHA1_80    0x0001  128 bits    112 bits     80 bits  80 bits
///     SRTP_AES128_CM_HMAC_SHA1_32    0x0002  128 bits    112 bits     32 bits  80 bits
///     SRTP_AEAD_AES_128_GCM          0x0007  128 bits     96 bits    128 bits 128 bits
///     SRTP_AEAD_AES_256_GCM          0x0008  256 bits     96 bits    128 bits 128 bits
///
/// Exported keying material (length 2 × (key + salt)), label "EXTRACTOR-dtls_srtp":
///
///     +-------------------+-------------------+--------------------+--------------------+
///     | client write key  | server write key  | client write salt  | server write salt  |
///     +-------------------+-------------------+--------------------+--------------------+
public enum SRTPProfile: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case aes128CmHmacSha1_80 = 0x0001
    case aes128CmHmacSha1_32 = 0x0002
    case aeadAes128Gcm = 0x0007
    case aeadAes256Gcm = 0x0008

    /// The name in RFC 5764 §4.1.2 / RFC 7714 §14.2.
    public var name: String {
        switch self {
        case .aes128CmHmacSha1_80: "SRTP_AES128_CM_HMAC_SHA1_80"
        case .aes128CmHmacSha1_32: "SRTP_AES128_CM_HMAC_SHA1_32"
        case .aeadAes128Gcm: "SRTP_AEAD_AES_128_GCM"
        case .aeadAes256Gcm: "SRTP_AEAD_AES_256_GCM"
        }
    }

    /// The spelling OpenSSL's `SSL_CTX_set_tlsext_use_srtp` takes (and `SSL_get_selected_srtp_profile`
    /// reports).
    public var openSSLName: String {
        switch self {
        case .aes128CmHmacSha1_80: "SRTP_AES128_CM_SHA1_80"
        case .aes128CmHmacSha1_32: "SRTP_AES128_CM_SHA1_32"
        case .aeadAes128Gcm: "SRTP_AEAD_AES_128_GCM"
        case .aeadAes256Gcm: "SRTP_AEAD_AES_256_GCM"
        }
    }

    /// The profile for its RFC name or its OpenSSL spelling.
    public init?(name: String) {
        switch name {
        case "SRTP_AES128_CM_SHA1_80", "SRTP_AES128_CM_HMAC_SHA1_80": self = .aes128CmHmacSha1_80
        case "SRTP_AES128_CM_SHA1_32", "SRTP_AES128_CM_HMAC_SHA1_32": self = .aes128CmHmacSha1_32
        case "SRTP_AEAD_AES_128_GCM": self = .aeadAes128Gcm
        case "SRTP_AEAD_AES_256_GCM": self = .aeadAes256Gcm
        default: return nil
        }
    }

    public var description: String { name }

    /// AES-GCM (RFC 7714): encryption and authentication in one pass, no separate auth key.
    @inlinable public var isAEAD: Bool { self == .aeadAes128Gcm || self == .aeadAes256Gcm }

    /// Master (and session) encryption key length in bytes.
    @inlinable public var masterKeyLength: Int { self == .aeadAes256Gcm ? 32 : 16 }
    /// Master (and session) salt length in bytes.
    @inlinable public var masterSaltLength: Int { isAEAD ? 12 : 14 }
    /// HMAC-SHA1 session authentication key length in bytes (0 for AEAD).
    @inlinable public var sessionAuthKeyLength: Int { isAEAD ? 0 : 20 }
    /// Bytes DTLS must export for this profile (RFC 5764 §4.2).
    @inlinable public var keyingMaterialLength: Int { 2 * (masterKeyLength + masterSaltLength) }

    /// Authentication tag appended to SRTP packets.
    @inlinable public var rtpAuthTagLength: Int {
        switch self {
        case .aes128CmHmacSha1_80: 10
        case .aes128CmHmacSha1_32: 4
        case .aeadAes128Gcm, .aeadAes256Gcm: 16
        }
    }
    /// Authentication tag of SRTCP packets. Why: the _32 profile still uses an 80-bit tag for SRTCP
    /// (RFC 5764 §4.1.2).
    @inlinable public var rtcpAuthTagLength: Int { isAEAD ? 16 : 10 }

    /// Bytes `protectRTP` appends: the room a send buffer needs after the plaintext.
    @inlinable public var rtpOverhead: Int { rtpAuthTagLength }
    /// Bytes `protectRTCP` appends: the E flag + SRTCP index word and the tag.
    @inlinable public var rtcpOverhead: Int { rtcpAuthTagLength + 4 }

    /// The largest overhead of any profile, to size buffers before negotiation.
    public static let maxOverhead = 20
}

/// A master key and master salt (RFC 3711 §3.2.1): what DTLS-SRTP exports per direction.
public struct SRTPMasterKey: Sendable, Equatable {
    public var key: [UInt8]
    public var salt: [UInt8]

    public init(key: [UInt8], salt: [UInt8]) {
        self.key = key
        self.salt = salt
    }

    /// Whether the lengths fit `profile`.
    public func fits(_ profile: SRTPProfile) -> Bool {
        key.count == profile.masterKeyLength && salt.count == profile.masterSaltLength
    }
}

/// The two master keys of one DTLS-SRTP association, split by role (RFC 5764 §4.2).
public struct SRTPMasterKeys: Sendable, Equatable {
    /// This endpoint's DTLS role: the client's write key protects what the client sends.
    public enum Role: Sendable, Equatable {
        case client
        case server
    }

    /// Protects what this endpoint sends.
    public var local: SRTPMasterKey
    /// Unprotects what the peer sends.
    public var remote: SRTPMasterKey

    public init(local: SRTPMasterKey, remote: SRTPMasterKey) {
        self.local = local
        self.remote = remote
    }

    /// Splits keying material exported with label "EXTRACTOR-dtls_srtp" (length
    /// `profile.keyingMaterialLength`): client_key | server_key | client_salt | server_salt.
    public init<Bytes: Collection<UInt8>>(keyingMaterial: Bytes, profile: SRTPProfile, role: Role) throws(SRTPError) {
        let material = Array(keyingMaterial)
        let k = profile.masterKeyLength
        let s = profile.masterSaltLength
        guard material.count == profile.keyingMaterialLength else { throw .invalidKey }
        let client = SRTPMasterKey(key: Array(material[0..<k]), salt: Array(material[2 * k..<2 * k + s]))
        let server = SRTPMasterKey(key: Array(material[k..<2 * k]), salt: Array(material[2 * k + s..<2 * k + 2 * s]))
        switch role {
        case .client: self.init(local: client, remote: server)
        case .server: self.init(local: server, remote: client)
        }
    }
}

/// Why SRTP refused a packet or a key. Creating one never allocates.
public enum SRTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Shorter than its header, tag or SRTCP trailer.
    case truncated
    /// Not RTP/RTCP version 2, or a header length that points past the end.
    case malformed
    /// The authentication tag does not match: forged, corrupted, or the wrong key.
    case authenticationFailed
    /// This packet index was already received (RFC 3711 §3.3.2).
    case replayed
    /// Older than the replay window, or before the first packet of its stream.
    case tooOld
    /// The caller's buffer has no room for the tag (and SRTCP trailer).
    case bufferTooSmall(needed: Int, available: Int)
    /// A new SSRC arrived but the context already tracks its maximum number of streams.
    case streamLimitReached
    /// The 48-bit SRTP or 31-bit SRTCP index ran out: the keys must be replaced (RFC 3711 §9.2).
    case indexExhausted
    /// A key or salt has the wrong length for the profile.
    case invalidKey
    /// OpenSSL or libsrtp reported an internal failure (not a property of the packet).
    case cryptoFailure
    /// libsrtp returned a status with no better mapping (`srtp_err_status_t` raw value).
    case libsrtp(Int32)

    public var description: String {
        switch self {
        case .truncated: "SRTP: packet truncated"
        case .malformed: "SRTP: malformed header"
        case .authenticationFailed: "SRTP: authentication failed"
        case .replayed: "SRTP: replayed packet"
        case .tooOld: "SRTP: packet older than the replay window"
        case let .bufferTooSmall(needed, available): "SRTP: buffer too small: need \(needed) bytes, have \(available)"
        case .streamLimitReached: "SRTP: too many SSRCs for this context"
        case .indexExhausted: "SRTP: packet index exhausted, rekey"
        case .invalidKey: "SRTP: key or salt length does not fit the profile"
        case .cryptoFailure: "SRTP: crypto library failure"
        case let .libsrtp(status): "SRTP: libsrtp status \(status)"
        }
    }
}
