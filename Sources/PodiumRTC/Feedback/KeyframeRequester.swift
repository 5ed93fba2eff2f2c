import PodiumWire

/// Merges and rate-limits keyframe requests towards one publisher stream (one media SSRC), sans-IO.
///
/// Many consumers want a keyframe from the same publisher stream: a new consumer, a subscriber's PLI
/// or FIR, a layer switch. Forwarding each would flood the publisher's encoder, which answers every
/// request with a costly intra frame. The requester turns them into at most one request per
/// `minInterval`:
///
///     consumers ─ request ─┐
///     consumers ─ request ─┼─▶ idle ──(interval elapsed)──▶ send PLI/FIR ──▶ awaiting keyframe
///     consumers ─ request ─┘     │                               ▲               │  │
///                                └─(within interval)─▶ pending ──┘  (at its end) │  │ no keyframe within
///                                                                                │  │ `repeatAfter`:
///          keyframeReceived ◀────────────────────────────────────────────────────┘  │ send again (same FIR
///          (pending and awaiting requests satisfied)                                 │ seq), ≤ maxRepeats
///
/// - A request while a sent request awaits its keyframe, or while one is pending, is merged.
/// - A request within `minInterval` of the last send is remembered and sent when the interval ends.
/// - The caller calls `keyframeReceived(now:)` when a keyframe starts arriving from the publisher;
///   every request made before that is satisfied.
/// - Without a keyframe `repeatAfter` after a send, the request is repeated, up to `maxRepeats` times
///   (then abandoned until the next consumer request: a publisher that never answers is not
///   flooded forever).
///
/// The owner calls `request(now:)` and `poll(now:)` (at `nextDeadline`); each returns the
/// `KeyframeRequest` to send now, if any, which writes itself with PodiumWire's PLI/FIR writers.
/// One worker thread owns it; it allocates nothing.
public struct KeyframeRequester: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// At most one request per this interval, in ns. Clamped to 300 ms–1 s (default 500 ms): below,
        /// encoders spend the uplink on intra frames; above, a new viewer waits too long for video.
        public var minInterval: UInt64
        /// No keyframe this long after a send (ns): send again. At least `minInterval`; default 2×.
        public var repeatAfter: UInt64
        /// Repeats of one request before it is abandoned.
        public var maxRepeats: Int
        /// PLI (default) or FIR when the publisher negotiated only `ccm fir`.
        public var form: KeyframeRequestForm
        /// SSRC of packet sender written in the requests (Podium's receiving SSRC for this publisher).
        public var senderSSRC: UInt32

        public static let minimumInterval: UInt64 = 300 * ICETime.millisecond
        public static let maximumInterval: UInt64 = 1 * ICETime.second

        public init(minInterval: UInt64 = 500 * ICETime.millisecond, repeatAfter: UInt64? = nil, maxRepeats: Int = 10,
                    form: KeyframeRequestForm = .pli, senderSSRC: UInt32 = 0) {
            let interval = min(max(minInterval, Self.minimumInterval), Self.maximumInterval)
            self.minInterval = interval
            self.repeatAfter = max(repeatAfter ?? 2 * interval, interval)
            self.maxRepeats = max(maxRepeats, 0)
            self.form = form
            self.senderSSRC = senderSSRC
        }
    }

    public struct Counters: Sendable, Equatable {
        /// Requests made by consumers (`request(now:)` calls).
        public var requested = 0
        /// Requests that did not cause their own send: merged into a pending or awaiting one.
        public var merged = 0
        /// Requests held back because the last send was less than `minInterval` ago.
        public var deferred = 0
        /// PLI/FIR packets sent (new requests and repeats).
        public var sent = 0
        /// Sends that repeated an unanswered request.
        public var repeated = 0
        /// Requests given up after `maxRepeats` unanswered repeats.
        public var abandoned = 0
        /// `keyframeReceived` calls that satisfied a pending or awaiting request.
        public var satisfied = 0
        /// `keyframeReceived` calls.
        public var keyframesReceived = 0
    }

    public let mediaSSRC: UInt32
    public var configuration: Configuration
    public private(set) var counters = Counters()

    /// A request waits for the quiet interval to end.
    public private(set) var isPending = false
    /// A request was sent and no keyframe has arrived since.
    public private(set) var isAwaitingKeyframe = false
    var lastSentAt: UInt64?
    var repeats = 0
    /// FIR command sequence number of the request awaiting its keyframe (RFC 5104 §4.3.1.1).
    var firSequence: UInt8 = 0
    /// The next new request's FIR sequence number.
    var nextFIRSequence: UInt8 = 0

    public init(mediaSSRC: UInt32, configuration: Configuration = Configuration()) {
        self.mediaSSRC = mediaSSRC
        self.configuration = configuration
    }

    /// A consumer wants a keyframe. Returns the request to send now, if any (also a due repeat).
    public mutating func request(now: UInt64) -> KeyframeRequest? {
        counters.requested += 1
        if isPending || isAwaitingKeyframe {
            counters.merged += 1
        } else {
            isPending = true
            if let lastSentAt, now < lastSentAt &+ configuration.minInterval { counters.deferred += 1 }
        }
        return poll(now: now)
    }

    /// A keyframe from the publisher began arriving: every request made so far is satisfied.
    public mutating func keyframeReceived(now: UInt64) {
        counters.keyframesReceived += 1
        if isPending || isAwaitingKeyframe { counters.satisfied += 1 }
        isPending = false
        isAwaitingKeyframe = false
        repeats = 0
    }

    /// When `poll` next has something to do (ns), or nil while idle.
    public var nextDeadline: UInt64? {
        if isPending { return lastSentAt.map { $0 &+ configuration.minInterval } ?? 0 }
        if isAwaitingKeyframe, let lastSentAt { return lastSentAt &+ configuration.repeatAfter }
        return nil
    }

    /// Sends a pending request whose quiet interval ended, or repeats an unanswered one.
    public mutating func poll(now: UInt64) -> KeyframeRequest? {
        if isPending {
            if let lastSentAt, now < lastSentAt &+ configuration.minInterval { return nil }
            isPending = false
            isAwaitingKeyframe = true
            repeats = 0
            // Why: RFC 5104 §4.3.1.1 — a new command gets a new sequence number, a repeat keeps it.
            firSequence = nextFIRSequence
            nextFIRSequence &+= 1
            return send(now: now, isRepeat: false)
        }
        if isAwaitingKeyframe, let lastSentAt, now >= lastSentAt &+ configuration.repeatAfter {
            guard repeats < configuration.maxRepeats else {
                isAwaitingKeyframe = false
                counters.abandoned += 1
                return nil
            }
            repeats += 1
            counters.repeated += 1
            return send(now: now, isRepeat: true)
        }
        return nil
    }

    private mutating func send(now: UInt64, isRepeat: Bool) -> KeyframeRequest {
        lastSentAt = now
        counters.sent += 1
        return KeyframeRequest(form: configuration.form, senderSSRC: configuration.senderSSRC, mediaSSRC: mediaSSRC,
                               firSequence: firSequence, isRepeat: isRepeat)
    }
}

