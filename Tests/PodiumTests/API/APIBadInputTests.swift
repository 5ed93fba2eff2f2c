import Foundation
import Podium
import Testing

/// Hostile or mistaken calls get a typed error that says what to fix, and leave no state behind.
@Suite(.serialized) struct APIBadInputTests {
    /// A valid-looking offer from a peer that never connects (signaling only).
    static let offerPeerSDP: String = {
        // Built without a running peer: the offer text is all these tests need.
        let ufrag = "abcd", pwd = "0123456789012345678901"
        let fp = "sha-256 " + (0..<32).map { String(format: "%02X", $0) }.joined(separator: ":")
        return """
        v=0\r
        o=- 1 2 IN IP4 127.0.0.1\r
        s=-\r
        t=0 0\r
        a=group:BUNDLE 0\r
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r
        c=IN IP4 0.0.0.0\r
        a=ice-ufrag:\(ufrag)\r
        a=ice-pwd:\(pwd)\r
        a=fingerprint:\(fp)\r
        a=setup:actpass\r
        a=mid:0\r
        a=sendonly\r
        a=rtcp-mux\r
        a=rtpmap:111 opus/48000/2\r
        a=ssrc:1111 cname:x\r

        """
    }()

    @Test func offerOverTheSizeLimitIsTooLarge() async throws {
        try await withSFU(.init(workers: 1, maxSDPBytes: 4096)) { sfu in
            let room = try await sfu.createRoom("r")
            let host = try await room.join(.host, name: "h")
            let huge = Self.offerPeerSDP + String(repeating: "a=x-padding:0123456789\r\n", count: 400)
            let e = await podiumError { _ = try await host.publish(offer: huge) }
            #expect(e?.kind == .tooLarge, "\(String(describing: e))")
            #expect(e?.message.contains("4096") == true)
            let w = await podiumError { _ = try await host.subscribe(offer: huge) }
            #expect(w?.kind == .tooLarge)
            #expect(await room.stats().participants.first?.sessions.isEmpty == true)
        }
    }

    @Test func garbageSDPIsBadRequestWithTheParserMessage() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("r")
            let host = try await room.join(.host, name: "h")
            let e = await podiumError { _ = try await host.publish(offer: "hello, this is not SDP") }
            #expect(e?.kind == .badRequest, "\(String(describing: e))")
            #expect(e?.message.contains("not valid SDP") == true && e?.message.contains("line 1") == true, "\(e?.message ?? "")")
            let m = await podiumError { _ = try await host.subscribe(offer: "v=0\r\nm=audio\r\n") }
            #expect(m?.kind == .badRequest, "\(String(describing: m))")
            let ms = await podiumError { _ = try await host.publish(offer: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n") }
            #expect(ms?.kind == .badRequest && ms?.message.contains("no m-line") == true, "\(String(describing: ms))")
        }
    }

