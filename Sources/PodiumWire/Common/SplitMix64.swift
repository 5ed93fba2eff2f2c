/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, deterministic generator. Synthetic media and
/// tests use it so that the same seed gives the same frames, packets and garbage on every run.
/// Not for anything secret (ICE credentials, keys use the system generator).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (modulo bias is irrelevant for test data).
    @inlinable public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// Uniform in `range`.
    @inlinable public mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    /// Uniform in [0, 1).
    @inlinable public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    @inlinable public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    @inlinable public mutating func next16() -> UInt16 { UInt16(truncatingIfNeeded: next()) }
    @inlinable public mutating func next32() -> UInt32 { UInt32(truncatingIfNeeded: next()) }
    public mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in byte() } }
}
