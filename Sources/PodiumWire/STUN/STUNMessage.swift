/// STUN message (RFC 8489 §5, §6, §14) as ICE uses it (RFC 8445 §7, §16), viewed in place.
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |0 0|     STUN Message Type     |         Message Length        |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                         Magic Cookie                          |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                                                               |
///     |                     Transaction ID (96 bits)                  |
///     |                                                               |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                 Attributes (Message Length bytes)            ...
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// Message Length counts the bytes after the 20-byte header, a multiple of 4; the magic cookie is
/// 0x2112A442. Over UDP one datagram holds exactly one message.

/// A parsed STUN message: the header decoded, every attribute bounds-checked, and the attributes
/// that matter indexed by offset in one pass, so the typed accessors are O(1) and never fail.
///
/// Parsing rejects: a datagram shorter than the header or than the announced length, trailing
/// bytes, a length not a multiple of 4, a wrong magic cookie, an attribute running past the end, any
/// attribute after FINGERPRINT (it must be last, §14.7), and a known attribute with an invalid
/// value. Following §14.5/§14.6, attributes after MESSAGE-INTEGRITY other than
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (and after MESSAGE-INTEGRITY-SHA256 other than
/// FINGERPRINT) are bounds-checked and iterable but otherwise ignored. Of repeated attributes only
/// the first counts.
public struct STUNMessage: CustomStringConvertible {
    @inlinable public static var headerSize: Int { 20 }
    @inlinable public static var magicCookie: UInt32 { 0x2112_A442 }
    /// Longest USERNAME value accepted (RFC 5389 §15.3: less than 513 bytes; RFC 8489 lowered it to 509).
    @inlinable public static var maxUsernameBytes: Int { 513 }
    /// Longest SOFTWARE, REALM and NONCE value accepted (RFC 8489 §14.9–14.14: up to 763 bytes).
    @inlinable public static var maxTextBytes: Int { 763 }

    /// The whole message, header included (exactly the parsed datagram).
    public let bytes: UnsafeRawBufferPointer
    public let type: STUNMessageType
    public let transactionID: STUNTransactionID
    @usableFromInline let index: Index

    /// Offsets (from the message start) of the first occurrence of each attribute; 0 = absent.
    @usableFromInline
    struct Index: Sendable {
        @usableFromInline var username: UInt16 = 0
        @usableFromInline var priority: UInt16 = 0
        @usableFromInline var useCandidate: UInt16 = 0
        @usableFromInline var iceControlling: UInt16 = 0
        @usableFromInline var iceControlled: UInt16 = 0
        @usableFromInline var xorMappedAddress: UInt16 = 0
        @usableFromInline var mappedAddress: UInt16 = 0
        @usableFromInline var errorCode: UInt16 = 0
        @usableFromInline var software: UInt16 = 0
        @usableFromInline var unknownAttributes: UInt16 = 0
        @usableFromInline var realm: UInt16 = 0
        @usableFromInline var nonce: UInt16 = 0
        @usableFromInline var messageIntegrity: UInt16 = 0
        @usableFromInline var messageIntegritySHA256: UInt16 = 0
        @usableFromInline var fingerprint: UInt16 = 0
        /// First comprehension-required attribute this codec does not understand (before integrity).
        @usableFromInline var firstUnknownRequired: UInt16 = 0
        /// Where the attributes that count end: the first MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT.
        @usableFromInline var countedEnd: UInt16 = 0
        @usableFromInline init() {}
    }

    /// Parses one datagram holding exactly one STUN message.
    @inlinable
    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        guard bytes.count >= Self.headerSize else { throw ParseError(.truncated, at: 0, "STUN header") }
        let rawType = bytes.loadBigEndianUInt16(at: 0)
        guard rawType & 0xC000 == 0 else { throw ParseError(.malformed, at: 0, "STUN first two bits not zero") }
        let length = Int(bytes.loadBigEndianUInt16(at: 2))
        guard length & 3 == 0 else { throw ParseError(.malformed, at: 2, "STUN message length not a multiple of 4") }
        guard bytes.loadBigEndianUInt32(at: 4) == Self.magicCookie else { throw ParseError(.malformed, at: 4, "STUN magic cookie") }
        let total = Self.headerSize + length
        guard total <= bytes.count else { throw ParseError(.truncated, at: 2, "STUN message length past end of datagram") }
        guard total == bytes.count else { throw ParseError(.malformed, at: total, "bytes after the STUN message") }
        // Why: offsets are indexed as UInt16. A UDP payload cannot exceed 65,527 bytes, but the
        // header allows 20 + 65,532.
        guard total <= Int(UInt16.max) else { throw ParseError(.limitExceeded, at: 2, "STUN message longer than 65535 bytes") }

        self.bytes = bytes
        self.type = STUNMessageType(rawValue: rawType)
        self.transactionID = STUNTransactionID(high: bytes.loadBigEndianUInt32(at: 8), low: bytes.loadBigEndianUInt64(at: 12))
        self.index = try Self.buildIndex(bytes, transactionID: transactionID)
    }

    /// Walks the attributes once: bounds, order rules, value checks of known attributes, offsets.
    @inlinable
    static func buildIndex(_ bytes: UnsafeRawBufferPointer, transactionID: STUNTransactionID) throws(ParseError) -> Index {
        var index = Index()
        // 0: normal; 1: after MESSAGE-INTEGRITY; 2: after MESSAGE-INTEGRITY-SHA256; 3: after FINGERPRINT.
        var phase = 0
        var offset = headerSize
        let end = bytes.count
        while offset < end {
            guard phase < 3 else { throw ParseError(.malformed, at: offset, "attribute after FINGERPRINT") }
            // end - offset is a positive multiple of 4 here, so the 4-byte header fits.
            let type = bytes.loadBigEndianUInt16(at: offset)
            let length = Int(bytes.loadBigEndianUInt16(at: offset + 2))
            let start = offset + 4
            guard length <= end - start else { throw ParseError(.truncated, at: offset + 2, "STUN attribute length past end of message") }
            let value = UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
            let at = UInt16(truncatingIfNeeded: offset)

            switch type {
            case STUNAttributeType.fingerprint.rawValue:
                guard length == 4 else { throw ParseError(.malformed, at: offset + 2, "FINGERPRINT length not 4") }
                if index.countedEnd == 0 { index.countedEnd = at }
                index.fingerprint = at
                phase = 3
            case STUNAttributeType.messageIntegritySHA256.rawValue where phase < 2:
                // Why: §14.6 allows a truncated tag of 16 to 32 bytes, in 4-byte steps.
                guard length >= 16, length <= 32, length & 3 == 0 else { throw ParseError(.malformed, at: offset + 2, "MESSAGE-INTEGRITY-SHA256 length not 16-32") }
                if index.countedEnd == 0 { index.countedEnd = at }
                index.messageIntegritySHA256 = at
                phase = 2
            case STUNAttributeType.messageIntegrity.rawValue where phase == 0:
                guard length == 20 else { throw ParseError(.malformed, at: offset + 2, "MESSAGE-INTEGRITY length not 20") }
                index.countedEnd = at
                index.messageIntegrity = at
                phase = 1
            default:
                if phase == 0 { try index.record(type: type, value: value, at: at, transactionID: transactionID) }
            }
            offset = start + (length + 3) & ~3
        }
        if index.countedEnd == 0 { index.countedEnd = UInt16(truncatingIfNeeded: end) }
        return index
    }

    // MARK: Typed accessors (validated while parsing)

    /// USERNAME (RFC 8489 §14.3): for ICE, "remote-ufrag:local-ufrag" (RFC 8445 §7.2.2), at most 513 bytes.
    @inlinable public var username: UnsafeRawBufferPointer? { value(at: index.username) }
    /// USERNAME split at its first ':' (RFC 8445 §7.2.2): `receiver` is the ufrag of the agent the
    /// request is sent to (the first part), `sender` the ufrag of the agent sending it. Nil without
    /// USERNAME or without a ':'.
    @inlinable
    public var iceUsernameFragments: (receiver: UnsafeRawBufferPointer, sender: UnsafeRawBufferPointer)? {
        guard let u = username, let colon = u.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return (UnsafeRawBufferPointer(rebasing: u[..<colon]), UnsafeRawBufferPointer(rebasing: u[(colon + 1)...]))
    }
    /// PRIORITY (RFC 8445 §16.1).
    @inlinable public var priority: UInt32? { index.priority == 0 ? nil : bytes.loadBigEndianUInt32(at: Int(index.priority) + 4) }
    /// USE-CANDIDATE (RFC 8445 §16.1): present or not.
    @inlinable public var hasUseCandidate: Bool { index.useCandidate != 0 }
    /// ICE-CONTROLLING tie-breaker (RFC 8445 §16.1).
    @inlinable public var iceControlling: UInt64? { index.iceControlling == 0 ? nil : bytes.loadBigEndianUInt64(at: Int(index.iceControlling) + 4) }
    /// ICE-CONTROLLED tie-breaker (RFC 8445 §16.1).
    @inlinable public var iceControlled: UInt64? { index.iceControlled == 0 ? nil : bytes.loadBigEndianUInt64(at: Int(index.iceControlled) + 4) }
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2), un-XORed.
    @inlinable public var xorMappedAddress: SocketAddress? { address(at: index.xorMappedAddress, xor: true) }
    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    @inlinable public var mappedAddress: SocketAddress? { address(at: index.mappedAddress, xor: false) }
    /// ERROR-CODE (RFC 8489 §14.8).
    @inlinable public var errorCode: STUNErrorCode? {
        guard let v = value(at: index.errorCode) else { return nil }
        return try? STUNErrorCode(parsing: v, offset: Int(index.errorCode))
    }
    /// SOFTWARE (RFC 8489 §14.14), UTF-8, at most 763 bytes.
    @inlinable public var software: UnsafeRawBufferPointer? { value(at: index.software) }
    /// REALM (RFC 8489 §14.9), at most 763 bytes.
    @inlinable public var realm: UnsafeRawBufferPointer? { value(at: index.realm) }
    /// NONCE (RFC 8489 §14.10), at most 763 bytes.
    @inlinable public var nonce: UnsafeRawBufferPointer? { value(at: index.nonce) }
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13): the types a 420 response lists.
    @inlinable public var unknownAttributes: STUNAttributeTypeList? { value(at: index.unknownAttributes).map(STUNAttributeTypeList.init(value:)) }
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5): where its header is and its 20-byte HMAC-SHA1 value.
    @inlinable public var messageIntegrity: STUNAttribute? { attribute(at: index.messageIntegrity) }
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6). Present only; this codec does not verify it.
    @inlinable public var messageIntegritySHA256: STUNAttribute? { attribute(at: index.messageIntegritySHA256) }
    @inlinable public var hasMessageIntegritySHA256: Bool { index.messageIntegritySHA256 != 0 }
    /// FINGERPRINT (RFC 8489 §14.7): the value as sent (CRC-32 XOR 0x5354554E).
    @inlinable public var fingerprint: UInt32? { index.fingerprint == 0 ? nil : bytes.loadBigEndianUInt32(at: Int(index.fingerprint) + 4) }
    /// Offset of the FINGERPRINT attribute header (it is always the last attribute).
    @inlinable public var fingerprintOffset: Int? { index.fingerprint == 0 ? nil : Int(index.fingerprint) }

    /// Every attribute in wire order, unknown ones included.
    @inlinable public var attributes: STUNAttributeIterator { STUNAttributeIterator(bytes: bytes) }

    /// The first attribute of `type` among those that count (before MESSAGE-INTEGRITY), or, for
    /// MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT, the one the index kept. A linear scan.
    @inlinable
    public func first(_ type: STUNAttributeType) -> STUNAttribute? {
        switch type {
        case .messageIntegrity: return messageIntegrity
        case .messageIntegritySHA256: return messageIntegritySHA256
        case .fingerprint: return attribute(at: index.fingerprint)
        default:
            var it = attributes
            while let a = it.next(), a.offset < Int(index.countedEnd) {
                if a.type == type { return a }
            }
            return nil
        }
    }

    /// True when an attribute that counts is comprehension-required and not understood: a request
    /// carrying one must be answered with 420 (RFC 8489 §6.3.1.1).
    @inlinable public var hasUnknownComprehensionRequired: Bool { index.firstUnknownRequired != 0 }

    /// The types to list in the 420 response's UNKNOWN-ATTRIBUTES.
    @inlinable
    public var unknownComprehensionRequired: STUNUnknownRequiredIterator {
        STUNUnknownRequiredIterator(attributes: STUNAttributeIterator(bytes: bytes), end: Int(index.countedEnd))
    }

    // MARK: Wire API

    @inlinable public var encodedSize: Int { bytes.count }

    /// Copies the message as received.
    @inlinable
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.write(bytes: bytes)
        return w.offset
    }

    /// True when the datagram starts like a STUN message (RFC 8489 §6 and RFC 7983: first two bits
    /// zero, magic cookie, length fits). A cheap classifier, not a parse.
    @inlinable
    public static func looksLikeSTUN(_ datagram: UnsafeRawBufferPointer) -> Bool {
        datagram.count >= headerSize && datagram[0] & 0xC0 == 0
            && datagram.loadBigEndianUInt32(at: 4) == magicCookie
            && Int(datagram.loadBigEndianUInt16(at: 2)) + headerSize == datagram.count
    }

    public var description: String {
        var s = "STUN \(type) \(transactionID)"
        var it = attributes
        while let a = it.next() {
            s += "\n  " + a.type.description + ": "
            switch a.type {
            case .username, .software, .realm, .nonce:
                s += "\"" + String(decoding: a.value, as: UTF8.self) + "\""
            case .priority where a.value.count == 4:
                s += "\(a.value.loadBigEndianUInt32(at: 0))"
            case .iceControlling, .iceControlled:
                s += a.value.count == 8 ? "0x" + String(a.value.loadBigEndianUInt64(at: 0), radix: 16) : "\(a.value.count) bytes"
            case .xorMappedAddress, .mappedAddress:
                if let addr = try? SocketAddress(parsing: a.value, xorWith: a.type == .xorMappedAddress ? transactionID : nil, offset: a.offset) {
                    s += addr.description
                }
            case .errorCode:
                if let e = try? STUNErrorCode(parsing: a.value, offset: a.offset) { s += e.description }
            case .fingerprint where a.value.count == 4:
                s += "0x" + String(a.value.loadBigEndianUInt32(at: 0), radix: 16)
            default:
                s += a.value.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
            }
        }
        return s
    }

    // MARK: Helpers

    @inlinable
    func value(at offset: UInt16) -> UnsafeRawBufferPointer? {
        guard offset != 0 else { return nil }
        let o = Int(offset)
        let length = Int(bytes.loadBigEndianUInt16(at: o + 2))
        return UnsafeRawBufferPointer(rebasing: bytes[o + 4..<o + 4 + length])
    }

    @inlinable
    func attribute(at offset: UInt16) -> STUNAttribute? {
        guard let v = value(at: offset) else { return nil }
        return STUNAttribute(type: STUNAttributeType(rawValue: bytes.loadBigEndianUInt16(at: Int(offset))), value: v, offset: Int(offset))
    }

    @inlinable
    func address(at offset: UInt16, xor: Bool) -> SocketAddress? {
        guard let v = value(at: offset) else { return nil }
        return try? SocketAddress(parsing: v, xorWith: xor ? transactionID : nil, offset: Int(offset))
    }
}

