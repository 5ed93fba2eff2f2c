import Foundation
import Podium
import Testing

/// End to end through the public API: in-process peers (real ICE, DTLS, SRTP over 127.0.0.1)
/// publish and subscribe; what subscribers receive is checked packet by packet.
@Suite(.serialized) struct APIForwardingTests {
    /// Every received SSRC: gapless sequence numbers; video starts with a keyframe.
    static func checkStreams(_ r: PeerReception, viewer: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let video = r.ssrcs(payloadType: TestPeer.videoPayloadType)
        let audio = r.ssrcs(payloadType: TestPeer.audioPayloadType)
        #expect(video.count == 1 && audio.count == 1, "\(viewer): video \(video), audio \(audio)", sourceLocation: sourceLocation)
        for ssrc in video + audio {
            #expect(r.isGapless(ssrc), "\(viewer): gaps on \(ssrc): \(r.rtp[ssrc]!.map(\.sequenceNumber).prefix(40))", sourceLocation: sourceLocation)
        }
        if let v = video.first, let first = r.rtp[v]?.first {
            #expect(first.startsKeyframe, "\(viewer): first video packet \(first) is not the start of a keyframe", sourceLocation: sourceLocation)
        }
    }

    static func enoughMedia(_ r: PeerReception) -> Bool {
        r.count(payloadType: TestPeer.videoPayloadType) >= 40 && r.count(payloadType: TestPeer.audioPayloadType) >= 25
    }

