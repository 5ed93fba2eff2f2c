import PodiumRTC
import PodiumTestSupport
import PodiumWire
import Testing

/// ICE credentials (RFC 8839 §5.4) and the ufrag table used by the demux.
@Suite struct ICECredentialsTests {
    @Test func randomCredentialsHaveTheRightShape() throws {
        var seen = Set<String>()
        for _ in 0..<200 {
            let c = ICECredentials.random()
            #expect(c.ufrag.utf8.count == 8 && c.pwd.utf8.count == 24)
            try c.validate()
            seen.insert(c.ufrag)
        }
        #expect(seen.count == 200)
        var rng = ICETestRNG(seed: 1)
        var rng2 = ICETestRNG(seed: 1)
        #expect(ICECredentials.random(using: &rng) == ICECredentials.random(using: &rng2))
    }

    @Test func browserCredentialsAreValid() throws {
        _ = try ICECredentials(validatingUfrag: "EsAw", pwd: "bP+XJMM09aR8AiX1jdukzR6Y")          // Chromium
        _ = try ICECredentials(validatingUfrag: "1a2b3c4d", pwd: "0123456789abcdef0123456789abcdef")  // Firefox
        _ = try ICECredentials(validatingUfrag: String(repeating: "u", count: 256), pwd: String(repeating: "p", count: 256))
    }

    @Test(arguments: [
        ("abc", "0123456789012345678901", ICECredentialsError.badLength(.ufrag, count: 3, allowed: 4...256)),
        ("abcd", "012345678901234567890", .badLength(.pwd, count: 21, allowed: 22...256)),
        (String(repeating: "u", count: 257), "0123456789012345678901", .badLength(.ufrag, count: 257, allowed: 4...256)),
        ("abcd", String(repeating: "p", count: 300), .badLength(.pwd, count: 300, allowed: 22...256)),
        ("ab:d", "0123456789012345678901", .invalidCharacter(.ufrag, offset: 2)),
        ("abcd", "01234567890123456789 1", .invalidCharacter(.pwd, offset: 20)),
        ("abcé", "0123456789012345678901", .invalidCharacter(.ufrag, offset: 3)),
        ("", "", .badLength(.ufrag, count: 0, allowed: 4...256)),
    ])
    func invalidRemoteCredentialsAreRefused(ufrag: String, pwd: String, expected: ICECredentialsError) {
        #expect(throws: expected) { try ICECredentials(validatingUfrag: ufrag, pwd: pwd) }
    }

    @Test func errorsSayWhatIsWrong() {
        #expect(ICECredentialsError.badLength(.pwd, count: 21, allowed: 22...256).description
            == "ice-pwd has 21 characters; RFC 8839 allows 22-256")
        #expect(ICECredentials(ufrag: "abcd", pwd: "secretsecretsecretsecret").description.contains("secret") == false)
    }

    @Test func ufragTableFindsTransportsFromUsernameBytes() throws {
        var table = ICEUfragTable<Int>(capacity: 3)
        try table.insert(1, forUfrag: "srvUfrag")
        try table.insert(2, forUfrag: "other001")
        #expect(throws: ICEUfragTableError.duplicate("srvUfrag")) { try table.insert(9, forUfrag: "srvUfrag") }
        #expect(throws: ICEUfragTableError.invalidUfrag(length: 0)) { try table.insert(9, forUfrag: "") }
        try table.insert(3, forUfrag: "third001")
        #expect(throws: ICEUfragTableError.full(capacity: 3)) { try table.insert(4, forUfrag: "fourth01") }
        #expect(table.count == 3)

        try iceTestParse(ICETestCheck().bytes()) { m in #expect(table.value(for: m) == 1) }
        var unknown = ICETestCheck()
        unknown.username = "srvUfra:cl1e"
        try iceTestParse(unknown.bytes()) { m in #expect(table.value(for: m) == nil) }
        unknown.username = nil
        try iceTestParse(unknown.bytes()) { m in #expect(table.value(for: m) == nil) }
        #expect(table.value(forUfrag: "other001") == 2)

        #expect(table.removeValue(forUfrag: "srvUfrag") == 1)
        #expect(table.removeValue(forUfrag: "srvUfrag") == nil)
        #expect(table.value(forUfrag: "srvUfrag") == nil && table.count == 2)
        try table.insert(4, forUfrag: "fourth01")
        #expect(table.value(forUfrag: "fourth01") == 4)
    }

    @Test func ufragTableHoldsManyEntries() throws {
        var table = ICEUfragTable<Int>()
        var ufrags: [String] = []
        var rng = ICETestRNG(seed: 3)
        for i in 0..<5_000 {
            let u = ICECredentials.random(using: &rng).ufrag
            try table.insert(i, forUfrag: u)
            ufrags.append(u)
        }
        for (i, u) in ufrags.enumerated() {
            withBytes(Array(u.utf8)) { #expect(table.value(forUfrag: $0) == i) }
        }
        for u in ufrags.prefix(2_500) { table.removeValue(forUfrag: u) }
        #expect(table.count == 2_500)
        #expect(table.value(forUfrag: ufrags[0]) == nil && table.value(forUfrag: ufrags[4_999]) == 4_999)
    }
}
