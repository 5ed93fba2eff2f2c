/// The codecs whose RTP payloads Podium understands, by their SDP encoding names
/// (`a=rtpmap:<pt> VP8/90000` …, RFC 8866 §6.6; names compare case-insensitively).
public enum PayloadCodec: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case vp8, vp9, h264, av1, opus

    /// The codec for an SDP encoding name; nil for codecs Podium forwards without looking inside.
    public init?(encodingName: some StringProtocol) {
        switch encodingName.lowercased() {
        case "vp8": self = .vp8
        case "vp9": self = .vp9
        case "h264": self = .h264
        case "av1", "av1x": self = .av1
        case "opus": self = .opus
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .vp8: "VP8"
        case .vp9: "VP9"
        case .h264: "H264"
        case .av1: "AV1"
        case .opus: "opus"
        }
    }
}

/// One RTP packet's codec payload descriptor — the closed set of codecs Podium parses, so the
/// router switches over an enum instead of calling through an existential.
///
/// Each case keeps the codec's own type for codec-specific work (VP8 picture id rewrite, VP9
/// scalability structure, H.264 SPS…); the properties here are what layer selection and keyframe
/// handling need from every codec.
public enum PayloadDescriptor: CustomStringConvertible {
    case vp8(VP8PayloadDescriptor)
    case vp9(VP9PayloadDescriptor)
    case h264(H264PayloadDescriptor)
    case av1(AV1Payload)
    case opus(OpusPayloadDescriptor)

    /// Parses `payload` (the RTP payload, after header, extensions and before padding) as `codec`.
    @inlinable
    public init(parsing payload: UnsafeRawBufferPointer, codec: PayloadCodec) throws(ParseError) {
        switch codec {
        case .vp8: self = .vp8(try VP8PayloadDescriptor(parsing: payload))
        case .vp9: self = .vp9(try VP9PayloadDescriptor(parsing: payload))
        case .h264: self = .h264(try H264PayloadDescriptor(parsing: payload))
        case .av1: self = .av1(try AV1Payload(parsing: payload))
        case .opus: self = .opus(try OpusPayloadDescriptor(parsing: payload))
        }
    }

    public var codec: PayloadCodec {
        switch self {
        case .vp8: .vp8
        case .vp9: .vp9
        case .h264: .h264
        case .av1: .av1
        case .opus: .opus
        }
    }

    /// This packet belongs to a frame a decoder can start from (audio: every packet).
    @inlinable
    public var isKeyframe: Bool {
        switch self {
        case .vp8(let d): d.isKeyframe
        case .vp9(let d): d.isKeyframe
        case .h264(let d): d.isKeyframe
        case .av1(let d): d.isKeyframe
        case .opus(let d): d.isKeyframe
        }
    }

    /// This packet starts a frame; nil when the payload cannot tell (AV1 whose first OBU is metadata:
    /// use the dependency descriptor or the RTP marker of the previous packet).
    @inlinable
    public var isStartOfFrame: Bool? {
        switch self {
        case .vp8(let d): d.isStartOfFrame
        case .vp9(let d): d.isStartOfFrame
        case .h264(let d): d.isStartOfFrame
        case .av1(let d): d.isStartOfFrame
        case .opus(let d): d.isStartOfFrame
        }
    }

    /// Temporal layer id, where the payload carries one.
    @inlinable
    public var temporalLayerID: UInt8? {
        switch self {
        case .vp8(let d): d.temporalLayerID
        case .vp9(let d): d.temporalLayerID
        case .av1(let d): d.temporalLayerID
        case .h264, .opus: nil
        }
    }

    /// Spatial layer id, where the payload carries one.
    @inlinable
    public var spatialLayerID: UInt8? {
        switch self {
        case .vp9(let d): d.spatialLayerID
        case .av1(let d): d.spatialLayerID
        case .vp8, .h264, .opus: nil
        }
    }

    /// Offset in the payload where the codec bitstream starts.
    @inlinable
    public var payloadHeaderSize: Int {
        switch self {
        case .vp8(let d): d.payloadHeaderSize
        case .vp9(let d): d.payloadHeaderSize
        case .h264(let d): d.payloadHeaderSize
        case .av1(let d): d.payloadHeaderSize
        case .opus(let d): d.payloadHeaderSize
        }
    }

    public var description: String {
        switch self {
        case .vp8(let d): d.description
        case .vp9(let d): d.description
        case .h264(let d): d.description
        case .av1(let d): d.description
        case .opus(let d): d.description
        }
    }
}
