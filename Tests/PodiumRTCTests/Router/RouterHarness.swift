import Foundation
import PodiumMedia
import PodiumNet
import PodiumRTC
import PodiumSDP
import PodiumWire

// A router on real transports over loopback: one publisher client (SyntheticPublisher: VP8 + Opus
// the way a browser sends them) → server transport attached to the router → consumers on other
// server transports → subscriber clients recording what arrives. Client objects live on the
// client loop, router objects on the server loop; tests reach them through `submit`.

/// Sends the publisher's packets and keeps a copy of each, by SSRC and sequence number.
final class RecordingSink: RTPPacketSink {
    let transport: WebRtcTransport
    var sent: [UInt32: [UInt16: [UInt8]]] = [:]
    var lastTimestamp: [UInt32: UInt32] = [:]
    var failed = 0
    /// SSRCs whose packets are not sent (a simulcast layer the "browser" has not started or paused).
    var withheld: Set<UInt32> = []
    init(_ transport: WebRtcTransport) { self.transport = transport }
    func send(rtp: UnsafeRawBufferPointer) {
        if let p = try? RTPPacket(parsing: rtp) {
            if withheld.contains(p.ssrc) { return }
            sent[p.ssrc, default: [:]][p.sequenceNumber] = Array(rtp)
            lastTimestamp[p.ssrc] = p.timestamp
        }
        if !transport.sendRTP(rtp) { failed += 1 }
    }
}

/// The publisher client: paces a SyntheticPublisher in real time and answers the router's RTCP.
final class PublisherClient: WebRtcTransportDelegate, @unchecked Sendable {
    let loop: EventLoop
    var publisher: SyntheticPublisher<RecordingSink>!
    var startedAt = MonotonicTime.now()
    var running = false
    var plis = 0
    var firs = 0
    var nackedSequenceNumbers = 0
    var receiverReportBlocks: [UInt32: Int] = [:]
    var transportFeedback = 0
    var sdesChunks = 0
    /// Keyframe requests (PLI or FIR entries) per 100 ms bucket since `startedAt`.
    var keyframeRequestTimes: [Duration] = []

    init(loop: EventLoop) { self.loop = loop }

    func transport(_ transport: WebRtcTransport, didReceiveRTP packet: UnsafeMutableRawBufferPointer) {}
    func transport(_ transport: WebRtcTransport, didChangeState state: WebRtcTransportState) {}
    func transport(_ transport: WebRtcTransport, didReceiveRTCP packet: UnsafeMutableRawBufferPointer) {
        let bytes = UnsafeRawBufferPointer(packet)
        guard let compound = try? RTCPCompound(parsing: bytes) else { return }
        var it = compound.makeIterator()
        while let p = try? it.next() {
            switch p {
            case .pli:
                plis += 1
                keyframeRequestTimes.append(MonotonicTime.now() - startedAt)
            case .fir(let f):
                firs += f.entries.count
                keyframeRequestTimes.append(MonotonicTime.now() - startedAt)
            case .genericNACK(let n): nackedSequenceNumbers += Array(n.lostSequenceNumbers).count
            case .receiverReport(let rr): for b in rr.reportBlocks { receiverReportBlocks[b.ssrc, default: 0] += 1 }
            case .transportFeedback: transportFeedback += 1
            case .sdes(let s): sdesChunks += Array(s.chunks).count
            default: break
            }
        }
        try? publisher?.receiveRTCP(bytes, now: elapsedNanoseconds)
    }

    var elapsedNanoseconds: UInt64 {
        let e = (MonotonicTime.now() - startedAt).components
        return UInt64(max(e.seconds * 1_000_000_000 + e.attoseconds / 1_000_000_000, 0))
    }

    /// Starts sending in real time until `stop()`.
    func start() {
        startedAt = MonotonicTime.now()
        running = true
        tick()
    }

    func stop() { running = false }

    private func tick() {
        guard running else { return }
        _ = try? publisher.sendDue(now: elapsedNanoseconds)
        _ = loop.schedule(after: .milliseconds(5)) { [weak self] in self?.tick() }
    }

