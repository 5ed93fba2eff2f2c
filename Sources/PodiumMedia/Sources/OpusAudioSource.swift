/// A synthetic audio publisher: voice-like audio encoded to 20 ms Opus frames with their
/// RFC 6464 audio level, RTP timestamps advancing 960 per frame (48 kHz).
///
/// Not Sendable: owns an `OpusEncoder`; use from one thread.
public final class OpusAudioSource {
    public let encoder: OpusEncoder
    private var generator: VoiceLikeGenerator
    /// The timestamp the next frame gets.
    public private(set) var rtpTimestamp: UInt32

    public init(configuration: OpusEncoderConfiguration = .init(), seed: UInt64 = 1, initialRTPTimestamp: UInt32 = 0) throws(MediaError) {
        encoder = try OpusEncoder(configuration)
        generator = VoiceLikeGenerator(channels: configuration.channels, seed: seed)
        rtpTimestamp = initialRTPTimestamp
    }

    public func nextFrame() throws(MediaError) -> EncodedAudioFrame {
        let pcm = generator.next20ms()
        let level = AudioLevelMeter.level(of: pcm)
        let packet = try encoder.encode(pcm: pcm)
        defer { rtpTimestamp &+= UInt32(OpusEncoder.frameSamples) }
        return EncodedAudioFrame(data: packet, rtpTimestamp: rtpTimestamp, audioLevel: level,
                                 voiceActivity: level < AudioLevelMeter.voiceActivityThreshold)
    }
}
