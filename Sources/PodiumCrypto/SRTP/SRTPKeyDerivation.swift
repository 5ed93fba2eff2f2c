import COpenSSL

/// SRTP key derivation (RFC 3711 §4.3), with key derivation rate 0, as DTLS-SRTP uses it; RFC 7714
/// §11 keeps the same AES-CM PRF for AES-GCM (AES-256 in counter mode for a 256-bit master key, a
/// 96-bit master salt padded with zeros to 112 bits).
///
///     key_id = label || r        (r = 0: kdr is 0)       7 bytes
///     x      = key_id XOR master_salt                     14 bytes (key_id right-aligned)
///     keystream = AES-CM(master_key, IV = x * 2^16)       first `length` bytes
///
///         byte  0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
///     IV:      [ s0 .. s6          ][s7^label][ s8 .. s13   ][00 00]
public enum SRTPKeyDerivation {
    /// The PRF labels of RFC 3711 §4.3.2 (SRTP) and §4.3.2/§3.4 (SRTCP).
    public enum Label: UInt8, Sendable, CaseIterable {
        case rtpEncryption = 0
        case rtpAuthentication = 1
        case rtpSalt = 2
        case rtcpEncryption = 3
        case rtcpAuthentication = 4
        case rtcpSalt = 5
    }

    /// `length` bytes of the AES-CM PRF keyed by `masterKey` (16 or 32 bytes) for `label`;
    /// `masterSalt` is 14 bytes, or 12 (AES-GCM) and then zero-padded.
    public static func prf(masterKey: [UInt8], masterSalt: [UInt8], label: Label, length: Int) throws(SRTPError) -> [UInt8] {
        guard masterKey.count == 16 || masterKey.count == 32, masterSalt.count <= 14, length >= 0 else { throw .invalidKey }
        var iv = [UInt8](repeating: 0, count: 16)
        for i in 0..<masterSalt.count { iv[i] = masterSalt[i] }
        iv[7] ^= label.rawValue
        var out = [UInt8](repeating: 0, count: length)
        if length == 0 { return out }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .cryptoFailure }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let cipher = masterKey.count == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr()
        var outLength: Int32 = 0
        let ok = masterKey.withUnsafeBufferPointer { key in
            iv.withUnsafeBufferPointer { iv in
                out.withUnsafeMutableBufferPointer { out in
                    EVP_EncryptInit_ex(ctx, cipher, nil, key.baseAddress, iv.baseAddress) == 1
                        && EVP_EncryptUpdate(ctx, out.baseAddress, &outLength, out.baseAddress, Int32(length)) == 1
                }
            }
        }
        guard ok, outLength == Int32(length) else { throw .cryptoFailure }
        return out
    }
}

/// The session keys of one direction and one of SRTP/SRTCP (RFC 3711 §4.3.1).
public struct SRTPSessionKeys: Sendable, Equatable {
    /// Session encryption key (16 or 32 bytes).
    public var cipherKey: [UInt8]
    /// Session HMAC-SHA1 key (20 bytes; empty for AEAD profiles).
    public var authKey: [UInt8]
    /// Session salt (14 bytes; 12 for AEAD profiles).
    public var salt: [UInt8]

    public init(cipherKey: [UInt8], authKey: [UInt8], salt: [UInt8]) {
        self.cipherKey = cipherKey
        self.authKey = authKey
        self.salt = salt
    }

    /// Which packets the keys protect: SRTP and SRTCP use different PRF labels.
    public enum Kind: Sendable {
        case rtp
        case rtcp
    }

    /// Derives the session keys of `kind` from `master` for `profile`.
    public init(deriving master: SRTPMasterKey, profile: SRTPProfile, for kind: Kind) throws(SRTPError) {
        guard master.fits(profile) else { throw .invalidKey }
        let labels: (SRTPKeyDerivation.Label, SRTPKeyDerivation.Label, SRTPKeyDerivation.Label) =
            kind == .rtp ? (.rtpEncryption, .rtpAuthentication, .rtpSalt) : (.rtcpEncryption, .rtcpAuthentication, .rtcpSalt)
        cipherKey = try SRTPKeyDerivation.prf(masterKey: master.key, masterSalt: master.salt, label: labels.0, length: profile.masterKeyLength)
        authKey = try SRTPKeyDerivation.prf(masterKey: master.key, masterSalt: master.salt, label: labels.1, length: profile.sessionAuthKeyLength)
        salt = try SRTPKeyDerivation.prf(masterKey: master.key, masterSalt: master.salt, label: labels.2, length: profile.masterSaltLength)
    }

    /// Whether the lengths fit `profile`.
    public func fits(_ profile: SRTPProfile) -> Bool {
        cipherKey.count == profile.masterKeyLength && authKey.count == profile.sessionAuthKeyLength
            && salt.count == profile.masterSaltLength
    }
}
