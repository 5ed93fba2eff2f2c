import PodiumCrypto
import PodiumWire

/// The controlling side of ICE against an ICE-lite server, sans-IO: one host candidate, one remote
/// address, aggressive nomination (every check carries USE-CANDIDATE). Enough for Podium's own tests
/// and load generator to connect the way a browser does; not a full agent (no gathering, no pair
/// list, no role switch, no TURN).
///
///     poll(now:) ──▶ Binding request: USERNAME remote:local, PRIORITY, ICE-CONTROLLING,
///                    USE-CANDIDATE, MESSAGE-INTEGRITY (remote pwd), FINGERPRINT
///                    retransmitted with RTO 100 ms doubling, capped at 1.6 s (RFC 8489 §6.2.1)
///     handle(success, same transaction, integrity OK) ──▶ .connected
///     connected: a new check every 4–6 s (RFC 7675 §5.1), failed after 30 s without an answer
///
/// The caller sends what `poll` writes to `remoteAddress`, feeds back every STUN datagram it
/// receives, and calls `poll` again at `nextDeadline`.
///
/// Confinement: mutable state and HMAC contexts; one thread uses an instance.
public final class ICEControllingClient {
    public struct Configuration: Sendable, Equatable {
        /// First retransmission timeout; doubled per retransmission (RFC 8489 §6.2.1).
        public var initialRTO: UInt64
        /// Cap of the doubling RTO.
        public var maxRTO: UInt64
        /// Checking fails after this long without an authenticated success.
        public var connectTimeout: UInt64
        /// Interval between consent checks once connected, drawn uniformly per check
        /// (RFC 7675 §5.1: 5 s ± 20%, to avoid synchronised checks).
        public var consentInterval: ClosedRange<UInt64>
        /// Connected fails after this long without an authenticated success (RFC 7675: 30 s).
        public var consentTimeout: UInt64
        /// PRIORITY sent in checks: a peer-reflexive candidate's priority (RFC 8445 §7.1.1, §5.1.2.1:
        /// type preference 110, local preference 65535, component 1).
        public var priority: UInt32

        public init(initialRTO: UInt64 = 100 * ICETime.millisecond, maxRTO: UInt64 = 1_600 * ICETime.millisecond,
                    connectTimeout: UInt64 = 10 * ICETime.second,
                    consentInterval: ClosedRange<UInt64> = 4 * ICETime.second...6 * ICETime.second,
                    consentTimeout: UInt64 = 30 * ICETime.second,
                    priority: UInt32 = 110 << 24 | 65_535 << 8 | (256 - 1)) {
            self.initialRTO = max(initialRTO, 1)
            self.maxRTO = max(maxRTO, self.initialRTO)
            self.connectTimeout = connectTimeout
            self.consentInterval = consentInterval
            self.consentTimeout = consentTimeout
            self.priority = priority
        }
    }

    public enum FailureReason: Sendable, Equatable {
        /// No authenticated success within `connectTimeout`.
        case timeout
        /// The server answered 487: it is controlled too (only an ICE-lite server misconfigured as
        /// full, or a full agent, does that; this client does not switch roles).
        case roleConflict
        /// An authenticated error response other than 487.
        case errorResponse(code: Int)
        /// Connected, then no authenticated success for `consentTimeout` (RFC 7675).
        case consentExpired
    }

    public enum State: Sendable, Equatable {
        /// Nothing sent yet: the next `poll` starts checking.
        case new
        case checking
        case connected
        case failed(FailureReason)
    }

    public enum IgnoreReason: Sendable, Equatable {
        case notSTUN
        case notBinding
        case indication
        /// A response to no outstanding transaction (late, duplicate, or forged).
        case unknownTransaction
        /// A response from an address other than the one checked (RFC 8445 §7.2.5.2.1: the pair
        /// must be symmetric).
        case wrongSource
        case badFingerprint
        /// A success response without valid MESSAGE-INTEGRITY (remote pwd).
        case badIntegrity
        /// An error response without valid MESSAGE-INTEGRITY (400, 401 cannot be signed): over UDP it
        /// must be discarded (RFC 8489 §9.1.5); the code is kept in `lastUnauthenticatedErrorCode`.
        case unauthenticatedError(code: Int)
        /// A request to us that fails FINGERPRINT, USERNAME or MESSAGE-INTEGRITY (local pwd).
        case unauthenticatedRequest
        case responseBufferTooSmall
    }