    @Test func publisherReachesThreeSubscribers() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("webinar")
            let events = EventRecorder(room.events)
            try await withPeers(["pub", "v1", "v2", "v3"]) { peers in
                let host = try await room.join(.host, name: "Ada")
                let publication = try await host.publish(offer: peers[0].publisherOffer())
                #expect(publication.tracks.map(\.kind) == [.audio, .video])
                #expect(publication.tracks.map(\.codec) == ["opus", "VP8"])
                try await peers[0].apply(answer: publication.answer)
                #expect(await peers[0].waitConnected())
                try await peers[0].startPublishing()

                let joinedAt = MonotonicTime.now().nanoseconds
                for viewer in peers[1...] {
                    let participant = try await room.join(.attendee, name: viewer.name)
                    let subscription = try await participant.subscribe(offer: viewer.subscriberOffer())
                    #expect(!subscription.isOffer)
                    #expect(Set(subscription.tracks.map(\.id)) == Set(publication.tracks.map(\.id)))
                    try await viewer.apply(answer: subscription.sdp)
                }
                for viewer in peers[1...] {
                    #expect(await viewer.waitConnected(), "\(viewer.name) did not connect")
                    let got = await viewer.waitReception(timeout: .seconds(8), Self.enoughMedia)
                    let counts = await viewer.received().rtp.mapValues(\.count)
                    #expect(got, "\(viewer.name): \(counts)")
                }
                await peers[0].stopPublishing()
                for viewer in peers[1...] {
                    let r = await viewer.received()
                    Self.checkStreams(r, viewer: viewer.name)
                    if let t = r.firstKeyframeNanoseconds {
                        print("\(viewer.name): join → subscribe → connected → first keyframe packet in \((t - joinedAt) / 1_000_000) ms")
                    }
                }

                #expect(events.all.contains(.trackPublished(publication.tracks[1])))
                let stats = await room.stats()
                let publisherStats = try #require(stats.participants.first { $0.info.id == host.id }?.sessions.first)
                #expect(publisherStats.direction == .publish && publisherStats.state == "connected")
                #expect(publisherStats.rtpPacketsReceived > 0 && publisherStats.connectMilliseconds != nil)
                #expect(publisherStats.producers.count == 2)
                #expect(stats.router?.consumers.count == 6)
            }
        }
    }

    /// A room on the second worker: its answers announce that worker's port, and media flows there.
    @Test func roomOnTheSecondWorkerForwards() async throws {
        try await withSFU(.init(workers: 2)) { sfu in
            _ = try await sfu.createRoom("first")
            let room = try await sfu.createRoom("second")
            #expect(room.worker == 1)
            try await withPeers(["pub", "viewer"]) { peers in
                let host = try await room.join(.host, name: "h")
                let publication = try await host.publish(offer: peers[0].publisherOffer())
                #expect(publication.answer.contains(" \(sfu.ports[1]) typ host"), "\(publication.answer)")
                try await peers[0].apply(answer: publication.answer)
                try await peers[0].startPublishing()
                let viewer = try await room.join(.attendee, name: "v")
                try await peers[1].apply(answer: try await viewer.subscribe(offer: peers[1].subscriberOffer()).sdp)
                #expect(await peers[1].waitReception(timeout: .seconds(8), Self.enoughMedia))
                await peers[0].stopPublishing()
                Self.checkStreams(await peers[1].received(), viewer: "viewer on worker 1")
                let workers = await sfu.stats().workers
                #expect(workers[1].transports == 2 && workers[0].transports == 0, "\(workers)")
            }
        }
    }

    @Test func subscriberBeforePublisherGetsTracksBoundLater() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("early")
            let events = EventRecorder(room.events)
            try await withPeers(["viewer", "pub"]) { peers in
                let viewer = try await room.join(.attendee, name: "early")
                let subscription = try await viewer.subscribe(offer: peers[0].subscriberOffer())
                #expect(subscription.tracks.isEmpty)
                try await peers[0].apply(answer: subscription.sdp)
                #expect(await peers[0].waitConnected())

                let host = try await room.join(.presenter, name: "late presenter")
                let publication = try await host.publish(offer: peers[1].publisherOffer())
                try await peers[1].apply(answer: publication.answer)
                #expect(await peers[1].waitConnected())
                try await peers[1].startPublishing()
                let bound = await events.wait(count: 2) {
                    if case .consumerChanged(let p, _, _, true) = $0 { return p == viewer.id }
                    return false
                }
                #expect(bound, "\(events.all)")
                #expect(await peers[0].waitReception(timeout: .seconds(8), Self.enoughMedia))
                await peers[1].stopPublishing()
                Self.checkStreams(await peers[0].received(), viewer: "early viewer")
            }
        }
    }

    @Test func publisherLeavesAndANewOneReachesTheSameSubscribers() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("handover")
            let events = EventRecorder(room.events)
            try await withPeers(["pub1", "v1", "v2", "pub2"]) { peers in
                let first = try await room.join(.host, name: "first")
                let p1 = try await first.publish(offer: peers[0].publisherOffer())
                try await peers[0].apply(answer: p1.answer)
                try await peers[0].startPublishing()
                for viewer in peers[1...2] {
                    let participant = try await room.join(.attendee, name: viewer.name)
                    try await viewer.apply(answer: try await participant.subscribe(offer: viewer.subscriberOffer()).sdp)
                }
                for viewer in peers[1...2] { #expect(await viewer.waitReception(timeout: .seconds(8), Self.enoughMedia)) }

                await first.leave()
                #expect(await events.wait(count: 2) { if case .trackUnpublished = $0 { true } else { false } }, "\(events.all)")
                #expect(await events.wait { $0 == .participantLeft(first.info) } != nil)
                for viewer in peers[1...2] {
                    let ssrcs = Set(await viewer.received().rtp.keys)
                    #expect(await viewer.waitReception { ssrcs.isSubset(of: $0.byeSSRCs) }, "\(viewer.name) got no BYE for \(ssrcs)")
                }
                #expect(await room.tracks().isEmpty)
                await peers[0].stopPublishing()
                let before = await peers[1...2].asyncMap { await $0.received().count(payloadType: TestPeer.videoPayloadType) }
                let oldSSRCs = await peers[1...2].asyncMap { Set(await $0.received().rtp.keys) }

                let second = try await room.join(.host, name: "second")
                let p2 = try await second.publish(offer: peers[3].publisherOffer())
                try await peers[3].apply(answer: p2.answer)
                try await peers[3].startPublishing()
                for (i, viewer) in peers[1...2].enumerated() {
                    let got = await viewer.waitReception(timeout: .seconds(8)) {
                        $0.count(payloadType: TestPeer.videoPayloadType) >= before[i] + 30 && $0.count(payloadType: TestPeer.audioPayloadType) >= 20
                    }
                    if !got {
                        let r = await viewer.received()
                        let stats = await room.stats()
                        Issue.record("\(viewer.name) received too little from the second publisher: before \(before[i]), now \(r.rtp.mapValues(\.count)); consumers \(String(describing: stats.router?.consumers)); producers \(String(describing: stats.router?.producers))")
                    }
                }
                await peers[3].stopPublishing()
                // The second publisher's media arrives on fresh SSRCs (mapped by mid), keyframe first, gapless.
                for (i, viewer) in peers[1...2].enumerated() {
                    let r = await viewer.received()
                    let fresh = Set(r.rtp.keys).subtracting(oldSSRCs[i])
                    #expect(fresh.count == 2, "\(viewer.name): \(r.rtp.mapValues(\.count))")
                    for ssrc in fresh {
                        #expect(r.isGapless(ssrc))
                        if let first = r.rtp[ssrc]?.first, first.payloadType == TestPeer.videoPayloadType {
                            #expect(first.startsKeyframe, "\(viewer.name): the second publisher's video starts mid-GOP")
                        }
                    }
                }
            }
        }
    }

    @Test func serverInitiatedSubscribeRenegotiatesAndKeepsTheFirstTrack() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("renegotiate")
            let events = EventRecorder(room.events)
            try await withPeers(["pub1", "viewer", "pub2"]) { peers in
                let host = try await room.join(.host, name: "host")
                let p1 = try await host.publish(offer: peers[0].publisherOffer())
                try await peers[0].apply(answer: p1.answer)
                try await peers[0].startPublishing()

                let viewer = try await room.join(.attendee, name: "viewer")
                let offer = try await viewer.subscribe()
                #expect(offer.isOffer && offer.tracks.count == 2)
                let answer = try await peers[1].answer(offer: offer.sdp)
                try await viewer.completeSubscription(offer.session, answer: answer)
                #expect(await peers[1].waitConnected())
                #expect(await peers[1].waitReception(timeout: .seconds(8), Self.enoughMedia))
                let firstSSRCs = Set(await peers[1].received().rtp.keys)

                let presenter = try await room.join(.presenter, name: "screen")
                let p2 = try await presenter.publish(offer: peers[2].publisherOffer())
                try await peers[2].apply(answer: p2.answer)
                try await peers[2].startPublishing()
                let needed = await events.wait {
                    if case .renegotiationNeeded(let p, let s, _) = $0 { return p == viewer.id && s == offer.session }
                    return false
                }
                guard case .renegotiationNeeded(_, _, let reoffer)? = needed else {
                    Issue.record("no renegotiation: \(events.all)")
                    return
                }
                let countBefore = await peers[1].received().rtp.values.reduce(0) { $0 + $1.count }
                let reanswer = try await peers[1].answer(offer: reoffer)
                try await viewer.completeSubscription(offer.session, answer: reanswer)
                let both = await peers[1].waitReception(timeout: .seconds(8)) { r in
                    r.rtp.count >= 4 && r.rtp.values.allSatisfy { $0.count >= 20 }
                }
                let counts = await peers[1].received().rtp.mapValues(\.count)
                #expect(both, "\(counts)")
                let r = await peers[1].received()
                #expect(r.rtp.values.reduce(0) { $0 + $1.count } > countBefore)
                // The first publisher's streams kept flowing, gapless, through the renegotiation.
                for ssrc in firstSSRCs { #expect(r.isGapless(ssrc), "gap on \(ssrc) across renegotiation") }
                #expect(r.byeSSRCs.isDisjoint(with: firstSSRCs))
                // One renegotiation for the second publisher's two tracks.
                #expect(events.all.filter { if case .renegotiationNeeded = $0 { true } else { false } }.count == 1)
                await peers[0].stopPublishing()
                await peers[2].stopPublishing()
            }
        }
    }
}

