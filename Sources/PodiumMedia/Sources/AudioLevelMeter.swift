import Foundation

/// RFC 6464 audio level of a PCM frame: -dBov of its RMS, 0 (loudest) ... 127 (silence).
public enum AudioLevelMeter {
    /// Levels below this (louder than -40 dBov) count as voice activity.
    public static let voiceActivityThreshold: UInt8 = 40

    /// dBov is relative to the overload point (full-scale 16-bit), so a full-scale sine is 3.
    public static func level(of pcm: UnsafeBufferPointer<Int16>) -> UInt8 {
        guard !pcm.isEmpty else { return 127 }
        var sum: Double = 0
        for s in pcm { let d = Double(s); sum += d * d }
        let rms = (sum / Double(pcm.count)).squareRoot()
        guard rms > 0 else { return 127 }
        let dBov = 20 * log10(rms / 32_767)
        return UInt8(max(0, min(127, (-dBov).rounded())))
    }

    public static func level(of pcm: [Int16]) -> UInt8 { pcm.withUnsafeBufferPointer { level(of: $0) } }
}
