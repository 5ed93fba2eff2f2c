import Testing
import PodiumCrypto
import COpenSSL

/// Client ↔ server DTLS-SRTP handshakes in memory: keys, profile choice, certificate checks,
/// close_notify; and the derived keys protecting real SRTP.
@Suite struct DTLSHandshakeTests {
    enum Direction: String, CaseIterable, Sendable { case aClientBServer, bClientAServer }

    @Test(arguments: Direction.allCases)
    func handshakeDerivesMirroredKeysThatProtectSRTP(_ direction: Direction) throws {
        let (clientContext, serverContext) = direction == .aClientBServer
            ? (DTLSTestKit.contextA, DTLSTestKit.contextB) : (DTLSTestKit.contextB, DTLSTestKit.contextA)
        let (client, server) = try DTLSTestKit.sessions(clientContext: clientContext, serverContext: serverContext)
        try client.start()
        let outcome = DTLSTestKit.pump(client: client, server: server)
        let (clientProfile, clientKeys) = try #require(outcome.clientKeys)
        let (serverProfile, serverKeys) = try #require(outcome.serverKeys)
        #expect(clientProfile == .aeadAes128Gcm)
        #expect(serverProfile == clientProfile)
        #expect(client.state == .connected(.aeadAes128Gcm))
        #expect(server.state == .connected(.aeadAes128Gcm))
        #expect(clientKeys.local == serverKeys.remote)
        #expect(clientKeys.remote == serverKeys.local)
        #expect(clientKeys.local != clientKeys.remote)
        #expect(clientKeys.local.fits(clientProfile))
        #expect(client.peerFingerprint == serverContext.certificate.fingerprint)
        #expect(server.peerFingerprint == clientContext.certificate.fingerprint)
        #expect(ERR_peek_error() == 0)

        // The keys work: each side's SRTP unprotects what the other protects.
        let clientSRTP = try SRTPContext(profile: clientProfile, keys: clientKeys)
        let serverSRTP = try SRTPContext(profile: serverProfile, keys: serverKeys)
        for (sender, receiver, ssrc) in [(clientSRTP, serverSRTP, UInt32(0x1111)), (serverSRTP, clientSRTP, UInt32(0x2222))] {
            let rtp = SRTPTestKit.rtp(seq: 7, ssrc: ssrc, payload: Array(0..<100))
            var buffer = rtp + [UInt8](repeating: 0, count: clientProfile.rtpOverhead)
            let protectedLength = try buffer.withUnsafeMutableBytes { try sender.protectRTP($0, length: rtp.count) }
            #expect(protectedLength == rtp.count + clientProfile.rtpOverhead)
            #expect(Array(buffer[12..<rtp.count]) != Array(rtp[12...]))
            let plainLength = try buffer.withUnsafeMutableBytes {
                try receiver.unprotectRTP(UnsafeMutableRawBufferPointer(rebasing: $0[0..<protectedLength]))
            }
            #expect(Array(buffer[0..<plainLength]) == rtp)
        }
    }

    @Test func gcmChosenWhenBothOfferBoth() throws {
        let (client, server) = try DTLSTestKit.sessions()
        try client.start()
        let outcome = DTLSTestKit.pump(client: client, server: server)
        #expect(outcome.clientKeys?.0 == .aeadAes128Gcm)
        #expect(outcome.serverKeys?.0 == .aeadAes128Gcm)
    }

    @Test(arguments: [true, false])
    func aesCMWhenOneSideOffersOnlyIt(_ clientIsRestricted: Bool) throws {
        let restricted = try DTLSContext(certificate: DTLSTestKit.certA, srtpProfiles: [.aes128CmHmacSha1_80])
        let (client, server) = clientIsRestricted
            ? try DTLSTestKit.sessions(clientContext: restricted, serverContext: DTLSTestKit.contextB)
            : try DTLSTestKit.sessions(clientContext: DTLSTestKit.contextB, serverContext: restricted)
        try client.start()
        let outcome = DTLSTestKit.pump(client: client, server: server)
        let (profile, clientKeys) = try #require(outcome.clientKeys)
        let (_, serverKeys) = try #require(outcome.serverKeys)
        #expect(profile == .aes128CmHmacSha1_80)
        #expect(clientKeys.local.key.count == 16 && clientKeys.local.salt.count == 14)
        #expect(clientKeys.local == serverKeys.remote)
    }

    @Test func noCommonProfileFails() throws {
        let gcmOnly = try DTLSContext(certificate: DTLSTestKit.certA, srtpProfiles: [.aeadAes128Gcm])
        let cmOnly = try DTLSContext(certificate: DTLSTestKit.certB, srtpProfiles: [.aes128CmHmacSha1_80])
        let (client, server) = try DTLSTestKit.sessions(clientContext: gcmOnly, serverContext: cmOnly)
        try client.start()
        let outcome = DTLSTestKit.pump(client: client, server: server)
        #expect(outcome.clientKeys == nil)
        #expect(outcome.serverKeys == nil)
        #expect(outcome.clientEvents.contains(.failed(.noCommonSRTPProfile)))
        #expect(outcome.serverEvents.contains(.failed(.noCommonSRTPProfile)))
        #expect(ERR_peek_error() == 0)
    }

