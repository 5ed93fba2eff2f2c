import Testing
import PodiumCrypto
import PodiumTestSupport

/// RFC 3711 Appendix B test vectors (AES-CM keystream, key derivation) and RFC 7714 §16/§17
/// AES-GCM packet vectors (stated on session keys, below the key derivation).
@Suite struct SRTPVectorTests {
    // MARK: RFC 3711 B.3 — key derivation

    private static let b3MasterKey = hexBytes("E1F97A0D3E018BE0D64FA32C06DE4139")
    private static let b3MasterSalt = hexBytes("0EC675AD498AFEEBB6960B3AABE6")

    @Test func rfc3711B3KeyDerivation() throws {
        let cipherKey = try SRTPKeyDerivation.prf(masterKey: Self.b3MasterKey, masterSalt: Self.b3MasterSalt, label: .rtpEncryption, length: 16)
        #expect(cipherKey == hexBytes("C61E7A93744F39EE10734AFE3FF7A087"))
        let salt = try SRTPKeyDerivation.prf(masterKey: Self.b3MasterKey, masterSalt: Self.b3MasterSalt, label: .rtpSalt, length: 14)
        #expect(salt == hexBytes("30CBBC08863D8C85D49DB34A9AE1"))
        // B.3 prints 94 bytes of the authentication PRF output; SRTP uses the first 20.
        let auth = try SRTPKeyDerivation.prf(masterKey: Self.b3MasterKey, masterSalt: Self.b3MasterSalt, label: .rtpAuthentication, length: 94)
        #expect(auth == hexBytes("""
            CEBE321F6FF7716B6FD4AB49AF256A15
            6D38BAA48F0A0ACF3C34E2359E6CDBCE
            E049646C43D9327AD175578EF7227098
            6371C10C9A369AC2F94A8C5FBCDDDC25
            6D6E919A48B610EF17C2041E47403576
            6B68642C59BBFC2F34DB60DBDFB2
            """))

        let keys = try SRTPSessionKeys(deriving: SRTPMasterKey(key: Self.b3MasterKey, salt: Self.b3MasterSalt),
                                       profile: .aes128CmHmacSha1_80, for: .rtp)
        #expect(keys.cipherKey == cipherKey)
        #expect(keys.authKey == Array(auth[0..<20]))
        #expect(keys.salt == salt)
    }

    @Test func srtcpKeysUseTheirOwnLabels() throws {
        let master = SRTPMasterKey(key: Self.b3MasterKey, salt: Self.b3MasterSalt)
        let rtp = try SRTPSessionKeys(deriving: master, profile: .aes128CmHmacSha1_80, for: .rtp)
        let rtcp = try SRTPSessionKeys(deriving: master, profile: .aes128CmHmacSha1_80, for: .rtcp)
        #expect(rtcp.cipherKey == (try SRTPKeyDerivation.prf(masterKey: Self.b3MasterKey, masterSalt: Self.b3MasterSalt, label: .rtcpEncryption, length: 16)))
        #expect(rtcp.cipherKey != rtp.cipherKey)
        #expect(rtcp.authKey != rtp.authKey)
        #expect(rtcp.salt != rtp.salt)
    }

    @Test func keyDerivationRejectsBadLengths() {
        #expect(throws: SRTPError.invalidKey) {
            try SRTPSessionKeys(deriving: SRTPMasterKey(key: [UInt8](repeating: 1, count: 15), salt: Self.b3MasterSalt),
                                profile: .aes128CmHmacSha1_80, for: .rtp)
        }
        #expect(throws: SRTPError.invalidKey) {
            // A GCM profile takes a 12-byte salt.
            try SRTPSessionKeys(deriving: SRTPMasterKey(key: Self.b3MasterKey, salt: Self.b3MasterSalt),
                                profile: .aeadAes128Gcm, for: .rtp)
        }
    }

    // MARK: RFC 3711 B.2 — AES-CM keystream

    @Test func rfc3711B2KeystreamThroughProtect() throws {
        // Session key and salt of B.2, SSRC 0, ROC 0, SEQ 0: protecting zeros yields the keystream.
        let keys = SRTPSessionKeys(cipherKey: hexBytes("2B7E151628AED2A6ABF7158809CF4F3C"),
                                   authKey: [UInt8](repeating: 0, count: 20),
                                   salt: hexBytes("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"))
        let context = try SRTPContext(profile: .aes128CmHmacSha1_80, localRTP: keys, localRTCP: keys, remoteRTP: keys, remoteRTCP: keys)
        let blocks = 0xFF02
        let packet = SRTPTestKit.rtp(seq: 0, timestamp: 0, ssrc: 0, payload: [UInt8](repeating: 0, count: 16 * blocks))
        let protected = try SRTPTestKit.protect(packet) { try context.protectRTP($0, length: $1) }
        func block(_ i: Int) -> [UInt8] { Array(protected[12 + 16 * i..<12 + 16 * (i + 1)]) }
        #expect(block(0x0000) == hexBytes("E03EAD0935C95E80E166B16DD92B4EB4"))
        #expect(block(0x0001) == hexBytes("D23513162B02D0F72A43A2FE4A5F97AB"))
        #expect(block(0x0002) == hexBytes("41E95B3BB0A2E8DD477901E4FCA894C0"))
        #expect(block(0xFEFF) == hexBytes("EC8CDF7398607CB0F2D21675EA9EA1E4"))
        #expect(block(0xFF00) == hexBytes("362B7C3C6773516318A077D7FC5073AE"))
        #expect(block(0xFF01) == hexBytes("6A2CC3787889374FBEB4C81B17BA6C44"))
    }

    // MARK: RFC 7714 §16 — SRTP AEAD

    private static let gcmKey128 = hexBytes("000102030405060708090a0b0c0d0e0f")
    private static let gcmKey256 = hexBytes("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
    private static let gcmSalt = hexBytes("517569642070726f2071756f") // "Quid pro quo"

    /// §16: header (AAD) then "Gallia est omnis divisa in partes tres".
    private static let rtpPlain = hexBytes("""
        8040f17b 8041f8d3 5501a0b2   // V=2 PT=64 seq=0xf17b ts ssrc=0x5501a0b2
        47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573
        """)

    private static func gcmContext(_ profile: SRTPProfile, _ key: [UInt8]) throws -> SRTPContext {
        let keys = SRTPSessionKeys(cipherKey: key, authKey: [], salt: gcmSalt)
        return try SRTPContext(profile: profile, localRTP: keys, localRTCP: keys, remoteRTP: keys, remoteRTCP: keys)
    }

    @Test(arguments: [
        (SRTPProfile.aeadAes128Gcm, "§16.1.1", """
            8040f17b 8041f8d3 5501a0b2
            f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833
            899d7f27 beb16a91 52cf765e e4390cce   // tag
            """),
        (SRTPProfile.aeadAes256Gcm, "§16.2.1", """
            8040f17b 8041f8d3 5501a0b2
            32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b
            7aa3db36 dfffd6b0 f9bb7878 d7a76c13   // tag
            """),
    ])
    func rfc7714SRTP(profile: SRTPProfile, section: String, expectedHex: String) throws {
        let key = profile == .aeadAes256Gcm ? Self.gcmKey256 : Self.gcmKey128
        let expected = hexBytes(expectedHex)
        let sender = try Self.gcmContext(profile, key)
        let protected = try SRTPTestKit.protect(Self.rtpPlain) { try sender.protectRTP($0, length: $1) }
        #expect(protected == expected, "\(section) protect")
        let receiver = try Self.gcmContext(profile, key)
        let plain = try SRTPTestKit.unprotect(expected) { try receiver.unprotectRTP($0) }
        #expect(plain == Self.rtpPlain, "\(section) unprotect")
    }

    // MARK: RFC 7714 §17 — SRTCP AEAD

    /// The packet §17.1–§17.4 protect: an SR from SSRC "Mars" with an SDES-ish tail.
    private static let rtcpPlain = hexBytes("""
        81c8000d 4d617273   // V=2 RC=1 PT=SR len=13 ssrc="Mars"
        4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
        deadbeef deadbeef deadbeef deadbeef deadbeef
        """)
    private static let rtcpSSRC: UInt32 = 0x4d61_7273
    private static let rtcpIndex: UInt32 = 0x5d4

    @Test(arguments: [
        (SRTPProfile.aeadAes128Gcm, "§17.1", """
            81c8000d 4d617273
            63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded
            0bb9275b c84aa458 96cf4d2f c5abf872   // tag
            45d9eade 800005d4                     // (ciphertext tail) E=1 index=0x5d4
            """),
        (SRTPProfile.aeadAes256Gcm, "§17.2", """
            81c8000d 4d617273
            d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1 110555be 8415f658 c61de047
            6f1b6fad 1d1eb30c 4446839f 57ff6f6c
            b26ac3be 800005d4
            """),
    ])
    func rfc7714SRTCP(profile: SRTPProfile, section: String, expectedHex: String) throws {
        let key = profile == .aeadAes256Gcm ? Self.gcmKey256 : Self.gcmKey128
        let expected = hexBytes(expectedHex)
        let sender = try Self.gcmContext(profile, key)
        try sender.setNextSRTCPIndex(Self.rtcpIndex, ssrc: Self.rtcpSSRC)
        let protected = try SRTPTestKit.protect(Self.rtcpPlain) { try sender.protectRTCP($0, length: $1) }
        #expect(protected == expected, "\(section) protect")
        let receiver = try Self.gcmContext(profile, key)
        let plain = try SRTPTestKit.unprotect(expected) { try receiver.unprotectRTCP($0) }
        #expect(plain == Self.rtcpPlain, "\(section) unprotect")
        #expect(SRTPTestKit.unprotectError(expected) { b throws(SRTPError) in try receiver.unprotectRTCP(b) } == .replayed)
    }

    @Test func rfc7714SRTCPAuthenticatedOnly() throws {
        // §17.3: E=0, the whole RTCP packet and the index word are AAD; nothing is encrypted.
        let tagged = Self.rtcpPlain + hexBytes("841dd968 3dd78ec9 2ae58790 125f62b3  000005d4")
        let receiver = try Self.gcmContext(.aeadAes128Gcm, Self.gcmKey128)
        let plain = try SRTPTestKit.unprotect(tagged) { try receiver.unprotectRTCP($0) }
        #expect(plain == Self.rtcpPlain)
        var forged = tagged
        forged[20] ^= 1
        let other = try Self.gcmContext(.aeadAes128Gcm, Self.gcmKey128)
        #expect(SRTPTestKit.unprotectError(forged) { b throws(SRTPError) in try other.unprotectRTCP(b) } == .authenticationFailed)
    }
}