    @Test func tooManyMediaSectionsAndSessions() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("r")
            let host = try await room.join(.host, name: "h")
            let section = Self.offerPeerSDP.components(separatedBy: "m=audio")[1]
            var many = Self.offerPeerSDP.components(separatedBy: "m=audio")[0]
            for i in 0..<100 { many += "m=audio" + section.replacingOccurrences(of: "a=mid:0", with: "a=mid:\(i)") }
            let e = await podiumError { _ = try await host.publish(offer: many) }
            #expect(e?.kind == .badRequest && e?.message.contains("media sections") == true, "\(String(describing: e))")
            // One participant cannot hold unbounded transports.
            var sessions = 0
            var last: PodiumError?
            while sessions < 100 {
                do {
                    _ = try await host.publish(offer: Self.offerPeerSDP)
                    sessions += 1
                } catch {
                    last = error as? PodiumError
                    break
                }
            }
            #expect(sessions == 32 && last?.kind == .tooLarge, "\(sessions) sessions, then \(String(describing: last))")
        }
    }

    @Test func offerWithoutICEIsBadRequestNamingIt() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("r")
            let host = try await room.join(.host, name: "h")
            let noICE = Self.offerPeerSDP.split(separator: "\r\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("a=ice-") }.joined(separator: "\r\n")
            let e = await podiumError { _ = try await host.publish(offer: noICE) }
            #expect(e?.kind == .badRequest, "\(String(describing: e))")
            #expect(e?.message.contains("ICE") == true && e?.message.contains("m-section 1") == true, "\(e?.message ?? "")")
            let noFingerprint = Self.offerPeerSDP.split(separator: "\r\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("a=fingerprint") }.joined(separator: "\r\n")
            let f = await podiumError { _ = try await host.publish(offer: noFingerprint) }
            #expect(f?.kind == .badRequest && f?.message.contains("fingerprint") == true, "\(String(describing: f))")
        }
    }

    @Test func attendeeMayNotPublish() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("r")
            let attendee = try await room.join(.attendee, name: "a")
            let e = await podiumError { _ = try await attendee.publish(offer: Self.offerPeerSDP) }
            #expect(e?.kind == .forbidden, "\(String(describing: e))")
            #expect(await room.tracks().isEmpty)
        }
    }

    @Test func unknownRoomParticipantAndSession() async throws {
        try await withSFU { sfu in
            #expect(sfu.room("nope") == nil)
            let room = try await sfu.createRoom("r")
            let dup = await podiumError { _ = try await sfu.createRoom("r") }
            #expect(dup?.kind == .conflict)
            #expect(room.participant("p999") == nil)
            let host = try await room.join(.host, name: "h")
            #expect(room.participant(host.id) === host)
            let e = await podiumError { try await host.close(session: SessionID("no-such-session")) }
            #expect(e?.kind == .notFound, "\(String(describing: e))")
            let c = await podiumError { try await host.completeSubscription(SessionID("nope"), answer: Self.offerPeerSDP) }
            #expect(c?.kind == .notFound, "\(String(describing: c))")
            await host.leave()
            #expect(room.participant(host.id) == nil)
            let gone = await podiumError { _ = try await host.publish(offer: Self.offerPeerSDP) }
            #expect(gone?.kind == .notFound, "\(String(describing: gone))")
            // Server-initiated subscribe with nothing published says so.
            let viewer = try await room.join(.attendee, name: "v")
            let nothing = await podiumError { _ = try await viewer.subscribe() }
            #expect(nothing?.kind == .conflict, "\(String(describing: nothing))")
            await room.close()
            #expect(sfu.room("r") == nil)
            let closed = await podiumError { _ = try await room.join(.host, name: "late") }
            #expect(closed?.kind == .conflict)
        }
    }

    @Test func roomFullIsTooLarge() async throws {
        try await withSFU(.init(workers: 1, maxParticipantsPerRoom: 2)) { sfu in
            let room = try await sfu.createRoom("r")
            _ = try await room.join(.host, name: "a")
            _ = try await room.join(.attendee, name: "b")
            let e = await podiumError { _ = try await room.join(.attendee, name: "c") }
            #expect(e?.kind == .tooLarge, "\(String(describing: e))")
            #expect(room.participants().map(\.name) == ["a", "b"])
        }
    }

    /// Needs negotiation: a real session, closed twice (WHIP DELETE twice → 404).
    @Test func closingASessionTwiceIsNotFound() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("r")
            let host = try await room.join(.host, name: "h")
            let publication = try await host.publish(offer: Self.offerPeerSDP)
            #expect(await room.tracks().count == 1)
            try await host.close(session: publication.session)
            #expect(await room.tracks().isEmpty)
            let e = await podiumError { try await host.close(session: publication.session) }
            #expect(e?.kind == .notFound, "\(String(describing: e))")
            // Another participant cannot close it either.
            let other = try await room.join(.host, name: "o")
            let p2 = try await host.publish(offer: Self.offerPeerSDP)
            let foreign = await podiumError { try await other.close(session: p2.session) }
            #expect(foreign?.kind == .notFound)
        }
    }
}
