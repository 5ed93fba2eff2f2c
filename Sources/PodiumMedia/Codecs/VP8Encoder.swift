import CVPX

/// Settings of one VP8 encoder, tuned for real-time conferencing (one pass, CBR, no look-ahead).
public struct VP8EncoderConfiguration: Sendable {
    /// Even, 2...16382.
    public var width: Int
    public var height: Int
    /// Target bitrate over all temporal layers, kbit/s.
    public var bitrateKbps: Int
    public var frameRate: Int = 30
    /// 1, 2 or 3 (see `VP8TemporalPattern`).
    public var temporalLayers: Int = 1
    /// libvpx error-resilient mode: each frame decodable without the entropy state of lost frames.
    public var errorResilient: Bool = true
    /// libvpx speed, 0 (slowest) ... 16 (fastest). Passed as `-cpuUsed`, which fixes the speed;
    /// a positive value would let libvpx adapt it to measured encode time (not reproducible).
    public var cpuUsed: Int = 8
    /// Periodic keyframe interval in frames; nil = keyframes only on the first frame and on demand
    /// (as libwebrtc does: the receiver asks with PLI/FIR).
    public var keyframeInterval: Int? = nil
    /// First RTP timestamp (90 kHz); the encoder advances it by 90000 / `frameRate` per picture.
    public var initialRTPTimestamp: UInt32 = 0

    public init(width: Int, height: Int, bitrateKbps: Int, frameRate: Int = 30, temporalLayers: Int = 1,
                errorResilient: Bool = true, cpuUsed: Int = 8) {
        self.width = width
        self.height = height
        self.bitrateKbps = bitrateKbps
        self.frameRate = frameRate
        self.temporalLayers = temporalLayers
        self.errorResilient = errorResilient
        self.cpuUsed = cpuUsed
    }

    func validate() throws(MediaError) {
        guard width >= 2, height >= 2, width <= 16382, height <= 16382, width % 2 == 0, height % 2 == 0 else {
            throw .invalidArgument("VP8 picture size \(width)x\(height): must be even, 2...16382")
        }
        guard bitrateKbps > 0, bitrateKbps <= 100_000 else {
            throw .invalidArgument("VP8 bitrate \(bitrateKbps) kbit/s: must be 1...100000")
        }
        guard frameRate > 0, frameRate <= 240 else { throw .invalidArgument("VP8 frame rate \(frameRate): must be 1...240") }
        guard (1...3).contains(temporalLayers) else {
            throw .invalidArgument("VP8 temporal layers \(temporalLayers): must be 1, 2 or 3")
        }
        guard (0...16).contains(cpuUsed) else { throw .invalidArgument("VP8 cpuUsed \(cpuUsed): must be 0...16") }
        if let k = keyframeInterval, k <= 0 { throw .invalidArgument("VP8 keyframe interval \(k): must be positive") }
    }
}

/// A libvpx VP8 encoder in real-time mode.
///
/// Not Sendable: the libvpx context is used from one thread at a time (the owner's).
public final class VP8Encoder {
    public let configuration: VP8EncoderConfiguration
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    private let image: UnsafeMutablePointer<vpx_image_t>
    private var encoderConfig: vpx_codec_enc_cfg_t
    private var pattern: VP8TemporalPattern
    private var pts: vpx_codec_pts_t = 0
    private var timestamp: UInt32
    private let timestampStep: UInt32
    /// Frames encoded so far, including ones the rate control dropped.
    public private(set) var frameCount = 0

