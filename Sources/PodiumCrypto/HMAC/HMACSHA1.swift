import COpenSSL
import PodiumWire

/// HMAC-SHA1 (RFC 2104), keyed once and reused for every message: the key for STUN
/// MESSAGE-INTEGRITY (RFC 8489 §14.5) — an ICE password (RFC 8445 §7.2.2) or a long-term key
/// MD5(username ":" realm ":" password) (RFC 8489 §9.2.2).
///
/// Why not EVP_MAC: in OpenSSL 3.0 restarting a keyed EVP_MAC context duplicates the digest state
/// (2 mallocs per message). This runs on OpenSSL's SHA-1 with the inner and outer states precomputed
/// from the key (`podium_hmac_sha1_*` in the COpenSSL shim), copied per message: no allocation.
///
/// Confinement: an instance holds mutable hash state, so it must be used by one thread at a time —
/// the worker that owns the transport. It is `@unchecked Sendable` only so it can be created
/// elsewhere and handed to that worker.
public final class HMACSHA1: STUNMessageIntegrityKey, @unchecked Sendable {
    /// The digest size in bytes.
    public static let digestSize = 20

    private let state: UnsafeMutablePointer<podium_hmac_sha1_t>

    /// A keyed context for the key bytes.
    public init(key: UnsafeRawBufferPointer) {
        state = .allocate(capacity: 1)
        podium_hmac_sha1_setkey(state, key.baseAddress, key.count)
    }

    /// A keyed context from key bytes (setup time, not the packet path).
    public convenience init(key: [UInt8]) {
        self.init(key: key.withUnsafeBytes { UnsafeRawBufferPointer($0) })
    }

    /// A keyed context whose key is the UTF-8 of `password` — the ICE short-term credential
    /// (ice-pwd is ASCII, so OpaqueString/SASLprep leaves it unchanged).
    public convenience init(password: String) {
        self.init(key: Array(password.utf8))
    }

    deinit {
        podium_hmac_sha1_clear(state)
        state.deallocate()
    }

    /// HMAC-SHA1(key, part0 ‖ part1 ‖ part2) into the first 20 bytes of `digest`.
    public func hmacSHA1(_ part0: UnsafeRawBufferPointer, _ part1: UnsafeRawBufferPointer, _ part2: UnsafeRawBufferPointer,
                         into digest: UnsafeMutableRawBufferPointer) -> Bool {
        guard digest.count >= Self.digestSize else { return false }
        podium_hmac_sha1_begin(state)
        update(part0)
        update(part1)
        update(part2)
        podium_hmac_sha1_final(state, digest.baseAddress!.assumingMemoryBound(to: UInt8.self))
        return true
    }

    /// HMAC-SHA1(key, message) into `digest` (at least 20 bytes).
    public func authenticate(_ message: UnsafeRawBufferPointer, into digest: UnsafeMutableRawBufferPointer) -> Bool {
        hmacSHA1(message, UnsafeRawBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0), into: digest)
    }

    @inline(__always)
    private func update(_ part: UnsafeRawBufferPointer) {
        guard let base = part.baseAddress, part.count > 0 else { return }
        podium_hmac_sha1_update(state, base, part.count)
    }
}
