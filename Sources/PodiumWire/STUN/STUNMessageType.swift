/// STUN message type, class, method and transaction ID (RFC 8489 §5).
///
/// The 14-bit message type interleaves a 12-bit method (M0–M11) with a 2-bit class (C0, C1):
///
///      0                 1
///      2  3  4 5 6 7 8 9 0 1 2 3 4 5
///     +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
///     |M |M |M|M|M|C|M|M|M|C|M|M|M|M|
///     |11|10|9|8|7|1|6|5|4|0|3|2|1|0|
///     +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// The transaction ID is 96 bits; it follows the magic cookie in the 20-byte header.

/// A STUN method (12 bits). ICE uses only `binding`.
public struct STUNMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The method number, 0x000–0xFFF.
    public let rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    @inlinable public static var binding: STUNMethod { STUNMethod(rawValue: 0x001) }

    public var description: String {
        self == .binding ? "binding" : "method 0x" + String(rawValue, radix: 16)
    }
}

/// The class of a STUN message (the C1 C0 bits).
public enum STUNClass: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case request = 0b00
    case indication = 0b01
    case successResponse = 0b10
    case errorResponse = 0b11

    public var description: String {
        switch self {
        case .request: "request"
        case .indication: "indication"
        case .successResponse: "success response"
        case .errorResponse: "error response"
        }
    }
}

/// The 14-bit STUN message type: a method and a class, interleaved on the wire.
public struct STUNMessageType: Hashable, Sendable, CustomStringConvertible {
    public var method: STUNMethod
    public var messageClass: STUNClass

    @inlinable
    public init(method: STUNMethod, class messageClass: STUNClass) {
        self.method = method
        self.messageClass = messageClass
    }

    /// Decodes the wire value. The two most significant bits (always zero in STUN) are ignored.
    @inlinable
    public init(rawValue: UInt16) {
        let m = (rawValue & 0x000F) | (rawValue & 0x00E0) >> 1 | (rawValue & 0x3E00) >> 2
        let c = (rawValue & 0x0010) >> 4 | (rawValue & 0x0100) >> 7
        self.method = STUNMethod(rawValue: m)
        self.messageClass = STUNClass(rawValue: UInt8(c))!
    }

    /// The wire value (top two bits zero).
    @inlinable
    public var rawValue: UInt16 {
        let m = method.rawValue
        let c = UInt16(messageClass.rawValue)
        return (m & 0x000F) | (m & 0x0070) << 1 | (m & 0x0F80) << 2 | (c & 1) << 4 | (c & 2) << 7
    }

    @inlinable public static var bindingRequest: STUNMessageType { STUNMessageType(method: .binding, class: .request) }
    @inlinable public static var bindingIndication: STUNMessageType { STUNMessageType(method: .binding, class: .indication) }
    @inlinable public static var bindingSuccess: STUNMessageType { STUNMessageType(method: .binding, class: .successResponse) }
    @inlinable public static var bindingError: STUNMessageType { STUNMessageType(method: .binding, class: .errorResponse) }

    public var description: String { "\(method) \(messageClass)" }
}

/// The 96-bit transaction ID, kept inline as a 32-bit and a 64-bit half (big-endian order on the
/// wire: `high` first). The split matches the XOR key of XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
public struct STUNTransactionID: Hashable, Sendable, CustomStringConvertible {
    /// Bytes 0–3 of the ID.
    public var high: UInt32
    /// Bytes 4–11 of the ID.
    public var low: UInt64

    @inlinable
    public init(high: UInt32, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A transaction ID from 12 bytes (no check beyond the count: returns nil unless exactly 12).
    @inlinable
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 12 else { return nil }
        self.high = bytes.loadBigEndianUInt32(at: 0)
        self.low = bytes.loadBigEndianUInt64(at: 4)
    }

    /// A fresh random ID (RFC 8489 §6: uniformly random). Uses the system random generator.
    public static func random() -> STUNTransactionID {
        var g = SystemRandomNumberGenerator()
        return STUNTransactionID(high: g.next(), low: g.next())
    }

    public var description: String {
        let h = String(high, radix: 16)
        let l = String(low, radix: 16)
        return String(repeating: "0", count: 8 - h.count) + h + String(repeating: "0", count: 16 - l.count) + l
    }
}

