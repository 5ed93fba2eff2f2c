import Foundation
import Podium
import PodiumMedia
import Synchronization

/// One certificate and DTLS context for every test peer of the process (generation costs ms).
enum TestPeerDTLS {
    static let context: DTLSContext = {
        try! DTLSContext(certificate: DTLSCertificate.generate(commonName: "podium-test-peer"))
    }()
}

/// What a subscribing `TestPeer` received on one SSRC, in arrival order.
struct ReceivedRTP: Sendable, Hashable {
    var sequenceNumber: UInt16
    var timestamp: UInt32
    var payloadType: UInt8
    var marker: Bool
    /// The first packet of a VP8 keyframe.
    var startsKeyframe: Bool
    /// The first packet of a VP8 frame.
    var startsFrame: Bool
}

/// A snapshot of what a peer has received.
struct PeerReception: Sendable {
    var rtp: [UInt32: [ReceivedRTP]] = [:]
    var rtcpPackets = 0
    /// SSRCs named in RTCP BYE packets.
    var byeSSRCs: Set<UInt32> = []
    var senderReportSSRCs: Set<UInt32> = []
    var plis = 0
    var nacks = 0
    /// When the first packet of a VP8 keyframe arrived (monotonic ns).
    var firstKeyframeNanoseconds: Int64?

    /// SSRCs whose packets carry `payloadType`.
    func ssrcs(payloadType: UInt8) -> [UInt32] {
        rtp.filter { $0.value.contains { $0.payloadType == payloadType } }.keys.sorted()
    }

    func count(payloadType: UInt8) -> Int {
        rtp.values.reduce(0) { $0 + $1.filter { $0.payloadType == payloadType }.count }
    }

    /// True when each SSRC's sequence numbers advance by exactly one from packet to packet.
    func isGapless(_ ssrc: UInt32) -> Bool {
        guard let packets = rtp[ssrc] else { return false }
        return zip(packets, packets.dropFirst()).allSatisfy { $1.sequenceNumber == $0.sequenceNumber &+ 1 }
    }
}

/// An in-process WebRTC client built on Podium's own pieces, to test the API end to end over
/// 127.0.0.1: its own `EventLoop` and `TransportEndpoint`, a `WebRtcTransport` with the
/// controlling ICE client, DTLS client or server per the answer's a=setup, and SRTP.
///
/// It writes offers the way a browser would (unified plan, BUNDLE, rtcp-mux, a=ssrc lines), applies
/// Podium's answer (or answers Podium's offer), publishes with `SyntheticPublisher` (Opus + one VP8
/// layer, answering PLI/FIR and NACK), and records every RTP and RTCP packet it receives.
///
/// Threading: the transport, endpoint and publisher live on `loop`; everything mutable is touched
/// only there (the test reaches it through `loop.submit`), hence `@unchecked Sendable`.
final class TestPeer: WebRtcTransportDelegate, @unchecked Sendable {
    static let audioPayloadType: UInt8 = 111
    static let videoPayloadType: UInt8 = 96
    static let rtxPayloadType: UInt8 = 97

    let name: String
    let loop: EventLoop
    let localICE = ICECredentials.random()
    let seed: UInt64
    private(set) var endpoint: TransportEndpoint!
    private(set) var transport: WebRtcTransport?
    private var publisher: SyntheticPublisher<PeerSink>?
    private var publishing = false
    private var reception = PeerReception()
    private(set) var states: [WebRtcTransportState] = []

    private init(name: String, loop: EventLoop, seed: UInt64) {
        self.name = name
        self.loop = loop
        self.seed = seed
    }

    /// Starts the peer's loop and binds its socket on 127.0.0.1.
    static func start(_ name: String, seed: UInt64 = 1) async throws -> TestPeer {
        let loop = try EventLoop(name: "peer-\(name)")
        let peer = TestPeer(name: name, loop: loop, seed: seed)
        do {
            try await loop.submit {
                peer.endpoint = try TransportEndpoint(loop: loop, configuration: .init(
                    listen: SocketAddress(ip: "127.0.0.1", port: 0)!, sendBatchCapacity: 16))
            }
        } catch {
            loop.shutdown()
            throw error
        }
        return peer
    }

    // MARK: SDP

    private var fingerprintLine: String { "a=fingerprint:\(TestPeerDTLS.context.certificate.fingerprint.sdpValue)" }

    private func sessionLines(mids: [String]) -> [String] {
        ["v=0", "o=- \(seed) 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE \(mids.joined(separator: " "))",
         "a=extmap-allow-mixed", "a=msid-semantic: WMS"]
    }

