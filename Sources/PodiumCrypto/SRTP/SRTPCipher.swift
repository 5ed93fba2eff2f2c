import COpenSSL

/// The per-packet transforms of one direction and one of SRTP/SRTCP on OpenSSL EVP: AES-CM +
/// HMAC-SHA1 (RFC 3711 §4.1.1, §4.2) or AES-GCM (RFC 7714 §8–§10). Keyed once; per packet only the
/// IV changes. No allocation per packet: the IV and digest live in `scratch`, allocated at init.
///
/// AES-CM IV (RFC 3711 §4.1.1), 16 bytes:
///
///     byte  0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
///          [ k_s (session salt, 14 bytes)                 ][00 00]
///      XOR             [   SSRC    ][ packet index (48)   ]
///
/// AES-GCM IV (RFC 7714 §8.1, §9.1), 12 bytes:
///
///     byte  0  1  2  3  4  5  6  7  8  9 10 11
///          [00 00][   SSRC    ][    ROC    ][SEQ  ]    SRTP
///          [00 00][   SSRC    ][00 00][0+SRTCP index]  SRTCP
///      XOR [ session salt (12 bytes)                ]
///
/// Confined to the thread of the `SRTPContext` that owns it.
final class SRTPCipher {
    let isAEAD: Bool
    let tagLength: Int
    private let rtcpTrailerInAAD: Bool
    private let ctx: OpaquePointer
    private let hmac: UnsafeMutablePointer<podium_hmac_sha1_t>?
    /// 0..<16 IV, 16..<48 digest, 48..<52 ROC or SRTCP trailer word.
    private let scratch: UnsafeMutableRawPointer
    private let saltHigh: UInt64
    private let saltLow: UInt64

    private static let ivOffset = 0
    private static let digestOffset = 16
    private static let wordOffset = 48

    init(profile: SRTPProfile, keys: SRTPSessionKeys, kind: SRTPSessionKeys.Kind, encrypting: Bool) throws(SRTPError) {
        guard keys.fits(profile) else { throw .invalidKey }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .cryptoFailure }
        self.isAEAD = profile.isAEAD
        self.tagLength = kind == .rtp ? profile.rtpAuthTagLength : profile.rtcpAuthTagLength
        // Why: RFC 7714 §9.2 puts the SRTCP E flag + index word in the AAD.
        self.rtcpTrailerInAAD = kind == .rtcp
        self.ctx = ctx
        self.scratch = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        var salt = [UInt8](repeating: 0, count: 16)
        for i in 0..<keys.salt.count { salt[i] = keys.salt[i] }
        saltHigh = salt[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        saltLow = salt[8..<16].reduce(0) { $0 << 8 | UInt64($1) }

        let cipher: OpaquePointer? = switch profile {
        case .aes128CmHmacSha1_80, .aes128CmHmacSha1_32: EVP_aes_128_ctr()
        case .aeadAes128Gcm: EVP_aes_128_gcm()
        case .aeadAes256Gcm: EVP_aes_256_gcm()
        }
        let ok = keys.cipherKey.withUnsafeBufferPointer { key in
            if profile.isAEAD && !encrypting {
                return EVP_DecryptInit_ex(ctx, cipher, nil, key.baseAddress, nil) == 1
            }
            return EVP_EncryptInit_ex(ctx, cipher, nil, key.baseAddress, nil) == 1
        }
        if profile.isAEAD {
            hmac = nil
        } else {
            let h = UnsafeMutablePointer<podium_hmac_sha1_t>.allocate(capacity: 1)
            keys.authKey.withUnsafeBufferPointer { podium_hmac_sha1_setkey(h, $0.baseAddress, $0.count) }
            hmac = h
        }
        guard ok else { throw .cryptoFailure }
    }

    deinit {
        EVP_CIPHER_CTX_free(ctx)
        if let hmac {
            podium_hmac_sha1_clear(hmac)
            hmac.deallocate()
        }
        scratch.deallocate()
    }

    // MARK: SRTP (RFC 3711 §3.1, RFC 7714 §8)

