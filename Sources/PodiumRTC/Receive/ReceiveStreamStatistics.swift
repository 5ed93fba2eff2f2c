import PodiumWire

/// Reception statistics of one RTP source (SSRC) as RFC 3550 Appendix A defines them, kept by the
/// receiver for its RTCP receiver reports (§6.4.1): sequence validation with probation (A.1),
/// expected and lost packets, fraction lost per report interval (A.3), interarrival jitter (A.8)
/// and LSR/DLSR from the source's last sender report.
///
///     publisher ── RTP seq/ts ──▶ received(sequenceNumber:rtpTimestamp:size:at:)
///               ── SR (NTP) ───▶ receivedSenderReport(ntp:at:)
///               ◀── RR block ── makeReportBlock(now:)   (fraction lost, cumulative lost,
///                                                        highest seq, jitter, LSR, DLSR)
///
/// Sans-IO and allocation-free: a plain value the producer stream keeps inline; time is the
/// worker's monotonic clock in nanoseconds. Deviations from the appendix's code, each on purpose:
/// - Duplicates within the last 128 sequence numbers are recognised (a bitmap) and not counted as
///   received, so a retransmitting or duplicating path does not hide loss (A.1 counts them, which
///   can make the cumulative loss negative).
/// - Jitter is sampled only on in-order packets whose RTP timestamp differs from the previous
///   sample's: the packets of one video frame share a timestamp but are paced out, and a reordered
///   packet's transit says nothing new (libwebrtc and mediasoup do the same). A transit change of
///   five seconds or more (a pause, a timestamp jump) is skipped, not averaged in.
/// - A restart (A.1's two sequential packets after a big jump) also forgets the jitter's previous
///   transit, because the new sequence probably comes with a new timestamp base.
public struct ReceiveStreamStatistics: Sendable {
    /// A.1: packets in sequence before a new source is valid.
    public static let minSequential = 2
    /// A.1: a forward jump of fewer packets is a gap (loss), of more a possible restart.
    public static let maxDropout: UInt16 = 3000
    /// A.1: a packet at most this far behind the highest is reordered, further a possible restart.
    public static let maxMisorder: UInt16 = 100

    /// What `received` made of a packet.
    public enum Disposition: Sendable, Hashable {
        /// New highest sequence number (possibly after a gap).
        case inOrder
        /// Older than the highest, within `maxMisorder`, not seen before: counted, fills a gap.
        case reordered
        /// Seen before (within the duplicate window): not counted.
        case duplicate
        /// The source is still on probation (A.1): not counted yet.
        case probation
        /// A jump beyond `maxDropout` (or further back than `maxMisorder`): not counted; if the
        /// next packet follows it in sequence, the stream restarts there.
        case badSequence
        /// The second sequential packet after a big jump: statistics restarted from here.
        case restarted
    }

    /// Plain counters for stats, independent of the A.1 bookkeeping.
    public struct Counters: Sendable, Hashable {
        /// Every packet passed to `received`, valid or not.
        public var packets: UInt64 = 0
        /// Sum of the sizes passed to `received`.
        public var bytes: UInt64 = 0
        public var duplicates: UInt64 = 0
        public var reordered: UInt64 = 0
        public var probation: UInt64 = 0
        public var badSequence: UInt64 = 0
        public var restarts: UInt64 = 0
        public var senderReports: UInt64 = 0
        public init() {}
    }

    public let ssrc: UInt32
    /// RTP clock rate of the source's payload (Hz): the unit of jitter.
    public let clockRate: UInt32
    public private(set) var counters = Counters()

    // A.1 state (names as in the appendix).
    private var maxSeq: UInt16 = 0
    /// Shifted count of sequence number cycles (multiples of 2^16).
    private var cycles: UInt32 = 0
    private var baseSeq: UInt32 = 0
    /// Where a restart is expected: one past the last big jump; 2^16 + 1 (never a seq) when none.
    private var badSeq: UInt32 = 0x1_0001
    private var probation = 0
    private var received: UInt64 = 0
    private var expectedPrior: UInt64 = 0
    private var receivedPrior: UInt64 = 0
    private var started = false

    /// Bit i set: extended sequence (highest − i) has been received. Only meaningful once valid.
    private var history: UInt128 = 0

    // A.8 state.
    /// Jitter × 16 in timestamp units (the appendix's integer form).
    private var jitterQ4: UInt32 = 0
    private var lastTransit: UInt32 = 0
    private var lastJitterTimestamp: UInt32 = 0
    private var hasTransit = false

