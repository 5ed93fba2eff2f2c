import PodiumCrypto
import PodiumWire

/// The server side of ICE for one transport: a lite implementation (RFC 8445 §2.5), always in the
/// controlled role (§6.1.1), sans-IO.
///
/// A lite agent has only host candidates, sends no checks and gathers nothing: it answers the
/// peer's connectivity checks (Binding requests) and takes the pair the peer nominates (USE-CANDIDATE)
/// as selected. The owner passes each STUN datagram with its source address and the monotonic time;
/// the agent answers into a caller buffer and reports what changed.
///
///     browser (full, controlling)                 ICELiteAgent (lite, controlled)
///     Binding request ───────────────────────────▶ FINGERPRINT, USERNAME, MESSAGE-INTEGRITY
///       USERNAME local:remote, PRIORITY,            ICE-CONTROLLED? → 487
///       ICE-CONTROLLING, [USE-CANDIDATE]            USE-CANDIDATE → selectedAddress = source
///     ◀─────────────────────────────────────────── Binding success, XOR-MAPPED-ADDRESS = source
///     … every few seconds (consent, RFC 7675) …    consent refreshed for the selected address
///
/// Policies (see Docs/ICE.md): requests that fail authentication are dropped, not answered 400/401,
/// unless `Configuration.unauthenticatedRequests` says otherwise; a request with ICE-CONTROLLED gets
/// 487; the most recent nomination wins; consent expires after 30 s without an authenticated
/// request from the selected address.
///
/// Confinement: mutable state and an HMAC context; one thread (the transport's worker) uses it.
public final class ICELiteAgent {
    // MARK: Types

    public struct Configuration: Sendable, Equatable {
        /// No authenticated request from the selected address for this long: consent is lost
        /// (RFC 7675 §5.1: 30 s), `state` is `.failed` and `consentExpired(now:)` true.
        public var consentTimeout: UInt64
        /// No authenticated request from the selected address for this long: `state` is
        /// `.disconnected` (browsers check every 2.5–6 s, so this is two or three missed checks).
        public var disconnectedAfter: UInt64
        /// What to do with a request addressed to this agent's ufrag that fails authentication.
        public var unauthenticatedRequests: UnauthenticatedRequestPolicy

        public init(consentTimeout: UInt64 = 30 * ICETime.second, disconnectedAfter: UInt64 = 10 * ICETime.second,
                    unauthenticatedRequests: UnauthenticatedRequestPolicy = .drop) {
            self.consentTimeout = consentTimeout
            self.disconnectedAfter = min(disconnectedAfter, consentTimeout)
            self.unauthenticatedRequests = unauthenticatedRequests
        }
    }

    /// Requests that name this agent's ufrag but fail authentication (missing USERNAME or
    /// MESSAGE-INTEGRITY, the peer's ufrag wrong, MESSAGE-INTEGRITY wrong).
    public enum UnauthenticatedRequestPolicy: Sendable, Equatable {
        /// Count and drop (default). Over UDP a client must discard an error response it cannot
        /// authenticate (RFC 8489 §9.1.5), and a 400/401 cannot be signed, so answering helps no
        /// honest peer; it only confirms to a scanner or a spoofer that the port and ufrag are live.
        case drop
        /// Answer 400 (missing credentials) or 401 (wrong ufrag or integrity), unsigned, as RFC 8489
        /// §9.1.3 describes: for diagnosing a misconfigured peer. The answer (48 bytes) is smaller
        /// than any request that reaches this point (≥ 60 bytes), so it amplifies nothing.
        case respondWithError
    }

    /// Why a datagram was dropped. Each has a counter in `Counters`.
    public enum DropReason: Sendable, Equatable, CaseIterable {
        /// Not a parseable STUN message.
        case notSTUN
        /// STUN, but not the Binding method.
        case notBinding
        /// A Binding response: a lite agent sends no requests, so none is expected.
        case unexpectedResponse
        /// FINGERPRINT absent or wrong (ICE requires it, RFC 8445 §7.2.2).
        case badFingerprint
        /// A request without USERNAME or MESSAGE-INTEGRITY.
        case missingCredentials
        /// USERNAME not "<localUfrag>:…": not for this agent (always dropped: answering would tell
        /// a scanner which ufrags exist).
        case unknownUsername
        /// USERNAME "<localUfrag>:<other>" while the peer's ufrag is known and different.
        case wrongRemoteUfrag
        /// MESSAGE-INTEGRITY does not verify with the local password.
        case badIntegrity
        /// The caller's response buffer cannot hold the answer.
        case responseBufferTooSmall
    }

