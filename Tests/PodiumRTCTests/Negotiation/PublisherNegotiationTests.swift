import Foundation
import PodiumCrypto
import PodiumRTC
import PodiumSDP
import PodiumTestSupport
import PodiumWire
import Testing

@Suite struct PublisherNegotiationTests {
    typealias F = NegotiationFixtures

    /// What every answer must have for aiortc and Chromium to take it.
    static func checkTransport(_ answer: SessionDescription) throws -> SessionDescription {
        let reparsed = try SessionDescription(parsing: answer.description)
        #expect(reparsed == answer)
        #expect(reparsed.isICELite)
        for m in reparsed.media where !m.isRejected {
            #expect(reparsed.iceUfrag(of: m) == "podiumUF" && reparsed.icePwd(of: m) == "podiumPasswordPodium1234")
            #expect(reparsed.fingerprints(of: m) == [F.local.fingerprint])
            #expect(m.candidates.map(\.address) == ["127.0.0.1", "::1"] && m.candidates.allSatisfy { $0.port == 40000 })
            #expect(m.hasEndOfCandidates && m.isRTCPMux)
            #expect(m.port == 40000)
        }
        #expect(reparsed.bundleGroup?.mids == reparsed.media.filter { !$0.isRejected }.compactMap(\.mid))
        return reparsed
    }

    @Test func aiortcOfferGivesOpusAndVP8WithAnnouncedSSRCs() throws {
        let offer = try F.shared("aiortc-1.16-publisher.sdp")
        let result = try PublisherNegotiation.answer(offer, local: F.local, sessionID: 7)
        let answer = try Self.checkTransport(result.answer)
        #expect(result.rejected.isEmpty)
        #expect(result.dtlsRole == .server)
        #expect(answer.setup(of: answer.media[0]) == .passive)
        #expect(result.remote.iceUfrag == "er7D" && result.remote.fingerprints.count == 3 && result.remote.candidates.count == 2)

        let audio = result.tracks[0], video = result.tracks[1]
        #expect(audio.mid == "0" && audio.kind == .audio && audio.codec.codec == .opus && audio.codec.payloadType == 96)
        #expect(audio.codec.channels == 2 && audio.codec.rtxPayloadType == nil)
        #expect(audio.encodings == [PublishedEncoding(ssrc: 88343894)])
        #expect(audio.headerExtensions.mid == 1 && audio.headerExtensions.audioLevel == 2)
        #expect(audio.streamID == "465ca39c-3a63-423c-847e-708c147f33c1" && audio.trackID == "539b9796-b3e2-4b2f-a7c1-bccde08e3f40")
        #expect(video.kind == .video && video.codec.codec == .vp8 && video.codec.payloadType == 97 && video.codec.rtxPayloadType == 98)
        #expect(video.codec.feedback == [.nack, .pli, .remb])
        #expect(video.encodings == [PublishedEncoding(ssrc: 2861615566, rtxSSRC: 2548379711)])
        #expect(video.headerExtensions.absSendTime == 3 && !video.isSimulcast)

        let v = answer.media[1]
        #expect(v.effectiveDirection == .recvonly && answer.media[0].effectiveDirection == .recvonly)
        #expect(v.formats == ["97", "98"])
        #expect(v.codecs.first?.name == "VP8" && v.codecs.first?.rtxPayloadType == 98)
        #expect(Set(v.codecs[0].feedback.map(\.description)) == ["nack", "nack pli", "goog-remb"])
        #expect(answer.media[0].formats == ["96"])
        #expect(!answer.isExtmapAllowMixed)
    }

