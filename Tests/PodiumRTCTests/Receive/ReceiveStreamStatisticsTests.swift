import PodiumRTC
import PodiumWire
import Testing

private let ms: UInt64 = 1_000_000
private let second: UInt64 = 1_000_000_000

/// RFC 3550 Appendix A.1/A.3/A.8 receiver statistics and the report block they produce.
@Suite struct ReceiveStreamStatisticsTests {
    typealias Disposition = ReceiveStreamStatistics.Disposition

    /// A source made valid by the probation packets `start − 1`, `start`: A.1 then counts from
    /// `start` (base_seq), so expected = received = 1.
    static func valid(start: UInt16, clockRate: UInt32 = 90_000) -> ReceiveStreamStatistics {
        var s = ReceiveStreamStatistics(ssrc: 0x1234, clockRate: clockRate)
        s.received(sequenceNumber: start &- 1, rtpTimestamp: 0, size: 100, at: 0)
        s.received(sequenceNumber: start, rtpTimestamp: 0, size: 100, at: 0)
        return s
    }

    /// `makeReportBlock`, required to give a block.
    static func report(_ s: inout ReceiveStreamStatistics, now: UInt64) throws -> ReportBlock {
        let block = s.makeReportBlock(now: now)
        return try #require(block)
    }

    @discardableResult
    static func feed(_ s: inout ReceiveStreamStatistics, _ seqs: [UInt16]) -> [Disposition] {
        seqs.map { s.received(sequenceNumber: $0, rtpTimestamp: 0, size: 100, at: 0) }
    }

    // MARK: A.1 probation and restart

    @Test func twoSequentialPacketsMakeTheSourceValid() {
        var s = ReceiveStreamStatistics(ssrc: 7, clockRate: 90_000)
        #expect(s.received(sequenceNumber: 500, rtpTimestamp: 0, size: 10, at: 0) == .probation)
        #expect(!s.isValid)
        #expect(s.makeReportBlock(now: 0) == nil)
        #expect(s.received(sequenceNumber: 501, rtpTimestamp: 0, size: 10, at: 0) == .inOrder)
        #expect(s.isValid)
        // init_seq ran on 501: it is the base, the probation packet is not counted.
        #expect(s.expectedPackets == 1 && s.receivedPackets == 1 && s.cumulativeLost == 0)
        #expect(s.extendedHighestSequence == 501)
        #expect(s.counters.packets == 2 && s.counters.bytes == 20 && s.counters.probation == 1)
        let block = s.makeReportBlock(now: 0)
        #expect(block?.ssrc == 7 && block?.extendedHighestSequence == 501 && block?.cumulativeLost == 0)
    }

    @Test func outOfSequenceProbationStartsOver() {
        var s = ReceiveStreamStatistics(ssrc: 7, clockRate: 90_000)
        #expect(Self.feed(&s, [10, 12, 20, 21]) == [.probation, .probation, .probation, .inOrder])
        #expect(s.isValid && s.extendedHighestSequence == 21 && s.expectedPackets == 1)
    }

    @Test func probationPacketAtSequenceZeroFollowsMaxMinusOne() {
        var s = ReceiveStreamStatistics(ssrc: 7, clockRate: 90_000)
        #expect(Self.feed(&s, [65535, 0, 1]) == [.probation, .inOrder, .inOrder])
        // Validated at 0: the wrap happened before init_seq, so no cycle is counted.
        #expect(s.extendedHighestSequence == 1 && s.expectedPackets == 2 && s.cumulativeLost == 0)
    }

    @Test func twoSequentialPacketsAfterABigJumpRestart() {
        var s = Self.valid(start: 100)
        Self.feed(&s, Array(101...109))
        #expect(s.received(sequenceNumber: 40_000, rtpTimestamp: 0, size: 1, at: 0) == .badSequence)
        #expect(s.extendedHighestSequence == 109)
        #expect(s.received(sequenceNumber: 40_001, rtpTimestamp: 0, size: 1, at: 0) == .restarted)
        #expect(s.extendedHighestSequence == 40_001)
        // init_seq(40 001): the counts start again from there.
        #expect(s.expectedPackets == 1 && s.receivedPackets == 1 && s.cumulativeLost == 0)
        #expect(s.counters.restarts == 1 && s.counters.badSequence == 1)
        #expect(s.received(sequenceNumber: 40_002, rtpTimestamp: 0, size: 1, at: 0) == .inOrder)
    }

