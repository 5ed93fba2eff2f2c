import PodiumSDP
import PodiumTestSupport
import Testing

/// Typed attributes one by one (RFC examples where the RFC has one), session-level attributes,
/// non-RTP sections, and building a description in code.
@Suite struct SDPAttributeTests {
    private static func session(_ lines: [String]) throws -> SessionDescription {
        try SessionDescription(parsing: (["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0"] + lines).joined(separator: "\r\n") + "\r\n")
    }

    private static func media(_ lines: [String], mline: String = "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98") throws -> MediaDescription {
        try #require(try session([mline] + lines).media.first)
    }

    /// RFC 8866 §5 example, reproduced line by line.
    @Test func rfc8866Example() throws {
        let lines = [
            "v=0", "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1", "s=Call to John Smith", "i=SDP Offer #1",
            "u=http://www.jdoe.example.com/home.html", "e=Jane Doe <jane@jdoe.example.com>", "p=+1 617 555-6011",
            "c=IN IP4 198.51.100.1", "t=0 0", "m=audio 49170 RTP/AVP 0", "m=audio 49180 RTP/AVP 0", "m=video 51372 RTP/AVP 99",
            "c=IN IP6 2001:db8::2", "a=rtpmap:99 h263-1998/90000",
        ]
        let text = lines.joined(separator: "\r\n") + "\r\n"
        let s = try SessionDescription(parsing: text)
        #expect(s.description == text)
        #expect(s.origin == SDPOrigin(username: "jdoe", sessionID: 3724394400, sessionVersion: 3724394405, address: "198.51.100.1"))
        #expect(s.sessionName == "Call to John Smith" && s.information == "SDP Offer #1")
        #expect(s.emails == ["Jane Doe <jane@jdoe.example.com>"] && s.phones == ["+1 617 555-6011"])
        #expect(s.connection == SDPConnection(networkType: "IN", addressType: "IP4", address: "198.51.100.1"))
        #expect(s.media.map(\.port) == [49170, 49180, 51372])
        // Static payload type 0 without a=rtpmap (RFC 3551 table 4).
        #expect(s.media[0].codecs == [SDPCodec(payloadType: 0, name: "PCMU", clockRate: 8000)])
        #expect(s.media[2].codecs.map(\.description) == ["99 h263-1998/90000"])
        #expect(s.media[2].connections == [SDPConnection(networkType: "IN", addressType: "IP6", address: "2001:db8::2")])
        #expect(s.media.allSatisfy { $0.mid == nil && $0.effectiveDirection == .sendrecv })
    }

    @Test func sessionLevelTransportAttributes() throws {
        let s = try Self.session([
            "a=ice-lite", "a=ice-ufrag:F7gI", "a=ice-pwd:x9cml/YzichV2+XlhiMu8g", "a=ice-options:trickle ice2",
            "a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2",
            "a=setup:passive", "a=sendonly", "a=extmap:1/sendonly urn:ietf:params:rtp-hdrext:sdes:mid",
            "a=group:BUNDLE a v", "a=group:LS a v",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:a",
            "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:v", "a=ice-ufrag:VIDE", "a=ice-pwd:videopasswordvideopassw", "a=setup:active", "a=inactive",
        ])
        #expect(s.isICELite)
        #expect(s.iceUfrag == "F7gI" && s.icePwd == "x9cml/YzichV2+XlhiMu8g")
        #expect(s.iceOptions == ["trickle", "ice2"])
        #expect(s.fingerprints.first?.bytes.count == 32 && s.fingerprints.first?.bytes.first == 0x19)
        #expect(s.setup == .passive && s.direction == .sendonly)
        #expect(s.headerExtensions == [SDPExtMap(id: 1, direction: .sendonly, uri: SDPExtensionURI.mid)])
        #expect(s.groups.map(\.semantics) == ["BUNDLE", "LS"])
        #expect(s.bundleGroup?.mids == ["a", "v"])
        let audio = s.media[0], video = s.media[1]
        #expect(s.iceUfrag(of: audio) == "F7gI" && s.icePwd(of: audio) == "x9cml/YzichV2+XlhiMu8g")
        #expect(s.iceUfrag(of: video) == "VIDE" && s.icePwd(of: video) == "videopasswordvideopassw")
        #expect(s.setup(of: audio) == .passive && s.setup(of: video) == .active)
        #expect(s.fingerprints(of: video) == s.fingerprints)
        #expect(s.direction(of: audio) == .sendonly && s.direction(of: video) == .inactive)
        #expect(audio.direction == nil && !audio.isSendOnly)
    }

