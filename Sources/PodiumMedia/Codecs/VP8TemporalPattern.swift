import CVPX

/// Which reference buffers each frame of a VP8 temporal-layer pattern may read and write, so that
/// dropping the upper layers leaves a decodable stream (the scheme of libvpx's
/// `vp8_scalable_patterns` and libwebrtc's 3-layer VP8 pattern).
///
/// Buffer roles: LAST holds the latest TL0 frame, GOLDEN the latest TL1 frame; ALTREF is unused.
///
///     position   0     1     2     3        (3 layers, period 4; 2 layers: period 2, TIDs 0 1)
///     TID        0     2     1     2
///     refs       L     L     L     L+G
///     updates    L     -     G     -
///     Y (sync)   -     1     1     0
///
/// Why TL1 reads only LAST: every TL1 frame is then a switch point up to TL1, so a receiver that
/// gains bandwidth needs to wait at most 4 frames. Upper-layer frames also leave the entropy
/// context alone, so a stream that lost them still decodes.
struct VP8TemporalPattern: Sendable {
    struct Frame: Equatable, Sendable {
        var temporalLayer: UInt8
        var layerSync: Bool
        var flags: vpx_enc_frame_flags_t
    }

    let layers: Int
    private(set) var position = 0

    init(layers: Int) { self.layers = layers }

    var period: Int { layers == 3 ? 4 : layers == 2 ? 2 : 1 }

    /// The TID of each position in the period (libvpx's `ts_layer_id`).
    var layerIDs: [UInt32] { layers == 3 ? [0, 2, 1, 2] : layers == 2 ? [0, 1] : [0] }
    /// Frame-rate decimation per layer (libvpx's `ts_rate_decimator`).
    var rateDecimators: [UInt32] { layers == 3 ? [4, 2, 1] : layers == 2 ? [2, 1] : [1] }
    /// Share of the total bitrate up to and including each layer, in percent (libwebrtc's split:
    /// 40/20/40 for three layers, 60/40 for two).
    var cumulativeBitratePercent: [Int] { layers == 3 ? [40, 60, 100] : layers == 2 ? [60, 100] : [100] }

    /// Starts the pattern over, so the next frame (a forced keyframe) is TL0.
    mutating func restart() { position = 0 }

    /// The settings of the next frame, advancing the pattern.
    mutating func next() -> Frame {
        defer { position = (position + 1) % period }
        return Self.frame(layers: layers, position: position)
    }

    static func frame(layers: Int, position: Int) -> Frame {
        let noRefGolden = flag(VP8_EFLAG_NO_REF_GF), noRefAltref = flag(VP8_EFLAG_NO_REF_ARF)
        let noUpdLast = flag(VP8_EFLAG_NO_UPD_LAST), noUpdGolden = flag(VP8_EFLAG_NO_UPD_GF)
        let noUpdAltref = flag(VP8_EFLAG_NO_UPD_ARF), noUpdEntropy = flag(VP8_EFLAG_NO_UPD_ENTROPY)
        if layers <= 1 { return Frame(temporalLayer: 0, layerSync: false, flags: 0) }
        let tid: UInt8 = layers == 3 ? [0, 2, 1, 2][position % 4] : UInt8(position % 2)
        switch (tid, layers == 3 ? position % 4 : position % 2) {
        case (0, _):
            return Frame(temporalLayer: 0, layerSync: false, flags: noRefGolden | noRefAltref | noUpdGolden | noUpdAltref)
        case (1, _) where layers == 2:
            return Frame(temporalLayer: 1, layerSync: true,
                         flags: noRefGolden | noRefAltref | noUpdLast | noUpdGolden | noUpdAltref | noUpdEntropy)
        case (1, _):
            return Frame(temporalLayer: 1, layerSync: true,
                         flags: noRefGolden | noRefAltref | noUpdLast | noUpdAltref | noUpdEntropy)
        case (_, 1):
            return Frame(temporalLayer: 2, layerSync: true,
                         flags: noRefGolden | noRefAltref | noUpdLast | noUpdGolden | noUpdAltref | noUpdEntropy)
        default:
            return Frame(temporalLayer: 2, layerSync: false,
                         flags: noRefAltref | noUpdLast | noUpdGolden | noUpdAltref | noUpdEntropy)
        }
    }

    private static func flag<T: BinaryInteger>(_ v: T) -> vpx_enc_frame_flags_t { vpx_enc_frame_flags_t(v) }
}
