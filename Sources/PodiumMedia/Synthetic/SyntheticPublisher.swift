import PodiumWire

/// What a `SyntheticPublisher` sends: the streams of one browser participant publishing a
/// microphone and a simulcast camera, with the payload types, SSRCs and header extension ids a
/// browser would have negotiated.
public struct SyntheticPublisherConfiguration: Sendable {
    public var audio: Bool = true
    public var audioSSRC: UInt32 = 0x1A00_0001
    public var audioPayloadType: UInt8 = 111
    public var audioMid: String = "0"
    public var opus: OpusEncoderConfiguration = .init()
    /// Simulcast encodings, lowest first (empty: no video).
    public var videoLayers: [SimulcastLayerConfiguration] = SimulcastVideoSource.defaultLayers
    /// One per layer.
    public var videoSSRCs: [UInt32] = [0x2B00_0001, 0x2B00_0002, 0x2B00_0003]
    /// One per layer: the RTX (RFC 4588) stream repairing that layer.
    public var rtxSSRCs: [UInt32] = [0x3C00_0001, 0x3C00_0002, 0x3C00_0003]
    public var videoPayloadType: UInt8 = 96
    public var rtxPayloadType: UInt8 = 97
    public var videoMid: String = "1"
    public var frameRate: Int = 30
    public var extensionIDs: RTPHeaderExtensionIDs = .chromium
    public var maxPacketSize: Int = 1200
    /// Packets kept per layer for retransmission (a power of two).
    public var historyCapacity: Int = 512
    /// Seeds the random initial sequence numbers, picture ids and timestamps (RFC 3550 §5.1).
    public var seed: UInt64 = 1

    public init() {}
}

public enum SyntheticPublisherError: Error, Sendable, Equatable, CustomStringConvertible {
    case media(MediaError)
    case packetizer(RTPPacketizerError)
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .media(let e): "synthetic publisher: \(e)"
        case .packetizer(let e): "synthetic publisher: \(e)"
        case .invalidConfiguration(let why): "synthetic publisher: invalid configuration: \(why)"
        }
    }
}

/// Per-stream counters of a `SyntheticPublisher`.
public struct SyntheticStreamStatistics: Sendable, Equatable {
    public var framesSent = 0
    public var keyframesSent = 0
    public var packetsSent = 0
    public var bytesSent = 0
    /// Frames the encoder's rate control skipped (nothing sent).
    public var framesSkippedByEncoder = 0
    public var rtxPacketsSent = 0
    /// Retransmissions asked for packets no longer (or never) in the history.
    public var rtxMisses = 0
    public var keyframeRequests = 0
}

/// Produces what a browser sends for one participant: Opus audio and VP8 simulcast by rid, each
/// layer on its own SSRC, with mid/rid, abs-send-time and transport-wide sequence numbers on every
/// packet (browsers send mid/rid only on the first packets; sending them always is allowed), audio
/// level on audio, RTX (RFC 4588) with repaired-rid on request, and keyframes on PLI/FIR.
///
/// Time is a parameter: `sendDue(now:)` sends everything due by `now` (nanoseconds since the
/// publisher's start: audio every 20 ms, video every 1/frameRate s), so the caller paces it at
/// real time from its own clock, or as fast as possible with `sendNext()`.
///
/// Packets are written straight into each layer's retransmission history and sent from there,
/// so keeping the history costs no copy. Generic over the sink so the per-packet call is direct.
///
/// Not thread-safe (it owns libvpx/libopus encoders): drive it from one thread.
public final class SyntheticPublisher<Sink: RTPPacketSink> {
    public let configuration: SyntheticPublisherConfiguration
    public let sink: Sink
    public let transportSequence: TransportSequenceNumberCounter

