import Foundation
import PodiumCrypto
import PodiumRTC
import PodiumSDP
import PodiumTestSupport
import PodiumWire
import Testing

@Suite struct SubscriberAnswerTests {
    typealias F = NegotiationFixtures

    @Test func aiortcRecvonlyOfferBindsAudioAndVideo() throws {
        let offer = try SessionDescription(parsing: F.aiortcRecvonlyOffer)
        let tracks = [F.videoTrack(id: 2), F.opusTrack(id: 1)]
        let result = try SubscriberNegotiation.answer(offer, tracks: tracks, local: F.local, sessionID: 9)
        let answer = try PublisherNegotiationTests.checkTransport(result.localDescription)
        #expect(result.rejected.isEmpty && result.dtlsRole == .server)
        #expect(result.slots.map(\.producerID) == [1, 2])
        #expect(result.slots.map(\.track.mid) == ["0", "1"])

        let audio = result.slots[0].track, video = result.slots[1].track
        #expect(audio.codecs.map(\.payloadType) == [96] && audio.codecs[0].codec == .opus && audio.rtxSSRC == nil)
        #expect(audio.headerExtensions.mid == 1 && audio.headerExtensions.audioLevel == 2)
        // Bound codec first, then every other forwardable video codec the client offered.
        #expect(video.codecs.map(\.codec) == [.vp8, .h264, .h264])
        #expect(video.codecs.map(\.payloadType) == [97, 99, 101])
        #expect(video.codecs.map(\.rtxPayloadType) == [98, 100, 102])
        #expect(video.codecs[0].feedback == [.nack, .pli, .remb])
        #expect(video.rtxSSRC != nil && video.headerExtensions.absSendTime == 3)
        #expect(audio.cname == video.cname && !audio.cname.isEmpty)
        #expect(Set([audio.ssrc, video.ssrc, video.rtxSSRC!]).count == 3)
        #expect(video.codec(matching: tracks[0].codec)?.payloadType == 97)

        let a = answer.media[0], v = answer.media[1]
        #expect(a.effectiveDirection == .sendonly && v.effectiveDirection == .sendonly)
        #expect(a.msid == SDPMSID(streamID: "stream-1", trackID: "audio-1"))
        #expect(v.msid == SDPMSID(streamID: "stream-2", trackID: "video-2"))
        #expect(a.ssrcs == [audio.ssrc] && a.cname(ssrc: audio.ssrc) == audio.cname && a.ssrcGroups.isEmpty)
        #expect(v.ssrcs == [video.ssrc, video.rtxSSRC!])
        #expect(v.rtxSSRC(for: video.ssrc) == video.rtxSSRC)
        #expect(v.ssrcAttributes.contains { $0.ssrc == video.ssrc && $0.attribute == "msid" && $0.value == "stream-2 video-2" })
        #expect(v.formats == ["97", "98", "99", "100", "101", "102"])
        #expect(a.formats == ["96"])
        #expect(result.remote.iceUfrag == "Vw3q")
    }

