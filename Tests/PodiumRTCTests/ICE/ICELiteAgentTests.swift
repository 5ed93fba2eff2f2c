import PodiumCrypto
import PodiumRTC
import PodiumTestSupport
import PodiumWire
import Testing

/// The ICE-lite agent: what it answers, what it drops and counts, nomination, consent, restart.
@Suite struct ICELiteAgentTests {
    static func agent(remote: ICECredentials? = iceTestClientCredentials,
                      _ configuration: ICELiteAgent.Configuration = .init()) -> ICELiteAgent {
        ICELiteAgent(local: iceTestServerCredentials, remote: remote, tieBreaker: 42, configuration: configuration)
    }

    @Test func nominatingCheckIsAnsweredAndSelects() throws {
        let agent = Self.agent()
        #expect(agent.state(now: 0) == .new)
        let check = ICETestCheck()
        let (outcome, response) = agent.handle(check, now: 5 * iceSecond)
        #expect(outcome.action == .respond(byteCount: 64))
        #expect(outcome.authenticated && outcome.nominated && outcome.selectedChanged)
        #expect(agent.selectedAddress == iceTestClientAddress)
        #expect(agent.consentRefreshedAt == 5 * iceSecond)
        #expect(agent.state(now: 5 * iceSecond) == .connected)
        #expect(agent.counters.successResponses == 1 && agent.counters.nominations == 1 && agent.counters.selectedChanges == 1)
        try iceTestParse(response) { m in
            #expect(m.type == .bindingSuccess)
            #expect(m.transactionID == check.transactionID)
            #expect(m.xorMappedAddress == iceTestClientAddress)
            #expect(m.isMessageIntegrityValid(key: HMACSHA1(password: iceTestServerCredentials.pwd)))
            #expect(m.isFingerprintValid)
            #expect(m.attributes.map(\.type) == [.xorMappedAddress, .messageIntegrity, .fingerprint])
        }
    }

