import Testing
import Foundation
import PodiumCrypto

/// Writes seed inputs for the `dtls` fuzz target (Tests/Fuzz/Corpus/dtls) from real handshakes.
/// Runs only with PODIUM_DTLS_SEED_DIR set; the seeds are committed, so this is rarely needed.
@Suite struct DTLSFuzzSeedWriter {
    static let directory = ProcessInfo.processInfo.environment["PODIUM_DTLS_SEED_DIR"]

    /// Fuzz input format: selector byte (bit 0: MTU 300), then 2-byte length + datagram, repeated.
    static func encode(mtu300: Bool, _ datagrams: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [mtu300 ? 1 : 0]
        for d in datagrams { out += [UInt8(d.count >> 8), UInt8(d.count & 0xFF)] + d }
        return out
    }

    @Test(.enabled(if: directory != nil))
    func writeSeeds() throws {
        let dir = URL(fileURLWithPath: try #require(Self.directory))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, mtu) in [("seed-handshake-1200", 1200), ("seed-handshake-300", 300)] {
            let (client, server) = try DTLSTestKit.sessions(mtu: mtu)
            try client.start()
            let outcome = DTLSTestKit.pump(client: client, server: server)
            #expect(outcome.clientKeys != nil)
            let fromClient = outcome.datagrams.filter { $0.from == .client }.map(\.bytes)
            try Data(Self.encode(mtu300: mtu == 300, fromClient)).write(to: dir.appendingPathComponent(name))
            try Data(Self.encode(mtu300: mtu == 300, Array(fromClient.prefix(1))))
                .write(to: dir.appendingPathComponent(name.replacingOccurrences(of: "handshake", with: "hello")))
        }
    }
}
