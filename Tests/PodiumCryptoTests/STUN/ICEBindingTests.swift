import Testing
import PodiumTestSupport
import PodiumCrypto
import PodiumWire

/// ICE connectivity checks (RFC 8445 §7.2) the way Chromium sends them, built and verified with the
/// OpenSSL-backed key, and the ICE-lite answer (binding success with XOR-MAPPED-ADDRESS).
@Suite struct ICEBindingTests {
    /// The answering agent's ice-pwd: the key of the checks it receives (RFC 8445 §7.2.2).
    static let localPassword = "w2Q8Jx1lT4bqH6zNvcR9sYpE"
    static let tid = STUNTransactionID(high: 0x0102_0304, low: 0x0506_0708_090a_0b0c)

    private static func withBuffer<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
        defer { buffer.deallocate() }
        return try body(buffer)
    }

    /// Chromium's attribute order: USERNAME, GOOG-NETWORK-INFO (0xC057, comprehension-optional),
    /// ICE-CONTROLLING, USE-CANDIDATE, PRIORITY, MESSAGE-INTEGRITY, FINGERPRINT.
    private static func chromiumCheck(key: HMACSHA1) throws -> [UInt8] {
        try withBuffer { buffer in
            var b = try STUNMessageBuilder(into: buffer, type: .bindingRequest, transactionID: tid)
            try b.append(.username, utf8: "rfrag:lfrag")
            try withBytes([0x00, 0x01, 0x00, 0x0a]) { v in try b.append(STUNAttributeType(rawValue: 0xC057), value: v) }
            try b.appendICEControlling(0x1c2d_3e4f_5061_7283)
            try b.appendUseCandidate()
            try b.appendPriority(0x6e7f_1eff)
            try b.appendMessageIntegrity(key: key)
            try b.appendFingerprint()
            return Array(b.bytes)
        }
    }

    @Test func chromiumStyleBindingRequest() throws {
        let key = HMACSHA1(password: Self.localPassword)
        let bytes = try Self.chromiumCheck(key: key)
        #expect(bytes.count == 20 + 16 + 8 + 12 + 4 + 8 + 24 + 8)
        #expect(Array(bytes[0..<4]) == [0x00, 0x01, 0x00, 0x50])
        try withBytes(bytes) { buf in
            #expect(STUNMessage.looksLikeSTUN(buf))
            let m = try STUNMessage(parsing: buf)
            #expect(m.type == .bindingRequest)
            #expect(m.username.map { String(decoding: $0, as: UTF8.self) } == "rfrag:lfrag")
            let fragments = try #require(m.iceUsernameFragments)
            #expect(String(decoding: fragments.receiver, as: UTF8.self) == "rfrag")
            #expect(String(decoding: fragments.sender, as: UTF8.self) == "lfrag")
            #expect(m.iceControlling == 0x1c2d_3e4f_5061_7283)
            #expect(m.iceControlled == nil)
            #expect(m.hasUseCandidate)
            #expect(m.priority == 0x6e7f_1eff)
            #expect(!m.hasUnknownComprehensionRequired)  // 0xC057 is comprehension-optional
            #expect(m.attributes.map(\.type.rawValue) == [0x0006, 0xC057, 0x802A, 0x0025, 0x0024, 0x0008, 0x8028])
            try m.verifyFingerprint()
            try m.verifyMessageIntegrity(key: key)
            let other = HMACSHA1(password: "w2Q8Jx1lT4bqH6zNvcR9sYpF")
            #expect(!m.isMessageIntegrityValid(key: other))
        }
    }

    @Test func iceLiteSuccessResponse() throws {
        let key = HMACSHA1(password: Self.localPassword)
        let request = try Self.chromiumCheck(key: key)
        let source = SocketAddress(ipv4: 203, 0, 113, 7, port: 50123)
        let response = try withBytes(request) { buf in
            let m = try STUNMessage(parsing: buf)
            try m.verifyMessageIntegrity(key: key)
            return try Self.withBuffer { out in
                var b = try STUNMessageBuilder(into: out, type: .bindingSuccess, transactionID: m.transactionID)
                try b.appendXORMappedAddress(source)
                try b.appendMessageIntegrity(key: key)
                try b.appendFingerprint()
                return Array(b.bytes)
            }
        }
        #expect(response.count == 20 + 12 + 24 + 8)
        try withBytes(response) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(m.type == .bindingSuccess)
            #expect(m.transactionID == Self.tid)
            #expect(m.xorMappedAddress == source)
            try m.verifyFingerprint()
            try m.verifyMessageIntegrity(key: key)
        }
    }

    @Test func roleConflictErrorResponse() throws {
        let key = HMACSHA1(password: Self.localPassword)
        let bytes = try Self.withBuffer { out in
            var b = try STUNMessageBuilder(into: out, type: .bindingError, transactionID: Self.tid)
            try withBytes(Array("Role Conflict".utf8)) { r in try b.appendErrorCode(STUNErrorCode.roleConflict, reason: r) }
            try b.appendMessageIntegrity(key: key)
            try b.appendFingerprint()
            return Array(b.bytes)
        }
        try withBytes(bytes) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(m.type == .bindingError)
            #expect(m.errorCode?.code == 487)
            #expect(m.errorCode.map { String(decoding: $0.reason, as: UTF8.self) } == "Role Conflict")
            #expect(m.errorCode?.description == "487 Role Conflict")
            try m.verifyMessageIntegrity(key: key)
            try m.verifyFingerprint()
        }
    }

    /// RFC 8489 Appendix B.1: MESSAGE-INTEGRITY-SHA256 and USERHASH. This codec reports the SHA-256
    /// integrity as present (it does not verify it) and USERHASH as a comprehension-required
    /// attribute it does not understand.
    @Test func rfc8489B1MessageIntegritySHA256() throws {
        let bytes = hexBytes("""
            00 01 00 88  2112a442  78ad3433 c6ad72c0 29da412e
            001e 0020  4a3cf38f ef6992bd a952c678 0417da0f 24819415 569e60b2 05c46e41 407f1704   // USERHASH
            0015 0029  6f624d61 744a6f73 32414141 43662f2f 3439396b 39353464 364f4c33 346f4c39
                       46535476 79363473 41000000                                               // NONCE
            0014 000b  6578616d 706c652e 6f726700                                               // REALM
            001c 0020  fd8c2738 60d2e18e bca4c89b 6973befa 7ee8ecc6 9e9642db 326fab65 a0b955ba   // MESSAGE-INTEGRITY-SHA256
            """)
        try withBytes(bytes) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(m.hasMessageIntegritySHA256)
            #expect(m.messageIntegritySHA256?.value.count == 32)
            #expect(m.messageIntegritySHA256?.offset == 120)
            #expect(m.messageIntegrity == nil)
            #expect(m.realm.map { String(decoding: $0, as: UTF8.self) } == "example.org")
            #expect(m.nonce.map { String(decoding: $0, as: UTF8.self) } == "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA")
            #expect(Array(m.unknownComprehensionRequired) == [.userhash])
        }
    }
}