    /// What the owner must do with the datagram just handled.
    public enum Action: Sendable, Equatable {
        /// Send the Binding success response: the first `byteCount` bytes of the response buffer,
        /// to the datagram's source.
        case respond(byteCount: Int)
        /// Send the Binding error response (487, 420, or 400/401 under `.respondWithError`).
        case respondWithError(code: Int, byteCount: Int)
        /// A valid Binding indication (keepalive): nothing to send.
        case accepted
        /// Nothing to send; counted under `reason`.
        case drop(DropReason)
    }

    public struct Outcome: Sendable, Equatable {
        public var action: Action
        /// The request passed FINGERPRINT, USERNAME and MESSAGE-INTEGRITY: its source may be
        /// trusted as the peer (the demux may map this 5-tuple to the transport).
        public var authenticated: Bool
        /// The request carried USE-CANDIDATE and was answered with success: the source is selected.
        public var nominated: Bool
        /// `selectedAddress` changed: first nomination, or the peer nominated another address
        /// (network change). The owner sends media and DTLS to the new address from now on.
        public var selectedChanged: Bool

        @inlinable
        init(_ action: Action, authenticated: Bool = false, nominated: Bool = false, selectedChanged: Bool = false) {
            self.action = action
            self.authenticated = authenticated
            self.nominated = nominated
            self.selectedChanged = selectedChanged
        }
    }

    /// Where the agent is, as of a given time.
    public enum State: Sendable, Equatable {
        /// No authenticated request yet.
        case new
        /// Authenticated requests arrived, none nominated.
        case checking
        /// A selected address whose consent is fresh.
        case connected
        /// A selected address silent for `disconnectedAfter`: may recover (next valid request).
        case disconnected
        /// A selected address silent for `consentTimeout`: consent lost (RFC 7675); the owner should
        /// stop sending and close the transport. A later valid request would still revive it.
        case failed
    }

    /// Every datagram handled lands in exactly one of the outcome counters.
    public struct Counters: Sendable, Equatable {
        public var successResponses: UInt64 = 0
        public var indications: UInt64 = 0
        /// 487 answers to requests carrying ICE-CONTROLLED.
        public var roleConflicts: UInt64 = 0
        /// 420 answers to authenticated requests with unknown comprehension-required attributes.
        public var unknownAttributes: UInt64 = 0
        /// 400/401 answers (only under `.respondWithError`; the cause is also in its drop-reason
        /// counter, which counts the request, not the drop).
        public var unauthenticatedErrors: UInt64 = 0
        public var notSTUN: UInt64 = 0
        public var notBinding: UInt64 = 0
        public var unexpectedResponse: UInt64 = 0
        public var badFingerprint: UInt64 = 0
        public var missingCredentials: UInt64 = 0
        public var unknownUsername: UInt64 = 0
        public var wrongRemoteUfrag: UInt64 = 0
        public var badIntegrity: UInt64 = 0
        public var responseBufferTooSmall: UInt64 = 0
        /// Success responses to requests with USE-CANDIDATE (not an outcome of its own).
        public var nominations: UInt64 = 0
        /// Times the selected address changed (first selection included).
        public var selectedChanges: UInt64 = 0
        public var restarts: UInt64 = 0

        public init() {}

        /// Requests refused for `reason` (under `.respondWithError`, some of these were answered).
        public func count(of reason: DropReason) -> UInt64 {
            switch reason {
            case .notSTUN: notSTUN
            case .notBinding: notBinding
            case .unexpectedResponse: unexpectedResponse
            case .badFingerprint: badFingerprint
            case .missingCredentials: missingCredentials
            case .unknownUsername: unknownUsername
            case .wrongRemoteUfrag: wrongRemoteUfrag
            case .badIntegrity: badIntegrity
            case .responseBufferTooSmall: responseBufferTooSmall
            }
        }

        /// Every datagram handled: the outcome counters summed.
        public var handled: UInt64 {
            successResponses &+ indications &+ roleConflicts &+ unknownAttributes &+ notSTUN &+ notBinding
                &+ unexpectedResponse &+ badFingerprint &+ missingCredentials &+ unknownUsername
                &+ wrongRemoteUfrag &+ badIntegrity &+ responseBufferTooSmall
        }

        @inlinable
        mutating func increment(_ reason: DropReason) {
            switch reason {
            case .notSTUN: notSTUN &+= 1
            case .notBinding: notBinding &+= 1
            case .unexpectedResponse: unexpectedResponse &+= 1
            case .badFingerprint: badFingerprint &+= 1
            case .missingCredentials: missingCredentials &+= 1
            case .unknownUsername: unknownUsername &+= 1
            case .wrongRemoteUfrag: wrongRemoteUfrag &+= 1
            case .badIntegrity: badIntegrity &+= 1
            case .responseBufferTooSmall: responseBufferTooSmall &+= 1
            }
        }
    }

    // MARK: State