    @Test func aSingleStrayPacketDoesNotRestart() {
        var s = Self.valid(start: 100)
        // Why: A.1 keeps bad_seq across good packets, so the stray's successor (30 001) would still
        // restart; a second stray elsewhere does not.
        #expect(Self.feed(&s, [101, 30_000, 102, 30_002, 103]) == [.inOrder, .badSequence, .inOrder, .badSequence, .inOrder])
        #expect(s.extendedHighestSequence == 103 && s.expectedPackets == 4 && s.receivedPackets == 4)
    }

    @Test func farBehindIsABadSequenceNotAReorder() {
        var s = Self.valid(start: 1000)
        Self.feed(&s, Array(1001...1200))
        // 101 behind: beyond MAX_MISORDER, treated like a jump.
        #expect(s.received(sequenceNumber: 1099, rtpTimestamp: 0, size: 1, at: 0) == .badSequence)
        // 99 behind: a reordered packet (here a duplicate, it was received).
        #expect(s.received(sequenceNumber: 1101, rtpTimestamp: 0, size: 1, at: 0) == .duplicate)
        #expect(s.receivedPackets == 201)
    }

    @Test func jumpBelowMaxDropoutIsLoss() {
        var s = Self.valid(start: 10)
        #expect(s.received(sequenceNumber: 10 + 3000, rtpTimestamp: 0, size: 1, at: 0) == .badSequence)
        #expect(s.received(sequenceNumber: 10 + 2999, rtpTimestamp: 0, size: 1, at: 0) == .inOrder)
        #expect(s.expectedPackets == 3000 && s.receivedPackets == 2 && s.cumulativeLost == 2998)
    }

    // MARK: Wrap-around

    @Test(arguments: Array(UInt16(65_000)...UInt16.max) + Array(0...300) + Array(32_600...32_900))
    func wrapAroundExtendsTheHighestSequence(start: UInt16) {
        var s = Self.valid(start: start)
        var seq = start
        for _ in 0..<400 {
            seq &+= 1
            s.received(sequenceNumber: seq, rtpTimestamp: 0, size: 1, at: 0)
        }
        #expect(s.extendedHighestSequence == UInt32(start) + 400)
        #expect(s.expectedPackets == 401 && s.receivedPackets == 401 && s.cumulativeLost == 0)
    }

    @Test func manyCyclesWithPeriodicLoss() {
        var s = Self.valid(start: 65_000)
        var seq: UInt16 = 65_000
        var lost = 0
        for i in 1...(7 * 65_536 + 123) {
            seq &+= 1
            if i % 1000 == 0 { lost += 1; continue }
            s.received(sequenceNumber: seq, rtpTimestamp: 0, size: 1, at: 0)
        }
        #expect(s.extendedHighestSequence == 65_000 + 7 * 65_536 + 123)
        #expect(s.cumulativeLost == Int64(lost))
        #expect(s.expectedPackets == UInt64(7 * 65_536 + 124))
    }

    @Test func reorderingAcrossTheWrapDoesNotCountACycleTwice() {
        var s = Self.valid(start: 65_533)
        #expect(Self.feed(&s, [65_534, 0, 65_535, 1]) == [.inOrder, .inOrder, .reordered, .inOrder])
        #expect(s.extendedHighestSequence == 65_536 + 1)
        #expect(s.cumulativeLost == 0 && s.expectedPackets == 5)
    }

    // MARK: Reordering and duplicates

    @Test func latePacketsAreNotLost() {
        var s = Self.valid(start: 1)
        #expect(Self.feed(&s, [2, 3, 5, 6, 4, 8, 7]) == [.inOrder, .inOrder, .inOrder, .inOrder, .reordered, .inOrder, .reordered])
        #expect(s.expectedPackets == 8 && s.receivedPackets == 8 && s.cumulativeLost == 0)
        #expect(s.counters.reordered == 2)
        #expect(s.makeReportBlock(now: 0)?.fractionLost == 0)
    }

    @Test func duplicatesDoNotInflateReceived() {
        var s = Self.valid(start: 1)
        // 4 is lost; 3 and 2 arrive twice.
        #expect(Self.feed(&s, [2, 3, 3, 5, 2, 6]) == [.inOrder, .inOrder, .duplicate, .inOrder, .duplicate, .inOrder])
        #expect(s.expectedPackets == 6 && s.receivedPackets == 5 && s.cumulativeLost == 1)
        #expect(s.counters.duplicates == 2 && s.counters.packets == 2 + 6)
    }