    public init(_ configuration: VP8EncoderConfiguration) throws(MediaError) {
        try configuration.validate()
        self.configuration = configuration
        pattern = VP8TemporalPattern(layers: configuration.temporalLayers)
        timestamp = configuration.initialRTPTimestamp
        timestampStep = UInt32(90_000 / configuration.frameRate)

        var cfg = vpx_codec_enc_cfg_t()
        let iface = vpx_codec_vp8_cx()
        var err = vpx_codec_enc_config_default(iface, &cfg, 0)
        guard err == VPX_CODEC_OK else { throw Self.error("vpx_codec_enc_config_default", err, nil) }
        cfg.g_w = UInt32(configuration.width)
        cfg.g_h = UInt32(configuration.height)
        cfg.g_timebase = vpx_rational(num: 1, den: Int32(configuration.frameRate))
        cfg.g_threads = 1
        cfg.g_pass = VPX_RC_ONE_PASS
        cfg.g_lag_in_frames = 0
        cfg.g_error_resilient = configuration.errorResilient ? vpx_codec_er_flags_t(VPX_ERROR_RESILIENT_DEFAULT) : 0
        cfg.rc_end_usage = VPX_CBR
        cfg.rc_target_bitrate = UInt32(configuration.bitrateKbps)
        // Why: libwebrtc's real-time values: small buffers (ms) so rate follows the target within
        // a second, and no frame dropping, so the temporal pattern stays intact.
        cfg.rc_buf_initial_sz = 500
        cfg.rc_buf_optimal_sz = 600
        cfg.rc_buf_sz = 1000
        cfg.rc_undershoot_pct = 100
        cfg.rc_overshoot_pct = 15
        cfg.rc_min_quantizer = 2
        cfg.rc_max_quantizer = 56
        cfg.rc_dropframe_thresh = 0
        cfg.rc_resize_allowed = 0
        // Why never automatic: a libvpx-chosen keyframe could land on a TL1/TL2 position; periodic
        // keyframes are forced by `encode` instead, always at the start of the pattern.
        cfg.kf_mode = VPX_KF_DISABLED
        Self.applyTemporalLayers(pattern, bitrateKbps: configuration.bitrateKbps, to: &cfg)
        encoderConfig = cfg

        context = .allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        image = .allocate(capacity: 1)
        image.initialize(to: vpx_image_t())
        err = podium_vpx_enc_init(context, iface, &cfg, 0)
        guard err == VPX_CODEC_OK else {
            let e = Self.error("vpx_codec_enc_init", err, context)
            context.deallocate()
            image.deallocate()
            throw e
        }
        do {
            try check("VP8E_SET_CPUUSED", podium_vpx_set_cpuused(context, Int32(-configuration.cpuUsed)))
            try check("VP8E_SET_STATIC_THRESHOLD", podium_vpx_set_static_threshold(context, 1))
            try check("VP8E_SET_NOISE_SENSITIVITY", podium_vpx_set_noise_sensitivity(context, 0))
            try check("VP8E_SET_TOKEN_PARTITIONS", podium_vpx_set_token_partitions(context, 0))
            // Why: caps keyframe size (percent of the per-frame budget) so a keyframe does not
            // burst far beyond the target; libwebrtc computes ~ 0.5 × buffer × fps / 10.
            let intraPct = max(300, UInt32(Double(cfg.rc_buf_optimal_sz) * 0.5 * Double(configuration.frameRate) / 10))
            try check("VP8E_SET_MAX_INTRA_BITRATE_PCT", podium_vpx_set_max_intra_bitrate_pct(context, intraPct))
        } catch {
            vpx_codec_destroy(context)
            context.deallocate()
            image.deallocate()
            throw error
        }
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
        image.deallocate()
    }

    private static func applyTemporalLayers(_ pattern: VP8TemporalPattern, bitrateKbps: Int, to cfg: inout vpx_codec_enc_cfg_t) {
        guard pattern.layers > 1 else {
            cfg.ts_number_layers = 1
            return
        }
        cfg.ts_number_layers = UInt32(pattern.layers)
        cfg.ts_periodicity = UInt32(pattern.period)
        withUnsafeMutableBytes(of: &cfg.ts_target_bitrate) { raw in
            let p = raw.bindMemory(to: UInt32.self)
            for (i, pct) in pattern.cumulativeBitratePercent.enumerated() { p[i] = UInt32(max(1, bitrateKbps * pct / 100)) }
        }
        withUnsafeMutableBytes(of: &cfg.ts_rate_decimator) { raw in
            let p = raw.bindMemory(to: UInt32.self)
            for (i, d) in pattern.rateDecimators.enumerated() { p[i] = d }
        }
        withUnsafeMutableBytes(of: &cfg.ts_layer_id) { raw in
            let p = raw.bindMemory(to: UInt32.self)
            for (i, id) in pattern.layerIDs.enumerated() { p[i] = id }
        }
    }

    /// Changes the target bitrate (kbit/s), spread over the temporal layers as at init.
    public func setBitrate(kbps: Int) throws(MediaError) {
        guard kbps > 0, kbps <= 100_000 else { throw .invalidArgument("VP8 bitrate \(kbps) kbit/s: must be 1...100000") }
        encoderConfig.rc_target_bitrate = UInt32(kbps)
        Self.applyTemporalLayers(pattern, bitrateKbps: kbps, to: &encoderConfig)
        try check("vpx_codec_enc_config_set", vpx_codec_enc_config_set(context, &encoderConfig))
    }

