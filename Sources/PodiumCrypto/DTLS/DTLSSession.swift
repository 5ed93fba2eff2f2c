import COpenSSL

/// One DTLS 1.2 association for DTLS-SRTP (RFC 5763, RFC 5764, RFC 8827), driven by its caller:
/// the caller feeds each received datagram to `handle(datagram:)`, sends every datagram
/// `drainOutgoing` yields, and calls `handleTimeout()` when `nextTimeout` elapses. No sockets, no
/// threads, no clock reads inside OpenSSL calls beyond OpenSSL's own retransmission timer.
///
/// Roles: in WebRTC the DTLS role comes from the SDP `a=setup:` attribute (RFC 5763 §5); the
/// client sends the ClientHello (`start()`). The SRTP keys follow the DTLS role (RFC 5764 §4.2):
/// the client's write key protects what the client sends.
///
/// Trust: the peer must present a certificate; it is not checked against any CA but its hash
/// must equal `remoteFingerprint` from the SDP (RFC 8122 §5). A mismatch fails the handshake in
/// the verify callback (the peer gets a bad_certificate alert) and is checked again afterwards.
/// Without a remote fingerprint the handshake fails unless `acceptsAnyCertificate` is set (tests,
/// or deployments that authenticate the peer otherwise).
///
/// Threading: confined to one worker thread (not Sendable). The `SSL` and the datagram buffers are
/// mutated by every call; OpenSSL's error queue is cleared after each call so nothing leaks into
/// another session on the same thread.
public final class DTLSSession {
    public enum Role: Sendable, Equatable {
        case client
        case server
    }

    public enum State: Sendable, Equatable {
        /// Created; a client waits for `start()`, a server for the first ClientHello.
        case idle
        case handshaking
        case connected(SRTPProfile)
        case failed(DTLSError)
        /// Closed by `close()` or by the peer's close_notify.
        case closed
    }

    /// What a call changed, reported once per transition.
    public enum Event: Sendable, Equatable {
        /// Handshake done and the peer verified: key SRTP with these.
        case connected(profile: SRTPProfile, keys: SRTPMasterKeys)
        case failed(DTLSError)
        /// The peer sent close_notify.
        case closed
    }

    public struct Counters: Sendable, Equatable {
        public var datagramsIn = 0
        public var bytesIn = 0
        public var datagramsOut = 0
        public var bytesOut = 0
        /// Flights resent by `handleTimeout`. (OpenSSL also resends by itself inside `handle` when
        /// its timer has already expired; those are not counted.)
        public var retransmissions = 0
        /// Datagrams dropped before OpenSSL because they cannot be DTLS records (RFC 7983 demux
        /// range, record header length, version).
        public var malformedDatagrams = 0
        /// Datagrams that arrived after the session closed or failed.
        public var ignoredDatagrams = 0
        /// Application data records received and discarded (no data channels).
        public var applicationDataRecords = 0
        /// Outgoing records dropped because the caller did not drain the queue.
        public var droppedOutgoing = 0
    }

    public let role: Role
    public let mtu: Int
    public let handshakeTimeout: Duration
    public let initialRetransmissionTimeout: Duration
    public let acceptsAnyCertificate: Bool
    /// The peer's fingerprint from its SDP. May be set until the peer's certificate arrives.
    public var remoteFingerprint: DTLSFingerprint?
    public private(set) var state: State = .idle
    /// SHA-256 fingerprint of the certificate the peer presented, once the handshake is done.
    public private(set) var peerFingerprint: DTLSFingerprint?

    private let context: DTLSContext
    /// `SSL *`, owned; its BIO refers to `io`.
    private let ssl: OpaquePointer
    private let io: DTLSDatagramIO
    private let scratch: UnsafeMutableRawBufferPointer
    private var deadline: ContinuousClock.Instant?
    private var verifyFailure: DTLSError?
    private var stats = Counters()

