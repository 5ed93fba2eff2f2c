/// Builds a STUN message (RFC 8489 §5, §14) into a caller-owned buffer, without allocating.
///
///     +--------------------+-------------+-----+---------------------+-------------+
///     | header (20 bytes)  | attribute 1 | ... | MESSAGE-INTEGRITY   | FINGERPRINT |
///     | length kept current|  (padded)   |     | (24 bytes, optional)| (8, last)   |
///     +--------------------+-------------+-----+---------------------+-------------+
///
/// Append attributes in wire order, then optionally MESSAGE-INTEGRITY, then optionally FINGERPRINT.
/// The header's length field is updated after every append, so the message is complete at any
/// point: `count` bytes of `buffer`.
public struct STUNMessageBuilder {
    public let buffer: UnsafeMutableRawBufferPointer
    public let transactionID: STUNTransactionID
    /// Bytes written so far (header included).
    @inlinable public var count: Int { _count }
    @usableFromInline var _count: Int
    /// The byte written into attribute padding. RFC 8489 §14 says padding "MUST be ignored by the
    /// receiver" and may be any value; senders should use 0. RFC 5769's vectors use 0x20.
    public var paddingByte: UInt8 = 0

    /// Largest message: the length field is 16 bits and must stay a multiple of 4.
    @inlinable public static var maxSize: Int { STUNMessage.headerSize + 0xFFFC }

    /// Writes the 20-byte header (length 0).
    @inlinable
    public init(into buffer: UnsafeMutableRawBufferPointer, type: STUNMessageType, transactionID: STUNTransactionID) throws(BufferTooSmall) {
        guard buffer.count >= STUNMessage.headerSize else { throw BufferTooSmall(needed: STUNMessage.headerSize, available: buffer.count) }
        self.buffer = buffer
        self.transactionID = transactionID
        self._count = STUNMessage.headerSize
        buffer.storeBigEndian(type.rawValue, at: 0)
        buffer.storeBigEndian(UInt16(0), at: 2)
        buffer.storeBigEndian(STUNMessage.magicCookie, at: 4)
        buffer.storeBigEndian(transactionID.high, at: 8)
        buffer.storeBigEndian(transactionID.low, at: 12)
    }

