import Foundation
import PodiumRTC
import PodiumSDP
import PodiumTestSupport
import PodiumWire

/// Offers and Podium's transport for the negotiation tests.
enum NegotiationFixtures {
    static let local = LocalTransportDescription(
        iceUfrag: "podiumUF", icePwd: "podiumPasswordPodium1234",
        fingerprint: SDPFingerprint(algorithm: "sha-256", bytes: Array(0..<32)),
        candidates: [(ip: "127.0.0.1", port: 40000), (ip: "::1", port: 40000)])

    static func shared(_ name: String) throws -> SessionDescription {
        try SessionDescription(parsing: try String(contentsOf: sharedFixtures.appendingPathComponent("sdp/\(name)"), encoding: .utf8))
    }

    static func repository(_ name: String) throws -> SessionDescription {
        try SessionDescription(parsing: try String(contentsOf: localFixtures.appendingPathComponent("sdp/\(name)"), encoding: .utf8))
    }

    /// What aiortc 1.16 offers as a WHEP viewer (`addTransceiver(kind, direction="recvonly")` for
    /// audio and video), written after its SDP writer: per-m-line transport, a=ssrc for its RTCP.
    static let aiortcRecvonlyOffer = """
        v=0
        o=- 3940412555 3940412555 IN IP4 0.0.0.0
        s=-
        t=0 0
        a=group:BUNDLE 0 1
        a=msid-semantic:WMS *
        m=audio 52900 UDP/TLS/RTP/SAVPF 96 9 0 8
        c=IN IP4 127.0.0.1
        a=recvonly
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=mid:0
        a=rtcp:9 IN IP4 0.0.0.0
        a=rtcp-mux
        a=ssrc:1705389023 cname:5a1d8e7f-2b0c-4a39-9f0e-5c2b9f6d1e77
        a=rtpmap:96 opus/48000/2
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=candidate:26c5f8a8e4e2b1b86fb3f1a3bfc3c2c1 1 udp 2130706431 127.0.0.1 52900 typ host
        a=end-of-candidates
        a=ice-ufrag:Vw3q
        a=ice-pwd:d0Ne1QhYbQ9Zv0l2mQHFnS
        a=fingerprint:sha-256 FF:12:09:3E:B0:5E:4B:B2:63:3E:27:60:F6:9C:51:05:65:C5:1F:97:28:99:5E:FF:12:77:5B:0B:A6:D9:E8:49
        a=setup:actpass
        m=video 52900 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102
        c=IN IP4 127.0.0.1
        a=recvonly
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=mid:1
        a=rtcp:9 IN IP4 0.0.0.0
        a=rtcp-mux
        a=ssrc:3117410123 cname:5a1d8e7f-2b0c-4a39-9f0e-5c2b9f6d1e77
        a=rtpmap:97 VP8/90000
        a=rtcp-fb:97 nack
        a=rtcp-fb:97 nack pli
        a=rtcp-fb:97 goog-remb
        a=rtpmap:98 rtx/90000
        a=fmtp:98 apt=97
        a=rtpmap:99 H264/90000
        a=rtcp-fb:99 nack
        a=rtcp-fb:99 nack pli
        a=rtcp-fb:99 goog-remb
        a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
        a=rtpmap:100 rtx/90000
        a=fmtp:100 apt=99
        a=rtpmap:101 H264/90000
        a=rtcp-fb:101 nack
        a=rtcp-fb:101 nack pli
        a=rtcp-fb:101 goog-remb
        a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:102 rtx/90000
        a=fmtp:102 apt=101
        a=candidate:26c5f8a8e4e2b1b86fb3f1a3bfc3c2c1 1 udp 2130706431 127.0.0.1 52900 typ host
        a=end-of-candidates
        a=ice-ufrag:Vw3q
        a=ice-pwd:d0Ne1QhYbQ9Zv0l2mQHFnS
        a=fingerprint:sha-256 FF:12:09:3E:B0:5E:4B:B2:63:3E:27:60:F6:9C:51:05:65:C5:1F:97:28:99:5E:FF:12:77:5B:0B:A6:D9:E8:49
        a=setup:actpass

        """

    /// A minimal valid offer: session part plus the given m-line bodies (each starting at "m=").
    /// Every m-line gets transport attributes unless its body says otherwise.
    static func offer(session: String = "a=group:BUNDLE 0 1\r\n", _ media: [String]) -> String {
        var s = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + session
        for m in media { s += m.replacingOccurrences(of: "\n", with: "\r\n") }
        return s
    }

    static let transport = """
        a=ice-ufrag:abcd
        a=ice-pwd:abcdefghijklmnopqrstuvwx
        a=fingerprint:sha-256 FF:12:09:3E:B0:5E:4B:B2:63:3E:27:60:F6:9C:51:05:65:C5:1F:97:28:99:5E:FF:12:77:5B:0B:A6:D9:E8:49
        a=setup:actpass
        a=rtcp-mux

        """

    static func audio(mid: String = "0", direction: String = "sendonly", extra: String = "") -> String {
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\nc=IN IP4 0.0.0.0\na=mid:\(mid)\na=\(direction)\n" + transport
            + "a=rtpmap:111 opus/48000/2\na=rtcp-fb:111 transport-cc\na=fmtp:111 minptime=10;useinbandfec=1\n" + extra
    }

    static func video(mid: String = "1", direction: String = "sendonly", codecs: String, formats: String, extra: String = "") -> String {
        "m=video 9 UDP/TLS/RTP/SAVPF \(formats)\nc=IN IP4 0.0.0.0\na=mid:\(mid)\na=\(direction)\n" + transport + codecs + extra
    }

    static let vp8 = "a=rtpmap:96 VP8/90000\na=rtcp-fb:96 nack\na=rtcp-fb:96 nack pli\na=rtcp-fb:96 ccm fir\na=rtpmap:97 rtx/90000\na=fmtp:97 apt=96\n"

    static func opusTrack(id: Int, pt: UInt8 = 111) -> OfferableTrack {
        OfferableTrack(producerID: id, kind: .audio,
                       codec: NegotiatedCodec(codec: .opus, payloadType: pt, clockRate: 48000, channels: 2),
                       streamID: "stream-\(id)", trackID: "audio-\(id)")
    }

    static func videoTrack(id: Int, codec: PayloadCodec = .vp8, pt: UInt8 = 96, parameters: [SDPFormatParameter] = []) -> OfferableTrack {
        OfferableTrack(producerID: id, kind: .video,
                       codec: NegotiatedCodec(codec: codec, payloadType: pt, clockRate: 90000, parameters: parameters),
                       streamID: "stream-\(id)", trackID: "video-\(id)")
    }
}
