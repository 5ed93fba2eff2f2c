import Foundation
import PodiumCrypto
import PodiumRTC
import PodiumSDP
import PodiumTestSupport
import PodiumWire
import Testing

@Suite struct SubscriberOfferTests {
    typealias F = NegotiationFixtures

    static let tracks = [F.opusTrack(id: 1), F.videoTrack(id: 2)]

    /// Answers Podium's offer the way a browser does: every m-line recvonly, setup active, the
    /// browser's own ICE and fingerprint; optionally rejecting mids and leaving out RTX, feedback
    /// or extensions.
    static func browserAnswer(to offer: SessionDescription, rejecting: Set<String> = [], dropRTX: Bool = false,
                              dropFeedback: Set<String> = [], dropExtensions: Set<String> = [], setup: SDPSetup = .active) -> SessionDescription {
        var media: [MediaDescription] = []
        for m in offer.media {
            if m.isRejected || rejecting.contains(m.mid ?? "") {
                media.append(MediaDescription(kind: m.kind, port: 0, proto: m.proto, formats: m.formats, attributes: m.mid.map { [.mid($0)] } ?? []))
                continue
            }
            var a: [SDPAttribute] = [
                .mid(m.mid!), .iceUfrag("brws"), .icePwd("browserPasswordBrowser12"),
                .fingerprint(SDPFingerprint(algorithm: "sha-256", bytes: Array(repeating: 7, count: 32))), .setup(setup),
                .direction(.recvonly), .rtcpMux, .rtcpReducedSize,
            ]
            for e in m.headerExtensions where !dropExtensions.contains(e.uri) { a.append(.extmap(e)) }
            var answer = MediaDescription(kind: m.kind, port: 9, proto: m.proto, formats: [], attributes: a)
            for var c in m.codecs where !(dropRTX && c.isRTX) {
                c.feedback.removeAll { dropFeedback.contains($0.description) }
                answer.appendCodec(c)
            }
            media.append(answer)
        }
        let mids = media.filter { !$0.isRejected }.compactMap(\.mid)
        return SessionDescription(origin: SDPOrigin(sessionID: 99, sessionVersion: 2),
                                  attributes: [.group(SDPGroup(semantics: "BUNDLE", mids: mids))], media: media)
    }

