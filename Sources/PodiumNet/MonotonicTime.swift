import Glibc

/// A point on the monotonic clock (`CLOCK_MONOTONIC`), in nanoseconds since an arbitrary origin.
/// It never jumps with wall-clock changes, so timers and rate estimates use it.
public struct MonotonicTime: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The current time (one `clock_gettime`, served by the vDSO: no system call).
    @inlinable
    public static func now() -> MonotonicTime {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return MonotonicTime(nanoseconds: Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec))
    }

    @inlinable
    public static func < (a: MonotonicTime, b: MonotonicTime) -> Bool { a.nanoseconds < b.nanoseconds }

    @inlinable
    public static func + (time: MonotonicTime, duration: Duration) -> MonotonicTime {
        let (sum, overflow) = time.nanoseconds.addingReportingOverflow(duration.clampedNanoseconds)
        return MonotonicTime(nanoseconds: overflow ? (duration < .zero ? .min : .max) : sum)
    }

    @inlinable
    public static func - (time: MonotonicTime, duration: Duration) -> MonotonicTime {
        time + (.zero - duration)
    }

    @inlinable
    public static func - (a: MonotonicTime, b: MonotonicTime) -> Duration {
        .nanoseconds(a.nanoseconds &- b.nanoseconds)
    }

    @inlinable
    public func advanced(byNanoseconds delta: Int64) -> MonotonicTime {
        MonotonicTime(nanoseconds: nanoseconds &+ delta)
    }

    /// Whole milliseconds since the origin (rounded down).
    @inlinable
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    public var description: String {
        "\(nanoseconds / 1_000_000_000).\(String(nanoseconds % 1_000_000_000 + 1_000_000_000).dropFirst(1)) s"
    }
}

extension Duration {
    /// The duration in nanoseconds, clamped to `Int64`.
    @inlinable
    public var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }
}