/// A STUN attribute type (RFC 8489 §14, §18.3; ICE attributes from RFC 8445 §16.1).
///
/// Types below 0x8000 are comprehension-required: an agent that does not understand one must reject
/// a request with a 420 error listing it in UNKNOWN-ATTRIBUTES.
public struct STUNAttributeType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var mappedAddress: STUNAttributeType { STUNAttributeType(rawValue: 0x0001) }
    @inlinable public static var username: STUNAttributeType { STUNAttributeType(rawValue: 0x0006) }
    @inlinable public static var messageIntegrity: STUNAttributeType { STUNAttributeType(rawValue: 0x0008) }
    @inlinable public static var errorCode: STUNAttributeType { STUNAttributeType(rawValue: 0x0009) }
    @inlinable public static var unknownAttributes: STUNAttributeType { STUNAttributeType(rawValue: 0x000A) }
    @inlinable public static var realm: STUNAttributeType { STUNAttributeType(rawValue: 0x0014) }
    @inlinable public static var nonce: STUNAttributeType { STUNAttributeType(rawValue: 0x0015) }
    @inlinable public static var messageIntegritySHA256: STUNAttributeType { STUNAttributeType(rawValue: 0x001C) }
    @inlinable public static var passwordAlgorithm: STUNAttributeType { STUNAttributeType(rawValue: 0x001D) }
    @inlinable public static var userhash: STUNAttributeType { STUNAttributeType(rawValue: 0x001E) }
    @inlinable public static var xorMappedAddress: STUNAttributeType { STUNAttributeType(rawValue: 0x0020) }
    @inlinable public static var priority: STUNAttributeType { STUNAttributeType(rawValue: 0x0024) }
    @inlinable public static var useCandidate: STUNAttributeType { STUNAttributeType(rawValue: 0x0025) }
    @inlinable public static var passwordAlgorithms: STUNAttributeType { STUNAttributeType(rawValue: 0x8002) }
    @inlinable public static var alternateDomain: STUNAttributeType { STUNAttributeType(rawValue: 0x8003) }
    @inlinable public static var software: STUNAttributeType { STUNAttributeType(rawValue: 0x8022) }
    @inlinable public static var alternateServer: STUNAttributeType { STUNAttributeType(rawValue: 0x8023) }
    @inlinable public static var fingerprint: STUNAttributeType { STUNAttributeType(rawValue: 0x8028) }
    @inlinable public static var iceControlled: STUNAttributeType { STUNAttributeType(rawValue: 0x8029) }
    @inlinable public static var iceControlling: STUNAttributeType { STUNAttributeType(rawValue: 0x802A) }

    /// True for 0x0000–0x7FFF: a receiver that does not understand it must not ignore it.
    @inlinable
    public var isComprehensionRequired: Bool { rawValue < 0x8000 }

    /// True for the comprehension-required types this codec decodes (or, for REALM and NONCE,
    /// exposes). Any other comprehension-required type is reported by
    /// `STUNMessage.unknownComprehensionRequired` so an ICE agent can answer 420.
    @inlinable
    public var isUnderstood: Bool {
        switch rawValue {
        case 0x0001, 0x0006, 0x0008, 0x0009, 0x000A, 0x0014, 0x0015, 0x001C, 0x0020, 0x0024, 0x0025: true
        default: !isComprehensionRequired
        }
    }

    public var description: String {
        switch rawValue {
        case 0x0001: "MAPPED-ADDRESS"
        case 0x0006: "USERNAME"
        case 0x0008: "MESSAGE-INTEGRITY"
        case 0x0009: "ERROR-CODE"
        case 0x000A: "UNKNOWN-ATTRIBUTES"
        case 0x0014: "REALM"
        case 0x0015: "NONCE"
        case 0x001C: "MESSAGE-INTEGRITY-SHA256"
        case 0x001D: "PASSWORD-ALGORITHM"
        case 0x001E: "USERHASH"
        case 0x0020: "XOR-MAPPED-ADDRESS"
        case 0x0024: "PRIORITY"
        case 0x0025: "USE-CANDIDATE"
        case 0x8002: "PASSWORD-ALGORITHMS"
        case 0x8003: "ALTERNATE-DOMAIN"
        case 0x8022: "SOFTWARE"
        case 0x8023: "ALTERNATE-SERVER"
        case 0x8028: "FINGERPRINT"
        case 0x8029: "ICE-CONTROLLED"
        case 0x802A: "ICE-CONTROLLING"
        default: "0x" + String(String(UInt32(rawValue) | 0x1_0000, radix: 16).dropFirst())
        }
    }
}