/// How a publisher is asked for a keyframe.
public enum KeyframeRequestForm: Sendable, Equatable {
    /// Picture loss indication (RFC 4585 §6.3.1): `a=rtcp-fb:* nack pli`.
    case pli
    /// Full intra request (RFC 5104 §4.3.1): `a=rtcp-fb:* ccm fir`.
    case fir

    /// The form to use given what the publisher negotiated: PLI when offered (browsers handle it
    /// best), else FIR, else nil (the publisher cannot be asked).
    public init?(negotiatedPLI: Bool, negotiatedFIR: Bool) {
        if negotiatedPLI { self = .pli } else if negotiatedFIR { self = .fir } else { return nil }
    }
}

/// One keyframe request to send to the publisher, as decided by `KeyframeRequester`.
public struct KeyframeRequest: Sendable, Equatable, RTCPWritable {
    public var form: KeyframeRequestForm
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    /// The FIR command sequence number (unused for PLI).
    public var firSequence: UInt8
    /// True when this repeats an unanswered request (same FIR sequence number).
    public var isRepeat: Bool

    public init(form: KeyframeRequestForm, senderSSRC: UInt32, mediaSSRC: UInt32, firSequence: UInt8, isRepeat: Bool) {
        self.form = form
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.firSequence = firSequence
        self.isRepeat = isRepeat
    }

    /// 12 bytes (PLI) or 20 (FIR with one entry).
    public var encodedSize: Int { form == .pli ? 12 : 20 }

    /// Writes the PLI or FIR at the writer's offset: alone (reduced-size RTCP, RFC 5506) or after a
    /// receiver report in a compound packet (RFC 3550 §6.1) — the owner decides which.
    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        switch form {
        case .pli:
            try PictureLossIndication(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC).write(to: &w)
        case .fir:
            var entry = FIREntry(ssrc: mediaSSRC, sequenceNumber: firSequence)
            // Why: `RTCPList` points at the caller's values; a stack value keeps this allocation-free.
            try withUnsafePointer(to: &entry) { (p) throws(BufferTooSmall) in
                let fir = FullIntraRequest(senderSSRC: senderSSRC, entries: RTCPList(UnsafeBufferPointer(start: p, count: 1)))
                try fir.write(to: &w)
            }
        }
    }
}
