/// Opus TOC byte (RFC 6716 §3.1), the first byte of every Opus packet.
///
///      0 1 2 3 4 5 6 7
///     +-+-+-+-+-+-+-+-+
///     | config  |s| c |
///     +-+-+-+-+-+-+-+-+
///
/// config (Table 2):  0...11 SILK-only  NB/MB/WB        10, 20, 40, 60 ms
///                   12...15 Hybrid     SWB/FB          10, 20 ms
///                   16...31 CELT-only  NB/WB/SWB/FB    2.5, 5, 10, 20 ms
/// s: stereo.  c: frame count code (0: one frame, 1: two equal, 2: two sized, 3: signalled count).
public struct OpusTOC: Sendable, Equatable, CustomStringConvertible {
    public enum Mode: Sendable, Equatable { case silk, hybrid, celt }

    /// Audio bandwidth (RFC 6716 Table 1), by its coded band edge.
    public enum Bandwidth: UInt8, Sendable, Equatable, Comparable {
        case narrowband = 4, mediumband = 6, wideband = 8, superWideband = 12, fullband = 20
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    public var byte: UInt8

    @inlinable public init(_ byte: UInt8) { self.byte = byte }

    public init(config: UInt8, isStereo: Bool, frameCountCode: UInt8) {
        self.byte = (config & 0x1F) << 3 | (isStereo ? 0x04 : 0) | frameCountCode & 0x03
    }

    @inlinable public var config: UInt8 { byte >> 3 }
    @inlinable public var isStereo: Bool { byte & 0x04 != 0 }
    @inlinable public var frameCountCode: UInt8 { byte & 0x03 }

    public var mode: Mode {
        switch config {
        case 0...11: .silk
        case 12...15: .hybrid
        default: .celt
        }
    }

    public var bandwidth: Bandwidth {
        switch config {
        case 0...3, 16...19: .narrowband
        case 4...7: .mediumband
        case 8...11, 20...23: .wideband
        case 12, 13, 24...27: .superWideband
        default: .fullband
        }
    }

    /// Samples per frame per channel at 48 kHz (the Opus RTP clock, RFC 7587 §4.1): 120 (2.5 ms)
    /// to 2880 (60 ms).
    public var frameSamples: Int {
        let c = Int(config)
        switch mode {
        case .silk: return c & 3 == 3 ? 2880 : 480 << (c & 3)
        case .hybrid: return 480 << (c & 1)
        case .celt: return 120 << (c & 3)
        }
    }

    /// Frame duration in microseconds (2500 ... 60000).
    public var frameDurationMicroseconds: Int { frameSamples * 1000 / 48 }

    public var description: String {
        "Opus(config=\(config) \(mode) \(bandwidth) \(Double(frameSamples) / 48) ms\(isStereo ? " stereo" : "") c=\(frameCountCode))"
    }
}
