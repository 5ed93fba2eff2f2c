import Foundation
import PodiumRTC
import PodiumSDP
import PodiumTestSupport
import Testing

@Suite struct TransportAnswerTests {
    static let local = LocalTransportDescription(
        iceUfrag: "podiumUF", icePwd: "podiumPasswordPodium1234",
        fingerprint: SDPFingerprint(algorithm: "sha-256", bytes: Array(0..<32)),
        candidates: [(ip: "127.0.0.1", port: 40000)])

    static func offer(_ name: String) throws -> SessionDescription {
        let text = try String(contentsOf: sharedFixtures.appendingPathComponent("sdp/\(name)"), encoding: .utf8)
        return try SessionDescription(parsing: text)
    }

    @Test func answersAiortcOfferWithOpusAndVP8() throws {
        let offer = try Self.offer("aiortc-1.16-publisher.sdp")
        let answer = try TransportAnswer.answer(offer, local: Self.local, sessionID: 42)
        // The answer must parse again (it goes to a real peer) and say what Podium accepted.
        let reparsed = try SessionDescription(parsing: answer.description)
        #expect(reparsed.isICELite)
        #expect(reparsed.bundleGroup?.mids == ["0", "1"])
        let audio = try #require(reparsed.media(mid: "0"))
        let video = try #require(reparsed.media(mid: "1"))
        #expect(audio.codecs.map(\.name).map { $0.lowercased() } == ["opus"])
        #expect(video.codecs.first?.name.lowercased() == "vp8")
        #expect(video.codecs.contains { $0.isRTX && $0.associatedPayloadType == video.codecs.first?.payloadType })
        #expect(audio.effectiveDirection == .recvonly && video.effectiveDirection == .recvonly)
        #expect(reparsed.setup(of: audio) == .passive)
        #expect(reparsed.iceUfrag(of: video) == "podiumUF")
        #expect(audio.candidates.count == 1 && audio.candidates[0].address == "127.0.0.1" && audio.candidates[0].port == 40000)
        #expect(audio.isRTCPMux)
        // Payload types are the offer's.
        let offeredVP8 = try #require(offer.media(mid: "1")?.codecs.first { $0.isNamed("vp8") })
        #expect(video.codecs.first?.payloadType == offeredVP8.payloadType)
    }

    @Test func answersChromiumSimulcastOfferKeepingOnlyKnownExtensions() throws {
        let offer = try Self.offer("chromium-156-publisher-simulcast.sdp")
        let answer = try TransportAnswer.answer(offer, local: Self.local, sessionID: 1)
        let reparsed = try SessionDescription(parsing: answer.description)
        for m in reparsed.media where !m.isRejected {
            for ext in m.headerExtensions {
                #expect(TransportAnswer.acceptedExtensions.contains(ext.uri), "unexpected extension \(ext.uri)")
                // Ids are the offer's.
                #expect(offer.media(mid: m.mid!)?.extensionID(for: ext.uri) == ext.id)
            }
        }
        #expect(reparsed.media.count == offer.media.count)
    }

    @Test func dtlsRoleFollowsTheRequest() throws {
        #expect(try TransportAnswer.answerSetup(offer: .actpass, role: .automatic) == .passive)
        #expect(try TransportAnswer.answerSetup(offer: .actpass, role: .client) == .active)
        #expect(try TransportAnswer.answerSetup(offer: .passive, role: .automatic) == .active)
        #expect(throws: NegotiationError.self) { try TransportAnswer.answerSetup(offer: .active, role: .client) }
        #expect(throws: NegotiationError.self) { try TransportAnswer.answerSetup(offer: .passive, role: .server) }
    }

    @Test func rejectsOffersWithoutICEOrFingerprint() throws {
        var offer = try Self.offer("aiortc-1.16-publisher.sdp")
        for i in offer.media.indices {
            offer.media[i].attributes.removeAll { if case .fingerprint = $0 { true } else { false } }
        }
        offer.attributes.removeAll { if case .fingerprint = $0 { true } else { false } }
        #expect(throws: NegotiationError.self) { try TransportAnswer.answer(offer, local: Self.local, sessionID: 1) }

        var noICE = try Self.offer("aiortc-1.16-publisher.sdp")
        for i in noICE.media.indices {
            noICE.media[i].attributes.removeAll { if case .iceUfrag = $0 { true } else { false } }
        }
        #expect(throws: NegotiationError.self) { try TransportAnswer.answer(noICE, local: Self.local, sessionID: 1) }
    }

    @Test func rejectsMediaPodiumCannotReceive() throws {
        var offer = try Self.offer("aiortc-1.16-publisher.sdp")
        // Make the video m-line H.264-only: it must be rejected (port 0) while audio is accepted.
        let vi = try #require(offer.media.firstIndex { $0.kind == .video })
        offer.media[vi].attributes = offer.media[vi].attributes.filter {
            if case .rtpmap(let m) = $0 { return m.encodingName.lowercased() != "vp8" }
            return true
        }
        let answer = try SessionDescription(parsing: TransportAnswer.answer(offer, local: Self.local, sessionID: 1).description)
        #expect(answer.media[vi].port == 0)
        #expect(answer.bundleGroup?.mids == ["0"])
    }
}