    /// Sends an SR for `ssrc` mapping `ntp` to the last RTP timestamp sent on it.
    func sendSenderReport(ssrc: UInt32, ntp: UInt64) -> UInt32? {
        guard let rtp = publisher.sink.lastTimestamp[ssrc] else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { b in
            try! SenderReport(ssrc: ssrc, ntpTimestamp: ntp, rtpTimestamp: rtp, packetCount: 1, octetCount: 1).write(into: b)
        }
        _ = buffer.withUnsafeBytes { publisher.sink.transport.sendRTCP(UnsafeRawBufferPointer(rebasing: $0[0 ..< n])) }
        return rtp
    }
}

/// A subscriber client: keeps every RTP packet and what its RTCP said.
final class SubscriberClient: WebRtcTransportDelegate, @unchecked Sendable {
    var packets: [[UInt8]] = []
    var senderReports: [(ssrc: UInt32, ntp: UInt64, rtp: UInt32)] = []
    var byes: [UInt32] = []
    var rtcpDatagrams = 0

    func transport(_ transport: WebRtcTransport, didReceiveRTP packet: UnsafeMutableRawBufferPointer) {
        packets.append(Array(UnsafeRawBufferPointer(packet)))
    }
    func transport(_ transport: WebRtcTransport, didChangeState state: WebRtcTransportState) {}
    func transport(_ transport: WebRtcTransport, didReceiveRTCP packet: UnsafeMutableRawBufferPointer) {
        rtcpDatagrams += 1
        guard let compound = try? RTCPCompound(parsing: UnsafeRawBufferPointer(packet)) else { return }
        var it = compound.makeIterator()
        while let p = try? it.next() {
            switch p {
            case .senderReport(let sr): senderReports.append((sr.ssrc, sr.ntpTimestamp, sr.rtpTimestamp))
            case .bye(let b): byes.append(contentsOf: b.ssrcs)
            default: break
            }
        }
    }

    func packets(ssrc: UInt32) -> [RTPView] {
        packets.compactMap { bytes in
            bytes.withUnsafeBytes { b in (try? RTPPacket(parsing: b)).map { RTPView($0) } }
        }.filter { $0.ssrc == ssrc }
    }
}

/// A parsed packet as plain values (tests keep them after the bytes are gone).
struct RTPView {
    var ssrc: UInt32
    var payloadType: UInt8
    var sequenceNumber: UInt16
    var timestamp: UInt32
    var marker: Bool
    var extensions: [UInt8: [UInt8]]
    var payload: [UInt8]
    init(_ p: RTPPacket) {
        ssrc = p.ssrc
        payloadType = p.payloadType
        sequenceNumber = p.sequenceNumber
        timestamp = p.timestamp
        marker = p.marker
        var e: [UInt8: [UInt8]] = [:]
        for x in p.extensions { e[x.id] = Array(x.value) }
        extensions = e
        payload = Array(p.payload)
    }

    var isVP8KeyframeStart: Bool {
        payload.withUnsafeBytes { b in
            guard let d = try? PayloadDescriptor(parsing: b, codec: .vp8) else { return false }
            return d.isKeyframe && d.isStartOfFrame == true
        }
    }
}

/// Remembers what the router told its delegate.
final class RouterEvents: RouterDelegate, @unchecked Sendable {
    var removedProducers: [Int] = []
    var paused: [(Int, Bool)] = []
    var states: [WebRtcTransportState] = []
    func router(_ router: Router, peer: RouterPeer, didChangeState state: WebRtcTransportState) { states.append(state) }
    func router(_ router: Router, didRemoveProducer producer: Producer) { removedProducers.append(producer.id) }
    func router(_ router: Router, consumer: Consumer, didChangePaused paused: Bool) { self.paused.append((consumer.id, paused)) }
}

/// Publisher ids (Chromium's) and the subscribers' (deliberately different) ids.
enum RouterTestTracks {
    static let publisherExtensions = HeaderExtensionIDs([
        SDPExtensionURI.audioLevel: 1, SDPExtensionURI.absSendTime: 2, SDPExtensionURI.transportWideCC: 3,
        SDPExtensionURI.mid: 4, SDPExtensionURI.rtpStreamID: 10, SDPExtensionURI.repairedRTPStreamID: 11,
    ])
    static let subscriberExtensions = HeaderExtensionIDs([
        SDPExtensionURI.mid: 9, SDPExtensionURI.absSendTime: 5, SDPExtensionURI.audioLevel: 6, SDPExtensionURI.transportWideCC: 7,
    ])
    static let videoFeedback: RTCPFeedbackSet = [.nack, .pli, .fir, .transportCC]

