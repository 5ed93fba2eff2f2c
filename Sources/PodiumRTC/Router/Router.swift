import PodiumNet
import PodiumSDP
import PodiumWire

// The public signatures here are the contract between the router, the negotiation and the
// `Podium` API layer (add, don't change). Ingest and fan-out: RouterIngest.swift; RTCP and the
// router's timer: RouterRTCP.swift; per-encoding state: ProducerStream.swift. Docs/Router.md.

/// Router tuning. Durations are on the worker's monotonic clock.
public struct RouterConfiguration: Sendable {
    /// Keyframe requests to a publisher stream are merged and sent at most this often (300 ms…1 s).
    public var keyframeRequestInterval: Duration
    /// NACK generation towards publishers.
    public var nack: NACKGenerator.Configuration
    /// How often TWCC feedback goes to publishers that negotiated transport-cc (50…100 ms).
    public var transportFeedbackInterval: Duration
    /// How often SR (per consumer) and RR (per publisher stream) are sent.
    public var reportInterval: Duration
    /// Period of the router's housekeeping timer (NACK polling, feedback, reports, keyframes).
    public var tickInterval: Duration
    /// Test hook: drops this fraction (0…1) of publishers' incoming RTP before the router sees
    /// it (after SRTP), deterministic from `ingestLossSeed`. Counted in producer stats.
    public var ingestLossRate: Double
    public var ingestLossSeed: UInt64

    public init(keyframeRequestInterval: Duration = .milliseconds(500), nack: NACKGenerator.Configuration = .init(),
                transportFeedbackInterval: Duration = .milliseconds(100), reportInterval: Duration = .seconds(1),
                tickInterval: Duration = .milliseconds(20), ingestLossRate: Double = 0, ingestLossSeed: UInt64 = 1) {
        self.keyframeRequestInterval = keyframeRequestInterval
        self.nack = nack
        self.transportFeedbackInterval = transportFeedbackInterval
        self.reportInterval = reportInterval
        self.tickInterval = tickInterval
        self.ingestLossRate = ingestLossRate
        self.ingestLossSeed = ingestLossSeed
    }
}

/// Why a router operation was refused.
public enum RouterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The consumer's subscriber track has no codec matching the producer's.
    case noCompatibleCodec(producer: String, subscriber: String)
    /// The peer (or producer) belongs to another router, or was removed.
    case unknownPeer
    case unknownProducer
    /// Kinds differ (audio producer on a video m-line).
    case kindMismatch
    /// SSRC or mid already used on this peer.
    case duplicate(String)
    case closed

    public var description: String {
        switch self {
        case .noCompatibleCodec(let p, let s): "the subscriber accepts none of the producer's codec \(p) (it accepts \(s))"
        case .unknownPeer: "the transport is not attached to this router"
        case .unknownProducer: "the producer is not in this router"
        case .kindMismatch: "the producer's kind differs from the subscriber m-line's"
        case .duplicate(let what): "\(what) is already in use on this transport"
        case .closed: "the router is closed"
        }
    }
}

/// Events a router reports to its owner, on the worker thread.
public protocol RouterDelegate: AnyObject {
    func router(_ router: Router, peer: RouterPeer, didChangeState state: WebRtcTransportState)
    /// A producer was removed (by its owner or because its peer's transport ended).
    func router(_ router: Router, didRemoveProducer producer: Producer)
    /// A consumer was paused or resumed (by its owner, or because its producer went away).
    func router(_ router: Router, consumer: Consumer, didChangePaused paused: Bool)
}

/// One transport attached to a router: the transport's delegate, demultiplexing its RTP/RTCP to
/// producers and consumers. A peer may publish, subscribe, or both.
public final class RouterPeer: WebRtcTransportDelegate {
    public let id: Int
    public let transport: WebRtcTransport
    public internal(set) var producers: [Producer] = []
    public internal(set) var consumers: [Consumer] = []

    /// Why weak: the transport holds its delegate weakly and the router holds its peers; an owner
    /// keeping a peer after the router is gone must not reach a freed router.
    weak var router: Router?
    var isDetached = false
    var isConnected = false
    /// SSRC → producer stream (media or RTX), learned or announced. Few entries: a linear scan.
    var routes: [SSRCRoute] = []
    /// Transport-wide congestion control feedback for what this peer publishes, when negotiated.
    var twcc: TWCCFeedbackGenerator?
    var twccExtensionID: UInt8 = 0
    /// Next transport-wide sequence number for what the router sends this peer.
    var transportSequence: UInt16 = 1
    /// The SSRC the router uses as RTCP sender towards this peer (RR, NACK, PLI, TWCC).
    let rtcpSSRC: UInt32
    /// Reduced-size RTCP (RFC 5506) allowed towards this peer's publisher side.
    var publisherReducedSize = false
    public internal(set) var counters = RouterPeerCounters()

