import PodiumCrypto
import PodiumWire

/// Short-term credential checks of an incoming ICE Binding request (RFC 8445 §7.3, RFC 8489 §9.1.3)
/// and the responses to it, shared by the lite agent and the controlling client.
///
/// A request to this agent carries USERNAME "<localUfrag>:<remoteUfrag>" and MESSAGE-INTEGRITY keyed
/// with the local password; the answer is keyed with the same password. The ufrags are kept as bytes
/// and the key precomputed, so checking a request allocates nothing.
@usableFromInline
struct ICEBindingAuthenticator {
    let localUfrag: [UInt8]
    /// Nil while the peer's credentials are unknown: the sender part of USERNAME is then not checked.
    let remoteUfrag: [UInt8]?
    /// HMAC-SHA1 keyed with the local password: verifies requests to us, signs our answers.
    let localKey: HMACSHA1

    init(local: ICECredentials, remote: ICECredentials?) {
        localUfrag = Array(local.ufrag.utf8)
        remoteUfrag = remote.map { Array($0.ufrag.utf8) }
        localKey = HMACSHA1(password: local.pwd)
    }

    /// The verdict on a request, in the order RFC 8489 §9.1.3 checks (FINGERPRINT first: RFC 8445
    /// §7.3 requires it on every check, and it is what tells STUN from other traffic on a shared port).
    enum Verdict: Equatable {
        case valid
        case badFingerprint
        /// No USERNAME, or no MESSAGE-INTEGRITY: RFC 8489 would answer 400.
        case missingCredentials
        /// USERNAME without ':' or whose first part is not our ufrag: not addressed to this agent.
        case unknownUsername
        /// Our ufrag, but the sender's part is not the peer's current ufrag (a stale generation or a
        /// different peer): RFC 8489 would answer 401.
        case wrongRemoteUfrag
        /// MESSAGE-INTEGRITY does not verify with our password: RFC 8489 would answer 401.
        case badIntegrity
    }

    func verify(_ m: STUNMessage) -> Verdict {
        guard m.isFingerprintValid else { return .badFingerprint }
        guard let username = m.username, m.messageIntegrity != nil else { return .missingCredentials }
        guard let colon = Self.colonIndex(username),
              Self.equal(UnsafeRawBufferPointer(rebasing: username[..<colon]), localUfrag)
        else { return .unknownUsername }
        if let remoteUfrag, !Self.equal(UnsafeRawBufferPointer(rebasing: username[(colon + 1)...]), remoteUfrag) {
            return .wrongRemoteUfrag
        }
        guard m.isMessageIntegrityValid(key: localKey) else { return .badIntegrity }
        return .valid
    }

    // Why plain loops: the generic `firstIndex(of:)` / `elementsEqual` allocate in unoptimised
    // builds (measured: 9 mallocs per USERNAME split), and tests and the fuzzer run unoptimised.

    /// Offset of the first ':' in an ICE USERNAME.
    @inlinable
    static func colonIndex(_ u: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: ":") { return i }
            i += 1
        }
        return nil
    }

    @inlinable
    static func equal(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return b.withUnsafeBytes { b in
            var i = 0
            while i < a.count {
                if a[i] != b[i] { return false }
                i += 1
            }
            return true
        }
    }

    // MARK: Answers

    /// Binding success: XOR-MAPPED-ADDRESS = where the request came from (RFC 8445 §7.3.1.2 — that
    /// is how the peer learns its peer-reflexive address), MESSAGE-INTEGRITY, FINGERPRINT.
    func writeSuccess(transactionID: STUNTransactionID, mapped: SocketAddress,
                      into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var b = try STUNMessageBuilder(into: buffer, type: .bindingSuccess, transactionID: transactionID)
        try b.appendXORMappedAddress(mapped)
        try b.appendMessageIntegrity(key: localKey)
        try b.appendFingerprint()
        return b.count
    }

    /// Binding error with ERROR-CODE; signed when the request was authenticated (487, 420), unsigned
    /// when it was not (400, 401: there is no shared key to sign with, RFC 8489 §9.1.3). 420 lists
    /// the request's unknown comprehension-required attributes.
    func writeError(code: Int, reason: StaticString, to request: STUNMessage, signed: Bool,
                    into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var b = try STUNMessageBuilder(into: buffer, type: .bindingError, transactionID: request.transactionID)
        try b.appendErrorCode(code, reason: UnsafeRawBufferPointer(start: reason.utf8Start, count: reason.utf8CodeUnitCount))
        if code == STUNErrorCode.unknownAttribute { try b.appendUnknownAttributes(of: request) }
        if signed { try b.appendMessageIntegrity(key: localKey) }
        try b.appendFingerprint()
        return b.count
    }
}