extension STUNMessage.Index {
    /// Checks and records one attribute that counts (before any integrity attribute).
    @inlinable
    mutating func record(type: UInt16, value: UnsafeRawBufferPointer, at: UInt16, transactionID: STUNTransactionID) throws(ParseError) {
        let offset = Int(at)
        switch type {
        case STUNAttributeType.username.rawValue where username == 0:
            guard value.count <= STUNMessage.maxUsernameBytes else { throw ParseError(.limitExceeded, at: offset + 2, "USERNAME longer than 513 bytes") }
            username = at
        case STUNAttributeType.priority.rawValue where priority == 0:
            guard value.count == 4 else { throw ParseError(.malformed, at: offset + 2, "PRIORITY length not 4") }
            priority = at
        case STUNAttributeType.useCandidate.rawValue where useCandidate == 0:
            guard value.count == 0 else { throw ParseError(.malformed, at: offset + 2, "USE-CANDIDATE length not 0") }
            useCandidate = at
        case STUNAttributeType.iceControlling.rawValue where iceControlling == 0:
            guard value.count == 8 else { throw ParseError(.malformed, at: offset + 2, "ICE-CONTROLLING length not 8") }
            iceControlling = at
        case STUNAttributeType.iceControlled.rawValue where iceControlled == 0:
            guard value.count == 8 else { throw ParseError(.malformed, at: offset + 2, "ICE-CONTROLLED length not 8") }
            iceControlled = at
        case STUNAttributeType.xorMappedAddress.rawValue where xorMappedAddress == 0:
            _ = try SocketAddress(parsing: value, xorWith: transactionID, offset: offset + 4)
            xorMappedAddress = at
        case STUNAttributeType.mappedAddress.rawValue where mappedAddress == 0:
            _ = try SocketAddress(parsing: value, xorWith: nil, offset: offset + 4)
            mappedAddress = at
        case STUNAttributeType.errorCode.rawValue where errorCode == 0:
            _ = try STUNErrorCode(parsing: value, offset: offset)
            errorCode = at
        case STUNAttributeType.software.rawValue where software == 0:
            guard value.count <= STUNMessage.maxTextBytes else { throw ParseError(.limitExceeded, at: offset + 2, "SOFTWARE longer than 763 bytes") }
            software = at
        case STUNAttributeType.realm.rawValue where realm == 0:
            guard value.count <= STUNMessage.maxTextBytes else { throw ParseError(.limitExceeded, at: offset + 2, "REALM longer than 763 bytes") }
            realm = at
        case STUNAttributeType.nonce.rawValue where nonce == 0:
            guard value.count <= STUNMessage.maxTextBytes else { throw ParseError(.limitExceeded, at: offset + 2, "NONCE longer than 763 bytes") }
            nonce = at
        case STUNAttributeType.unknownAttributes.rawValue where unknownAttributes == 0:
            guard value.count & 1 == 0 else { throw ParseError(.malformed, at: offset + 2, "UNKNOWN-ATTRIBUTES length odd") }
            unknownAttributes = at
        default:
            if firstUnknownRequired == 0, !STUNAttributeType(rawValue: type).isUnderstood { firstUnknownRequired = at }
        }
    }
}
