import Foundation
import PodiumMedia
import PodiumNet
import PodiumRTC
import PodiumWire
import Testing

/// Checks one subscriber's stream against what the publisher sent: every packet is a publisher
/// packet with identical payload, rewritten with one constant sequence and timestamp offset.
struct StreamCheck {
    var count = 0
    var sequenceOffset: UInt16?
    var timestampOffset: UInt32?
    var problems: [String] = []
    var firstIsKeyframeStart = false
    var contiguous = false

    init(received: [RTPView], sent: [UInt16: [UInt8]], video: Bool) {
        var published: [UInt16: RTPView] = [:]
        for (seq, bytes) in sent {
            bytes.withUnsafeBytes { b in
                if let p = try? RTPPacket(parsing: b) { published[seq] = RTPView(p) }
            }
        }
        count = received.count
        // Why candidates: audio payloads repeat (synthetic tones, DTX), so a payload alone does not
        // identify the original; the offsets that explain every packet do.
        if let first = received.first {
            var best: [String]?
            for original in published.values where original.payload == first.payload {
                let so = first.sequenceNumber &- original.sequenceNumber
                let to = first.timestamp &- original.timestamp
                var problems: [String] = []
                for r in received {
                    guard let o = published[r.sequenceNumber &- so] else {
                        problems.append("seq \(r.sequenceNumber): no published packet \(r.sequenceNumber &- so)")
                        continue
                    }
                    if o.payload != r.payload { problems.append("seq \(r.sequenceNumber): payload differs") }
                    if r.timestamp &- o.timestamp != to { problems.append("seq \(r.sequenceNumber): timestamp offset \(r.timestamp &- o.timestamp) != \(to)") }
                    if r.marker != o.marker { problems.append("seq \(r.sequenceNumber): marker differs") }
                }
                if best == nil || problems.count < best!.count {
                    best = problems
                    sequenceOffset = so
                    timestampOffset = to
                }
            }
            self.problems = best ?? ["first packet's payload matches no published packet"]
        }
        let unique = Set(received.map(\.sequenceNumber))
        if let first = received.first {
            // Unwrapped relative to the first packet.
            let rel = unique.map { Int(Int16(bitPattern: $0 &- first.sequenceNumber)) }
            let lo = rel.min()!, hi = rel.max()!
            contiguous = hi - lo + 1 == unique.count
            let firstSeq = first.sequenceNumber &+ UInt16(bitPattern: Int16(lo))
            firstIsKeyframeStart = received.first { $0.sequenceNumber == firstSeq }.map { video ? $0.isVP8KeyframeStart : true } ?? false
        }
    }
}

