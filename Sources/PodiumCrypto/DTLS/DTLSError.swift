import COpenSSL

/// Why a DTLS certificate, fingerprint, context or session failed. OpenSSL's own reason (from its
/// error queue, read with `ERR_error_string_n`) is carried as text where there is one.
public enum DTLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An SDP `a=fingerprint:` value that does not parse.
    case invalidFingerprint(String)
    /// A hash function name other than sha-1, sha-256, sha-384, sha-512.
    case unsupportedFingerprintAlgorithm(String)
    /// Key or certificate generation failed.
    case certificateGenerationFailed(String)
    /// A PEM certificate or private key that does not parse, or a key that does not match.
    case invalidPEM(String)
    /// Building the `SSL_CTX` or `SSL` failed (configuration or allocation).
    case setupFailed(String)
    /// A call made in the wrong state (e.g. `start()` twice, `start()` on a server).
    case invalidState(String)
    /// OpenSSL ended the handshake: a fatal alert from the peer or a protocol error here.
    case handshakeFailed(String)
    /// The handshake did not finish within the session's handshake timeout.
    case handshakeTimedOut(seconds: Double)
    /// The peer's certificate does not hash to the fingerprint its SDP announced (RFC 8122 §5).
    case fingerprintMismatch(expected: String, actual: String)
    /// No remote fingerprint was given and the session was not told to accept any certificate.
    case missingRemoteFingerprint
    /// The handshake finished without a peer certificate.
    case noPeerCertificate
    /// The handshake finished without an SRTP profile both sides support (RFC 5764 §4.1.1).
    case noCommonSRTPProfile
    /// OpenSSL selected a profile Podium does not implement.
    case unsupportedSRTPProfile(UInt16)
    /// Exporting the SRTP keying material failed.
    case keyExportFailed(String)
    /// An established session failed (a fatal alert or a protocol error after the handshake).
    case connectionFailed(String)

    public var description: String {
        switch self {
        case let .invalidFingerprint(why): "DTLS: invalid fingerprint: \(why)"
        case let .unsupportedFingerprintAlgorithm(name): "DTLS: unsupported fingerprint hash function '\(name)'"
        case let .certificateGenerationFailed(why): "DTLS: certificate generation failed: \(why)"
        case let .invalidPEM(why): "DTLS: invalid PEM: \(why)"
        case let .setupFailed(why): "DTLS: setup failed: \(why)"
        case let .invalidState(why): "DTLS: invalid state: \(why)"
        case let .handshakeFailed(why): "DTLS: handshake failed: \(why)"
        case let .handshakeTimedOut(seconds): "DTLS: handshake did not complete within \(seconds) s"
        case let .fingerprintMismatch(expected, actual):
            "DTLS: peer certificate fingerprint \(actual) does not match the SDP fingerprint \(expected)"
        case .missingRemoteFingerprint: "DTLS: no remote fingerprint to verify the peer certificate against"
        case .noPeerCertificate: "DTLS: peer sent no certificate"
        case .noCommonSRTPProfile: "DTLS: no SRTP protection profile in common with the peer (use_srtp)"
        case let .unsupportedSRTPProfile(id): "DTLS: negotiated unsupported SRTP profile 0x\(String(id, radix: 16))"
        case let .keyExportFailed(why): "DTLS: SRTP key export failed: \(why)"
        case let .connectionFailed(why): "DTLS: connection failed: \(why)"
        }
    }
}

/// OpenSSL's thread-local error queue, drained into text and cleared.
enum OpenSSLErrors {
    /// Every queued error as "reason; reason", or `fallback` when the queue is empty. Clears the queue,
    /// so one session's failure never shows up in another's.
    static func drain(_ fallback: String) -> String {
        var parts: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if parts.count < 4 {
                buffer.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
                parts.append(String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        ERR_clear_error()
        return parts.isEmpty ? fallback : "\(fallback): \(parts.joined(separator: "; "))"
    }

    /// Discards whatever is queued.
    @inline(__always) static func clear() { ERR_clear_error() }
}