    /// The message built so far.
    @inlinable
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }

    /// Reserves an attribute with a `length`-byte value: writes its header and padding, updates the
    /// message length, and returns the offset of the value for the caller to fill.
    @inlinable
    public mutating func appendAttribute(_ type: STUNAttributeType, length: Int) throws(BufferTooSmall) -> Int {
        let padded = (length + 3) & ~3
        let end = count + 4 + padded
        guard length >= 0, length <= 0xFFFF, end <= Self.maxSize, end <= buffer.count else {
            throw BufferTooSmall(needed: count + 4 + max(padded, 0), available: min(buffer.count, Self.maxSize))
        }
        buffer.storeBigEndian(type.rawValue, at: count)
        buffer.storeBigEndian(UInt16(length), at: count + 2)
        let valueOffset = count + 4
        for i in valueOffset + length..<end { buffer[i] = paddingByte }
        _count = end
        buffer.storeBigEndian(UInt16(truncatingIfNeeded: count - STUNMessage.headerSize), at: 2)
        return valueOffset
    }

    /// Appends any attribute with the given value bytes (copied).
    @inlinable
    public mutating func append(_ type: STUNAttributeType, value: UnsafeRawBufferPointer) throws(BufferTooSmall) {
        let at = try appendAttribute(type, length: value.count)
        if value.count > 0 { (buffer.baseAddress! + at).copyMemory(from: value.baseAddress!, byteCount: value.count) }
    }

    /// Appends an attribute whose value is the UTF-8 of `text` (not on the packet path: may copy a
    /// non-native string).
    public mutating func append(_ type: STUNAttributeType, utf8 text: String) throws(BufferTooSmall) {
        var text = text
        var failure: BufferTooSmall?
        text.withUTF8 { p in
            do throws(BufferTooSmall) { try append(type, value: UnsafeRawBufferPointer(p)) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// USERNAME (RFC 8489 §14.3). ICE: "remote-ufrag:local-ufrag".
    @inlinable
    public mutating func appendUsername(_ value: UnsafeRawBufferPointer) throws(BufferTooSmall) { try append(.username, value: value) }

    /// SOFTWARE (RFC 8489 §14.14).
    @inlinable
    public mutating func appendSoftware(_ value: UnsafeRawBufferPointer) throws(BufferTooSmall) { try append(.software, value: value) }

    /// PRIORITY (RFC 8445 §16.1).
    @inlinable
    public mutating func appendPriority(_ priority: UInt32) throws(BufferTooSmall) {
        let at = try appendAttribute(.priority, length: 4)
        buffer.storeBigEndian(priority, at: at)
    }

    /// USE-CANDIDATE (RFC 8445 §16.1), no value.
    @inlinable
    public mutating func appendUseCandidate() throws(BufferTooSmall) { _ = try appendAttribute(.useCandidate, length: 0) }

    /// ICE-CONTROLLING with its tie-breaker (RFC 8445 §16.1).
    @inlinable
    public mutating func appendICEControlling(_ tieBreaker: UInt64) throws(BufferTooSmall) {
        let at = try appendAttribute(.iceControlling, length: 8)
        buffer.storeBigEndian(tieBreaker, at: at)
    }

    /// ICE-CONTROLLED with its tie-breaker (RFC 8445 §16.1).
    @inlinable
    public mutating func appendICEControlled(_ tieBreaker: UInt64) throws(BufferTooSmall) {
        let at = try appendAttribute(.iceControlled, length: 8)
        buffer.storeBigEndian(tieBreaker, at: at)
    }

    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2), XORed with the cookie and this message's transaction ID.
    @inlinable
    public mutating func appendXORMappedAddress(_ address: SocketAddress) throws(BufferTooSmall) {
        let at = try appendAttribute(.xorMappedAddress, length: address.encodedSize)
        address.store(into: buffer, at: at, xorWith: transactionID)
    }

    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    @inlinable
    public mutating func appendMappedAddress(_ address: SocketAddress) throws(BufferTooSmall) {
        let at = try appendAttribute(.mappedAddress, length: address.encodedSize)
        address.store(into: buffer, at: at, xorWith: nil)
    }

    /// ERROR-CODE (RFC 8489 §14.8). `code` must be 300–699; `reason` is UTF-8, at most 763 bytes.
    @inlinable
    public mutating func appendErrorCode(_ code: Int, reason: UnsafeRawBufferPointer) throws(BufferTooSmall) {
        precondition((300...699).contains(code), "STUN error code must be 300-699")
        let at = try appendAttribute(.errorCode, length: 4 + reason.count)
        buffer.storeBigEndian(UInt16(0), at: at)
        buffer[at + 2] = UInt8(code / 100)
        buffer[at + 3] = UInt8(code % 100)
        if reason.count > 0 { (buffer.baseAddress! + at + 4).copyMemory(from: reason.baseAddress!, byteCount: reason.count) }
    }

    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13) listing `message`'s comprehension-required attributes
    /// that are not understood, in wire order, for a 420 response (a type sent twice is listed twice).
    @inlinable
    public mutating func appendUnknownAttributes(of message: STUNMessage) throws(BufferTooSmall) {
        var n = 0
        var it = message.unknownComprehensionRequired
        while it.next() != nil { n += 1 }
        var at = try appendAttribute(.unknownAttributes, length: 2 * n)
        it = message.unknownComprehensionRequired
        while let t = it.next() {
            buffer.storeBigEndian(t.rawValue, at: at)
            at += 2
        }
    }

    /// MESSAGE-INTEGRITY (RFC 8489 §14.5) over everything appended so far, keyed by `key`.
    /// Precondition: the key computes (OpenSSL HMAC fails only on allocation failure or misuse).
    @inlinable
    public mutating func appendMessageIntegrity<K: STUNMessageIntegrityKey>(key: K) throws(BufferTooSmall) {
        let headerAt = count
        let at = try appendAttribute(.messageIntegrity, length: 20)
        let ok = STUNMessage.integrity(of: UnsafeRawBufferPointer(buffer), upTo: headerAt, key: key,
                                       into: UnsafeMutableRawBufferPointer(rebasing: buffer[at..<at + 20]))
        precondition(ok, "HMAC-SHA1 computation failed")
    }

    /// FINGERPRINT (RFC 8489 §14.7); it must be the last attribute.
    @inlinable
    public mutating func appendFingerprint() throws(BufferTooSmall) {
        let headerAt = count
        let at = try appendAttribute(.fingerprint, length: 4)
        buffer.storeBigEndian(STUNMessage.fingerprint(of: UnsafeRawBufferPointer(buffer), upTo: headerAt), at: at)
    }
}
