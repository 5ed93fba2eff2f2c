import PodiumWire

/// Transport-wide congestion control feedback towards one publisher transport
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01), sans-IO.
///
/// The publisher's browser runs its own send-side bandwidth estimation (GCC) on this feedback, so
/// Podium only has to be a faithful receiver: record when each packet with the transport-wide
/// sequence number extension arrived, and report it every `interval`:
///
///     record(seq, arrival) ──▶ ring[seq & mask] = (unwrapped seq, arrival)      per packet, O(1)
///     poll / nextDeadline  ──▶ due every `interval`, or at once with > `pendingThreshold` packets
///     buildFeedback(into:) ──▶ [windowStart … highest received] as transport-cc packets:
///                               base seq = windowStart, reference time = first arrival / 64 ms,
///                               lost packets and deltas (250 µs) by TransportCCFeedbackBuilder
///
/// - Sequence numbers are unwrapped (16 → 64 bit), so reports cross 65535 → 0 seamlessly.
/// - Duplicates keep their first arrival; reordered packets fill their slot (negative deltas).
/// - A feedback is split into several packets when it would exceed `maxPacketSize` or when two
///   consecutive received packets are more than 2^15 × 250 µs (8.2 s) apart.
/// - Late packets (arriving after the feedback covering their sequence number was sent, where they
///   were reported lost) still in the ring reopen the window at their sequence number: the next
///   feedback reports them received, and re-reports the packets after them, as libwebrtc's receiver
///   does; the sender's feedback adapter ignores repeated reports. Older ones are dropped (counted).
/// - Storage is a fixed ring (`capacity` packets, a power of two): a sequence jump of more than
///   `capacity` drops the unreported packets that fall off the ring (counted), never grows memory.
///
/// Confinement: mutable state in manually allocated rings; one worker thread owns it. Nothing is
/// allocated after `init`.
public final class TWCCFeedbackGenerator {
    public struct Configuration: Sendable, Equatable {
        /// Feedback period in ns (default 100 ms, as libwebrtc's receiver).
        public var interval: UInt64
        /// More unreported packets than this: feedback is due at once.
        public var pendingThreshold: Int
        /// Largest feedback packet in bytes (multiple of 4; default 1200: fits any path MTU with SRTCP).
        public var maxPacketSize: Int
        /// Ring size in packets, rounded up to a power of two (≥ 256).
        public var capacity: Int
        /// SSRC of packet sender in the feedback.
        public var senderSSRC: UInt32

        public init(interval: UInt64 = 100 * ICETime.millisecond, pendingThreshold: Int = 100, maxPacketSize: Int = 1200,
                    capacity: Int = 4096, senderSSRC: UInt32 = 0) {
            self.interval = interval
            self.pendingThreshold = max(pendingThreshold, 1)
            self.maxPacketSize = min(max(maxPacketSize, TWCCFeedbackGenerator.minimumBufferSize), 0xFFFF) & ~3
            var c = 256
            while c < capacity && c < 1 << 15 { c <<= 1 }
            self.capacity = c
            self.senderSSRC = senderSSRC
        }
    }

    public struct Counters: Sendable, Equatable {
        /// Packets recorded (first arrivals, late ones included).
        public var received = 0
        /// Packets whose sequence number had already been recorded (ignored).
        public var duplicates = 0
        /// Packets that arrived after feedback covering them was sent, and were reported again.
        public var late = 0
        /// Packets too old for the ring (or more than 2^15 behind): not reported.
        public var tooOld = 0
        /// Unreported packets pushed off the ring by a sequence jump larger than the ring.
        public var overflowed = 0
        /// Feedback packets built.
        public var feedbackPackets = 0
        /// Feedback packets ended early (size limit or a delta that does not fit) and continued in the next.
        public var splits = 0
    }

    /// The smallest buffer `buildFeedback` accepts: fixed fields, two chunks, one delta, padding.
    public static let minimumBufferSize = 32

