import PodiumWire

/// Loss detection and retransmission requests for one received video SSRC (RFC 4585 generic NACK,
/// answered by RTX, RFC 4588).
///
///     received(seq) ──▶ gap? ──▶ missing list (sorted, bounded by count and age)
///                                   │ first request after `reorderDelay`
///     pollNACK(now:rtt:) ◀──────────┘ then every max(rtt, minRetryInterval), at most
///           │                         `maxRequests` times, then given up
///           ▼
///     sequence numbers to request ──▶ writeNACK(…) (GenericNACK's writer, PID/BLP items)
///
/// Sequence numbers go in and come out as the raw 16-bit RTP values; the generator unwraps them
/// itself against the highest received, so callers need no unwrapper. A packet recovered through RTX
/// is passed in with its original sequence number (the RTX payload's OSN).
///
/// When too many packets are missing (the list would exceed `maxMissing`, or one jump alone does),
/// retransmissions cannot repair the stream in time: the list is cleared and `received` says
/// `.keyframeNeeded`, so the owner sends a PLI/FIR instead. A keyframe that starts at a sequence
/// number makes every missing packet before it useless: they are dropped.
///
/// Sans-IO: time is the worker's monotonic clock in nanoseconds. The list is one ring of fixed
/// entries allocated at init; nothing allocates per packet. Confinement: one thread (the worker
/// owning the producer stream) uses an instance.
public final class NACKGenerator {
    public struct Configuration: Sendable, Hashable {
        /// Most sequence numbers the list holds; more missing at once means a keyframe is needed.
        public var maxMissing: Int
        /// A missing packet is given up this long after its gap was seen (ns).
        public var maxAge: UInt64
        /// Wait this long after a gap before the first request, for reordered packets (ns; 0 asks
        /// at the next poll).
        public var reorderDelay: UInt64
        /// Retries are spaced by max(rtt, this) (ns).
        public var minRetryInterval: UInt64
        /// RTT assumed when the caller does not know it (ns).
        public var defaultRTT: UInt64
        /// Each sequence number is requested at most this many times (the first request included).
        public var maxRequests: Int

        public init(maxMissing: Int = 1000, maxAge: UInt64 = 1_000_000_000, reorderDelay: UInt64 = 10_000_000,
                    minRetryInterval: UInt64 = 20_000_000, defaultRTT: UInt64 = 100_000_000, maxRequests: Int = 10) {
            precondition(maxMissing > 0 && maxMissing <= 0x4000, "maxMissing must be in 1...16384")
            precondition(maxRequests > 0, "maxRequests must be positive")
            self.maxMissing = maxMissing
            self.maxAge = maxAge
            self.reorderDelay = reorderDelay
            self.minRetryInterval = minRetryInterval
            self.defaultRTT = defaultRTT
            self.maxRequests = maxRequests
        }
    }

    /// What `received` made of a sequence number.
    public enum Outcome: Sendable, Hashable {
        /// The first packet, or the next in sequence.
        case inOrder
        /// A new highest after a gap of `missing` packets, now on the list.
        case gap(missing: Int)
        /// A packet on the missing list arrived (late or retransmitted); `requested` when it had
        /// already been asked for.
        case recovered(requested: Bool)
        /// Already received, or older than anything still tracked.
        case duplicateOrLate
        /// Too many missing: the list was cleared; ask for a keyframe instead of retransmissions.
        case keyframeNeeded
    }

    public struct Counters: Sendable, Hashable {
        /// Sequence numbers requested for the first time.
        public var requested: UInt64 = 0
        /// Requests after the first.
        public var retried: UInt64 = 0
        /// Missing packets that arrived after being requested.
        public var recovered: UInt64 = 0
        /// Missing packets that arrived before being requested (reordering).
        public var reordered: UInt64 = 0
        /// Missing packets given up: requested `maxRequests` times, or older than `maxAge`.
        public var givenUp: UInt64 = 0
        /// Missing packets dropped because a keyframe made them useless, or on overflow/reset.
        public var cleared: UInt64 = 0
        /// Times the list overflowed and a keyframe was asked for instead.
        public var keyframeRequests: UInt64 = 0
        public init() {}
    }

