import Foundation
import PodiumMedia
import PodiumNet
import PodiumRTC
import PodiumWire
import Testing

/// Malformed and unexpected RTP/RTCP (SRTP-protected, so it reaches the router) from a subscriber
/// and from the publisher: counted, never a crash, and forwarding carries on.
@Suite(.serialized) struct RouterHostileInputTests {
    static func rtp(ssrc: UInt32, pt: UInt8, seq: UInt16, payload: [UInt8]) -> [UInt8] {
        [0x80, pt, UInt8(seq >> 8), UInt8(seq & 0xFF), 0, 0, 0, 1,
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)] + payload
    }

    @Test func hostilePacketsAreCountedAndForwardingContinues() async throws {
        let f = try await RouterFixture(subscribers: 1, audio: false)
        defer { f.shutdown() }
        try await f.subscribe(1)
        try await f.startPublishing()
        let flowing = try await eventually(on: f.pair.clientLoop, timeout: .seconds(5)) { f.subscribers[0].packets.count > 5 }
        #expect(flowing)

        var random = SplitMix64(seed: 42)
        let mediaSSRC = RouterTestTracks.videoSSRC(1)
        // From the subscriber: RTCP whose framing or bodies are wrong, feedback for unknown SSRCs.
        var rtcp: [[UInt8]] = [
            [0x80, 200, 0xFF, 0xFF, 0, 0, 0, 1],                                     // SR claiming 256 KiB
            [0x81, 205, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2],                         // NACK without its FCI
            [0x81, 201, 0x00, 0x01, 0, 0, 0, 1],                                     // RR claiming a block it lacks
            RTCPBytes.emptyRR(1) + [0x80, 0xFF, 0x00, 0x10],                         // valid RR, then garbage
            RTCPBytes.pli(sender: 1, media: 0xDEAD_BEEF),                            // PLI for nobody
            RTCPBytes.nack(sender: 1, media: 0xDEAD_BEEF, lost: [1, 2, 3]),          // NACK for nobody
            RTCPBytes.nack(sender: 1, media: mediaSSRC, lost: Array(0 ... 200).map { UInt16($0 * 300) }), // far-away numbers
            RTCPBytes.emptyRR(1) + [0x81, 203, 0x00, 0x01, 0xDE, 0xAD, 0xBE, 0xEF], // BYE
        ]
        for _ in 0 ..< 50 {
            var b = (0 ..< (8 + random.below(60))).map { _ in random.byte() }
            b[0] = 0x80 | (b[0] & 0x3F)
            b[1] = 192 + UInt8(random.below(32))
            rtcp.append(b)
        }
        // RTP from the subscriber (it publishes nothing), and malformed RTP (first: see below).
        for i in 0 ..< 20 {
            try await f.sendRTP(from: 1, Self.rtp(ssrc: 0x0BAD_0000 + UInt32(i % 3), pt: 96, seq: UInt16(i), payload: (0 ..< 40).map { _ in random.byte() }))
        }
        var zeroPadding = Self.rtp(ssrc: 0x0BAD_0010, pt: 96, seq: 1, payload: [1, 2, 3, 0])
        zeroPadding[0] |= 0x20 // padding count 0: invalid (RFC 3550 §5.1)
        try await f.sendRTP(from: 1, zeroPadding)
        // After the RTP: random RTCP makes the client's SRTP create a stream per random SSRC, up to
        // its limit, after which it would refuse new RTP SSRCs.
        for packet in rtcp { try await f.sendRTCP(from: 1, packet) }
        // From the publisher: a new SSRC with the video mid but a payload type it did not
        // negotiate (RED, FEC…). (Not on the media SSRC: a foreign sequence number there would
        // move SRTP's replay window, which is the transport's business, not the router's.)
        var foreign = Self.rtp(ssrc: 0x0BAD_0020, pt: 120, seq: 1, payload: [0xBE, 0xDE, 0x00, 0x01, 0x40, 0x31, 0, 0, 1, 2, 3])
        foreign[0] |= 0x10
        try await f.sendRTP(from: 0, foreign)

        // Forwarding carries on.
        let before = try await f.onClient { f.subscribers[0].packets.count }
        let more = try await eventually(on: f.pair.clientLoop, timeout: .seconds(5)) { f.subscribers[0].packets.count > before + 10 }
        let diag = try await f.onServer { (f.router.stats, f.pair.serverTransports.map { "\($0.state) \($0.stats)" }) }
        let cdiag = try await f.onClient { f.pair.clientTransports.map { "\($0.state) \($0.stats)" } }
        #expect(more, "\(diag) \(cdiag)")
        try await f.stopPublishing()
        let (stats, producer) = try await f.onServer { (f.router.stats, f.video.stats) }
        #expect(stats.malformedRTCP >= 3, "\(stats)")
        #expect(stats.unknownSSRCRTCP >= 2)
        #expect(stats.byesReceived >= 1)
        #expect(stats.unroutableRTP >= 20)
        #expect(stats.malformedRTP >= 1)
        #expect(producer.unroutable >= 1, "media with an unnegotiated payload type")
    }

    @Test func publisherRTXPaddingAndWrongPayloadTypeAreDropped() async throws {
        let f = try await RouterFixture(subscribers: 1, audio: false)
        defer { f.shutdown() }
        try await f.subscribe(1)
        try await f.startPublishing()
        // Wait for the video SSRC to be learned, then announce the RTX SSRC by sending on it.
        let learned = try await eventually(on: f.pair.serverLoop, timeout: .seconds(5)) { f.video.stats.encodings[0].ssrc != nil }
        #expect(learned)
        try await f.stopPublishing()
        // Padding-only RTX (a bandwidth probe) on an SSRC the router cannot know yet: unroutable;
        // after a real RTX packet taught it the RTX SSRC, probes count as padding.
        let rtxSSRC = f.publisherConfiguration.rtxSSRCs[0]
        let sent = try await f.onClient { f.publisher.publisher.retransmit(ssrc: f.videoSSRC, sequenceNumbers: [f.publisher.publisher.sink.sent[f.videoSSRC]!.keys.max()!], now: 0) }
        #expect(sent == 1)
        let known = try await eventually(on: f.pair.serverLoop, timeout: .seconds(5)) { f.video.stats.encodings[0].retransmissionsReceived >= 1 }
        #expect(known)
        try await f.sendRTP(from: 0, Self.rtp(ssrc: rtxSSRC, pt: 97, seq: 9, payload: [0]))
        try await f.sendRTP(from: 0, Self.rtp(ssrc: rtxSSRC, pt: 50, seq: 10, payload: [0, 1, 2, 3]))
        let counted = try await eventually(on: f.pair.serverLoop, timeout: .seconds(5)) {
            f.peers[0].counters.rtxPadding >= 1 && f.video.stats.unroutable >= 1
        }
        #expect(counted)
    }
}
