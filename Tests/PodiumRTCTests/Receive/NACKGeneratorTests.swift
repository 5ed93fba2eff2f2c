import PodiumRTC
import PodiumWire
import Testing

private let ms: UInt64 = 1_000_000
private let second: UInt64 = 1_000_000_000

/// Gap detection, the request/retry/give-up schedule, recovery, wrap-around, bounds, keyframes, and
/// the NACK packet the requests become.
@Suite struct NACKGeneratorTests {
    typealias Outcome = NACKGenerator.Outcome

    static func poll(_ g: NACKGenerator, now: UInt64, rtt: UInt64? = nil, capacity: Int = 64) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: capacity)
        let n = out.withUnsafeMutableBufferPointer { g.pollNACK(now: now, rtt: rtt, into: $0) }
        return Array(out[..<n])
    }

    /// Polls every millisecond from `from` to `to` and records when each request went out.
    static func schedule(_ g: NACKGenerator, from: UInt64, to: UInt64, rtt: UInt64?) -> [(UInt64, [UInt16])] {
        var sent: [(UInt64, [UInt16])] = []
        var t = from
        while t <= to {
            let lost = poll(g, now: t, rtt: rtt)
            if !lost.isEmpty { sent.append((t, lost)) }
            t += ms
        }
        return sent
    }

    @Test func singleLossIsRequestedAfterTheReorderDelay() {
        let g = NACKGenerator()
        #expect(g.received(sequenceNumber: 100, now: 0) == .inOrder)
        #expect(g.received(sequenceNumber: 101, now: 1 * ms) == .inOrder)
        #expect(g.received(sequenceNumber: 103, now: 2 * ms) == .gap(missing: 1))
        #expect(g.missingSequenceNumbers == [102])
        #expect(Self.poll(g, now: 2 * ms).isEmpty)
        #expect(Self.poll(g, now: 11 * ms).isEmpty)
        #expect(g.nextDeadline == 12 * ms)
        #expect(Self.poll(g, now: 12 * ms) == [102])
        #expect(Self.poll(g, now: 13 * ms).isEmpty)
        #expect(g.counters.requested == 1 && g.counters.retried == 0)
    }

    @Test func zeroReorderDelayAsksAtTheNextPoll() {
        let g = NACKGenerator(configuration: .init(reorderDelay: 0))
        g.received(sequenceNumber: 1, now: 5 * ms)
        g.received(sequenceNumber: 4, now: 5 * ms)
        #expect(Self.poll(g, now: 5 * ms) == [2, 3])
    }

    @Test(arguments: [(UInt64?.some(50 * ms), UInt64(50 * ms)), (.some(5 * ms), 20 * ms), (nil, 100 * ms)])
    func retriesAreSpacedByRTTAtLeastTheMinimum(rtt: UInt64?, spacing: UInt64) {
        let g = NACKGenerator(configuration: .init(maxAge: 10 * second, maxRequests: 4))
        g.received(sequenceNumber: 10, now: 0)
        g.received(sequenceNumber: 12, now: 0)
        let sent = Self.schedule(g, from: 0, to: 2 * second, rtt: rtt)
        #expect(sent.map(\.0) == [10 * ms, 10 * ms + spacing, 10 * ms + 2 * spacing, 10 * ms + 3 * spacing])
        #expect(sent.allSatisfy { $0.1 == [11] })
        // Given up when the fifth would be due.
        #expect(g.missingCount == 0)
        #expect(g.counters.requested == 1 && g.counters.retried == 3 && g.counters.givenUp == 1)
    }

    @Test func givenUpAfterTenRequestsByDefault() {
        let g = NACKGenerator(configuration: .init(maxAge: 60 * second))
        g.received(sequenceNumber: 1, now: 0)
        g.received(sequenceNumber: 3, now: 0)
        let sent = Self.schedule(g, from: 0, to: 3 * second, rtt: 30 * ms)
        #expect(sent.count == 10)
        #expect(g.counters.givenUp == 1 && g.counters.retried == 9 && g.missingCount == 0)
        #expect(g.nextDeadline == nil)
        // A retransmission arriving after that is just late.
        #expect(g.received(sequenceNumber: 2, now: 3 * second) == .duplicateOrLate)
    }

    @Test func givenUpAfterMaxAge() {
        let g = NACKGenerator(configuration: .init(maxAge: 1 * second))
        g.received(sequenceNumber: 1, now: 0)
        g.received(sequenceNumber: 3, now: 0)
        // RTT 400 ms: requests at 10, 410, 810 ms; at 1 s it is too old.
        let sent = Self.schedule(g, from: 0, to: 2 * second, rtt: 400 * ms)
        #expect(sent.map(\.0) == [10 * ms, 410 * ms, 810 * ms])
        #expect(g.counters.givenUp == 1 && g.missingCount == 0)
        #expect(g.nextDeadline == nil)
    }

    @Test func recoveryRemovesAndIsCounted() {
        let g = NACKGenerator()
        g.received(sequenceNumber: 1, now: 0)
        #expect(g.received(sequenceNumber: 5, now: 0) == .gap(missing: 3))
        // 2 arrives late before any request: reordering.
        #expect(g.received(sequenceNumber: 2, now: 3 * ms) == .recovered(requested: false))
        #expect(Self.poll(g, now: 10 * ms) == [3, 4])
        // 3 comes back through RTX.
        #expect(g.received(sequenceNumber: 3, now: 40 * ms) == .recovered(requested: true))
        #expect(g.received(sequenceNumber: 3, now: 41 * ms) == .duplicateOrLate)
        #expect(g.missingSequenceNumbers == [4])
        #expect(Self.poll(g, now: 200 * ms) == [4])
        #expect(g.counters.recovered == 1 && g.counters.reordered == 1 && g.counters.requested == 2 && g.counters.retried == 1)
    }

    @Test(arguments: Array(UInt16(65_500)...UInt16.max) + Array(0...40) + Array(32_740...32_800))
    func wrapAround(start: UInt16) {
        let g = NACKGenerator(configuration: .init(reorderDelay: 0))
        var expectedLost: [UInt16] = []
        var seq = start
        g.received(sequenceNumber: seq, now: 0)
        for i in 1...100 {
            seq &+= 1
            if i % 7 == 3 || i % 13 == 0 { expectedLost.append(seq); continue }
            g.received(sequenceNumber: seq, now: 0)
        }
        #expect(g.highestSequenceNumber == start &+ 100)
        #expect(g.missingSequenceNumbers == expectedLost)
        #expect(Self.poll(g, now: 0) == expectedLost)
        for s in expectedLost { #expect(g.received(sequenceNumber: s, now: 1 * ms) == .recovered(requested: true)) }
        #expect(g.missingCount == 0)
    }

    @Test func wrapAroundNACKItemSpansZero() throws {
        let g = NACKGenerator(configuration: .init(reorderDelay: 0))
        for s: UInt16 in [65_533, 65_534, 1] { g.received(sequenceNumber: s, now: 0) }
        let lost = Self.poll(g, now: 0)
        #expect(lost == [65_535, 0])
        let nack = try Self.nackBytes(lost)
        try nack.withUnsafeBytes { raw in
            let parsed = try GenericNACK(parsing: raw)
            #expect(Array(parsed.items) == [NACKItem(pid: 65_535, blp: 0b1)])
        }
    }

    @Test func burstLossIsBoundedAndAsksForAKeyframe() {
        let g = NACKGenerator(configuration: .init(maxMissing: 1000))
        g.received(sequenceNumber: 0, now: 0)
        #expect(g.received(sequenceNumber: 1000, now: 0) == .gap(missing: 999))
        // One more missing fits exactly; two more do not.
        #expect(g.received(sequenceNumber: 1002, now: 0) == .gap(missing: 1))
        #expect(g.missingCount == 1000)
        #expect(g.received(sequenceNumber: 1004, now: 0) == .keyframeNeeded)
        #expect(g.missingCount == 0 && g.counters.cleared == 1000 && g.counters.keyframeRequests == 1)
        #expect(g.highestSequenceNumber == 1004)
        // A single jump over the limit, and a huge one (a restart), do the same.
        #expect(g.received(sequenceNumber: 1004 + 1002, now: 0) == .keyframeNeeded)
        #expect(g.received(sequenceNumber: 2006 + 30_000, now: 0) == .keyframeNeeded)
        #expect(g.missingCount == 0 && g.counters.keyframeRequests == 3)
        // Afterwards it works from the new highest.
        #expect(g.received(sequenceNumber: 32_008, now: 0) == .gap(missing: 1))
        #expect(g.missingSequenceNumbers == [32_007])
    }

    @Test func keyframeClearsOlderMissingPackets() {
        let g = NACKGenerator()
        for s: UInt16 in [1, 2, 3, 4, 7] { g.received(sequenceNumber: s, now: 0) }
        #expect(g.missingSequenceNumbers == [5, 6])
        // A keyframe starts at 10: 5 and 6 are useless, and 8, 9 are not even listed.
        #expect(g.received(sequenceNumber: 10, keyframeStart: true, now: 1 * ms) == .inOrder)
        #expect(g.missingCount == 0 && g.counters.cleared == 2)
        #expect(Self.poll(g, now: 1 * second).isEmpty)
        // Later losses are tracked again.
        #expect(g.received(sequenceNumber: 12, now: 2 * ms) == .gap(missing: 1))
    }

    @Test func lateKeyframePacketClearsOnlyWhatPrecedesIt() {
        let g = NACKGenerator()
        for s: UInt16 in [1, 4, 7] { g.received(sequenceNumber: s, now: 0) }
        #expect(g.missingSequenceNumbers == [2, 3, 5, 6])
        // 5 was missing and turns out to start a keyframe.
        #expect(g.received(sequenceNumber: 5, keyframeStart: true, now: 1 * ms) == .recovered(requested: false))
        #expect(g.missingSequenceNumbers == [6])
        #expect(g.counters.cleared == 2)
    }

    @Test func absurdRTTDoesNotWrapTheNextRequestIntoThePast() {
        let g = NACKGenerator(configuration: .init(reorderDelay: 0))
        g.received(sequenceNumber: 0, now: 5 * second)
        g.received(sequenceNumber: 2, now: 5 * second)
        #expect(Self.poll(g, now: 5 * second, rtt: .max) == [1])
        #expect(Self.poll(g, now: 5 * second + 50 * ms, rtt: .max).isEmpty)
        // Still given up by age.
        #expect(Self.poll(g, now: 6 * second, rtt: .max).isEmpty)
        #expect(g.counters.givenUp == 1 && g.missingCount == 0)
    }

    @Test func fullOutputBufferLeavesTheRestDue() {
        let g = NACKGenerator(configuration: .init(reorderDelay: 0))
        g.received(sequenceNumber: 0, now: 0)
        g.received(sequenceNumber: 6, now: 0)
        #expect(Self.poll(g, now: 0, capacity: 2) == [1, 2])
        #expect(Self.poll(g, now: 1 * ms, capacity: 2) == [3, 4])
        #expect(Self.poll(g, now: 2 * ms, capacity: 2) == [5])
        #expect(g.counters.requested == 5)
    }

    @Test func requestsBecomeAGenericNACKWithBitmasks() throws {
        let g = NACKGenerator(configuration: .init(reorderDelay: 0))
        var seq: UInt16 = 9
        g.received(sequenceNumber: seq, now: 0)
        let lost: Set<UInt16> = [10, 11, 13, 26, 27, 40]
        while seq < 45 {
            seq += 1
            if !lost.contains(seq) { g.received(sequenceNumber: seq, now: 0) }
        }
        let requested = Self.poll(g, now: 0)
        #expect(requested == [10, 11, 13, 26, 27, 40])
        let bytes = try Self.nackBytes(requested)
        #expect(bytes.count == 20)
        try bytes.withUnsafeBytes { raw in
            let nack = try GenericNACK(parsing: raw)
            #expect(nack.senderSSRC == 0xAAAA && nack.mediaSSRC == 0xBBBB)
            // PID 10: 11 (bit 0), 13 (bit 2), 26 (bit 15). PID 27: 40 (bit 12).
            #expect(Array(nack.items) == [NACKItem(pid: 10, blp: 0x8005), NACKItem(pid: 27, blp: 0x1000)])
            #expect(Array(nack.lostSequenceNumbers) == requested)
        }
    }

    static func nackBytes(_ lost: [UInt16]) throws -> [UInt8] {
        try lost.withUnsafeBufferPointer { list in
            var bytes = [UInt8](repeating: 0, count: NACKGenerator.nackSize(lost: list))
            let n = try bytes.withUnsafeMutableBytes { raw in
                try NACKGenerator.writeNACK(senderSSRC: 0xAAAA, mediaSSRC: 0xBBBB, lost: list, into: raw)
            }
            #expect(n == bytes.count)
            return bytes
        }
    }

    @Test func resetForgetsEverything() {
        let g = NACKGenerator()
        g.received(sequenceNumber: 1, now: 0)
        g.received(sequenceNumber: 5, now: 0)
        g.reset()
        #expect(g.missingCount == 0 && g.highestSequenceNumber == nil && g.counters.cleared == 3)
        #expect(g.received(sequenceNumber: 40_000, now: 0) == .inOrder)
    }

    /// Hostile input: random sequence numbers and times (backwards too) never trap and the list
    /// stays within its bound.
    @Test(arguments: [21, 22, 23] as [UInt64])
    func randomInputStaysBounded(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let g = NACKGenerator(configuration: .init(maxMissing: 100, reorderDelay: UInt64(rng.below(30)) * ms))
        var out = [UInt16](repeating: 0, count: 8)
        var seq = rng.next16()
        for _ in 0..<50_000 {
            switch rng.below(10) {
            case 0: seq = rng.next16()
            case 1: seq &-= UInt16(rng.below(300))
            default: seq &+= UInt16(rng.below(40))
            }
            let now = rng.below(50) == 0 ? rng.next() : UInt64(rng.below(1 << 30))
            g.received(sequenceNumber: seq, keyframeStart: rng.below(500) == 0, now: now)
            if rng.below(4) == 0 {
                let n = out.withUnsafeMutableBufferPointer { g.pollNACK(now: now, rtt: rng.below(2) == 0 ? nil : rng.next(), into: $0) }
                #expect(n <= 8)
            }
            #expect(g.missingCount <= 100)
        }
        #expect(g.missingSequenceNumbers.count == g.missingCount)
    }

    /// Random arrivals (loss, reordering, duplicates, late RTX) against a plain set model, with a
    /// small list so the ring wraps and compacts often.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func matchesASetModel(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let maxMissing = 24
        let g = NACKGenerator(configuration: .init(maxMissing: maxMissing, maxAge: 60 * second, reorderDelay: 0, maxRequests: 1000))
        var model: [Int64] = []  // missing, sorted
        var highest: Int64 = 65_000
        g.received(sequenceNumber: UInt16(highest), now: 0)
        for _ in 0..<20_000 {
            let r = rng.below(100)
            if r < 60 || model.isEmpty {
                // Next packet, maybe after a gap.
                let gap = rng.below(10) < 8 ? 0 : rng.below(6)
                let ext = highest + Int64(gap) + 1
                let outcome = g.received(sequenceNumber: UInt16(truncatingIfNeeded: ext), now: 0)
                if model.count + gap > maxMissing {
                    #expect(outcome == .keyframeNeeded)
                    model.removeAll()
                } else {
                    #expect(outcome == (gap == 0 ? .inOrder : .gap(missing: gap)))
                    model.append(contentsOf: (highest + 1)..<ext)
                }
                highest = ext
            } else if r < 90 {
                let i = rng.below(model.count)
                let outcome = g.received(sequenceNumber: UInt16(truncatingIfNeeded: model[i]), now: 0)
                #expect(outcome == .recovered(requested: false))
                model.remove(at: i)
            } else {
                // Duplicate of something received.
                let back = Int64(rng.below(40))
                let s = highest - back
                guard !model.contains(s) else { continue }
                #expect(g.received(sequenceNumber: UInt16(truncatingIfNeeded: s), now: 0) == .duplicateOrLate)
            }
            #expect(g.missingSequenceNumbers == model.map { UInt16(truncatingIfNeeded: $0) })
        }
        #expect(Self.poll(g, now: 1 * ms, capacity: maxMissing) == model.map { UInt16(truncatingIfNeeded: $0) })
    }
}