    /// Encrypts the payload after `headerLength` and appends the tag at `length`; the caller checked
    /// the room. Returns the protected length.
    func protectRTP(_ p: UnsafeMutablePointer<UInt8>, headerLength: Int, length: Int, ssrc: UInt32, index: UInt64) throws(SRTPError) -> Int {
        setIV(ssrc: ssrc, index: index)
        if isAEAD {
            guard seal(aad: p, headerLength, payload: p + headerLength, length - headerLength, tag: p + length) else { throw .cryptoFailure }
            return length + tagLength
        }
        guard crypt(p + headerLength, length - headerLength) else { throw .cryptoFailure }
        scratch.storeBytes(of: UInt32(truncatingIfNeeded: index >> 16).bigEndian, toByteOffset: Self.wordOffset, as: UInt32.self)
        authenticate(p, length, trailer: 4)
        (p + length).update(from: digest, count: tagLength)
        return length + tagLength
    }

    /// Verifies the tag of the `length`-byte packet, then decrypts the payload in place. Returns the
    /// plaintext length. On failure of an AEAD profile the payload bytes are unspecified.
    func unprotectRTP(_ p: UnsafeMutablePointer<UInt8>, headerLength: Int, length: Int, ssrc: UInt32, index: UInt64) throws(SRTPError) -> Int {
        let end = length - tagLength
        setIV(ssrc: ssrc, index: index)
        if isAEAD {
            guard open(aad: p, headerLength, payload: p + headerLength, end - headerLength, tag: p + end) else { throw .authenticationFailed }
            return end
        }
        scratch.storeBytes(of: UInt32(truncatingIfNeeded: index >> 16).bigEndian, toByteOffset: Self.wordOffset, as: UInt32.self)
        authenticate(p, end, trailer: 4)
        guard CRYPTO_memcmp(digest, p + end, tagLength) == 0 else { throw .authenticationFailed }
        guard crypt(p + headerLength, end - headerLength) else { throw .cryptoFailure }
        return end
    }

    // MARK: SRTCP (RFC 3711 §3.4, RFC 7714 §9)

    /// Encrypts after the first 8 bytes, appends E=1 + `index` and the tag (GCM: tag, then the word).
    func protectRTCP(_ p: UnsafeMutablePointer<UInt8>, length: Int, ssrc: UInt32, index: UInt32) throws(SRTPError) -> Int {
        let word = 0x8000_0000 | index
        setIV(ssrc: ssrc, index: UInt64(index))
        if isAEAD {
            scratch.storeBytes(of: word.bigEndian, toByteOffset: Self.wordOffset, as: UInt32.self)
            guard seal(aad: p, 8, payload: p + 8, length - 8, tag: p + length) else { throw .cryptoFailure }
            UnsafeMutableRawPointer(p + length + tagLength).storeBytes(of: word.bigEndian, as: UInt32.self)
            return length + tagLength + 4
        }
        guard crypt(p + 8, length - 8) else { throw .cryptoFailure }
        UnsafeMutableRawPointer(p + length).storeBytes(of: word.bigEndian, as: UInt32.self)
        authenticate(p, length + 4, trailer: 0)
        (p + length + 4).update(from: digest, count: tagLength)
        return length + 4 + tagLength
    }

    /// Verifies and decrypts an SRTCP packet whose E flag and index the caller read; returns the
    /// RTCP length.
    func unprotectRTCP(_ p: UnsafeMutablePointer<UInt8>, length: Int, ssrc: UInt32, encrypted: Bool, index: UInt32) throws(SRTPError) -> Int {
        setIV(ssrc: ssrc, index: UInt64(index))
        if isAEAD {
            let end = length - 4 - tagLength
            (scratch + Self.wordOffset).copyMemory(from: p + length - 4, byteCount: 4)
            let ok = encrypted
                ? open(aad: p, 8, payload: p + 8, end - 8, tag: p + end)
                : open(aad: p, end, payload: p + end, 0, tag: p + end)
            guard ok else { throw .authenticationFailed }
            return end
        }
        let end = length - tagLength
        authenticate(p, end, trailer: 0)
        guard CRYPTO_memcmp(digest, p + end, tagLength) == 0 else { throw .authenticationFailed }
        if encrypted {
            guard crypt(p + 8, end - 4 - 8) else { throw .cryptoFailure }
        }
        return end - 4
    }