@Suite(.serialized) struct RouterForwardingTests {
    @Test func forwardsRewrittenMediaToEverySubscriber() async throws {
        let f = try await RouterFixture(subscribers: 3)
        defer { f.shutdown() }
        try await f.subscribe(1, rtx: true)
        try await f.subscribe(2, rtx: false)
        try await f.startPublishing()
        try await Task.sleep(for: .milliseconds(800))
        // A late subscriber: waits for a keyframe it asked for.
        try await f.subscribe(3)
        try await Task.sleep(for: .milliseconds(1200))
        try await f.stopPublishing()
        try await Task.sleep(for: .milliseconds(300))

        let sent = try await f.onClient { f.publisher.publisher.sink.sent }
        let videoSSRC = f.videoSSRC, audioSSRC = f.audioSSRC
        let received = try await f.onClient { f.subscribers.map { $0.packets } }
        let publisherPLIs = try await f.onClient { f.publisher.plis }
        #expect(publisherPLIs >= 1, "the router asks the publisher for keyframes")

        for i in 1 ... 3 {
            let sub = SubscriberClient()
            sub.packets = received[i - 1]
            let video = sub.packets(ssrc: RouterTestTracks.videoSSRC(i))
            let audio = sub.packets(ssrc: RouterTestTracks.audioSSRC(i))
            #expect(video.count >= 20, "subscriber \(i): \(video.count) video packets")
            #expect(audio.count >= 20, "subscriber \(i): \(audio.count) audio packets")
            #expect(sub.packets.count == video.count + audio.count, "subscriber \(i): only its own SSRCs")

            let v = StreamCheck(received: video, sent: sent[videoSSRC] ?? [:], video: true)
            #expect(v.problems.isEmpty, "subscriber \(i) video: \(v.problems.prefix(5))")
            #expect(v.firstIsKeyframeStart, "subscriber \(i): first video packet starts a keyframe")
            #expect(v.contiguous, "subscriber \(i): video sequence numbers gapless")
            let a = StreamCheck(received: audio, sent: sent[audioSSRC] ?? [:], video: false)
            #expect(a.problems.isEmpty, "subscriber \(i) audio: \(a.problems.prefix(5))")
            #expect(a.contiguous, "subscriber \(i): audio sequence numbers gapless")

            // Payload types and extension ids are the subscriber's; mid is its own; TWCC is per transport.
            #expect(video.allSatisfy { $0.payloadType == 100 })
            #expect(audio.allSatisfy { $0.payloadType == 109 })
            #expect(video.allSatisfy { Set($0.extensions.keys) == [5, 7, 9] }, "\(video.first.map { Array($0.extensions.keys) } ?? [])")
            #expect(audio.allSatisfy { Set($0.extensions.keys) == [5, 6, 7, 9] }, "\(audio.first.map { Array($0.extensions.keys) } ?? [])")
            #expect(video.allSatisfy { $0.extensions[9] == Array("v\(i)".utf8) })
            #expect(audio.allSatisfy { $0.extensions[9] == Array("a\(i)".utf8) })
            let all = sub.packets.compactMap { bytes in bytes.withUnsafeBytes { b in (try? RTPPacket(parsing: b)).map(RTPView.init) } }
            let twcc = all.compactMap { $0.extensions[7] }.map { UInt16($0[0]) << 8 | UInt16($0[1]) }
            #expect(twcc.count == all.count)
            #expect(Set(twcc).count == twcc.count, "subscriber \(i): transport-wide sequence numbers unique")
            if let lo = twcc.min(), let hi = twcc.max() { #expect(Int(hi - lo) + 1 == twcc.count, "subscriber \(i): transport-wide numbers gapless") }
        }

        // Audio levels are read from the publisher's packets.
        let (level, consumerStats, producerStats) = try await f.onServer {
            (f.audio?.audioLevel?.level, f.videoConsumers.compactMap { $0?.stats }, f.video.stats)
        }
        #expect(level != nil)
        #expect(producerStats.encodings.count == 1 && producerStats.encodings[0].packets > 0 && producerStats.encodings[0].ssrc == videoSSRC)
        #expect(producerStats.encodings[0].keyframesReceived >= 1)
        for (k, s) in consumerStats.enumerated() {
            let got = received[k].count
            #expect(s.packetsSent > 0 && s.packetsSent <= UInt64(got), "consumer \(k + 1): sent \(s.packetsSent), subscriber got \(got) (audio+video)")
        }
    }

    @Test func twentyConsumersOnOneProducerAllReceive() async throws {
        let f = try await RouterFixture(subscribers: 20)
        defer { f.shutdown() }
        for i in 1 ... 20 { try await f.subscribe(i) }
        try await f.startPublishing()
        try await Task.sleep(for: .milliseconds(1500))
        try await f.stopPublishing()
        try await Task.sleep(for: .milliseconds(300))
        let received = try await f.onClient { f.subscribers.map { $0.packets } }
        for i in 1 ... 20 {
            let sub = SubscriberClient()
            sub.packets = received[i - 1]
            let video = sub.packets(ssrc: RouterTestTracks.videoSSRC(i))
            let audio = sub.packets(ssrc: RouterTestTracks.audioSSRC(i))
            #expect(video.count >= 10 && audio.count >= 10, "subscriber \(i): \(video.count) video, \(audio.count) audio")
            #expect(video.first?.isVP8KeyframeStart == true, "subscriber \(i): starts at a keyframe")
        }
    }

    @Test func pausedConsumerResumesAtKeyframeWithContinuousNumbering() async throws {
        let f = try await RouterFixture(subscribers: 1, audio: false)
        defer { f.shutdown() }
        try await f.subscribe(1)
        try await f.startPublishing()
        try await Task.sleep(for: .milliseconds(600))
        try await f.onServer { f.router.setPaused(f.videoConsumers[1]!, true) }
        try await Task.sleep(for: .milliseconds(400))
        try await f.onServer { f.router.setPaused(f.videoConsumers[1]!, false) }
        try await Task.sleep(for: .milliseconds(900))
        try await f.stopPublishing()
        try await Task.sleep(for: .milliseconds(300))
        let received = try await f.onClient { f.subscribers[0].packets }
        let sub = SubscriberClient()
        sub.packets = received
        let arrived = sub.packets(ssrc: RouterTestTracks.videoSSRC(1))
        let seqs = arrived.map(\.sequenceNumber)
        // Gapless across the pause: the resumed part continues the numbering.
        let rel = Set(seqs.map { Int(Int16(bitPattern: $0 &- seqs[0])) })
        #expect(rel.max()! - rel.min()! + 1 == rel.count, "gapless across the pause")
        // Find the resume point: the largest timestamp jump; it must be a keyframe start.
        let ordered = arrived.sorted { Int16(bitPattern: $0.sequenceNumber &- $1.sequenceNumber) < 0 }
        var jump = 0
        var largest: UInt32 = 0
        for k in 1 ..< ordered.count where ordered[k].timestamp &- ordered[k - 1].timestamp > largest {
            largest = ordered[k].timestamp &- ordered[k - 1].timestamp
            jump = k
        }
        let video = ordered
        #expect(jump > 0 && video[jump].isVP8KeyframeStart, "resumed at a keyframe")
        // Timestamps advance by about the paused wall time (≥ 300 ms at 90 kHz), not by zero.
        #expect(video[jump].timestamp &- video[jump - 1].timestamp >= 27_000)
        let events = try await f.onServer { f.events.paused.map(\.1) }
        #expect(events == [true, false])
    }
}