    private func transportLines(mid: String, setup: String) -> [String] {
        ["c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", "a=ice-ufrag:\(localICE.ufrag)", "a=ice-pwd:\(localICE.pwd)",
         "a=ice-options:trickle", fingerprintLine, "a=setup:\(setup)", "a=mid:\(mid)"]
    }

    private func audioLines(mid: String, direction: String, ssrc: UInt32?) -> [String] {
        var lines = ["m=audio 9 UDP/TLS/RTP/SAVPF \(Self.audioPayloadType)"] + transportLines(mid: mid, setup: "actpass") + [
            "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
            "a=\(direction)",
        ]
        if ssrc != nil { lines.append("a=msid:\(name) \(name)-audio") }
        lines += ["a=rtcp-mux", "a=rtcp-rsize", "a=rtpmap:\(Self.audioPayloadType) opus/48000/2",
                  "a=rtcp-fb:\(Self.audioPayloadType) transport-cc", "a=fmtp:\(Self.audioPayloadType) minptime=10;useinbandfec=1"]
        if let ssrc { lines.append("a=ssrc:\(ssrc) cname:\(name)") }
        return lines
    }

    private func videoLines(mid: String, direction: String, ssrc: UInt32?, rtxSSRC: UInt32?) -> [String] {
        let pt = Self.videoPayloadType, rtx = Self.rtxPayloadType
        var lines = ["m=video 9 UDP/TLS/RTP/SAVPF \(pt) \(rtx)"] + transportLines(mid: mid, setup: "actpass") + [
            "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
            "a=\(direction)",
        ]
        if ssrc != nil { lines.append("a=msid:\(name) \(name)-video") }
        lines += ["a=rtcp-mux", "a=rtcp-rsize", "a=rtpmap:\(pt) VP8/90000", "a=rtcp-fb:\(pt) goog-remb", "a=rtcp-fb:\(pt) transport-cc",
                  "a=rtcp-fb:\(pt) ccm fir", "a=rtcp-fb:\(pt) nack", "a=rtcp-fb:\(pt) nack pli",
                  "a=rtpmap:\(rtx) rtx/90000", "a=fmtp:\(rtx) apt=\(pt)"]
        if let ssrc, let rtxSSRC {
            lines += ["a=ssrc-group:FID \(ssrc) \(rtxSSRC)", "a=ssrc:\(ssrc) cname:\(name)", "a=ssrc:\(rtxSSRC) cname:\(name)"]
        }
        return lines
    }

    /// The publisher configuration: Opus on mid 0, one VP8 layer (320×180) on mid 1.
    var publisherConfiguration: SyntheticPublisherConfiguration {
        var c = SyntheticPublisherConfiguration()
        c.videoLayers = [SimulcastLayerConfiguration(rid: "q", width: 320, height: 180, bitrateKbps: 200, temporalLayers: 1)]
        c.extensionIDs = RTPHeaderExtensionIDs(mid: 4, absSendTime: 2, transportWideSequence: 3, audioLevel: 1)
        c.audioMid = "0"
        c.videoMid = "1"
        c.seed = seed
        return c
    }

