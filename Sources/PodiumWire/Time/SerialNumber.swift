/// Serial number arithmetic (RFC 1982 §3.2) for RTP sequence numbers (16 bit, RFC 3550 §5.1) and
/// timestamps (32 bit), and unwrapping them into a monotonic 64-bit space.
///
///     0 ─────────── 2^(n-1) ─────────── 2^n−1 │ 0 ───── …
///     b is newer than a when 0 < (b − a) mod 2^n < 2^(n-1)
///
/// Why: RFC 1982 leaves a distance of exactly 2^(n-1) undefined; like libwebrtc we call the larger
/// raw value newer, so `isNewer(a, than: b)` and `isNewer(b, than: a)` are never both true.
public enum SerialNumber {
    /// Signed distance from `a` to `b` in (−2^(n-1), 2^(n-1)]: positive when `b` is newer.
    @inlinable
    public static func distance<T: FixedWidthInteger & UnsignedInteger>(from a: T, to b: T) -> Int64 {
        let forward = b &- a
        let half = T(1) << (T.bitWidth - 1)
        if forward < half { return Int64(forward) }
        if forward == half { return b > a ? Int64(forward) : -Int64(forward) }
        return -Int64(a &- b)
    }

    /// True when `a` comes after `b`.
    @inlinable
    public static func isNewer<T: FixedWidthInteger & UnsignedInteger>(_ a: T, than b: T) -> Bool {
        distance(from: b, to: a) > 0
    }

    /// The newer of two values.
    @inlinable
    public static func latest<T: FixedWidthInteger & UnsignedInteger>(_ a: T, _ b: T) -> T {
        isNewer(a, than: b) ? a : b
    }
}

/// Unwraps n-bit serial numbers into Int64 (RFC 1982 distances): the first value maps to itself,
/// each next one to the previous unwrapped value plus its signed distance. Reordered (older) values
/// unwrap below the latest; the reference follows the most recent call, as in libwebrtc.
public struct SerialNumberUnwrapper<Value: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    @usableFromInline var last: Value = 0
    @usableFromInline var lastUnwrapped: Int64 = 0
    @usableFromInline var started = false

    @inlinable public init() {}

    /// The unwrapped value of the last call, nil before the first.
    @inlinable public var latest: Int64? { started ? lastUnwrapped : nil }

    /// Unwraps `value` and makes it the reference for the next call.
    @inlinable
    public mutating func unwrap(_ value: Value) -> Int64 {
        let u = peek(value)
        last = value
        lastUnwrapped = u
        started = true
        return u
    }

    /// What `unwrap(value)` would return, without changing the state.
    @inlinable
    public func peek(_ value: Value) -> Int64 {
        started ? lastUnwrapped &+ SerialNumber.distance(from: last, to: value) : Int64(value)
    }

    /// Forgets the reference; the next value maps to itself.
    @inlinable public mutating func reset() { started = false }
}

/// RTP sequence numbers (16 bit) → Int64.
public typealias SequenceNumberUnwrapper = SerialNumberUnwrapper<UInt16>
/// RTP timestamps (32 bit) → Int64.
public typealias TimestampUnwrapper = SerialNumberUnwrapper<UInt32>