    private let audioSource: OpusAudioSource?
    private let audioPacketizer: OpusPacketizer?
    private let videoSource: SimulcastVideoSource?
    private let videoPacketizers: [VP8Packetizer]
    private let rtxPacketizers: [RTXPacketizer]
    private let histories: [RTPPacketHistory]
    private let rtxBuffer: UnsafeMutableRawBufferPointer

    public private(set) var audioStatistics = SyntheticStreamStatistics()
    /// One per video layer.
    public private(set) var layerStatistics: [SyntheticStreamStatistics]
    /// Layers whose next encoded frame must be a keyframe.
    public private(set) var pendingKeyframeLayers: Set<Int> = []

    private var audioFrames = 0
    private var videoFrames = 0
    /// When the next audio / video frame is due (ns since start).
    public private(set) var nextAudioDue: UInt64 = 0
    public private(set) var nextVideoDue: UInt64 = 0

    public init(_ configuration: SyntheticPublisherConfiguration, sink: Sink,
                transportSequence: TransportSequenceNumberCounter = TransportSequenceNumberCounter()) throws(SyntheticPublisherError) {
        let c = configuration
        let n = c.videoLayers.count
        guard c.videoSSRCs.count >= n, c.rtxSSRCs.count >= n else {
            throw .invalidConfiguration("\(n) video layers need \(n) video SSRCs and \(n) RTX SSRCs")
        }
        let all = (c.audio ? [c.audioSSRC] : []) + c.videoSSRCs.prefix(n) + c.rtxSSRCs.prefix(n)
        guard Set(all).count == all.count else { throw .invalidConfiguration("SSRCs must all differ: \(all)") }
        guard c.frameRate > 0 && c.frameRate <= 240 else { throw .invalidConfiguration("frame rate \(c.frameRate): must be 1…240") }
        self.configuration = c
        self.sink = sink
        self.transportSequence = transportSequence
        var random = PublisherSeedRandom(seed: c.seed)
        do {
            if c.audio {
                audioSource = try OpusAudioSource(configuration: c.opus, seed: c.seed, initialRTPTimestamp: random.next32())
                audioPacketizer = try OpusPacketizer(.init(ssrc: c.audioSSRC, payloadType: c.audioPayloadType, initialSequenceNumber: random.next16(),
                                                           maxPacketSize: c.maxPacketSize, extensionIDs: c.extensionIDs, mid: c.audioMid),
                                                     transportSequence: transportSequence)
            } else {
                audioSource = nil
                audioPacketizer = nil
            }
            videoSource = n == 0 ? nil : try SimulcastVideoSource(layers: c.videoLayers, frameRate: c.frameRate, initialRTPTimestamp: random.next32())
            var video: [VP8Packetizer] = []
            var rtx: [RTXPacketizer] = []
            for (i, layer) in c.videoLayers.enumerated() {
                video.append(try VP8Packetizer(.init(ssrc: c.videoSSRCs[i], payloadType: c.videoPayloadType, maxPacketSize: c.maxPacketSize,
                                                     initialSequenceNumber: random.next16(), initialPictureID: random.next16() & 0x7FFF,
                                                     initialTL0PicIndex: UInt8(truncatingIfNeeded: random.next16()),
                                                     writesTemporalLayerFields: layer.temporalLayers > 1,
                                                     extensionIDs: c.extensionIDs, mid: c.videoMid, rid: layer.rid),
                                               transportSequence: transportSequence))
                rtx.append(try RTXPacketizer(.init(ssrc: c.rtxSSRCs[i], payloadType: c.rtxPayloadType, initialSequenceNumber: random.next16(),
                                                   extensionIDs: c.extensionIDs, mid: c.videoMid, repairedRID: layer.rid),
                                             transportSequence: transportSequence))
            }
            videoPacketizers = video
            rtxPacketizers = rtx
        } catch let error as MediaError {
            throw .media(error)
        } catch let error as RTPPacketizerError {
            throw .packetizer(error)
        } catch {
            throw .invalidConfiguration("\(error)")
        }
        guard c.historyCapacity > 0 && c.historyCapacity & (c.historyCapacity - 1) == 0 && c.historyCapacity <= 65536 else {
            throw .invalidConfiguration("historyCapacity \(c.historyCapacity): must be a power of two up to 65536")
        }
        histories = (0 ..< n).map { _ in RTPPacketHistory(capacity: c.historyCapacity, slotSize: c.maxPacketSize) }
        // Why + 64: an RTX packet is its original plus the 2-byte OSN and a possibly longer extension block.
        rtxBuffer = .allocate(byteCount: c.maxPacketSize + 64, alignment: 16)
        layerStatistics = Array(repeating: SyntheticStreamStatistics(), count: n)
        nextAudioDue = c.audio ? 0 : .max
        nextVideoDue = n > 0 ? 0 : .max
    }

