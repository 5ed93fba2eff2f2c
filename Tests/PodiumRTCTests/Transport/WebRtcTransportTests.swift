import Foundation
import PodiumCrypto
import PodiumNet
import PodiumRTC
import PodiumWire
import Testing

@Suite(.serialized) struct WebRtcTransportTests {
    /// Podium's ICE client + DTLS against Podium's ICE-lite server, both DTLS roles; then SRTP media
    /// both ways.
    @Test(arguments: [DTLSSession.Role.server, .client])
    func connectsAndCarriesMedia(serverRole: DTLSSession.Role) async throws {
        let pair = try LoopbackPair()
        defer { pair.shutdown() }
        #expect(try await pair.startAndConnect(serverRole: serverRole))

        // Client → server: 50 RTP packets of two SSRCs and an RTCP packet.
        try await pair.clientLoop.submit {
            let t = pair.clientTransports[0]
            for i in 0..<50 {
                let p = makeRTP(ssrc: i % 2 == 0 ? 1111 : 2222, sequenceNumber: UInt16(i / 2), timestamp: UInt32(i * 960),
                                payloadType: i % 2 == 0 ? 111 : 96)
                _ = p.withUnsafeBytes { t.sendRTP($0) }
            }
            // RTCP receiver report with no blocks (8 bytes), SSRC 1111.
            let rr: [UInt8] = [0x80, 201, 0, 1, 0, 0, 0x04, 0x57]
            _ = rr.withUnsafeBytes { t.sendRTCP($0) }
        }
        #expect(try await eventually(on: pair.serverLoop, timeout: .seconds(5)) { pair.serverRecorders[0].totalRTP == 50 })
        let (counts, types, rtcp, profile) = try await pair.serverLoop.submit {
            (pair.serverRecorders[0].rtpBySSRC, pair.serverRecorders[0].payloadTypes, pair.serverRecorders[0].rtcpPackets,
             pair.serverTransports[0].srtpProfile)
        }
        #expect(counts == [1111: 25, 2222: 25])
        #expect(types == [111, 96])
        #expect(rtcp == 1)
        #expect(profile == .aeadAes128Gcm)

        // Server → client.
        try await pair.serverLoop.submit {
            let p = makeRTP(ssrc: 3333, sequenceNumber: 1, timestamp: 1, payloadType: 100)
            _ = p.withUnsafeBytes { pair.serverTransports[0].sendRTP($0) }
        }
        #expect(try await eventually(on: pair.clientLoop, timeout: .seconds(5)) { pair.clientRecorders[0].rtpBySSRC[3333] == 1 })
    }

    @Test func connectsOverIPv6() async throws {
        let pair = try LoopbackPair(ip: "::1")
        defer { pair.shutdown() }
        #expect(try await pair.startAndConnect())
        try await pair.clientLoop.submit {
            let p = makeRTP(ssrc: 6, sequenceNumber: 6, timestamp: 6, payloadType: 96)
            _ = p.withUnsafeBytes { pair.clientTransports[0].sendRTP($0) }
        }
        #expect(try await eventually(on: pair.serverLoop, timeout: .seconds(5)) { pair.serverRecorders[0].rtpBySSRC[6] == 1 })
        let selected = try await pair.serverLoop.submit { pair.serverTransports[0].selectedAddress?.description ?? "" }
        #expect(selected.hasPrefix("[::1]:"))
    }

    /// RFC 7675: a peer that vanishes without close_notify loses consent and the transport fails.
    @Test func silentPeerLosesConsent() async throws {
        let pair = try LoopbackPair()
        defer { pair.shutdown() }
        pair.serverConsentTimeout = .seconds(2)
        #expect(try await pair.startAndConnect())
        // The client vanishes: its loop stops, nothing more is sent (no close_notify, no consent checks).
        pair.clientLoop.shutdown()
        let failed = try await eventually(on: pair.serverLoop, timeout: .seconds(8)) {
            if case .failed = pair.serverTransports[0].state { return true } else { return false }
        }
        #expect(failed)
        let state = try await pair.serverLoop.submit { pair.serverTransports[0].state.description }
        #expect(state.contains("consent"), "\(state)")
    }

