import Testing
import PodiumTestSupport
import PodiumRTC
import PodiumWire

/// Transport-cc feedback towards publishers: every report is parsed back with PodiumWire's
/// `TransportCCFeedback` and compared with what was recorded (arrivals on 250 µs ticks, so exact).
@Suite struct TWCCFeedbackGeneratorTests {
    static let ms: UInt64 = 1_000_000
    static let tick: UInt64 = 250_000  // 250 µs in ns
    static let t0: UInt64 = 5_000 * ms

    /// One parsed feedback packet.
    struct Report {
        var size: Int
        var base: UInt16
        var count: Int
        var referenceTime: Int32
        var feedbackCount: UInt8
        var senderSSRC: UInt32
        var mediaSSRC: UInt32
        /// (sequence, arrival in µs or nil when reported not received), in order.
        var statuses: [(UInt16, Int64?)]
        var symbols: [UInt8]

        var received: [UInt16: Int64] {
            var d: [UInt16: Int64] = [:]
            for case let (s, a?) in statuses { d[s] = a }
            return d
        }
        var lost: [UInt16] { statuses.filter { $0.1 == nil }.map(\.0) }
    }

    static func generator(_ c: TWCCFeedbackGenerator.Configuration = .init(senderSSRC: 0xF00D)) -> TWCCFeedbackGenerator {
        let g = TWCCFeedbackGenerator(configuration: c)
        g.mediaSSRC = 0xBEEF
        return g
    }