    deinit { rtxBuffer.deallocate() }

    /// The SSRC of video layer `layer`.
    public func ssrc(ofLayer layer: Int) -> UInt32 { configuration.videoSSRCs[layer] }
    /// The layer sent on `ssrc` (media or RTX), if any.
    public func layer(ofSSRC ssrc: UInt32) -> Int? {
        let n = configuration.videoLayers.count
        return configuration.videoSSRCs.prefix(n).firstIndex(of: ssrc) ?? configuration.rtxSSRCs.prefix(n).firstIndex(of: ssrc)
    }

    /// When the next packets are due (ns since start).
    public var nextDueTime: UInt64 { min(nextAudioDue, nextVideoDue) }

    /// Encodes and sends every frame due at or before `now` (ns since start, also the abs-send-time
    /// clock). Returns the number of packets sent.
    @discardableResult
    public func sendDue(now: UInt64) throws(SyntheticPublisherError) -> Int {
        var packets = 0
        // Why `!= .max`: a stream that is off is due at `.max`; `sendDue(now: .max)` must end.
        while nextDueTime <= now && nextDueTime != .max {
            if nextAudioDue <= nextVideoDue {
                packets += try sendAudioFrame(now: now)
            } else {
                packets += try sendVideoFrames(now: now)
            }
        }
        return packets
    }

    /// As fast as possible: jumps to the next due time and sends what is due then. Returns that time.
    @discardableResult
    public func sendNext() throws(SyntheticPublisherError) -> UInt64 {
        let t = nextDueTime
        try sendDue(now: t)
        return t
    }

    private func sendAudioFrame(now: UInt64) throws(SyntheticPublisherError) -> Int {
        guard let audioSource, let audioPacketizer else { nextAudioDue = .max; return 0 }
        audioFrames += 1
        nextAudioDue = UInt64(audioFrames) * 20_000_000
        let frame: EncodedAudioFrame
        do { frame = try audioSource.nextFrame() } catch { throw .media(error) }
        let sent: Bool
        do { sent = try audioPacketizer.packetize(frame, now: now, to: sink) } catch { throw .packetizer(error) }
        guard sent else { return 0 }
        audioStatistics.framesSent += 1
        audioStatistics.packetsSent += 1
        audioStatistics.bytesSent += frame.data.count
        return 1
    }

    private func sendVideoFrames(now: UInt64) throws(SyntheticPublisherError) -> Int {
        guard let videoSource else { nextVideoDue = .max; return 0 }
        videoFrames += 1
        nextVideoDue = UInt64(videoFrames) * 1_000_000_000 / UInt64(configuration.frameRate)
        let frames: [EncodedVideoFrame?]
        do { frames = try videoSource.nextFrames(keyframeLayers: pendingKeyframeLayers) } catch { throw .media(error) }
        var packets = 0
        for (layer, frame) in frames.enumerated() {
            guard let frame else { layerStatistics[layer].framesSkippedByEncoder += 1; continue }
            if frame.isKeyframe {
                pendingKeyframeLayers.remove(layer)
                layerStatistics[layer].keyframesSent += 1
            }
            let n = try sendVideoFrame(frame, layer: layer, now: now)
            layerStatistics[layer].framesSent += 1
            layerStatistics[layer].packetsSent += n
            layerStatistics[layer].bytesSent += frame.data.count
            packets += n
        }
        return packets
    }