    /// Encodes one picture (the next in the frame sequence). Returns nil when libvpx produced no
    /// frame (rate control dropped it). A forced keyframe restarts the temporal pattern, so it is TL0.
    public func encode(_ image: I420Image, forceKeyframe: Bool = false) throws(MediaError) -> EncodedVideoFrame? {
        guard image.width == configuration.width, image.height == configuration.height else {
            throw .invalidArgument("VP8 encoder is \(configuration.width)x\(configuration.height), picture is \(image.width)x\(image.height)")
        }
        guard image.y.count >= image.width * image.height,
              image.u.count >= image.chromaWidth * image.chromaHeight,
              image.v.count >= image.chromaWidth * image.chromaHeight
        else { throw .invalidArgument("I420 planes smaller than \(image.width)x\(image.height)") }

        let periodic = configuration.keyframeInterval.map { frameCount > 0 && frameCount % $0 == 0 } ?? false
        let keyframeRequested = forceKeyframe || periodic || frameCount == 0
        if keyframeRequested { pattern.restart() }
        let layer = pattern.next()
        var flags = layer.flags
        if forceKeyframe || periodic { flags |= vpx_enc_frame_flags_t(VPX_EFLAG_FORCE_KF) }
        if configuration.temporalLayers > 1 {
            try check("VP8E_SET_TEMPORAL_LAYER_ID", podium_vpx_set_temporal_layer_id(context, Int32(layer.temporalLayer)))
        }

        let rtpTimestamp = timestamp
        let framePTS = pts
        timestamp &+= timestampStep
        pts += 1
        frameCount += 1

        let w = UInt32(configuration.width), h = UInt32(configuration.height)
        let status: vpx_codec_err_t = image.y.withUnsafeBufferPointer { y in
            image.u.withUnsafeBufferPointer { u in
                image.v.withUnsafeBufferPointer { v in
                    let yp = UnsafeMutablePointer(mutating: y.baseAddress!)
                    // Why wrap per frame: the planes live in the caller's arrays, whose addresses
                    // are only valid inside these closures. vpx_img_wrap allocates nothing here.
                    guard vpx_img_wrap(self.image, VPX_IMG_FMT_I420, w, h, 1, yp) != nil else { return VPX_CODEC_ERROR }
                    self.image.pointee.planes.1 = UnsafeMutablePointer(mutating: u.baseAddress!)
                    self.image.pointee.planes.2 = UnsafeMutablePointer(mutating: v.baseAddress!)
                    self.image.pointee.stride.0 = Int32(image.width)
                    self.image.pointee.stride.1 = Int32(image.chromaWidth)
                    self.image.pointee.stride.2 = Int32(image.chromaWidth)
                    return vpx_codec_encode(self.context, self.image, framePTS, 1, flags, UInt(VPX_DL_REALTIME))
                }
            }
        }
        try check("vpx_codec_encode", status)

        var data: [UInt8] = []
        var isKeyframe = false
        var iterator: vpx_codec_iter_t? = nil
        while let packet = vpx_codec_get_cx_data(context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let frame = packet.pointee.data.frame
            if frame.flags & vpx_codec_frame_flags_t(VPX_FRAME_IS_KEY) != 0 { isKeyframe = true }
            if let buf = frame.buf, frame.sz > 0 {
                data.append(contentsOf: UnsafeRawBufferPointer(start: buf, count: Int(frame.sz)))
            }
        }
        guard !data.isEmpty else { return nil }
        return EncodedVideoFrame(
            data: data, isKeyframe: isKeyframe, rtpTimestamp: rtpTimestamp,
            temporalLayer: isKeyframe ? 0 : layer.temporalLayer,
            layerSync: isKeyframe || layer.layerSync,
            width: configuration.width, height: configuration.height)
    }

    private func check(_ call: String, _ err: vpx_codec_err_t) throws(MediaError) {
        guard err == VPX_CODEC_OK else { throw Self.error(call, err, context) }
    }

    static func error(_ call: String, _ err: vpx_codec_err_t, _ ctx: UnsafeMutablePointer<vpx_codec_ctx_t>?) -> MediaError {
        var message = String(cString: vpx_codec_err_to_string(err))
        if let ctx, let detail = vpx_codec_error_detail(ctx) { message += ": " + String(cString: detail) }
        return .codec(library: "libvpx", call: call, code: Int32(err.rawValue), message: message)
    }
}
