/// RTP packet (RFC 3550 §5.1) with header extensions (RFC 3550 §5.3.1, RFC 8285 §4), viewed in
/// place over received bytes. Parsing copies nothing and allocates nothing.
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P|X|  CC   |M|     PT      |       sequence number         |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                           timestamp                           |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |           synchronization source (SSRC) identifier            |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |            contributing source (CSRC) identifiers (CC × 32)   |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |  profile (0xBEDE, 0x100X, …)  |    length (32-bit words)      |  if X = 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                 extension elements / opaque data              |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                            payload                            |
///    |                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                               | padding …     | pad count (P) |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// One-byte elements (profile 0xBEDE): `ID(4) L(4)` then L+1 bytes; ID 0 is a padding byte, ID 15
/// stops parsing (RFC 8285 §4.2). Two-byte elements (profile 0x100X, X = appbits): `ID(8) L(8)` then
/// L bytes (0…255); ID 0 is a padding byte (RFC 8285 §4.3). Any other profile is the generic RFC 3550
/// form and is exposed only as opaque `extensionData`.
///
/// Elements are indexed into an inline table of `RTPPacket.maxExtensions` entries while parsing, so
/// `extension(id:)` is a short scan with no heap. The struct is 88 bytes on 64-bit platforms (a
/// 16-byte buffer pointer, a 64-byte table and five small fields); `RTPPacketTests` pins that.
public struct RTPPacket: CustomStringConvertible {
    /// Most RFC 8285 elements indexed per packet; more is `.limitExceeded`.
    public static let maxExtensions = 16
    /// Largest datagram accepted (offsets are stored as 16-bit values).
    public static let maxSize = 65_535
    public static let fixedHeaderSize = 12
    public static let oneByteProfile: UInt16 = 0xBEDE
    public static let twoByteProfile: UInt16 = 0x1000

    /// The packet's bytes, exactly as parsed.
    public let bytes: UnsafeRawBufferPointer
    @usableFromInline let _payloadOffset: UInt16
    @usableFromInline let _payloadCount: UInt16
    /// Offset of the first element byte (after the 4-byte extension header); 0 when X = 0.
    @usableFromInline let _extensionDataOffset: UInt16
    @usableFromInline var _form: UInt8
    @usableFromInline var _extensionCount: UInt8
    /// Per element: `id << 24 | length << 16 | valueOffset`.
    @usableFromInline var _table: InlineArray<16, UInt32>

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        let count = bytes.count
        guard count >= 12 else { throw ParseError(.truncated, at: 0, "RTP fixed header") }
        guard count <= RTPPacket.maxSize else { throw ParseError(.limitExceeded, at: 0, "RTP packet larger than 65535 bytes") }
        let b0 = bytes[0]
        guard b0 >> 6 == 2 else { throw ParseError(.unsupported, at: 0, "RTP version must be 2") }
        var offset = 12 + Int(b0 & 0x0F) * 4
        guard offset <= count else { throw ParseError(.truncated, at: 12, "RTP CSRC list") }

        var extensionDataOffset = 0
        var extensionEnd = offset
        var form = RTPExtensionForm.none.rawValue
        if b0 & 0x10 != 0 {
            guard offset + 4 <= count else { throw ParseError(.truncated, at: offset, "RTP extension header") }
            let profile = bytes.loadBigEndianUInt16(at: offset)
            let words = Int(bytes.loadBigEndianUInt16(at: offset + 2))
            extensionDataOffset = offset + 4
            extensionEnd = extensionDataOffset + words * 4
            guard extensionEnd <= count else { throw ParseError(.truncated, at: offset + 2, "RTP extension length") }
            if profile == RTPPacket.oneByteProfile {
                form = RTPExtensionForm.oneByte.rawValue
            } else if profile & 0xFFF0 == RTPPacket.twoByteProfile {
                form = RTPExtensionForm.twoByte.rawValue
            } else {
                form = RTPExtensionForm.generic.rawValue
            }
            offset = extensionEnd
        }

        var payloadEnd = count
        if b0 & 0x20 != 0 {
            // Why: the count includes itself, so 0 is invalid; RFC 3550 §5.1.
            let padding = Int(bytes[count - 1])
            guard padding > 0 else { throw ParseError(.malformed, at: count - 1, "RTP padding count is zero") }
            guard padding <= count - offset else { throw ParseError(.malformed, at: count - 1, "RTP padding longer than payload") }
            payloadEnd = count - padding
        }

        self.bytes = bytes
        self._payloadOffset = UInt16(truncatingIfNeeded: offset)
        self._payloadCount = UInt16(truncatingIfNeeded: payloadEnd - offset)
        self._extensionDataOffset = UInt16(truncatingIfNeeded: extensionDataOffset)
        self._form = form
        self._extensionCount = 0
        self._table = InlineArray(repeating: 0)

