import COpenSSL

/// A DTLS certificate and its private key: in WebRTC a self-signed ECDSA P-256 certificate whose
/// SHA-256 fingerprint goes into the SDP (RFC 8827 §6.5). One certificate usually serves a whole
/// server (every `DTLSContext` session presents it).
///
/// Sendable: the `X509` and `EVP_PKEY` are never mutated after init; OpenSSL only reads them and
/// reference-counts them atomically when an `SSL_CTX` takes them.
public final class DTLSCertificate: @unchecked Sendable {
    /// `X509 *`, owned.
    let x509: OpaquePointer
    /// `EVP_PKEY *`, owned.
    let privateKey: OpaquePointer
    /// SHA-256 fingerprint, for `a=fingerprint:`.
    public let fingerprint: DTLSFingerprint

    private init(x509: OpaquePointer, privateKey: OpaquePointer) throws(DTLSError) {
        self.x509 = x509
        self.privateKey = privateKey
        do {
            fingerprint = try DTLSFingerprint(algorithm: .sha256, x509: x509)
        } catch {
            X509_free(x509)
            EVP_PKEY_free(privateKey)
            throw error
        }
    }

    deinit {
        X509_free(x509)
        EVP_PKEY_free(privateKey)
    }

    /// A fresh ECDSA P-256 key and a self-signed certificate for it (SHA-256 signature, random
    /// 63-bit serial). Why notBefore is a day back: peers with a slow clock reject a certificate
    /// that is not valid yet.
    public static func generate(commonName: String = "Podium", validity: Duration = .seconds(30 * 86_400)) throws(DTLSError) -> DTLSCertificate {
        defer { OpenSSLErrors.clear() }
        guard let key = podium_EVP_EC_gen_P256() else {
            throw .certificateGenerationFailed(OpenSSLErrors.drain("P-256 key generation failed"))
        }
        guard let cert = X509_new() else {
            EVP_PKEY_free(key)
            throw .certificateGenerationFailed("X509_new failed")
        }
        var serial: UInt64 = 0
        let randomOK = withUnsafeMutableBytes(of: &serial) { RAND_bytes($0.baseAddress, Int32($0.count)) } == 1
        serial = (serial & 0x7FFF_FFFF_FFFF_FFFF) | 1
        let validitySeconds = validity.components.seconds
        let name = X509_get_subject_name(cert)
        let ok = randomOK
            && X509_set_version(cert, 2) == 1
            && ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial) == 1
            && X509_gmtime_adj(X509_getm_notBefore(cert), -86_400) != nil
            && X509_gmtime_adj(X509_getm_notAfter(cert), max(60, Int(validitySeconds))) != nil
            && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1
            && X509_set_issuer_name(cert, name) == 1
            && X509_set_pubkey(cert, key) == 1
            && X509_sign(cert, key, EVP_sha256()) > 0
        guard ok else {
            X509_free(cert)
            EVP_PKEY_free(key)
            throw .certificateGenerationFailed(OpenSSLErrors.drain("building the self-signed certificate failed"))
        }
        return try DTLSCertificate(x509: cert, privateKey: key)
    }

    /// Loads a PEM certificate and its PEM private key (PKCS#8 or traditional, unencrypted), and
    /// checks that they belong together.
    public convenience init(pemCertificate: String, pemPrivateKey: String) throws(DTLSError) {
        defer { OpenSSLErrors.clear() }
        guard let cert = Self.readPEM(pemCertificate, { PEM_read_bio_X509($0, nil, nil, nil) }) else {
            throw .invalidPEM(OpenSSLErrors.drain("certificate does not parse"))
        }
        guard let key = Self.readPEM(pemPrivateKey, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            X509_free(cert)
            throw .invalidPEM(OpenSSLErrors.drain("private key does not parse"))
        }
        guard X509_check_private_key(cert, key) == 1 else {
            X509_free(cert)
            EVP_PKEY_free(key)
            throw .invalidPEM(OpenSSLErrors.drain("private key does not match the certificate"))
        }
        try self.init(x509: cert, privateKey: key)
    }

    /// The certificate, PEM-encoded.
    public var pemCertificate: String {
        Self.writePEM { PEM_write_bio_X509($0, x509) }
    }

    /// The private key, PEM-encoded PKCS#8, unencrypted: store it like a password.
    public var pemPrivateKey: String {
        Self.writePEM { PEM_write_bio_PrivateKey($0, privateKey, nil, nil, 0, nil, nil) }
    }

    /// The certificate, DER-encoded.
    public var derCertificate: [UInt8] {
        let length = i2d_X509(x509, nil)
        guard length > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509(x509, &cursor)
        }
        return out
    }

    private static func readPEM(_ text: String, _ read: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
        var text = text
        return text.withUTF8 { utf8 -> OpaquePointer? in
            guard utf8.count < Int32.max, let bio = BIO_new_mem_buf(utf8.baseAddress, Int32(utf8.count)) else { return nil }
            defer { BIO_free(bio) }
            return read(bio)
        }
    }

    private static func writePEM(_ write: (OpaquePointer) -> Int32) -> String {
        defer { OpenSSLErrors.clear() }
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return "" }
        let pending = podium_BIO_ctrl_pending(bio)
        guard pending > 0 else { return "" }
        var bytes = [UInt8](repeating: 0, count: pending)
        let n = bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32($0.count)) }
        return String(decoding: bytes.prefix(max(0, Int(n))), as: UTF8.self)
    }
}
