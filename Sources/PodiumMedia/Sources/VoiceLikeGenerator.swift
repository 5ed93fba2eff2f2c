import PodiumWire
import Foundation

/// Speech-like test audio at 48 kHz: phrases of 2–6 voiced "syllables" (a gliding fundamental of
/// 100–250 Hz with a few harmonics under an attack/decay envelope, each at its own level between
/// -3 and -30 dBFS peak), short gaps between syllables and longer silent pauses between phrases.
///
/// Why not a sine: audio level, voice activity, DTX and the active-speaker logic all need
/// loud, quiet and silent frames; deterministic by seed so tests see the same signal every run.
public struct VoiceLikeGenerator: Sendable {
    public let channels: Int
    private var rng: SplitMix64
    private var remaining = 0          // samples left in the current segment
    private var length = 1             // samples in the current segment
    private var voiced = false
    private var syllablesLeft = 0
    private var amplitude = 0.0
    private var f0 = 150.0
    private var glide = 0.0            // Hz per sample
    private var phase = 0.0
    private var harmonics = (1.0, 0.5, 0.25)

    public init(channels: Int = 1, seed: UInt64 = 1) {
        self.channels = max(1, min(2, channels))
        rng = SplitMix64(seed: seed)
    }

    /// The next 20 ms: 960 × channels interleaved samples.
    public mutating func next20ms() -> [Int16] {
        var out = [Int16](repeating: 0, count: 960 * channels)
        for i in 0..<960 {
            let s = nextSample()
            if channels == 1 {
                out[i] = s
            } else {
                out[2 * i] = s
                out[2 * i + 1] = Int16(Double(s) * 0.8)   // slightly different right channel
            }
        }
        return out
    }

    private mutating func nextSample() -> Int16 {
        if remaining == 0 { startSegment() }
        remaining -= 1
        guard voiced else { return 0 }
        let progress = Double(length - remaining) / Double(length)
        let envelope = progress < 0.15 ? progress / 0.15 : progress > 0.75 ? (1 - progress) / 0.25 : 1
        let twoPi = 2 * Double.pi
        phase += twoPi * f0 / 48_000
        if phase > twoPi { phase -= twoPi }
        f0 += glide
        let v = harmonics.0 * sin(phase) + harmonics.1 * sin(2 * phase) + harmonics.2 * sin(3 * phase)
        let norm = harmonics.0 + harmonics.1 + harmonics.2
        return Int16(clamping: Int((amplitude * envelope * v / norm * 32_767).rounded()))
    }

    private mutating func startSegment() {
        if voiced {
            // After a syllable: a short gap, or the pause that ends the phrase.
            voiced = false
            length = syllablesLeft > 0 ? rng.next(in: 40...120) * 48 : rng.next(in: 300...900) * 48
        } else {
            if syllablesLeft == 0 { syllablesLeft = rng.next(in: 2...6) }
            syllablesLeft -= 1
            voiced = true
            length = rng.next(in: 80...260) * 48
            let dB = -3.0 - 27.0 * rng.unit()
            amplitude = pow(10, dB / 20)
            f0 = 100 + 150 * rng.unit()
            glide = (rng.unit() - 0.5) * 60 / Double(length)
            harmonics = (1.0, 0.3 + 0.5 * rng.unit(), 0.1 + 0.4 * rng.unit())
        }
        remaining = length
    }
}
