import PodiumCrypto
import PodiumRTC
import PodiumTestSupport
import PodiumWire
import Testing

/// The controlling client against the lite agent, in memory with virtual time.
@Suite struct ICEControllingClientTests {
    static func client(remote: ICECredentials = iceTestServerCredentials,
                       _ configuration: ICEControllingClient.Configuration = .init()) -> ICEControllingClient {
        ICEControllingClient(local: iceTestClientCredentials, remote: remote, remoteAddress: iceTestServerAddress,
                             tieBreaker: 0xABCD, configuration: configuration)
    }

    static func agent() -> ICELiteAgent {
        ICELiteAgent(local: iceTestServerCredentials, remote: iceTestClientCredentials)
    }

    /// Delivers what the client sends now to the agent and the agent's answer back, if `deliver`.
    @discardableResult
    static func step(_ client: ICEControllingClient, _ agent: ICELiteAgent, now: UInt64, deliver: Bool = true,
                     from source: SocketAddress = iceTestClientAddress) -> [ICEControllingClient.Event] {
        var events: [ICEControllingClient.Event] = []
        while let request = client.poll(now: now) {
            guard deliver else { continue }
            let (_, response) = agent.handle(request, from: source, now: now)
            if !response.isEmpty { events.append(client.handle(response, now: now).0) }
        }
        return events
    }

    @Test func requestCarriesWhatALiteServerNeeds() throws {
        let client = Self.client()
        #expect(client.state == .new && client.nextDeadline == 0)
        let request = try #require(client.poll(now: 0))
        #expect(client.state == .checking)
        #expect(request.count <= ICEControllingClient.maxRequestSize)
        try iceTestParse(request) { m in
            #expect(m.type == .bindingRequest)
            #expect(m.username.map { String(decoding: $0, as: UTF8.self) } == "srvUfrag:cl1e")
            #expect(m.priority == 0x6EFF_FFFF)
            #expect(m.iceControlling == 0xABCD)
            #expect(m.iceControlled == nil)
            #expect(m.hasUseCandidate)
            #expect(m.isMessageIntegrityValid(key: HMACSHA1(password: iceTestServerCredentials.pwd)))
            #expect(m.isFingerprintValid)
        }
    }

    @Test func connectsToLiteAgentAndNominates() throws {
        let client = Self.client()
        let agent = Self.agent()
        let request = try #require(client.poll(now: 1_000))
        let (outcome, response) = agent.handle(request, from: iceTestClientAddress, now: 1_000)
        #expect(outcome.nominated && outcome.selectedChanged)
        #expect(client.handle(response, now: 2_000).0 == .connected)
        #expect(client.state == .connected)
        #expect(client.mappedAddress == iceTestClientAddress)
        #expect(agent.selectedAddress == iceTestClientAddress)
        #expect(agent.state(now: 2_000) == .connected)
        // The same answer again (a duplicate datagram): no transaction is outstanding.
        #expect(client.handle(response, now: 3_000).0 == .ignored(.unknownTransaction))
        // Nothing due until the first consent check, 4–6 s later.
        #expect(client.poll(now: 3_000) == nil)
        let deadline = try #require(client.nextDeadline)
        #expect(deadline >= 2_000 + 4 * iceSecond && deadline <= 2_000 + 6 * iceSecond)
    }

    /// RFC 8489 §6.2.1 with RTO 100 ms doubling, capped at 1.6 s: sends at 0, 0.1, 0.3, 0.7, 1.5,
    /// 3.1, 4.7, 6.3, 7.9, 9.5 s, all one transaction; failed at 10 s.
    @Test func retransmissionScheduleAndTimeout() throws {
        let client = Self.client()
        var sendTimes: [UInt64] = []
        var transactions = Set<STUNTransactionID>()
        var now: UInt64 = 0
        var turns = 0
        while let deadline = client.nextDeadline, turns < 100 {
            turns += 1
            now = max(now, deadline)
            if let request = client.poll(now: now) {
                sendTimes.append(now / iceMillisecond)
                try iceTestParse(request) { m in _ = transactions.insert(m.transactionID) }
            }
        }
        #expect(sendTimes == [0, 100, 300, 700, 1500, 3100, 4700, 6300, 7900, 9500])
        #expect(transactions.count == 1)
        #expect(client.state == .failed(.timeout))
        #expect(now == 10 * iceSecond)
        #expect(client.counters.requestsSent == 10 && client.counters.retransmissions == 9)
        #expect(client.poll(now: now + iceSecond) == nil)
    }

