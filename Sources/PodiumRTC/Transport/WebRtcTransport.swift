import PodiumCrypto
import PodiumNet
import PodiumWire

/// One peer's WebRTC transport: ICE (lite, or the controlling client for Podium's own peers),
/// DTLS 1.2 for the keys, SRTP/SRTCP for the media, all BUNDLEd and RTCP-muxed on one 5-tuple of a
/// `TransportEndpoint`. It delivers decrypted RTP/RTCP to its delegate and protects what its owner
/// sends, in place, into the endpoint's send batch.
///
/// Threading: confined to the endpoint's event loop, like everything per packet.
public final class WebRtcTransport {
    /// How this side does ICE.
    public enum ICEMode: Sendable, Hashable {
        /// Podium's server side: an ICE-lite agent answering the peer's checks.
        case lite
        /// A controlling full agent checking `remote` (Podium's own client, the load generator).
        case controlling(remote: SocketAddress)
    }

    public struct Configuration: Sendable {
        public var iceMode: ICEMode
        public var localICE: ICECredentials
        /// The peer's ICE credentials (from its SDP); required for `.controlling`.
        public var remoteICE: ICECredentials?
        public var dtlsRole: DTLSSession.Role
        /// Accepted certificate fingerprints of the peer (its SDP's a=fingerprint lines).
        public var remoteFingerprints: [DTLSFingerprint]
        /// ICE and DTLS must be done this long after creation, or the transport fails.
        public var connectTimeout: Duration
        /// Consent freshness (RFC 7675): no valid STUN for this long closes the transport.
        public var consentTimeout: Duration
        public var mtu: Int

        public init(iceMode: ICEMode = .lite, localICE: ICECredentials = .random(), remoteICE: ICECredentials?,
                    dtlsRole: DTLSSession.Role, remoteFingerprints: [DTLSFingerprint],
                    connectTimeout: Duration = .seconds(30), consentTimeout: Duration = .seconds(30), mtu: Int = 1200) {
            self.iceMode = iceMode
            self.localICE = localICE
            self.remoteICE = remoteICE
            self.dtlsRole = dtlsRole
            self.remoteFingerprints = remoteFingerprints
            self.connectTimeout = connectTimeout
            self.consentTimeout = consentTimeout
            self.mtu = mtu
        }
    }

    public let id: Int
    public unowned let endpoint: TransportEndpoint
    public weak var delegate: (any WebRtcTransportDelegate)?
    public private(set) var state: WebRtcTransportState = .new
    public private(set) var stats = WebRtcTransportStats()
    public private(set) var localICE: ICECredentials
    /// Where media and DTLS go: the nominated address.
    public private(set) var selectedAddress: SocketAddress?
    public private(set) var srtpProfile: SRTPProfile?
    public let dtlsRole: DTLSSession.Role
    public let createdAt: MonotonicTime
    /// When the transport reached `.connected`.
    public private(set) var connectedAt: MonotonicTime?

    private let lite: ICELiteAgent?
    private let client: ICEControllingClient?
    private let dtls: DTLSSession
    private var srtp: SRTPContext?
    private(set) var validatedAddresses: [SocketAddress] = []
    private let configuration: Configuration
    private var dtlsTimer: TimerID?
    private var watchdog: TimerID?
    private var iceTimer: TimerID?
    private var dtlsStarted = false
    private var reservedSlot: UnsafeMutableRawBufferPointer?

    /// Creates a transport on `endpoint`. Call on the endpoint's loop.
    public init(endpoint: TransportEndpoint, context: DTLSContext, configuration: Configuration) throws(TransportError) {
        precondition(endpoint.loop.isInLoop, "WebRtcTransport must be created on its endpoint's event loop")
        self.endpoint = endpoint
        self.configuration = configuration
        self.id = endpoint.makeTransportID()
        self.localICE = configuration.localICE
        self.dtlsRole = configuration.dtlsRole
        self.createdAt = endpoint.loop.turnTime
        // Why one fingerprint: OpenSSL checks one digest; prefer SHA-256 (what every browser sends
        // first), else the strongest other one offered.
        let fingerprint = configuration.remoteFingerprints.first { $0.algorithm == .sha256 } ?? configuration.remoteFingerprints.first
        guard let fingerprint else { throw .dtls("the peer gave no certificate fingerprint") }
        do {
            dtls = try DTLSSession(context: context, role: configuration.dtlsRole, remoteFingerprint: fingerprint,
                                   mtu: configuration.mtu, handshakeTimeout: configuration.connectTimeout)
        } catch {
            throw .dtls("\(error)")
        }
        switch configuration.iceMode {
        case .lite:
            let ns = UInt64(configuration.consentTimeout.components.seconds) * ICETime.second
            lite = ICELiteAgent(local: configuration.localICE, remote: configuration.remoteICE,
                                configuration: .init(consentTimeout: ns, disconnectedAfter: min(ns, 10 * ICETime.second)))
            client = nil
            try endpoint.add(self, ufrag: configuration.localICE.ufrag)
        case .controlling(let remote):
            guard let remoteICE = configuration.remoteICE else {
                throw .iceCredentials("a controlling ICE agent needs the peer's ufrag and pwd")
            }
            lite = nil
            client = ICEControllingClient(local: configuration.localICE, remote: remoteICE, remoteAddress: remote)
            try endpoint.add(self, ufrag: nil)
            validatedAddresses.append(remote)
            endpoint.bind(remote, to: self)
            pollICEClient()
        }
        scheduleWatchdog()
    }