    /// - Parameters:
    ///   - mtu: largest UDP payload to send; OpenSSL fragments the handshake to fit (≥ 256).
    ///   - handshakeTimeout: the handshake fails if not done this long after it starts.
    ///   - initialRetransmissionTimeout: first retransmission timer, doubled per retry up to 60 s
    ///     (RFC 6347 §4.2.4.1 suggests 1 s).
    public init(context: DTLSContext, role: Role, remoteFingerprint: DTLSFingerprint?, mtu: Int = 1200,
                handshakeTimeout: Duration = .seconds(30), initialRetransmissionTimeout: Duration = .seconds(1),
                acceptsAnyCertificate: Bool = false) throws(DTLSError) {
        defer { OpenSSLErrors.clear() }
        guard (256...65_507).contains(mtu) else { throw .setupFailed("MTU \(mtu) outside 256...65507") }
        guard let ssl = SSL_new(context.ctx) else { throw .setupFailed(OpenSSLErrors.drain("SSL_new failed")) }
        self.context = context
        self.role = role
        self.remoteFingerprint = remoteFingerprint
        self.mtu = mtu
        self.handshakeTimeout = handshakeTimeout
        self.initialRetransmissionTimeout = initialRetransmissionTimeout
        self.acceptsAnyCertificate = acceptsAnyCertificate
        self.ssl = ssl
        io = DTLSDatagramIO(mtu: mtu)
        scratch = .allocate(byteCount: 2048, alignment: 16)

        guard let bio = io.makeBIO() else { throw .setupFailed(OpenSSLErrors.drain("BIO_new failed")) }
        SSL_set_bio(ssl, bio, bio)  // one reference, for both directions
        _ = podium_SSL_set_options(ssl, podium_SSL_OP_DTLS_DEFAULTS())
        guard podium_SSL_set_mtu(ssl, mtu) > 0 else { throw .setupFailed(OpenSSLErrors.drain("SSL_set_mtu(\(mtu))")) }
        SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(self).toOpaque())
        DTLS_set_timer_cb(ssl, dtlsTimerCallback)
        switch role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
    }

    deinit {
        SSL_free(ssl)
        OpenSSLErrors.clear()
        scratch.deallocate()
    }

    public var counters: Counters {
        var c = stats
        c.datagramsOut = io.datagramsOut
        c.bytesOut = io.bytesOut
        c.droppedOutgoing = io.droppedOutgoing
        return c
    }

    /// Starts the handshake clock; a client queues its ClientHello. A server need not call it (its
    /// first datagram starts it), but may, to bound the wait for a ClientHello.
    public func start(now: ContinuousClock.Instant = .now) throws(DTLSError) {
        guard state == .idle else { throw .invalidState("start() in state \(state)") }
        state = .handshaking
        deadline = now + handshakeTimeout
        guard role == .client else { return }
        if let event = driveHandshake(), case let .failed(error) = event { throw error }
    }

    /// Feeds one received datagram. Returns an event when the session changes state.
    public func handle(datagram: UnsafeRawBufferPointer, now: ContinuousClock.Instant = .now) -> Event? {
        switch state {
        case .failed, .closed:
            stats.ignoredDatagrams += 1
            return nil
        case .idle:
            guard role == .server else {
                stats.ignoredDatagrams += 1
                return nil
            }
            state = .handshaking
            deadline = now + handshakeTimeout
        case .handshaking, .connected:
            break
        }
        stats.datagramsIn += 1
        stats.bytesIn += datagram.count
        guard Self.looksLikeDTLS(datagram) else {
            stats.malformedDatagrams += 1
            return nil
        }
        if state == .handshaking, let deadline, now >= deadline { return timedOut() }
        io.incoming = datagram
        defer { io.incoming = nil }
        if state == .handshaking { return driveHandshake() }
        return readApplicationData()
    }

    /// Yields each datagram waiting to be sent, once, oldest first.
    public func drainOutgoing(_ body: (UnsafeRawBufferPointer) -> Void) {
        io.drain(body)
    }

    /// Whether `drainOutgoing` has anything to yield.
    public var hasOutgoing: Bool { io.queued > 0 }

    /// Time until `handleTimeout` should run: OpenSSL's retransmission timer, capped by the
    /// handshake deadline; nil when nothing is pending.
    public func nextTimeout(now: ContinuousClock.Instant = .now) -> Duration? {
        guard state == .handshaking || isConnected else { return nil }
        var sec = 0
        var usec = 0
        let hasTimer = podium_DTLSv1_get_timeout(ssl, &sec, &usec) == 1
        OpenSSLErrors.clear()
        var timeout: Duration? = hasTimer ? .seconds(sec) + .microseconds(usec) : nil
        if state == .handshaking, let deadline {
            let remaining = max(.zero, deadline - now)
            timeout = min(timeout ?? remaining, remaining)
        }
        return timeout
    }

    /// `nextTimeout(now: .now)`.
    public var nextTimeout: Duration? { nextTimeout() }

    /// Retransmits the last flight if OpenSSL's timer expired; fails the session past the handshake
    /// deadline or after OpenSSL's retransmission limit.
    public func handleTimeout(now: ContinuousClock.Instant = .now) -> Event? {
        guard state == .handshaking || isConnected else { return nil }
        if state == .handshaking, let deadline, now >= deadline { return timedOut() }
        io.closeDatagram()
        let result = podium_DTLSv1_handle_timeout(ssl)
        defer { io.closeDatagram() }
        if result > 0 {
            stats.retransmissions += 1
        } else if result < 0 {
            let text = OpenSSLErrors.drain("retransmission limit reached")
            return fail(isConnected ? .connectionFailed(text) : .handshakeFailed(text))
        }
        OpenSSLErrors.clear()
        return nil
    }

    /// Sends close_notify (when established) and ignores everything afterwards.
    public func close() {
        switch state {
        case .connected:
            io.closeDatagram()
            _ = SSL_shutdown(ssl)
            io.closeDatagram()
            OpenSSLErrors.clear()
            state = .closed
        case .idle, .handshaking:
            state = .closed
        case .failed, .closed:
            break
        }
    }

    // MARK: - Internals

    private var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }

    /// RFC 7983 §7: DTLS datagrams start with 20...63; a DTLS 1.x record header (RFC 6347 §4.1) is
    /// 13 bytes with major version 254. Anything else would only be parsed and dropped by OpenSSL.
    static func looksLikeDTLS(_ datagram: UnsafeRawBufferPointer) -> Bool {
        guard datagram.count >= 13 else { return false }
        return (20...25).contains(datagram[0]) && datagram[1] == 0xFE
    }

    private func driveHandshake() -> Event? {
        io.closeDatagram()
        defer { io.closeDatagram() }
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            OpenSSLErrors.clear()
            return completeHandshake()
        }
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            OpenSSLErrors.clear()
            return nil
        case SSL_ERROR_ZERO_RETURN:
            OpenSSLErrors.clear()
            state = .closed
            return .closed
        default:
            if let verifyFailure {
                OpenSSLErrors.clear()
                return fail(verifyFailure)
            }
            return fail(.handshakeFailed(OpenSSLErrors.drain("OpenSSL error \(error)")))
        }
    }

    private func completeHandshake() -> Event {
        guard let peer = SSL_get1_peer_certificate(ssl) else { return fail(.noPeerCertificate) }
        defer { X509_free(peer) }
        peerFingerprint = try? DTLSFingerprint(algorithm: .sha256, x509: peer)
        if let expected = remoteFingerprint {
            let actual = try? DTLSFingerprint(algorithm: expected.algorithm, x509: peer)
            guard let actual, actual == expected else {
                return fail(.fingerprintMismatch(expected: expected.sdpValue, actual: actual?.sdpValue ?? "?"))
            }
        } else if !acceptsAnyCertificate {
            return fail(.missingRemoteFingerprint)
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl) else { return fail(.noCommonSRTPProfile) }
        let id = UInt16(truncatingIfNeeded: selected.pointee.id)
        guard let profile = SRTPProfile(rawValue: id) else { return fail(.unsupportedSRTPProfile(id)) }

        var material = [UInt8](repeating: 0, count: profile.keyingMaterialLength)
        defer { material.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        let label = "EXTRACTOR-dtls_srtp"
        let exported = material.withUnsafeMutableBufferPointer { out in
            SSL_export_keying_material(ssl, out.baseAddress, out.count, label, label.utf8.count, nil, 0, 0)
        }
        guard exported == 1 else { return fail(.keyExportFailed(OpenSSLErrors.drain("SSL_export_keying_material"))) }
        let keys: SRTPMasterKeys
        do {
            keys = try SRTPMasterKeys(keyingMaterial: material, profile: profile, role: role == .client ? .client : .server)
        } catch {
            return fail(.keyExportFailed("\(error)"))
        }
        state = .connected(profile)
        return .connected(profile: profile, keys: keys)
    }

    private func readApplicationData() -> Event? {
        defer { io.closeDatagram() }
        // Bounded: one datagram holds at most a few dozen records.
        for _ in 0..<256 {
            let n = SSL_read(ssl, scratch.baseAddress, Int32(scratch.count))
            if n > 0 {
                stats.applicationDataRecords += 1
                continue
            }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                OpenSSLErrors.clear()
                return nil
            case SSL_ERROR_ZERO_RETURN:
                // Answer the peer's close_notify with ours (RFC 5246 §7.2.1).
                _ = SSL_shutdown(ssl)
                OpenSSLErrors.clear()
                state = .closed
                return .closed
            default:
                return fail(.connectionFailed(OpenSSLErrors.drain("SSL_read")))
            }
        }
        OpenSSLErrors.clear()
        return nil
    }

    private func timedOut() -> Event {
        let seconds = Double(handshakeTimeout.components.seconds)
            + Double(handshakeTimeout.components.attoseconds) / 1e18
        return fail(.handshakeTimedOut(seconds: seconds))
    }

    private func fail(_ error: DTLSError) -> Event {
        // After a completed handshake the peer learns of the failure through close_notify.
        if SSL_is_init_finished(ssl) == 1 {
            io.closeDatagram()
            _ = SSL_shutdown(ssl)
        }
        OpenSSLErrors.clear()
        state = .failed(error)
        return .failed(error)
    }

    // MARK: - Callbacks from OpenSSL (same thread, inside SSL_do_handshake / timer handling)

    fileprivate static func from(ssl: OpaquePointer?) -> DTLSSession? {
        guard let ssl, let raw = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<DTLSSession>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Whether the leaf certificate the peer presented is the one its SDP announced.
    fileprivate func verifyPeer(_ certificate: OpaquePointer) -> Bool {
        guard let expected = remoteFingerprint else {
            if acceptsAnyCertificate { return true }
            verifyFailure = .missingRemoteFingerprint
            return false
        }
        guard let actual = try? DTLSFingerprint(algorithm: expected.algorithm, x509: certificate) else {
            verifyFailure = .handshakeFailed("cannot hash the peer certificate")
            return false
        }
        guard actual == expected else {
            verifyFailure = .fingerprintMismatch(expected: expected.sdpValue, actual: actual.sdpValue)
            return false
        }
        return true
    }

    fileprivate var initialTimerMicroseconds: UInt32 {
        let c = initialRetransmissionTimeout.components
        let us = c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000
        return UInt32(clamping: max(1_000, us))
    }
}

/// `SSL_CTX_set_verify` callback: CA validation is irrelevant (certificates are self-signed);
/// only the leaf's fingerprint decides.
func dtlsVerifyCallback(_ preverifyOK: Int32, _ store: OpaquePointer?) -> Int32 {
    guard let store,
          let raw = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
          let session = DTLSSession.from(ssl: OpaquePointer(raw)) else { return 0 }
    // Chain certificates above the leaf carry no meaning here.
    guard X509_STORE_CTX_get_error_depth(store) == 0 else { return 1 }
    guard let leaf = X509_STORE_CTX_get_current_cert(store) else { return 0 }
    return session.verifyPeer(leaf) ? 1 : 0
}

/// `DTLS_set_timer_cb`: the session's initial timeout, then doubling up to 60 s (RFC 6347 §4.2.4.1).
private func dtlsTimerCallback(_ ssl: OpaquePointer?, _ previousMicroseconds: UInt32) -> UInt32 {
    guard previousMicroseconds > 0 else { return DTLSSession.from(ssl: ssl)?.initialTimerMicroseconds ?? 1_000_000 }
    return min(previousMicroseconds.multipliedReportingOverflow(by: 2).partialValue, 60_000_000)
}
