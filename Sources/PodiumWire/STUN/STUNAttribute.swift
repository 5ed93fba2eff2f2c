/// STUN attributes (RFC 8489 §14): type-length-value, each padded to a multiple of 4 bytes.
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |         Type                  |            Length             |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                         Value (variable)                ....
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// Length counts the value only, not the 0–3 padding bytes that follow it.

/// One attribute viewed in place (no copy): its type, its value bytes, and where its header starts
/// in the message.
public struct STUNAttribute: CustomStringConvertible {
    public let type: STUNAttributeType
    /// The value, without padding.
    public let value: UnsafeRawBufferPointer
    /// Offset of the attribute's 4-byte header from the start of the message.
    public let offset: Int

    @inlinable
    init(type: STUNAttributeType, value: UnsafeRawBufferPointer, offset: Int) {
        self.type = type
        self.value = value
        self.offset = offset
    }

    public var description: String { "\(type) (\(value.count) bytes)" }
}

/// Iterates every attribute of a parsed message in wire order, including unknown ones and ones the
/// RFC says to ignore (after MESSAGE-INTEGRITY). Bounds were checked when the message was parsed.
public struct STUNAttributeIterator: IteratorProtocol, Sequence {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var offset: Int

    @inlinable
    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.offset = STUNMessage.headerSize
    }

    @inlinable
    public mutating func next() -> STUNAttribute? {
        guard bytes.count - offset >= 4 else { return nil }
        let type = STUNAttributeType(rawValue: bytes.loadBigEndianUInt16(at: offset))
        let length = Int(bytes.loadBigEndianUInt16(at: offset + 2))
        let start = offset + 4
        guard length <= bytes.count - start else { return nil }
        let attribute = STUNAttribute(type: type, value: UnsafeRawBufferPointer(rebasing: bytes[start..<start + length]), offset: offset)
        offset = start + (length + 3) & ~3
        return attribute
    }
}

/// ERROR-CODE (RFC 8489 §14.8): class (3–6) and number (0–99), then a UTF-8 reason phrase.
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |           Reserved, should be 0         |Class|     Number    |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |      Reason Phrase (variable)                                ..
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
public struct STUNErrorCode: CustomStringConvertible {
    /// The code, class × 100 + number: 300–699.
    public let code: Int
    /// The reason phrase bytes (UTF-8, at most 763 bytes), viewed in place.
    public let reason: UnsafeRawBufferPointer

    @inlinable public static var tryAlternate: Int { 300 }
    @inlinable public static var badRequest: Int { 400 }
    @inlinable public static var unauthorized: Int { 401 }
    @inlinable public static var unknownAttribute: Int { 420 }
    @inlinable public static var staleNonce: Int { 438 }
    /// ICE role conflict (RFC 8445 §7.3.1.1).
    @inlinable public static var roleConflict: Int { 487 }
    @inlinable public static var serverError: Int { 500 }

    /// Longest reason phrase accepted (RFC 8489 §14.8: fewer than 128 characters, up to 763 bytes).
    @inlinable public static var maxReasonBytes: Int { 763 }

    @inlinable
    init(parsing value: UnsafeRawBufferPointer, offset: Int) throws(ParseError) {
        guard value.count >= 4 else { throw ParseError(.malformed, at: offset, "ERROR-CODE shorter than 4 bytes") }
        guard value.count - 4 <= Self.maxReasonBytes else { throw ParseError(.limitExceeded, at: offset, "ERROR-CODE reason longer than 763 bytes") }
        let errorClass = Int(value[2] & 0x07)
        let number = Int(value[3])
        guard (3...6).contains(errorClass), number < 100 else { throw ParseError(.malformed, at: offset + 6, "ERROR-CODE class not 3-6 or number not 0-99") }
        self.code = errorClass * 100 + number
        self.reason = UnsafeRawBufferPointer(rebasing: value[4...])
    }

    public var description: String { "\(code) \(String(decoding: reason, as: UTF8.self))" }
}

/// The 16-bit types listed in an UNKNOWN-ATTRIBUTES value (RFC 8489 §14.9).
public struct STUNAttributeTypeList: IteratorProtocol, Sequence {
    @usableFromInline let value: UnsafeRawBufferPointer
    @usableFromInline var offset = 0

    @inlinable
    init(value: UnsafeRawBufferPointer) { self.value = value }

    /// Number of types listed.
    @inlinable public var count: Int { value.count / 2 }

    @inlinable
    public mutating func next() -> STUNAttributeType? {
        guard value.count - offset >= 2 else { return nil }
        defer { offset += 2 }
        return STUNAttributeType(rawValue: value.loadBigEndianUInt16(at: offset))
    }
}

/// The types of comprehension-required attributes this codec does not understand, in wire order
/// (duplicates included), from the attributes the RFC lets count (those before MESSAGE-INTEGRITY).
public struct STUNUnknownRequiredIterator: IteratorProtocol, Sequence {
    @usableFromInline var attributes: STUNAttributeIterator
    @usableFromInline let end: Int

    @inlinable
    init(attributes: STUNAttributeIterator, end: Int) {
        self.attributes = attributes
        self.end = end
    }

    @inlinable
    public mutating func next() -> STUNAttributeType? {
        while let a = attributes.next(), a.offset < end {
            if !a.type.isUnderstood { return a.type }
        }
        return nil
    }
}