    /// Closes the transport: close_notify to the peer, timers cancelled, the endpoint forgets it.
    public func close() {
        guard !state.isFinal else { return }
        dtls.close()
        flushDTLS()
        finish(.closed)
    }

    /// Changes the ICE credentials (ICE restart): DTLS and SRTP state stay, the selected address
    /// stays until the peer nominates again with the new credentials.
    public func restartICE(local: ICECredentials, remote: ICECredentials?) throws(TransportError) {
        guard let lite else { throw .invalidState("ICE restart is implemented for the ICE-lite side only") }
        try endpoint.replaceUfrag(of: self, old: localICE.ufrag, new: local.ufrag)
        lite.restart(local: local, remote: remote)
        localICE = local
    }

    // MARK: Sending

    /// Protects `packet` (an RTP packet in the clear) into the endpoint's send batch for the
    /// selected address. False (and counted) when not connected or on an SRTP error.
    @discardableResult
    public func sendRTP(_ packet: UnsafeRawBufferPointer) -> Bool {
        send(packet, rtcp: false)
    }

    /// Protects and queues one (compound) RTCP packet.
    @discardableResult
    public func sendRTCP(_ packet: UnsafeRawBufferPointer) -> Bool {
        send(packet, rtcp: true)
    }

    /// The fast path, without a copy: a slot of the endpoint's send batch to write one RTP packet
    /// in the clear into (SRTP overhead already held back), then `commitRTP(length:)` protects it
    /// in place and queues it. nil (counted in `sendDropped`) when not connected. Only one slot is
    /// reserved at a time: reserve, write, commit, repeat.
    public func reserveRTP() -> UnsafeMutableRawBufferPointer? {
        guard srtp != nil, selectedAddress != nil, case .connected = state else {
            stats.sendDropped &+= 1
            return nil
        }
        let slot = endpoint.sendBatch.reserve()
        reservedSlot = slot
        return UnsafeMutableRawBufferPointer(rebasing: slot[0 ..< slot.count - SRTPProfile.maxOverhead])
    }

    /// Protects the first `length` bytes of the slot `reserveRTP()` returned and queues them for
    /// the selected address. False (counted) on an SRTP error or without a reservation.
    @discardableResult
    public func commitRTP(length: Int) -> Bool {
        guard let slot = reservedSlot, let srtp, let destination = selectedAddress else {
            stats.sendDropped &+= 1
            return false
        }
        reservedSlot = nil
        do {
            let protected = try srtp.protectRTP(slot, length: length)
            endpoint.sendBatch.commit(length: protected, to: destination)
        } catch {
            stats.sendDropped &+= 1
            return false
        }
        stats.bytesSent &+= UInt64(length)
        stats.rtpPacketsSent &+= 1
        return true
    }

    private func send(_ packet: UnsafeRawBufferPointer, rtcp: Bool) -> Bool {
        guard let srtp, let destination = selectedAddress, case .connected = state else {
            stats.sendDropped &+= 1
            return false
        }
        let slot = endpoint.sendBatch.reserve()
        guard packet.count + SRTPProfile.maxOverhead <= slot.count, let base = packet.baseAddress else {
            stats.sendDropped &+= 1
            return false
        }
        slot.baseAddress!.copyMemory(from: base, byteCount: packet.count)
        do {
            let length = rtcp ? try srtp.protectRTCP(slot, length: packet.count) : try srtp.protectRTP(slot, length: packet.count)
            endpoint.sendBatch.commit(length: length, to: destination)
        } catch {
            stats.sendDropped &+= 1
            return false
        }
        stats.bytesSent &+= UInt64(packet.count)
        if rtcp { stats.rtcpPacketsSent &+= 1 } else { stats.rtpPacketsSent &+= 1 }
        return true
    }