    @Test func retransmissionReachesAgentAfterLoss() {
        let client = Self.client()
        let agent = Self.agent()
        #expect(Self.step(client, agent, now: 0, deliver: false).isEmpty)  // lost
        #expect(Self.step(client, agent, now: 50 * iceMillisecond).isEmpty)  // nothing due yet
        #expect(Self.step(client, agent, now: 100 * iceMillisecond) == [.connected])
    }

    @Test func consentChecksKeepBothSidesAliveForMinutes() throws {
        let client = Self.client()
        let agent = Self.agent()
        var now: UInt64 = 0
        var refreshes = 0
        var lastCheck: UInt64 = 0
        var intervals: [UInt64] = []
        while now < 300 * iceSecond {
            let before = client.counters.requestsSent
            for event in Self.step(client, agent, now: now) where event == .consentRefreshed { refreshes += 1 }
            if client.counters.requestsSent > before, client.state == .connected {
                if lastCheck > 0 { intervals.append(now - lastCheck) }
                lastCheck = now
            }
            #expect(client.state == .connected)
            #expect(!agent.consentExpired(now: now))
            now = try #require(client.nextDeadline)
        }
        #expect(refreshes >= 300 / 6 - 1 && refreshes <= 300 / 4 + 1)
        #expect(intervals.allSatisfy { $0 >= 4 * iceSecond && $0 <= 6 * iceSecond })
        #expect(Set(intervals).count > 1)  // randomised
    }

    /// The client's NAT rebinds (or the phone changes network): its next consent check, which keeps
    /// USE-CANDIDATE, arrives from a new address and moves the agent's selection there.
    @Test func consentCheckFromNewAddressMovesSelection() throws {
        let client = Self.client()
        let agent = Self.agent()
        #expect(Self.step(client, agent, now: 0) == [.connected])
        let next = try #require(client.nextDeadline)
        let request = try #require(client.poll(now: next))
        let (outcome, response) = agent.handle(request, from: iceTestMobileAddress, now: next)
        #expect(outcome.nominated && outcome.selectedChanged)
        #expect(agent.selectedAddress == iceTestMobileAddress)
        #expect(client.handle(response, now: next).0 == .consentRefreshed)
        #expect(client.mappedAddress == iceTestMobileAddress)
    }

    @Test func consentExpiresWhenAnswersStop() throws {
        let client = Self.client()
        let agent = Self.agent()
        Self.step(client, agent, now: 0)
        #expect(client.state == .connected)
        var now: UInt64 = 0
        var turns = 0
        while client.state == .connected, turns < 1_000 {
            turns += 1
            now = try #require(client.nextDeadline)
            Self.step(client, agent, now: now, deliver: false)
        }
        #expect(client.state == .failed(.consentExpired))
        #expect(now == 30 * iceSecond)
        #expect(agent.consentExpired(now: now))
        #expect(client.nextDeadline == nil)
    }

    @Test func roleConflictAnswerFailsTheClient() throws {
        let client = Self.client()
        let request = try #require(client.poll(now: 0))
        let tid = try iceTestParse(request) { $0.transactionID }
        let buffer = ICETestBuffer()
        var b = try STUNMessageBuilder(into: buffer.bytes, type: .bindingError, transactionID: tid)
        try withBytes(Array("Role Conflict".utf8)) { try b.appendErrorCode(487, reason: $0) }
        try b.appendMessageIntegrity(key: HMACSHA1(password: iceTestServerCredentials.pwd))
        try b.appendFingerprint()
        let answer = buffer.prefix(b.count)
        #expect(client.handle(answer, from: iceTestMobileAddress, now: 1).0 == .ignored(.wrongSource))
        #expect(client.handle(answer, now: 1).0 == .failed(.roleConflict))
        #expect(client.state == .failed(.roleConflict))
    }