    /// A browser-like publisher offer: sendonly Opus (mid 0) and VP8 + RTX (mid 1) with SSRCs.
    func publisherOffer() -> String {
        let c = publisherConfiguration
        let lines = sessionLines(mids: ["0", "1"]) + audioLines(mid: "0", direction: "sendonly", ssrc: c.audioSSRC)
            + videoLines(mid: "1", direction: "sendonly", ssrc: c.videoSSRCs[0], rtxSSRC: c.rtxSSRCs[0])
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A WHEP-style subscriber offer: `audio` recvonly Opus m-lines, then `video` recvonly VP8 ones.
    func subscriberOffer(audio: Int = 1, video: Int = 1) -> String {
        let mids = (0 ..< audio + video).map(String.init)
        var lines = sessionLines(mids: mids)
        for i in 0 ..< audio { lines += audioLines(mid: mids[i], direction: "recvonly", ssrc: nil) }
        for i in 0 ..< video { lines += videoLines(mid: mids[audio + i], direction: "recvonly", ssrc: nil, rtxSSRC: nil) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Applies Podium's answer: creates the transport (ICE checks to the answer's candidate, DTLS
    /// role from its a=setup).
    func apply(answer text: String) async throws {
        let answer = try SessionDescription(parsing: text)
        guard let m = answer.media.first(where: { !$0.isRejected }) else { throw PeerError("the answer accepts no m-line") }
        try await connect(to: answer, section: m, ourSetup: (answer.setup(of: m) ?? .passive) == .active ? .passive : .active)
    }

    /// Answers Podium's offer (server-initiated subscribe): recvonly for every m-line it sends,
    /// the first codec (and its RTX) of each, every extension; port 0 for rejected m-lines. The
    /// first answer creates the transport (this peer takes DTLS client, a=setup:active).
    func answer(offer text: String) async throws -> String {
        let offer = try SessionDescription(parsing: text)
        var lines = ["v=0", "o=- \(seed) \(offer.origin.sessionVersion) IN IP4 127.0.0.1", "s=-", "t=0 0"]
        let mids = offer.media.filter { !$0.isRejected }.compactMap(\.mid)
        lines.append("a=group:BUNDLE \(mids.joined(separator: " "))")
        lines.append("a=msid-semantic: WMS")
        for m in offer.media {
            let mid = m.mid ?? ""
            let kind = m.kind == .audio ? "audio" : "video"
            guard !m.isRejected, let codec = m.codecs.first(where: { $0.name.lowercased() != "rtx" }) else {
                lines += ["m=\(kind) 0 UDP/TLS/RTP/SAVPF \(m.formats.first ?? "0")", "c=IN IP4 0.0.0.0", "a=mid:\(mid)"]
                continue
            }
            let rtx = codec.rtxPayloadType.flatMap { m.codec(payloadType: $0) != nil ? $0 : nil }
            lines.append("m=\(kind) 9 UDP/TLS/RTP/SAVPF \(codec.payloadType)\(rtx.map { " \($0)" } ?? "")")
            lines += ["c=IN IP4 0.0.0.0", "a=ice-ufrag:\(localICE.ufrag)", "a=ice-pwd:\(localICE.pwd)", fingerprintLine,
                      "a=setup:active", "a=mid:\(mid)"]
            for e in m.headerExtensions { lines.append("a=extmap:\(e.id) \(e.uri)") }
            lines += ["a=recvonly", "a=rtcp-mux"]
            if m.isRTCPReducedSize { lines.append("a=rtcp-rsize") }
            lines.append("a=rtpmap:\(codec.payloadType) \(codec.name)/\(codec.clockRate)\(codec.channels.map { "/\($0)" } ?? "")")
            for fb in codec.feedback { lines.append("a=rtcp-fb:\(codec.payloadType) \(fb.description)") }
            if !codec.parameters.isEmpty {
                lines.append("a=fmtp:\(codec.payloadType) " + codec.parameters.map(\.description).joined(separator: ";"))
            }
            if let rtx {
                lines += ["a=rtpmap:\(rtx) rtx/\(codec.clockRate)", "a=fmtp:\(rtx) apt=\(codec.payloadType)"]
            }
        }
        if try await loop.submit({ self.transport == nil }) {
            guard let m = offer.media.first(where: { !$0.isRejected }) else { throw PeerError("the offer has no m-line to receive") }
            try await connect(to: offer, section: m, ourSetup: .active)
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private func connect(to remote: SessionDescription, section m: MediaDescription, ourSetup: SDPSetup) async throws {
        guard let ufrag = remote.iceUfrag(of: m), let pwd = remote.icePwd(of: m) else { throw PeerError("no ICE credentials") }
        guard let candidate = m.candidates.first ?? remote.media.flatMap(\.candidates).first,
              let address = SocketAddress(ip: candidate.address, port: candidate.port) else { throw PeerError("no usable candidate") }
        let fingerprints = remote.fingerprints(of: m).compactMap { f -> DTLSFingerprint? in
            guard let a = DTLSFingerprint.Algorithm(sdpName: f.algorithm) else { return nil }
            return try? DTLSFingerprint(algorithm: a, digest: f.bytes)
        }
        let remoteICE = ICECredentials(ufrag: ufrag, pwd: pwd)
        let role: DTLSSession.Role = ourSetup == .active ? .client : .server
        try await loop.submit {
            let t = try WebRtcTransport(endpoint: self.endpoint, context: TestPeerDTLS.context, configuration: .init(
                iceMode: .controlling(remote: address), localICE: self.localICE, remoteICE: remoteICE, dtlsRole: role,
                remoteFingerprints: fingerprints))
            t.delegate = self
            self.transport = t
        }
    }

    // MARK: Running

    var isConnected: Bool { get async { (try? await loop.submit { self.transport?.state == .connected }) ?? false } }

    /// Waits until the transport is connected; false after `timeout`.
    func waitConnected(timeout: Duration = .seconds(5)) async -> Bool {
        await eventually(timeout: timeout) { self.transport?.state == .connected }
    }

    /// Polls `condition` on the peer's loop until it holds or `timeout` passes.
    func eventually(timeout: Duration = .seconds(5), _ condition: @escaping @Sendable () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await loop.submit(condition)) == true { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return (try? await loop.submit(condition)) == true
    }

    /// Waits until what the peer received satisfies `condition`.
    func waitReception(timeout: Duration = .seconds(5), _ condition: @escaping @Sendable (PeerReception) -> Bool) async -> Bool {
        await eventually(timeout: timeout) { condition(self.reception) }
    }

    /// Starts sending Opus + VP8 in real time (paced by a 5 ms loop timer) until `stopPublishing`.
    func startPublishing() async throws {
        try await loop.submit {
            guard let transport = self.transport else { throw PeerError("publish before apply(answer:)") }
            self.publisher = try SyntheticPublisher(self.publisherConfiguration, sink: PeerSink(transport))
            self.publishing = true
            let start = MonotonicTime.now()
            self.tick(start: start)
        }
    }

    private func tick(start: MonotonicTime) {
        guard publishing, let publisher else { return }
        let c = (MonotonicTime.now() - start).components
        let now = UInt64(c.seconds) * 1_000_000_000 + UInt64(c.attoseconds / 1_000_000_000)
        _ = try? publisher.sendDue(now: now)
        loop.schedule(after: .milliseconds(5)) { [weak self] in self?.tick(start: start) }
    }

    func stopPublishing() async {
        _ = try? await loop.submit { self.publishing = false }
    }

    /// Packets the publisher sent: (audio, video).
    func publishedCounts() async -> (audio: Int, video: Int) {
        (try? await loop.submit {
            (self.publisher?.audioStatistics.packetsSent ?? 0, self.publisher?.layerStatistics.first?.packetsSent ?? 0)
        }) ?? (0, 0)
    }

    /// Keyframes the publisher sent (the first frame plus one per request).
    func keyframesSent() async -> Int {
        (try? await loop.submit { self.publisher?.layerStatistics.first?.keyframesSent ?? 0 }) ?? 0
    }

    func received() async -> PeerReception {
        (try? await loop.submit { self.reception }) ?? PeerReception()
    }

    /// Closes the transport (DTLS close_notify), the endpoint and the loop thread.
    func close() async {
        _ = try? await loop.submit {
            self.publishing = false
            self.transport?.close()
            self.endpoint?.close()
        }
        let loop = self.loop
        await Task.detached { loop.shutdown() }.value
    }

    // MARK: WebRtcTransportDelegate

    func transport(_ transport: WebRtcTransport, didReceiveRTP packet: UnsafeMutableRawBufferPointer) {
        guard let p = try? RTPPacket(parsing: UnsafeRawBufferPointer(packet)) else { return }
        var startsKeyframe = false, startsFrame = false
        if p.payloadType == Self.videoPayloadType, let d = try? VP8PayloadDescriptor(parsing: p.payload) {
            startsFrame = d.isStartOfFrame
            startsKeyframe = d.isStartOfFrame && d.isKeyframe
        }
        if startsKeyframe, reception.firstKeyframeNanoseconds == nil { reception.firstKeyframeNanoseconds = MonotonicTime.now().nanoseconds }
        reception.rtp[p.ssrc, default: []].append(ReceivedRTP(sequenceNumber: p.sequenceNumber, timestamp: p.timestamp,
                                                               payloadType: p.payloadType, marker: p.marker,
                                                               startsKeyframe: startsKeyframe, startsFrame: startsFrame))
    }

    func transport(_ transport: WebRtcTransport, didReceiveRTCP packet: UnsafeMutableRawBufferPointer) {
        reception.rtcpPackets += 1
        let bytes = UnsafeRawBufferPointer(packet)
        if let compound = try? RTCPCompound(parsing: bytes) {
            var it = compound.makeIterator()
            while let next = try? it.next() {
                switch next {
                case .bye(let bye): for s in bye.ssrcs { reception.byeSSRCs.insert(s) }
                case .senderReport(let sr): reception.senderReportSSRCs.insert(sr.ssrc)
                case .pli: reception.plis += 1
                case .genericNACK: reception.nacks += 1
                default: break
                }
            }
        }
        if let publisher {
            let c = MonotonicTime.now().nanoseconds
            try? publisher.receiveRTCP(bytes, now: UInt64(max(c, 0)))
        }
    }

    func transport(_ transport: WebRtcTransport, didChangeState state: WebRtcTransportState) {
        states.append(state)
    }
}

/// Sends what a `SyntheticPublisher` writes through the peer's transport.
final class PeerSink: RTPPacketSink {
    let transport: WebRtcTransport
    init(_ transport: WebRtcTransport) { self.transport = transport }
    func send(rtp: UnsafeRawBufferPointer) { transport.sendRTP(rtp) }
}

struct PeerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