    // Last SR.
    private var lastSRCompact: UInt32 = 0
    private var lastSRArrival: UInt64 = 0
    private var hasSenderReport = false

    public init(ssrc: UInt32, clockRate: UInt32) {
        precondition(clockRate > 0, "an RTP clock rate is positive")
        self.ssrc = ssrc
        self.clockRate = clockRate
    }

    // MARK: Receiving

    /// Accounts one RTP packet of this source. `size` is what the byte counter adds (the caller's
    /// choice; Podium passes the decrypted RTP packet's length, header included).
    @discardableResult
    public mutating func received(sequenceNumber seq: UInt16, rtpTimestamp: UInt32, size: Int, at now: UInt64) -> Disposition {
        counters.packets &+= 1
        counters.bytes &+= UInt64(truncatingIfNeeded: max(size, 0))
        let disposition = updateSequence(seq)
        switch disposition {
        case .inOrder:
            sampleJitter(rtpTimestamp: rtpTimestamp, at: now)
        case .restarted:
            hasTransit = false
            sampleJitter(rtpTimestamp: rtpTimestamp, at: now)
        case .reordered: counters.reordered &+= 1
        case .duplicate: counters.duplicates &+= 1
        case .probation: counters.probation &+= 1
        case .badSequence: counters.badSequence &+= 1
        }
        if disposition == .restarted { counters.restarts &+= 1 }
        return disposition
    }

    /// Records the NTP time of a sender report from this source, for LSR/DLSR.
    public mutating func receivedSenderReport(ntp: NTPTimestamp, at now: UInt64) {
        lastSRCompact = ntp.compact.rawValue
        lastSRArrival = now
        hasSenderReport = true
        counters.senderReports &+= 1
    }

    /// Records a parsed sender report from this source (its NTP timestamp) for LSR/DLSR.
    public mutating func receivedSenderReport(_ report: SenderReport, at now: UInt64) {
        receivedSenderReport(ntp: NTPTimestamp(rawValue: report.ntpTimestamp), at: now)
    }

    /// A.1 `update_seq`, extended by the duplicate window.
    private mutating func updateSequence(_ seq: UInt16) -> Disposition {
        guard started else {
            // A.1: a new source: init_seq, then max_seq = seq − 1 so that this packet starts probation.
            started = true
            initSequence(seq)
            maxSeq = seq &- 1
            probation = Self.minSequential
            return updateSequence(seq)
        }
        let udelta = seq &- maxSeq
        if probation > 0 {
            if seq == maxSeq &+ 1 {
                probation -= 1
                maxSeq = seq
                if probation == 0 {
                    initSequence(seq)
                    received += 1
                    return .inOrder
                }
            } else {
                probation = Self.minSequential - 1
                maxSeq = seq
            }
            return .probation
        }
        if udelta < Self.maxDropout {
            if udelta == 0 { return .duplicate }
            // In order, with a permissible gap.
            if seq < maxSeq { cycles &+= 0x1_0000 }
            maxSeq = seq
            history = udelta >= 128 ? 1 : (history << Int(udelta)) | 1
            received += 1
            return .inOrder
        }
        if udelta <= UInt16.max - Self.maxMisorder + 1 {
            // Why: `udelta <= RTP_SEQ_MOD - MAX_MISORDER` in A.1, with RTP_SEQ_MOD = 2^16.
            // A very large jump: a restart if the next packet follows it, else garbage.
            if UInt32(seq) == badSeq {
                initSequence(seq)
                received += 1
                return .restarted
            }
            badSeq = UInt32(seq &+ 1)
            return .badSequence
        }
        // Duplicate or reordered: behind the highest by 1...maxMisorder (< 128, the window).
        let behind = Int(maxSeq &- seq)
        let bit: UInt128 = 1 << behind
        if history & bit != 0 { return .duplicate }
        history |= bit
        received += 1
        return .reordered
    }

    /// A.1 `init_seq`.
    private mutating func initSequence(_ seq: UInt16) {
        baseSeq = UInt32(seq)
        maxSeq = seq
        badSeq = 0x1_0001
        cycles = 0
        received = 0
        receivedPrior = 0
        expectedPrior = 0
        history = 1
    }

