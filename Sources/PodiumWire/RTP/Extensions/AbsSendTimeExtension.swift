/// Absolute send time header extension (webrtc.org `abs-send-time`): the sender's clock when the
/// packet left, 24-bit unsigned 6.18 fixed-point seconds, wrapping every 64 s.
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |  ID   | len=2 |  seconds (6) |      fraction (18 bits)        |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// It is bits 14…37 (from the low end) of the 64-bit NTP timestamp, i.e. `(ntp >> 14) & 0xFFFFFF`.
public struct AbsSendTimeExtension: Sendable, Hashable, CustomStringConvertible {
    public static let size = 3
    /// Units per second (2^18).
    public static let unitsPerSecond: UInt64 = 1 << 18
    /// Values wrap after 64 s.
    public static let period: Duration = .seconds(64)

    /// The 24-bit value.
    public var rawValue: UInt32

    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue & 0xFF_FFFF }

    /// The value for an NTP time.
    @inlinable public init(ntp: NTPTimestamp) { rawValue = UInt32(truncatingIfNeeded: ntp.rawValue >> 14) & 0xFF_FFFF }

    /// The value for a time in nanoseconds on any clock (taken modulo 64 s, rounded to the nearest unit).
    @inlinable public init(nanoseconds ns: UInt64) {
        let seconds = ns / 1_000_000_000
        let units = (seconds << 18) &+ (((ns % 1_000_000_000) << 18) + 500_000_000) / 1_000_000_000
        rawValue = UInt32(truncatingIfNeeded: units) & 0xFF_FFFF
    }

    /// The value as nanoseconds within its 64 s period.
    @inlinable public var nanoseconds: UInt64 { (UInt64(rawValue) * 1_000_000_000 + (1 << 17)) >> 18 }

    /// Signed difference `to − from` in nanoseconds, taking the 64 s wrap into account
    /// (differences of ±32 s or more are ambiguous, as for any 24-bit serial number).
    @inlinable public static func delta(from a: AbsSendTimeExtension, to b: AbsSendTimeExtension) -> Int64 {
        // Sign-extend the 24-bit difference: move it to the top of 32 bits, shift back as Int32.
        let units = Int64(Int32(bitPattern: (b.rawValue &- a.rawValue) << 8) >> 8)
        return units * 1_000_000_000 / Int64(unitsPerSecond)
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        guard bytes.count == AbsSendTimeExtension.size else {
            throw ParseError(bytes.count < 3 ? .truncated : .malformed, at: 0, "abs-send-time is 3 bytes")
        }
        rawValue = bytes.loadBigEndianUInt24(at: 0)
    }

    public var encodedSize: Int { AbsSendTimeExtension.size }

    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.writeUInt24(rawValue)
        return w.offset
    }

    public var description: String { "abs-send-time=\(rawValue >> 18)+\(rawValue & 0x3FFFF)/262144s" }
}
