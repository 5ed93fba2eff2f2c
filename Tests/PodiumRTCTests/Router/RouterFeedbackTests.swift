import Foundation
import PodiumMedia
import PodiumNet
import PodiumRTC
import PodiumWire
import Testing

/// NACK/RTX in both directions, keyframe request merging, SR/RR, TWCC feedback, BYE.
@Suite(.serialized) struct RouterFeedbackTests {
    @Test func subscriberNACKIsAnsweredWithRTXOrPlain() async throws {
        let f = try await RouterFixture(subscribers: 2, audio: false)
        defer { f.shutdown() }
        try await f.subscribe(1, rtx: true)
        try await f.subscribe(2, rtx: false)
        try await f.startPublishing()
        try await Task.sleep(for: .milliseconds(700))
        // Why still publishing: the NACKed packets must still be in the router's buffer (1 s) when
        // the NACK arrives, however slow a loaded test machine is between these steps.
        let rtxSSRC = RouterTestTracks.rtxSSRC(1)
        // Why attempts: a NACK or its answer is one datagram, and a loaded machine (the flood test
        // runs beside this one) can drop it on loopback; a real receiver NACKs again too. Each
        // attempt NACKs the newest packets, so they are still in the router's 1 s buffer.
        var targets1: [UInt16: RTPView] = [:]
        var refused: [UInt16] = []
        var repaired = false
        for _ in 0 ..< 6 where !repaired {
            let received = try await f.onClient { f.subscribers.map { $0.packets } }
            var views: [[RTPView]] = []
            for (k, packets) in received.enumerated() {
                let s = SubscriberClient()
                s.packets = packets
                views.append(s.packets(ssrc: RouterTestTracks.videoSSRC(k + 1)))
            }
            try #require(views[0].count >= 10 && views[1].count >= 10)
            let target1 = views[0][views[0].count - 3]
            let target2 = views[1][views[1].count - 2]
            targets1[target1.sequenceNumber] = target1
            refused.append(views[0][0].sequenceNumber &- 40)
            // Subscriber 1 (RTX): one number it received, one before its start point (refused).
            try await f.sendRTCP(from: 1, RTCPBytes.nack(sender: 0x1111, media: RouterTestTracks.videoSSRC(1),
                                                          lost: [target1.sequenceNumber, refused.last!]))
            try await f.sendRTCP(from: 2, RTCPBytes.nack(sender: 0x2222, media: RouterTestTracks.videoSSRC(2), lost: [target2.sequenceNumber]))
            // Why the replay counter: a plain retransmission has the original's SSRC and number, so
            // the subscriber's SRTP rejects it as a replay when it had the original (on loopback).
            repaired = try await eventually(on: f.pair.clientLoop, timeout: .seconds(1)) {
                !f.subscribers[0].packets(ssrc: rtxSSRC).isEmpty && f.pair.clientTransports[2].stats.replays >= 1
            }
        }
        let diagnosis = try await f.onServer { () -> String in
            let s = f.videoConsumers.compactMap { $0?.stats }
            return "consumers: " + s.map { "nacks \($0.nacksReceived) rtx \($0.retransmissionsSent) sent \($0.packetsSent)" }.joined(separator: "; ")
                + "; router unknown-SSRC RTCP \(f.router.stats.unknownSSRCRTCP), malformed \(f.router.stats.malformedRTCP)"
        }
        let replays = try await f.onClient { f.pair.clientTransports[2].stats.replays }
        #expect(repaired, "\(diagnosis); subscriber 2 replays \(replays)")
        try await f.stopPublishing()
        let rtx = try await f.onClient { f.subscribers[0].packets(ssrc: rtxSSRC) }
        try #require(!rtx.isEmpty)
        for packet in rtx {
            #expect(packet.payloadType == 101)
            // RFC 4588: the payload is the OSN (the subscriber's number) then the original payload.
            let osn = UInt16(packet.payload[0]) << 8 | UInt16(packet.payload[1])
            let target = try #require(targets1[osn], "RTX for \(osn), which was not NACKed (NACKed \(targets1.keys.sorted()))")
            #expect(packet.timestamp == target.timestamp)
            #expect(Array(packet.payload.dropFirst(2)) == target.payload)
            #expect(packet.extensions[7] != nil, "retransmissions carry a transport-wide sequence number")
        }
        let stats = try await f.onServer { f.videoConsumers.compactMap { $0?.stats } }
        // At most one packet per NACK is served: the number before subscriber 1's start point is
        // refused (and no RTX carried it: checked above). Fewer when a loaded machine delayed a NACK
        // past the buffer's 1 s.
        #expect(stats[0].retransmissionsSent >= 1 && stats[0].retransmissionsSent <= stats[0].nacksReceived, "\(stats[0])")
        #expect(stats[1].retransmissionsSent >= 1 && stats[1].retransmissionsSent <= stats[1].nacksReceived, "\(stats[1])")
    }