    static func publishedVideo(rids: [String]) -> PublishedTrack {
        PublishedTrack(mid: "1", kind: .video,
                       codec: NegotiatedCodec(codec: .vp8, payloadType: 96, clockRate: 90000, rtxPayloadType: 97, feedback: videoFeedback),
                       headerExtensions: publisherExtensions, encodings: rids.map { PublishedEncoding(rid: $0) })
    }

    static let publishedAudio = PublishedTrack(
        mid: "0", kind: .audio, codec: NegotiatedCodec(codec: .opus, payloadType: 111, clockRate: 48000, channels: 2, feedback: [.transportCC]),
        headerExtensions: publisherExtensions)

    static func subscribedVideo(index: Int, rtx: Bool) -> SubscribedTrack {
        SubscribedTrack(mid: "v\(index)", kind: .video,
                        codecs: [NegotiatedCodec(codec: .vp8, payloadType: 100, clockRate: 90000, rtxPayloadType: rtx ? 101 : nil,
                                                 feedback: [.nack, .pli, .transportCC])],
                        headerExtensions: subscriberExtensions, ssrc: videoSSRC(index), rtxSSRC: rtx ? rtxSSRC(index) : nil, cname: "sub\(index)")
    }

    static func subscribedAudio(index: Int) -> SubscribedTrack {
        SubscribedTrack(mid: "a\(index)", kind: .audio,
                        codecs: [NegotiatedCodec(codec: .opus, payloadType: 109, clockRate: 48000, channels: 2, feedback: [.transportCC])],
                        headerExtensions: subscriberExtensions, ssrc: audioSSRC(index), cname: "sub\(index)")
    }

    static func videoSSRC(_ i: Int) -> UInt32 { 0x5000_0000 + UInt32(i) * 16 + 1 }
    static func rtxSSRC(_ i: Int) -> UInt32 { 0x5000_0000 + UInt32(i) * 16 + 2 }
    static func audioSSRC(_ i: Int) -> UInt32 { 0x5000_0000 + UInt32(i) * 16 + 3 }
}

/// Transport 0 publishes; transports 1…N subscribe.
final class RouterFixture: @unchecked Sendable {
    let pair: LoopbackPair
    let subscriberCount: Int
    var router: Router!
    var peers: [RouterPeer] = []
    var video: Producer!
    var audio: Producer?
    var videoConsumers: [Consumer?] = []
    var audioConsumers: [Consumer?] = []
    let events = RouterEvents()
    let publisher: PublisherClient
    var subscribers: [SubscriberClient] = []
    let publisherConfiguration: SyntheticPublisherConfiguration

    /// Connects 1 + `subscribers` transports and attaches the server sides to a router.
    init(subscribers: Int, configuration: RouterConfiguration = RouterFixture.fastConfiguration, layers: Int = 1, audio: Bool = true) async throws {
        pair = try LoopbackPair()
        subscriberCount = subscribers
        publisher = PublisherClient(loop: pair.clientLoop)
        let c = {
            var c = SyntheticPublisherConfiguration()
            c.videoLayers = Array(SimulcastVideoSource.defaultLayers.prefix(layers))
            c.audio = audio
            return c
        }()
        publisherConfiguration = c
        guard try await pair.startAndConnect(count: 1 + subscribers, timeout: .seconds(20)) else {
            pair.shutdown()
            throw RouterFixtureError.notConnected
        }
        let rids = c.videoLayers.map(\.rid)
        try await pair.serverLoop.submit {
            self.router = Router(loop: self.pair.serverLoop, configuration: configuration)
            self.router.delegate = self.events
            self.peers = self.pair.serverTransports.map { self.router.attach($0) }
            self.video = try self.router.addProducer(RouterTestTracks.publishedVideo(rids: rids), on: self.peers[0])
            if audio { self.audio = try self.router.addProducer(RouterTestTracks.publishedAudio, on: self.peers[0]) }
        }
        try await pair.clientLoop.submit {
            self.pair.clientTransports[0].delegate = self.publisher
            self.publisher.publisher = try SyntheticPublisher(c, sink: RecordingSink(self.pair.clientTransports[0]))
            for i in 1 ... max(subscribers, 1) where i <= subscribers {
                let s = SubscriberClient()
                self.pair.clientTransports[i].delegate = s
                self.subscribers.append(s)
            }
        }
    }

