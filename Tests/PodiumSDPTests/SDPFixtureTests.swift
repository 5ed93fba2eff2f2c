import Foundation
import PodiumSDP
import PodiumTestSupport
import Testing

/// Real offers: the shared fixtures (Chromium 156, aiortc 1.16) and a GStreamer 1.22 webrtcbin
/// offer captured with Tests/Fixtures/sdp/capture-gstreamer-offer.py.
@Suite struct SDPFixtureTests {
    static let sharedNames = [
        "chromium-156-publisher-simulcast.sdp",
        "chromium-156-publisher-simulcast-vp8only.sdp",
        "chromium-156-subscriber-recvonly.sdp",
        "aiortc-1.16-publisher.sdp",
    ]
    static let localNames = ["gstreamer-1.22-webrtcbin-publisher.sdp"]

    static func url(_ name: String) -> URL {
        localNames.contains(name) ? localFixtures.appendingPathComponent("sdp/\(name)")
            : sharedFixtures.appendingPathComponent("sdp/\(name)")
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: url(name), encoding: .utf8)
    }

    static func parse(_ name: String) throws -> SessionDescription {
        try SessionDescription(parsing: text(name))
    }

    @Test func everySharedFixtureIsListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: sharedFixtures.appendingPathComponent("sdp").path)
            .filter { $0.hasSuffix(".sdp") }
        #expect(Set(files) == Set(Self.sharedNames), "a new shared SDP fixture needs a round-trip test")
    }

    @Test(arguments: sharedNames + localNames)
    func roundTripReproducesEveryLine(name: String) throws {
        let original = try Self.text(name)
        let parsed = try SessionDescription(parsing: original)
        let serialized = parsed.description
        let originalLines = original.replacingOccurrences(of: "\r\n", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let serializedLines = serialized.components(separatedBy: "\r\n")
        #expect(serializedLines.last == "", "serialization ends with CRLF")
        #expect(serializedLines.count - 1 == originalLines.count)
        for (i, (a, b)) in zip(originalLines, serializedLines).enumerated() where a != b {
            Issue.record("line \(i + 1) of \(name): expected \"\(a)\", serialized \"\(b)\"")
            break
        }
        #expect(!serialized.contains("\r\n\r\n"))
        let reparsed = try SessionDescription(parsing: serialized)
        #expect(reparsed == parsed)
        #expect(reparsed.description == serialized)
    }

    @Test(arguments: sharedNames + localNames)
    func lfOnlyInputParsesToTheSameModel(name: String) throws {
        let original = try Self.text(name)
        let lf = original.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(try SessionDescription(parsing: lf) == SessionDescription(parsing: original))
    }

    // MARK: Chromium 156 publisher with simulcast

    @Test func chromiumPublisherSession() throws {
        let sdp = try Self.parse("chromium-156-publisher-simulcast.sdp")
        #expect(sdp.origin == SDPOrigin(username: "-", sessionID: 4237717916049234015, sessionVersion: 2,
                                        networkType: "IN", addressType: "IP4", address: "127.0.0.1"))
        #expect(sdp.sessionName == "-")
        #expect(sdp.timings == [SDPTiming(start: 0, stop: 0)])
        #expect(sdp.bundleGroup == SDPGroup(semantics: "BUNDLE", mids: ["0", "1"]))
        #expect(sdp.isExtmapAllowMixed)
        #expect(!sdp.isICELite)
        #expect(sdp.attributes.contains(.msidSemantic(" WMS 3e58bc7f-3c79-46af-b77c-7aefccd7be02")))
        #expect(sdp.media.map(\.mid) == ["0", "1"])
        #expect(sdp.media.map(\.kind) == [.audio, .video])
        #expect(sdp.media.allSatisfy { sdp.isBundled($0) })
    }

    @Test func chromiumPublisherAudio() throws {
        let sdp = try Self.parse("chromium-156-publisher-simulcast.sdp")
        let audio = try #require(sdp.media(mid: "0"))
        #expect(audio.port == 34665)
        #expect(audio.proto == "UDP/TLS/RTP/SAVPF")
        #expect(audio.payloadTypes == [111, 63, 9, 0, 8, 13, 110, 126])
        #expect(audio.connections == [SDPConnection(networkType: "IN", addressType: "IP4", address: "127.0.0.1")])
        #expect(audio.rtcp == SDPRTCPAddress(port: 9, connection: SDPConnection(address: "0.0.0.0")))
        #expect(audio.direction == .sendonly && audio.isSendOnly)
        #expect(audio.isRTCPMux && audio.isRTCPReducedSize && !audio.isRTCPMuxOnly)
        #expect(audio.rtcpXR == [SDPRTCPXRFormat(name: "rcvr-rtt", value: "all")])
        #expect(audio.iceUfrag == "38AG")
        #expect(audio.icePwd == "WkxJluhpkmQ7o2hhXEP5uIRH")
        #expect(audio.iceOptions == ["trickle"])
        #expect(audio.setup == .actpass)
        #expect(audio.fingerprints == [SDPFingerprint(algorithm: "sha-256", bytes: hexBytes(
            "88 23 53 D3 12 A1 47 08 C2 04 03 03 68 E1 96 28 70 03 76 F9 8E 56 C1 1E 11 90 21 48 7A CF 84 9E"))])
        #expect(audio.msid == SDPMSID(streamID: "3e58bc7f-3c79-46af-b77c-7aefccd7be02", trackID: "c274e454-d63f-416d-b471-e219337269e8"))

        let codecs = audio.codecs
        #expect(codecs.map(\.description) == ["111 opus/48000/2", "63 red/48000/2", "9 G722/8000", "0 PCMU/8000",
                                              "8 PCMA/8000", "13 CN/8000", "110 telephone-event/48000", "126 telephone-event/8000"])
        let opus = try #require(audio.codecs(named: "OPUS").first)
        #expect(opus.payloadType == 111 && opus.clockRate == 48000 && opus.channels == 2)
        #expect(opus.parameters == [SDPFormatParameter(key: "minptime", value: "10"), SDPFormatParameter(key: "useinbandfec", value: "1")])
        #expect(opus.parameter("useinbandfec") == "1")
        #expect(opus.feedback == [SDPRTCPFeedback(payloadType: 111, type: "transport-cc")])
        #expect(opus.rtxPayloadType == nil)
        #expect(audio.codec(payloadType: 63)?.parameters == [SDPFormatParameter(key: "111/111", value: nil)])

        #expect(audio.headerExtensions == [
            SDPExtMap(id: 1, uri: SDPExtensionURI.audioLevel),
            SDPExtMap(id: 2, uri: SDPExtensionURI.absSendTime),
            SDPExtMap(id: 3, uri: SDPExtensionURI.transportWideCC),
            SDPExtMap(id: 4, uri: SDPExtensionURI.mid),
        ])

        #expect(audio.candidates == [
            ICECandidate(foundation: "316716414", component: 1, transport: "udp", priority: 2122260223, address: "127.0.0.1",
                         port: 34665, type: .host, generation: 0,
                         extensions: [.init(name: "network-id", value: "1"), .init(name: "network-cost", value: "50")]),
            ICECandidate(foundation: "606879554", component: 1, transport: "tcp", priority: 1518280447, address: "127.0.0.1",
                         port: 9, type: .host, tcpType: "active", generation: 0,
                         extensions: [.init(name: "network-id", value: "1"), .init(name: "network-cost", value: "50")]),
        ])
        #expect(!audio.hasEndOfCandidates)
        #expect(audio.ssrcs == [3983790210])
        #expect(audio.cname(ssrc: 3983790210) == "KIUyhQkFPXu3Xca6")
        #expect(audio.ssrcAttributes[1] == SDPSSRCAttribute(ssrc: 3983790210, attribute: "msid",
            value: "3e58bc7f-3c79-46af-b77c-7aefccd7be02 c274e454-d63f-416d-b471-e219337269e8"))
        #expect(audio.simulcast == nil && audio.simulcastLayers.isEmpty)
    }

    @Test func chromiumPublisherVideoCodecs() throws {
        let video = try #require(try Self.parse("chromium-156-publisher-simulcast.sdp").media(mid: "1"))
        #expect(video.port == 9)
        #expect(video.payloadTypes == [96, 97, 98, 99, 100, 101, 102, 103, 104, 107, 108, 109, 114, 115, 116, 117, 39, 40, 45, 46, 118, 119, 120])
        #expect(video.ssrcs.isEmpty && video.candidates.isEmpty)
        let rtxLinks = video.codecs.filter { !$0.isRTX }.map { "\($0.payloadType) \($0.name)→\($0.rtxPayloadType.map(String.init) ?? "-")" }
        #expect(rtxLinks == ["96 VP8→97", "98 VP9→99", "100 VP9→101", "102 H264→103", "104 H264→107", "108 H264→109",
                             "114 H264→115", "116 H264→117", "39 H264→40", "45 AV1→46", "118 red→119", "120 ulpfec→-"])
        #expect(video.codecs.filter(\.isRTX).map { "\($0.payloadType)→\($0.associatedPayloadType!)" }
                == ["97→96", "99→98", "101→100", "103→102", "107→104", "109→108", "115→114", "117→116", "40→39", "46→45", "119→118"])
        let vp8 = try #require(video.codec(payloadType: 96))
        #expect(vp8.isNamed("vp8") && vp8.clockRate == 90000 && vp8.channels == nil && vp8.parameters.isEmpty)
        #expect(vp8.feedback.map(\.description) == ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"])
        #expect(vp8.hasFeedback("nack", "pli") && vp8.hasFeedback("nack") && !vp8.hasFeedback("nack", "sli"))
        #expect(video.rtxPayloadType(for: 96) == 97)
        #expect(video.codec(payloadType: 97)?.parameters == [SDPFormatParameter(key: "apt", value: "96")])
        #expect(video.codecs(named: "VP9").map { $0.parameter("profile-id") } == ["0", "2"])
        #expect(video.codecs(named: "h264").map { $0.parameter("profile-level-id")! } == ["42001f", "42001f", "42e01f", "42e01f", "4d001f", "4d001f"])
        #expect(video.codecs(named: "h264").map { $0.parameter("packetization-mode")! } == ["1", "0", "1", "0", "1", "0"])
        #expect(video.codec(payloadType: 45)?.parameters.map(\.description) == ["level-idx=5", "profile=0", "tier=0"])
    }

    @Test func chromiumPublisherVideoExtensionsAndSimulcast() throws {
        let video = try #require(try Self.parse("chromium-156-publisher-simulcast.sdp").media(mid: "1"))
        #expect(video.headerExtensions.map(\.id) == [14, 2, 13, 3, 5, 6, 7, 8, 4, 10, 11, 12, 9])
        #expect(video.extensionID(for: SDPExtensionURI.rtpStreamID) == 10)
        #expect(video.extensionID(for: SDPExtensionURI.repairedRTPStreamID) == 11)
        #expect(video.extensionID(for: SDPExtensionURI.dependencyDescriptor) == 12)
        #expect(video.extensionID(for: SDPExtensionURI.transportWideCC) == 3)
        #expect(video.extensionID(for: SDPExtensionURI.mid) == 4)
        #expect(video.extensionID(for: SDPExtensionURI.videoOrientation) == 13)
        #expect(video.extensionID(for: "urn:example:absent") == nil)
        #expect(video.headerExtension(id: 9)?.uri == "http://www.webrtc.org/experiments/rtp-hdrext/video-layers-allocation00")
        #expect(video.headerExtensions.allSatisfy { $0.direction == nil && $0.attributes.isEmpty && $0.fitsOneByteHeader })

        #expect(video.rids == [SDPRID(id: "q", direction: .send), SDPRID(id: "h", direction: .send), SDPRID(id: "f", direction: .send)])
        #expect(video.simulcast == SDPSimulcast(send: [[.init(rid: "q")], [.init(rid: "h")], [.init(rid: "f")]]))
        #expect(video.simulcastLayers.map(\.description) == ["q send", "h send", "f send"])
        #expect(video.simulcastLayers.map(\.streamIndex) == [0, 1, 2])
        #expect(video.simulcastLayers.allSatisfy { !$0.isPaused && $0.restrictions?.id == $0.rid })
        #expect(video.msid?.trackID == "35f1e231-27d2-4418-85d7-2c238c24b664")
    }

    @Test func chromiumVP8OnlyPublisher() throws {
        let sdp = try Self.parse("chromium-156-publisher-simulcast-vp8only.sdp")
        #expect(sdp.origin.sessionID == 3904279440205880197)
        let video = try #require(sdp.media(mid: "1"))
        #expect(video.codecs.map(\.description) == ["96 VP8/90000", "97 rtx/90000"])
        #expect(video.rtxPayloadType(for: 96) == 97)
        #expect(video.simulcastLayers.map(\.rid) == ["q", "h", "f"])
        #expect(video.iceUfrag == "yAft" && video.icePwd == "IStcUvga0Q0Isf6r5p2KZte4")
        #expect(video.fingerprints.first?.hex == "21:31:0E:BB:CD:8D:6E:60:A4:44:2D:BB:F7:18:D8:ED:D1:56:9A:98:09:76:28:AD:64:90:FF:78:8A:76:8E:0B")
        let audio = try #require(sdp.media(mid: "0"))
        #expect(audio.candidates.map(\.port) == [39386, 9])
        #expect(audio.candidates[1].isTCP && audio.candidates[1].tcpType == "active")
        #expect(audio.candidates[0].extension("network-cost") == "50")
    }

    // MARK: Chromium subscriber

    @Test func chromiumSubscriberIsRecvOnly() throws {
        let sdp = try Self.parse("chromium-156-subscriber-recvonly.sdp")
        #expect(sdp.attributes.contains(.msidSemantic(" WMS")))
        #expect(sdp.media.map { sdp.direction(of: $0) } == [.recvonly, .recvonly])
        #expect(sdp.media.allSatisfy { $0.isRecvOnly && $0.msid == nil && $0.ssrcs.isEmpty && $0.candidates.isEmpty })
        #expect(sdp.media.allSatisfy { $0.iceUfrag == "/CU5" && $0.icePwd == "l7yP0+UzgAvUBysEhzJjv9l8" })
        let video = try #require(sdp.media(mid: "1"))
        #expect(video.payloadTypes.count == 34)
        #expect(video.codecs.count == 34)
        #expect(video.codecs(named: "VP9").map { $0.parameter("profile-id")! } == ["0", "2", "1", "3"])
        #expect(video.codecs(named: "AV1").map { "\($0.payloadType):\($0.parameter("profile")!):\($0.rtxPayloadType!)" } == ["45:0:46", "47:1:48"])
        #expect(video.codecs(named: "H264").count == 8)
        #expect(video.codec(payloadType: 41)?.parameter("profile-level-id") == "f4001f")
        let flexfec = try #require(video.codec(payloadType: 49))
        #expect(flexfec.name == "flexfec-03" && flexfec.isAuxiliary && flexfec.rtxPayloadType == nil)
        #expect(flexfec.parameter("repair-window") == "10000000")
        #expect(flexfec.feedback.map(\.description) == ["goog-remb", "transport-cc"])
        #expect(video.headerExtensions.count == 11)
        #expect(video.extensionID(for: SDPExtensionURI.dependencyDescriptor) == nil)
        #expect(video.rids.isEmpty && video.simulcast == nil)
    }

    // MARK: aiortc

    @Test func aiortcPublisher() throws {
        let sdp = try Self.parse("aiortc-1.16-publisher.sdp")
        #expect(sdp.origin == SDPOrigin(sessionID: 4004412555, sessionVersion: 4004412555, address: "0.0.0.0"))
        #expect(sdp.attributes == [.group(SDPGroup(semantics: "BUNDLE", mids: ["0", "1"])), .msidSemantic("WMS *")])
        #expect(!sdp.isExtmapAllowMixed)
        let audio = try #require(sdp.media(mid: "0"))
        #expect(audio.port == 52822 && audio.isSendOnly)
        #expect(audio.codecs.map(\.description) == ["96 opus/48000/2", "9 G722/8000", "0 PCMU/8000", "8 PCMA/8000"])
        #expect(audio.headerExtensions == [SDPExtMap(id: 1, uri: SDPExtensionURI.mid), SDPExtMap(id: 2, uri: SDPExtensionURI.audioLevel)])
        #expect(audio.candidates == [ICECandidate(foundation: "16572de626da4e5384a0ce2d0d93678a", component: 1, transport: "udp",
                                                  priority: 2130706431, address: "127.0.0.1", port: 52822, type: .host)])
        #expect(audio.hasEndOfCandidates)
        #expect(audio.iceUfrag == "er7D" && audio.icePwd == "meBuzuTBYWbJNai3btECN4")
        #expect(audio.fingerprints.map(\.algorithm) == ["sha-256", "sha-384", "sha-512"])
        #expect(audio.fingerprints.map(\.bytes.count) == [32, 48, 64])
        #expect(audio.fingerprints[2].bytes.prefix(4) == [0x91, 0x4D, 0x2E, 0x0D])
        #expect(audio.fingerprints[2].bytes.suffix(2) == [0x20, 0x31])
        #expect(audio.setup == .actpass)
        #expect(audio.ssrcAttributes == [SDPSSRCAttribute(ssrc: 88343894, attribute: "cname", value: "7a5c47f3-d4ce-4fe1-bfa8-18b05cfc6bce")])

        let video = try #require(sdp.media(mid: "1"))
        #expect(video.ssrcGroups == [SDPSSRCGroup(semantics: "FID", ssrcs: [2861615566, 2548379711])])
        #expect(video.rtxSSRC(for: 2861615566) == 2548379711)
        #expect(video.ssrcs == [2861615566, 2548379711])
        #expect(video.codecs.map(\.description) == ["97 VP8/90000", "98 rtx/90000", "99 H264/90000", "100 rtx/90000", "101 H264/90000", "102 rtx/90000"])
        #expect([97, 99, 101].map { video.rtxPayloadType(for: $0) } == [98, 100, 102])
        #expect(video.codec(payloadType: 101)?.parameters.map(\.description)
                == ["level-asymmetry-allowed=1", "packetization-mode=1", "profile-level-id=42e01f"])
        #expect(video.codec(payloadType: 97)?.feedback.map(\.description) == ["nack", "nack pli", "goog-remb"])
        #expect(video.extensionID(for: SDPExtensionURI.absSendTime) == 3)
    }

    // MARK: GStreamer webrtcbin

    @Test func gstreamerPublisher() throws {
        let sdp = try Self.parse("gstreamer-1.22-webrtcbin-publisher.sdp")
        #expect(sdp.origin.sessionVersion == 0 && sdp.origin.address == "0.0.0.0")
        #expect(sdp.iceOptions == ["trickle"])
        #expect(sdp.bundleGroup?.mids == ["video0", "audio1"])
        #expect(sdp.iceUfrag == nil)
        #expect(sdp.media.map(\.kind) == [.video, .audio])

        let video = try #require(sdp.media(mid: "video0"))
        #expect(video.isSendOnly && video.isRTCPMux && video.isRTCPMuxOnly && video.isRTCPReducedSize)
        #expect(video.iceUfrag == "K3TXA4NalMijG/TlIfg5/XVpYjL4cJ9s" && video.icePwd == "5yil/ZLxuXJc8zngfXkwTXJUS7dh45Jg")
        #expect(sdp.iceUfrag(of: video) == video.iceUfrag)
        #expect(video.codecs.map(\.description) == ["96 VP8/90000", "97 rtx/90000"])
        #expect(video.codec(payloadType: 96)?.feedback.map(\.description) == ["nack", "nack pli", "ccm fir", "transport-cc"])
        #expect(video.rtxPayloadType(for: 96) == 97)
        #expect(video.attributes.contains(.other(name: "framerate", value: "30")))
        #expect(video.ssrcGroups == [SDPSSRCGroup(semantics: "FID", ssrcs: [2508613395, 641768698])])
        #expect(video.cname(ssrc: 641768698) == "user164053463@host-5c5ec9bb")
        #expect(video.fingerprints == [SDPFingerprint(algorithm: "sha-256", bytes: hexBytes(
            "7E A2 79 09 FF 9A 79 90 C4 0A A4 A7 51 61 B2 C6 9A F7 67 53 B2 D9 03 53 B0 88 48 65 AA 64 2A 68"))])
        #expect(video.candidates.count == 9)
        #expect(video.candidates[0] == ICECandidate(foundation: "1", component: 1, transport: "UDP", priority: 2015363327,
                                                    address: "192.0.2.2", port: 56923, type: .host))
        #expect(video.candidates[0].isUDP)
        #expect(video.candidates.map { $0.tcpType ?? "-" } == ["-", "active", "passive", "-", "active", "passive", "-", "active", "passive"])
        #expect(video.candidates[3].address == "fd00::2")

        let audio = try #require(sdp.media(mid: "audio1"))
        #expect(audio.port == 0 && audio.hasAttribute("bundle-only") && !audio.isRejected && sdp.isBundled(audio))
        let opus = try #require(audio.codecs(named: "opus").first)
        #expect(opus.name == "OPUS" && opus.clockRate == 48000 && opus.channels == 2 && opus.rtxPayloadType == 98)
        #expect(opus.parameters.map(\.description) == ["sprop-stereo=0", "sprop-maxcapturerate=48000"])
        #expect(audio.codec(payloadType: 98).map { "\($0.description) apt=\($0.associatedPayloadType!)" } == "98 rtx/48000 apt=111")
        #expect(audio.fingerprints == video.fingerprints)
    }
}