    @Test func ingestLossIsRepairedByNACKToThePublisher() async throws {
        var configuration = RouterFixture.fastConfiguration
        configuration.ingestLossRate = 0.1
        configuration.ingestLossSeed = 7
        // Two simulcast layers by rid; the consumer takes the higher one (more packets per frame).
        let f = try await RouterFixture(subscribers: 1, configuration: configuration, layers: 2, audio: false)
        defer { f.shutdown() }
        try await f.subscribe(1)
        try await f.startPublishing()
        try await Task.sleep(for: .milliseconds(2000))
        try await f.stopPublishing()
        // Let the last repairs (NACK → RTX → forward) finish.
        try await Task.sleep(for: .milliseconds(700))

        let layerSSRC = f.publisherConfiguration.videoSSRCs[1]
        let stats = try await f.onServer { f.video.stats.encodings }
        #expect(stats.map(\.rid) == ["q", "h"])
        #expect(stats[1].ssrc == layerSSRC, "the layer's SSRC was learned from mid + rid")
        #expect(stats[0].packets > 0, "the other layer is received too")
        #expect(stats[1].testDropped >= 3)
        #expect(stats[1].nackPacketsSent > 0)
        #expect(stats[1].retransmissionsReceived > 0)
        let (nacked, rtxSent) = try await f.onClient {
            (f.publisher.nackedSequenceNumbers, f.publisher.publisher.layerStatistics[1].rtxPacketsSent)
        }
        #expect(nacked > 0 && rtxSent > 0)
        let packets = try await f.onClient { f.subscribers[0].packets(ssrc: RouterTestTracks.videoSSRC(1)) }
        let sent = try await f.onClient { f.publisher.publisher.sink.sent[layerSSRC] ?? [:] }
        let check = StreamCheck(received: packets, sent: sent, video: true)
        #expect(check.problems.isEmpty, "\(check.problems.prefix(5))")
        // Every hole left is a packet lost just before a keyframe: the NACK list drops those on
        // purpose (the decoder restarts at the keyframe), every other loss must be repaired.
        let byRel = Dictionary(packets.map { (Int(Int16(bitPattern: $0.sequenceNumber &- packets[0].sequenceNumber)), $0) }) { a, _ in a }
        let lo = byRel.keys.min()!, hi = byRel.keys.max()!
        let missing = (lo ... hi).filter { byRel[$0] == nil }
        let unexplained = missing.filter { m in
            guard let next = (m + 1 ... hi).first(where: { byRel[$0] != nil }) else { return true }
            return !byRel[next]!.isVP8KeyframeStart
        }
        #expect(unexplained.isEmpty, "unrepaired losses at \(unexplained) (missing \(missing) of \(hi - lo + 1))")
        #expect(check.firstIsKeyframeStart)
    }

    @Test func pliFloodIsMergedIntoRateLimitedRequests() async throws {
        let f = try await RouterFixture(subscribers: 1, audio: false)
        defer { f.shutdown() }
        try await f.subscribe(1)
        try await f.startPublishing()
        try await Task.sleep(for: .milliseconds(700))
        let pli = RTCPBytes.pli(sender: 0x1111, media: RouterTestTracks.videoSSRC(1))
        // PLI every 10 ms for 2 s, from a timer on the client loop.
        let box = LoopBox((sent: 0, start: Duration.zero, end: Duration.zero))
        try await f.onClient {
            box.value.start = MonotonicTime.now() - f.publisher.startedAt
            @Sendable func send() {
                _ = pli.withUnsafeBytes { f.pair.clientTransports[1].sendRTCP($0) }
                box.value.sent += 1
                if box.value.sent < 200 {
                    _ = f.pair.clientLoop.schedule(after: .milliseconds(10)) { send() }
                } else {
                    box.value.end = MonotonicTime.now() - f.publisher.startedAt
                }
            }
            send()
        }
        let done = try await eventually(on: f.pair.clientLoop, timeout: .seconds(8)) { box.value.sent >= 200 }
        #expect(done)
        try await Task.sleep(for: .milliseconds(100))
        try await f.stopPublishing()
        let (start, end, times) = try await f.onClient { (box.value.start, box.value.end, f.publisher.keyframeRequestTimes) }
        let during = times.filter { $0 >= start && $0 <= end + .milliseconds(100) }
        let flood = end - start
        let limit = Int((flood / .milliseconds(500)).rounded(.up)) + 1
        #expect(during.count >= 1 && during.count <= limit, "\(during.count) keyframe requests reached the publisher in \(flood) (limit \(limit))")
        let plis = try await f.onServer { f.videoConsumers[1]!.stats.plisReceived }
        #expect(plis >= 150, "the router saw the flood (\(plis) PLIs)")
    }