    @Test func offerHasOneSendonlyMLinePerTrackWithPodiumsPayloadTypes() throws {
        let offer = SubscriberNegotiation.offer(tracks: Self.tracks, local: F.local, sessionID: 77)
        let sdp = try SessionDescription(parsing: offer.offer.description)
        #expect(sdp == offer.offer)
        #expect(offer.sessionID == 77 && offer.sessionVersion == 1 && sdp.origin.sessionVersion == 1 && sdp.origin.sessionID == 77)
        #expect(sdp.isICELite && sdp.bundleGroup?.mids == ["0", "1"])
        #expect(sdp.media.map(\.mid) == ["0", "1"])
        for m in sdp.media {
            #expect(m.effectiveDirection == .sendonly && sdp.setup(of: m) == .actpass && m.isRTCPMux)
            #expect(m.candidates.count == 2 && m.hasEndOfCandidates && sdp.iceUfrag(of: m) == "podiumUF")
        }
        let audio = sdp.media[0], video = sdp.media[1]
        #expect(audio.formats == ["111"] && audio.codecs[0].name == "opus" && audio.codecs[0].channels == 2)
        #expect(audio.codecs[0].parameter("useinbandfec") == "1")
        #expect(video.formats == ["96", "97"] && video.codecs[0].name == "VP8" && video.codecs[0].rtxPayloadType == 97)
        #expect(Set(video.codecs[0].feedback.map(\.description)) == ["nack", "nack pli", "ccm fir", "transport-cc", "goog-remb"])
        #expect(audio.extensionID(for: SDPExtensionURI.audioLevel) == 1 && audio.extensionID(for: SDPExtensionURI.mid) == 4)
        #expect(video.extensionID(for: SDPExtensionURI.audioLevel) == nil && video.extensionID(for: SDPExtensionURI.rtpStreamID) == nil)
        #expect(video.extensionID(for: SDPExtensionURI.transportWideCC) == 3)
        #expect(audio.msid == SDPMSID(streamID: "stream-1", trackID: "audio-1"))

        #expect(offer.slots.map(\.producerID) == [1, 2])
        let v = offer.slots[1].track
        #expect(video.ssrcs == [v.ssrc, v.rtxSSRC!] && video.rtxSSRC(for: v.ssrc) == v.rtxSSRC)
        #expect(audio.ssrcs == [offer.slots[0].track.ssrc] && offer.slots[0].track.rtxSSRC == nil)
        #expect(audio.cname(ssrc: offer.slots[0].track.ssrc) == v.cname)
        #expect(v.codecs == [NegotiatedCodec(codec: .vp8, payloadType: 96, clockRate: 90000, rtxPayloadType: 97,
                                             feedback: [.nack, .pli, .fir, .transportCC, .remb])])
    }

    @Test func h264OfferKeepsTheProducersParameters() throws {
        let h264 = F.videoTrack(id: 3, codec: .h264, pt: 108, parameters: [
            SDPFormatParameter(key: "level-asymmetry-allowed", value: "1"), SDPFormatParameter(key: "packetization-mode", value: "1"),
            SDPFormatParameter(key: "profile-level-id", value: "42e01f"),
        ])
        let offer = SubscriberNegotiation.offer(tracks: [h264], local: F.local, sessionID: 1)
        let m = offer.offer.media[0]
        #expect(m.formats == ["102", "103"])
        #expect(m.codecs[0].parameter("profile-level-id") == "42e01f" && m.codecs[0].parameter("packetization-mode") == "1")
        #expect(offer.slots[0].track.codec(matching: h264.codec) != nil)
    }

    @Test func applyKeepsWhatTheAnswerAccepted() throws {
        let offer = SubscriberNegotiation.offer(tracks: Self.tracks, local: F.local, sessionID: 1)
        let answer = Self.browserAnswer(to: offer.offer, dropRTX: true, dropFeedback: ["goog-remb"],
                                        dropExtensions: [SDPExtensionURI.absSendTime])
        let result = try SubscriberNegotiation.apply(answer: try SessionDescription(parsing: answer.description), to: offer)
        #expect(result.dtlsRole == .server && result.rejected.isEmpty)
        #expect(result.remote.iceUfrag == "brws" && result.remote.setup == .active)
        #expect(result.localDescription == offer.offer)
        let video = result.slots[1].track
        #expect(video.codecs[0].rtxPayloadType == nil && video.rtxSSRC == nil)
        #expect(video.codecs[0].feedback == [.nack, .pli, .fir, .transportCC])
        #expect(video.headerExtensions.absSendTime == 0 && video.headerExtensions.mid == 4)
        #expect(video.ssrc == offer.slots[1].track.ssrc && video.mid == "1")
        #expect(result.slots.map(\.producerID) == [1, 2])

        let passive = Self.browserAnswer(to: offer.offer, setup: .passive)
        #expect(try SubscriberNegotiation.apply(answer: passive, to: offer).dtlsRole == .client)
        // Everything accepted: RTX stays.
        #expect(try SubscriberNegotiation.apply(answer: passive, to: offer).slots[1].track.rtxSSRC == offer.slots[1].track.rtxSSRC)
    }

    @Test func applyDropsSlotsTheAnswerRejected() throws {
        let offer = SubscriberNegotiation.offer(tracks: Self.tracks, local: F.local, sessionID: 1)
        let result = try SubscriberNegotiation.apply(answer: Self.browserAnswer(to: offer.offer, rejecting: ["0"]), to: offer)
        #expect(result.slots.map(\.producerID) == [2])
        #expect(result.rejected == [RejectedMedia(index: 0, mid: "0", reason: "the subscriber rejected it (port 0)")])
    }

    @Test func applyRefusesAnswersThatDoNotMatch() throws {
        let offer = SubscriberNegotiation.offer(tracks: Self.tracks, local: F.local, sessionID: 1)
        let good = Self.browserAnswer(to: offer.offer)
        func error(_ answer: SessionDescription) -> String? {
            do { _ = try SubscriberNegotiation.apply(answer: answer, to: offer); return nil } catch { return error.description }
        }
        var short = good
        short.media.removeLast()
        #expect(error(short) == "the answer has 1 m-lines; the offer had 2 (one answer m-line per offered m-line, in order)")
        var swapped = good
        swapped.media.swapAt(0, 1)
        #expect(error(swapped)?.contains("has mid '1'; the offer's m-line 0 has mid '0'") == true)
        var noICE = good
        for i in noICE.media.indices { noICE.media[i].attributes.removeAll { $0.name == "ice-ufrag" } }
        #expect(error(noICE)?.hasPrefix("the answer has no a=ice-ufrag") == true)
        var noFingerprint = good
        for i in noFingerprint.media.indices { noFingerprint.media[i].attributes.removeAll { $0.name == "fingerprint" } }
        #expect(error(noFingerprint)?.hasPrefix("the answer has no a=fingerprint") == true)
        #expect(error(Self.browserAnswer(to: offer.offer, setup: .actpass))?.contains("must be active or passive") == true)
        var noMid = good
        noMid.media[1].attributes.removeAll { $0.name == "mid" }
        #expect(error(noMid) == "m-line 1 (video) has no a=mid (unified plan and BUNDLE need one)")
    }

    @Test func renegotiationKeepsMidsAndSSRCsAndRejectsRemovedTracksInPlace() throws {
        let first = SubscriberNegotiation.offer(tracks: Self.tracks, local: F.local, sessionID: 5)
        // The presenter starts sharing a screen: a third m-line, the first two unchanged.
        let screen = F.videoTrack(id: 3)
        let second = SubscriberNegotiation.offer(tracks: Self.tracks + [screen], local: F.local, previous: first, sessionID: 999)
        #expect(second.sessionID == 5 && second.sessionVersion == 2 && second.offer.origin.sessionVersion == 2)
        #expect(second.offer.media.map(\.mid) == ["0", "1", "2"])
        #expect(Array(second.offer.media.prefix(2)) == first.offer.media)
        #expect(Array(second.slots.prefix(2)) == first.slots)
        #expect(second.slots[2].producerID == 3 && second.slots[2].track.cname == first.slots[0].track.cname)
        let ssrcs = second.slots.flatMap { [$0.track.ssrc] + ($0.track.rtxSSRC.map { [$0] } ?? []) }
        #expect(Set(ssrcs).count == 5)
        #expect(second.offer.bundleGroup?.mids == ["0", "1", "2"])

        // The camera goes away: its m-line is rejected in place, the others keep their places.
        let third = SubscriberNegotiation.offer(tracks: [Self.tracks[0], screen], local: F.local, previous: second, sessionID: 5)
        #expect(third.sessionVersion == 3)
        #expect(third.offer.media.map(\.mid) == ["0", "1", "2"])
        #expect(third.offer.media.map(\.port) == [40000, 0, 40000])
        #expect(third.offer.media[0] == second.offer.media[0] && third.offer.media[2] == second.offer.media[2])
        #expect(third.slots.map(\.producerID) == [1, 3] && third.slots.map(\.track.mid) == ["0", "2"])
        #expect(third.offer.bundleGroup?.mids == ["0", "2"])
        _ = try SessionDescription(parsing: third.offer.description)

        // A new track never reuses a mid, not even a rejected one.
        let fourth = SubscriberNegotiation.offer(tracks: [Self.tracks[0], screen, F.videoTrack(id: 4)], local: F.local,
                                                 previous: third, sessionID: 5)
        #expect(fourth.offer.media.map(\.mid) == ["0", "1", "2", "3"])
        #expect(fourth.offer.media[1].isRejected && fourth.slots.map(\.producerID) == [1, 3, 4])

        // The answer to a renegotiation applies slot by slot.
        let result = try SubscriberNegotiation.apply(answer: Self.browserAnswer(to: fourth.offer), to: fourth)
        #expect(result.slots.map(\.track.mid) == ["0", "2", "3"] && result.rejected.isEmpty)
        #expect(result.slots[1].track.ssrc == second.slots[2].track.ssrc)
    }

    @Test func mLinesTheSubscriberRejectedStayRejected() throws {
        let first = SubscriberNegotiation.offer(tracks: Self.tracks, local: F.local, sessionID: 5)
        let result = try SubscriberNegotiation.apply(answer: Self.browserAnswer(to: first.offer, rejecting: ["0"], dropRTX: true), to: first)
        let base = first.completed(by: result)
        #expect(base.slots.map(\.producerID) == [2] && base.sessionVersion == 1)
        let next = SubscriberNegotiation.offer(tracks: Self.tracks + [F.videoTrack(id: 3)], local: F.local, previous: base, sessionID: 5)
        // The rejected audio m-line stays rejected; its track is offered again in a new m-line.
        #expect(next.offer.media.map(\.mid) == ["0", "1", "2", "3"])
        #expect(next.offer.media.map(\.port) == [0, 40000, 40000, 40000])
        #expect(next.slots.map(\.producerID) == [2, 1, 3])
        // The video m-line keeps its SSRC and now offers what the subscriber accepted (no RTX).
        #expect(next.slots[0].track.ssrc == first.slots[1].track.ssrc && next.offer.media[1].formats == ["96"])
        #expect(next.offer.media[1].ssrcGroups.isEmpty)
    }

    @Test func offerWithoutTracksIsEmptyButValid() throws {
        let offer = SubscriberNegotiation.offer(tracks: [], local: F.local, sessionID: 1)
        #expect(offer.offer.media.isEmpty && offer.slots.isEmpty)
        _ = try SessionDescription(parsing: offer.offer.description)
    }
}