    init(id: Int, transport: WebRtcTransport, router: Router, rtcpSSRC: UInt32) {
        self.id = id
        self.transport = transport
        self.router = router
        self.rtcpSSRC = rtcpSSRC
        self.isConnected = transport.state == .connected
    }

    public func transport(_ transport: WebRtcTransport, didReceiveRTP packet: UnsafeMutableRawBufferPointer) {
        guard !isDetached, let router else { return }
        router.ingestRTP(packet, on: self)
    }

    public func transport(_ transport: WebRtcTransport, didReceiveRTCP packet: UnsafeMutableRawBufferPointer) {
        guard !isDetached, let router else { return }
        router.ingestRTCP(UnsafeRawBufferPointer(packet), on: self)
    }

    public func transport(_ transport: WebRtcTransport, didChangeState state: WebRtcTransportState) {
        guard !isDetached, let router else { return }
        router.peerChangedState(self, state)
    }
}

/// Per-peer counters of what the router could not use.
public struct RouterPeerCounters: Sendable, Hashable, Codable {
    /// RTP that did not parse.
    public var malformedRTP: UInt64 = 0
    /// RTP matching no producer of the peer (unknown SSRC, mid, rid or payload type).
    public var unroutableRTP: UInt64 = 0
    /// RTCP datagrams (or packets inside one) that did not parse.
    public var malformedRTCP: UInt64 = 0
    /// RTCP packets naming an SSRC the router does not know on this peer.
    public var unknownSSRCRTCP: UInt64 = 0
    /// RTX padding-only packets (bandwidth probes): recorded for TWCC, not forwarded.
    public var rtxPadding: UInt64 = 0
    public var byesReceived: UInt64 = 0
    public var rembReceived: UInt64 = 0
    public var transportFeedbackReceived: UInt64 = 0
    public var rtcpSent: UInt64 = 0
    public init() {}
}

/// One published track (one m-line of a publisher) with its encodings.
public final class Producer {
    public let id: Int
    public let track: PublishedTrack
    public unowned let peer: RouterPeer
    public internal(set) var isClosed = false
    /// Latest RFC 6464 audio level (-dBov, 0…127; 127 = silence) and voice flag, audio only.
    public internal(set) var audioLevel: (level: UInt8, voice: Bool)?
    public internal(set) var consumers: [Consumer] = []

    /// One per encoding, in `track.encodings` order.
    var streams: [ProducerStream] = []
    let midBytes: [UInt8]
    var unroutable: UInt64 = 0

    init(id: Int, track: PublishedTrack, peer: RouterPeer) {
        self.id = id
        self.track = track
        self.peer = peer
        self.midBytes = Array(track.mid.utf8)
    }

    public var stats: ProducerStats {
        var s = ProducerStats(id: id, mid: track.mid, kind: track.kind, encodings: streams.map(\.statsSnapshot))
        s.unroutable = unroutable
        return s
    }
}

/// One subscriber's copy of one producer.
public final class Consumer {
    public let id: Int
    public unowned let producer: Producer
    public unowned let peer: RouterPeer
    public let track: SubscribedTrack
    /// The subscriber's codec for this producer.
    public let codec: NegotiatedCodec
    public internal(set) var isPaused: Bool
    /// Which of the producer's encodings (index into `producer.track.encodings`) it forwards now.
    /// The router follows the highest encoding that is arriving, up to `maxEncodingIndex` (see
    /// `Docs/Router.md`, "Following simulcast layers"); the bandwidth-driven allocator is issue 5.
    public internal(set) var encodingIndex: Int
    /// The highest encoding this consumer may get (what `addConsumer(encodingIndex:)` asked for).
    public internal(set) var maxEncodingIndex: Int
    /// An encoding being switched to: the consumer forwards `encodingIndex` until a keyframe of
    /// this one arrives.
    var pendingEncodingIndex: Int?

