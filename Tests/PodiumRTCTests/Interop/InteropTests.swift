import Foundation
import PodiumCrypto
import PodiumNet
import PodiumRTC
import PodiumSDP
import PodiumTestSupport
import PodiumWire
import Testing

/// Real peers against Podium's WebRtcTransport over 127.0.0.1: aiortc and GStreamer webrtcbin offer
/// Opus + VP8, Podium answers (as DTLS server and as DTLS client), they connect, Podium decrypts
/// and counts RTP per SSRC, and the counts are compared with what the peer says it sent.
/// `bash Tests/Interop/ensure-peers` installs the peers (Tests/run does it first).
@Suite(.serialized) struct InteropTests {
    enum Peer: String, CustomStringConvertible {
        case aiortc, gstreamer
        var interpreter: String { self == .aiortc ? "python3" : "/usr/bin/python3" }
        var script: String { self == .aiortc ? "aiortc_peer.py" : "gst_peer.py" }
        var description: String { rawValue }

        /// Whether the peer can run here; when not, says why (loudly, in the test log).
        var unavailableReason: String? {
            let check = self == .aiortc ? "import aiortc" :
                "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst; Gst.init(None); assert Gst.ElementFactory.find('webrtcbin')"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [interpreter, "-c", check]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            do { try p.run() } catch { return "\(interpreter) cannot run: \(error)" }
            p.waitUntilExit()
            return p.terminationStatus == 0 ? nil : "\(interpreter) -c \"\(check)\" failed; run bash Tests/Interop/ensure-peers"
        }
    }

    struct Case: CustomStringConvertible, Sendable {
        var peer: Peer
        var podiumRole: AnswerDTLSRole
        var description: String { "\(peer), Podium as DTLS \(podiumRole == .server ? "server" : "client")" }
    }

    static let cases: [Case] = [
        Case(peer: .aiortc, podiumRole: .server), Case(peer: .aiortc, podiumRole: .client),
        Case(peer: .gstreamer, podiumRole: .server), Case(peer: .gstreamer, podiumRole: .client),
    ]

    @Test(arguments: cases)
    func peerSendsOpusAndVP8ToPodium(_ c: Case) async throws {
        if let reason = c.peer.unavailableReason {
            // The test command installs the peers; reaching this means the machine cannot.
            print("⚠️⚠️⚠️ INTEROP TEST SKIPPED: \(c.peer) unavailable: \(reason)")
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("\(c.peer) unavailable in CI: \(reason)") }
            return
        }
        let loop = try EventLoop(name: "interop")
        defer { loop.shutdown() }
        let endpoint = try await loop.submit {
            LoopBox(try TransportEndpoint(loop: loop, configuration: .init(listen: SocketAddress(ip: "127.0.0.1", port: 0)!)))
        }
        defer { loop.execute { endpoint.value.close() } }
        let peer = try PeerProcess(interpreter: c.peer.interpreter, script: c.peer.script,
                                   arguments: ["--duration", "5", "--timeout", "40"])
        defer { peer.terminate() }

        // Offer → answer.
        let offerMessage = try peer.readMessage(timeout: 40)
        let offerText = try #require(offerMessage["sdp"] as? String)
        let offer = try SessionDescription(parsing: offerText)
        let remote = try TransportAnswer.remoteDescription(of: offer)
        let fingerprints = remote.fingerprints.compactMap { f -> DTLSFingerprint? in
            guard let algorithm = DTLSFingerprint.Algorithm(sdpName: f.algorithm) else { return nil }
            return try? DTLSFingerprint(algorithm: algorithm, digest: f.bytes)
        }
        let localICE = ICECredentials.random()
        let ourFingerprint = TestDTLS.serverContext.certificate.fingerprint
        let candidate = try await loop.submit { endpoint.value.candidate }
        let answer = try TransportAnswer.answer(offer, local: LocalTransportDescription(
            iceUfrag: localICE.ufrag, icePwd: localICE.pwd,
            fingerprint: SDPFingerprint(algorithm: ourFingerprint.algorithm.sdpName, bytes: ourFingerprint.digest),
            candidates: [candidate]), role: c.podiumRole, sessionID: 1)
        let answerSetup = try #require(answer.media.first { !$0.isRejected }?.setup)
        let dtlsRole: DTLSSession.Role = answerSetup == .active ? .client : .server
        let recorder = TransportRecorder()
        let transport = try await loop.submit {
            let t = try WebRtcTransport(endpoint: endpoint.value, context: TestDTLS.serverContext, configuration: .init(
                localICE: localICE, remoteICE: ICECredentials(ufrag: remote.iceUfrag, pwd: remote.icePwd),
                dtlsRole: dtlsRole, remoteFingerprints: fingerprints))
            t.delegate = recorder
            return LoopBox(t)
        }
        try peer.send(["type": "answer", "sdp": answer.description])

        // The peer sends for 5 s once connected, then reports what it sent.
        let stats = try peer.readMessage(timeout: 60)
        #expect(stats["type"] as? String == "stats")
        #expect(stats["connected"] as? Bool == true)
        #expect(stats["dtlsRole"] as? String == (dtlsRole == .server ? "client" : "server"))
        try await Task.sleep(for: .milliseconds(300)) // the last packets in flight

        let (states, received, payloadTypes, transportStats, profile) = try await loop.submit {
            (recorder.states, recorder.rtpBySSRC, recorder.payloadTypes, transport.value.stats, transport.value.srtpProfile)
        }
        // Connected, and then either still connected or closed by the peer's close_notify at its exit.
        #expect(states.first == .connecting && states.contains(.connected))
        #expect(states.last == .connected || states.last == .closed, "\(states)")
        let sent = (stats["packetsSent"] as? [String: Any] ?? [:]).reduce(into: [UInt32: Int]()) { result, item in
            if let ssrc = UInt32(item.key), let n = item.value as? Int { result[ssrc] = n }
        }
        print("\(c): SRTP \(profile.map(String.init(describing:)) ?? "-"); sent \(sent), received \(received); " +
              "decrypt failures \(transportStats.decryptFailures), before keys \(transportStats.mediaBeforeKeys)")
        #expect(sent.count == 2, "the peer should send one audio and one video SSRC")
        for (ssrc, n) in sent {
            let got = received[ssrc] ?? 0
            #expect(n > 50, "peer sent only \(n) packets on \(ssrc)")
            #expect(Double(got) >= 0.9 * Double(n), "SSRC \(ssrc): Podium decrypted \(got) of \(n)")
        }
        let audioPT = try #require(stats["audioPayloadType"] as? Int)
        let videoPT = try #require(stats["videoPayloadType"] as? Int)
        #expect(payloadTypes == [UInt8(audioPT), UInt8(videoPT)])
        #expect(transportStats.decryptFailures == 0)
    }
}
