import COpenSSL
import PodiumWire

/// HMAC-SHA1 (RFC 2104) on OpenSSL EVP_MAC, keyed once and reused for every message: the key for
/// STUN MESSAGE-INTEGRITY (RFC 8489 §14.5) — an ICE password (RFC 8445 §7.2.2) or a long-term key
/// MD5(username ":" realm ":" password) (RFC 8489 §9.2.2).
///
/// Confinement: an instance holds one OpenSSL context that each computation restarts and mutates,
/// so it must be used by one thread at a time — the worker that owns the transport. It is
/// `@unchecked Sendable` only so it can be created elsewhere and handed to that worker.
public final class HMACSHA1: STUNMessageIntegrityKey, @unchecked Sendable {
    /// The digest size in bytes.
    public static let digestSize = 20

    private let context: OpaquePointer

    /// A keyed context; nil if OpenSSL cannot create one (out of memory, SHA-1 unavailable).
    public convenience init?(key: UnsafeRawBufferPointer) {
        guard let context = Self.makeContext(key) else { return nil }
        self.init(context: context)
    }

    /// A keyed context from key bytes (setup time, not the packet path).
    public convenience init?(key: [UInt8]) {
        guard let context = key.withUnsafeBytes({ Self.makeContext($0) }) else { return nil }
        self.init(context: context)
    }

    /// A keyed context whose key is the UTF-8 of `password` — the ICE short-term credential
    /// (ice-pwd is ASCII, so OpaqueString/SASLprep leaves it unchanged).
    public convenience init?(password: String) {
        self.init(key: Array(password.utf8))
    }

    private init(context: OpaquePointer) {
        self.context = context
    }

    private static func makeContext(_ key: UnsafeRawBufferPointer) -> OpaquePointer? {
        // Why: OpenSSL treats a NULL key as "keep the current key"; an empty key needs a real pointer.
        var empty: UInt8 = 0
        return key.count > 0 ? podium_hmac_sha1_new(key.baseAddress, key.count) : podium_hmac_sha1_new(&empty, 0)
    }

    deinit { EVP_MAC_CTX_free(context) }

    /// HMAC-SHA1(key, part0 ‖ part1 ‖ part2) into the first 20 bytes of `digest`.
    public func hmacSHA1(_ part0: UnsafeRawBufferPointer, _ part1: UnsafeRawBufferPointer, _ part2: UnsafeRawBufferPointer,
                         into digest: UnsafeMutableRawBufferPointer) -> Bool {
        guard digest.count >= Self.digestSize, podium_hmac_reinit(context) == 1 else { return false }
        guard update(part0), update(part1), update(part2) else { return false }
        var written = 0
        let ok = EVP_MAC_final(context, digest.baseAddress!.assumingMemoryBound(to: UInt8.self), &written, Self.digestSize)
        return ok == 1 && written == Self.digestSize
    }

    /// HMAC-SHA1(key, message) into `digest` (at least 20 bytes).
    public func authenticate(_ message: UnsafeRawBufferPointer, into digest: UnsafeMutableRawBufferPointer) -> Bool {
        hmacSHA1(message, UnsafeRawBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0), into: digest)
    }

    @inline(__always)
    private func update(_ part: UnsafeRawBufferPointer) -> Bool {
        guard let base = part.baseAddress, part.count > 0 else { return true }
        return EVP_MAC_update(context, base.assumingMemoryBound(to: UInt8.self), part.count) == 1
    }
}
