import COpenSSL
import Testing
import PodiumTestSupport
import PodiumCrypto
import PodiumWire

/// RFC 5769 "Test Vectors for STUN": every vector parsed, every attribute checked, FINGERPRINT and
/// MESSAGE-INTEGRITY verified (and refused with a wrong key), and each message rebuilt byte for byte.
///
/// Padding: RFC 5769 fills padding with 0x20 in §2.1 (USERNAME) and §2.2/§2.3 (SOFTWARE), and with
/// 0x00 in §2.4. The builder's `paddingByte` reproduces each vector exactly, so the comparisons below
/// are of the full bytes, padding included.
@Suite struct RFC5769STUNVectorTests {
    static let password = "VOkJxbRl1RmTxUk/WvJxBt"
    static let tid = STUNTransactionID(high: 0xb7e7_a701, low: 0xbc34_d686_fa87_dfae)

    /// §2.1 Sample Request.
    static let sampleRequest: [UInt8] = hexBytes("""
        00 01 00 58   // Request type and message length
        21 12 a4 42   // Magic cookie
        b7 e7 a7 01   // }
        bc 34 d6 86   // }  Transaction ID
        fa 87 df ae   // }
        80 22 00 10   // SOFTWARE attribute header
        53 54 55 4e   // }
        20 74 65 73   // }  User-agent...
        74 20 63 6c   // }  ...name
        69 65 6e 74   // }
        00 24 00 04   // PRIORITY attribute header
        6e 00 01 ff   // ICE priority value
        80 29 00 08   // ICE-CONTROLLED attribute header
        93 2f f9 b1   // }  Pseudo-random tie breaker...
        51 26 3b 36   // }   ...for ICE control
        00 06 00 09   // USERNAME attribute header
        65 76 74 6a   // }
        3a 68 36 76   // }  Username (9 bytes) and padding (3 bytes)
        59 20 20 20   // }
        00 08 00 14   // MESSAGE-INTEGRITY attribute header
        9a ea a7 0c   // }
        bf d8 cb 56   // }
        78 1e f2 b5   // }  HMAC-SHA1 fingerprint
        b2 d3 f2 49   // }
        c1 b5 71 a2   // }
        80 28 00 04   // FINGERPRINT attribute header
        e5 7a 3b cf   // CRC32 fingerprint
        """)

    /// §2.2 Sample IPv4 Response.
    static let ipv4Response: [UInt8] = hexBytes("""
        01 01 00 3c   // Response type and message length
        21 12 a4 42   // Magic cookie
        b7 e7 a7 01   // }
        bc 34 d6 86   // }  Transaction ID
        fa 87 df ae   // }
        80 22 00 0b   // SOFTWARE attribute header
        74 65 73 74   // }
        20 76 65 63   // }  UTF-8 server name
        74 6f 72 20   // }
        00 20 00 08   // XOR-MAPPED-ADDRESS attribute header
        00 01 a1 47   // Address family (IPv4) and xor'd mapped port number
        e1 12 a6 43   // Xor'd mapped IPv4 address
        00 08 00 14   // MESSAGE-INTEGRITY attribute header
        2b 91 f5 99   // }
        fd 9e 90 c3   // }
        8c 74 89 f9   // }  HMAC-SHA1 fingerprint
        2a f9 ba 53   // }
        f0 6b e7 d7   // }
        80 28 00 04   // FINGERPRINT attribute header
        c0 7d 4c 96   // CRC32 fingerprint
        """)