    /// Builds feedback until none is left; parses each packet back.
    static func drain(_ g: TWCCFeedbackGenerator, now: UInt64, bufferSize: Int = 1500,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> [Report] {
        var reports: [Report] = []
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        for _ in 0..<10_000 {
            let n = try buffer.withUnsafeMutableBytes { (raw) throws(BufferTooSmall) in try g.buildFeedback(into: raw, now: now) }
            guard let n else { return reports }
            #expect(n % 4 == 0 && n <= g.configuration.maxPacketSize, sourceLocation: sourceLocation)
            let report = try withBytes(Array(buffer[0..<n])) { buf in
                let fb = try TransportCCFeedback(parsing: buf)
                return Report(size: n, base: fb.baseSequence, count: Int(fb.packetStatusCount), referenceTime: fb.referenceTime,
                              feedbackCount: fb.feedbackPacketCount, senderSSRC: fb.senderSSRC, mediaSSRC: fb.mediaSSRC,
                              statuses: fb.packets.map { ($0.sequence, $0.arrivalMicros) }, symbols: fb.packets.map(\.symbol))
            }
            reports.append(report)
        }
        Issue.record("feedback never ran out", sourceLocation: sourceLocation)
        return reports
    }

    static func micros(_ ns: UInt64) -> Int64 { Int64(ns / 1000) }

    @Test func knownArrivalPatternParsesBackExactly() throws {
        let g = Self.generator()
        var recorded: [UInt16: UInt64] = [:]
        let lost: Set<UInt16> = [15, 16, 22]
        for seq in UInt16(10)...29 where !lost.contains(seq) {
            // 1 ms apart with a 0–3 tick jitter.
            let arrival = Self.t0 + UInt64(seq - 10) * Self.ms + UInt64(seq % 4) * Self.tick
            g.record(sequence: seq, now: arrival)
            recorded[seq] = arrival
        }
        #expect(g.pendingCount == 17)
        // Due one interval after the first arrival (seq 10 at t0 + 2 ticks).
        let due = Self.t0 + 2 * Self.tick + 100 * Self.ms
        #expect(g.nextDeadline == due)
        #expect(!g.isDue(now: due - 1))
        #expect(g.isDue(now: due))
        let reports = try Self.drain(g, now: due)
        #expect(reports.count == 1)
        let r = try #require(reports.first)
        #expect(r.base == 10 && r.count == 20 && r.feedbackCount == 0)
        #expect(r.senderSSRC == 0xF00D && r.mediaSSRC == 0xBEEF)
        #expect(r.referenceTime == Int32(Self.t0 / (64 * Self.ms)))
        #expect(r.statuses.map(\.0) == Array(10...29))
        #expect(r.lost == [15, 16, 22])
        #expect(r.received == recorded.mapValues { Self.micros($0) })
        #expect(g.pendingCount == 0 && g.nextDeadline == nil)
        #expect(try Self.drain(g, now: Self.t0 + 200 * Self.ms).isEmpty)
        // The next feedback continues after 29 with the next count.
        g.record(sequence: 31, now: Self.t0 + 150 * Self.ms)
        let next = try Self.drain(g, now: Self.t0 + 250 * Self.ms)
        #expect(next.count == 1 && next[0].base == 30 && next[0].lost == [30] && next[0].feedbackCount == 1)
        #expect(next[0].received == [31: Self.micros(Self.t0 + 150 * Self.ms)])
    }

    @Test(arguments: [UInt16(65_500), 65_530, 65_535, 0, 32_767])
    func wrapsAroundAt65535(start: UInt16) throws {
        let g = Self.generator()
        var recorded: [UInt16: Int64] = [:]
        var seq = start
        for i in 0..<40 {
            let arrival = Self.t0 + UInt64(i) * 2 * Self.ms
            if i % 7 != 3 {
                g.record(sequence: seq, now: arrival)
                recorded[seq] = Self.micros(arrival)
            }
            seq &+= 1
        }
        let reports = try Self.drain(g, now: Self.t0 + 100 * Self.ms)
        #expect(reports.count == 1)
        #expect(reports[0].base == start && reports[0].count == 40)
        #expect(reports[0].received == recorded)
        #expect(reports[0].lost.count == 40 - recorded.count)
        // Continuity across feedback packets over the wrap: the next base follows the last status.
        g.record(sequence: seq, now: Self.t0 + 120 * Self.ms)
        let next = try Self.drain(g, now: Self.t0 + 200 * Self.ms)
        #expect(next.count == 1 && next[0].base == seq && next[0].count == 1)
    }

    @Test func reorderingAndNegativeDeltas() throws {
        let g = Self.generator()
        // Arrival order 1, 3, 2, 5, 4 (time increases as they arrive): in sequence order 2 and 4
        // arrived after 3 and 5, so their deltas from the previous packet are negative.
        let order: [(UInt16, UInt64)] = [(1, 0), (3, 4), (2, 8), (5, 12), (4, 16)]
        for (seq, t) in order { g.record(sequence: seq, now: Self.t0 + t * Self.tick) }
        let r = try #require(try Self.drain(g, now: Self.t0 + 100 * Self.ms).first)
        #expect(r.base == 1 && r.count == 5 && r.lost.isEmpty)
        for (seq, t) in order { #expect(r.received[seq] == Self.micros(Self.t0 + t * Self.tick)) }
        // 1:+0 small, 2:+8 small, 3:−4 large, 4:+12 small, 5:−4 large.
        #expect(r.symbols == [1, 1, 2, 1, 2])
        #expect(g.counters.received == 5 && g.counters.duplicates == 0)
    }

    @Test func duplicatesKeepTheFirstArrival() throws {
        let g = Self.generator()
        g.record(sequence: 7, now: Self.t0)
        g.record(sequence: 8, now: Self.t0 + 4 * Self.tick)
        g.record(sequence: 7, now: Self.t0 + 8 * Self.tick)
        #expect(g.counters.duplicates == 1 && g.pendingCount == 2)
        let r = try #require(try Self.drain(g, now: Self.t0 + 100 * Self.ms).first)
        #expect(r.received == [7: Self.micros(Self.t0), 8: Self.micros(Self.t0 + 4 * Self.tick)])
        // Also after its feedback was sent.
        g.record(sequence: 7, now: Self.t0 + 200 * Self.ms)
        #expect(g.counters.duplicates == 2 && g.pendingCount == 0)
    }

    @Test func bigGapsAreReportedLost() throws {
        let g = Self.generator()
        g.record(sequence: 100, now: Self.t0)
        g.record(sequence: 3100, now: Self.t0 + Self.ms)
        let r = try #require(try Self.drain(g, now: Self.t0 + 100 * Self.ms).first)
        #expect(r.base == 100 && r.count == 3001 && r.lost.count == 2999)
        #expect(r.received == [100: Self.micros(Self.t0), 3100: Self.micros(Self.t0 + Self.ms)])
        #expect(r.size <= 1200)
    }

    @Test func jumpBeyondTheRingDropsWhatFellOff() throws {
        let g = Self.generator(.init(capacity: 4096))
        g.record(sequence: 100, now: Self.t0)
        g.record(sequence: 101, now: Self.t0 + Self.ms)
        g.record(sequence: 20_000, now: Self.t0 + 2 * Self.ms)
        #expect(g.counters.overflowed == 2 && g.pendingCount == 1)
        let r = try #require(try Self.drain(g, now: Self.t0 + 100 * Self.ms).first)
        #expect(r.base == 20_000 &- 4095 && r.count == 4096)
        #expect(r.received == [20_000: Self.micros(Self.t0 + 2 * Self.ms)])
        // A packet from before the jump is now too old for the ring.
        g.record(sequence: 102, now: Self.t0 + 3 * Self.ms)
        #expect(g.counters.tooOld == 1 && g.pendingCount == 0)
    }

    @Test func longSilenceSetsANewReferenceTime() throws {
        let g = Self.generator()
        g.record(sequence: 1, now: Self.t0)
        _ = try Self.drain(g, now: Self.t0 + 100 * Self.ms)
        let later = Self.t0 + 60_000 * Self.ms + 3 * Self.tick
        g.record(sequence: 2, now: later)
        // The deadline is long past: due at once.
        #expect(g.isDue(now: later))
        let r = try #require(try Self.drain(g, now: later).first)
        #expect(r.referenceTime == Int32(later / (64 * Self.ms)))
        #expect(r.received == [2: Self.micros(later)] && r.feedbackCount == 1)
    }

    @Test func deltaTooLargeForOnePacketSplits() throws {
        // Two packets 10 s apart without feedback in between (2^15 ticks = 8.19 s is the limit).
        let g = Self.generator()
        g.record(sequence: 1, now: Self.t0)
        g.record(sequence: 3, now: Self.t0 + 10_000 * Self.ms)
        let reports = try Self.drain(g, now: Self.t0 + 10_000 * Self.ms)
        #expect(reports.count == 2 && g.counters.splits == 1)
        #expect(reports.map(\.feedbackCount) == [0, 1])
        #expect(reports[0].base == 1 && reports[0].count == 1)
        // The loss of 2 is reported in the second packet, which has its own reference time.
        #expect(reports[1].base == 2 && reports[1].lost == [2])
        #expect(reports[0].received == [1: Self.micros(Self.t0)])
        #expect(reports[1].received == [3: Self.micros(Self.t0 + 10_000 * Self.ms)])
        #expect(reports[1].referenceTime == Int32((Self.t0 + 10_000 * Self.ms) / (64 * Self.ms)))
    }

    @Test func largeFeedbackSplitsUnderTheSizeLimit() throws {
        let g = Self.generator(.init(pendingThreshold: 10_000, maxPacketSize: 1200))
        var recorded: [UInt16: Int64] = [:]
        var t = Self.t0
        var state: UInt64 = 99
        for i in 0..<3000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let r = state >> 33
            t += (r % 10 == 0 ? 300 : r % 8) * Self.tick     // mostly small, some large deltas
            let seq = UInt16(truncatingIfNeeded: 65_000 + i)   // crosses the wrap too
            if r % 13 == 5 && i > 0 { continue }                // lost
            g.record(sequence: seq, now: t)
            recorded[seq] = Self.micros(t)
        }
        let reports = try Self.drain(g, now: t)
        #expect(reports.count >= 3)
        #expect(g.counters.splits == reports.count - 1)
        var merged: [UInt16: Int64] = [:]
        var expectedBase: UInt16 = 65_000
        for (k, r) in reports.enumerated() {
            #expect(r.size <= 1200)
            #expect(r.base == expectedBase, "packet \(k) does not continue the previous one")
            #expect(r.feedbackCount == UInt8(k))
            expectedBase = r.base &+ UInt16(r.count)
            merged.merge(r.received) { a, _ in a }
        }
        #expect(merged == recorded)
    }

    @Test func packetsArrivingAfterTheirFeedbackAreReportedAgain() throws {
        let g = Self.generator()
        for seq in UInt16(1)...10 where seq != 5 { g.record(sequence: seq, now: Self.t0 + UInt64(seq) * Self.ms) }
        let first = try #require(try Self.drain(g, now: Self.t0 + 100 * Self.ms).first)
        #expect(first.lost == [5])
        g.record(sequence: 5, now: Self.t0 + 120 * Self.ms)
        #expect(g.counters.late == 1 && g.pendingCount == 1)
        let again = try #require(try Self.drain(g, now: Self.t0 + 200 * Self.ms).first)
        // The window reopens at 5: 5 is now received; 6…10 are repeated with their first arrivals.
        #expect(again.base == 5 && again.count == 6 && again.lost.isEmpty)
        #expect(again.received[5] == Self.micros(Self.t0 + 120 * Self.ms))
        #expect(again.received[10] == Self.micros(Self.t0 + 10 * Self.ms))
        #expect(g.pendingCount == 0 && g.nextDeadline == nil)
    }

    @Test func manyPendingPacketsMakeFeedbackDueAtOnce() {
        let g = Self.generator(.init(pendingThreshold: 100))
        for i in 0..<100 { g.record(sequence: UInt16(i), now: Self.t0 + UInt64(i) * Self.tick) }
        #expect(!g.isDue(now: Self.t0 + 25 * Self.ms))
        g.record(sequence: 100, now: Self.t0 + 25 * Self.ms)
        #expect(g.isDue(now: Self.t0 + 25 * Self.ms))
    }

    @Test func feedbackCountWrapsAt256() throws {
        let g = Self.generator()
        var counts: [UInt8] = []
        for i in 0..<300 {
            let now = Self.t0 + UInt64(i) * 100 * Self.ms
            g.record(sequence: UInt16(i), now: now)
            counts.append(contentsOf: try Self.drain(g, now: now + 100 * Self.ms).map(\.feedbackCount))
        }
        #expect(counts == (0..<300).map { UInt8(truncatingIfNeeded: $0) })
        #expect(g.counters.feedbackPackets == 300)
    }

    @Test func tooSmallABufferThrows() {
        let g = Self.generator()
        g.record(sequence: 1, now: Self.t0)
        var small = [UInt8](repeating: 0, count: 16)
        let threw = small.withUnsafeMutableBytes { raw in
            do { _ = try g.buildFeedback(into: raw, now: Self.t0); return false } catch let e as BufferTooSmall { return e.needed == 32 } catch { return false }
        }
        #expect(threw && g.pendingCount == 1)
    }

    /// Random traffic (loss, reordering, duplicates, late packets, wrap) with feedback every 100 ms:
    /// every report parses, every received status carries the packet's first arrival, no packet is
    /// reported lost after it arrived, and every packet is reported received at least once.
    @Test(arguments: [UInt64(1), 2, 3])
    func randomTrafficRoundTrips(seed: UInt64) throws {
        let g = Self.generator()
        var state = seed
        func next(_ bound: UInt64) -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (state >> 33) % bound
        }
        var firstArrival: [UInt16: Int64] = [:]
        var reportedReceived: Set<UInt16> = []
        var held: [UInt16] = []
        var seq: UInt16 = UInt16(truncatingIfNeeded: 60_000 + seed * 1000)
        var now = Self.t0
        var nextFeedback = now + 100 * Self.ms
        for _ in 0..<8000 {
            now += next(8) * Self.tick
            func deliver(_ s: UInt16) {
                g.record(sequence: s, now: now)
                if firstArrival[s] == nil { firstArrival[s] = Self.micros(now) }
            }
            switch next(20) {
            case 0: break                                    // lost
            case 1: held.append(seq)                         // delayed: delivered a little later
            case 2: deliver(seq); deliver(seq)               // duplicated
            default: deliver(seq)
            }
            seq &+= 1
            if held.count > 2 || (!held.isEmpty && next(4) == 0) { deliver(held.removeFirst()) }
            if now >= nextFeedback || g.isDue(now: now) {
                for r in try Self.drain(g, now: now) {
                    for (s, a) in r.received {
                        #expect(a == firstArrival[s], "seq \(s)")
                        reportedReceived.insert(s)
                    }
                    for s in r.lost { #expect(firstArrival[s] == nil, "seq \(s) reported lost after it arrived") }
                }
                nextFeedback = now + 100 * Self.ms
            }
        }
        for s in held { g.record(sequence: s, now: now); if firstArrival[s] == nil { firstArrival[s] = Self.micros(now) } }
        for r in try Self.drain(g, now: now) { for (s, _) in r.received { reportedReceived.insert(s) } }
        #expect(reportedReceived == Set(firstArrival.keys))
        #expect(g.counters.duplicates > 0 && g.counters.late > 0 && g.pendingCount == 0)
    }
}