    public enum Event: Sendable, Equatable {
        /// The first authenticated success: the pair is valid and nominated.
        case connected
        /// An authenticated success to a consent check.
        case consentRefreshed
        case failed(FailureReason)
        /// The datagram was a valid request to us: send the first `byteCount` bytes of the response
        /// buffer back to its source.
        case respond(byteCount: Int)
        case ignored(IgnoreReason)
    }

    public struct Counters: Sendable, Equatable {
        /// Requests written by `poll`, retransmissions included.
        public var requestsSent: UInt64 = 0
        public var retransmissions: UInt64 = 0
        /// Authenticated success responses.
        public var successes: UInt64 = 0
        public var ignored: UInt64 = 0
        public init() {}
    }

    public let configuration: Configuration
    public let localCredentials: ICECredentials
    public let remoteCredentials: ICECredentials
    public let remoteAddress: SocketAddress
    public let tieBreaker: UInt64
    public private(set) var state: State = .new
    /// Our address as the server saw it (XOR-MAPPED-ADDRESS of the latest success).
    public private(set) var mappedAddress: SocketAddress?
    public private(set) var lastUnauthenticatedErrorCode: Int?
    public private(set) var counters = Counters()

    /// Longest request `poll` writes (256-byte ufrags on both sides): size the buffer at least this.
    public static let maxRequestSize = 20 + (4 + 516) + 8 + 12 + 4 + 24 + 8

    /// "<remoteUfrag>:<localUfrag>" (RFC 8445 §7.2.2).
    private let username: [UInt8]
    /// Signs our requests and verifies the answers (the server's password).
    private let remoteKey: HMACSHA1
    /// Verifies requests sent to us and signs our answers (our password).
    private let localAuth: ICEBindingAuthenticator

    private var transaction: STUNTransactionID?
    private var rto: UInt64 = 0
    private var nextRetransmit: UInt64 = 0
    private var checkingStartedAt: UInt64 = 0
    private var nextConsentCheck: UInt64 = 0
    private var consentRefreshedAt: UInt64 = 0
    private var random = SystemRandomNumberGenerator()

    public init(local: ICECredentials, remote: ICECredentials, remoteAddress: SocketAddress,
                tieBreaker: UInt64 = UInt64.random(in: .min ... .max), configuration: Configuration = .init()) {
        self.localCredentials = local
        self.remoteCredentials = remote
        self.remoteAddress = remoteAddress
        self.tieBreaker = tieBreaker
        self.configuration = configuration
        self.username = Array(remote.ufrag.utf8) + [UInt8(ascii: ":")] + Array(local.ufrag.utf8)
        self.remoteKey = HMACSHA1(password: remote.pwd)
        self.localAuth = ICEBindingAuthenticator(local: local, remote: remote)
    }

    // MARK: Timers

    /// Writes the Binding request due at `now`, if any, and returns its size; call again at
    /// `nextDeadline`. Also moves to `.failed` when a timeout passed (then returns nil).
    public func poll(now: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        switch state {
        case .failed:
            return nil
        case .new:
            state = .checking
            checkingStartedAt = now
            return startTransaction(now: now, into: buffer)
        case .checking:
            if elapsed(since: checkingStartedAt, now: now) >= configuration.connectTimeout {
                fail(.timeout)
                return nil
            }
            return now >= nextRetransmit ? retransmit(now: now, into: buffer) : nil
        case .connected:
            if elapsed(since: consentRefreshedAt, now: now) >= configuration.consentTimeout {
                fail(.consentExpired)
                return nil
            }
            if now >= nextConsentCheck {
                nextConsentCheck = now + jitteredConsentInterval()
                return startTransaction(now: now, into: buffer)
            }
            return transaction != nil && now >= nextRetransmit ? retransmit(now: now, into: buffer) : nil
        }
    }

    /// When `poll` next has something to do; nil once failed. In `.new`: 0 (now).
    public var nextDeadline: UInt64? {
        switch state {
        case .failed: return nil
        case .new: return 0
        case .checking: return min(nextRetransmit, checkingStartedAt &+ configuration.connectTimeout)
        case .connected:
            var d = min(nextConsentCheck, consentRefreshedAt &+ configuration.consentTimeout)
            if transaction != nil { d = min(d, nextRetransmit) }
            return d
        }
    }

    private func startTransaction(now: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        transaction = STUNTransactionID(high: random.next(), low: random.next())
        rto = configuration.initialRTO
        nextRetransmit = now + rto
        return writeRequest(into: buffer)
    }

