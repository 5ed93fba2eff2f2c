import Testing
import PodiumTestSupport
@testable import PodiumWire

/// STUN codec tests that need no cryptography (PodiumWire alone). The RFC 5769 vectors with
/// MESSAGE-INTEGRITY verification live in PodiumCryptoTests/STUN.
@Suite struct STUNMessageTests {
    /// RFC 5769 §2.1 sample request (password "VOkJxbRl1RmTxUk/WvJxBt").
    static let sampleRequest: [UInt8] = hexBytes("""
        00 01 00 58   // Binding request, length 88
        21 12 a4 42   // magic cookie
        b7 e7 a7 01 bc 34 d6 86 fa 87 df ae   // transaction ID
        80 22 00 10   // SOFTWARE, 16
        53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74   // "STUN test client"
        00 24 00 04   // PRIORITY
        6e 00 01 ff
        80 29 00 08   // ICE-CONTROLLED
        93 2f f9 b1 51 26 3b 36
        00 06 00 09   // USERNAME, 9
        65 76 74 6a 3a 68 36 76 59 20 20 20   // "evtj:h6vY" + 3 padding bytes 0x20
        00 08 00 14   // MESSAGE-INTEGRITY
        9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04   // FINGERPRINT
        e5 7a 3b cf
        """)

    /// RFC 5769 §2.3 sample IPv6 response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.
    static let ipv6Response: [UInt8] = hexBytes("""
        01 01 00 48   // Binding success response, length 72
        21 12 a4 42
        b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b   // SOFTWARE, 11
        74 65 73 74 20 76 65 63 74 6f 72 20   // "test vector" + 0x20 padding
        00 20 00 14   // XOR-MAPPED-ADDRESS, 20
        00 02 a1 47   // family IPv6, X-Port
        01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9   // X-Address
        00 08 00 14   // MESSAGE-INTEGRITY
        a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04   // FINGERPRINT
        c8 fb 0b 4c
        """)

    static let tid = STUNTransactionID(high: 0xb7e7_a701, low: 0xbc34_d686_fa87_dfae)

    /// A stand-in HMAC that records what it was asked to hash and returns a digest derived from it,
    /// so PodiumWire's "what is hashed" logic can be checked without OpenSSL.
    private final class RecordingKey: STUNMessageIntegrityKey {
        var hashed: [UInt8] = []
        func hmacSHA1(_ part0: UnsafeRawBufferPointer, _ part1: UnsafeRawBufferPointer, _ part2: UnsafeRawBufferPointer,
                      into digest: UnsafeMutableRawBufferPointer) -> Bool {
            hashed = Array(part0) + Array(part1) + Array(part2)
            for i in 0..<20 { digest[i] = UInt8(truncatingIfNeeded: hashed.count &+ i) ^ hashed.reduce(0, ^) }
            return true
        }
    }

    private static func parse(_ bytes: [UInt8]) throws(ParseError) -> ParsedSummary {
        var result: Result<ParsedSummary, ParseError> = .failure(ParseError(.truncated, at: -1, "unset"))
        withBytes(bytes) { buf in
            result = Result { () throws(ParseError) in ParsedSummary(try STUNMessage(parsing: buf)) }
        }
        return try result.get()
    }

    /// What a parsed message says, copied out of the buffer so tests can compare it after the
    /// buffer is gone.
    private struct ParsedSummary: Equatable {
        var type: STUNMessageType
        var transactionID: STUNTransactionID
        var attributes: [UInt16] = []
        var values: [[UInt8]] = []
        var username: [UInt8]?
        var software: [UInt8]?
        var priority: UInt32?
        var useCandidate: Bool
        var controlling: UInt64?
        var controlled: UInt64?
        var xorMapped: SocketAddress?
        var mapped: SocketAddress?
        var errorCode: Int?
        var errorReason: [UInt8]?
        var integrity: [UInt8]?
        var integrityOffset: Int?
        var fingerprint: UInt32?
        var fingerprintValid: Bool
        var unknownRequired: [UInt16]
        var unknownAttributes: [UInt16]?