/// Server-initiated subscriptions keep one offer in flight (JSEP): tracks published while an
/// offer awaits its answer lead to the next offer after that answer.
@Suite(.serialized) struct APIRenegotiationTests {
    @Test func trackPublishedWhileAnOfferIsInFlightIsOfferedAfterTheAnswer() async throws {
        try await withSFU { sfu in
            let room = try await sfu.createRoom("in-flight")
            let events = EventRecorder(room.events)
            try await withPeers(["pub1", "viewer", "pub2"]) { peers in
                let host = try await room.join(.host, name: "host")
                _ = try await host.publish(offer: peers[0].publisherOffer())
                let viewer = try await room.join(.attendee, name: "viewer")
                let offer = try await viewer.subscribe()
                #expect(offer.tracks.count == 2)

                // A second presenter publishes while the viewer has not answered yet.
                let presenter = try await room.join(.presenter, name: "p2")
                let p2 = try await presenter.publish(offer: peers[2].publisherOffer())
                try await viewer.completeSubscription(offer.session, answer: try await peers[1].answer(offer: offer.sdp))

                let needed = await events.wait {
                    if case .renegotiationNeeded(_, offer.session, _) = $0 { true } else { false }
                }
                guard case .renegotiationNeeded(_, _, let reoffer)? = needed else {
                    Issue.record("no renegotiation after the answer: \(events.all)")
                    return
                }
                let sections = try SessionDescription(parsing: reoffer).media.filter { !$0.isRejected }
                #expect(sections.count == 4)
                try await viewer.completeSubscription(offer.session, answer: try await peers[1].answer(offer: reoffer))
                let consumers = await viewer.stats().sessions.first?.consumers ?? []
                #expect(Set(consumers.map(\.producerID)) == Set((await room.tracks()).map(\.id)))
                #expect(consumers.count == 4)
                #expect(p2.tracks.allSatisfy { t in consumers.contains { $0.producerID == t.id } })
                // No offer is outstanding now: answering again is a conflict.
                let again = await podiumError { try await viewer.completeSubscription(offer.session, answer: try await peers[1].answer(offer: reoffer)) }
                #expect(again?.kind == .conflict, "\(String(describing: again))")
                let renegotiations = events.all.filter { if case .renegotiationNeeded = $0 { true } else { false } }
                #expect(renegotiations.count == 1)
            }
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var out: [T] = []
        for e in self { out.append(await transform(e)) }
        return out
    }
}
