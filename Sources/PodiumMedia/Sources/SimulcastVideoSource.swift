/// One simulcast encoding of a `SimulcastVideoSource`.
public struct SimulcastLayerConfiguration: Sendable, Equatable {
    /// RTP stream id (RFC 8852), e.g. "q", "h", "f".
    public var rid: String
    public var width: Int
    public var height: Int
    public var bitrateKbps: Int
    /// 1...3 VP8 temporal layers.
    public var temporalLayers: Int

    public init(rid: String, width: Int, height: Int, bitrateKbps: Int, temporalLayers: Int = 3) {
        self.rid = rid
        self.width = width
        self.height = height
        self.bitrateKbps = bitrateKbps
        self.temporalLayers = temporalLayers
    }
}

/// A synthetic simulcast camera: one generated picture per tick, scaled to each layer and encoded
/// by that layer's VP8 encoder, like a browser publishing three encodings.
///
/// All layers share the RTP timestamp of a tick (90 kHz, +90000/frameRate per frame).
/// Not Sendable: owns libvpx encoders; use from one thread.
public final class SimulcastVideoSource {
    public static let defaultLayers: [SimulcastLayerConfiguration] = [
        .init(rid: "q", width: 320, height: 180, bitrateKbps: 150, temporalLayers: 3),
        .init(rid: "h", width: 640, height: 360, bitrateKbps: 500, temporalLayers: 3),
        .init(rid: "f", width: 1280, height: 720, bitrateKbps: 1500, temporalLayers: 3),
    ]

    public let layers: [SimulcastLayerConfiguration]
    public let frameRate: Int
    public let encoders: [VP8Encoder]
    private var generator: TestPatternGenerator
    /// The timestamp the next tick gets.
    public private(set) var rtpTimestamp: UInt32

    public init(layers: [SimulcastLayerConfiguration] = defaultLayers, frameRate: Int = 30, initialRTPTimestamp: UInt32 = 0) throws(MediaError) {
        guard !layers.isEmpty else { throw .invalidArgument("simulcast source without layers") }
        guard frameRate > 0, frameRate <= 240 else { throw .invalidArgument("frame rate \(frameRate): must be 1...240") }
        var encoders: [VP8Encoder] = []
        for layer in layers {
            var c = VP8EncoderConfiguration(width: layer.width, height: layer.height, bitrateKbps: layer.bitrateKbps,
                                            frameRate: frameRate, temporalLayers: layer.temporalLayers)
            c.initialRTPTimestamp = initialRTPTimestamp
            encoders.append(try VP8Encoder(c))
        }
        let largest = layers.max { $0.width * $0.height < $1.width * $1.height }!
        self.layers = layers
        self.frameRate = frameRate
        self.encoders = encoders
        generator = TestPatternGenerator(width: largest.width, height: largest.height)
        rtpTimestamp = initialRTPTimestamp
    }

    /// Encodes the next picture at every layer (one shared generated image, scaled per layer).
    /// `keyframeLayers` forces a keyframe on those layer indexes (PLI for that layer).
    /// An element is nil when that layer's rate control dropped the frame.
    public func nextFrames(keyframeLayers: Set<Int> = []) throws(MediaError) -> [EncodedVideoFrame?] {
        let picture = generator.next()
        defer { rtpTimestamp &+= UInt32(90_000 / frameRate) }
        // Why largest first, each scaled from the smallest picture made so far that is still
        // larger: the usual 2× steps then cost a 2×2 average each instead of 4×4 from the full one.
        var scaled: [I420Image] = [picture]
        var images = [I420Image?](repeating: nil, count: layers.count)
        for i in layers.indices.sorted(by: { layers[$0].width * layers[$0].height > layers[$1].width * layers[$1].height }) {
            let layer = layers[i]
            let source = scaled.last { $0.width >= layer.width && $0.height >= layer.height } ?? picture
            let image = source.scaled(width: layer.width, height: layer.height)
            scaled.append(image)
            images[i] = image
        }
        var out: [EncodedVideoFrame?] = []
        out.reserveCapacity(layers.count)
        for i in layers.indices {
            out.append(try encoders[i].encode(images[i]!, forceKeyframe: keyframeLayers.contains(i)))
        }
        return out
    }
}