    @Test func clientRejectsWrongServerFingerprint() throws {
        // The client expects certificate A but the server presents B.
        let client = try DTLSSession(context: DTLSTestKit.contextA, role: .client,
                                     remoteFingerprint: DTLSTestKit.certA.fingerprint)
        let server = try DTLSSession(context: DTLSTestKit.contextB, role: .server,
                                     remoteFingerprint: DTLSTestKit.certA.fingerprint)
        try client.start()
        let outcome = DTLSTestKit.pump(client: client, server: server)
        let expected = DTLSError.fingerprintMismatch(expected: DTLSTestKit.certA.fingerprint.sdpValue,
                                                     actual: DTLSTestKit.certB.fingerprint.sdpValue)
        #expect(outcome.clientEvents == [.failed(expected)])
        #expect(client.state == .failed(expected))
        #expect("\(expected)".contains("does not match the SDP fingerprint"))
        // The server hears the alert and fails too; it never connects.
        #expect(outcome.serverKeys == nil)
        guard case .failed(.handshakeFailed(let text)) = server.state else {
            Issue.record("server state \(server.state)")
            return
        }
        #expect(text.contains("alert"))
        #expect(ERR_peek_error() == 0)
    }

    @Test func serverRejectsWrongClientFingerprint() throws {
        let client = try DTLSSession(context: DTLSTestKit.contextA, role: .client,
                                     remoteFingerprint: DTLSTestKit.certB.fingerprint)
        let server = try DTLSSession(context: DTLSTestKit.contextB, role: .server,
                                     remoteFingerprint: DTLSTestKit.certB.fingerprint)
        try client.start()
        let outcome = DTLSTestKit.pump(client: client, server: server)
        #expect(outcome.serverEvents == [.failed(.fingerprintMismatch(expected: DTLSTestKit.certB.fingerprint.sdpValue,
                                                                     actual: DTLSTestKit.certA.fingerprint.sdpValue))])
        #expect(outcome.clientKeys == nil)
        #expect(outcome.clientEvents.count == 1)
    }

    @Test func missingRemoteFingerprintFailsUnlessAllowed() throws {
        let strict = try DTLSSession(context: DTLSTestKit.contextA, role: .client, remoteFingerprint: nil)
        let server = try DTLSSession(context: DTLSTestKit.contextB, role: .server, remoteFingerprint: nil,
                                     acceptsAnyCertificate: true)
        try strict.start()
        let outcome = DTLSTestKit.pump(client: strict, server: server)
        #expect(outcome.clientEvents == [.failed(.missingRemoteFingerprint)])

        let lenient = try DTLSSession(context: DTLSTestKit.contextA, role: .client, remoteFingerprint: nil,
                                      acceptsAnyCertificate: true)
        let server2 = try DTLSSession(context: DTLSTestKit.contextB, role: .server, remoteFingerprint: nil,
                                      acceptsAnyCertificate: true)
        try lenient.start()
        let outcome2 = DTLSTestKit.pump(client: lenient, server: server2)
        #expect(outcome2.clientKeys != nil && outcome2.serverKeys != nil)
        #expect(lenient.peerFingerprint == DTLSTestKit.certB.fingerprint)
    }

    @Test func remoteFingerprintMayArriveAfterCreation() throws {
        let (client, server) = try DTLSTestKit.sessions()
        server.remoteFingerprint = nil
        try client.start()
        _ = DTLSTestKit.drain(client).map { d in d.withUnsafeBytes { server.handle(datagram: $0) } }
        server.remoteFingerprint = DTLSTestKit.certA.fingerprint  // the SDP answer came in
        let outcome = DTLSTestKit.pump(client: client, server: server)
        #expect(outcome.clientKeys != nil && outcome.serverKeys != nil)
    }

    @Test func closeNotifyClosesThePeer() throws {
        let (client, server) = try DTLSTestKit.sessions()
        try client.start()
        DTLSTestKit.pump(client: client, server: server)
        #expect(client.state == .connected(.aeadAes128Gcm))
        client.close()
        #expect(client.state == .closed)
        let outcome = DTLSTestKit.pump(client: client, server: server)
        #expect(outcome.serverEvents == [.closed])
        #expect(server.state == .closed)
        #expect(outcome.datagrams.first?.from == .client)
        #expect(outcome.datagrams.first?.bytes.first == 21)  // an alert record
        // Everything after the close is ignored and counted.
        let late: [UInt8] = [23, 0xFE, 0xFD] + [UInt8](repeating: 0, count: 20)
        #expect(late.withUnsafeBytes { server.handle(datagram: $0) } == nil)
        #expect(late.withUnsafeBytes { client.handle(datagram: $0) } == nil)
        #expect(server.counters.ignoredDatagrams >= 1)
        #expect(client.counters.ignoredDatagrams >= 1)
    }

    @Test func startTwiceIsAnError() throws {
        let (client, _) = try DTLSTestKit.sessions()
        try client.start()
        #expect(throws: DTLSError.self) { try client.start() }
    }
}