    static let fastConfiguration = RouterConfiguration(keyframeRequestInterval: .milliseconds(500), transportFeedbackInterval: .milliseconds(100),
                                                       reportInterval: .milliseconds(200))

    /// Adds consumers of the video (and audio) producer for subscriber `index` (1-based).
    func subscribe(_ index: Int, rtx: Bool = true, encodingIndex: Int? = nil) async throws {
        try await pair.serverLoop.submit {
            while self.videoConsumers.count <= index { self.videoConsumers.append(nil) }
            while self.audioConsumers.count <= index { self.audioConsumers.append(nil) }
            self.videoConsumers[index] = try self.router.addConsumer(of: self.video, on: self.peers[index],
                                                                     track: RouterTestTracks.subscribedVideo(index: index, rtx: rtx),
                                                                     encodingIndex: encodingIndex)
            if let audio = self.audio {
                self.audioConsumers[index] = try self.router.addConsumer(of: audio, on: self.peers[index],
                                                                         track: RouterTestTracks.subscribedAudio(index: index))
            }
        }
    }

    func startPublishing() async throws {
        try await pair.clientLoop.submit { self.publisher.start() }
    }

    func stopPublishing() async throws {
        try await pair.clientLoop.submit { self.publisher.stop() }
    }

    /// Sends raw RTCP from a client transport (it is SRTCP-protected like any other).
    func sendRTCP(from client: Int, _ bytes: [UInt8]) async throws {
        try await pair.clientLoop.submit {
            _ = bytes.withUnsafeBytes { self.pair.clientTransports[client].sendRTCP($0) }
        }
    }

    func sendRTP(from client: Int, _ bytes: [UInt8]) async throws {
        try await pair.clientLoop.submit {
            _ = bytes.withUnsafeBytes { self.pair.clientTransports[client].sendRTP($0) }
        }
    }

    func onServer<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T { try await pair.serverLoop.submit(body) }
    func onClient<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T { try await pair.clientLoop.submit(body) }

    func shutdown() {
        pair.clientLoop.execute { self.publisher.stop() }
        pair.serverLoop.execute { self.router?.close() }
        pair.shutdown()
    }

    var videoSSRC: UInt32 { publisherConfiguration.videoSSRCs[0] }
    var audioSSRC: UInt32 { publisherConfiguration.audioSSRC }
}

enum RouterFixtureError: Error { case notConnected }

/// RTCP packets written with PodiumWire's writers, as bytes for `sendRTCP`.
enum RTCPBytes {
    static func write(_ body: (UnsafeMutableRawBufferPointer) throws -> Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 1200)
        let n = buffer.withUnsafeMutableBytes { try! body($0) }
        return Array(buffer[0 ..< n])
    }

    static func emptyRR(_ ssrc: UInt32) -> [UInt8] { write { try ReceiverReport(ssrc: ssrc).write(into: $0) } }

    static func nack(sender: UInt32, media: UInt32, lost: [UInt16]) -> [UInt8] {
        emptyRR(sender) + write { b in try lost.withUnsafeBufferPointer { try GenericNACK.write(senderSSRC: sender, mediaSSRC: media, lost: $0, into: b) } }
    }

    static func pli(sender: UInt32, media: UInt32) -> [UInt8] {
        emptyRR(sender) + write { try PictureLossIndication(senderSSRC: sender, mediaSSRC: media).write(into: $0) }
    }

    static func receiverReport(sender: UInt32, block: ReportBlock) -> [UInt8] {
        write { b in
            var block = block
            return try withUnsafePointer(to: &block) { p in
                try ReceiverReport(ssrc: sender, reportBlocks: RTCPList(UnsafeBufferPointer(start: p, count: 1))).write(into: b)
            }
        }
    }
}
