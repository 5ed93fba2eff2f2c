/// One encoded VP8 frame with what the RTP packetizer needs to fill the VP8 payload descriptor
/// (RFC 7741 §4.2: TID, Y) and the RTP header.
public struct EncodedVideoFrame: Sendable {
    /// One VP8 frame (all partitions), starting with the frame tag (RFC 6386 §9.1).
    public var data: [UInt8]
    public var isKeyframe: Bool
    /// 90 kHz clock.
    public var rtpTimestamp: UInt32
    /// TID, 0 = base layer.
    public var temporalLayer: UInt8
    /// RFC 7741 "Y" bit: the frame references only the base layer, so a receiver may switch up to
    /// `temporalLayer` here. Also true for keyframes (they reference nothing); false for other TL0.
    public var layerSync: Bool
    public var width: Int
    public var height: Int

    public init(data: [UInt8], isKeyframe: Bool, rtpTimestamp: UInt32, temporalLayer: UInt8, layerSync: Bool, width: Int, height: Int) {
        self.data = data
        self.isKeyframe = isKeyframe
        self.rtpTimestamp = rtpTimestamp
        self.temporalLayer = temporalLayer
        self.layerSync = layerSync
        self.width = width
        self.height = height
    }
}

/// One encoded 20 ms Opus frame with its RFC 6464 client-to-mixer audio level.
public struct EncodedAudioFrame: Sendable {
    /// One Opus packet (RFC 6716).
    public var data: [UInt8]
    /// 48 kHz clock.
    public var rtpTimestamp: UInt32
    /// RFC 6464: 0...127 = -dBov of the frame's PCM (127 = silence).
    public var audioLevel: UInt8
    /// RFC 6464 "V" flag.
    public var voiceActivity: Bool

    public init(data: [UInt8], rtpTimestamp: UInt32, audioLevel: UInt8, voiceActivity: Bool) {
        self.data = data
        self.rtpTimestamp = rtpTimestamp
        self.audioLevel = audioLevel
        self.voiceActivity = voiceActivity
    }
}
