import Testing
import PodiumCrypto

/// Certificates (generation, PEM round trip) and SDP fingerprints (RFC 8122 §5).
@Suite struct DTLSCertificateTests {
    @Test func generatedCertificateRoundTripsThroughPEM() throws {
        let cert = try DTLSCertificate.generate(commonName: "round-trip")
        let pemCert = cert.pemCertificate
        let pemKey = cert.pemPrivateKey
        #expect(pemCert.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(pemKey.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let loaded = try DTLSCertificate(pemCertificate: pemCert, pemPrivateKey: pemKey)
        #expect(loaded.fingerprint == cert.fingerprint)
        #expect(loaded.derCertificate == cert.derCertificate)
        #expect(loaded.pemCertificate == pemCert)
        // The loaded certificate serves a handshake with the same fingerprint.
        let context = try DTLSContext(certificate: loaded)
        let (client, server) = try DTLSTestKit.sessions(clientContext: DTLSTestKit.contextA, serverContext: context)
        try client.start()
        let outcome = DTLSTestKit.pump(client: client, server: server)
        #expect(outcome.clientKeys != nil)
        #expect(client.peerFingerprint == cert.fingerprint)
    }

    @Test func generatedCertificatesDiffer() throws {
        let a = try DTLSCertificate.generate()
        let b = try DTLSCertificate.generate()
        #expect(a.fingerprint != b.fingerprint)
        #expect(a.fingerprint.algorithm == .sha256)
        #expect(a.fingerprint.digest.count == 32)
        // The fingerprint is the SHA-256 of the DER certificate.
        let der = a.derCertificate
        #expect(der.count > 200)
        #expect(try der.withUnsafeBytes { try DTLSFingerprint(derCertificate: $0) } == a.fingerprint)
    }

    @Test func badPEMIsRejected() throws {
        let a = try DTLSCertificate.generate()
        let b = try DTLSCertificate.generate()
        #expect(throws: DTLSError.self) { try DTLSCertificate(pemCertificate: "not pem", pemPrivateKey: a.pemPrivateKey) }
        #expect(throws: DTLSError.self) { try DTLSCertificate(pemCertificate: a.pemCertificate, pemPrivateKey: "") }
        do {
            _ = try DTLSCertificate(pemCertificate: a.pemCertificate, pemPrivateKey: b.pemPrivateKey)
            Issue.record("a key of another certificate was accepted")
        } catch {
            guard case .invalidPEM(let why) = error else { Issue.record("\(error)"); return }
            #expect(why.contains("does not match"))
        }
    }

    @Test func fingerprintParsesAndPrints() throws {
        let hex = (0..<32).map { String(format: "%02X", $0 * 7 & 0xFF) }.joined(separator: ":")
        let f = try DTLSFingerprint(parsing: "sha-256 \(hex)")
        #expect(f.algorithm == .sha256)
        #expect(f.digest == (0..<32).map { UInt8($0 * 7 & 0xFF) })
        #expect(f.sdpValue == "sha-256 \(hex)")
        // Hash name and hex digits are case-insensitive; output is canonical.
        let lower = try DTLSFingerprint(parsing: "SHA-256  \(hex.lowercased())")
        #expect(lower == f)
        #expect(lower.sdpValue == f.sdpValue)
    }

    @Test(arguments: [(DTLSFingerprint.Algorithm.sha1, 20), (.sha256, 32), (.sha384, 48), (.sha512, 64)])
    func fingerprintAlgorithms(_ algorithm: DTLSFingerprint.Algorithm, _ length: Int) throws {
        let hex = [String](repeating: "AB", count: length).joined(separator: ":")
        let f = try DTLSFingerprint(parsing: "\(algorithm.sdpName) \(hex)")
        #expect(f.algorithm == algorithm)
        #expect(f.digest.count == length)
        let tooShort = [String](repeating: "AB", count: length - 1).joined(separator: ":")
        #expect(throws: DTLSError.self) { try DTLSFingerprint(parsing: "\(algorithm.sdpName) \(tooShort)") }
    }

    static func pairs(_ pair: String, _ count: Int) -> String {
        [String](repeating: pair, count: count).joined(separator: ":")
    }

    static let rejected: [String] = [
        "", "sha-256", "md5 AB:CD", "sha-256 AB:CD",
        "sha-256 " + pairs("A", 32),
        "sha-256 " + pairs("+F", 32),
        "sha-256 " + pairs("GG", 32),
        "sha-256 " + pairs("AB", 32) + ":",
        "sha-256 " + pairs("AB", 32) + " extra",
    ]

    @Test(arguments: DTLSCertificateTests.rejected)
    func fingerprintRejects(_ value: String) {
        #expect(throws: DTLSError.self) { try DTLSFingerprint(parsing: value) }
    }

    @Test func unknownHashNamesTheAlgorithm() {
        do {
            _ = try DTLSFingerprint(parsing: "md5 AB:CD")
            Issue.record("md5 accepted")
        } catch {
            #expect(error == .unsupportedFingerprintAlgorithm("md5"))
        }
    }
}