    @Test func ipv6SourceIsReflected() throws {
        let agent = Self.agent()
        let source = SocketAddress(ipv6: 0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x42, port: 9)
        let (outcome, response) = agent.handle(ICETestCheck(), from: source, now: 0)
        #expect(outcome.action == .respond(byteCount: ICELiteAgent.maxResponseSize))
        try iceTestParse(response) { m in #expect(m.xorMappedAddress == source) }
    }

    @Test func checkWithoutUseCandidateAnswersButDoesNotSelect() {
        let agent = Self.agent()
        var check = ICETestCheck()
        check.useCandidate = false
        let (outcome, _) = agent.handle(check, now: 0)
        #expect(outcome.action == .respond(byteCount: 64))
        #expect(outcome.authenticated && !outcome.nominated && !outcome.selectedChanged)
        #expect(agent.selectedAddress == nil)
        #expect(agent.state(now: 0) == .checking)
        #expect(!agent.consentExpired(now: 100 * iceSecond))
    }

    /// RFC 5769 §2.1: a request with ICE-CONTROLLED, USERNAME "evtj:h6vY", key "VOkJxbRl1RmTxUk/WvJxBt".
    /// To a lite agent owning ufrag "evtj" it authenticates, and ICE-CONTROLLED makes it a role conflict.
    @Test func rfc5769SampleRequestGetsSigned487() throws {
        let vector = hexBytes("""
            00 01 00 58  21 12 a4 42  b7 e7 a7 01 bc 34 d6 86 fa 87 df ae   // Binding request, length 88, tid
            80 22 00 10  53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74    // SOFTWARE "STUN test client"
            00 24 00 04  6e 00 01 ff                                        // PRIORITY
            80 29 00 08  93 2f f9 b1 51 26 3b 36                            // ICE-CONTROLLED
            00 06 00 09  65 76 74 6a 3a 68 36 76 59 20 20 20                // USERNAME "evtj:h6vY" + padding
            00 08 00 14  9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2  // MESSAGE-INTEGRITY
            80 28 00 04  e5 7a 3b cf                                        // FINGERPRINT
            """)
        let local = ICECredentials(ufrag: "evtj", pwd: "VOkJxbRl1RmTxUk/WvJxBt")
        try local.validate()
        for remote in [ICECredentials(ufrag: "h6vY", pwd: "anotherPasswordOf22chr"), nil] {
            let agent = ICELiteAgent(local: local, remote: remote)
            let (outcome, response) = agent.handle(vector, from: iceTestClientAddress, now: 0)
            guard case .respondWithError(487, let n) = outcome.action else {
                Issue.record("expected 487, got \(outcome.action)")
                continue
            }
            #expect(n == response.count)
            #expect(outcome.authenticated && !outcome.nominated && agent.selectedAddress == nil)
            #expect(agent.counters.roleConflicts == 1)
            try iceTestParse(response) { m in
                #expect(m.type == .bindingError)
                #expect(m.transactionID == STUNTransactionID(high: 0xb7e7_a701, low: 0xbc34_d686_fa87_dfae))
                #expect(m.errorCode?.description == "487 Role Conflict")
                #expect(m.isMessageIntegrityValid(key: HMACSHA1(password: local.pwd)))
                #expect(m.isFingerprintValid)
            }
        }
        // The same vector to an agent with another ufrag: not for it.
        let other = Self.agent()
        #expect(other.handle(vector, from: iceTestClientAddress, now: 0).0.action == .drop(.unknownUsername))
    }

    @Test func iceControlledGets487EvenWithUseCandidate() throws {
        let agent = Self.agent()
        var check = ICETestCheck()
        check.controlling = nil
        check.controlled = 1  // smaller than ours: a full controlled agent would switch; lite cannot
        let (outcome, response) = agent.handle(check, now: 0)
        #expect(outcome.action == .respondWithError(code: 487, byteCount: response.count))
        #expect(!outcome.nominated && agent.selectedAddress == nil)
        try iceTestParse(response) { m in #expect(m.errorCode?.code == 487) }
    }

    @Test func checkWithoutRoleAttributeIsAccepted() {
        let agent = Self.agent()
        var check = ICETestCheck()
        check.controlling = nil
        #expect(agent.handle(check, now: 0).0.nominated)
    }

    @Test func wrongPasswordIsDroppedAndCounted() {
        let agent = Self.agent()
        var check = ICETestCheck()
        check.password = "serverPassword0123456780"
        let (outcome, response) = agent.handle(check, now: 0)
        #expect(outcome.action == .drop(.badIntegrity))
        #expect(!outcome.authenticated && response.isEmpty)
        #expect(agent.counters.badIntegrity == 1 && agent.counters.handled == 1)
        #expect(agent.selectedAddress == nil && agent.state(now: 0) == .new)
    }

    @Test func unauthenticatedRequestsGetUnsigned400And401WhenConfigured() throws {
        let agent = Self.agent(.init(unauthenticatedRequests: .respondWithError))
        var wrongPassword = ICETestCheck()
        wrongPassword.password = "serverPassword0123456780"
        let (o1, r1) = agent.handle(wrongPassword, now: 0)
        #expect(o1.action == .respondWithError(code: 401, byteCount: r1.count))
        #expect(r1.count < wrongPassword.bytes().count)  // no amplification
        try iceTestParse(r1) { m in
            #expect(m.errorCode?.description == "401 Unauthorized")
            #expect(m.messageIntegrity == nil)
            #expect(m.isFingerprintValid)
        }
        var noIntegrity = ICETestCheck()
        noIntegrity.password = nil
        let (o2, r2) = agent.handle(noIntegrity, now: 0)
        #expect(o2.action == .respondWithError(code: 400, byteCount: r2.count))
        var staleRemote = ICETestCheck()
        staleRemote.username = "srvUfrag:old1"
        #expect(agent.handle(staleRemote, now: 0).0.action == .respondWithError(code: 401, byteCount: 48))
        // Not our ufrag: never answered.
        var unknown = ICETestCheck()
        unknown.username = "someone:cl1e"
        #expect(agent.handle(unknown, now: 0).0.action == .drop(.unknownUsername))
        #expect(agent.counters.badIntegrity == 1 && agent.counters.missingCredentials == 1 && agent.counters.wrongRemoteUfrag == 1)
        #expect(agent.counters.unknownUsername == 1 && agent.counters.unauthenticatedErrors == 3)
        #expect(agent.selectedAddress == nil)
    }

    @Test(arguments: [
        ("srvUfra:cl1e", ICELiteAgent.DropReason.unknownUsername),
        ("srvUfrag2:cl1e", .unknownUsername),
        ("srvUfrag", .unknownUsername),  // no ':'
        (":srvUfrag", .unknownUsername),
        ("srvUfrag:cl1f", .wrongRemoteUfrag),
        ("srvUfrag:", .wrongRemoteUfrag),
    ])
    func usernameMismatchesAreDropped(username: String, reason: ICELiteAgent.DropReason) {
        let agent = Self.agent()
        var check = ICETestCheck()
        check.username = username
        #expect(agent.handle(check, now: 0).0.action == .drop(reason))
        #expect(agent.counters.count(of: reason) == 1)
    }

    @Test func unknownRemoteUfragIsNotCheckedUntilKnown() {
        let agent = Self.agent(remote: nil)
        var check = ICETestCheck()
        check.username = "srvUfrag:anything"
        #expect(agent.handle(check, now: 0).0.nominated)
        agent.setRemoteCredentials(iceTestClientCredentials)
        #expect(agent.handle(check, now: 1).0.action == .drop(.wrongRemoteUfrag))
        #expect(agent.selectedAddress == iceTestClientAddress)
    }

    @Test func missingUsernameOrIntegrityIsDropped() {
        let agent = Self.agent()
        var noUsername = ICETestCheck()
        noUsername.username = nil
        var noIntegrity = ICETestCheck()
        noIntegrity.password = nil
        #expect(agent.handle(noUsername, now: 0).0.action == .drop(.missingCredentials))
        #expect(agent.handle(noIntegrity, now: 0).0.action == .drop(.missingCredentials))
        #expect(agent.counters.missingCredentials == 2)
    }

    @Test func missingOrWrongFingerprintIsDropped() {
        let agent = Self.agent()
        var noFingerprint = ICETestCheck()
        noFingerprint.fingerprint = false
        #expect(agent.handle(noFingerprint, now: 0).0.action == .drop(.badFingerprint))
        var corrupted = ICETestCheck().bytes()
        corrupted[corrupted.count - 1] ^= 0x01
        #expect(agent.handle(corrupted, from: iceTestClientAddress, now: 0).0.action == .drop(.badFingerprint))
        #expect(agent.counters.badFingerprint == 2 && agent.selectedAddress == nil)
    }

    @Test func unknownComprehensionRequiredAttributeGetsSigned420() throws {
        let agent = Self.agent()
        var check = ICETestCheck()
        check.unknownRequiredAttribute = true
        let (outcome, response) = agent.handle(check, now: 0)
        #expect(outcome.action == .respondWithError(code: 420, byteCount: response.count))
        #expect(agent.selectedAddress == nil && agent.counters.unknownAttributes == 1)
        try iceTestParse(response) { m in
            #expect(m.errorCode?.code == 420)
            #expect(m.unknownAttributes.map(Array.init) == [STUNAttributeType(rawValue: 0x7FF0)])
            #expect(m.isMessageIntegrityValid(key: HMACSHA1(password: iceTestServerCredentials.pwd)))
        }
    }

    @Test func indicationsAreAcceptedSilently() {
        let agent = Self.agent()
        var keepalive = ICETestCheck()
        keepalive.type = .bindingIndication
        keepalive.username = nil
        keepalive.password = nil
        keepalive.priority = nil
        keepalive.controlling = nil
        keepalive.useCandidate = false
        let (accepted, _) = agent.handle(keepalive, now: 0)
        #expect(accepted.action == .accepted && !accepted.authenticated && !accepted.nominated)
        keepalive.fingerprint = false
        #expect(agent.handle(keepalive, now: 0).0.action == .drop(.badFingerprint))
        #expect(agent.counters.indications == 1 && agent.state(now: 0) == .new)
    }

    @Test func responsesAndOtherMethodsAreDropped() {
        let agent = Self.agent()
        var success = ICETestCheck()
        success.type = .bindingSuccess
        #expect(agent.handle(success, now: 0).0.action == .drop(.unexpectedResponse))
        var allocate = ICETestCheck()
        allocate.type = STUNMessageType(method: STUNMethod(rawValue: 0x003), class: .request)
        #expect(agent.handle(allocate, now: 0).0.action == .drop(.notBinding))
        #expect(agent.handle([0x80, 0x60, 0, 1], from: iceTestClientAddress, now: 0).0.action == .drop(.notSTUN))
        #expect(agent.counters.handled == 3)
    }

    @Test func tooSmallResponseBufferIsCountedWithoutStateChange() {
        let agent = Self.agent()
        let (outcome, _) = agent.handle(ICETestCheck().bytes(), from: iceTestClientAddress, now: 0, responseSize: 40)
        #expect(outcome.action == .drop(.responseBufferTooSmall))
        #expect(agent.selectedAddress == nil && agent.counters.responseBufferTooSmall == 1)
    }

    /// A phone moves from Wi-Fi to cellular: the browser nominates a pair from the new address.
    @Test func nominationFromNewAddressSwitchesSelection() {
        let agent = Self.agent()
        #expect(agent.handle(ICETestCheck(), now: 0).0.selectedChanged)
        var refresh = ICETestCheck()
        refresh.useCandidate = false
        // A check from the new address without USE-CANDIDATE: answered, not selected.
        let (probe, _) = agent.handle(refresh, from: iceTestMobileAddress, now: 1 * iceSecond)
        #expect(probe.authenticated && !probe.selectedChanged)
        #expect(agent.selectedAddress == iceTestClientAddress)
        #expect(agent.consentRefreshedAt == 0)
        // The same address nominated again: no change.
        #expect(!agent.handle(ICETestCheck(), now: 2 * iceSecond).0.selectedChanged)
        // Nominated from the new address: switch.
        let (moved, _) = agent.handle(ICETestCheck(), from: iceTestMobileAddress, now: 3 * iceSecond)
        #expect(moved.nominated && moved.selectedChanged)
        #expect(agent.selectedAddress == iceTestMobileAddress)
        #expect(agent.consentRefreshedAt == 3 * iceSecond)
        #expect(agent.counters.selectedChanges == 2 && agent.counters.nominations == 3)
    }

    @Test func consentExpiresAfter30SecondsOfSilence() {
        let agent = Self.agent()
        _ = agent.handle(ICETestCheck(), now: 100 * iceSecond)
        #expect(agent.consentDeadline == 130 * iceSecond)
        #expect(agent.state(now: 109 * iceSecond) == .connected)
        #expect(agent.state(now: 110 * iceSecond) == .disconnected)
        #expect(!agent.consentExpired(now: 130 * iceSecond - 1))
        #expect(agent.consentExpired(now: 130 * iceSecond))
        #expect(agent.state(now: 130 * iceSecond) == .failed)
        #expect(!agent.consentExpired(now: 50 * iceSecond))  // a clock before the refresh counts as no time
    }

    @Test func consentChecksKeepItAlive() {
        let agent = Self.agent()
        var refresh = ICETestCheck()
        refresh.useCandidate = false
        _ = agent.handle(ICETestCheck(), now: 0)
        // Checks every 5 s for two minutes, without USE-CANDIDATE (as after regular nomination).
        var t: UInt64 = 0
        while t < 120 * iceSecond {
            t += 5 * iceSecond
            #expect(agent.handle(refresh, now: t).0.authenticated)
            #expect(!agent.consentExpired(now: t + 29 * iceSecond))
            #expect(agent.state(now: t + 1) == .connected)
        }
        // Checks from another address or failing authentication do not refresh it.
        var forged = refresh
        forged.password = "wrongPassword0123456789"
        _ = agent.handle(forged, now: t + 10 * iceSecond)
        _ = agent.handle(refresh, from: iceTestMobileAddress, now: t + 20 * iceSecond)
        #expect(agent.consentExpired(now: t + 30 * iceSecond))
        // A valid check afterwards revives it.
        _ = agent.handle(refresh, now: t + 31 * iceSecond)
        #expect(agent.state(now: t + 31 * iceSecond) == .connected)
    }

    @Test func iceRestartKeepsSelectionAndAcceptsOnlyNewCredentials() {
        let agent = Self.agent()
        _ = agent.handle(ICETestCheck(), now: 0)
        let newLocal = ICECredentials(ufrag: "srvNew01", pwd: "newServerPassword0123456")
        let newRemote = ICECredentials(ufrag: "cl2e", pwd: "newClientPassword0123456")
        agent.restart(local: newLocal, remote: newRemote)
        #expect(agent.selectedAddress == iceTestClientAddress)
        #expect(agent.state(now: 1 * iceSecond) == .connected)
        #expect(agent.localCredentials == newLocal && agent.counters.restarts == 1)

        // Old generation: refused.
        #expect(agent.handle(ICETestCheck(), now: 2 * iceSecond).0.action == .drop(.unknownUsername))
        var oldPasswordNewUsername = ICETestCheck()
        oldPasswordNewUsername.username = "srvNew01:cl2e"
        #expect(agent.handle(oldPasswordNewUsername, now: 2 * iceSecond).0.action == .drop(.badIntegrity))
        #expect(agent.consentRefreshedAt == 0)

        // New generation from the same address: consent refreshed, selection unchanged.
        var fresh = oldPasswordNewUsername
        fresh.password = newLocal.pwd
        let (same, _) = agent.handle(fresh, now: 3 * iceSecond)
        #expect(same.nominated && !same.selectedChanged)
        #expect(agent.consentRefreshedAt == 3 * iceSecond)
        // New generation nominating another address: switch.
        #expect(agent.handle(fresh, from: iceTestMobileAddress, now: 4 * iceSecond).0.selectedChanged)
    }

    @Test func tenThousandGarbageDatagramsAreAllCounted() {
        let agent = Self.agent()
        var rng = ICETestRNG(seed: 7)
        let valid = ICETestCheck().bytes()
        var responses = 0
        // Random bytes drawn once; each datagram is a random window of them (cheap in debug builds).
        var pool = [UInt8](repeating: 0, count: 1 << 16)
        pool.withUnsafeMutableBytes { p in
            for i in stride(from: 0, to: p.count, by: 8) { p.storeBytes(of: rng.next(), toByteOffset: i, as: UInt64.self) }
        }
        for i in 0..<10_000 {
            let size = Int.random(in: 0...1500, using: &rng)
            let start = Int.random(in: 0...(pool.count - size), using: &rng)
            var datagram = Array(pool[start..<start + size])
            switch i % 4 {
            case 1 where size >= 20:
                // A plausible STUN header over random attributes.
                let length = (size - 20) & ~3
                datagram = Array(datagram[0..<20 + length])
                datagram[0] = 0; datagram[1] = 1
                datagram[2] = UInt8(length >> 8); datagram[3] = UInt8(length & 0xFF)
                datagram[4] = 0x21; datagram[5] = 0x12; datagram[6] = 0xA4; datagram[7] = 0x42
            case 2:
                // A valid check with bytes flipped.
                datagram = valid
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    datagram[Int.random(in: 0..<datagram.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                }
            default:
                break
            }
            let (outcome, response) = agent.handle(datagram, from: iceTestClientAddress, now: UInt64(i) * iceMillisecond)
            if !response.isEmpty {
                responses += 1
                #expect((try? iceTestParse(response) { $0.isFingerprintValid }) == true)
            }
            if outcome.selectedChanged { #expect(agent.selectedAddress == iceTestClientAddress) }
        }
        #expect(agent.counters.handled == 10_000)
        #expect(agent.counters.notSTUN > 0 && agent.counters.badFingerprint > 0)
        #expect(agent.counters.successResponses + agent.counters.roleConflicts + agent.counters.unknownAttributes == UInt64(responses))
    }

    @Test func localUfragIsFoundInUsernameInPlace() throws {
        try withBytes(Array("srvUfrag:cl1e".utf8)) { u in
            let part = try #require(ICELiteAgent.localUfrag(inUsername: u))
            #expect(Array(part) == Array("srvUfrag".utf8))
            #expect(part.baseAddress == u.baseAddress)
        }
        for bad in ["srvUfrag", ":cl1e", ""] {
            withBytes(Array(bad.utf8)) { u in #expect(ICELiteAgent.localUfrag(inUsername: u) == nil) }
        }
        try iceTestParse(ICETestCheck().bytes()) { m in
            #expect(ICELiteAgent.localUfrag(of: m).map { Array($0) } == Array("srvUfrag".utf8))
        }
    }
}