    @Test func closeReachesThePeerAndIsFinal() async throws {
        let pair = try LoopbackPair()
        defer { pair.shutdown() }
        #expect(try await pair.startAndConnect())
        try await pair.clientLoop.submit { pair.clientTransports[0].close() }
        #expect(try await eventually(on: pair.serverLoop, timeout: .seconds(5)) { pair.serverTransports[0].state == .closed })
        let (count, sent) = try await pair.serverLoop.submit { () -> (Int, Bool) in
            let p = makeRTP(ssrc: 1, sequenceNumber: 1, timestamp: 1, payloadType: 96)
            return (pair.server.transportCount, p.withUnsafeBytes { pair.serverTransports[0].sendRTP($0) })
        }
        #expect(count == 0)
        #expect(sent == false)
    }

    @Test func wrongFingerprintFailsTheHandshake() async throws {
        let loop = try EventLoop(name: "fp")
        defer { loop.shutdown() }
        let box = LoopBox<(TransportEndpoint?, [WebRtcTransport], TransportEndpoint?)>((nil, [], nil))
        try await loop.submit {
            let server = try TransportEndpoint(loop: loop, configuration: .init(listen: SocketAddress(ip: "127.0.0.1", port: 0)!))
            let client = try TransportEndpoint(loop: loop, configuration: .init(listen: SocketAddress(ip: "127.0.0.1", port: 0)!))
            let s = ICECredentials.random(), c = ICECredentials.random()
            // The server expects a fingerprint the client's certificate does not have.
            let wrong = try DTLSFingerprint(algorithm: .sha256, digest: [UInt8](repeating: 7, count: 32))
            let st = try WebRtcTransport(endpoint: server, context: TestDTLS.serverContext, configuration: .init(
                localICE: s, remoteICE: c, dtlsRole: .server, remoteFingerprints: [wrong]))
            let ct = try WebRtcTransport(endpoint: client, context: TestDTLS.clientContext, configuration: .init(
                iceMode: .controlling(remote: server.localAddress), localICE: c, remoteICE: s, dtlsRole: .client,
                remoteFingerprints: [TestDTLS.serverContext.certificate.fingerprint], connectTimeout: .seconds(3)))
            box.value = (server, [st, ct], client)
        }
        let failed = try await eventually(on: loop, timeout: .seconds(10)) {
            if case .failed = box.value.1[0].state { return true } else { return false }
        }
        #expect(failed)
        let state = try await loop.submit { box.value.1[0].state.description }
        #expect(state.contains("fingerprint"), "\(state)")
        try await loop.submit { box.value.0?.close(); box.value.2?.close() }
    }

    /// The scale check: 200 transports on one worker, all connected within 10 s. Reports
    /// the median ICE + DTLS time.
    @Test func twoHundredTransportsConnectOnOneWorker() async throws {
        let pair = try LoopbackPair()
        defer { pair.shutdown() }
        try await pair.start()
        try await pair.connect(count: 200)
        let connected = try await eventually(on: pair.serverLoop, timeout: .seconds(10)) {
            pair.serverTransports.allSatisfy { $0.state == .connected }
        }
        let times = try await pair.serverLoop.submit { () -> [Double] in
            pair.serverTransports.compactMap { t in t.connectedAt.map { Double(($0 - t.createdAt) / .microseconds(1)) / 1000 } }.sorted()
        }
        #expect(connected, "\(times.count) of 200 connected")
        if !times.isEmpty {
            print("200 transports: handshake (ICE + DTLS, server side) median \(times[times.count / 2]) ms, max \(times.last!) ms")
        }
    }
}
