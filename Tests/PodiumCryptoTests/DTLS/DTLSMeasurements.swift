import Testing
import Foundation
import PodiumCrypto

/// Timing figures for the docs (not assertions: the machine is shared). Runs only with
/// PODIUM_DTLS_BENCH set.
@Suite struct DTLSMeasurements {
    static let enabled = ProcessInfo.processInfo.environment["PODIUM_DTLS_BENCH"] != nil

    static func median(_ samples: [Duration]) -> Duration { samples.sorted()[samples.count / 2] }

    @Test(.enabled(if: enabled))
    func handshakeAndCertificateCost() throws {
        let clock = ContinuousClock()
        var handshakes: [Duration] = []
        for _ in 0..<50 {
            let start = clock.now
            let (client, server) = try DTLSTestKit.sessions()
            try client.start()
            let outcome = DTLSTestKit.pump(client: client, server: server)
            handshakes.append(clock.now - start)
            #expect(outcome.clientKeys != nil)
        }
        var generations: [Duration] = []
        for _ in 0..<50 {
            let start = clock.now
            _ = try DTLSCertificate.generate()
            generations.append(clock.now - start)
        }
        print("DTLS-BENCH handshake median \(Self.median(handshakes)) min \(handshakes.min()!)")
        print("DTLS-BENCH generate median \(Self.median(generations)) min \(generations.min()!)")
    }
}