    @Test func duplicateOfARecoveredPacketIsStillADuplicate() {
        var s = Self.valid(start: 100)
        Self.feed(&s, [102, 103])
        #expect(Self.feed(&s, [101, 101]) == [.reordered, .duplicate])
        #expect(s.cumulativeLost == 0)
    }

    // MARK: A.3 loss

    @Test func fractionAndCumulativeLossPerInterval() throws {
        var s = Self.valid(start: 1000)
        // Interval 1: 1000...1099 expected (100), 10 lost (every 10th after the base).
        for seq in UInt16(1001)...1099 where seq % 10 != 5 { s.received(sequenceNumber: seq, rtpTimestamp: 0, size: 1, at: 0) }
        let b1 = try Self.report(&s, now: 0)
        #expect(b1.extendedHighestSequence == 1099)
        #expect(b1.cumulativeLost == 10)
        #expect(b1.fractionLost == 25)  // 10 × 256 / 100 = 25.6
        // Interval 2: 1100...1149, 5 lost.
        for seq in UInt16(1100)...1149 where !(1120...1124).contains(seq) { s.received(sequenceNumber: seq, rtpTimestamp: 0, size: 1, at: 0) }
        let b2 = try Self.report(&s, now: 0)
        #expect(b2.cumulativeLost == 15)
        #expect(b2.fractionLost == 25)  // 5 × 256 / 50 = 25.6
        // Interval 3: nothing arrives.
        #expect(!s.hasReceivedSinceLastReport)
        #expect(s.makeReportBlock(now: 0)?.fractionLost == 0)
        // Interval 4: three of the lost arrive late plus 1150...1153: loss goes down, fraction 0.
        Self.feed(&s, [1120, 1121, 1122, 1150, 1151, 1152, 1153])
        let b4 = try Self.report(&s, now: 0)
        #expect(b4.cumulativeLost == 12 && b4.fractionLost == 0)
        // Interval 5: 1154...1157 with 1155, 1156, 1157 lost → 3/4.
        Self.feed(&s, [1154, 1158])
        let b5 = try Self.report(&s, now: 0)
        #expect(b5.fractionLost == 153)  // 3 × 256 / 5 = 153.6
        #expect(b5.cumulativeLost == 15)
    }

    @Test func everythingLostInAnIntervalIsFraction255() {
        var s = Self.valid(start: 1)
        _ = s.makeReportBlock(now: 0)
        // One packet after a gap of 2998: 2998 of 2999 lost, 255.9/256.
        s.received(sequenceNumber: 3000, rtpTimestamp: 0, size: 1, at: 0)
        #expect(s.makeReportBlock(now: 0)?.fractionLost == 255)
    }

    @Test func cumulativeLossClampsTo24Bits() {
        var s = Self.valid(start: 0)
        var seq: UInt16 = 0
        for _ in 0..<3000 {
            seq &+= 2999
            s.received(sequenceNumber: seq, rtpTimestamp: 0, size: 1, at: 0)
        }
        #expect(s.cumulativeLost == 3000 * 2998)
        #expect(s.cumulativeLost > 0x7F_FFFF)
        #expect(s.makeReportBlock(now: 0)?.cumulativeLost == 0x7F_FFFF)
    }

    // MARK: A.8 jitter

    /// Packets every 20 ms (1800 units at 90 kHz) with a transit delay `delay(i)`.
    static func jitterRun(count: Int, clockRate: UInt32 = 90_000, base: UInt64 = 0, delay: (Int) -> UInt64) -> ReceiveStreamStatistics {
        var s = ReceiveStreamStatistics(ssrc: 1, clockRate: clockRate)
        let step = UInt32(clockRate / 50)
        for i in 0..<count {
            s.received(sequenceNumber: UInt16(i), rtpTimestamp: 12_345 &+ UInt32(i) &* step, size: 1,
                       at: base + UInt64(i) * 20 * ms + delay(i))
        }
        return s
    }

    @Test(arguments: [0, 37 * ms, 2 * second])
    func constantDelayHasNoJitter(delay: UInt64) {
        let s = Self.jitterRun(count: 200) { _ in delay }
        #expect(s.jitter == 0)
    }

