import COpenSSL

/// One configured OpenSSL `SSL_CTX` for DTLS 1.2 with DTLS-SRTP (RFC 5764), shared by every
/// session that presents the same certificate.
///
/// Policy (RFC 8827 §6.5, RFC 8842): DTLS 1.2 only; ECDHE with AEAD suites first; the SRTP profiles
/// offered in `srtpProfiles` order (as a server, that order picks the profile: GCM before
/// AES-CM when the peer offers both); a peer certificate is required but not checked against any
/// CA — the session compares its hash with the SDP fingerprint instead; no session tickets or
/// resumption; no renegotiation.
///
/// Sendable: the `SSL_CTX` is fully configured in init and never changed afterwards; `SSL_new` on a
/// configured context is thread-safe (it only takes a reference), so any worker may create sessions.
public final class DTLSContext: @unchecked Sendable {
    /// `SSL_CTX *`, owned.
    let ctx: OpaquePointer
    public let certificate: DTLSCertificate
    /// The SRTP profiles offered, most preferred first.
    public let srtpProfiles: [SRTPProfile]

    /// Default cipher suites. ECDSA suites are what our certificate can serve; the ECDHE-RSA ones
    /// only matter when we are the client of a peer with an RSA certificate.
    public static let defaultCipherList =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA"

    /// The profiles browsers offer and Podium implements, GCM first.
    public static let defaultSRTPProfiles: [SRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80]

    public init(certificate: DTLSCertificate,
                srtpProfiles: [SRTPProfile] = DTLSContext.defaultSRTPProfiles,
                cipherList: String = DTLSContext.defaultCipherList) throws(DTLSError) {
        defer { OpenSSLErrors.clear() }
        guard !srtpProfiles.isEmpty else { throw .setupFailed("no SRTP profiles to offer") }
        guard let ctx = SSL_CTX_new(DTLS_method()) else {
            throw .setupFailed(OpenSSLErrors.drain("SSL_CTX_new(DTLS_method) failed"))
        }
        self.ctx = ctx
        self.certificate = certificate
        self.srtpProfiles = srtpProfiles

        func check(_ ok: Bool, _ what: String) throws(DTLSError) {
            if !ok { throw .setupFailed(OpenSSLErrors.drain(what)) }
        }
        // On a throw, deinit frees ctx (all stored properties are set).
        try check(podium_SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1, "DTLS 1.2 minimum version")
        try check(podium_SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1, "DTLS 1.2 maximum version")
        _ = podium_SSL_CTX_set_options(ctx, podium_SSL_OP_DTLS_DEFAULTS())
        _ = podium_SSL_CTX_set_session_cache_off(ctx)
        _ = podium_SSL_CTX_set_read_ahead(ctx, 0)
        try check(SSL_CTX_set_cipher_list(ctx, cipherList) == 1, "cipher list '\(cipherList)'")
        try check(SSL_CTX_use_certificate(ctx, certificate.x509) == 1, "certificate")
        try check(SSL_CTX_use_PrivateKey(ctx, certificate.privateKey) == 1, "private key")
        try check(SSL_CTX_check_private_key(ctx) == 1, "private key does not match the certificate")
        let profiles = srtpProfiles.map(\.openSSLName).joined(separator: ":")
        // Why: SSL_CTX_set_tlsext_use_srtp returns 0 on success, unlike its neighbours.
        try check(SSL_CTX_set_tlsext_use_srtp(ctx, profiles) == 0, "SRTP profiles '\(profiles)'")
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, dtlsVerifyCallback)
    }

    deinit {
        SSL_CTX_free(ctx)
    }
}