    public let configuration: Configuration
    /// This agent's tie-breaker (RFC 8445 §7.1.1). A lite agent never sends checks and answers every
    /// role conflict with 487 whatever the values, so it is kept only for diagnostics.
    public let tieBreaker: UInt64
    public private(set) var localCredentials: ICECredentials
    public private(set) var remoteCredentials: ICECredentials?
    /// The peer address media and DTLS go to: the source of the latest nominating request.
    public private(set) var selectedAddress: SocketAddress?
    /// When the latest authenticated request from `selectedAddress` arrived.
    public private(set) var consentRefreshedAt: UInt64?
    /// True once any authenticated request arrived.
    public private(set) var hasAuthenticatedRequest = false
    public private(set) var counters = Counters()
    private var auth: ICEBindingAuthenticator

    /// Longest Binding success this agent writes (IPv6 XOR-MAPPED-ADDRESS): size the response
    /// buffer at least this large; a 1500-byte receive slot is plenty.
    public static let maxResponseSize = 20 + 24 + 24 + 8

    public init(local: ICECredentials, remote: ICECredentials?,
                tieBreaker: UInt64 = UInt64.random(in: .min ... .max), configuration: Configuration = .init()) {
        self.localCredentials = local
        self.remoteCredentials = remote
        self.tieBreaker = tieBreaker
        self.configuration = configuration
        self.auth = ICEBindingAuthenticator(local: local, remote: remote)
    }

    // MARK: Handling

    /// Handles one datagram the demux classified as STUN (RFC 7983: first byte 0–3).
    public func handle(datagram: UnsafeRawBufferPointer, from source: SocketAddress, now: UInt64,
                       response: UnsafeMutableRawBufferPointer) -> Outcome {
        guard let message = try? STUNMessage(parsing: datagram) else { return drop(.notSTUN) }
        return handle(message, from: source, now: now, response: response)
    }

    /// Handles one parsed STUN message (when the demux already parsed it to find the transport).
    public func handle(_ m: STUNMessage, from source: SocketAddress, now: UInt64,
                       response: UnsafeMutableRawBufferPointer) -> Outcome {
        guard m.type.method == .binding else { return drop(.notBinding) }
        switch m.type.messageClass {
        case .request:
            break
        case .indication:
            // Why: keepalives (RFC 8445 §11) are unauthenticated by design, so they prove nothing
            // and refresh no consent; they are only counted.
            guard m.isFingerprintValid else { return drop(.badFingerprint) }
            counters.indications &+= 1
            return Outcome(.accepted)
        case .successResponse, .errorResponse:
            return drop(.unexpectedResponse)
        }

        switch auth.verify(m) {
        case .valid: break
        case .badFingerprint: return drop(.badFingerprint)
        case .unknownUsername: return drop(.unknownUsername)
        case .missingCredentials: return refuse(m, .missingCredentials, code: STUNErrorCode.badRequest, reason: "Bad Request", response: response)
        case .wrongRemoteUfrag: return refuse(m, .wrongRemoteUfrag, code: STUNErrorCode.unauthorized, reason: "Unauthorized", response: response)
        case .badIntegrity: return refuse(m, .badIntegrity, code: STUNErrorCode.unauthorized, reason: "Unauthorized", response: response)
        }
        hasAuthenticatedRequest = true

        // RFC 8489 §6.3.1: unknown comprehension-required attributes → 420 (checked after
        // authentication, so only the peer learns which ones we lack).
        if m.hasUnknownComprehensionRequired {
            guard let n = try? auth.writeError(code: STUNErrorCode.unknownAttribute, reason: "Unknown Attribute",
                                               to: m, signed: true, into: response)
            else { return drop(.responseBufferTooSmall) }
            counters.unknownAttributes &+= 1
            return Outcome(.respondWithError(code: STUNErrorCode.unknownAttribute, byteCount: n), authenticated: true)
        }

        // Why 487 whatever the tie-breakers (RFC 8445 §7.3.1.1): the sender claims the controlled
        // role, as we do. The RFC lets a controlled agent switch to controlling when its tie-breaker
        // is smaller, but a lite agent cannot control (it sends no checks and cannot nominate), and
        // with a lite peer the full agent MUST be controlling (§6.1.1). 487 tells the peer to switch
        // roles and retry (§7.2.5.1), which is the only resolution that works.
        if m.iceControlled != nil {
            guard let n = try? auth.writeError(code: STUNErrorCode.roleConflict, reason: "Role Conflict",
                                               to: m, signed: true, into: response)
            else { return drop(.responseBufferTooSmall) }
            counters.roleConflicts &+= 1
            return Outcome(.respondWithError(code: STUNErrorCode.roleConflict, byteCount: n), authenticated: true)
        }

        guard let n = try? auth.writeSuccess(transactionID: m.transactionID, mapped: source, into: response)
        else { return drop(.responseBufferTooSmall) }
        counters.successResponses &+= 1

        var outcome = Outcome(.respond(byteCount: n), authenticated: true)
        if m.hasUseCandidate {
            // Why the latest nomination wins: a lite agent does not rank pairs (RFC 8445 §8.2 leaves
            // it to the controlling agent); the browser re-nominates when its network changes, and
            // its checks on the selected pair keep USE-CANDIDATE, so the last one is its choice.
            counters.nominations &+= 1
            outcome.nominated = true
            if selectedAddress != source {
                selectedAddress = source
                counters.selectedChanges &+= 1
                outcome.selectedChanged = true
            }
            consentRefreshedAt = now
        } else if source == selectedAddress {
            consentRefreshedAt = now
        }
        return outcome
    }