    @Test func alternatingDelayFollowsTheRecursion() {
        // Odd packets 10 ms late: every |D| is 900 units. J_i = J_{i−1} + (|D| − J_{i−1}) / 16, the
        // packet 0 is on probation, packet 1 (valid) sets the transit, packets 2… are samples.
        let count = 40
        let s = Self.jitterRun(count: count) { i in i % 2 == 1 ? 10 * ms : 0 }
        var j = 0.0
        for _ in 2..<count { j += (900 - j) / 16 }
        #expect(abs(Double(s.jitter) - j) <= 1, "jitter \(s.jitter), recursion \(j)")
        // 38 samples: 900 × (1 − (15/16)^38) ≈ 822.5.
        #expect((815...825).contains(s.jitter))
        #expect(abs(s.jitterSeconds - j / 90_000) < 2.0 / 90_000)
    }

    @Test func jitterConvergesToTheAlternatingAmplitude() {
        let s = Self.jitterRun(count: 400, clockRate: 48_000, base: 90 * 24 * 3600 * second) { i in i % 2 == 1 ? 5 * ms : 0 }
        // |D| = 5 ms at 48 kHz = 240 units; after 399 samples J ≈ 240 (integer rounding: 232…240).
        #expect((232...240).contains(s.jitter))
    }

    @Test func packetsOfOneFrameAndReorderedPacketsDoNotAddJitter() {
        var s = ReceiveStreamStatistics(ssrc: 1, clockRate: 90_000)
        s.received(sequenceNumber: 0, rtpTimestamp: 0, size: 1200, at: 0)  // probation
        var seq: UInt16 = 1
        for frame in 0..<30 {
            // 25 frames/s: 3600 units, 40 ms.
            let ts = UInt32(frame) * 3600
            let t0 = UInt64(frame) * 40 * ms
            // Five packets of a frame paced 2 ms apart: their spacing is not jitter.
            for p in 0..<5 {
                s.received(sequenceNumber: seq, rtpTimestamp: ts, size: 1200, at: t0 + UInt64(p) * 2 * ms)
                seq &+= 1
            }
        }
        // A very late reordered packet is not a jitter sample either.
        s.received(sequenceNumber: seq &- 3, rtpTimestamp: 29 * 3600, size: 1200, at: 2 * second)
        #expect(s.jitter == 0)
        #expect(s.counters.reordered == 0 && s.counters.duplicates == 1)
    }

    // MARK: LSR / DLSR

    @Test func lastSenderReportAndDelaySince() throws {
        var s = Self.valid(start: 1)
        #expect(s.lastSenderReport(now: 5 * second) == (0, 0))
        let ntp = NTPTimestamp(seconds: 0x1234_5678, fraction: 0x9ABC_DEF0)
        s.receivedSenderReport(ntp: ntp, at: 10 * second)
        let block = try Self.report(&s, now: 10 * second + 1500 * ms)
        #expect(block.lastSenderReport == 0x5678_9ABC)
        #expect(block.delaySinceLastSenderReport == 98_304)  // 1.5 × 65 536
        // 1 ms is 65.536 units: truncated.
        #expect(s.lastSenderReport(now: 10 * second + ms).dlsr == 65)
        // A report far in the future saturates, one "before" the SR says 0.
        #expect(s.lastSenderReport(now: 10 * second + 70_000 * second).dlsr == .max)
        #expect(s.lastSenderReport(now: 9 * second).dlsr == 0)
        #expect(s.counters.senderReports == 1)
    }

    @Test func parsedSenderReportFeedsLSR() throws {
        var s = Self.valid(start: 1)
        let sr = SenderReport(ssrc: 0x1234, ntpTimestamp: 0xAAAA_BBBB_CCCC_DDDD, rtpTimestamp: 0, packetCount: 0, octetCount: 0)
        s.receivedSenderReport(sr, at: 0)
        let block = try Self.report(&s, now: 0)
        #expect(block.lastSenderReport == 0xBBBB_CCCC)
    }

    // MARK: RR through PodiumWire

