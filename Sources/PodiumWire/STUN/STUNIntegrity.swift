/// MESSAGE-INTEGRITY (RFC 8489 §14.5) and FINGERPRINT (RFC 8489 §14.7).
///
///     MESSAGE-INTEGRITY (type 0x0008, length 20):    FINGERPRINT (type 0x8028, length 4):
///     +-------------------------------+              +-------------------------------+
///     |  HMAC-SHA1 (20 bytes)         |              | CRC-32 of the message before  |
///     +-------------------------------+              | it, XOR 0x5354554E            |
///                                                    +-------------------------------+
///
/// MESSAGE-INTEGRITY is the HMAC-SHA1, keyed with the short-term password (ICE: the peer's ice-pwd,
/// RFC 8445 §7.2.2) or MD5(username ":" realm ":" password) for long-term credentials, of the message
/// up to (excluding) the MESSAGE-INTEGRITY attribute, with the header's length field set as if the
/// message ended right after MESSAGE-INTEGRITY. FINGERPRINT is the CRC-32 of the message up to the
/// FINGERPRINT attribute, with the length field covering FINGERPRINT; it is always the last attribute.

/// Computes HMAC-SHA1 with a key fixed at creation. PodiumWire defines what is hashed; PodiumCrypto's
/// `HMACSHA1` (OpenSSL) conforms. Used generically (`<K: STUNMessageIntegrityKey>`), never as an
/// existential, so the packet path has no dynamic dispatch or boxing.
public protocol STUNMessageIntegrityKey {
    /// Writes HMAC-SHA1(key, part0 ‖ part1 ‖ part2) into the first 20 bytes of `digest` (which has at
    /// least 20). Returns false if the computation failed (then `digest` must not be trusted).
    func hmacSHA1(_ part0: UnsafeRawBufferPointer, _ part1: UnsafeRawBufferPointer, _ part2: UnsafeRawBufferPointer,
                  into digest: UnsafeMutableRawBufferPointer) -> Bool
}

extension STUNMessage {
    /// The value FINGERPRINT's CRC-32 is XORed with ("STUN").
    @inlinable public static var fingerprintXOR: UInt32 { 0x5354_554E }

    /// FINGERPRINT computed over the first `attributeOffset` bytes of `message`, whose length field
    /// must already cover the FINGERPRINT attribute (the builder and a valid sender guarantee that).
    @inlinable
    static func fingerprint(of message: UnsafeRawBufferPointer, upTo attributeOffset: Int) -> UInt32 {
        CRC32.checksum(UnsafeRawBufferPointer(rebasing: message[0..<attributeOffset])) ^ fingerprintXOR
    }

    /// HMAC for a MESSAGE-INTEGRITY attribute whose header is at `attributeOffset` in `message`:
    /// the header with the length adjusted to end after the attribute, then the attributes before it.
    @inlinable
    static func integrity<K: STUNMessageIntegrityKey>(of message: UnsafeRawBufferPointer, upTo attributeOffset: Int,
                                                      key: K, into digest: UnsafeMutableRawBufferPointer) -> Bool {
        let adjustedLength = UInt16(truncatingIfNeeded: attributeOffset + 24 - headerSize).bigEndian
        return withUnsafeBytes(of: adjustedLength) { length in
            key.hmacSHA1(UnsafeRawBufferPointer(rebasing: message[0..<2]), length,
                         UnsafeRawBufferPointer(rebasing: message[4..<attributeOffset]), into: digest)
        }
    }

    /// True when the message carries FINGERPRINT and it matches.
    @inlinable
    public var isFingerprintValid: Bool {
        guard let at = fingerprintOffset, let sent = fingerprint else { return false }
        return Self.fingerprint(of: bytes, upTo: at) == sent
    }

    /// Throws `.integrity` unless FINGERPRINT is present and matches (`.malformed` when absent).
    @inlinable
    public func verifyFingerprint() throws(ParseError) {
        guard let at = fingerprintOffset else { throw ParseError(.malformed, at: 0, "no FINGERPRINT") }
        guard isFingerprintValid else { throw ParseError(.integrity, at: at + 4, "FINGERPRINT mismatch") }
    }

    /// True when MESSAGE-INTEGRITY is present and matches the HMAC under `key`. The comparison takes
    /// the same time wherever the values differ.
    @inlinable
    public func isMessageIntegrityValid<K: STUNMessageIntegrityKey>(key: K) -> Bool {
        guard let mi = messageIntegrity else { return false }
        var digest: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digest) { d in
            guard Self.integrity(of: bytes, upTo: mi.offset, key: key, into: d) else { return false }
            return Self.constantTimeEqual(UnsafeRawBufferPointer(rebasing: d[0..<20]), mi.value)
        }
    }

    /// Throws `.integrity` unless MESSAGE-INTEGRITY is present and valid under `key`
    /// (`.malformed` when absent).
    @inlinable
    public func verifyMessageIntegrity<K: STUNMessageIntegrityKey>(key: K) throws(ParseError) {
        guard let mi = messageIntegrity else { throw ParseError(.malformed, at: 0, "no MESSAGE-INTEGRITY") }
        guard isMessageIntegrityValid(key: key) else { throw ParseError(.integrity, at: mi.offset + 4, "MESSAGE-INTEGRITY mismatch") }
    }

    /// Compares two byte ranges in time that depends only on their length: every byte is visited and the
    /// differences are OR-ed, with no early exit. Unequal lengths return false at once (lengths are public).
    @usableFromInline @inline(never)
    static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