    @inline(__always)
    private func drop(_ reason: DropReason) -> Outcome {
        counters.increment(reason)
        return Outcome(.drop(reason))
    }

    /// A request for our ufrag that failed authentication: counted, then dropped or answered
    /// (unsigned) per the policy.
    private func refuse(_ m: STUNMessage, _ reason: DropReason, code: Int, reason phrase: StaticString,
                        response: UnsafeMutableRawBufferPointer) -> Outcome {
        counters.increment(reason)
        guard configuration.unauthenticatedRequests == .respondWithError,
              let n = try? auth.writeError(code: code, reason: phrase, to: m, signed: false, into: response)
        else { return Outcome(.drop(reason)) }
        counters.unauthenticatedErrors &+= 1
        return Outcome(.respondWithError(code: code, byteCount: n))
    }

    // MARK: Consent and state

    /// True when an address is selected and no authenticated request came from it for
    /// `consentTimeout` (RFC 7675 §5.1). Before any selection: false (the owner times out transports
    /// that never connect).
    public func consentExpired(now: UInt64) -> Bool {
        guard let since = silence(now: now) else { return false }
        return since >= configuration.consentTimeout
    }

    /// When consent expires unless a request arrives first: a deadline for the owner's timer.
    public var consentDeadline: UInt64? {
        consentRefreshedAt.map { $0 &+ configuration.consentTimeout }
    }

    public func state(now: UInt64) -> State {
        guard let since = silence(now: now) else { return hasAuthenticatedRequest ? .checking : .new }
        if since >= configuration.consentTimeout { return .failed }
        if since >= configuration.disconnectedAfter { return .disconnected }
        return .connected
    }

    /// Time since the selected address last proved consent; nil when nothing is selected. A `now`
    /// earlier than the last refresh (a caller's clock mix-up) counts as no time.
    private func silence(now: UInt64) -> UInt64? {
        guard selectedAddress != nil, let at = consentRefreshedAt else { return nil }
        return now >= at ? now - at : 0
    }

    // MARK: Credentials

    /// ICE restart (RFC 8445 §9): new credentials on both sides. The selected address and its
    /// consent time stay, so DTLS and SRTP keep flowing until the peer nominates under the new
    /// credentials; requests with the old ones are refused from now on. The owner re-keys its ufrag
    /// table (old local ufrag out, new in).
    public func restart(local: ICECredentials, remote: ICECredentials?) {
        localCredentials = local
        remoteCredentials = remote
        auth = ICEBindingAuthenticator(local: local, remote: remote)
        counters.restarts &+= 1
    }

    /// Sets the peer's credentials once known (e.g. the answer arrives after the agent was created),
    /// keeping the local ones and all state.
    public func setRemoteCredentials(_ remote: ICECredentials?) {
        remoteCredentials = remote
        auth = ICEBindingAuthenticator(local: localCredentials, remote: remote)
    }

    // MARK: Demux helpers

    /// The first part of an ICE USERNAME ("<receiverUfrag>:<senderUfrag>"), viewed in place: the
    /// ufrag of the agent the request is for. Nil without ':' or with an empty first part.
    @inlinable
    public static func localUfrag(inUsername username: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let colon = ICEBindingAuthenticator.colonIndex(username), colon > 0 else { return nil }
        return UnsafeRawBufferPointer(rebasing: username[..<colon])
    }

    /// The local ufrag named by a Binding request's USERNAME, viewed in place in the message.
    @inlinable
    public static func localUfrag(of message: STUNMessage) -> UnsafeRawBufferPointer? {
        message.username.flatMap { localUfrag(inUsername: $0) }
    }
}

/// Nanosecond units for the ICE timers (time is a monotonic `UInt64` in nanoseconds).
public enum ICETime {
    public static let millisecond: UInt64 = 1_000_000
    public static let second: UInt64 = 1_000_000_000
}
