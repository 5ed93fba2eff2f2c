import Podium

/// A server context and the client certificate it expects, shared by every input (certificate
/// generation and SSL_CTX setup would otherwise dominate each run).
enum DTLSFuzzState {
    static let serverContext: DTLSContext = try! DTLSContext(certificate: try! DTLSCertificate.generate(commonName: "fuzz-server"))
    static let clientFingerprint: DTLSFingerprint = try! DTLSCertificate.generate(commonName: "fuzz-client").fingerprint
}

/// Input: byte 0 bit 0 picks the MTU (1200 or 300); then datagrams, each a 2-byte big-endian length
/// and that many bytes (a short tail is one last datagram). Every datagram goes to a fresh server
/// session. Nothing may trap, and every datagram the session sends must fit the MTU.
@Sendable func fuzzDTLS(_ data: UnsafeRawBufferPointer) {
    guard let selector = data.first else { return }
    let mtu = selector & 1 == 0 ? 1200 : 300
    guard let session = try? DTLSSession(context: DTLSFuzzState.serverContext, role: .server,
                                         remoteFingerprint: DTLSFuzzState.clientFingerprint, mtu: mtu) else {
        fuzzFailure("DTLSSession init failed")
    }
    var offset = 1
    var datagrams = 0
    while offset < data.count, datagrams < 64 {
        var length = data.count - offset
        if length >= 2 {
            let declared = Int(data[offset]) << 8 | Int(data[offset + 1])
            offset += 2
            length = min(declared, data.count - offset)
        }
        let datagram = UnsafeRawBufferPointer(rebasing: data[offset..<offset + length])
        offset += length
        datagrams += 1
        _ = session.handle(datagram: datagram)
        session.drainOutgoing { out in
            if out.count > mtu || out.isEmpty { fuzzFailure("outgoing datagram of \(out.count) bytes, MTU \(mtu)") }
        }
    }
    _ = session.handleTimeout(now: .now + .seconds(60))
    session.drainOutgoing { out in
        if out.count > mtu { fuzzFailure("outgoing datagram of \(out.count) bytes after timeout, MTU \(mtu)") }
    }
    session.close()
}