    // The rewrite, as constants for the hot path (built once at creation).
    let ssrc: UInt32
    let payloadType: UInt8
    let clockRate: UInt32
    let isVideo: Bool
    let extensionIDs: RTPExtensionIDMap
    let midID: UInt8
    /// The subscriber's mid, allocated once (written into every packet under `midID`).
    let midValue: UnsafeRawBufferPointer
    private let midStorage: UnsafeMutableRawBufferPointer
    let transportCCID: UInt8
    let responder: RetransmissionResponder
    // The rewrite's state.
    var started = false
    /// Publisher sequence number of the start point: nothing before it is forwarded or repaired.
    var startSequence: UInt16 = 0
    var sequenceOffset: UInt16 = 0
    var timestampOffset: UInt32 = 0
    var hasSent = false
    var lastSequence: UInt16
    var lastTimestamp: UInt32
    var lastSentAt: Int64 = 0
    var removed = false
    // RTCP.
    var packetCount: UInt32 = 0
    var octetCount: UInt32 = 0
    /// Compact NTP and send time of the last sender reports, for RTT from the subscriber's RRs.
    var sentReports: [(compact: UInt32, at: Int64)] = Array(repeating: (0, 0), count: 8)
    var sentReportIndex = 0
    var counters: ConsumerStats

    init(id: Int, producer: Producer, peer: RouterPeer, track: SubscribedTrack, codec: NegotiatedCodec, paused: Bool, encodingIndex: Int) {
        self.id = id
        self.producer = producer
        self.peer = peer
        self.track = track
        self.codec = codec
        self.isPaused = paused
        self.encodingIndex = encodingIndex
        self.maxEncodingIndex = encodingIndex
        ssrc = track.ssrc
        payloadType = codec.payloadType
        clockRate = max(codec.clockRate, 1)
        isVideo = track.kind == .video
        extensionIDs = Self.extensionMap(from: producer.track.headerExtensions, to: track.headerExtensions)
        let mid = Array(track.mid.utf8)
        midID = mid.isEmpty || mid.count > 255 ? 0 : track.headerExtensions.mid
        midStorage = .allocate(byteCount: max(mid.count, 1), alignment: 1)
        midStorage.copyBytes(from: mid)
        midValue = UnsafeRawBufferPointer(start: midStorage.baseAddress, count: mid.count)
        let ccFeedback = codec.feedback.contains(.transportCC) || track.headerExtensions.transportCC != 0
        transportCCID = ccFeedback ? track.headerExtensions.transportCC : 0
        var random = SystemRandomNumberGenerator()
        lastSequence = UInt16.random(in: 0 ... 0x7FFF, using: &random)
        lastTimestamp = UInt32.random(in: 0 ... UInt32.max, using: &random)
        var rtx: RTXParameters?
        if let rtxSSRC = track.rtxSSRC, let rtxPT = codec.rtxPayloadType {
            rtx = RTXParameters(ssrc: rtxSSRC, payloadType: rtxPT, initialSequenceNumber: UInt16.random(in: 0 ... 0x7FFF, using: &random))
        }
        responder = RetransmissionResponder(target: RetransmissionTarget(ssrc: track.ssrc, payloadType: codec.payloadType,
                                                                         extensionIDs: extensionIDs, transportCCID: transportCCID, rtx: rtx))
        counters = ConsumerStats(id: id, producerID: producer.id, mid: track.mid, kind: track.kind, ssrc: track.ssrc, paused: paused)
    }

    deinit { midStorage.deallocate() }

    public var stats: ConsumerStats {
        var s = counters
        s.paused = isPaused
        return s
    }

    /// The header extensions a router forwards as they are (publisher id → subscriber id). Mid,
    /// rid, repaired-rid and transport-cc are not: the router writes its own.
    static let forwardedExtensionURIs = [SDPExtensionURI.audioLevel, SDPExtensionURI.absSendTime, SDPExtensionURI.videoOrientation,
                                         SDPExtensionURI.playoutDelay, SDPExtensionURI.dependencyDescriptor]

    static func extensionMap(from publisher: HeaderExtensionIDs, to subscriber: HeaderExtensionIDs) -> RTPExtensionIDMap {
        var map = RTPExtensionIDMap()
        for uri in forwardedExtensionURIs {
            let from = publisher[uri]
            let to = subscriber[uri]
            if from != 0 && to != 0 { map[from] = to }
        }
        return map
    }
}

/// A room's media graph on one worker: producers, consumers and the transports they use.
/// Confined to `loop`'s thread, like everything per packet.
public final class Router {
    public let loop: EventLoop
    public let configuration: RouterConfiguration
    public weak var delegate: (any RouterDelegate)?
    public private(set) var peers: [RouterPeer] = []
    public private(set) var producers: [Producer] = []
    public private(set) var isClosed = false

