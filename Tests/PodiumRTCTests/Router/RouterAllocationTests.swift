import Foundation
import Glibc
import PodiumMedia
import PodiumNet
import PodiumRTC
import PodiumWire
import Testing

/// Counts mallocs of the calling thread when the test process runs with the counting preload
/// library (Docs/Router.md, "Measuring allocations"); unavailable otherwise.
enum MallocCounter {
    typealias Start = @convention(c) () -> Void
    typealias Stop = @convention(c) () -> UInt64
    static let start: Start? = dlsym(nil, "podium_malloc_count_start").map { unsafeBitCast($0, to: Start.self) }
    static let stop: Stop? = dlsym(nil, "podium_malloc_count_stop").map { unsafeBitCast($0, to: Stop.self) }
    static var isAvailable: Bool { start != nil && stop != nil }
}

/// The per-packet path (ingest, buffer, NACK/TWCC bookkeeping, fan-out to 10 consumers with
/// rewrite, SRTP protect and batching) allocates nothing. Runs only under the preload counter:
///   LD_PRELOAD=/path/libpodium-malloc-count.so .build-x/debug/PodiumPackageTests.xctest \
///     --testing-library swift-testing --filter RouterAllocationTests
@Suite(.serialized) struct RouterAllocationTests {
    @Test(.enabled(if: MallocCounter.isAvailable)) func fanOutToTenConsumersAllocatesNothingPerPacket() async throws {
        let f = try await RouterFixture(subscribers: 10, audio: false)
        defer { f.shutdown() }
        for i in 1 ... 10 { try await f.subscribe(i) }
        try await f.startPublishing()
        let started = try await eventually(on: f.pair.serverLoop, timeout: .seconds(10)) {
            f.videoConsumers.compactMap { $0 }.allSatisfy { $0.stats.packetsSent > 0 }
        }
        #expect(started)
        try await f.stopPublishing()
        try await Task.sleep(for: .milliseconds(200))

        // Continue the publisher's stream: its last packet, renumbered, 240 times.
        let videoSSRC = f.videoSSRC
        let last = try await f.onClient { () -> [UInt8] in
            let sent = f.publisher.publisher.sink.sent[videoSSRC]!
            let top = sent.keys.max { Int16(bitPattern: $0 &- $1) < 0 }!
            return sent[top]!
        }
        let count = 240
        let slot = 1500
        let packets = LoopBox(UnsafeMutableRawBufferPointer.allocate(byteCount: count * slot, alignment: 16))
        defer { packets.value.deallocate() }
        let (seq, ts) = last.withUnsafeBytes { b in (b.loadBigEndianUInt16(at: 2), b.loadBigEndianUInt32(at: 4)) }
        for k in 0 ..< count {
            let p = UnsafeMutableRawBufferPointer(rebasing: packets.value[k * slot ..< k * slot + last.count])
            p.copyBytes(from: last)
            p.storeBigEndian(seq &+ UInt16(k + 1), at: 2)
            p.storeBigEndian(ts &+ UInt32(k / 4 + 1) &* 3000, at: 4)
        }
        let length = last.count
        let (mallocs, sentBefore, sentAfter) = try await f.onServer { () -> (UInt64, UInt64, UInt64) in
            let peer = f.peers[0]
            let before = f.videoConsumers.compactMap { $0?.stats.packetsSent }.reduce(0, +)
            func deliver(_ k: Int) {
                peer.transport(peer.transport, didReceiveRTP: UnsafeMutableRawBufferPointer(rebasing: packets.value[k * slot ..< k * slot + length]))
            }
            for k in 0 ..< 40 { deliver(k) }  // warm-up: lazily created state, first batch flushes
            let t0 = MonotonicTime.now()
            MallocCounter.start!()
            for k in 40 ..< count { deliver(k) }
            let n = MallocCounter.stop!()
            let elapsed = MonotonicTime.now() - t0
            // For information (the build's optimisation level decides it): not asserted.
            print("router fan-out: \(elapsed / ((count - 40) * 10)) per forwarded packet (10 consumers, SRTP included)")
            let after = f.videoConsumers.compactMap { $0?.stats.packetsSent }.reduce(0, +)
            return (n, before, after)
        }
        #expect(sentAfter - sentBefore == UInt64(count * 10), "every packet went to every consumer")
        #expect(mallocs == 0, "\(mallocs) mallocs for \(count - 40) packets × 10 consumers")
    }
}
