/// Playout delay header extension (webrtc.org `playout-delay`): the sender's bounds on the
/// receiver's playout delay, 12 bits each in 10 ms units (0…40.95 s).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |  ID   | len=2 |       MIN delay       |       MAX delay       |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
public struct PlayoutDelayExtension: Sendable, Hashable, CustomStringConvertible {
    public static let size = 3
    /// Largest value of either bound, in 10 ms units.
    public static let maxUnits: UInt16 = 0xFFF

    /// Minimum delay in 10 ms units (0…4095).
    public var minimum: UInt16
    /// Maximum delay in 10 ms units (minimum…4095).
    public var maximum: UInt16

    /// - Precondition: `minimum <= maximum <= 4095`.
    public init(minimum: UInt16, maximum: UInt16) {
        precondition(minimum <= maximum && maximum <= PlayoutDelayExtension.maxUnits, "playout delay bounds are 0 ≤ min ≤ max ≤ 4095")
        self.minimum = minimum
        self.maximum = maximum
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        guard bytes.count == 3 else { throw ParseError(bytes.count < 3 ? .truncated : .malformed, at: 0, "playout delay is 3 bytes") }
        let v = bytes.loadBigEndianUInt24(at: 0)
        minimum = UInt16(v >> 12)
        maximum = UInt16(v & 0xFFF)
        guard minimum <= maximum else { throw ParseError(.malformed, at: 0, "playout delay min > max") }
    }

    public var minimumDelay: Duration { .milliseconds(Int(minimum) * 10) }
    public var maximumDelay: Duration { .milliseconds(Int(maximum) * 10) }

    public var encodedSize: Int { 3 }

    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.writeUInt24(UInt32(minimum & 0xFFF) << 12 | UInt32(maximum & 0xFFF))
        return w.offset
    }

    public var description: String { "playout-delay=\(Int(minimum) * 10)…\(Int(maximum) * 10)ms" }
}