    @Test func receiverReportRoundTrips() throws {
        var s = Self.valid(start: 65_530)
        var t: UInt64 = 0
        var seq: UInt16 = 65_530
        for i in 0..<50 {
            seq &+= 1
            t += 20 * ms
            if i == 7 || i == 8 { continue }
            s.received(sequenceNumber: seq, rtpTimestamp: UInt32(i) * 1800, size: 1000, at: t + (i % 2 == 0 ? 4 * ms : 0))
        }
        s.receivedSenderReport(ntp: NTPTimestamp(seconds: 0xE000_0001, fraction: 0x8000_0000), at: t)
        let block = try Self.report(&s, now: t + 250 * ms)
        let blocks = [block]
        var bytes = [UInt8](repeating: 0, count: 64)
        let written = try blocks.withUnsafeBufferPointer { list in
            try bytes.withUnsafeMutableBytes { raw in
                try ReceiverReport(ssrc: 0xFEED, reportBlocks: RTCPList(list)).write(into: raw)
            }
        }
        #expect(written == 32)
        try bytes.withUnsafeBytes { raw in
            let rr = try ReceiverReport(parsing: UnsafeRawBufferPointer(rebasing: raw[..<written]))
            #expect(rr.ssrc == 0xFEED && rr.reportBlocks.count == 1)
            let b = rr.reportBlocks[0]
            #expect(b == block)
            #expect(b.ssrc == 0x1234)
            #expect(b.extendedHighestSequence == 65_536 + 44)  // one cycle, then seq 44
            #expect(b.cumulativeLost == 2)
            #expect(b.fractionLost == 10)  // 2 × 256 / 51 = 10.04
            #expect(b.jitter > 0)
            #expect(b.lastSenderReport == 0x0001_8000)
            #expect(b.delaySinceLastSenderReport == 16_384)  // 0.25 s
        }
    }

    /// Hostile input: random sequence numbers, timestamps, sizes and times (going backwards too)
    /// never trap, and the report stays within its fields' ranges.
    @Test(arguments: [11, 12, 13] as [UInt64])
    func randomInputNeverTraps(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var s = ReceiveStreamStatistics(ssrc: 1, clockRate: UInt32(rng.next(in: 1...200_000)))
        var seq = rng.next16()
        for i in 0..<50_000 {
            switch rng.below(10) {
            case 0: seq = rng.next16()
            case 1: seq &-= UInt16(rng.below(200))
            default: seq &+= UInt16(rng.below(3))
            }
            s.received(sequenceNumber: seq, rtpTimestamp: rng.next32(), size: rng.next(in: -5...70_000), at: rng.next())
            if i % 97 == 0 { s.receivedSenderReport(ntp: NTPTimestamp(rawValue: rng.next()), at: rng.next()) }
            if i % 101 == 0, let block = s.makeReportBlock(now: rng.next()) {
                #expect((-0x80_0000...0x7F_FFFF).contains(block.cumulativeLost))
            }
        }
        #expect(s.counters.packets == 50_000)
    }

    @Test func layoutStaysSmall() {
        #expect(MemoryLayout<ReceiveStreamStatistics>.size <= 256)
    }
}

/// The RR for several streams as Docs/Receiving.md builds it: blocks in a buffer allocated once.
@Suite struct ReceiverReportBuildingTests {
    @Test func severalStreamsIntoOneReceiverReport() throws {
        var streams = (0..<3).map { ReceiveStreamStatistics(ssrc: 100 + UInt32($0), clockRate: 90_000) }
        for i in streams.indices where i != 1 {
            for seq in UInt16(0)...UInt16(20) where seq != 7 {
                streams[i].received(sequenceNumber: seq, rtpTimestamp: 0, size: 1, at: 0)
            }
        }
        let blocks = UnsafeMutableBufferPointer<ReportBlock>.allocate(capacity: 31)
        defer { blocks.deallocate() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 4)
        defer { buffer.deallocate() }
        let now: UInt64 = 0
        var n = 0
        for i in streams.indices where streams[i].hasReceivedSinceLastReport && n < blocks.count {
            if let block = streams[i].makeReportBlock(now: now) { blocks[n] = block; n += 1 }
        }
        let list = RTCPList(UnsafeBufferPointer(rebasing: blocks[..<n]))
        let size = try ReceiverReport(ssrc: 9, reportBlocks: list).write(into: buffer)
        #expect(size == 8 + 2 * 24)
        let rr = try ReceiverReport(parsing: UnsafeRawBufferPointer(rebasing: buffer[..<size]))
        #expect(rr.reportBlocks.map(\.ssrc) == [100, 102])
        // Validated at seq 1 (0 was probation): 1...20 expected, 7 lost.
        #expect(rr.reportBlocks.allSatisfy { $0.cumulativeLost == 1 && $0.extendedHighestSequence == 20 && $0.fractionLost == 12 })
    }
}