    // MARK: Primitives

    private var digest: UnsafeMutablePointer<UInt8> {
        (scratch + Self.digestOffset).assumingMemoryBound(to: UInt8.self)
    }
    private var iv: UnsafeMutablePointer<UInt8> {
        scratch.assumingMemoryBound(to: UInt8.self)
    }
    private var word: UnsafeMutablePointer<UInt8> {
        (scratch + Self.wordOffset).assumingMemoryBound(to: UInt8.self)
    }

    @inline(__always)
    private func setIV(ssrc: UInt32, index: UInt64) {
        let high: UInt64
        let low: UInt64
        if isAEAD {
            high = saltHigh ^ (UInt64(ssrc) << 16 | index >> 32)
            low = saltLow ^ ((index & 0xFFFF_FFFF) << 32)
        } else {
            high = saltHigh ^ UInt64(ssrc)
            low = saltLow ^ (index << 16)
        }
        scratch.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
        scratch.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// AES-CM over `count` bytes in place with the current IV.
    @inline(__always)
    private func crypt(_ data: UnsafeMutablePointer<UInt8>, _ count: Int) -> Bool {
        guard EVP_EncryptInit_ex(ctx, nil, nil, nil, iv) == 1 else { return false }
        if count == 0 { return true }
        var outLength: Int32 = 0
        return EVP_EncryptUpdate(ctx, data, &outLength, data, Int32(count)) == 1
    }

    /// HMAC-SHA1 of `count` bytes, then `trailer` bytes of `word`, into `digest`.
    @inline(__always)
    private func authenticate(_ data: UnsafePointer<UInt8>, _ count: Int, trailer: Int) {
        guard let hmac else { return }
        podium_hmac_sha1_begin(hmac)
        podium_hmac_sha1_update(hmac, data, count)
        if trailer > 0 { podium_hmac_sha1_update(hmac, word, trailer) }
        podium_hmac_sha1_final(hmac, digest)
    }

    /// AES-GCM encryption: AAD is `aad[0..<aadCount]`, then for SRTCP the trailer word in `word`;
    /// the tag goes to `tag`.
    @inline(__always)
    private func seal(aad: UnsafePointer<UInt8>, _ aadCount: Int, payload: UnsafeMutablePointer<UInt8>, _ count: Int, tag: UnsafeMutablePointer<UInt8>) -> Bool {
        var outLength: Int32 = 0
        guard EVP_EncryptInit_ex(ctx, nil, nil, nil, iv) == 1,
              EVP_EncryptUpdate(ctx, nil, &outLength, aad, Int32(aadCount)) == 1 else { return false }
        if rtcpTrailerInAAD, EVP_EncryptUpdate(ctx, nil, &outLength, word, 4) != 1 { return false }
        if count > 0, EVP_EncryptUpdate(ctx, payload, &outLength, payload, Int32(count)) != 1 { return false }
        return EVP_EncryptFinal_ex(ctx, digest, &outLength) == 1
            && podium_EVP_CIPHER_CTX_get_gcm_tag(ctx, Int32(tagLength), tag) == 1
    }

    @inline(__always)
    private func open(aad: UnsafePointer<UInt8>, _ aadCount: Int, payload: UnsafeMutablePointer<UInt8>, _ count: Int, tag: UnsafeMutablePointer<UInt8>) -> Bool {
        var outLength: Int32 = 0
        guard EVP_DecryptInit_ex(ctx, nil, nil, nil, iv) == 1,
              EVP_DecryptUpdate(ctx, nil, &outLength, aad, Int32(aadCount)) == 1 else { return false }
        if rtcpTrailerInAAD, EVP_DecryptUpdate(ctx, nil, &outLength, word, 4) != 1 { return false }
        if count > 0, EVP_DecryptUpdate(ctx, payload, &outLength, payload, Int32(count)) != 1 { return false }
        return podium_EVP_CIPHER_CTX_set_gcm_tag(ctx, Int32(tagLength), tag) == 1
            && EVP_DecryptFinal_ex(ctx, digest, &outLength) == 1
    }
}