    @Test func chromiumSimulcastOfferAnswersRIDsAndSimulcastRecv() throws {
        let offer = try F.shared("chromium-156-publisher-simulcast.sdp")
        let result = try PublisherNegotiation.answer(offer, local: F.local, sessionID: 1)
        let answer = try Self.checkTransport(result.answer)
        #expect(answer.isExtmapAllowMixed)
        let video = result.tracks[1]
        #expect(video.codec.codec == .vp8 && video.codec.payloadType == 96 && video.codec.rtxPayloadType == 97)
        #expect(video.codec.feedback == [.nack, .pli, .fir, .transportCC, .remb])
        #expect(video.encodings.map(\.rid) == ["q", "h", "f"] && video.isSimulcast)
        #expect(video.encodings.allSatisfy { $0.ssrc == nil })
        #expect(video.headerExtensions.rid == 10 && video.headerExtensions.repairedRID == 11 && video.headerExtensions.mid == 4)
        #expect(video.headerExtensions.transportCC == 3)
        #expect(video.rtcpReducedSize && video.trackID == "35f1e231-27d2-4418-85d7-2c238c24b664")

        let v = try #require(answer.media(mid: "1"))
        #expect(v.rids == [SDPRID(id: "q", direction: .recv), SDPRID(id: "h", direction: .recv), SDPRID(id: "f", direction: .recv)])
        #expect(v.simulcast?.receive.map { $0.map(\.rid) } == [["q"], ["h"], ["f"]] && v.simulcast?.send.isEmpty == true)
        #expect(v.isRTCPReducedSize)
        // Extensions Podium does not use are left out; the ones kept have the offer's ids.
        #expect(v.extensionID(for: SDPExtensionURI.transmissionOffset) == nil)
        #expect(v.extensionID(for: "http://www.webrtc.org/experiments/rtp-hdrext/video-timing") == nil)
        for e in v.headerExtensions { #expect(offer.media[1].extensionID(for: e.uri) == e.id) }
        #expect(v.extensionID(for: SDPExtensionURI.dependencyDescriptor) == 12)
        // Only the chosen codec and its RTX.
        #expect(v.formats == ["96", "97"])
        let audio = result.tracks[0]
        #expect(audio.codec.payloadType == 111 && audio.codec.feedback == [.transportCC] && audio.encodings[0].ssrc == 3983790210)
        #expect(audio.codec.parameter("useinbandfec") == "1")
    }

    @Test func gstreamerOfferWithBundleOnlyAudioAndSSRCMSID() throws {
        let offer = try F.repository("gstreamer-1.22-webrtcbin-publisher.sdp")
        let result = try PublisherNegotiation.answer(offer, local: F.local, sessionID: 3)
        let answer = try Self.checkTransport(result.answer)
        #expect(answer.bundleGroup?.mids == ["video0", "audio1"])
        #expect(result.tracks.map(\.mid) == ["video0", "audio1"])
        let video = result.tracks[0], audio = result.tracks[1]
        #expect(video.encodings == [PublishedEncoding(ssrc: 2508613395, rtxSSRC: 641768698)])
        #expect(video.streamID == "user164053463@host-5c5ec9bb" && video.trackID == "webrtctransceiver0")
        #expect(audio.codec.codec == .opus && audio.codec.payloadType == 111 && audio.codec.rtxPayloadType == 98)
        #expect(audio.encodings == [PublishedEncoding(ssrc: 1577008265, rtxSSRC: 149707077)])
        #expect(answer.media[1].port == 40000 && answer.media[1].codecs.first?.name == "OPUS")
    }

    @Test func videoCodecFollowsTheOffersOrderAndPodiumsRules() throws {
        // H.264 first: mode 0 is skipped, constrained baseline preferred over baseline.
        let h264 = """
            a=rtpmap:100 H264/90000
            a=fmtp:100 packetization-mode=0;profile-level-id=42e01f
            a=rtpmap:102 H264/90000
            a=fmtp:102 packetization-mode=1;profile-level-id=42001f
            a=rtpmap:104 H264/90000
            a=fmtp:104 packetization-mode=1;profile-level-id=42e01f
            a=rtpmap:105 rtx/90000
            a=fmtp:105 apt=104
            a=rtpmap:96 VP8/90000

            """
        let offer = try SessionDescription(parsing: F.offer(session: "a=group:BUNDLE 1\n", [F.video(codecs: h264, formats: "100 102 104 105 96")]))
        let result = try PublisherNegotiation.answer(offer, local: F.local, sessionID: 1)
        #expect(result.tracks[0].codec.codec == .h264 && result.tracks[0].codec.payloadType == 104 && result.tracks[0].codec.rtxPayloadType == 105)
        #expect(result.answer.media[0].formats == ["104", "105"])

        // VP9 profile 2 and AV1 profile 1 are skipped; VP9 profile 0 is taken.
        let vp9 = """
            a=rtpmap:100 VP9/90000
            a=fmtp:100 profile-id=2
            a=rtpmap:45 AV1/90000
            a=fmtp:45 profile=1
            a=rtpmap:98 VP9/90000
            a=fmtp:98 profile-id=0

            """
        let offer2 = try SessionDescription(parsing: F.offer(session: "a=group:BUNDLE 1\n", [F.video(codecs: vp9, formats: "100 45 98")]))
        let result2 = try PublisherNegotiation.answer(offer2, local: F.local, sessionID: 1)
        #expect(result2.tracks[0].codec.codec == .vp9 && result2.tracks[0].codec.payloadType == 98)

        // Capabilities narrow the choice.
        let caps = MediaCapabilities(videoCodecs: [.h264])
        let chromium = try F.shared("chromium-156-publisher-simulcast.sdp")
        let result3 = try PublisherNegotiation.answer(chromium, local: F.local, capabilities: caps, sessionID: 1)
        #expect(result3.tracks[1].codec.codec == .h264 && result3.tracks[1].codec.payloadType == 108)
        #expect(result3.tracks[1].codec.parameter("profile-level-id") == "42e01f")
    }

    @Test func feedbackAndExtensionsAreIntersectedWithCapabilities() throws {
        let caps = MediaCapabilities(headerExtensions: [SDPExtensionURI.mid], feedback: [.nack, .pli])
        let result = try PublisherNegotiation.answer(try F.shared("chromium-156-publisher-simulcast.sdp"), local: F.local,
                                                     capabilities: caps, sessionID: 1)
        #expect(result.tracks[1].codec.feedback == [.nack, .pli])
        #expect(result.tracks[1].headerExtensions.byURI == [SDPExtensionURI.mid: 4])
        let v = result.answer.media[1]
        #expect(v.headerExtensions.map(\.uri) == [SDPExtensionURI.mid])
        #expect(Set(v.codecs[0].feedback.map(\.description)) == ["nack", "nack pli"])
        // rids still work without the rid extension: the router then tells layers apart by SSRC order.
        #expect(result.tracks[1].encodings.count == 3)
    }

    @Test func ssrcSimulcastGroupGivesOneEncodingPerSSRC() throws {
        let ssrcs = """
            a=ssrc-group:SIM 100 200 300
            a=ssrc-group:FID 100 101
            a=ssrc-group:FID 200 201
            a=ssrc-group:FID 300 301
            a=ssrc:100 cname:x
            a=ssrc:101 cname:x
            a=ssrc:200 cname:x
            a=ssrc:201 cname:x
            a=ssrc:300 cname:x
            a=ssrc:301 cname:x

            """
        let offer = try SessionDescription(parsing: F.offer(session: "a=group:BUNDLE 1\n", [F.video(codecs: F.vp8, formats: "96 97", extra: ssrcs)]))
        let result = try PublisherNegotiation.answer(offer, local: F.local, sessionID: 1)
        #expect(result.tracks[0].encodings == [PublishedEncoding(ssrc: 100, rtxSSRC: 101), PublishedEncoding(ssrc: 200, rtxSSRC: 201),
                                               PublishedEncoding(ssrc: 300, rtxSSRC: 301)])
        #expect(result.answer.media[0].simulcast == nil)
    }

    @Test func noSSRCGivesOneEncodingLearnedLater() throws {
        let offer = try SessionDescription(parsing: F.offer(session: "a=group:BUNDLE 1\n", [F.video(codecs: F.vp8, formats: "96 97")]))
        let result = try PublisherNegotiation.answer(offer, local: F.local, sessionID: 1)
        #expect(result.tracks[0].encodings == [PublishedEncoding()])
        #expect(result.tracks[0].streamID == nil)
    }

    @Test func rejectsWhatItCannotReceiveInPlace() throws {
        let data = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 0.0.0.0\na=mid:2\n" + F.transport + "a=sctp-port:5000\n"
        let h265 = F.video(mid: "3", codecs: "a=rtpmap:96 H265/90000\n", formats: "96")
        let text = F.offer(session: "a=group:BUNDLE 0 1 2 3 4\n", [
            F.audio(), F.video(direction: "recvonly", codecs: F.vp8, formats: "96 97"), data, h265,
            F.audio(mid: "4", direction: "inactive"),
        ])
        let result = try PublisherNegotiation.answer(try SessionDescription(parsing: text), local: F.local, sessionID: 1)
        let answer = try Self.checkTransport(result.answer)
        #expect(result.tracks.map(\.mid) == ["0"])
        #expect(result.rejected.map(\.index) == [1, 2, 3, 4])
        #expect(result.rejected.map(\.mid) == ["1", "2", "3", "4"])
        #expect(result.rejected[0].reason.contains("recvonly"))
        #expect(result.rejected[1].reason.contains("data channel"))
        #expect(result.rejected[2].reason.contains("H265"))
        #expect(result.rejected[3].reason.contains("inactive"))
        #expect(answer.media.map(\.port) == [40000, 0, 0, 0, 0])
        #expect(answer.media.map(\.mid) == ["0", "1", "2", "3", "4"])
        #expect(answer.media[2].kind == .application && answer.media[2].formats == ["webrtc-datachannel"])
        #expect(answer.bundleGroup?.mids == ["0"])
    }

    @Test func dtlsRoleAndOfferSetup() throws {
        let offer = try F.shared("aiortc-1.16-publisher.sdp")
        let client = try PublisherNegotiation.answer(offer, local: F.local, role: .client, sessionID: 1)
        #expect(client.dtlsRole == .client && client.answer.setup(of: client.answer.media[0]) == .active)
        let passive = try SessionDescription(parsing: offer.description.replacingOccurrences(of: "a=setup:actpass", with: "a=setup:passive"))
        #expect(try PublisherNegotiation.answer(passive, local: F.local, sessionID: 1).dtlsRole == .client)
        #expect(throws: NegotiationError.self) { try PublisherNegotiation.answer(passive, local: F.local, role: .server, sessionID: 1) }
    }

    // MARK: Hostile offers

    static func error(_ text: String, capabilities: MediaCapabilities = .default) -> String? {
        do {
            _ = try PublisherNegotiation.answer(try SessionDescription(parsing: text), local: F.local, capabilities: capabilities, sessionID: 1)
            return nil
        } catch let e as NegotiationError {
            return e.description
        } catch {
            return "parse: \(error)"
        }
    }

    @Test func missingMidIsNamed() throws {
        let text = F.offer([F.audio(), F.video(codecs: F.vp8, formats: "96 97")]).replacingOccurrences(of: "a=mid:1\r\n", with: "")
        #expect(Self.error(text) == "m-line 1 (video) has no a=mid (unified plan and BUNDLE need one)")
    }

    @Test func missingICEAndFingerprintAreNamed() throws {
        let base = F.offer([F.audio(), F.video(codecs: F.vp8, formats: "96 97")])
        let noUfrag = base.replacingOccurrences(of: "a=ice-ufrag:abcd\r\n", with: "")
        #expect(Self.error(noUfrag)?.hasPrefix("the offer has no a=ice-ufrag") == true)
        let noPwd = base.replacingOccurrences(of: "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n", with: "")
        #expect(Self.error(noPwd)?.hasPrefix("the offer has no a=ice-pwd") == true)
        let noFingerprint = base.split(separator: "\r\n").filter { !$0.hasPrefix("a=fingerprint") }.joined(separator: "\r\n") + "\r\n"
        #expect(Self.error(noFingerprint)?.hasPrefix("the offer has no a=fingerprint") == true)
    }

    @Test func contradictoryDirectionsAreAnError() throws {
        let text = F.offer([F.audio(extra: "a=recvonly\n"), F.video(codecs: F.vp8, formats: "96 97")])
        #expect(Self.error(text) == "m-line 0 (audio) has contradictory directions (a=sendonly and a=recvonly)")
        let session = F.offer(session: "a=group:BUNDLE 0 1\na=sendonly\na=inactive\n", [F.audio(), F.video(codecs: F.vp8, formats: "96 97")])
        #expect(Self.error(session)?.contains("contradictory session-level directions") == true)
    }

    @Test func unknownCodecsOnlyListsWhatWasOffered() throws {
        let text = F.offer([
            "m=audio 9 UDP/TLS/RTP/SAVPF 0 8\nc=IN IP4 0.0.0.0\na=mid:0\na=sendonly\n" + F.transport,
            F.video(codecs: "a=rtpmap:96 H265/90000\na=rtpmap:97 rtx/90000\na=fmtp:97 apt=96\n", formats: "96 97"),
        ])
        let message = try #require(Self.error(text))
        #expect(message.hasPrefix("no m-line has a codec Podium forwards (offered: PCMU, PCMA, H265;"), "\(message)")
    }

    @Test func nothingReceivableExplainsEachMLine() throws {
        let text = F.offer([F.audio(direction: "recvonly"), F.video(direction: "recvonly", codecs: F.vp8, formats: "96 97")])
        let message = try #require(Self.error(text))
        #expect(message.hasPrefix("no m-line can be received: m-line 0 (mid 0): the offer's m-line is recvonly"), "\(message)")
    }

    @Test func tooManyMLinesAreRefused() throws {
        // 10 000 m-lines do not get past the parser...
        var text = F.offer(session: "", [])
        for i in 0..<10_000 { text += "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:\(i)\r\n" }
        #expect(Self.error(text)?.hasPrefix("parse: ") == true)
        // ...and a description built in code with more than 64 is refused before any work.
        let m = try SessionDescription(parsing: F.offer(session: "", [F.audio()])).media[0]
        var big = SessionDescription(origin: SDPOrigin(sessionID: 1, sessionVersion: 1))
        for i in 0..<65 { var c = m; c.attributes[0] = .mid("\(i)"); big.media.append(c) }
        #expect(throws: NegotiationError("the description has 65 m-lines; Podium accepts at most 64")) {
            try PublisherNegotiation.answer(big, local: F.local, sessionID: 1)
        }
    }

    @Test func simulcastWithoutRIDLinesIsNamed() throws {
        let text = F.offer(session: "a=group:BUNDLE 1\n", [F.video(codecs: F.vp8, formats: "96 97", extra: "a=rid:a send\na=simulcast:send a;b\n")])
        #expect(Self.error(text) == "m-line 0 (video) a=simulcast:send lists rid 'b' without an a=rid:b send line")
    }

    @Test func simulcastIsBounded() throws {
        let rids = (0..<9).map { "a=rid:r\($0) send\n" }.joined()
        let text = F.offer(session: "a=group:BUNDLE 1\n", [F.video(codecs: F.vp8, formats: "96 97",
                                                                   extra: rids + "a=simulcast:send " + (0..<9).map { "r\($0)" }.joined(separator: ";") + "\n")])
        #expect(Self.error(text) == "m-line 0 (video) a=simulcast:send has 9 streams; Podium takes at most 8")
        let alternatives = (0..<20).map { "a=rid:r\($0) send\n" }.joined()
        let text2 = F.offer(session: "a=group:BUNDLE 1\n", [F.video(codecs: F.vp8, formats: "96 97",
                                                                    extra: alternatives + "a=simulcast:send " + (0..<20).map { "r\($0)" }.joined(separator: ",") + "\n")])
        #expect(Self.error(text2) == "m-line 0 (video) a=simulcast:send lists 20 rids; Podium takes at most 16")
    }

    @Test func offerWithoutBundleAcceptsOneMLine() throws {
        let text = F.offer(session: "", [F.audio(), F.video(codecs: F.vp8, formats: "96 97")])
        let result = try PublisherNegotiation.answer(try SessionDescription(parsing: text), local: F.local, sessionID: 1)
        #expect(result.tracks.map(\.mid) == ["0"])
        #expect(result.rejected.first?.reason.contains("BUNDLE") == true)
        #expect(result.answer.bundleGroup == nil)
    }
}