    @Test func chromiumRecvonlyOfferPutsTheProducersCodecFirst() throws {
        let offer = try F.shared("chromium-156-subscriber-recvonly.sdp")
        let vp9 = F.videoTrack(id: 5, codec: .vp9, pt: 98, parameters: [SDPFormatParameter(key: "profile-id", value: "0")])
        let result = try SubscriberNegotiation.answer(offer, tracks: [F.opusTrack(id: 4), vp9], local: F.local, sessionID: 1)
        let answer = try PublisherNegotiationTests.checkTransport(result.localDescription)
        #expect(answer.isExtmapAllowMixed)
        let video = result.slots[1].track
        #expect(result.slots[1].producerID == 5)
        #expect(video.codecs.first?.codec == .vp9 && video.codecs.first?.parameter("profile-id") == "0")
        #expect(video.codecs.contains { $0.codec == .vp8 } && video.codecs.contains { $0.codec == .av1 })
        // H.264 only with packetization-mode 1, VP9 only profile 0.
        #expect(video.codecs.filter { $0.codec == .h264 }.allSatisfy { $0.parameter("packetization-mode") == "1" })
        #expect(!video.codecs.contains { $0.codec == .vp9 && $0.parameter("profile-id") == "2" })
        #expect(video.rtcpReducedSize)
        let v = answer.media[1]
        #expect(v.codecs.first?.name == "VP9")
        #expect(v.codecs.filter { !$0.isRTX }.count == video.codecs.count)
        // Every payload type in the answer is one the client offered, with the same codec.
        for c in v.codecs { #expect(offer.media[1].codec(payloadType: c.payloadType)?.name == c.name) }
    }

    @Test func moreReceiversThanTracksLeavesSlotsUnbound() throws {
        let text = F.offer(session: "a=group:BUNDLE 0 1 2\n", [
            F.audio(direction: "recvonly"), F.video(direction: "recvonly", codecs: F.vp8, formats: "96 97"),
            F.video(mid: "2", direction: "recvonly", codecs: F.vp8, formats: "96 97"),
        ])
        let result = try SubscriberNegotiation.answer(try SessionDescription(parsing: text), tracks: [F.videoTrack(id: 1)],
                                                      local: F.local, sessionID: 1)
        #expect(result.slots.map(\.producerID) == [nil, 1, nil])
        let media = result.localDescription.media
        #expect(media.allSatisfy { $0.effectiveDirection == .sendonly && $0.port == 40000 })
        #expect(media[0].ssrcs.isEmpty && media[0].msid == nil && media[2].ssrcs.isEmpty)
        #expect(media[1].ssrcs.count == 2)
        // SSRCs are chosen for unbound slots too (the router uses them when it binds), all distinct.
        let ssrcs = result.slots.flatMap { [$0.track.ssrc] + ($0.track.rtxSSRC.map { [$0] } ?? []) }
        #expect(ssrcs.count == 5 && Set(ssrcs).count == 5)
    }

    @Test func eachProducerIsBoundOnceAndOnlyToAMatchingCodec() throws {
        let h264Only = """
            a=rtpmap:102 H264/90000
            a=fmtp:102 packetization-mode=1;profile-level-id=42e01f

            """
        let text = F.offer(session: "a=group:BUNDLE 1 2\n", [
            F.video(direction: "recvonly", codecs: h264Only, formats: "102"),
            F.video(mid: "2", direction: "sendrecv", codecs: F.vp8, formats: "96 97"),
        ])
        let tracks = [F.videoTrack(id: 1), F.videoTrack(id: 2)]
        let result = try SubscriberNegotiation.answer(try SessionDescription(parsing: text), tracks: tracks, local: F.local, sessionID: 1)
        // The H.264 m-line cannot carry a VP8 producer; the VP8 m-line takes the first.
        #expect(result.slots.map(\.producerID) == [nil, 1])
        #expect(result.localDescription.media[1].effectiveDirection == .sendonly)

        // A mode-0-only H.264 m-line is rejected: Podium forwards mode 1 only.
        let mode0 = "a=rtpmap:102 H264/90000\na=fmtp:102 packetization-mode=0;profile-level-id=42e01f\n"
        let text2 = F.offer(session: "a=group:BUNDLE 0 1\n", [F.audio(direction: "recvonly"), F.video(direction: "recvonly", codecs: mode0, formats: "102")])
        let h264 = F.videoTrack(id: 3, codec: .h264, parameters: [SDPFormatParameter(key: "packetization-mode", value: "1")])
        let result2 = try SubscriberNegotiation.answer(try SessionDescription(parsing: text2), tracks: [h264], local: F.local, sessionID: 1)
        #expect(result2.slots.count == 1 && result2.rejected.map(\.index) == [1])
        #expect(result2.localDescription.media[1].port == 0)
    }

    @Test func sendonlyMLinesAreRejectedAndNothingUsableIsAnError() throws {
        let text = F.offer([F.audio(direction: "sendonly"), F.video(direction: "recvonly", codecs: F.vp8, formats: "96 97")])
        let result = try SubscriberNegotiation.answer(try SessionDescription(parsing: text), tracks: [], local: F.local, sessionID: 1)
        #expect(result.rejected.count == 1 && result.rejected[0].reason.contains("sendonly"))
        #expect(result.slots.count == 1 && result.slots[0].producerID == nil)

        let none = F.offer([F.audio(direction: "sendonly"), F.video(direction: "inactive", codecs: F.vp8, formats: "96 97")])
        #expect(throws: NegotiationError.self) {
            try SubscriberNegotiation.answer(try SessionDescription(parsing: none), tracks: [], local: F.local, sessionID: 1)
        }
        let noICE = F.aiortcRecvonlyOffer.replacingOccurrences(of: "a=ice-ufrag:Vw3q\n", with: "")
        #expect(throws: NegotiationError.self) {
            try SubscriberNegotiation.answer(try SessionDescription(parsing: noICE), tracks: [], local: F.local, sessionID: 1)
        }
    }

    @Test func codecsPerMLineAreBoundedKeepingTheBoundOne() throws {
        let pts = Array(UInt8(96)...UInt8(115))
        let codecs = pts.map { "a=rtpmap:\($0) VP8/90000\n" }.joined() + "a=rtpmap:116 H264/90000\na=fmtp:116 packetization-mode=1\n"
        let text = F.offer(session: "a=group:BUNDLE 1\n", [F.video(direction: "recvonly", codecs: codecs,
                                                                   formats: (pts + [116]).map(String.init).joined(separator: " "))])
        let h264 = F.videoTrack(id: 1, codec: .h264, parameters: [SDPFormatParameter(key: "packetization-mode", value: "1")])
        let result = try SubscriberNegotiation.answer(try SessionDescription(parsing: text), tracks: [h264], local: F.local, sessionID: 1)
        #expect(result.slots[0].track.codecs.count == NegotiationLimits.maxCodecsPerMLine)
        #expect(result.slots[0].track.codecs.first?.payloadType == 116 && result.slots[0].producerID == 1)
    }

    @Test func anAnswerThatWouldBeTooLargeIsAnError() throws {
        // Wildcard feedback is written per payload type in the answer, so a small offer can ask
        // for a big answer: Podium refuses rather than write a description no parser takes.
        var text = "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=group:BUNDLE \((0..<60).map(String.init).joined(separator: " "))\n" + F.transport.replacingOccurrences(of: "a=rtcp-mux\n", with: "")
        let pts = Array(UInt8(96)...UInt8(111))
        for i in 0..<60 {
            text += "m=video 9 UDP/TLS/RTP/SAVPF \(pts.map(String.init).joined(separator: " "))\na=mid:\(i)\na=recvonly\na=rtcp-mux\n"
            text += "a=rtcp-fb:* nack\na=rtcp-fb:* nack pli\na=rtcp-fb:* ccm fir\na=rtcp-fb:* goog-remb\na=rtcp-fb:* transport-cc\n"
            text += pts.map { "a=rtpmap:\($0) VP8/90000\n" }.joined()
        }
        #expect(text.utf8.count < SDPLimits.maxBytes)
        let offer = try SessionDescription(parsing: text)
        #expect(throws: NegotiationError.self) {
            try SubscriberNegotiation.answer(offer, tracks: [], local: F.local, sessionID: 1)
        }
        do {
            _ = try SubscriberNegotiation.answer(offer, tracks: [], local: F.local, sessionID: 1)
        } catch {
            #expect(error.description.hasPrefix("the answer would be "))
        }
    }

    @Test func streamIDsThatAreNotSDPTokensDoNotBreakTheAnswer() throws {
        var track = F.opusTrack(id: 1)
        track.streamID = "my stream"
        track.trackID = ""
        let result = try SubscriberNegotiation.answer(try SessionDescription(parsing: F.aiortcRecvonlyOffer), tracks: [track],
                                                      local: F.local, sessionID: 1)
        let reparsed = try SessionDescription(parsing: result.localDescription.description)
        #expect(reparsed.media[0].msid == SDPMSID(streamID: "my-stream", trackID: "-"))
    }
}