        if form == RTPExtensionForm.oneByte.rawValue {
            try indexOneByteElements(from: extensionDataOffset, to: extensionEnd)
        } else if form == RTPExtensionForm.twoByte.rawValue {
            try indexTwoByteElements(from: extensionDataOffset, to: extensionEnd)
        }
    }

    private mutating func indexOneByteElements(from start: Int, to end: Int) throws(ParseError) {
        var i = start
        while i < end {
            let h = bytes[i]
            if h == 0 { i += 1; continue }
            let id = h >> 4
            // Why: ID 15 ends processing (RFC 8285 §4.2); an ID-0 byte with a nonzero length is not
            // padding and cannot be skipped safely, so it ends processing too (as libwebrtc does).
            if id == 15 || id == 0 { break }
            let length = Int(h & 0x0F) + 1
            guard i + 1 + length <= end else { throw ParseError(.malformed, at: i, "RTP one-byte extension past block end") }
            try addEntry(id: id, length: length, valueOffset: i + 1)
            i += 1 + length
        }
    }

    private mutating func indexTwoByteElements(from start: Int, to end: Int) throws(ParseError) {
        var i = start
        while i < end {
            let id = bytes[i]
            if id == 0 { i += 1; continue }
            guard i + 2 <= end else { throw ParseError(.malformed, at: i, "RTP two-byte extension header past block end") }
            let length = Int(bytes[i + 1])
            guard i + 2 + length <= end else { throw ParseError(.malformed, at: i, "RTP two-byte extension past block end") }
            try addEntry(id: id, length: length, valueOffset: i + 2)
            i += 2 + length
        }
    }

    @inline(__always)
    private mutating func addEntry(id: UInt8, length: Int, valueOffset: Int) throws(ParseError) {
        let n = Int(_extensionCount)
        guard n < RTPPacket.maxExtensions else { throw ParseError(.limitExceeded, at: valueOffset, "more than 16 RTP header extensions") }
        _table[unchecked: n] = UInt32(id) << 24 | UInt32(length) << 16 | UInt32(valueOffset)
        _extensionCount = UInt8(n + 1)
    }

    /// Drops element `index` from the index (the caller changed the bytes).
    @usableFromInline mutating func _removeEntry(at index: Int) {
        let n = Int(_extensionCount)
        var i = index
        while i + 1 < n { _table[i] = _table[i + 1]; i += 1 }
        _table[n - 1] = 0
        _extensionCount = UInt8(n - 1)
    }

    @usableFromInline mutating func _setEntryID(at index: Int, to id: UInt8) {
        _table[index] = _table[index] & 0x00FF_FFFF | UInt32(id) << 24
    }

    // MARK: Fixed header

    @inlinable public var version: UInt8 { bytes[0] >> 6 }
    @inlinable public var hasPadding: Bool { bytes[0] & 0x20 != 0 }
    @inlinable public var hasExtension: Bool { bytes[0] & 0x10 != 0 }
    @inlinable public var csrcCount: Int { Int(bytes[0] & 0x0F) }
    @inlinable public var marker: Bool { bytes[1] & 0x80 != 0 }
    @inlinable public var payloadType: UInt8 { bytes[1] & 0x7F }
    @inlinable public var sequenceNumber: UInt16 { bytes.loadBigEndianUInt16(at: 2) }
    @inlinable public var timestamp: UInt32 { bytes.loadBigEndianUInt32(at: 4) }
    @inlinable public var ssrc: UInt32 { bytes.loadBigEndianUInt32(at: 8) }

    /// The fixed header fields as a value (for building or comparing).
    public var header: RTPHeader {
        RTPHeader(marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc)
    }

    /// CSRC `index` (0 ..< csrcCount).
    @inlinable public func csrc(at index: Int) -> UInt32 {
        precondition(index >= 0 && index < csrcCount, "CSRC index out of range")
        return bytes.loadBigEndianUInt32(at: 12 + index * 4)
    }

    /// The CSRC list as raw big-endian bytes (CC × 4).
    public var csrcBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[12 ..< 12 + csrcCount * 4]) }

    // MARK: Payload

    @inlinable public var payloadOffset: Int { Int(_payloadOffset) }
    @inlinable public var payloadCount: Int { Int(_payloadCount) }
    /// The payload, without padding.
    @inlinable public var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Int(_payloadOffset) ..< Int(_payloadOffset) + Int(_payloadCount)])
    }
    /// Padding bytes at the end, including the count byte (0 when P = 0).
    @inlinable public var paddingCount: Int { bytes.count - Int(_payloadOffset) - Int(_payloadCount) }

    // MARK: Header extension

    @inlinable public var extensionForm: RTPExtensionForm { RTPExtensionForm(rawValue: _form) ?? .none }

    /// The extension profile (0xBEDE, 0x100X or any generic value), nil when X = 0.
    public var extensionProfile: UInt16? {
        hasExtension ? bytes.loadBigEndianUInt16(at: Int(_extensionDataOffset) - 4) : nil
    }

    /// The 4 "appbits" of a two-byte profile (RFC 8285 §4.3), 0 otherwise.
    public var extensionAppBits: UInt8 {
        extensionForm == .twoByte ? UInt8(truncatingIfNeeded: bytes.loadBigEndianUInt16(at: Int(_extensionDataOffset) - 4) & 0x0F) : 0
    }

    /// The bytes after the 4-byte extension header (elements and their padding, or opaque data).
    public var extensionData: UnsafeRawBufferPointer {
        let start = hasExtension ? Int(_extensionDataOffset) : payloadOffset
        return UnsafeRawBufferPointer(rebasing: bytes[start ..< payloadOffset])
    }

    /// Number of RFC 8285 elements indexed (0 for the generic form).
    @inlinable public var extensionCount: Int { Int(_extensionCount) }

    /// Element `index` (0 ..< extensionCount), in wire order.
    @inlinable public func extensionElement(at index: Int) -> RTPExtensionElement {
        let e = _table[index]
        return RTPExtensionElement(id: UInt8(truncatingIfNeeded: e >> 24),
                                   valueOffset: Int(e & 0xFFFF),
                                   value: UnsafeRawBufferPointer(rebasing: bytes[Int(e & 0xFFFF) ..< Int(e & 0xFFFF) + Int((e >> 16) & 0xFF)]))
    }

    /// The value of the first element with `id`, or nil.
    @inlinable public func `extension`(id: UInt8) -> UnsafeRawBufferPointer? {
        guard let e = entry(id: id) else { return nil }
        let offset = Int(e & 0xFFFF)
        return UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + Int((e >> 16) & 0xFF)])
    }

    @inlinable func entry(id: UInt8) -> UInt32? {
        var i = 0
        let n = Int(_extensionCount)
        while i < n {
            let e = _table[unchecked: i]
            if UInt8(truncatingIfNeeded: e >> 24) == id { return e }
            i += 1
        }
        return nil
    }

    /// The elements in wire order.
    public var extensions: Extensions { Extensions(packet: self) }

    public struct Extensions: Sequence, IteratorProtocol {
        @usableFromInline let packet: RTPPacket
        @usableFromInline var index = 0
        @inlinable init(packet: RTPPacket) { self.packet = packet }
        @inlinable public mutating func next() -> RTPExtensionElement? {
            guard index < packet.extensionCount else { return nil }
            defer { index += 1 }
            return packet.extensionElement(at: index)
        }
    }

    // MARK: Writing

    public var encodedSize: Int { bytes.count }

    /// Copies the packet unchanged.
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.write(bytes: bytes)
        return w.offset
    }

    public var description: String {
        var s = "RTP pt=\(payloadType) seq=\(sequenceNumber) ts=\(timestamp) ssrc=0x\(String(ssrc, radix: 16))"
        if marker { s += " M" }
        if csrcCount > 0 { s += " csrc=\((0 ..< csrcCount).map { String(csrc(at: $0), radix: 16) })" }
        switch extensionForm {
        case .none: break
        case .generic: s += " ext(profile=0x\(String(extensionProfile ?? 0, radix: 16)), \(extensionData.count)B)"
        case .oneByte, .twoByte:
            s += " ext(\(extensionForm))[" + extensions.map { "\($0.id):\($0.value.count)B" }.joined(separator: " ") + "]"
        }
        s += " payload=\(payloadCount)B"
        if hasPadding { s += " padding=\(paddingCount)B" }
        return s
    }
}