    public let configuration: Configuration
    /// All mutable state in one struct, so a packet costs one exclusivity check on this class, not
    /// one per stored property.
    var core: TWCCFeedbackCore

    public var counters: Counters { core.counters }
    /// SSRC of media source in the feedback: libwebrtc uses one of the transport's received media
    /// SSRCs; the owner sets it (the value does not affect the sender's processing).
    public var mediaSSRC: UInt32 {
        get { core.mediaSSRC }
        set { core.mediaSSRC = newValue }
    }
    /// Next feedback packet count (8 bit, incremented per packet, wrapping).
    public var feedbackPacketCount: UInt8 { core.feedbackPacketCount }
    /// Received packets not reported yet.
    public var pendingCount: Int { core.pendingCount }

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        core = TWCCFeedbackCore(configuration: configuration)
    }

    deinit { core.deallocate() }

    /// Records a packet carrying the transport-wide sequence number `sequence`, arrived at `now` (ns).
    public func record(sequence: UInt16, now: UInt64) { core.record(sequence: sequence, now: now) }

    /// When feedback is next due (ns), or nil when nothing is pending.
    public var nextDeadline: UInt64? { core.nextDeadline }

    /// Whether feedback should be built now.
    public func isDue(now: UInt64) -> Bool {
        guard let deadline = core.nextDeadline else { return false }
        return now >= deadline
    }

    /// Builds the next feedback packet into `buffer` (at most `maxPacketSize` bytes) and returns its
    /// size, or nil when nothing is pending. When everything pending does not fit one packet, call again
    /// until nil: each call continues where the previous packet ended.
    public func buildFeedback(into buffer: UnsafeMutableRawBufferPointer, now: UInt64) throws(BufferTooSmall) -> Int? {
        guard buffer.count >= Self.minimumBufferSize else { throw BufferTooSmall(needed: Self.minimumBufferSize, available: buffer.count) }
        return core.buildFeedback(into: buffer, now: now)
    }
}

/// The state and logic of `TWCCFeedbackGenerator` (see there); its ring pointers are freed by the owner.
struct TWCCFeedbackCore {
    typealias Counters = TWCCFeedbackGenerator.Counters
    let configuration: TWCCFeedbackGenerator.Configuration
    var counters = Counters()
    var mediaSSRC: UInt32 = 0
    var feedbackPacketCount: UInt8 = 0

    let mask: Int
    /// Per slot: unwrapped sequence number stored there (−1: none), its arrival (ns), and whether a
    /// feedback reported it already.
    let slotSequence: UnsafeMutablePointer<Int64>
    let slotArrival: UnsafeMutablePointer<UInt64>
    let slotReported: UnsafeMutablePointer<Bool>
    var unwrapper = SequenceNumberUnwrapper()
    /// First sequence number the next feedback reports (nil before the first packet).
    var windowStart: Int64?
    /// Highest sequence number received.
    var highest: Int64 = 0
    /// Received packets not reported yet (all in [windowStart, highest]).
    var pendingCount = 0
    var lastFeedbackAt: UInt64 = 0

    init(configuration: TWCCFeedbackGenerator.Configuration) {
        self.configuration = configuration
        mask = configuration.capacity - 1
        slotSequence = .allocate(capacity: configuration.capacity)
        slotSequence.initialize(repeating: -1, count: configuration.capacity)
        slotArrival = .allocate(capacity: configuration.capacity)
        slotArrival.initialize(repeating: 0, count: configuration.capacity)
        slotReported = .allocate(capacity: configuration.capacity)
        slotReported.initialize(repeating: false, count: configuration.capacity)
    }

    func deallocate() {
        slotSequence.deallocate()
        slotArrival.deallocate()
        slotReported.deallocate()
    }

    // MARK: Recording