        init(_ m: STUNMessage) {
            type = m.type
            transactionID = m.transactionID
            for a in m.attributes {
                attributes.append(a.type.rawValue)
                values.append(Array(a.value))
            }
            username = m.username.map { Array($0) }
            software = m.software.map { Array($0) }
            priority = m.priority
            useCandidate = m.hasUseCandidate
            controlling = m.iceControlling
            controlled = m.iceControlled
            xorMapped = m.xorMappedAddress
            mapped = m.mappedAddress
            errorCode = m.errorCode?.code
            errorReason = m.errorCode.map { Array($0.reason) }
            integrity = m.messageIntegrity.map { Array($0.value) }
            integrityOffset = m.messageIntegrity?.offset
            fingerprint = m.fingerprint
            fingerprintValid = m.isFingerprintValid
            unknownRequired = m.unknownComprehensionRequired.map(\.rawValue)
            unknownAttributes = m.unknownAttributes.map { $0.map(\.rawValue) }
        }
    }

    private static func expectError(_ bytes: [UInt8], _ kind: ParseError.Kind, at offset: Int? = nil,
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let m = try parse(bytes)
            Issue.record("parsed but expected \(kind): \(m.attributes)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            if let offset { #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation) }
        }
    }

    /// Builds a message with `body` and returns its bytes.
    private static func build(_ type: STUNMessageType = .bindingRequest, capacity: Int = 1500,
                              _ body: (inout STUNMessageBuilder) throws(BufferTooSmall) -> Void) throws -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        var b = try STUNMessageBuilder(into: buffer, type: type, transactionID: tid)
        try body(&b)
        return Array(b.bytes)
    }

    // MARK: Header

    @Test(arguments: [
        (STUNMessageType.bindingRequest, UInt16(0x0001)),
        (.bindingIndication, 0x0011),
        (.bindingSuccess, 0x0101),
        (.bindingError, 0x0111),
        (STUNMessageType(method: STUNMethod(rawValue: 0x003), class: .request), 0x0003),  // TURN Allocate
        (STUNMessageType(method: STUNMethod(rawValue: 0xFFF), class: .errorResponse), 0x3FFF),
        (STUNMessageType(method: STUNMethod(rawValue: 0x080), class: .request), 0x0200),  // M7 → bit 9
        (STUNMessageType(method: STUNMethod(rawValue: 0x010), class: .request), 0x0020),  // M4 → bit 5
    ] as [(STUNMessageType, UInt16)])
    func messageTypeInterleaving(type: STUNMessageType, raw: UInt16) {
        #expect(type.rawValue == raw)
        #expect(STUNMessageType(rawValue: raw) == type)
    }

    @Test func messageTypeRoundTripsEveryMethodAndClass() {
        var seen = Set<UInt16>()
        for m in UInt16(0)...0xFFF {
            for c in STUNClass.allCases {
                let t = STUNMessageType(method: STUNMethod(rawValue: m), class: c)
                #expect(t.rawValue & 0xC000 == 0)
                #expect(STUNMessageType(rawValue: t.rawValue) == t)
                seen.insert(t.rawValue)
            }
        }
        #expect(seen.count == 0x4000)
    }

    @Test func crc32CheckValues() {
        // The CRC-32 check value of "123456789" (RFC 1952 polynomial).
        #expect(withBytes(Array("123456789".utf8)) { CRC32.checksum($0) } == 0xCBF4_3926)
        #expect(withBytes([]) { CRC32.checksum($0) } == 0)
        #expect(withBytes(Array("The quick brown fox jumps over the lazy dog".utf8)) { CRC32.checksum($0) } == 0x414F_A339)
        // Incremental update equals one pass.
        let data = Array("123456789".utf8)
        let split = withBytes(Array(data[0..<4])) { a in withBytes(Array(data[4...])) { b in CRC32.update(CRC32.update(0, a), b) } }
        #expect(split == 0xCBF4_3926)
    }

    @Test func crc32MatchesBitwiseReferenceAtEveryLengthAndAlignment() {
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            return ~c
        }
        var state: UInt32 = 0x1234_5678
        let data = (0..<80).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        withBytes(data) { buf in
            for start in 0..<8 {
                for length in 0...(data.count - start) {
                    let got = CRC32.checksum(UnsafeRawBufferPointer(rebasing: buf[start..<start + length]))
                    #expect(got == reference(data[start..<start + length]), "start \(start) length \(length)")
                }
            }
        }
    }

    // MARK: RFC 5769 vectors (structure only)

    @Test func parsesSampleRequestStructure() throws {
        let m = try Self.parse(Self.sampleRequest)
        #expect(m.type == .bindingRequest)
        #expect(m.transactionID == Self.tid)
        #expect(m.attributes == [0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028])
        #expect(m.software == Array("STUN test client".utf8))
        #expect(m.priority == 0x6e00_01ff)
        #expect(m.controlled == 0x932f_f9b1_5126_3b36)
        #expect(m.controlling == nil)
        #expect(m.useCandidate == false)
        #expect(m.username == Array("evtj:h6vY".utf8))
        #expect(m.integrityOffset == 76)
        #expect(m.integrity == hexBytes("9a eaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2"))
        #expect(m.fingerprint == 0xe57a_3bcf)
        #expect(m.fingerprintValid)
        #expect(m.unknownRequired.isEmpty)
    }

    @Test func parsesIPv6ResponseXORMappedAddress() throws {
        let m = try Self.parse(Self.ipv6Response)
        #expect(m.type == .bindingSuccess)
        let expected = SocketAddress(ipv6: 0x2001, 0xdb8, 0x1234, 0x5678, 0x11, 0x2233, 0x4455, 0x6677, port: 32853)
        #expect(m.xorMapped == expected)
        #expect(m.xorMapped?.description == "[2001:db8:1234:5678:11:2233:4455:6677]:32853")
        #expect(m.software == Array("test vector".utf8))
        #expect(m.fingerprintValid)
    }

    @Test func integrityHashesHeaderWithAdjustedLengthAndAttributesBeforeIt() throws {
        let key = RecordingKey()
        withBytes(Self.sampleRequest) { buf in
            let m = try! STUNMessage(parsing: buf)
            _ = m.isMessageIntegrityValid(key: key)
        }
        // Length adjusted from 0x58 (88, includes FINGERPRINT) to 0x50 (80, ends after MESSAGE-INTEGRITY).
        var expected = Array(Self.sampleRequest[0..<76])
        expected[3] = 0x50
        #expect(key.hashed == expected)
    }

    @Test func fingerprintMismatchIsAnIntegrityError() throws {
        var bytes = Self.sampleRequest
        bytes[bytes.count - 1] ^= 0x01
        try withBytes(bytes) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(!m.isFingerprintValid)
            #expect(throws: ParseError(.integrity, at: 104, "FINGERPRINT mismatch")) { try m.verifyFingerprint() }
        }
        // A change anywhere before the fingerprint is caught too.
        for i in STUNMessage.headerSize..<100 {
            var b = Self.sampleRequest
            b[i] ^= 0x40
            let valid = withBytes(b) { buf in (try? STUNMessage(parsing: buf))?.isFingerprintValid }
            #expect(valid != true, "byte \(i)")
        }
    }

    // MARK: Hostile input

    @Test func truncationAtEveryLengthIsTruncated() {
        for vector in [Self.sampleRequest, Self.ipv6Response] {
            for n in 0..<vector.count {
                Self.expectError(Array(vector[0..<n]), .truncated)
            }
        }
    }

    @Test func headerErrors() {
        var badCookie = Self.sampleRequest
        badCookie[7] ^= 1
        Self.expectError(badCookie, .malformed, at: 4)

        var topBits = Self.sampleRequest
        topBits[0] |= 0x80
        Self.expectError(topBits, .malformed, at: 0)

        // Length 0x55 (not a multiple of 4) over a datagram of matching size.
        var odd = Array(Self.sampleRequest[0..<(20 + 0x55)])
        odd[3] = 0x55
        Self.expectError(odd, .malformed, at: 2)

        Self.expectError(Self.sampleRequest + [0, 0, 0, 0], .malformed, at: 108)
    }

    @Test func attributeOverflowingTheMessage() {
        // The last attribute (FINGERPRINT) claims 8 bytes where 4 remain.
        var bytes = Self.sampleRequest
        bytes[103] = 0x08
        Self.expectError(bytes, .truncated, at: 102)
        // An unknown attribute whose length runs past the end.
        let message = hexBytes("0001 0008 2112a442 b7e7a701bc34d686fa87dfae  7fff 0005 0102 0304")
        Self.expectError(message, .truncated, at: 22)
        // A length near 65535 in a short message.
        Self.expectError(hexBytes("0001 0008 2112a442 b7e7a701bc34d686fa87dfae  8001 fffd 0102 0304"), .truncated, at: 22)
    }

    @Test func knownAttributesWithBadValues() throws {
        func withAttribute(_ type: UInt16, _ value: [UInt8]) throws -> [UInt8] {
            try Self.build { b throws(BufferTooSmall) in
                withBytes(value) { v in try! b.append(STUNAttributeType(rawValue: type), value: v) }
            }
        }
        Self.expectError(try withAttribute(0x0024, [1, 2, 3]), .malformed, at: 22)           // PRIORITY ≠ 4
        Self.expectError(try withAttribute(0x0025, [1]), .malformed, at: 22)                 // USE-CANDIDATE ≠ 0
        Self.expectError(try withAttribute(0x802A, [1, 2, 3, 4]), .malformed, at: 22)        // ICE-CONTROLLING ≠ 8
        Self.expectError(try withAttribute(0x8029, Array(repeating: 0, count: 9)), .malformed, at: 22)
        Self.expectError(try withAttribute(0x0008, Array(repeating: 0, count: 16)), .malformed, at: 22)
        Self.expectError(try withAttribute(0x8028, [1, 2]), .malformed, at: 22)
        Self.expectError(try withAttribute(0x001C, Array(repeating: 0, count: 12)), .malformed, at: 22)
        Self.expectError(try withAttribute(0x0006, Array(repeating: 0x61, count: 514)), .limitExceeded, at: 22)
        Self.expectError(try withAttribute(0x8022, Array(repeating: 0x61, count: 764)), .limitExceeded, at: 22)
        Self.expectError(try withAttribute(0x0020, hexBytes("00 03 a147 e112a643")), .unsupported, at: 25)  // family 3
        Self.expectError(try withAttribute(0x0020, hexBytes("00 01 a147 e112a643 0000")), .malformed)     // IPv4, 10 bytes
        Self.expectError(try withAttribute(0x0001, hexBytes("00 02 a147 e112a643")), .malformed)          // IPv6, 8 bytes
        Self.expectError(try withAttribute(0x0009, hexBytes("0000 07 00")), .malformed)                   // class 7
        Self.expectError(try withAttribute(0x0009, hexBytes("0000 04 64")), .malformed)                   // number 100
        Self.expectError(try withAttribute(0x0009, hexBytes("0000 04")), .malformed)                      // too short
        Self.expectError(try withAttribute(0x000A, hexBytes("0001 02")), .malformed)                      // odd list
        // The longest USERNAME accepted is 513 bytes.
        #expect(try Self.parse(try withAttribute(0x0006, Array(repeating: 0x61, count: 513))).username?.count == 513)
    }

    @Test func attributeAfterFingerprintIsRejected() throws {
        let bytes = try Self.build { b throws(BufferTooSmall) in
            try b.appendPriority(1)
            try b.appendFingerprint()
            try b.appendUseCandidate()
        }
        Self.expectError(bytes, .malformed, at: 36)
    }

    @Test func attributesAfterIntegrityAreIgnoredButIterable() throws {
        let key = RecordingKey()
        let bytes = try Self.build { b throws(BufferTooSmall) in
            try b.appendPriority(7)
            try b.appendMessageIntegrity(key: key)
            try b.appendPriority(9)              // ignored (§14.5)
            try b.appendUseCandidate()           // ignored
            _ = try b.appendAttribute(STUNAttributeType(rawValue: 0x7001), length: 0)  // ignored: not reported for 420
            try b.appendFingerprint()
        }
        let m = try Self.parse(bytes)
        #expect(m.priority == 7)
        #expect(m.useCandidate == false)
        #expect(m.unknownRequired.isEmpty)
        #expect(m.attributes == [0x0024, 0x0008, 0x0024, 0x0025, 0x7001, 0x8028])
        #expect(m.fingerprintValid)
        // The integrity computed over the first attribute only still verifies.
        try withBytes(bytes) { buf in
            let msg = try STUNMessage(parsing: buf)
            #expect(msg.isMessageIntegrityValid(key: key))
            try msg.verifyMessageIntegrity(key: key)
            #expect(msg.first(.priority)?.value.loadBigEndianUInt32(at: 0) == 7)
            #expect(msg.first(.useCandidate) == nil)
        }
    }

    @Test func integrityFailsWhenCoveredBytesChange() throws {
        let key = RecordingKey()
        var bytes = try Self.build { b throws(BufferTooSmall) in
            try b.appendPriority(7)
            try b.appendMessageIntegrity(key: key)
        }
        bytes[25] ^= 1
        try withBytes(bytes) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(!m.isMessageIntegrityValid(key: key))
            #expect(throws: ParseError(.integrity, at: 32, "MESSAGE-INTEGRITY mismatch")) { try m.verifyMessageIntegrity(key: key) }
        }
        let noMI = try Self.build { b throws(BufferTooSmall) in try b.appendPriority(7) }
        try withBytes(noMI) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(!m.isMessageIntegrityValid(key: key))
            #expect(throws: ParseError.self) { try m.verifyMessageIntegrity(key: key) }
            #expect(throws: ParseError.self) { try m.verifyFingerprint() }
        }
    }

    @Test func duplicateAttributesFirstWins() throws {
        let m = try Self.parse(try Self.build { b throws(BufferTooSmall) in
            try b.appendPriority(1)
            try b.appendPriority(2)
            try b.appendICEControlling(3)
            try b.appendICEControlling(4)
        })
        #expect(m.priority == 1)
        #expect(m.controlling == 3)
        #expect(m.attributes.count == 4)
    }

    @Test func unknownComprehensionRequiredAnd420Response() throws {
        let request = try Self.build { b throws(BufferTooSmall) in
            _ = try b.appendAttribute(STUNAttributeType(rawValue: 0x7F01), length: 3)   // unknown, required
            _ = try b.appendAttribute(STUNAttributeType(rawValue: 0xC057), length: 4)   // unknown, optional (GOOG-NETWORK-INFO)
            try b.appendPriority(5)
            _ = try b.appendAttribute(STUNAttributeType(rawValue: 0x0019), length: 4)   // REQUESTED-TRANSPORT (TURN): unknown here
        }
        let parsed = try Self.parse(request)
        #expect(parsed.unknownRequired == [0x7F01, 0x0019])
        #expect(parsed.priority == 5)

        let response = try withBytes(request) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(m.hasUnknownComprehensionRequired)
            return try Self.build(.bindingError) { b throws(BufferTooSmall) in
                withBytes(Array("Unknown Attribute".utf8)) { r in try! b.appendErrorCode(STUNErrorCode.unknownAttribute, reason: r) }
                try b.appendUnknownAttributes(of: m)
                try b.appendFingerprint()
            }
        }
        #expect(response[0..<4] == [0x01, 0x11, 0x00, 0x2C])
        let r = try Self.parse(response)
        #expect(r.errorCode == 420)
        #expect(r.errorReason == Array("Unknown Attribute".utf8))
        #expect(r.unknownAttributes == [0x7F01, 0x0019])
        #expect(r.fingerprintValid)
        #expect(r.unknownRequired.isEmpty)
    }

    @Test func manyZeroLengthAttributesTerminate() throws {
        var bytes = hexBytes("0001 0000 2112a442 b7e7a701bc34d686fa87dfae")
        for _ in 0..<2000 { bytes += [0x80, 0x99, 0x00, 0x00] }
        bytes[2] = UInt8((2000 * 4) >> 8)
        bytes[3] = UInt8((2000 * 4) & 0xFF)
        let m = try Self.parse(bytes)
        #expect(m.attributes.count == 2000)
        Self.expectError(Array(bytes.dropLast(4)), .truncated)
    }

    // MARK: Builder

    @Test func builderRoundTripsEveryTypedAttribute() throws {
        let v4 = SocketAddress(ipv4: 192, 0, 2, 1, port: 32853)
        let v6 = SocketAddress(ipv6: 0xfe80, 0, 0, 0, 0x1, 0, 0, 0xabcd, port: 9)
        let bytes = try Self.build(.bindingSuccess) { b throws(BufferTooSmall) in
            try b.append(.username, utf8: "abc")
            try b.appendXORMappedAddress(v4)
            try b.appendMappedAddress(v6)
            try b.appendICEControlled(0xFFFF_FFFF_FFFF_FFFF)
            try b.appendUseCandidate()
            try b.append(.software, utf8: "podium")
            try b.appendFingerprint()
        }
        #expect(bytes.count % 4 == 0)
        let m = try Self.parse(bytes)
        #expect(m.username == Array("abc".utf8))
        #expect(m.xorMapped == v4)
        #expect(m.mapped == v6)
        #expect(m.controlled == .max)
        #expect(m.useCandidate)
        #expect(m.software == Array("podium".utf8))
        #expect(m.fingerprintValid)
        // 192.0.2.1:32853 XORed (RFC 5769 §2.2 carries the same bytes).
        #expect(Array(bytes[32..<40]) == hexBytes("0001 a147 e112a643"))
        // Padding is zero by default.
        #expect(bytes[27] == 0)
    }

    @Test(arguments: [("a:b", "a", "b"), (":", "", ""), ("ab:", "ab", ""), ("a:b:c", "a", "b:c"), ("ab", nil, nil)] as [(String, String?, String?)])
    func iceUsernameFragments(username: String, receiver: String?, sender: String?) throws {
        let bytes = try Self.build { b throws(BufferTooSmall) in try b.append(.username, utf8: username) }
        try withBytes(bytes) { buf in
            let f = try STUNMessage(parsing: buf).iceUsernameFragments
            #expect(f.map { String(decoding: $0.receiver, as: UTF8.self) } == receiver)
            #expect(f.map { String(decoding: $0.sender, as: UTF8.self) } == sender)
        }
    }

    @Test func builderReportsBufferTooSmallAtEverySize() {
        let full = try! Self.build { b throws(BufferTooSmall) in
            try b.append(.username, utf8: "rfrag:lfrag")
            try b.appendPriority(1)
            try b.appendFingerprint()
        }
        for size in 0..<full.count {
            #expect(throws: BufferTooSmall.self) {
                _ = try Self.build(capacity: size) { b throws(BufferTooSmall) in
                    try b.append(.username, utf8: "rfrag:lfrag")
                    try b.appendPriority(1)
                    try b.appendFingerprint()
                }
            }
        }
    }

    @Test func writeCopiesTheMessageAndLooksLikeSTUN() throws {
        try withBytes(Self.sampleRequest) { buf in
            let m = try STUNMessage(parsing: buf)
            #expect(m.encodedSize == 108)
            #expect(STUNMessage.looksLikeSTUN(buf))
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 108, alignment: 1)
            defer { out.deallocate() }
            #expect(try m.write(into: out) == 108)
            #expect(Array(out) == Self.sampleRequest)
            #expect(throws: BufferTooSmall.self) { _ = try m.write(into: UnsafeMutableRawBufferPointer(rebasing: out[0..<107])) }
            #expect(m.description.contains("USERNAME: \"evtj:h6vY\""))
            #expect(m.description.hasPrefix("STUN binding request b7e7a701bc34d686fa87dfae"))
        }
        #expect(!withBytes(Array(Self.sampleRequest.dropLast(4))) { STUNMessage.looksLikeSTUN($0) })
        #expect(!withBytes(hexBytes("80 60 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")) { STUNMessage.looksLikeSTUN($0) })
    }

    @Test(arguments: [
        (SocketAddress(ipv4: 10, 0, 0, 1, port: 1), "10.0.0.1:1"),
        (SocketAddress(ipv6: 0x2001, 0xdb8, 0, 0, 0, 0, 0, 1, port: 443), "[2001:db8::1]:443"),
        (SocketAddress(ipv6: 0, 0, 0, 0, 0, 0, 0, 0, port: 0), "[::]:0"),
        (SocketAddress(ipv6: 0, 0, 0, 0, 0, 0, 0, 1, port: 5), "[::1]:5"),
        (SocketAddress(ipv6: 0x2001, 0xdb8, 0, 1, 0, 0, 0, 1, port: 5), "[2001:db8:0:1::1]:5"),   // longest run
        (SocketAddress(ipv6: 0x2001, 0, 0, 1, 0, 0, 1, 1, port: 5), "[2001::1:0:0:1:1]:5"),         // first on tie
        (SocketAddress(ipv6: 0x2001, 0xdb8, 0, 1, 1, 1, 1, 1, port: 5), "[2001:db8:0:1:1:1:1:1]:5"),  // single 0 kept
    ])
    func socketAddressDescription(address: SocketAddress, text: String) {
        #expect(address.description == text)
    }

    @Test func layoutStaysSmall() {
        #expect(MemoryLayout<STUNMessage>.size <= 80)
        #expect(MemoryLayout<SocketAddress>.size <= 24)
        #expect(MemoryLayout<STUNTransactionID>.size == 16)
    }
}
