import PodiumNet
import PodiumWire

/// An SSRC the router knows on one peer: which producer stream it feeds, and whether it is the
/// stream's RTX (RFC 4588) repair stream.
struct SSRCRoute {
    var ssrc: UInt32
    let stream: ProducerStream
    var isRTX: Bool
}

/// One encoding of a producer (a simulcast layer, or the only stream): everything the router keeps
/// per received RTP stream. Confined to the router's loop.
///
/// The per-packet parts (buffer, NACK list, statistics, keyframe requester) are allocated here,
/// once; the SSRC-dependent ones (statistics, keyframe requester) when the SSRC becomes known.
final class ProducerStream {
    unowned let producer: Producer
    let index: Int
    let rid: String?
    let ridBytes: [UInt8]
    var ssrc: UInt32?
    var rtxSSRC: UInt32?

    // Constants of the publisher's codec, copied so the hot path reads no nested struct.
    let payloadType: UInt8
    let rtxPayloadType: UInt8?
    let codec: PayloadCodec
    let clockRate: UInt32
    let isVideo: Bool
    let audioLevelID: UInt8

    let buffer: PacketBuffer
    var receive: ReceiveStreamStatistics?
    let nack: NACKGenerator?
    var keyframe: KeyframeRequester?
    let keyframeConfiguration: KeyframeRequester.Configuration?
    /// A keyframe was asked for before the SSRC was known: ask once it is.
    var keyframeWanted = false
    var consumers: [Consumer] = []
    var counters: ProducerStats.Encoding
    /// When the latest media packet arrived (monotonic ns; 0: none yet).
    var lastPacketAt: Int64 = 0
    /// The publisher's latest SR: NTP, RTP timestamp and when it arrived (monotonic ns).
    var lastSR: (ntp: UInt64, rtp: UInt32, at: Int64)?

    init(producer: Producer, index: Int, encoding: PublishedEncoding, configuration: RouterConfiguration, senderSSRC: UInt32) {
        let track = producer.track
        self.producer = producer
        self.index = index
        rid = encoding.rid
        ridBytes = Array((encoding.rid ?? "").utf8)
        payloadType = track.codec.payloadType
        rtxPayloadType = track.codec.rtxPayloadType
        codec = track.codec.codec
        clockRate = max(track.codec.clockRate, 1)
        isVideo = track.kind == .video
        audioLevelID = track.kind == .audio ? track.headerExtensions.audioLevel : 0
        buffer = PacketBuffer(isVideo ? .video : .audio)
        let feedback = track.codec.feedback
        nack = feedback.contains(.nack) ? NACKGenerator(configuration: configuration.nack) : nil
        if isVideo, let form = KeyframeRequestForm(negotiatedPLI: feedback.contains(.pli), negotiatedFIR: feedback.contains(.fir)) {
            let interval = UInt64(max(configuration.keyframeRequestInterval.clampedNanoseconds, 0))
            keyframeConfiguration = .init(minInterval: interval, form: form, senderSSRC: senderSSRC)
        } else {
            keyframeConfiguration = nil
        }
        counters = ProducerStats.Encoding(rid: encoding.rid, ssrc: encoding.ssrc)
    }

    /// The media SSRC became known (announced, learned, or changed by the publisher).
    func setSSRC(_ new: UInt32) {
        guard ssrc != new else { return }
        let changed = ssrc != nil
        ssrc = new
        counters.ssrc = new
        receive = ReceiveStreamStatistics(ssrc: new, clockRate: clockRate)
        if changed {
            buffer.removeAll()
            nack?.reset()
            lastSR = nil
        }
        if let c = keyframeConfiguration {
            keyframe = KeyframeRequester(mediaSSRC: new, configuration: c)
        }
    }

    /// Asks the publisher for a keyframe (merged and rate-limited by the requester).
    func requestKeyframe(now: Int64, router: Router) {
        guard keyframeConfiguration != nil else { return }
        guard keyframe != nil else {
            keyframeWanted = true
            return
        }
        if let request = keyframe!.request(now: UInt64(max(now, 0))) { router.sendKeyframeRequest(request, for: self) }
    }

    var statsSnapshot: ProducerStats.Encoding {
        var c = counters
        if let r = receive {
            c.packetsLost = r.cumulativeLost
            c.jitter = r.jitter
        }
        return c
    }
}