    private struct Entry {
        var seq: Int64
        var detectedAt: UInt64
        var nextRequestAt: UInt64
        var requests: Int32
        var live: Bool
    }

    public let configuration: Configuration
    public private(set) var counters = Counters()

    private let entries: UnsafeMutablePointer<Entry>
    private let capacity: Int
    /// Ring: slots head ..< head + used (mod capacity) hold entries sorted by seq, some dead.
    private var head = 0
    private var used = 0
    /// Live entries (still missing).
    public private(set) var missingCount = 0
    private var highest: Int64 = 0
    private var started = false

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        capacity = configuration.maxMissing
        entries = .allocate(capacity: capacity)
    }

    deinit { entries.deallocate() }

    /// The highest received sequence number (raw), nil before the first packet.
    public var highestSequenceNumber: UInt16? { started ? UInt16(truncatingIfNeeded: highest) : nil }

    // MARK: Receiving

    /// Accounts a received packet (original or recovered through RTX, by its original sequence
    /// number). `keyframeStart`: the packet begins a keyframe, so nothing before it is needed.
    @discardableResult
    public func received(sequenceNumber seq: UInt16, keyframeStart: Bool = false, now: UInt64) -> Outcome {
        guard started else {
            started = true
            highest = Int64(seq)
            return .inOrder
        }
        let ext = highest &+ SerialNumber.distance(from: UInt16(truncatingIfNeeded: highest), to: seq)
        if keyframeStart { clear(before: ext) }
        if ext > highest {
            let gap = Int(ext - highest - 1)
            highest = ext
            // Why: packets skipped before a keyframe's first packet cannot help the decoder.
            if gap == 0 || keyframeStart { return .inOrder }
            compactIfFull(adding: gap)
            guard missingCount + gap <= configuration.maxMissing else {
                clear(before: Int64.max)
                counters.keyframeRequests &+= 1
                return .keyframeNeeded
            }
            let first = saturatingAdd(now, configuration.reorderDelay)
            var s = ext - Int64(gap)
            while s < ext {
                append(Entry(seq: s, detectedAt: now, nextRequestAt: first, requests: 0, live: true))
                s += 1
            }
            return .gap(missing: gap)
        }
        guard let slot = find(ext) else { return .duplicateOrLate }
        let requested = entries[slot].requests > 0
        if requested { counters.recovered &+= 1 } else { counters.reordered &+= 1 }
        kill(slot)
        return .recovered(requested: requested)
    }

    /// Forgets every missing packet and the highest sequence number (a new sender, an SSRC change).
    public func reset() {
        clear(before: Int64.max)
        head = 0
        used = 0
        started = false
    }

    // MARK: Requesting

    /// Writes into `out`, in RTP order, the sequence numbers to request at `now`, and returns how
    /// many. `rtt` in ns, nil when unknown (`defaultRTT`). Packets past `maxAge` or asked
    /// `maxRequests` times are given up here. When `out` fills, the rest stay due for the next poll.
    public func pollNACK(now: UInt64, rtt: UInt64?, into out: UnsafeMutableBufferPointer<UInt16>) -> Int {
        let interval = max(rtt ?? configuration.defaultRTT, configuration.minRetryInterval)
        var n = 0
        var i = 0
        while i < used {
            let slot = index(i)
            i += 1
            guard entries[slot].live else { continue }
            if now &- entries[slot].detectedAt >= configuration.maxAge && now >= entries[slot].detectedAt {
                counters.givenUp &+= 1
                kill(slot)
                continue
            }
            guard now >= entries[slot].nextRequestAt else { continue }
            if entries[slot].requests >= Int32(configuration.maxRequests) {
                counters.givenUp &+= 1
                kill(slot)
                continue
            }
            guard n < out.count else { continue }
            out[n] = UInt16(truncatingIfNeeded: entries[slot].seq)
            n += 1
            if entries[slot].requests == 0 { counters.requested &+= 1 } else { counters.retried &+= 1 }
            entries[slot].requests += 1
            entries[slot].nextRequestAt = saturatingAdd(now, interval)
        }
        dropDeadHead()
        return n
    }

    /// When the next request or give-up is due (for the owner's timer), nil when nothing is missing.
    public var nextDeadline: UInt64? {
        var earliest: UInt64? = nil
        for i in 0..<used {
            let e = entries[index(i)]
            guard e.live else { continue }
            let t = min(e.nextRequestAt, saturatingAdd(e.detectedAt, configuration.maxAge))
            earliest = min(earliest ?? t, t)
        }
        return earliest
    }

    /// The sequence numbers still missing, oldest first (for tests and stats; not per packet).
    public var missingSequenceNumbers: [UInt16] {
        var result: [UInt16] = []
        for i in 0..<used where entries[index(i)].live { result.append(UInt16(truncatingIfNeeded: entries[index(i)].seq)) }
        return result
    }

    /// Writes an RTCP generic NACK (RFC 4585 §6.2.1) asking `mediaSSRC` for `lost` (as returned by
    /// `pollNACK`, in RTP order) into `buffer`; returns the bytes written. Consecutive numbers within
    /// 16 of each other share one PID/BLP item.
    public static func writeNACK(senderSSRC: UInt32, mediaSSRC: UInt32, lost: UnsafeBufferPointer<UInt16>,
                                 into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        try GenericNACK.write(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, lost: lost, into: buffer)
    }

    /// Bytes `writeNACK` needs for `lost`.
    public static func nackSize(lost: UnsafeBufferPointer<UInt16>) -> Int {
        12 + 4 * GenericNACK.itemCount(lost: lost)
    }

    // MARK: The ring

    /// Why: a garbage RTT or a clock near the top must not wrap a deadline into the past.
    @inline(__always) private func saturatingAdd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    @inline(__always) private func index(_ i: Int) -> Int {
        let s = head + i
        return s >= capacity ? s - capacity : s
    }

    private func append(_ e: Entry) {
        precondition(used < capacity, "NACK list full: compactIfFull must run first")
        entries.advanced(by: index(used)).initialize(to: e)
        used += 1
        missingCount += 1
    }

    private func kill(_ slot: Int) {
        entries[slot].live = false
        missingCount -= 1
    }

    private func dropDeadHead() {
        while used > 0 && !entries[head].live {
            head = index(1)
            used -= 1
        }
        if used == 0 { head = 0 }
    }

    /// Makes room for `adding` entries if live ones leave it: drops dead entries from the head, then
    /// moves live ones together (O(capacity), only when the ring is full of holes).
    private func compactIfFull(adding: Int) {
        dropDeadHead()
        guard used + adding > capacity, missingCount + adding <= capacity else { return }
        var write = 0
        var read = 0
        while read < used {
            let e = entries[index(read)]
            if e.live {
                entries[index(write)] = e
                write += 1
            }
            read += 1
        }
        used = write
    }

    /// Binary search for a live entry with `seq` (entries are sorted by seq, dead ones included).
    private func find(_ seq: Int64) -> Int? {
        var lo = 0
        var hi = used
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[index(mid)].seq < seq { lo = mid + 1 } else { hi = mid }
        }
        guard lo < used else { return nil }
        let slot = index(lo)
        return entries[slot].seq == seq && entries[slot].live ? slot : nil
    }

    /// Drops every live entry older than `seq` (a keyframe starts there), counting them cleared.
    private func clear(before seq: Int64) {
        var i = 0
        while i < used {
            let slot = index(i)
            if entries[slot].seq >= seq { break }
            if entries[slot].live {
                counters.cleared &+= 1
                kill(slot)
            }
            i += 1
        }
        dropDeadHead()
    }
}
