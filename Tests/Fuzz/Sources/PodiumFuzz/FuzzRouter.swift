import Dispatch
import Podium

/// One loop and one (never connected) server transport for every input of the `router` target:
/// the router is rebuilt per input, the transport reused (creating one costs a DTLS context).
final class RouterFuzzState: @unchecked Sendable {
    static let shared = RouterFuzzState()
    let loop: EventLoop
    var transport: WebRtcTransport!
    var router: Router!
    var peer: RouterPeer!

    static let publisherIDs = HeaderExtensionIDs([
        SDPExtensionURI.audioLevel: 1, SDPExtensionURI.absSendTime: 2, SDPExtensionURI.transportWideCC: 3,
        SDPExtensionURI.mid: 4, SDPExtensionURI.rtpStreamID: 10, SDPExtensionURI.repairedRTPStreamID: 11,
    ])
    static let subscriberIDs = HeaderExtensionIDs([SDPExtensionURI.mid: 9, SDPExtensionURI.absSendTime: 5, SDPExtensionURI.transportWideCC: 7])

    init() {
        loop = try! EventLoop(name: "fuzz-router")
        sync {
            let endpoint = try! TransportEndpoint(loop: self.loop, configuration: .init(listen: SocketAddress(ip: "127.0.0.1", port: 0)!))
            let certificate = try! DTLSCertificate.generate(commonName: "fuzz-router")
            self.transport = try! WebRtcTransport(endpoint: endpoint, context: try! DTLSContext(certificate: certificate), configuration: .init(
                remoteICE: .random(), dtlsRole: .server, remoteFingerprints: [certificate.fingerprint]))
        }
    }

    /// Runs `body` on the loop (everything of a router is confined to it) and waits.
    func sync(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        _ = loop.execute {
            body()
            done.signal()
        }
        done.wait()
    }

    /// A fresh router: this peer publishes VP8 simulcast (q, h; RTX) and Opus, and subscribes to both.
    func reset() {
        // Why not close(): that would close the shared transport; the old router just goes away.
        router = Router(loop: loop)
        peer = router.attach(transport)
        let video = try! router.addProducer(PublishedTrack(
            mid: "1", kind: .video,
            codec: NegotiatedCodec(codec: .vp8, payloadType: 96, clockRate: 90000, rtxPayloadType: 97, feedback: [.nack, .pli, .fir, .transportCC]),
            headerExtensions: Self.publisherIDs, encodings: [PublishedEncoding(rid: "q"), PublishedEncoding(rid: "h")]), on: peer)
        let audio = try! router.addProducer(PublishedTrack(
            mid: "0", kind: .audio, codec: NegotiatedCodec(codec: .opus, payloadType: 111, clockRate: 48000, channels: 2, feedback: [.transportCC]),
            headerExtensions: Self.publisherIDs, encodings: [PublishedEncoding(ssrc: 0x1A00_0001)]), on: peer)
        _ = try! router.addConsumer(of: video, on: peer, track: SubscribedTrack(
            mid: "v", kind: .video, codecs: [NegotiatedCodec(codec: .vp8, payloadType: 100, clockRate: 90000, rtxPayloadType: 101, feedback: [.nack, .pli])],
            headerExtensions: Self.subscriberIDs, ssrc: 0x5000_0001, rtxSSRC: 0x5000_0002, cname: "fuzz"))
        _ = try! router.addConsumer(of: audio, on: peer, track: SubscribedTrack(
            mid: "a", kind: .audio, codecs: [NegotiatedCodec(codec: .opus, payloadType: 109, clockRate: 48000, channels: 2)],
            headerExtensions: Self.subscriberIDs, ssrc: 0x5000_0003, cname: "fuzz"))
    }
}

/// Router ingest (RTP demux, SSRC learning from mid/rid/PT, RTX unwrap, buffer, NACK list,
/// keyframe detection, audio level) and RTCP handling (NACK, PLI/FIR, SR/RR, BYE…) fed hostile
/// datagrams, as a transport delivers them after SRTP. Input: datagrams, each a kind byte (bit 0:
/// RTCP), a 2-byte big-endian length and that many bytes (a short tail is one last datagram).
/// Invariants: nothing traps; the producers and consumers stay; the packet counters only grow.
@Sendable func fuzzRouter(_ data: UnsafeRawBufferPointer) {
    var datagrams: [(rtcp: Bool, bytes: [UInt8])] = []
    var offset = 0
    while offset < data.count, datagrams.count < 64 {
        let rtcp = data[offset] & 1 != 0
        offset += 1
        var length = data.count - offset
        if length >= 2 {
            length = min(Int(data[offset]) << 8 | Int(data[offset + 1]), data.count - offset - 2)
            offset += 2
        }
        datagrams.append((rtcp, Array(data[offset ..< offset + length])))
        offset += length
    }
    let input = datagrams
    let state = RouterFuzzState.shared
    state.sync {
        state.reset()
        var packets: UInt64 = 0
        for d in input {
            var bytes = d.bytes
            bytes.withUnsafeMutableBytes { b in
                if d.rtcp {
                    state.peer.transport(state.transport, didReceiveRTCP: b)
                } else {
                    state.peer.transport(state.transport, didReceiveRTP: b)
                }
            }
            let stats = state.router.stats
            guard stats.producers.count == 2, stats.consumers.count == 2 else { fuzzFailure("producers or consumers lost: \(stats)") }
            let now = stats.producers.flatMap(\.encodings).reduce(0) { $0 + $1.packets }
            guard now >= packets else { fuzzFailure("packet counter went back: \(now) < \(packets)") }
            packets = now
        }
    }
}
