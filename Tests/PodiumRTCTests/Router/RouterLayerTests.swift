import Foundation
import PodiumMedia
import PodiumNet
import PodiumRTC
import PodiumWire
import Testing

/// Until issue 5's allocator, a consumer follows the highest simulcast encoding that arrives: a
/// browser starts its top layer late and pauses layers under congestion.
@Suite(.serialized) struct RouterLayerTests {
    /// What subscriber 1 received on its video SSRC, checked as one stream: gapless, each switch
    /// landing on a keyframe start.
    static func videoPackets(_ f: RouterFixture) async throws -> [RTPView] {
        try await f.onClient { f.subscribers[0].packets(ssrc: RouterTestTracks.videoSSRC(1)) }
    }

    static func gaps(_ packets: [RTPView]) -> [UInt16] {
        var gaps: [UInt16] = []
        for (a, b) in zip(packets, packets.dropFirst()) where b.sequenceNumber != a.sequenceNumber &+ 1 {
            gaps.append(a.sequenceNumber)
        }
        return gaps
    }

    @Test func consumerFollowsTheLayersThatArrive() async throws {
        let f = try await RouterFixture(subscribers: 1, layers: 2, audio: false)
        defer { f.shutdown() }
        let low = f.publisherConfiguration.videoSSRCs[0]
        let high = f.publisherConfiguration.videoSSRCs[1]
        // The top layer has not started yet (Chromium ramps it up after 10–30 s).
        try await f.onClient { (f.publisher.publisher.sink as RecordingSink).withheld = [high] }
        try await f.startPublishing()
        try await Task.sleep(for: .milliseconds(600))
        try await f.subscribe(1)

        // 1. The consumer starts on the layer that arrives, not on the silent top one.
        var received = false
        for _ in 0 ..< 40 where !received {
            try await Task.sleep(for: .milliseconds(100))
            received = try await Self.videoPackets(f).count >= 20
        }
        #expect(received, "nothing forwarded while the top layer was silent")
        #expect(try await f.onServer { f.videoConsumers[1]!.encodingIndex } == 0)

        // 2. The top layer starts: the consumer moves up at one of its keyframes.
        let before = try await Self.videoPackets(f).count
        try await f.onClient { (f.publisher.publisher.sink as RecordingSink).withheld = [] }
        var movedUp = false
        for _ in 0 ..< 40 where !movedUp {
            try await Task.sleep(for: .milliseconds(100))
            movedUp = try await f.onServer { f.videoConsumers[1]!.encodingIndex } == 1
        }
        #expect(movedUp, "the consumer stayed on the low layer")
        try await Task.sleep(for: .milliseconds(500))

        // 3. The top layer stops: the consumer falls back within about a second.
        try await f.onClient { (f.publisher.publisher.sink as RecordingSink).withheld = [high] }
        var movedDown = false
        for _ in 0 ..< 40 where !movedDown {
            try await Task.sleep(for: .milliseconds(100))
            movedDown = try await f.onServer { f.videoConsumers[1]!.encodingIndex } == 0
        }
        #expect(movedDown, "the consumer stayed on the stopped top layer")
        // Wait until low-layer packets flow again (a keyframe of it was requested at the switch).
        let lowPayloads: @Sendable () async throws -> Set<[UInt8]> = {
            let sent = try await f.onClient { f.publisher.publisher.sink.sent[low] ?? [:] }
            return Set(sent.values.map { Array($0.withUnsafeBytes { try! RTPPacket(parsing: $0).payload }) })
        }
        var resumed = false
        for _ in 0 ..< 40 where !resumed {
            try await Task.sleep(for: .milliseconds(100))
            if let last = try await Self.videoPackets(f).last {
                resumed = try await lowPayloads().contains(last.payload)
            }
        }
        #expect(resumed, "no low-layer packet after falling back")
        try await f.stopPublishing()
        try await Task.sleep(for: .milliseconds(200))

        let packets = try await Self.videoPackets(f)
        #expect(packets.count > before)
        #expect(packets.first?.isVP8KeyframeStart == true)
        // Every change of source layer lands on a keyframe start; payloads tell the layers apart.
        let low0 = try await lowPayloads()
        var previous: RTPView?
        var switches = 0
        for p in packets {
            if let previous, low0.contains(previous.payload) != low0.contains(p.payload) {
                switches += 1
                #expect(p.isVP8KeyframeStart, "a layer switch at seq \(p.sequenceNumber) is not on a keyframe start")
            }
            previous = p
        }
        #expect(switches == 2, "expected up then down, saw \(switches) switches")
        // Why a tolerance: a loaded test machine can drop a datagram on loopback; the router's own
        // numbering is checked at the switches above.
        #expect(Self.gaps(packets).count <= 2, "sequence gaps after \(Self.gaps(packets).prefix(5))")
        // The router's own numbering is gapless (loopback loss aside): it sent at least as many
        // packets as the received numbers span, so it skipped no number, at a switch or elsewhere.
        let span = UInt64(packets.last!.sequenceNumber &- packets.first!.sequenceNumber) + 1
        let sentByRouter = try await f.onServer { f.videoConsumers[1]!.stats.packetsSent }
        #expect(sentByRouter >= span, "the router sent \(sentByRouter) packets for a span of \(span) numbers")
        for (a, b) in zip(packets, packets.dropFirst()) {
            #expect(Int32(bitPattern: b.timestamp &- a.timestamp) >= 0, "timestamps went backwards at seq \(b.sequenceNumber)")
        }
        let stats = try await f.onServer { f.videoConsumers[1]!.stats }
        #expect(stats.layerSwitches == 2)
    }
}