    var nextProducerID = 1
    var nextConsumerID = 1
    var lossRandom: SplitMix64
    var tickTimer: TimerID?
    var lastReportAt: Int64 = 0
    var lastLayerCheckAt: Int64 = 0
    /// One RTCP datagram being built (RTCP is sent one datagram at a time, so one buffer serves).
    let rtcpScratch: UnsafeMutableRawBufferPointer
    let nackScratch: UnsafeMutableBufferPointer<UInt16>
    let blockScratch: UnsafeMutableBufferPointer<ReportBlock>
    static let rtcpScratchSize = 1200

    public init(loop: EventLoop, configuration: RouterConfiguration = .init()) {
        self.loop = loop
        self.configuration = configuration
        lossRandom = SplitMix64(seed: configuration.ingestLossSeed)
        rtcpScratch = .allocate(byteCount: Self.rtcpScratchSize, alignment: 16)
        nackScratch = .allocate(capacity: 256)
        nackScratch.initialize(repeating: 0)
        blockScratch = .allocate(capacity: 31)
        blockScratch.initialize(repeating: ReportBlock(ssrc: 0))
    }

    deinit {
        // Why no timer cancel: deinit may run off the loop; the timer holds the router weakly and
        // stops rescheduling itself once the router is gone.
        rtcpScratch.deallocate()
        nackScratch.deallocate()
        blockScratch.deallocate()
    }

    /// Makes the router the transport's delegate. Its RTP/RTCP are routed from now on.
    public func attach(_ transport: WebRtcTransport) -> RouterPeer {
        var random = SystemRandomNumberGenerator()
        let peer = RouterPeer(id: transport.id, transport: transport, router: self, rtcpSSRC: UInt32.random(in: 1 ... UInt32.max, using: &random))
        transport.delegate = peer
        peers.append(peer)
        if isClosed { peer.isDetached = true } else { startTimer() }
        return peer
    }

    /// Removes the peer's producers (BYE to their consumers) and consumers, and closes its transport.
    public func detach(_ peer: RouterPeer) {
        guard peer.router === self, !peer.isDetached else { return }
        for p in peer.producers { removeProducer(p) }
        for c in peer.consumers { removeConsumer(c) }
        peer.isDetached = true
        peers.removeAll { $0 === peer }
        if peer.transport.delegate === peer { peer.transport.delegate = nil }
        peer.transport.close()
        peer.routes.removeAll()
    }

    /// Starts routing the publisher's track received on `peer`.
    public func addProducer(_ track: PublishedTrack, on peer: RouterPeer) throws(RouterError) -> Producer {
        guard !isClosed else { throw .closed }
        guard peer.router === self, !peer.isDetached else { throw .unknownPeer }
        if peer.producers.contains(where: { $0.track.mid == track.mid }) { throw .duplicate("mid \(track.mid)") }
        for e in track.encodings {
            for ssrc in [e.ssrc, e.rtxSSRC].compactMap({ $0 }) where peer.routes.contains(where: { $0.ssrc == ssrc }) {
                throw .duplicate("SSRC \(ssrc)")
            }
        }
        let producer = Producer(id: nextProducerID, track: track, peer: peer)
        nextProducerID += 1
        let encodings = track.encodings.isEmpty ? [PublishedEncoding()] : track.encodings
        for (i, e) in encodings.enumerated() {
            let stream = ProducerStream(producer: producer, index: i, encoding: e, configuration: configuration, senderSSRC: peer.rtcpSSRC)
            producer.streams.append(stream)
            if let ssrc = e.ssrc { assign(ssrc, to: stream, rtx: false, on: peer) }
            if let ssrc = e.rtxSSRC { assign(ssrc, to: stream, rtx: true, on: peer) }
        }
        if track.rtcpReducedSize { peer.publisherReducedSize = true }
        if peer.twcc == nil, track.codec.feedback.contains(.transportCC), track.headerExtensions.transportCC != 0 {
            let interval = UInt64(max(configuration.transportFeedbackInterval.clampedNanoseconds, 1_000_000))
            // Why 1000 bytes: the feedback follows an RR in the router's 1200-byte RTCP buffer.
            peer.twcc = TWCCFeedbackGenerator(configuration: .init(interval: interval, maxPacketSize: 1000, senderSSRC: peer.rtcpSSRC))
            peer.twccExtensionID = track.headerExtensions.transportCC
        }
        peer.producers.append(producer)
        producers.append(producer)
        return producer
    }

