import Foundation
import Podium
import Testing

/// Creation, events, closing and shutdown: idempotent, ordered, and nothing left behind.
@Suite(.serialized) struct APILifecycleTests {
    @Test func sfuStartsWorkersSpreadsRoomsAndShutsDownTwice() async throws {
        let sfu = try await SFU(.init(workers: 2))
        #expect(sfu.ports.count == 2 && sfu.ports.allSatisfy { $0 != 0 })
        let a = try await sfu.createRoom("a")
        let b = try await sfu.createRoom("b")
        // Least loaded worker first: two rooms, two workers.
        #expect(Set([a.worker, b.worker]) == [0, 1])
        let stats = await sfu.stats()
        #expect(stats.workers.map(\.rooms) == [1, 1])
        #expect(stats.rooms.map(\.name) == ["a", "b"])
        let events = EventRecorder(a.events)
        await sfu.shutdown()
        await sfu.shutdown()
        await events.finished()
        #expect(events.all.last == .roomClosed)
        #expect(sfu.rooms().isEmpty)
        let e = await podiumError { _ = try await sfu.createRoom("c") }
        #expect(e?.kind == .unavailable)
        #expect(SFU.defaultWorkerCount >= 1)
    }

    @Test func eventsArriveInOrderToEveryStream() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("events")
            let one = EventRecorder(room.events)
            let two = EventRecorder(room.events)
            let host = try await room.join(.host, name: "h")
            let viewer = try await room.join(.attendee, name: "v")
            await viewer.leave()
            await viewer.leave()
            await room.close()
            await room.close()
            await one.finished()
            await two.finished()
            let expected: [RoomEvent] = [.participantJoined(host.info), .participantJoined(viewer.info),
                                         .participantLeft(viewer.info), .participantLeft(host.info), .roomClosed]
            #expect(one.all == expected)
            #expect(two.all == expected)
            // A stream made after the close ends at once.
            let late = EventRecorder(room.events)
            await late.finished()
            #expect(late.all == [.roomClosed])
        }
    }

    /// 100 join → publish → subscribe → leave cycles (signaling and transports, no media) leave no
    /// session, producer, consumer or transport behind.
    @Test func hundredCyclesLeaveNothingBehind() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("churn")
            let offer = APIBadInputTests.offerPeerSDP
            let whep = APIBadInputTests.offerPeerSDP.replacingOccurrences(of: "a=sendonly", with: "a=recvonly")
                .replacingOccurrences(of: "a=ssrc:1111 cname:x\r\n", with: "")
            for i in 0..<100 {
                let host = try await room.join(.host, name: "h\(i)")
                let viewer = try await room.join(.attendee, name: "v\(i)")
                let publication = try await host.publish(offer: offer)
                #expect(publication.tracks.count == 1)
                _ = try await viewer.subscribe(offer: whep)
                if i % 2 == 0 {
                    await host.leave()
                    await viewer.leave()
                } else {
                    await viewer.leave()
                    try await host.close(session: publication.session)
                    await host.leave()
                }
            }
            let stats = await room.stats()
            #expect(stats.participants.isEmpty)
            #expect(stats.router?.producers.isEmpty == true && stats.router?.consumers.isEmpty == true, "\(String(describing: stats.router))")
            #expect(await room.tracks().isEmpty)
            let workers = await sfu.stats().workers
            #expect(workers.first?.transports == 0, "\(workers)")
        }
    }
}

/// Sessions end on their own when their transport does: connect timeout, the peer's close_notify.
@Suite(.serialized) struct APISessionEndTests {
    @Test func connectTimeoutEndsTheSessionAndUnpublishes() async throws {
        try await withSFU(.init(workers: 1, connectTimeout: .milliseconds(100))) { sfu in
            let room = try await sfu.createRoom("timeout")
            let events = EventRecorder(room.events)
            let host = try await room.join(.host, name: "h")
            let publication = try await host.publish(offer: APIBadInputTests.offerPeerSDP)
            // Why 15 s: the transport's watchdog checks once a second, and a loaded machine running
            // the whole suite in parallel can delay it by several.
            let failed = await events.wait(timeout: .seconds(15)) {
                if case .sessionStateChanged(_, publication.session, let state) = $0 { return state.hasPrefix("failed") }
                return false
            }
            #expect(failed != nil, "\(events.all)")
            #expect(await events.wait { $0 == .trackUnpublished(publication.tracks[0]) } != nil)
            // The teardown runs on the worker right after the failure event.
            var sessions = await host.stats().sessions
            for _ in 0..<50 where !sessions.isEmpty {
                try await Task.sleep(for: .milliseconds(20))
                sessions = await host.stats().sessions
            }
            #expect(sessions.isEmpty)
            #expect(await sfu.stats().workers.first?.transports == 0)
            let again = await podiumError { try await host.close(session: publication.session) }
            #expect(again?.kind == .notFound)
        }
    }

    @Test func peerClosingEndsTheSessionAndUnpublishes() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("bye")
            let events = EventRecorder(room.events)
            let host = try await room.join(.host, name: "h")
            let peer = try await TestPeer.start("closing")
            let publication = try await host.publish(offer: peer.publisherOffer())
            try await peer.apply(answer: publication.answer)
            #expect(await peer.waitConnected())
            #expect(await events.wait { $0 == .sessionStateChanged(participantID: host.id, session: publication.session, state: "connected") } != nil)
            await peer.close()
            #expect(await events.wait { $0 == .sessionStateChanged(participantID: host.id, session: publication.session, state: "closed") } != nil,
                    "\(events.all)")
            #expect(await events.wait(count: 2) { if case .trackUnpublished = $0 { true } else { false } })
            #expect(await room.tracks().isEmpty)
        }
    }

    @Test func closingTheRoomClosesEveryTransport() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("closing")
            let events = EventRecorder(room.events)
            try await withPeers(["pub", "viewer"]) { peers in
                let host = try await room.join(.host, name: "h")
                try await peers[0].apply(answer: try await host.publish(offer: peers[0].publisherOffer()).answer)
                let viewer = try await room.join(.attendee, name: "v")
                try await peers[1].apply(answer: try await viewer.subscribe(offer: peers[1].subscriberOffer()).sdp)
                let connected0 = await peers[0].waitConnected()
                let connected1 = await peers[1].waitConnected()
                #expect(connected0 && connected1)
                #expect(await sfu.stats().workers[0].transports == 2)
                await room.close()
                await events.finished()
                #expect(events.all.last == .roomClosed)
                #expect(events.all.contains(.participantLeft(viewer.info)) && events.all.contains(.participantLeft(host.info)))
                #expect(await sfu.stats().workers[0].transports == 0)
                #expect(sfu.room("closing") == nil)
                // The peers see their transports closed (DTLS close_notify).
                #expect(await peers[0].eventually { peers[0].states.last == .closed })
                #expect(await peers[1].eventually { peers[1].states.last == .closed })
            }
        }
    }

    @Test func unpublishOneTrackKeepsTheSession() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("unpublish")
            let host = try await room.join(.host, name: "h")
            let other = try await room.join(.host, name: "o")
            let peer = try await TestPeer.start("unpub")
            let publication = try await host.publish(offer: peer.publisherOffer())
            let wrong = await podiumError { try await other.unpublish(trackID: publication.tracks[1].id) }
            #expect(wrong?.kind == .notFound)
            try await host.unpublish(trackID: publication.tracks[1].id)
            #expect(await room.tracks() == [publication.tracks[0]])
            #expect(await host.stats().sessions.first?.producers.count == 1)
            await peer.close()
        }
    }
}
