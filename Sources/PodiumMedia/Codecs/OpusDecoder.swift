import COpus

/// Opus decoder at 48 kHz with packet-loss concealment and in-band FEC recovery.
///
/// Not Sendable: the libopus state is used from one thread at a time (the owner's).
public final class OpusDecoder {
    /// RFC 6716: the longest packet is 120 ms.
    static let maxFrameSamples = 5_760

    public let channels: Int
    private let state: OpaquePointer
    private let pcm: UnsafeMutablePointer<Int16>
    private var decodedSamples = 0

    public init(channels: Int) throws(MediaError) {
        guard channels == 1 || channels == 2 else { throw .invalidArgument("Opus channels \(channels): must be 1 or 2") }
        self.channels = channels
        var err: Int32 = 0
        guard let s = opus_decoder_create(Int32(OpusEncoder.sampleRate), Int32(channels), &err), err == OPUS_OK else {
            throw OpusEncoder.error("opus_decoder_create", err)
        }
        state = s
        pcm = .allocate(capacity: Self.maxFrameSamples * channels)
        pcm.initialize(repeating: 0, count: Self.maxFrameSamples * channels)
    }

    deinit {
        opus_decoder_destroy(state)
        pcm.deallocate()
    }

    /// Decodes one packet; returns samples per channel. A nil packet conceals one lost 20 ms frame
    /// (PLC). With `fec`, `packet` is the one *after* a loss and the lost 20 ms are rebuilt from
    /// its in-band FEC data (or concealed when it carries none).
    public func decode(_ packet: UnsafeRawBufferPointer?, fec: Bool = false) throws(MediaError) -> Int {
        let data = packet?.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let count = packet?.count ?? 0
        guard count <= OpusEncoder.maxPacketSize * 6 else { throw .corruptFrame("Opus packet of \(count) bytes") }
        if packet != nil && count == 0 { throw .corruptFrame("empty Opus packet") }
        // Why 960 for PLC and FEC: libopus conceals/recovers exactly `frame_size` samples, and our
        // frames are 20 ms; a normal decode gets room for the longest packet.
        let frameSize = (data == nil || fec) ? OpusEncoder.frameSamples : Self.maxFrameSamples
        let n = opus_decode(state, data, Int32(count), pcm, Int32(frameSize), fec ? 1 : 0)
        guard n >= 0 else {
            decodedSamples = 0
            let e = OpusEncoder.error("opus_decode", n)
            if n == OPUS_INVALID_PACKET || n == OPUS_BUFFER_TOO_SMALL, case let .codec(_, _, _, m) = e { throw .corruptFrame(m) }
            throw e
        }
        decodedSamples = Int(n)
        return Int(n)
    }

    /// Why not `[UInt8]?`: `decode(nil)` would then be ambiguous.
    public func decode(_ packet: [UInt8], fec: Bool = false) throws(MediaError) -> Int {
        let result: Result<Int, MediaError> = packet.withUnsafeBytes { raw in
            do throws(MediaError) { return .success(try decode(raw, fec: fec)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The last decoded PCM, interleaved (samples per channel × channels).
    public func withDecodedPCM<R>(_ body: (UnsafeBufferPointer<Int16>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: pcm, count: decodedSamples * channels))
    }

    /// Forgets the decoder state (a new stream or a long gap).
    public func reset() throws(MediaError) {
        let code = podium_opus_decoder_reset(state)
        guard code == OPUS_OK else { throw OpusEncoder.error("OPUS_RESET_STATE", code) }
    }
}