    /// A.8: J += (|D| − J) / 16, in the appendix's integer form (J kept × 16).
    private mutating func sampleJitter(rtpTimestamp: UInt32, at now: UInt64) {
        // Why: later packets of one frame share its timestamp; their spacing is pacing, not jitter.
        // The frame's first packet stays the reference.
        if hasTransit && rtpTimestamp == lastJitterTimestamp { return }
        let arrival = UInt32(truncatingIfNeeded: Self.timestampUnits(nanoseconds: now, clockRate: clockRate))
        let transit = arrival &- rtpTimestamp
        defer {
            lastTransit = transit
            lastJitterTimestamp = rtpTimestamp
            hasTransit = true
        }
        guard hasTransit else { return }
        let d = Int64(Int32(bitPattern: transit &- lastTransit)).magnitude
        guard d < 5 * UInt64(clockRate) else { return }
        let dq = UInt32(d)
        jitterQ4 = jitterQ4 &+ dq &- ((jitterQ4 &+ 8) >> 4)
    }

    /// Nanoseconds on the monotonic clock in units of `clockRate`, without overflowing for any
    /// clock value (ns × 90 000 would overflow 64 bits after 57 hours of uptime).
    @inline(__always)
    static func timestampUnits(nanoseconds ns: UInt64, clockRate: UInt32) -> UInt64 {
        let rate = UInt64(clockRate)
        return (ns / 1_000_000_000) &* rate &+ (ns % 1_000_000_000) * rate / 1_000_000_000
    }

    // MARK: Reading

    /// True once A.1 probation has passed: only valid sources get a report block.
    public var isValid: Bool { started && probation == 0 }

    /// Highest sequence number received, extended with the count of cycles (A.1).
    public var extendedHighestSequence: UInt32 { cycles &+ UInt32(maxSeq) }

    /// Packets expected since the stream became valid (A.3), 0 before.
    public var expectedPackets: UInt64 {
        guard isValid else { return 0 }
        return UInt64(cycles) + UInt64(maxSeq) - UInt64(baseSeq) + 1
    }

    /// Packets received and counted (A.1's `received`: valid, not duplicates).
    public var receivedPackets: UInt64 { isValid ? received : 0 }

    /// Cumulative packets lost (A.3), unclamped: negative only if more arrived than were expected.
    public var cumulativeLost: Int64 { Int64(bitPattern: expectedPackets &- receivedPackets) }

    /// Interarrival jitter in RTP timestamp units (A.8).
    public var jitter: UInt32 { jitterQ4 >> 4 }

    /// Interarrival jitter in seconds.
    public var jitterSeconds: Double { Double(jitterQ4) / 16 / Double(clockRate) }

    /// True when packets were counted since the last `makeReportBlock` (RFC 3550 §6.4: an RR
    /// reports on sources heard since the previous report).
    public var hasReceivedSinceLastReport: Bool { isValid && received != receivedPrior }

    /// LSR and DLSR for a report sent at `now` (§6.4.1): zeros when no SR has been received.
    public func lastSenderReport(now: UInt64) -> (lsr: UInt32, dlsr: UInt32) {
        guard hasSenderReport else { return (0, 0) }
        let delay = now &- lastSRArrival
        guard now >= lastSRArrival else { return (lastSRCompact, 0) }
        // 1/65536 s units; saturate rather than wrap past 2^16 s.
        let whole = delay / 1_000_000_000
        guard whole < 0x1_0000 else { return (lastSRCompact, .max) }
        let units = (whole << 16) + ((delay % 1_000_000_000) << 16) / 1_000_000_000
        return (lastSRCompact, UInt32(units))
    }

    /// The report block for an RR (or SR) sent at `now`, nil while the source is not valid.
    /// Starts a new report interval: the fraction lost covers the packets since the previous call.
    public mutating func makeReportBlock(now: UInt64) -> ReportBlock? {
        guard isValid else { return nil }
        let expected = expectedPackets
        let expectedInterval = Int64(bitPattern: expected &- expectedPrior)
        let receivedInterval = Int64(bitPattern: received &- receivedPrior)
        expectedPrior = expected
        receivedPrior = received
        let lostInterval = expectedInterval - receivedInterval
        let fraction: UInt8
        if expectedInterval <= 0 || lostInterval <= 0 {
            fraction = 0
        } else {
            fraction = UInt8(min((lostInterval << 8) / expectedInterval, 255))
        }
        let (lsr, dlsr) = lastSenderReport(now: now)
        return ReportBlock(ssrc: ssrc, fractionLost: fraction,
                           cumulativeLost: ReportBlock.clampCumulativeLost(cumulativeLost),
                           extendedHighestSequence: extendedHighestSequence, jitter: jitter,
                           lastSenderReport: lsr, delaySinceLastSenderReport: dlsr)
    }
}