/// How a packet's header extension block is encoded.
public enum RTPExtensionForm: UInt8, Sendable, CustomStringConvertible {
    /// X = 0.
    case none
    /// RFC 8285 §4.2, profile 0xBEDE.
    case oneByte
    /// RFC 8285 §4.3, profile 0x100X.
    case twoByte
    /// RFC 3550 §5.3.1 with any other profile: opaque.
    case generic

    public var description: String {
        switch self {
        case .none: "none"
        case .oneByte: "one-byte"
        case .twoByte: "two-byte"
        case .generic: "generic"
        }
    }
}

/// One RFC 8285 element of a parsed packet.
public struct RTPExtensionElement {
    public let id: UInt8
    /// Offset of the value in the packet's bytes.
    public let valueOffset: Int
    public let value: UnsafeRawBufferPointer

    @inlinable init(id: UInt8, valueOffset: Int, value: UnsafeRawBufferPointer) {
        self.id = id
        self.valueOffset = valueOffset
        self.value = value
    }
}

/// The fixed-header fields a sender chooses (RFC 3550 §5.1), for building and rewriting packets.
public struct RTPHeader: Sendable, Equatable, CustomStringConvertible {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32

    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
    }

    public var description: String {
        "pt=\(payloadType) seq=\(sequenceNumber) ts=\(timestamp) ssrc=0x\(String(ssrc, radix: 16))\(marker ? " M" : "")"
    }
}
