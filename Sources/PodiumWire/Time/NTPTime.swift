/// NTP timestamps as RTCP carries them (RFC 3550 §4, RFC 5905 §6): 64-bit seconds since
/// 1900-01-01 in 32.32 fixed point, and the "compact" middle 32 bits (16.16) used for LSR/DLSR
/// (RFC 3550 §6.4.1).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                 seconds since 1900 (era 0)                    |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                 fraction of a second (2^-32 s)                |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///                    |<------- compact form (16.16) ------>|
///
/// Unix conversions assume era 0 (1900…2036); Unix times outside it wrap modulo 2^32 seconds.
public struct NTPTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds between 1900-01-01 (NTP epoch) and 1970-01-01 (Unix epoch).
    public static let unixEpochOffset: UInt64 = 2_208_988_800

    /// `seconds << 32 | fraction`.
    public var rawValue: UInt64

    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(seconds: UInt32, fraction: UInt32) { rawValue = UInt64(seconds) << 32 | UInt64(fraction) }

    /// From nanoseconds since the Unix epoch.
    @inlinable public init(unixNanoseconds ns: UInt64) {
        let seconds = ns / 1_000_000_000 &+ NTPTimestamp.unixEpochOffset
        let rest = ns % 1_000_000_000
        // Round to the nearest 2^-32 s so that a round trip through nanoseconds is exact.
        let fraction = ((rest << 32) + 500_000_000) / 1_000_000_000
        rawValue = (seconds << 32) &+ fraction
    }

    /// From a `Duration` since the Unix epoch (negative durations clamp to the epoch).
    public init(sinceUnixEpoch d: Duration) {
        let (s, atto) = d.components
        if s < 0 { self.init(unixNanoseconds: 0); return }
        self.init(unixNanoseconds: UInt64(s) &* 1_000_000_000 &+ UInt64(atto / 1_000_000_000))
    }

    @inlinable public var seconds: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    @inlinable public var fraction: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    /// Nanoseconds since the Unix epoch (era 0; 0 for times before 1970).
    @inlinable public var unixNanoseconds: UInt64 {
        let s = UInt64(seconds)
        guard s >= NTPTimestamp.unixEpochOffset else { return 0 }
        let ns = (UInt64(fraction) * 1_000_000_000 + (1 << 31)) >> 32
        return (s - NTPTimestamp.unixEpochOffset) * 1_000_000_000 + ns
    }

    /// The middle 32 bits (RFC 3550 §6.4.1 LSR).
    @inlinable public var compact: NTPCompactTimestamp { NTPCompactTimestamp(rawValue: UInt32(truncatingIfNeeded: rawValue >> 16)) }

    @inlinable public static func < (a: NTPTimestamp, b: NTPTimestamp) -> Bool { a.rawValue < b.rawValue }

    public var description: String { "NTP \(seconds).\(fraction)" }
}

/// The compact NTP form: 16 bits of seconds, 16 bits of fraction (units of 1/65536 s). Used both as
/// a time (LSR, a receive time) and as a duration (DLSR, RTT), always modulo 2^16 s.
public struct NTPCompactTimestamp: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// A duration in 1/65536 s units, rounded to the nearest unit; saturates at 2^16 s.
    public init(duration d: Duration) {
        let (s, atto) = d.components
        if s < 0 { rawValue = 0; return }
        if s >= 65_536 { rawValue = .max; return }
        let ns = UInt64(atto / 1_000_000_000)
        rawValue = UInt32(min((UInt64(s) << 16) + ((ns << 16) + 500_000_000) / 1_000_000_000, UInt64(UInt32.max)))
    }

    /// This value read as a duration.
    public var duration: Duration {
        let ns = (UInt64(rawValue) * 1_000_000_000 + (1 << 15)) >> 16
        return .nanoseconds(Int64(ns))
    }

    /// Round-trip time from a report block (RFC 3550 §6.4.1): RTT = A − LSR − DLSR, where A is the
    /// compact arrival time of the report. Nil when LSR is 0 (no SR received yet). A negative result
    /// (clock skew, rounding) is clamped to zero. All arithmetic is modulo 2^32 compact units.
    public static func roundTripTime(arrival: NTPCompactTimestamp, lastSR: UInt32, delaySinceLastSR: UInt32) -> Duration? {
        guard lastSR != 0 else { return nil }
        let rtt = Int32(bitPattern: arrival.rawValue &- lastSR &- delaySinceLastSR)
        return NTPCompactTimestamp(rawValue: UInt32(max(rtt, 0))).duration
    }

    public var description: String { "\(rawValue >> 16).\(rawValue & 0xFFFF)/65536" }
}