    @Test func senderReportsRoundTripAndFeedbackFlow() async throws {
        let f = try await RouterFixture(subscribers: 1)
        defer { f.shutdown() }
        try await f.subscribe(1)
        try await f.startPublishing()
        try await Task.sleep(for: .milliseconds(600))
        let ntp: UInt64 = 0xE000_0000_0000_0000
        let videoSSRC = f.videoSSRC
        let rtp = try await f.onClient { f.publisher.sendSenderReport(ssrc: videoSSRC, ntp: ntp) }
        let publisherRTP = try #require(rtp)
        let subscriberSSRC = RouterTestTracks.videoSSRC(1)
        let gotSR = try await eventually(on: f.pair.clientLoop, timeout: .seconds(5)) {
            f.subscribers[0].senderReports.contains { $0.ssrc == subscriberSSRC }
        }
        #expect(gotSR)
        try await f.stopPublishing()
        try await Task.sleep(for: .milliseconds(200))
        let sr = try #require(try await f.onClient { f.subscribers[0].senderReports.first { $0.ssrc == subscriberSSRC } })
        let packets = try await f.onClient { f.subscribers[0].packets(ssrc: subscriberSSRC) }
        let sent = try await f.onClient { f.publisher.publisher.sink.sent[videoSSRC] ?? [:] }
        let offset = try #require(StreamCheck(received: packets, sent: sent, video: true).timestampOffset)
        // The subscriber's SR maps NTP to RTP exactly as the publisher's did, in its timestamps.
        let elapsedNTP = sr.ntp &- ntp
        let elapsedTicks = Int64((Double(elapsedNTP) / 4_294_967_296.0 * 90_000).rounded())
        let expected = publisherRTP &+ offset &+ UInt32(truncatingIfNeeded: elapsedTicks)
        #expect(abs(Int64(Int32(bitPattern: sr.rtp &- expected))) <= 2, "SR rtp \(sr.rtp), expected \(expected)")

        // RR with LSR/DLSR gives the consumer an RTT.
        // Why the latest SR: the router remembers its last few SRs only (a loaded machine may have
        // sent many since the one checked above).
        let latest = try #require(try await f.onClient { f.subscribers[0].senderReports.last { $0.ssrc == subscriberSSRC } })
        let block = ReportBlock(ssrc: subscriberSSRC, fractionLost: 64, cumulativeLost: 3, extendedHighestSequence: 1, jitter: 12,
                                lastSenderReport: UInt32(truncatingIfNeeded: latest.ntp >> 16), delaySinceLastSenderReport: 0)
        try await f.sendRTCP(from: 1, RTCPBytes.receiverReport(sender: 0x1111, block: block))
        let rtt = try await eventually(on: f.pair.serverLoop, timeout: .seconds(5)) {
            f.videoConsumers[1]!.stats.roundTripTimeMilliseconds != nil
        }
        #expect(rtt)
        let stats = try await f.onServer { f.videoConsumers[1]!.stats }
        #expect(stats.fractionLost == 0.25 && stats.packetsLost == 3 && stats.jitter == 12)

        // The publisher got receiver reports (both streams), SDES and transport-wide feedback.
        let (blocks, twcc, sdes) = try await f.onClient {
            (f.publisher.receiverReportBlocks, f.publisher.transportFeedback, f.publisher.sdesChunks)
        }
        #expect((blocks[videoSSRC] ?? 0) >= 1 && (blocks[f.audioSSRC] ?? 0) >= 1, "\(blocks)")
        #expect(twcc >= 1)
        #expect(sdes >= 1)
    }

    @Test func removingTheProducerSendsBYEAndRemovesConsumers() async throws {
        let f = try await RouterFixture(subscribers: 1, audio: false)
        defer { f.shutdown() }
        try await f.subscribe(1)
        try await f.startPublishing()
        let flowing = try await eventually(on: f.pair.clientLoop, timeout: .seconds(5)) { f.subscribers[0].packets.count > 10 }
        #expect(flowing)
        try await f.onServer { f.router.removeProducer(f.video) }
        let bye = try await eventually(on: f.pair.clientLoop, timeout: .seconds(5)) {
            f.subscribers[0].byes.contains(RouterTestTracks.videoSSRC(1))
        }
        #expect(bye)
        let (removed, paused, consumers, producers) = try await f.onServer {
            (f.events.removedProducers, f.events.paused.map(\.1), f.peers[1].consumers.count, f.router.producers.count)
        }
        #expect(removed == [f.video.id])
        #expect(paused == [true])
        #expect(consumers == 0 && producers == 0)
        try await f.stopPublishing()
    }
}