    /// Packetizes into the layer's history slots and sends from them.
    private func sendVideoFrame(_ frame: EncodedVideoFrame, layer: Int, now: UInt64) throws(SyntheticPublisherError) -> Int {
        let packetizer = videoPacketizers[layer]
        let history = histories[layer]
        var outcome: Result<Int, RTPPacketizerError> = .success(0)
        frame.data.withUnsafeBytes { bytes in
            do throws(RTPPacketizerError) {
                var cursor = try packetizer.startFrame(size: bytes.count, timestamp: frame.rtpTimestamp,
                                                       temporalLayer: frame.temporalLayer, layerSync: frame.layerSync)
                while !cursor.isFinished {
                    let seq = packetizer.nextSequenceNumber
                    let slot = history.slot(for: seq)
                    let n = try packetizer.writeNextPacket(&cursor, frame: bytes, now: now, into: slot)
                    history.commit(seq, length: n)
                    sink.send(rtp: UnsafeRawBufferPointer(rebasing: slot[0 ..< n]))
                }
                outcome = .success(cursor.packetCount)
            } catch {
                outcome = .failure(error)
            }
        }
        do { return try outcome.get() } catch { throw .packetizer(error) }
    }

    /// PLI / FIR for a layer: its next frame is a keyframe.
    public func requestKeyframe(layer: Int) {
        precondition(layer >= 0 && layer < layerStatistics.count, "no video layer \(layer)")
        pendingKeyframeLayers.insert(layer)
        layerStatistics[layer].keyframeRequests += 1
    }

    /// Retransmits the given packets of the layer sent on `ssrc` as RTX packets (RFC 4588). Returns
    /// how many were sent; numbers no longer in the history are counted in `rtxMisses`.
    @discardableResult
    public func retransmit(ssrc: UInt32, sequenceNumbers: some Sequence<UInt16>, now: UInt64) -> Int {
        guard let layer = configuration.videoSSRCs.prefix(layerStatistics.count).firstIndex(of: ssrc) else { return 0 }
        var sent = 0
        for seq in sequenceNumbers {
            guard let stored = histories[layer].packet(seq), let original = try? RTPPacket(parsing: stored),
                  let n = try? rtxPacketizers[layer].write(original: original, now: now, into: rtxBuffer) else {
                layerStatistics[layer].rtxMisses += 1
                continue
            }
            sink.send(rtp: UnsafeRawBufferPointer(rebasing: rtxBuffer[0 ..< n]))
            sent += 1
        }
        layerStatistics[layer].rtxPacketsSent += sent
        return sent
    }

    /// Handles RTCP feedback from the receiver: PLI and FIR ask for a keyframe on the layer they
    /// name, generic NACK for retransmissions. Other packets are ignored.
    public func receiveRTCP(_ bytes: UnsafeRawBufferPointer, now: UInt64) throws(ParseError) {
        let compound = try RTCPCompound(parsing: bytes)
        var it = compound.makeIterator()
        while let packet = try it.next() {
            switch packet {
            case .pli(let pli):
                if let layer = layer(ofSSRC: pli.mediaSSRC) { requestKeyframe(layer: layer) }
            case .fir(let fir):
                for entry in fir.entries { if let layer = layer(ofSSRC: entry.ssrc) { requestKeyframe(layer: layer) } }
            case .genericNACK(let nack):
                retransmit(ssrc: nack.mediaSSRC, sequenceNumbers: nack.lostSequenceNumbers, now: now)
            default:
                break
            }
        }
    }
}

/// Reproducible initial sequence numbers, picture ids and timestamps.
typealias PublisherSeedRandom = SplitMix64