    /// §2.3 Sample IPv6 Response.
    static let ipv6Response: [UInt8] = hexBytes("""
        01 01 00 48   // Response type and message length
        21 12 a4 42   // Magic cookie
        b7 e7 a7 01   // }
        bc 34 d6 86   // }  Transaction ID
        fa 87 df ae   // }
        80 22 00 0b   // SOFTWARE attribute header
        74 65 73 74   // }
        20 76 65 63   // }  UTF-8 server name
        74 6f 72 20   // }
        00 20 00 14   // XOR-MAPPED-ADDRESS attribute header
        00 02 a1 47   // Address family (IPv6) and xor'd mapped port number
        01 13 a9 fa   // }
        a5 d3 f1 79   // }  Xor'd mapped IPv6 address
        bc 25 f4 b5   // }
        be d2 b9 d9   // }
        00 08 00 14   // MESSAGE-INTEGRITY attribute header
        a3 82 95 4e   // }
        4b e6 7b f1   // }
        17 84 c9 7c   // }  HMAC-SHA1 fingerprint
        82 92 c2 75   // }
        bf e3 ed 41   // }
        80 28 00 04   // FINGERPRINT attribute header
        c8 fb 0b 4c   // CRC32 fingerprint
        """)

    /// §2.4 Sample Request with Long-Term Authentication. Username "マトリックス" (U+30DE U+30C8
    /// U+30EA U+30C3 U+30AF U+30B9, unchanged by SASLprep), password "The<U+00AD>M<U+00AA>tr<U+2168>",
    /// "TheMatrIX" after SASLprep; nonce "f//499k954d6OL34oL9FSTvy64sA"; realm "example.org".
    static let longTermRequest: [UInt8] = hexBytes("""
        00 01 00 60   // Request type and message length
        21 12 a4 42   // Magic cookie
        78 ad 34 33   // }
        c6 ad 72 c0   // }  Transaction ID
        29 da 41 2e   // }
        00 06 00 12   // USERNAME attribute header
        e3 83 9e e3   // }
        83 88 e3 83   // }
        aa e3 83 83   // }  Username value (18 bytes) and padding (2 bytes)
        e3 82 af e3   // }
        82 b9 00 00   // }
        00 15 00 1c   // NONCE attribute header
        66 2f 2f 34   // }
        39 39 6b 39   // }
        35 34 64 36   // }
        4f 4c 33 34   // }  Nonce value
        6f 4c 39 46   // }
        53 54 76 79   // }
        36 34 73 41   // }
        00 14 00 0b   // REALM attribute header
        65 78 61 6d   // }
        70 6c 65 2e   // }  Realm value (11 bytes) and padding (1 byte)
        6f 72 67 00   // }
        00 08 00 14   // MESSAGE-INTEGRITY attribute header
        f6 70 24 65   // }
        6d d6 4a 3e   // }
        02 b8 e0 71   // }  HMAC-SHA1 fingerprint
        2e 85 c9 a2   // }
        8c a8 96 66   // }
        """)