    /// Stops the producer: its consumers get RTCP BYE and are removed.
    public func removeProducer(_ producer: Producer) {
        guard !producer.isClosed, producers.contains(where: { $0 === producer }) else { return }
        // Why first: the delegate, told below that the consumers pause, can tell why.
        producer.isClosed = true
        for c in producer.consumers {
            sendBye(for: c)
            if !c.isPaused {
                c.isPaused = true
                delegate?.router(self, consumer: c, didChangePaused: true)
            }
            removeConsumer(c)
        }
        let peer = producer.peer
        peer.routes.removeAll { $0.stream.producer === producer }
        peer.producers.removeAll { $0 === producer }
        producers.removeAll { $0 === producer }
        if peer.producers.isEmpty { peer.twcc = nil }
        delegate?.router(self, didRemoveProducer: producer)
    }

    /// Starts forwarding `producer` to the subscriber on `peer`. Video waits for a keyframe
    /// (requested now) before its first packet.
    public func addConsumer(of producer: Producer, on peer: RouterPeer, track: SubscribedTrack, paused: Bool = false,
                            encodingIndex: Int? = nil) throws(RouterError) -> Consumer {
        guard !isClosed else { throw .closed }
        guard peer.router === self, !peer.isDetached else { throw .unknownPeer }
        guard !producer.isClosed, producers.contains(where: { $0 === producer }) else { throw .unknownProducer }
        guard producer.track.kind == track.kind else { throw .kindMismatch }
        guard let codec = track.codec(matching: producer.track.codec) else {
            throw .noCompatibleCodec(producer: producer.track.codec.description, subscriber: track.codecs.map(\.description).joined(separator: ", "))
        }
        if peer.consumers.contains(where: { $0.track.ssrc == track.ssrc || (track.rtxSSRC != nil && $0.track.rtxSSRC == track.rtxSSRC) }) {
            throw .duplicate("SSRC \(track.ssrc)")
        }
        if peer.consumers.contains(where: { $0.track.mid == track.mid }) { throw .duplicate("mid \(track.mid)") }
        // Why the last encoding: by convention the highest quality (q;h;f); issue 5's allocator chooses later.
        let maxIndex = min(max(encodingIndex ?? producer.streams.count - 1, 0), producer.streams.count - 1)
        // Start on the best encoding that is arriving now (Chromium starts its top layer only after
        // its own ramp-up, 10–30 s); the layer check moves the consumer up when more arrives.
        let index = producer.bestActiveEncoding(atMost: maxIndex, now: nowNanoseconds) ?? maxIndex
        let consumer = Consumer(id: nextConsumerID, producer: producer, peer: peer, track: track, codec: codec, paused: paused, encodingIndex: index)
        consumer.maxEncodingIndex = maxIndex
        nextConsumerID += 1
        peer.consumers.append(consumer)
        producer.consumers.append(consumer)
        producer.streams[index].consumers.append(consumer)
        // Why only when connected: a keyframe sent before the subscriber can receive is wasted, and
        // the rate limit would hold back the request made when it connects (`peerChangedState`)
        // by a whole interval (measured: first frame ~550 ms after connecting instead of ~100 ms).
        if !paused && consumer.isVideo && peer.isConnected {
            producer.streams[index].requestKeyframe(now: nowNanoseconds, router: self)
        }
        return consumer
    }

    public func removeConsumer(_ consumer: Consumer) {
        guard !consumer.removed else { return }
        consumer.removed = true
        let producer = consumer.producer
        for s in producer.streams { s.consumers.removeAll { $0 === consumer } }
        consumer.pendingEncodingIndex = nil
        producer.consumers.removeAll { $0 === consumer }
        consumer.peer.consumers.removeAll { $0 === consumer }
    }

    /// Pausing stops forwarding; resuming waits for (and requests) a keyframe.
    public func setPaused(_ consumer: Consumer, _ paused: Bool) {
        guard !consumer.removed, consumer.isPaused != paused else { return }
        consumer.isPaused = paused
        consumer.started = false
        if !paused && consumer.isVideo {
            consumer.producer.streams[consumer.encodingIndex].requestKeyframe(now: nowNanoseconds, router: self)
        }
        delegate?.router(self, consumer: consumer, didChangePaused: paused)
    }

