import Testing
import Foundation
import PodiumCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Interop with the `openssl s_client` command line over real UDP on 127.0.0.1: our session is the
/// server; OpenSSL's own DTLS stack (socket BIO, its own MTU and timers) is the client. Its exported
/// keying material must equal ours, byte for byte.
@Suite struct DTLSOpenSSLInteropTests {
    static let opensslPath = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: opensslPath != nil), .timeLimit(.minutes(1)))
    func opensslClientHandshakesWithOurServer() throws {
        let clientCert = try DTLSCertificate.generate(commonName: "openssl-client")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("podium-dtls-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try clientCert.pemCertificate.write(to: dir.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try clientCert.pemPrivateKey.write(to: dir.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)

        // Our UDP socket first, so the port is known before the client starts.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = UInt16(bigEndian: address.sin_port)
        var receiveTimeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receiveTimeout, socklen_t(MemoryLayout<timeval>.size))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.opensslPath!)
        process.arguments = ["s_client", "-dtls1_2", "-connect", "127.0.0.1:\(port)",
                             "-use_srtp", "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM",
                             "-cert", dir.appendingPathComponent("cert.pem").path,
                             "-key", dir.appendingPathComponent("key.pem").path,
                             "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "56"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        // One line of application data, then EOF: s_client sends it, then close_notify, and exits.
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data("hello from s_client\n".utf8))
        try input.fileHandleForWriting.close()
        defer { if process.isRunning { process.terminate() } }

        let server = try DTLSSession(context: DTLSTestKit.contextB, role: .server,
                                     remoteFingerprint: clientCert.fingerprint)
        var peer = sockaddr_in()
        var peerLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        var buffer = [UInt8](repeating: 0, count: 2048)
        var connected: (SRTPProfile, SRTPMasterKeys)?
        var closed = false
        let end = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < end, !closed {
            let n = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &peerLength) }
                }
            }
            if n > 0 {
                switch buffer.withUnsafeBytes({ server.handle(datagram: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) {
                case let .connected(profile, keys)?: connected = (profile, keys)
                case .closed?: closed = true
                case let .failed(error)?: Issue.record("server failed: \(error)"); closed = true
                case nil: break
                }
            } else {
                _ = server.handleTimeout()
            }
            server.drainOutgoing { datagram in
                _ = withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, datagram.baseAddress, datagram.count, 0, $0, peerLength)
                    }
                }
            }
        }
        let processEnd = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < processEnd { usleep(10_000) }
        if process.isRunning { process.terminate() }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)

        let (profile, keys) = try #require(connected, "no handshake; openssl said:\n\(text)")
        #expect(closed, "no close_notify from s_client")
        #expect(server.counters.applicationDataRecords >= 1)
        #expect(server.state == .closed)
        // Our server order (GCM first) wins over the client's order.
        #expect(profile == .aeadAes128Gcm)
        #expect(text.contains("SRTP Extension negotiated, profile=SRTP_AEAD_AES_128_GCM"))
        // client key | server key | client salt | server salt, as s_client exported it.
        let ours = keys.remote.key + keys.local.key + keys.remote.salt + keys.local.salt
        let hex = ours.map { String(format: "%02X", $0) }.joined()
        #expect(text.contains("Keying material: \(hex)"), "openssl said:\n\(text)")
    }

    @Test(.enabled(if: opensslPath != nil), .timeLimit(.minutes(1)))
    func ourClientHandshakesWithOpenSSLServer() throws {
        let serverCert = try DTLSCertificate.generate(commonName: "openssl-server")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("podium-dtls-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try serverCert.pemCertificate.write(to: dir.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try serverCert.pemPrivateKey.write(to: dir.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)

        // A free port for s_server: bind, read it, release it.
        let probe = try Self.udpSocket()
        let port = probe.port
        Glibc.close(probe.fd)
        let (fd, _) = try Self.udpSocket()
        defer { Glibc.close(fd) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.opensslPath!)
        // The server offers only AES-CM: our client (GCM first) must settle on it.
        process.arguments = ["s_server", "-dtls1_2", "-accept", "127.0.0.1:\(port)", "-naccept", "1",
                             "-use_srtp", "SRTP_AES128_CM_SHA1_80", "-verify", "1",
                             "-cert", dir.appendingPathComponent("cert.pem").path,
                             "-key", dir.appendingPathComponent("key.pem").path,
                             "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let input = Pipe()  // never written: s_server must not see EOF on stdin mid-handshake
        process.standardInput = input
        defer { try? input.fileHandleForWriting.close() }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let client = try DTLSSession(context: DTLSTestKit.contextA, role: .client,
                                     remoteFingerprint: serverCert.fingerprint, mtu: 1200,
                                     handshakeTimeout: .seconds(10), initialRetransmissionTimeout: .milliseconds(50))
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_addr.s_addr = inet_addr("127.0.0.1")
        peer.sin_port = port.bigEndian
        try client.start()
        var buffer = [UInt8](repeating: 0, count: 2048)
        var connected: (SRTPProfile, SRTPMasterKeys)?
        var closed = false
        let end = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < end, !closed || client.hasOutgoing {
            client.drainOutgoing { datagram in
                _ = withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, datagram.baseAddress, datagram.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                switch buffer.withUnsafeBytes({ client.handle(datagram: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) {
                case let .connected(profile, keys)?:
                    connected = (profile, keys)
                    // We end it: close_notify goes out on the next drain; s_server (-naccept 1) exits.
                    client.close()
                    closed = true
                case .closed?: closed = true
                case let .failed(error)?: Issue.record("client failed: \(error)"); closed = true
                case nil: break
                }
            } else {
                _ = client.handleTimeout()
            }
        }
        let processEnd = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < processEnd { usleep(10_000) }
        if process.isRunning { process.terminate() }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)

        let (profile, keys) = try #require(connected, "no handshake; openssl said:\n\(text)")
        #expect(profile == .aes128CmHmacSha1_80)
        #expect(!process.isRunning, "s_server did not end after our close_notify")
        let ours = keys.local.key + keys.remote.key + keys.local.salt + keys.remote.salt
        let hex = ours.map { String(format: "%02X", $0) }.joined()
        #expect(text.contains("Keying material: \(hex)"), "openssl said:\n\(text)")
    }

    /// A UDP socket bound to 127.0.0.1 on a free port, with a 50 ms receive timeout.
    static func udpSocket() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { Glibc.close(fd); throw SocketError() }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        var receiveTimeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receiveTimeout, socklen_t(MemoryLayout<timeval>.size))
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    struct SocketError: Error {}
}
