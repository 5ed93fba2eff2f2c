/// An RTP packet (RFC 3550 §5.1) rewritten in place: fixed-header fields, RFC 8285 extension ids
/// and values. Same layout as `RTPPacket` (see its diagram); the bytes are the caller's buffer.
///
///     byte 0: V=2 P X CC        byte 1: M | PT        bytes 2-3: seq
///     bytes 4-7: timestamp      bytes 8-11: SSRC
///     one-byte element:  |ID(4)|L(4)| value (L+1 bytes)     ID 0 byte = padding
///     two-byte element:  | ID(8) | L(8) | value (L bytes)    ID 0 byte = padding
///
/// Dropping an element zeroes its header and value: zero bytes are padding in both forms
/// (RFC 8285 §4.1), so the block keeps its length and the packet stays valid without moving the
/// payload. To change the form (one-byte ids above 14) or grow the block, copy with
/// `RTPPacket.copy(into:header:extensionIDs:…)` instead.
public struct MutableRTPPacket: CustomStringConvertible {
    /// The parsed view, kept consistent with every change made through this type.
    public private(set) var packet: RTPPacket

    public init(parsing bytes: UnsafeMutableRawBufferPointer) throws(ParseError) {
        packet = try RTPPacket(parsing: UnsafeRawBufferPointer(bytes))
    }

    @inlinable public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(mutating: packet.bytes) }

    @inlinable public var marker: Bool {
        get { packet.marker }
        nonmutating set { bytes[1] = bytes[1] & 0x7F | (newValue ? 0x80 : 0) }
    }
    /// Low 7 bits are stored; the marker bit is kept.
    @inlinable public var payloadType: UInt8 {
        get { packet.payloadType }
        nonmutating set { bytes[1] = bytes[1] & 0x80 | newValue & 0x7F }
    }
    @inlinable public var sequenceNumber: UInt16 {
        get { packet.sequenceNumber }
        nonmutating set { bytes.storeBigEndian(newValue, at: 2) }
    }
    @inlinable public var timestamp: UInt32 {
        get { packet.timestamp }
        nonmutating set { bytes.storeBigEndian(newValue, at: 4) }
    }
    @inlinable public var ssrc: UInt32 {
        get { packet.ssrc }
        nonmutating set { bytes.storeBigEndian(newValue, at: 8) }
    }

    /// Writes every fixed-header field a sender chooses.
    @inlinable public func setHeader(_ h: RTPHeader) {
        bytes[1] = (h.marker ? 0x80 : 0) | h.payloadType & 0x7F
        bytes.storeBigEndian(h.sequenceNumber, at: 2)
        bytes.storeBigEndian(h.timestamp, at: 4)
        bytes.storeBigEndian(h.ssrc, at: 8)
    }

    /// The value bytes of the first element with `id`, writable in place (e.g. a transport-wide
    /// sequence number), or nil.
    public func extensionValue(id: UInt8) -> UnsafeMutableRawBufferPointer? {
        guard let v = packet.extension(id: id) else { return nil }
        return UnsafeMutableRawBufferPointer(mutating: v)
    }

    /// Overwrites the value of element `id`. Returns false (and changes nothing) when there is no
    /// such element or its length differs from `value.count`.
    public func setExtension(id: UInt8, value: UnsafeRawBufferPointer) -> Bool {
        guard let target = extensionValue(id: id), target.count == value.count else { return false }
        if value.count > 0 { target.baseAddress!.copyMemory(from: value.baseAddress!, byteCount: value.count) }
        return true
    }

    /// Turns the elements with `id` into padding. Returns how many were removed.
    @discardableResult
    public mutating func removeExtension(id: UInt8) -> Int {
        var removed = 0
        var i = 0
        while i < packet.extensionCount {
            if packet.extensionElement(at: i).id == id {
                zeroElement(at: i)
                packet._removeEntry(at: i)
                removed += 1
            } else {
                i += 1
            }
        }
        return removed
    }

    /// Rewrites every element's id through `map`; elements mapped to 0 become padding.
    ///
    /// Returns false and changes nothing when a mapped id cannot be written in this packet's form
    /// (one-byte ids are 1…14); then use the copying rewrite, which switches to the two-byte form.
    public mutating func remapExtensionIDs(_ map: borrowing RTPExtensionIDMap) -> Bool {
        let form = packet.extensionForm
        guard form == .oneByte || form == .twoByte else { return true }
        if form == .oneByte {
            for i in 0 ..< packet.extensionCount where map[packet.extensionElement(at: i).id] > 14 { return false }
        }
        var i = 0
        while i < packet.extensionCount {
            let element = packet.extensionElement(at: i)
            let to = map[element.id]
            if to == 0 {
                zeroElement(at: i)
                packet._removeEntry(at: i)
                continue
            }
            if form == .oneByte {
                let h = element.valueOffset - 1
                bytes[h] = to << 4 | bytes[h] & 0x0F
            } else {
                bytes[element.valueOffset - 2] = to
            }
            packet._setEntryID(at: i, to: to)
            i += 1
        }
        return true
    }

    private func zeroElement(at index: Int) {
        let element = packet.extensionElement(at: index)
        let headerSize = packet.extensionForm == .oneByte ? 1 : 2
        let start = element.valueOffset - headerSize
        let count = headerSize + element.value.count
        (bytes.baseAddress! + start).initializeMemory(as: UInt8.self, repeating: 0, count: count)
    }

    public var description: String { packet.description }
}
