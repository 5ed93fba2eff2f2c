import PodiumCrypto

/// Shared certificates and an in-memory "network" that shuttles datagrams between two sessions.
enum DTLSTestKit {
    /// Generated once per test process (P-256 generation is cheap, but every test needs two).
    static let certA: DTLSCertificate = try! DTLSCertificate.generate(commonName: "podium-test-a")
    static let certB: DTLSCertificate = try! DTLSCertificate.generate(commonName: "podium-test-b")
    static let contextA: DTLSContext = try! DTLSContext(certificate: certA)
    static let contextB: DTLSContext = try! DTLSContext(certificate: certB)

    struct Outcome {
        var clientEvents: [DTLSSession.Event] = []
        var serverEvents: [DTLSSession.Event] = []
        /// Every datagram that crossed, in order, with its sender.
        var datagrams: [(from: DTLSSession.Role, bytes: [UInt8])] = []

        var clientKeys: (SRTPProfile, SRTPMasterKeys)? { Self.connected(clientEvents) }
        var serverKeys: (SRTPProfile, SRTPMasterKeys)? { Self.connected(serverEvents) }

        static func connected(_ events: [DTLSSession.Event]) -> (SRTPProfile, SRTPMasterKeys)? {
            for case let .connected(profile, keys) in events { return (profile, keys) }
            return nil
        }
    }

    static func drain(_ session: DTLSSession) -> [[UInt8]] {
        var out: [[UInt8]] = []
        session.drainOutgoing { out.append(Array($0)) }
        return out
    }

    /// Moves datagrams both ways until neither side has anything to send. `deliver` decides per
    /// datagram whether the network delivers it.
    @discardableResult
    static func pump(client: DTLSSession, server: DTLSSession, maxRounds: Int = 64,
                     deliver: (DTLSSession.Role, [UInt8]) -> Bool = { _, _ in true }) -> Outcome {
        var outcome = Outcome()
        for _ in 0..<maxRounds {
            let fromClient = drain(client)
            for d in fromClient {
                outcome.datagrams.append((.client, d))
                guard deliver(.client, d) else { continue }
                if let e = d.withUnsafeBytes({ server.handle(datagram: $0) }) { outcome.serverEvents.append(e) }
            }
            let fromServer = drain(server)
            for d in fromServer {
                outcome.datagrams.append((.server, d))
                guard deliver(.server, d) else { continue }
                if let e = d.withUnsafeBytes({ client.handle(datagram: $0) }) { outcome.clientEvents.append(e) }
            }
            if fromClient.isEmpty && fromServer.isEmpty && !client.hasOutgoing && !server.hasOutgoing { break }
        }
        return outcome
    }

    /// A client and a server that trust each other's certificates.
    static func sessions(clientContext: DTLSContext = contextA, serverContext: DTLSContext = contextB,
                         mtu: Int = 1200) throws -> (client: DTLSSession, server: DTLSSession) {
        let client = try DTLSSession(context: clientContext, role: .client,
                                     remoteFingerprint: serverContext.certificate.fingerprint, mtu: mtu)
        let server = try DTLSSession(context: serverContext, role: .server,
                                     remoteFingerprint: clientContext.certificate.fingerprint, mtu: mtu)
        return (client, server)
    }
}