    private func retransmit(now: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        rto = min(rto * 2, configuration.maxRTO)
        nextRetransmit = now + rto
        counters.retransmissions &+= 1
        return writeRequest(into: buffer)
    }

    private func writeRequest(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard let tid = transaction else { return nil }
        let n: Int? = username.withUnsafeBytes { u in
            do throws(BufferTooSmall) {
                var b = try STUNMessageBuilder(into: buffer, type: .bindingRequest, transactionID: tid)
                try b.appendUsername(u)
                try b.appendPriority(configuration.priority)
                try b.appendICEControlling(tieBreaker)
                try b.appendUseCandidate()
                try b.appendMessageIntegrity(key: remoteKey)
                try b.appendFingerprint()
                return b.count
            } catch {
                return nil
            }
        }
        if n != nil { counters.requestsSent &+= 1 }
        return n
    }

    private func jitteredConsentInterval() -> UInt64 {
        let r = configuration.consentInterval
        return r.lowerBound + UInt64.random(in: 0...(r.upperBound - r.lowerBound), using: &random)
    }

    private func elapsed(since t: UInt64, now: UInt64) -> UInt64 { now >= t ? now - t : 0 }

    private func fail(_ reason: FailureReason) {
        state = .failed(reason)
        transaction = nil
    }

    // MARK: Incoming

    /// Handles one STUN datagram received from `source`.
    public func handle(datagram: UnsafeRawBufferPointer, from source: SocketAddress, now: UInt64,
                       response: UnsafeMutableRawBufferPointer) -> Event {
        guard let m = try? STUNMessage(parsing: datagram) else { return ignore(.notSTUN) }
        guard m.type.method == .binding else { return ignore(.notBinding) }
        switch m.type.messageClass {
        case .request: return answer(m, from: source, response: response)
        case .indication: return ignore(.indication)
        case .successResponse, .errorResponse: return handleResponse(m, from: source, now: now)
        }
    }

    private func handleResponse(_ m: STUNMessage, from source: SocketAddress, now: UInt64) -> Event {
        guard let t = transaction, m.transactionID == t else { return ignore(.unknownTransaction) }
        guard source == remoteAddress else { return ignore(.wrongSource) }
        guard m.isFingerprintValid else { return ignore(.badFingerprint) }
        let isError = m.type.messageClass == .errorResponse
        guard m.isMessageIntegrityValid(key: remoteKey) else {
            if isError {
                let code = m.errorCode?.code ?? 0
                lastUnauthenticatedErrorCode = code
                return ignore(.unauthenticatedError(code: code))
            }
            return ignore(.badIntegrity)
        }
        transaction = nil
        if isError {
            // An error response without ERROR-CODE is malformed; report it as 400.
            let code = m.errorCode?.code ?? STUNErrorCode.badRequest
            let reason: FailureReason = code == STUNErrorCode.roleConflict ? .roleConflict : .errorResponse(code: code)
            fail(reason)
            return .failed(reason)
        }
        counters.successes &+= 1
        mappedAddress = m.xorMappedAddress ?? m.mappedAddress
        consentRefreshedAt = now
        if state == .checking {
            state = .connected
            nextConsentCheck = now + jitteredConsentInterval()
            return .connected
        }
        return .consentRefreshed
    }

    /// A check from the peer (a lite server sends none, but a full peer would): answered when it
    /// authenticates with our password. ICE-CONTROLLING in it is a role conflict; this client keeps
    /// the controlling role and answers 487 (RFC 8445 §7.3.1.1 without the switch branch).
    private func answer(_ m: STUNMessage, from source: SocketAddress, response: UnsafeMutableRawBufferPointer) -> Event {
        guard localAuth.verify(m) == .valid else { return ignore(.unauthenticatedRequest) }
        let n: Int
        do throws(BufferTooSmall) {
            if m.iceControlling != nil {
                n = try localAuth.writeError(code: STUNErrorCode.roleConflict, reason: "Role Conflict", to: m, signed: true, into: response)
            } else {
                n = try localAuth.writeSuccess(transactionID: m.transactionID, mapped: source, into: response)
            }
        } catch {
            return ignore(.responseBufferTooSmall)
        }
        return .respond(byteCount: n)
    }

    private func ignore(_ reason: IgnoreReason) -> Event {
        counters.ignored &+= 1
        return .ignored(reason)
    }
}