    // MARK: Receiving (called by the endpoint)

    func handle(_ bytes: UnsafeMutableRawBufferPointer, kind: DatagramKind, from source: SocketAddress, now: UInt64) {
        stats.bytesReceived &+= UInt64(bytes.count)
        switch kind {
        case .stun:
            if let client {
                handleClientSTUN(client, UnsafeRawBufferPointer(bytes), from: source, now: now)
            } else if let message = try? STUNMessage(parsing: UnsafeRawBufferPointer(bytes)) {
                _ = handleSTUN(message, from: source, now: now)
            } else {
                stats.unknownDatagrams &+= 1
            }
        case .dtls:
            handleDTLS(UnsafeRawBufferPointer(bytes), from: source)
        case .rtp, .rtcp:
            guard let srtp else {
                stats.mediaBeforeKeys &+= 1
                return
            }
            do {
                if kind == .rtp {
                    let length = try srtp.unprotectRTP(bytes)
                    stats.rtpPacketsReceived &+= 1
                    delegate?.transport(self, didReceiveRTP: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<length]))
                } else {
                    let length = try srtp.unprotectRTCP(bytes)
                    stats.rtcpPacketsReceived &+= 1
                    delegate?.transport(self, didReceiveRTCP: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<length]))
                }
            } catch let error {
                switch error {
                case .replayed, .tooOld: stats.replays &+= 1
                default: stats.decryptFailures &+= 1
                }
            }
        default:
            stats.unknownDatagrams &+= 1
        }
    }

    /// Handles a Binding request for the ICE-lite agent; true when it authenticated.
    func handleSTUN(_ message: STUNMessage, from source: SocketAddress, now: UInt64) -> Bool {
        guard let lite, !state.isFinal else { return false }
        stats.stunRequestsReceived &+= 1
        let outcome = lite.handle(message, from: source, now: now, response: endpoint.stunScratch)
        switch outcome.action {
        case .respond(let n), .respondWithError(_, let n):
            endpoint.send(UnsafeRawBufferPointer(rebasing: endpoint.stunScratch[0..<n]), to: source)
        case .accepted, .drop:
            break
        }
        guard outcome.authenticated else { return false }
        remember(source)
        if outcome.selectedChanged, let selected = lite.selectedAddress {
            selectedAddress = selected
            if case .new = state { setState(.connecting) }
            startDTLSIfClient()
        }
        return true
    }

    private func handleClientSTUN(_ client: ICEControllingClient, _ bytes: UnsafeRawBufferPointer, from source: SocketAddress, now: UInt64) {
        let event = client.handle(datagram: bytes, from: source, now: now, response: endpoint.stunScratch)
        switch event {
        case .connected:
            selectedAddress = client.remoteAddress
            if case .new = state { setState(.connecting) }
            startDTLSIfClient()
        case .respond(let n):
            endpoint.send(UnsafeRawBufferPointer(rebasing: endpoint.stunScratch[0..<n]), to: source)
        case .failed(let reason):
            fail("ICE failed: \(reason)")
        case .consentRefreshed, .ignored:
            break
        }
        pollICEClient()
    }

    private func handleDTLS(_ bytes: UnsafeRawBufferPointer, from source: SocketAddress) {
        guard !state.isFinal else { return }
        stats.dtlsDatagramsReceived &+= 1
        // A DTLS server answers a validated source even before nomination (some peers start DTLS
        // right after their first successful check).
        if selectedAddress == nil { selectedAddress = source }
        if case .new = state { setState(.connecting) }
        let event = dtls.handle(datagram: bytes)
        flushDTLS()
        if let event { handleDTLSEvent(event) }
        scheduleDTLSTimer()
    }

    private func handleDTLSEvent(_ event: DTLSSession.Event) {
        switch event {
        case .connected(let profile, let keys):
            do {
                srtp = try SRTPContext(profile: profile, keys: keys)
            } catch {
                fail("SRTP keying failed: \(error)")
                return
            }
            srtpProfile = profile
            connectedAt = endpoint.loop.turnTime
            setState(.connected)
        case .failed(let error):
            fail("DTLS: \(error)")
        case .closed:
            finish(.closed)
        }
    }

    private func startDTLSIfClient() {
        guard dtlsRole == .client, !dtlsStarted, !state.isFinal else { return }
        dtlsStarted = true
        do {
            try dtls.start()
        } catch {
            fail("DTLS start: \(error)")
            return
        }
        flushDTLS()
        scheduleDTLSTimer()
    }

    private func flushDTLS() {
        guard let destination = selectedAddress else { return }
        let endpoint = self.endpoint
        dtls.drainOutgoing { datagram in endpoint.send(datagram, to: destination) }
    }

    // MARK: Addresses

    private func remember(_ address: SocketAddress) {
        if validatedAddresses.contains(address) { return }
        if validatedAddresses.count >= endpoint.configuration.maxAddressesPerTransport {
            // Drop the oldest address that is not the selected one.
            if let i = validatedAddresses.firstIndex(where: { $0 != selectedAddress }) {
                endpoint.unbind(validatedAddresses.remove(at: i), from: self)
            }
        }
        validatedAddresses.append(address)
        endpoint.bind(address, to: self)
    }

    /// The endpoint gave `address` to another transport.
    func forget(_ address: SocketAddress) {
        validatedAddresses.removeAll { $0 == address }
        if selectedAddress == address { selectedAddress = nil }
    }

    // MARK: Timers

    private func scheduleDTLSTimer() {
        if let t = dtlsTimer { _ = endpoint.loop.cancel(t) }
        dtlsTimer = nil
        guard !state.isFinal, let timeout = dtls.nextTimeout else { return }
        dtlsTimer = endpoint.loop.schedule(after: max(timeout, .milliseconds(1))) { [weak self] in
            guard let self else { return }
            self.dtlsTimer = nil
            let event = self.dtls.handleTimeout()
            self.flushDTLS()
            if let event { self.handleDTLSEvent(event) }
            self.scheduleDTLSTimer()
        }
    }

    /// Once a second: the connect deadline, and consent freshness once connected.
    private func scheduleWatchdog() {
        watchdog = endpoint.loop.schedule(after: .seconds(1)) { [weak self] in
            guard let self, !self.state.isFinal else { return }
            let now = self.endpoint.loop.turnTime
            if self.connectedAt == nil, now - self.createdAt > self.configuration.connectTimeout {
                self.fail("not connected within \(self.configuration.connectTimeout) (ICE \(self.selectedAddress == nil ? "not nominated" : "done"), DTLS \(self.dtls.state))")
                return
            }
            if let lite = self.lite, lite.selectedAddress != nil,
               lite.consentExpired(now: UInt64(truncatingIfNeeded: now.nanoseconds)) {
                self.fail("ICE consent expired: no valid STUN from the peer for \(self.configuration.consentTimeout)")
                return
            }
            self.scheduleWatchdog()
        }
    }

    private func pollICEClient() {
        guard let client, !state.isFinal else { return }
        if let t = iceTimer { _ = endpoint.loop.cancel(t) }
        iceTimer = nil
        let now = UInt64(truncatingIfNeeded: MonotonicTime.now().nanoseconds)
        let scratch = endpoint.stunScratch
        while let n = client.poll(now: now, into: scratch) {
            endpoint.send(UnsafeRawBufferPointer(rebasing: scratch[0..<n]), to: client.remoteAddress)
        }
        if case .failed(let reason) = client.state {
            fail("ICE failed: \(reason)")
            return
        }
        guard let deadline = client.nextDeadline else { return }
        let delay = deadline > now ? Duration.nanoseconds(Int64(deadline - now)) : .milliseconds(1)
        iceTimer = endpoint.loop.schedule(after: delay) { [weak self] in
            self?.iceTimer = nil
            self?.pollICEClient()
        }
    }

    // MARK: State

    private func fail(_ reason: String) {
        finish(.failed(reason))
    }

    private func finish(_ final: WebRtcTransportState) {
        guard !state.isFinal else { return }
        for t in [dtlsTimer, watchdog, iceTimer].compactMap({ $0 }) { _ = endpoint.loop.cancel(t) }
        dtlsTimer = nil
        watchdog = nil
        iceTimer = nil
        srtp = nil
        endpoint.remove(self)
        setState(final)
    }

    private func setState(_ new: WebRtcTransportState) {
        guard new != state else { return }
        state = new
        delegate?.transport(self, didChangeState: new)
    }

    /// Source addresses that passed ICE authentication and are mapped to this transport.
    public var validatedAddressCount: Int { validatedAddresses.count }

    /// ICE and DTLS details for diagnostics.
    public var iceCounters: ICELiteAgent.Counters? { lite?.counters }
    public var dtlsCounters: DTLSSession.Counters { dtls.counters }
}