    mutating func record(sequence: UInt16, now: UInt64) {
        let u = unwrapper.unwrap(sequence)
        guard let start = windowStart else {
            windowStart = u
            highest = u
            lastFeedbackAt = now
            store(u, now)
            return
        }
        if u > highest {
            // Why: the ring holds [highest − capacity + 1, highest]; unreported packets below that are lost to it.
            let newStart = u - Int64(mask)
            if newStart > start {
                var s = start
                while s < min(newStart, highest + 1) {
                    if isReceived(s) && !slotReported[slot(s)] {
                        pendingCount -= 1
                        counters.overflowed += 1
                    }
                    s += 1
                }
                windowStart = newStart
            }
            highest = u
            store(u, now)
            return
        }
        guard highest - u <= Int64(mask) else {
            counters.tooOld += 1
            return
        }
        guard !isReceived(u) else {
            counters.duplicates += 1
            return
        }
        if u < start {
            // Why: reported lost already; reopening the window reports it received (see type doc).
            counters.late += 1
            windowStart = u
        }
        store(u, now)
    }

    @inline(__always) private mutating func store(_ u: Int64, _ now: UInt64) {
        let i = Int(truncatingIfNeeded: u) & mask
        slotSequence[i] = u
        slotArrival[i] = now
        slotReported[i] = false
        pendingCount += 1
        counters.received += 1
    }

    @inline(__always) func isReceived(_ u: Int64) -> Bool { slotSequence[Int(truncatingIfNeeded: u) & mask] == u }

    // MARK: Feedback

    var nextDeadline: UInt64? {
        guard pendingCount > 0 else { return nil }
        return pendingCount > configuration.pendingThreshold ? lastFeedbackAt : lastFeedbackAt &+ configuration.interval
    }

    mutating func buildFeedback(into buffer: UnsafeMutableRawBufferPointer, now: UInt64) -> Int? {
        while pendingCount > 0, let start = windowStart {
            // The reference time comes from the first received packet (deltas are relative to it).
            var first = start
            while first <= highest && !isReceived(first) { first += 1 }
            guard first <= highest else {
                assertionFailure("TWCC pending count without a pending packet")
                pendingCount = 0
                return nil
            }
            let firstMicros = Self.micros(slotArrival[slot(first)])
            var builder = TransportCCFeedbackBuilder(
                senderSSRC: configuration.senderSSRC, mediaSSRC: mediaSSRC, baseSequence: UInt16(truncatingIfNeeded: start),
                referenceTime: TransportCCFeedbackBuilder.referenceTime(forMicros: firstMicros),
                feedbackPacketCount: feedbackPacketCount, buffer: buffer, maxSize: configuration.maxPacketSize)
            var lastAdded: Int64? = nil
            var s = first
            while s <= highest {
                if isReceived(s) {
                    guard builder.add(sequence: UInt16(truncatingIfNeeded: s), arrivalMicros: Self.micros(slotArrival[slot(s)])) else { break }
                    lastAdded = s
                    if !slotReported[slot(s)] {
                        slotReported[slot(s)] = true
                        pendingCount -= 1
                    }
                }
                s += 1
            }
            guard let lastAdded else {
                // Why: cannot happen with a buffer of `minimumBufferSize`; never loop on it.
                if !slotReported[slot(first)] { pendingCount -= 1 }
                slotSequence[slot(first)] = -1
                counters.tooOld += 1
                windowStart = first + 1
                continue
            }
            if s <= highest { counters.splits += 1 }
            // Why: the next packet starts right after this one, so losses between them are reported.
            windowStart = lastAdded + 1
            lastFeedbackAt = now
            feedbackPacketCount &+= 1
            counters.feedbackPackets += 1
            return builder.finish()
        }
        return nil
    }

    @inline(__always) private func slot(_ u: Int64) -> Int { Int(truncatingIfNeeded: u) & mask }

    @inline(__always) static func micros(_ ns: UInt64) -> Int64 { Int64(ns / 1000) }
}