    /// A client with the wrong server password: the agent drops (or, configured, answers an
    /// unsigned 401 that the client must discard); the client times out.
    @Test func wrongPasswordEndsInTimeout() throws {
        let client = Self.client(remote: ICECredentials(ufrag: iceTestServerCredentials.ufrag, pwd: "notTheServerPassword0123"))
        let agent = ICELiteAgent(local: iceTestServerCredentials, remote: iceTestClientCredentials,
                                 configuration: .init(unauthenticatedRequests: .respondWithError))
        let events = Self.step(client, agent, now: 0)
        #expect(events == [.ignored(.unauthenticatedError(code: 401))])
        #expect(client.lastUnauthenticatedErrorCode == 401)
        #expect(agent.counters.badIntegrity == 1)
        var now: UInt64 = 0
        while let d = client.nextDeadline {
            now = d
            Self.step(client, agent, now: now)
        }
        #expect(client.state == .failed(.timeout))
        #expect(agent.counters.badIntegrity == 10 && agent.selectedAddress == nil)
    }

    @Test func forgedOrStaleAnswersAreIgnored() throws {
        let client = Self.client()
        let agent = Self.agent()
        let request = try #require(client.poll(now: 0))
        var (_, answer) = agent.handle(request, from: iceTestClientAddress, now: 0)
        // Transaction ID changed: not ours.
        var otherTransaction = answer
        otherTransaction[19] ^= 1
        #expect(client.handle(otherTransaction, now: 1).0 == .ignored(.unknownTransaction))
        // Signed with another password (then FINGERPRINT recomputed): integrity fails.
        let forger = ICELiteAgent(local: ICECredentials(ufrag: "srvUfrag", pwd: "attackerPassword01234567"), remote: nil)
        let (_, forged) = forger.handle(
            { var c = ICETestCheck(); c.password = "attackerPassword01234567"; return c }().bytes(),
            from: iceTestClientAddress, now: 0)
        try iceTestParse(request) { m in
            // Give the forged answer the real transaction ID, re-fingerprinted.
            let buffer = ICETestBuffer()
            var b = try STUNMessageBuilder(into: buffer.bytes, type: .bindingSuccess, transactionID: m.transactionID)
            try b.appendXORMappedAddress(iceTestClientAddress)
            try b.appendMessageIntegrity(key: HMACSHA1(password: "attackerPassword01234567"))
            try b.appendFingerprint()
            answer = buffer.prefix(b.count)
        }
        #expect(!forged.isEmpty)
        #expect(client.handle(answer, now: 1).0 == .ignored(.badIntegrity))
        #expect(client.handle([1, 2, 3], now: 1).0 == .ignored(.notSTUN))
        #expect(client.state == .checking)
        #expect(client.counters.ignored == 3)
    }

    @Test func answersAValidCheckFromThePeer() throws {
        let client = Self.client()
        var check = ICETestCheck()
        check.username = "cl1e:srvUfrag"
        check.password = iceTestClientCredentials.pwd
        check.controlling = nil
        check.controlled = 7
        check.useCandidate = false
        let (event, response) = client.handle(check.bytes(), now: 0)
        #expect(event == .respond(byteCount: response.count))
        try iceTestParse(response) { m in
            #expect(m.type == .bindingSuccess)
            #expect(m.xorMappedAddress == iceTestServerAddress)
            #expect(m.isMessageIntegrityValid(key: HMACSHA1(password: iceTestClientCredentials.pwd)))
        }
        check.controlled = nil
        check.controlling = 8
        let (conflict, r2) = client.handle(check.bytes(), now: 0)
        #expect(conflict == .respond(byteCount: r2.count))
        try iceTestParse(r2) { m in #expect(m.errorCode?.code == 487) }
        check.password = iceTestServerCredentials.pwd
        #expect(client.handle(check.bytes(), now: 0).0 == .ignored(.unauthenticatedRequest))
    }
}
