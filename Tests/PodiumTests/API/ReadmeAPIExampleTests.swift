import Podium
import Testing

/// Keeps README.md's "Embedding" example true: the same calls, with real offers from in-process
/// peers, and the media checked at the viewer.
@Suite(.serialized) struct ReadmeAPIExampleTests {
    // From README.md, "Embedding" (the SFU binds an ephemeral port on 127.0.0.1 here).
    func runWebinar(whipOffer: String, whepOffer: String) async throws -> (sfu: SFU, hostAnswer: String, viewerAnswer: String) {
        let sfu = try await SFU(.init(workers: 1, listenIP: "127.0.0.1", listenPort: 0))
        let room = try await sfu.createRoom("weekly-webinar")
        Task { for await event in room.events { print("room:", event) } }

        let host = try await room.join(.host, name: "Ada")
        let publication = try await host.publish(offer: whipOffer)        // answer → the host (WHIP 201)
        let viewer = try await room.join(.attendee, name: "Bob")
        let subscription = try await viewer.subscribe(offer: whepOffer)   // answer → the viewer (WHEP 201)
        return (sfu, publication.answer, subscription.sdp)
    }

    @Test func readmeExampleForwardsMedia() async throws {
        try await withPeers(["host", "viewer"]) { peers in
            let (sfu, hostAnswer, viewerAnswer) = try await runWebinar(whipOffer: peers[0].publisherOffer(),
                                                                       whepOffer: peers[1].subscriberOffer())
            try await peers[0].apply(answer: hostAnswer)
            try await peers[1].apply(answer: viewerAnswer)
            #expect(await peers[0].waitConnected())
            #expect(await peers[1].waitConnected())
            try await peers[0].startPublishing()
            let got = await peers[1].waitReception(timeout: .seconds(8)) {
                $0.count(payloadType: TestPeer.videoPayloadType) >= 20 && $0.count(payloadType: TestPeer.audioPayloadType) >= 10
            }
            let counts = await peers[1].received().rtp.mapValues(\.count)
            #expect(got, "the viewer received \(counts)")
            await peers[0].stopPublishing()
            await sfu.shutdown()
        }
    }
}