    static let longTermUsername = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}"

    /// RFC 8489 §9.2.2: key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password)).
    static func longTermKey(username: String, realm: String, password: String) -> [UInt8] {
        let input = Array("\(username):\(realm):\(password)".utf8)
        var digest = [UInt8](repeating: 0, count: 16)
        var size: UInt32 = 0
        let ok = input.withUnsafeBytes { i in
            digest.withUnsafeMutableBytes { d in
                EVP_Digest(i.baseAddress, i.count, d.baseAddress!.assumingMemoryBound(to: UInt8.self), &size, EVP_md5(), nil)
            }
        }
        precondition(ok == 1 && size == 16, "MD5 failed")
        return digest
    }

    /// Builds into a fresh buffer and returns the bytes.
    static func build(_ type: STUNMessageType, _ tid: STUNTransactionID,
                      _ body: (inout STUNMessageBuilder) throws(BufferTooSmall) -> Void) throws -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
        defer { buffer.deallocate() }
        var b = try STUNMessageBuilder(into: buffer, type: type, transactionID: tid)
        try body(&b)
        return Array(b.bytes)
    }

    static func types(_ m: STUNMessage) -> [STUNAttributeType] { m.attributes.map(\.type) }

    // MARK: §2.1

    @Test func sampleRequest() throws {
        let key = HMACSHA1(password: Self.password)
        let wrong = HMACSHA1(password: "VOkJxbRl1RmTxUk/WvJxBT")
        try withBytes(Self.sampleRequest) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(m.type == .bindingRequest)
            #expect(m.transactionID == Self.tid)
            #expect(Self.types(m) == [.software, .priority, .iceControlled, .username, .messageIntegrity, .fingerprint])
            #expect(m.software.map { String(decoding: $0, as: UTF8.self) } == "STUN test client")
            #expect(m.priority == 0x6e00_01ff)
            #expect(m.iceControlled == 0x932f_f9b1_5126_3b36)
            #expect(m.iceControlling == nil)
            #expect(!m.hasUseCandidate)
            #expect(m.username.map { String(decoding: $0, as: UTF8.self) } == "evtj:h6vY")
            #expect(m.messageIntegrity?.offset == 76)
            #expect(m.fingerprint == 0xe57a_3bcf)
            #expect(!m.hasMessageIntegritySHA256)
            #expect(!m.hasUnknownComprehensionRequired)

            #expect(m.isFingerprintValid)
            try m.verifyFingerprint()
            #expect(m.isMessageIntegrityValid(key: key))
            try m.verifyMessageIntegrity(key: key)
            #expect(!m.isMessageIntegrityValid(key: wrong))
            #expect(throws: ParseError(.integrity, at: 80, "MESSAGE-INTEGRITY mismatch")) { try m.verifyMessageIntegrity(key: wrong) }
        }

        let rebuilt = try Self.build(.bindingRequest, Self.tid) { b throws(BufferTooSmall) in
            b.paddingByte = 0x20
            try b.append(.software, utf8: "STUN test client")
            try b.appendPriority(0x6e00_01ff)
            try b.appendICEControlled(0x932f_f9b1_5126_3b36)
            try b.append(.username, utf8: "evtj:h6vY")
            try b.appendMessageIntegrity(key: key)
            try b.appendFingerprint()
        }
        #expect(hexString(rebuilt) == hexString(Self.sampleRequest))
    }

    // MARK: §2.2

    @Test func ipv4Response() throws {
        let key = HMACSHA1(password: Self.password)
        let wrong = HMACSHA1(password: "wrong")
        let address = SocketAddress(ipv4: 192, 0, 2, 1, port: 32853)
        try withBytes(Self.ipv4Response) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(m.type == .bindingSuccess)
            #expect(m.transactionID == Self.tid)
            #expect(Self.types(m) == [.software, .xorMappedAddress, .messageIntegrity, .fingerprint])
            #expect(m.software.map { String(decoding: $0, as: UTF8.self) } == "test vector")
            #expect(m.xorMappedAddress == address)
            #expect(m.xorMappedAddress?.description == "192.0.2.1:32853")
            #expect(m.mappedAddress == nil)
            #expect(m.fingerprint == 0xc07d_4c96)
            try m.verifyFingerprint()
            try m.verifyMessageIntegrity(key: key)
            #expect(!m.isMessageIntegrityValid(key: wrong))
        }
        let rebuilt = try Self.build(.bindingSuccess, Self.tid) { b throws(BufferTooSmall) in
            b.paddingByte = 0x20
            try b.append(.software, utf8: "test vector")
            try b.appendXORMappedAddress(address)
            try b.appendMessageIntegrity(key: key)
            try b.appendFingerprint()
        }
        #expect(hexString(rebuilt) == hexString(Self.ipv4Response))
    }

    // MARK: §2.3

    @Test func ipv6Response() throws {
        let key = HMACSHA1(password: Self.password)
        let wrong = HMACSHA1(password: "")
        let address = SocketAddress(ipv6: 0x2001, 0xdb8, 0x1234, 0x5678, 0x11, 0x2233, 0x4455, 0x6677, port: 32853)
        try withBytes(Self.ipv6Response) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(m.type == .bindingSuccess)
            #expect(Self.types(m) == [.software, .xorMappedAddress, .messageIntegrity, .fingerprint])
            #expect(m.software.map { String(decoding: $0, as: UTF8.self) } == "test vector")
            #expect(m.xorMappedAddress == address)
            #expect(m.fingerprint == 0xc8fb_0b4c)
            try m.verifyFingerprint()
            try m.verifyMessageIntegrity(key: key)
            #expect(!m.isMessageIntegrityValid(key: wrong))
        }
        let rebuilt = try Self.build(.bindingSuccess, Self.tid) { b throws(BufferTooSmall) in
            b.paddingByte = 0x20
            try b.append(.software, utf8: "test vector")
            try b.appendXORMappedAddress(address)
            try b.appendMessageIntegrity(key: key)
            try b.appendFingerprint()
        }
        #expect(hexString(rebuilt) == hexString(Self.ipv6Response))
    }

    // MARK: §2.4

    @Test func longTermAuthenticationRequest() throws {
        let keyBytes = Self.longTermKey(username: Self.longTermUsername, realm: "example.org", password: "TheMatrIX")
        let key = HMACSHA1(key: keyBytes)
        // The password before SASLprep ("The" SOFT HYPHEN "M" FEMININE ORDINAL "tr" ROMAN NUMERAL NINE)
        // gives a different key and must fail.
        let unprepared = HMACSHA1(key: Self.longTermKey(username: Self.longTermUsername, realm: "example.org",
                                                        password: "The\u{00AD}M\u{00AA}tr\u{2168}"))
        let tid = STUNTransactionID(high: 0x78ad_3433, low: 0xc6ad_72c0_29da_412e)
        try withBytes(Self.longTermRequest) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(m.type == .bindingRequest)
            #expect(m.transactionID == tid)
            #expect(Self.types(m) == [.username, .nonce, .realm, .messageIntegrity])
            #expect(m.username.map { String(decoding: $0, as: UTF8.self) } == Self.longTermUsername)
            #expect(m.username?.count == 18)
            #expect(m.nonce.map { String(decoding: $0, as: UTF8.self) } == "f//499k954d6OL34oL9FSTvy64sA")
            #expect(m.realm.map { String(decoding: $0, as: UTF8.self) } == "example.org")
            #expect(m.fingerprint == nil)
            #expect(!m.isFingerprintValid)
            #expect(!m.hasUnknownComprehensionRequired)
            try m.verifyMessageIntegrity(key: key)
            #expect(!m.isMessageIntegrityValid(key: unprepared))
        }
        let rebuilt = try Self.build(.bindingRequest, tid) { b throws(BufferTooSmall) in
            try b.append(.username, utf8: Self.longTermUsername)
            try b.append(.nonce, utf8: "f//499k954d6OL34oL9FSTvy64sA")
            try b.append(.realm, utf8: "example.org")
            try b.appendMessageIntegrity(key: key)
        }
        #expect(hexString(rebuilt) == hexString(Self.longTermRequest))
    }

    // MARK: Tampering

    /// §2.1, §2.2, §2.3, §2.4 by index.
    @Test(arguments: 0..<4)
    func everySingleBitFlipIsRejected(vectorIndex: Int) throws {
        let vector = [Self.sampleRequest, Self.ipv4Response, Self.ipv6Response, Self.longTermRequest][vectorIndex]
        let key: HMACSHA1
        if vector == Self.longTermRequest {
            key = HMACSHA1(key: Self.longTermKey(username: Self.longTermUsername, realm: "example.org", password: "TheMatrIX"))
        } else {
            key = HMACSHA1(password: Self.password)
        }
        let hasFingerprint = vector != Self.longTermRequest
        for byte in 0..<vector.count {
            for bit in 0..<8 {
                var b = vector
                b[byte] ^= 1 << bit
                let accepted = withBytes(b) { buf -> Bool in
                    guard let m = try? STUNMessage(parsing: buf) else { return false }
                    if hasFingerprint && !m.isFingerprintValid { return false }
                    return m.isMessageIntegrityValid(key: key)
                }
                // Padding bytes are covered by both checks too (RFC 8489 hashes them), so nothing passes.
                #expect(!accepted, "byte \(byte) bit \(bit)")
            }
        }
    }
}