    /// Closes every peer, producer and consumer; the router cannot be used afterwards.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        if let t = tickTimer { _ = loop.cancel(t) }
        tickTimer = nil
        for p in peers { detach(p) }
    }

    public var stats: RouterStats {
        var s = RouterStats(producers: producers.map(\.stats), consumers: peers.flatMap { $0.consumers.map(\.stats) })
        for p in peers {
            let c = p.counters
            s.malformedRTP += c.malformedRTP
            s.unroutableRTP += c.unroutableRTP
            s.malformedRTCP += c.malformedRTCP
            s.unknownSSRCRTCP += c.unknownSSRCRTCP
            s.byesReceived += c.byesReceived
            s.transportFeedbackReceived += c.transportFeedbackReceived
            s.rembReceived += c.rembReceived
            s.rtcpSent += c.rtcpSent
        }
        s.peers = peers.count
        return s
    }

    var nowNanoseconds: Int64 { MonotonicTime.now().nanoseconds }
}

// MARK: Stats (plain values: read on the worker, handed out through `submit`)

public struct ProducerStats: Sendable, Hashable, Codable {
    public struct Encoding: Sendable, Hashable, Codable {
        public var rid: String?
        public var ssrc: UInt32?
        public var packets: UInt64 = 0
        public var bytes: UInt64 = 0
        /// Cumulative packets lost (RFC 3550 A.3), before repair.
        public var packetsLost: Int64 = 0
        /// Interarrival jitter in RTP timestamp units.
        public var jitter: UInt32 = 0
        public var nackPacketsSent: UInt64 = 0
        public var retransmissionsReceived: UInt64 = 0
        public var keyframesReceived: UInt64 = 0
        public var keyframeRequestsSent: UInt64 = 0
        /// Packets dropped by the test loss hook.
        public var testDropped: UInt64 = 0
        public init(rid: String? = nil, ssrc: UInt32? = nil) {
            self.rid = rid
            self.ssrc = ssrc
        }
    }

    public var id: Int
    public var mid: String
    public var kind: MediaKind
    public var encodings: [Encoding]
    /// Packets on this producer that matched no encoding (unknown SSRC/RID, bad payload type).
    public var unroutable: UInt64 = 0

    public init(id: Int, mid: String, kind: MediaKind, encodings: [Encoding]) {
        self.id = id
        self.mid = mid
        self.kind = kind
        self.encodings = encodings
    }
}

public struct ConsumerStats: Sendable, Hashable, Codable {
    public var id: Int
    public var producerID: Int
    public var mid: String
    public var kind: MediaKind
    public var ssrc: UInt32
    public var paused: Bool
    public var packetsSent: UInt64 = 0
    public var bytesSent: UInt64 = 0
    /// Packets not forwarded while waiting for a keyframe (new or resumed consumer).
    public var droppedWaitingForKeyframe: UInt64 = 0
    /// Switches between simulcast encodings (following the layers that arrive).
    public var layerSwitches: UInt64 = 0
    public var nacksReceived: UInt64 = 0
    public var retransmissionsSent: UInt64 = 0
    public var plisReceived: UInt64 = 0
    public var firsReceived: UInt64 = 0
    /// From the subscriber's latest receiver report.
    public var fractionLost: Double = 0
    public var packetsLost: Int64 = 0
    public var jitter: UInt32 = 0
    public var roundTripTimeMilliseconds: Double?

    public init(id: Int, producerID: Int, mid: String, kind: MediaKind, ssrc: UInt32, paused: Bool) {
        self.id = id
        self.producerID = producerID
        self.mid = mid
        self.kind = kind
        self.ssrc = ssrc
        self.paused = paused
    }
}

public struct RouterStats: Sendable, Hashable, Codable {
    public var producers: [ProducerStats]
    public var consumers: [ConsumerStats]
    /// Attached peers.
    public var peers = 0
    /// Sums over the peers (see `RouterPeerCounters`).
    public var malformedRTP: UInt64 = 0
    public var unroutableRTP: UInt64 = 0
    public var malformedRTCP: UInt64 = 0
    public var unknownSSRCRTCP: UInt64 = 0
    public var byesReceived: UInt64 = 0
    public var transportFeedbackReceived: UInt64 = 0
    public var rembReceived: UInt64 = 0
    public var rtcpSent: UInt64 = 0
    public init(producers: [ProducerStats], consumers: [ConsumerStats]) {
        self.producers = producers
        self.consumers = consumers
    }
}
