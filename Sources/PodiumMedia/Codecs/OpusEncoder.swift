import COpus

/// Settings of one Opus encoder (48 kHz, 20 ms frames, VoIP application).
public struct OpusEncoderConfiguration: Sendable {
    /// 1 or 2.
    public var channels: Int = 1
    /// bit/s, 6000...510000.
    public var bitrate: Int = 32_000
    /// Discontinuous transmission: during silence the encoder emits 1–2 byte packets (comfort noise).
    public var dtx: Bool = false
    /// In-band FEC (LBRR): each packet carries a low-rate copy of the previous frame.
    public var inbandFEC: Bool = true
    /// Expected loss, 0...100; FEC is only spent when this is above zero.
    public var packetLossPercent: Int = 0
    /// libopus complexity 0...10.
    public var complexity: Int = 9

    public init(channels: Int = 1, bitrate: Int = 32_000, dtx: Bool = false, inbandFEC: Bool = true, packetLossPercent: Int = 0) {
        self.channels = channels
        self.bitrate = bitrate
        self.dtx = dtx
        self.inbandFEC = inbandFEC
        self.packetLossPercent = packetLossPercent
    }
}

/// Opus at 48 kHz: one 20 ms frame (960 samples per channel) in, one packet out.
///
/// Not Sendable: the libopus state is used from one thread at a time (the owner's).
public final class OpusEncoder {
    public static let sampleRate = 48_000
    public static let frameSamples = 960
    /// RFC 6716 §3.2.1: the largest packet for one frame.
    static let maxPacketSize = 1275

    public let configuration: OpusEncoderConfiguration
    private let state: OpaquePointer
    private let output: UnsafeMutablePointer<UInt8>

    public init(_ configuration: OpusEncoderConfiguration) throws(MediaError) {
        guard configuration.channels == 1 || configuration.channels == 2 else {
            throw .invalidArgument("Opus channels \(configuration.channels): must be 1 or 2")
        }
        guard (6_000...510_000).contains(configuration.bitrate) else {
            throw .invalidArgument("Opus bitrate \(configuration.bitrate) bit/s: must be 6000...510000")
        }
        guard (0...100).contains(configuration.packetLossPercent) else {
            throw .invalidArgument("Opus packet loss \(configuration.packetLossPercent)%: must be 0...100")
        }
        guard (0...10).contains(configuration.complexity) else {
            throw .invalidArgument("Opus complexity \(configuration.complexity): must be 0...10")
        }
        self.configuration = configuration
        var err: Int32 = 0
        guard let s = opus_encoder_create(Int32(Self.sampleRate), Int32(configuration.channels), OPUS_APPLICATION_VOIP, &err),
              err == OPUS_OK
        else { throw Self.error("opus_encoder_create", err) }
        state = s
        output = .allocate(capacity: Self.maxPacketSize)
        do {
            try check("OPUS_SET_BITRATE", podium_opus_set_bitrate(s, Int32(configuration.bitrate)))
            try check("OPUS_SET_DTX", podium_opus_set_dtx(s, configuration.dtx ? 1 : 0))
            try check("OPUS_SET_INBAND_FEC", podium_opus_set_inband_fec(s, configuration.inbandFEC ? 1 : 0))
            try check("OPUS_SET_PACKET_LOSS_PERC", podium_opus_set_packet_loss_perc(s, Int32(configuration.packetLossPercent)))
            try check("OPUS_SET_COMPLEXITY", podium_opus_set_complexity(s, Int32(configuration.complexity)))
            try check("OPUS_SET_SIGNAL", podium_opus_set_signal(s, OPUS_SIGNAL_VOICE))
        } catch {
            opus_encoder_destroy(s)
            output.deallocate()
            throw error
        }
    }

    deinit {
        opus_encoder_destroy(state)
        output.deallocate()
    }

    /// Encodes 20 ms: `pcm` holds 960 × channels interleaved samples.
    public func encode(pcm: UnsafeBufferPointer<Int16>) throws(MediaError) -> [UInt8] {
        let n = try encode(pcm: pcm, into: UnsafeMutableRawBufferPointer(start: output, count: Self.maxPacketSize))
        return [UInt8](UnsafeBufferPointer(start: output, count: n))
    }

    public func encode(pcm: [Int16]) throws(MediaError) -> [UInt8] {
        let result: Result<[UInt8], MediaError> = pcm.withUnsafeBufferPointer { p in
            do throws(MediaError) { return .success(try encode(pcm: p)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Encodes 20 ms into a caller-owned buffer (no allocation); returns the packet size.
    public func encode(pcm: UnsafeBufferPointer<Int16>, into packet: UnsafeMutableRawBufferPointer) throws(MediaError) -> Int {
        let expected = Self.frameSamples * configuration.channels
        guard pcm.count == expected, let input = pcm.baseAddress else {
            throw .invalidArgument("Opus frame of \(pcm.count) samples: expected \(expected) (20 ms × \(configuration.channels) channels)")
        }
        guard let out = packet.baseAddress, packet.count > 0 else { throw .invalidArgument("empty Opus output buffer") }
        let n = opus_encode(state, input, Int32(Self.frameSamples), out.assumingMemoryBound(to: UInt8.self),
                            Int32(min(packet.count, Self.maxPacketSize)))
        guard n >= 0 else { throw Self.error("opus_encode", n) }
        return Int(n)
    }

    /// The encoder is currently in DTX (sending comfort-noise packets).
    public var isInDTX: Bool {
        var v: Int32 = 0
        return podium_opus_get_in_dtx(state, &v) == OPUS_OK && v != 0
    }

    public func setBitrate(_ bitsPerSecond: Int) throws(MediaError) {
        guard (6_000...510_000).contains(bitsPerSecond) else {
            throw .invalidArgument("Opus bitrate \(bitsPerSecond) bit/s: must be 6000...510000")
        }
        try check("OPUS_SET_BITRATE", podium_opus_set_bitrate(state, Int32(bitsPerSecond)))
    }

    public func setPacketLossPercent(_ percent: Int) throws(MediaError) {
        guard (0...100).contains(percent) else { throw .invalidArgument("Opus packet loss \(percent)%: must be 0...100") }
        try check("OPUS_SET_PACKET_LOSS_PERC", podium_opus_set_packet_loss_perc(state, Int32(percent)))
    }

    private func check(_ call: String, _ code: Int32) throws(MediaError) {
        guard code == OPUS_OK else { throw Self.error(call, code) }
    }

    static func error(_ call: String, _ code: Int32) -> MediaError {
        .codec(library: "libopus", call: call, code: code, message: String(cString: opus_strerror(code)))
    }
}
