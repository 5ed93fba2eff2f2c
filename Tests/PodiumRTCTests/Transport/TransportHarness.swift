import Foundation
import PodiumCrypto
import PodiumNet
import PodiumRTC
import PodiumWire

/// Records what a transport delivers; touched only on its loop thread (read through `submit`).
final class TransportRecorder: WebRtcTransportDelegate, @unchecked Sendable {
    var rtpBySSRC: [UInt32: Int] = [:]
    var payloadTypes: Set<UInt8> = []
    var rtcpPackets = 0
    var states: [WebRtcTransportState] = []
    /// RTP counts per second since the first packet (for the flood test's "throughout").
    var rtpPerSecond: [Int: Int] = [:]
    var firstRTP: MonotonicTime?
    /// When set, a copy of every received RTP packet, by SSRC, in arrival order.
    var keepPackets = false
    var packets: [UInt32: [[UInt8]]] = [:]

    func transport(_ transport: WebRtcTransport, didReceiveRTP packet: UnsafeMutableRawBufferPointer) {
        guard let p = try? RTPPacket(parsing: UnsafeRawBufferPointer(packet)) else { return }
        rtpBySSRC[p.ssrc, default: 0] += 1
        if keepPackets { packets[p.ssrc, default: []].append(Array(UnsafeRawBufferPointer(packet))) }
        payloadTypes.insert(p.payloadType)
        let now = MonotonicTime.now()
        if firstRTP == nil { firstRTP = now }
        rtpPerSecond[Int((now - firstRTP!) / .seconds(1)), default: 0] += 1
    }

    func transport(_ transport: WebRtcTransport, didReceiveRTCP packet: UnsafeMutableRawBufferPointer) {
        rtcpPackets += 1
    }

    func transport(_ transport: WebRtcTransport, didChangeState state: WebRtcTransportState) {
        states.append(state)
    }

    var totalRTP: Int { rtpBySSRC.values.reduce(0, +) }
}

/// Something non-Sendable that lives on one loop and is reached through `submit`.
final class LoopBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// One certificate and DTLS context for all tests of a process: generating them costs milliseconds.
enum TestDTLS {
    static let serverContext: DTLSContext = {
        try! DTLSContext(certificate: DTLSCertificate.generate(commonName: "podium-test-server"))
    }()
    static let clientContext: DTLSContext = {
        try! DTLSContext(certificate: DTLSCertificate.generate(commonName: "podium-test-client"))
    }()
}

/// A plain RTP packet (12-byte header, no extensions, `payloadSize` bytes of 0xAB) for tests.
func makeRTP(ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32, payloadType: UInt8, payloadSize: Int = 200) -> [UInt8] {
    let payload = [UInt8](repeating: 0xAB, count: payloadSize)
    var bytes = [UInt8](repeating: 0, count: 12 + payloadSize)
    let header = RTPHeader(payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc)
    let length = bytes.withUnsafeMutableBytes { buffer in
        payload.withUnsafeBytes { try! RTPPacket.write(header: header, extensions: RTPExtensionList(), payload: $0, into: buffer) }
    }
    precondition(length == bytes.count)
    return bytes
}

/// Polls `condition` on `loop` until it holds or `timeout` passes; returns whether it held.
func eventually(on loop: EventLoop, timeout: Duration, _ condition: @escaping @Sendable () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await loop.submit(condition) { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await loop.submit(condition)
}

/// A server endpoint (ICE-lite, DTLS server by default) and client transports (Podium's own
/// controlling ICE client) connecting to it, each client on its own UDP socket.
final class LoopbackPair: @unchecked Sendable {
    let serverLoop: EventLoop
    let clientLoop: EventLoop
    var server: TransportEndpoint!
    var serverTransports: [WebRtcTransport] = []
    var serverRecorders: [TransportRecorder] = []
    var clientEndpoints: [TransportEndpoint] = []
    var clientTransports: [WebRtcTransport] = []
    var clientRecorders: [TransportRecorder] = []

    let ip: String
    var serverConsentTimeout: Duration = .seconds(30)

    init(sameLoop: Bool = false, ip: String = "127.0.0.1") throws {
        self.ip = ip
        serverLoop = try EventLoop(name: "server")
        clientLoop = sameLoop ? serverLoop : try EventLoop(name: "client")
    }

    func start() async throws {
        try await serverLoop.submit {
            self.server = try TransportEndpoint(loop: self.serverLoop,
                                                configuration: .init(listen: SocketAddress(ip: self.ip, port: 0)!))
        }
    }

    /// Adds `count` transport pairs; the server side is `serverRole` for DTLS.
    func connect(count: Int, serverRole: DTLSSession.Role = .server) async throws {
        let serverAddress = try await serverLoop.submit { self.server.localAddress }
        for _ in 0..<count {
            let serverICE = ICECredentials.random()
            let clientICE = ICECredentials.random()
            let serverFingerprint = TestDTLS.serverContext.certificate.fingerprint
            let clientFingerprint = TestDTLS.clientContext.certificate.fingerprint
            try await serverLoop.submit {
                let recorder = TransportRecorder()
                let t = try WebRtcTransport(endpoint: self.server, context: TestDTLS.serverContext, configuration: .init(
                    localICE: serverICE, remoteICE: clientICE, dtlsRole: serverRole, remoteFingerprints: [clientFingerprint],
                    consentTimeout: self.serverConsentTimeout))
                t.delegate = recorder
                self.serverTransports.append(t)
                self.serverRecorders.append(recorder)
            }
            try await clientLoop.submit {
                let endpoint = try TransportEndpoint(loop: self.clientLoop, configuration: .init(
                    listen: SocketAddress(ip: self.ip, port: 0)!, sendBatchCapacity: 8))
                let recorder = TransportRecorder()
                let t = try WebRtcTransport(endpoint: endpoint, context: TestDTLS.clientContext, configuration: .init(
                    iceMode: .controlling(remote: serverAddress), localICE: clientICE, remoteICE: serverICE,
                    dtlsRole: serverRole == .server ? .client : .server, remoteFingerprints: [serverFingerprint]))
                t.delegate = recorder
                self.clientEndpoints.append(endpoint)
                self.clientTransports.append(t)
                self.clientRecorders.append(recorder)
            }
        }
    }

    /// `start()`, then `connect(count:serverRole:)`, then waits until every transport on both sides
    /// is connected; false if that takes longer than `timeout`.
    func startAndConnect(count: Int = 1, serverRole: DTLSSession.Role = .server, timeout: Duration = .seconds(15)) async throws -> Bool {
        try await start()
        try await connect(count: count, serverRole: serverRole)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await allConnected() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await allConnected()
    }

    func allConnected() async throws -> Bool {
        let s = try await serverLoop.submit { self.serverTransports.allSatisfy { $0.state == .connected } }
        let c = try await clientLoop.submit { self.clientTransports.allSatisfy { $0.state == .connected } }
        return s && c
    }

    func shutdown() {
        clientLoop.execute { for e in self.clientEndpoints { e.close() } }
        serverLoop.execute { self.server?.close() }
        clientLoop.shutdown()
        serverLoop.shutdown()
    }
}