    /// RFC 8839 §5.1 / RFC 8445 examples of host and server-reflexive candidates.
    @Test func candidates() throws {
        let host = try ICECandidate(parsing: "candidate:1 1 UDP 2130706431 203.0.113.141 8998 typ host")
        #expect(host == ICECandidate(foundation: "1", component: 1, transport: "UDP", priority: 2130706431,
                                     address: "203.0.113.141", port: 8998, type: .host))
        let srflx = try ICECandidate(parsing: "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 203.0.113.141 rport 8998")
        #expect(srflx.type == .serverReflexive && srflx.relatedAddress == "203.0.113.141" && srflx.relatedPort == 8998)
        #expect(srflx.description == "candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 203.0.113.141 rport 8998")
        // As trickled by Chromium, with ufrag and an mDNS name.
        let trickled = try ICECandidate(parsing:
            "842163049 1 udp 1677729535 3c6f2a4b-5e1d-4f0a-9d1e-1a2b3c4d5e6f.local 50123 typ prflx raddr 0.0.0.0 rport 0 generation 0 ufrag 38AG network-cost 999")
        #expect(trickled.address.hasSuffix(".local") && trickled.type == .peerReflexive)
        #expect(trickled.relatedPort == 0 && trickled.generation == 0)
        #expect(trickled.extension("ufrag") == "38AG" && trickled.extension("network-cost") == "999" && trickled.extension("x") == nil)
        let relay = try ICECandidate(parsing: "candidate:3 2 tcp 16777215 198.51.100.9 3478 typ relay raddr 192.0.2.3 rport 45664 tcptype passive")
        #expect(relay.type == .relay && relay.component == 2 && relay.isTCP && relay.tcpType == "passive")
        // Unknown types are kept.
        #expect(try ICECandidate(parsing: "candidate:4 1 udp 1 10.0.0.1 1 typ future").type.rawValue == "future")
        // Canonical order on output: raddr, rport, tcptype, generation, then extensions as written.
        let reordered = try ICECandidate(parsing: "candidate:5 1 udp 1 10.0.0.1 1 typ srflx ufrag u generation 3 rport 2 raddr 10.0.0.2")
        #expect(reordered.attributeValue == "5 1 udp 1 10.0.0.1 1 typ srflx raddr 10.0.0.2 rport 2 generation 3 ufrag u")
        #expect(throws: SDPError.self) { try ICECandidate(parsing: "candidate:1 1 udp") }
    }

    /// RFC 8285 examples (grammar in §8).
    @Test func extmap() throws {
        let m = try Self.media([
            "a=extmap:1 http://example.com/082005/ext.htm#ttime",
            "a=extmap:2/sendrecv http://example.com/082005/ext.htm#xmeta short",
            "a=extmap:15 urn:example:two-byte-only", "a=extmap:255 urn:example:last",
        ])
        #expect(m.headerExtensions == [
            SDPExtMap(id: 1, uri: "http://example.com/082005/ext.htm#ttime"),
            SDPExtMap(id: 2, direction: .sendrecv, uri: "http://example.com/082005/ext.htm#xmeta", attributes: ["short"]),
            SDPExtMap(id: 15, uri: "urn:example:two-byte-only"), SDPExtMap(id: 255, uri: "urn:example:last"),
        ])
        #expect(m.headerExtensions.map(\.fitsOneByteHeader) == [true, true, false, false])
        #expect(m.extensionID(for: "http://example.com/082005/ext.htm#xmeta") == 2)
        #expect(m.attributes[1].description == "a=extmap:2/sendrecv http://example.com/082005/ext.htm#xmeta short")
    }

    /// RFC 4572 §5 example (SHA-1) and RFC 4145 roles.
    @Test func fingerprintAndSetup() throws {
        let m = try Self.media(["a=fingerprint:SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB", "a=setup:holdconn"])
        #expect(m.fingerprints == [SDPFingerprint(algorithm: "SHA-1", bytes: hexBytes("4A AD B9 B1 3F 82 18 3B 54 02 12 DF 3E 5D 49 6B 19 E5 7C AB"))])
        #expect(m.setup == .holdconn)
        // Lowercase hex parses to the same bytes and is written uppercase (RFC 8122 §5).
        let lower = try Self.media(["a=fingerprint:sha-256 4a:ad"])
        #expect(lower.fingerprints[0].bytes == [0x4A, 0xAD] && lower.attributes[0].description == "a=fingerprint:sha-256 4A:AD")
        #expect([SDPSetup.actpass, .active, .passive, .holdconn].map(\.answer) == [.passive, .passive, .active, .holdconn])
        #expect(SDPDirection.allCases.map(\.reversed) == [.sendrecv, .recvonly, .sendonly, .inactive])
        #expect(SDPDirection.sendonly.sends && !SDPDirection.sendonly.receives)
    }

    /// RFC 8853 §5.1 (`send 1;2,3 recv 4`) and paused streams (`~`, RFC 8853 §5.3).
    @Test func simulcastAndRID() throws {
        let m = try Self.media([
            "a=rid:1 send pt=96;max-width=1280;max-height=720;max-fps=30",
            "a=rid:2 send pt=96,97 ", "a=rid:3 send max-br=64000", "a=rid:4 recv",
            "a=simulcast:send 1;2,~3 recv 4",
        ])
        let sim = try #require(m.simulcast)
        #expect(sim.send == [[.init(rid: "1")], [.init(rid: "2"), .init(rid: "3", isPaused: true)]])
        #expect(sim.receive == [[.init(rid: "4")]])
        #expect(sim.attributeValue == "send 1;2,~3 recv 4")
        #expect(m.rids[0] == SDPRID(id: "1", direction: .send, payloadTypes: [96], restrictions: [
            .init(key: "max-width", value: "1280"), .init(key: "max-height", value: "720"), .init(key: "max-fps", value: "30")]))
        #expect(m.rids[0].maxWidth == 1280 && m.rids[0].maxHeight == 720 && m.rids[0].maxFramerate == 30 && m.rids[0].maxBitrate == nil)
        #expect(m.rids[1].payloadTypes == [96, 97] && m.rids[1].restrictions.isEmpty)
        #expect(m.rids[2].maxBitrate == 64000)
        #expect(m.simulcastLayers.map(\.description) == ["1 send pt=96;max-width=1280;max-height=720;max-fps=30", "2 send pt=96,97",
                                                         "~3 send max-br=64000", "4 recv"])
        #expect(m.simulcastLayers.map(\.streamIndex) == [0, 1, 1, 0])
        #expect(m.simulcastLayers.map(\.isPaused) == [false, false, true, false])
        // recv first is accepted and written send-first.
        let recvFirst = try Self.media(["a=simulcast:recv a;b send c"])
        #expect(recvFirst.simulcast == SDPSimulcast(send: [[.init(rid: "c")]], receive: [[.init(rid: "a")], [.init(rid: "b")]]))
        #expect(recvFirst.simulcastLayers.first?.restrictions == nil)
    }

    /// RFC 5576 §4.1/§4.2 source attributes, FID (RFC 4588) and SIM groups.
    @Test func ssrcAndGroups() throws {
        let m = try Self.media([
            "a=ssrc-group:SIM 100 200 300", "a=ssrc-group:FID 100 101", "a=ssrc-group:FEC-FR 100 102",
            "a=ssrc:100 cname:user@example.com", "a=ssrc:100 msid:stream track", "a=ssrc:101 cname:user@example.com",
            "a=ssrc:200 label", "a=ssrc:300 x-empty:",
        ])
        #expect(m.ssrcGroups.map(\.semantics) == ["SIM", "FID", "FEC-FR"])
        #expect(m.ssrcGroups[0].ssrcs == [100, 200, 300])
        #expect(m.rtxSSRC(for: 100) == 101 && m.rtxSSRC(for: 200) == nil)
        #expect(m.ssrcs == [100, 101, 200, 300])
        #expect(m.cname(ssrc: 100) == "user@example.com" && m.cname(ssrc: 200) == nil)
        #expect(m.ssrcAttributes[1] == SDPSSRCAttribute(ssrc: 100, attribute: "msid", value: "stream track"))
        #expect(m.ssrcAttributes[3] == SDPSSRCAttribute(ssrc: 200, attribute: "label", value: nil))
        #expect(m.ssrcAttributes[4] == SDPSSRCAttribute(ssrc: 300, attribute: "x-empty", value: ""))
        #expect(m.attributes.last?.description == "a=ssrc:300 x-empty:")
    }

    @Test func codecViewDetails() throws {
        let m = try Self.media([
            "a=rtpmap:96 VP8/90000", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96", "a=rtpmap:98 H264/90000",
            "a=fmtp:98 profile-level-id=42e01f; packetization-mode=1 ;level-asymmetry-allowed", "a=rtcp-fb:* nack", "a=rtcp-fb:98 trr-int 100",
            "a=rtpmap:99 VP9/90000",
        ], mline: "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 100")
        // 99 is not on the m= line; 100 has no rtpmap and no static assignment.
        #expect(m.codecs.map(\.payloadType) == [96, 97, 98])
        let h264 = try #require(m.codec(payloadType: 98))
        #expect(h264.parameters == [.init(key: "profile-level-id", value: "42e01f"), .init(key: "packetization-mode", value: "1"),
                                    .init(key: "level-asymmetry-allowed", value: nil)])
        #expect(h264.parameter("PACKETIZATION-MODE") == "1")
        #expect(h264.feedback == [SDPRTCPFeedback(payloadType: 98, type: "trr-int", parameter: "100"), SDPRTCPFeedback(payloadType: nil, type: "nack")])
        #expect(m.codec(payloadType: 96)?.feedback.map(\.description) == ["nack"])
        #expect(m.codec(payloadType: 97)?.associatedPayloadType == 96 && m.rtxPayloadType(for: 96) == 97)
        #expect(m.rtxPayloadType(for: 98) == nil)
        // fmtp text is kept as written.
        #expect(m.formatParameters[1].text == "profile-level-id=42e01f; packetization-mode=1 ;level-asymmetry-allowed")
        #expect(m.attributes[5].description == "a=rtcp-fb:* nack")
    }

    @Test func dataChannelSection() throws {
        let s = try Self.session([
            "a=group:BUNDLE 0", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=mid:0",
            "a=sctp-port:5000", "a=max-message-size:262144", "a=rtpmap:5000 not-a-payload-type", "a=fmtp:webrtc-datachannel x",
        ])
        let m = s.media[0]
        #expect(m.kind == .application && !m.isRTP && m.formats == ["webrtc-datachannel"] && m.payloadTypes.isEmpty)
        #expect(m.sctpPort == 5000 && m.maxMessageSize == 262144)
        // Outside RTP, rtpmap/fmtp formats are not payload types: kept verbatim.
        #expect(m.attributes[3] == .other(name: "rtpmap", value: "5000 not-a-payload-type"))
        #expect(m.attributes[4] == .other(name: "fmtp", value: "webrtc-datachannel x"))
        #expect(m.codecs.isEmpty)
    }

    @Test func unknownAttributesAreKeptVerbatim() throws {
        let s = try Self.session([
            "a=x-session:  two  spaces ", "a=tool", "a=recvonly", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "b=AS:64", "b=TIAS:64000",
            "a=x-media:a:b:c", "a=bundle-only", "a=rtcp-mux-only", "a=ptime:20", "a=msid-semantic:odd",
        ])
        #expect(s.attributes[0] == .other(name: "x-session", value: "  two  spaces "))
        #expect(s.attributes[1] == .other(name: "tool", value: nil))
        #expect(s.media[0].bandwidths == [SDPBandwidth(type: "AS", value: 64), SDPBandwidth(type: "TIAS", value: 64000)])
        #expect(s.media[0].attributes[0] == .other(name: "x-media", value: "a:b:c"))
        #expect(s.media[0].isRTCPMuxOnly && s.media[0].hasAttribute("bundle-only"))
        #expect(s.media[0].attributes(named: "ptime") == [.other(name: "ptime", value: "20")])
        #expect(s.description.contains("a=x-session:  two  spaces \r\n"))
        #expect(try SessionDescription(parsing: s.description) == s)
        #expect(s.media[0].isRejected == false && s.media[0].effectiveDirection == .sendrecv && s.direction(of: s.media[0]) == .recvonly)
    }

    @Test func buildAnAnswerInCode() throws {
        var audio = MediaDescription(kind: .audio, formats: [], connections: [SDPConnection(address: "0.0.0.0")], attributes: [
            .mid("0"), .iceUfrag("sfu1"), .icePwd("sfupasswordsfupassword"),
            .fingerprint(SDPFingerprint(algorithm: "sha-256", bytes: Array(0..<32))), .setup(.passive),
            .extmap(SDPExtMap(id: 4, uri: SDPExtensionURI.mid)), .rtcpMux,
        ])
        audio.appendCodec(SDPCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                                   parameters: [.init(key: "minptime", value: "10"), .init(key: "useinbandfec", value: "1")],
                                   feedback: [SDPRTCPFeedback(payloadType: nil, type: "transport-cc")]))
        audio.setDirection(.sendonly)
        audio.setDirection(.recvonly)
        audio.attributes.append(.candidate(ICECandidate(foundation: "1", priority: 2130706431, address: "203.0.113.7", port: 40000, type: .host)))
        audio.attributes.append(.endOfCandidates)
        let answer = SessionDescription(origin: SDPOrigin(sessionID: 42, sessionVersion: 1),
                                        attributes: [.group(SDPGroup(semantics: "BUNDLE", mids: ["0"])), .iceLite],
                                        media: [audio])
        #expect(answer.description == [
            "v=0", "o=- 42 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0", "a=ice-lite",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=mid:0", "a=ice-ufrag:sfu1", "a=ice-pwd:sfupasswordsfupassword",
            "a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F",
            "a=setup:passive", "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=rtcp-mux", "a=rtpmap:111 opus/48000/2",
            "a=rtcp-fb:111 transport-cc", "a=fmtp:111 minptime=10;useinbandfec=1", "a=recvonly",
            "a=candidate:1 1 udp 2130706431 203.0.113.7 40000 typ host", "a=end-of-candidates", "",
        ].joined(separator: "\r\n"))
        let reparsed = try SessionDescription(parsing: answer.description)
        #expect(reparsed == answer)
        #expect(reparsed.media[0].codecs.first?.parameters.count == 2)
        #expect(reparsed.media[0].isRecvOnly)
    }

    @Test func valuesWithExtraSpacesAreNormalizedButStable() throws {
        let m = try Self.media(["a=mid:  v ", "a=rtcp-fb:96   nack   pli", "a=candidate:1  1 udp 1 10.0.0.1 9  typ host", "a=msid:s  t"])
        #expect(m.mid == "v" && m.rtcpFeedback.first?.parameter == "pli")
        #expect(m.attributes.map(\.description) == ["a=mid:v", "a=rtcp-fb:96 nack pli", "a=candidate:1 1 udp 1 10.0.0.1 9 typ host", "a=msid:s t"])
    }
}
