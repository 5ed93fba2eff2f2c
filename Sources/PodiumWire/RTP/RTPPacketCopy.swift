/// Copy-and-rewrite of a forwarded RTP packet (RFC 3550 §5.1, RFC 8285 §4): the per-subscriber hot
/// path. One pass writes the subscriber's header, the CSRCs, a rebuilt extension block and the
/// payload (with any padding) into the send slot. Allocation-free.
///
///    source:  | V P X CC | M PT | seq | ts | ssrc | CSRCs | ext block (publisher ids) | payload | pad |
///                  │        │      └──────┴───┴── replaced by `header`
///                  │        └ replaced by `header` (marker and pt)
///    dest:    | V P X CC | M PT | seq | ts | ssrc | CSRCs | ext block (subscriber ids) | payload | pad |
///
/// The extension block is rebuilt from the parsed elements: ids go through the map, elements mapped
/// to 0 are dropped, then one reserved element (e.g. transport-wide sequence number) is appended
/// and its value offset returned for the caller to fill. The form is one-byte when every id is 1…14
/// and every length 1…16, else two-byte. With no element left the block (and X) is omitted.
/// Why: a generic-profile (non RFC 8285) block carries nothing a WebRTC receiver negotiated, so it
/// is dropped; so are elements after a one-byte id 15, which the parser does not index.

/// Where `copy(into:…)` put things.
public struct RTPCopyResult: Sendable, Equatable {
    /// Bytes written.
    public var count: Int
    /// Offset of the reserved element's value in the destination; 0 when none was reserved.
    public var reservedValueOffset: Int
}

extension RTPPacket {
    /// Bytes `copy(into:…)` will write for this packet with `map` and a reservation of
    /// `reservedLength` bytes under `reservedID` (0 for none).
    public func copiedSize(extensionIDs map: borrowing RTPExtensionIDMap, reservingExtension reservedID: UInt8 = 0, length reservedLength: Int = 0) -> Int {
        let (block, _) = rebuiltBlockSize(map, reservedID, reservedLength)
        return 12 + csrcCount * 4 + block + bytes.count - payloadOffset
    }

    /// Copies this packet into `destination` with `header` (marker, pt, seq, ts, ssrc), the
    /// extension ids remapped and an element `reservedID` of `reservedLength` bytes appended (its
    /// value zeroed, its offset returned). Source elements whose mapped id equals `reservedID` are
    /// replaced by the reserved one.
    ///
    /// - Precondition: `reservedLength` is 0…255 (0 only meaningful with a reservedID).
    public func copy(into destination: UnsafeMutableRawBufferPointer, header: RTPHeader, extensionIDs map: borrowing RTPExtensionIDMap,
                     reservingExtension reservedID: UInt8 = 0, length reservedLength: Int = 0) throws(BufferTooSmall) -> RTPCopyResult {
        try copy(into: destination, header: header, extensionIDs: map, appending: 0, value: UnsafeRawBufferPointer(start: nil, count: 0),
                 reservingExtension: reservedID, length: reservedLength)
    }

    /// `copy(into:…)` that also appends one element with a known value: `appendedID` with the bytes
    /// of `value` (1…255 bytes; e.g. the subscriber's mid, RFC 9143), written after the mapped
    /// elements and before the reserved one. Source elements whose mapped id equals `appendedID`
    /// are replaced by it. `appendedID` 0 appends nothing. Allocation-free, like `copy`.
    ///
    /// Why: a router writes two elements of its own into every forwarded packet (the subscriber's
    /// mid, which browsers need to demultiplex tracks bound late, and the transport-wide sequence
    /// number), neither of which the publisher's packet carries with the subscriber's values.
    ///
    /// - Precondition: `reservedLength` is 0…255 and `value.count` is 0…255.
    public func copy(into destination: UnsafeMutableRawBufferPointer, header: RTPHeader, extensionIDs map: borrowing RTPExtensionIDMap,
                     appending appendedID: UInt8, value: UnsafeRawBufferPointer,
                     reservingExtension reservedID: UInt8 = 0, length reservedLength: Int = 0) throws(BufferTooSmall) -> RTPCopyResult {
        precondition(reservedLength >= 0 && reservedLength <= 255, "extension values are 0…255 bytes")
        precondition(value.count <= 255, "extension values are 0…255 bytes")
        let appendedLength = appendedID == 0 ? 0 : value.count
        let (blockSize, oneByte) = rebuiltBlockSize(map, appendedID, appendedLength, reservedID, reservedLength)
        let csrcBytes = csrcCount * 4
        let tailOffset = payloadOffset
        let tailCount = bytes.count - tailOffset
        let total = 12 + csrcBytes + blockSize + tailCount
        guard total <= destination.count else { throw BufferTooSmall(needed: total, available: destination.count) }
        let dst = destination.baseAddress!
        let src = bytes.baseAddress!

        dst.storeBytes(of: 0x80 | bytes[0] & 0x2F | (blockSize > 0 ? 0x10 : 0), as: UInt8.self)
        dst.storeBytes(of: (header.marker ? 0x80 : 0) | header.payloadType & 0x7F, toByteOffset: 1, as: UInt8.self)
        dst.storeBytes(of: header.sequenceNumber.bigEndian, toByteOffset: 2, as: UInt16.self)
        dst.storeBytes(of: header.timestamp.bigEndian, toByteOffset: 4, as: UInt32.self)
        dst.storeBytes(of: header.ssrc.bigEndian, toByteOffset: 8, as: UInt32.self)
        if csrcBytes > 0 { (dst + 12).copyMemory(from: src + 12, byteCount: csrcBytes) }
        var o = 12 + csrcBytes

        var reservedValueOffset = 0
        if blockSize > 0 {
            let end = o + blockSize
            dst.storeBytes(of: (oneByte ? RTPPacket.oneByteProfile : RTPPacket.twoByteProfile).bigEndian, toByteOffset: o, as: UInt16.self)
            dst.storeBytes(of: UInt16(truncatingIfNeeded: (blockSize - 4) >> 2).bigEndian, toByteOffset: o + 2, as: UInt16.self)
            o += 4
            let n = extensionCount
            var i = 0
            while i < n {
                let e = _table[unchecked: i]
                i += 1
                let to = map[UInt8(truncatingIfNeeded: e >> 24)]
                if to == 0 || to == reservedID || to == appendedID { continue }
                let length = Int((e >> 16) & 0xFF)
                o = Self.writeElementHeader(dst, at: o, id: to, length: length, oneByte: oneByte)
                (dst + o).copyMemory(from: src + Int(e & 0xFFFF), byteCount: length)
                o += length
            }
            if appendedID != 0 {
                o = Self.writeElementHeader(dst, at: o, id: appendedID, length: appendedLength, oneByte: oneByte)
                if appendedLength > 0 { (dst + o).copyMemory(from: value.baseAddress!, byteCount: appendedLength) }
                o += appendedLength
            }
            if reservedID != 0 {
                o = Self.writeElementHeader(dst, at: o, id: reservedID, length: reservedLength, oneByte: oneByte)
                reservedValueOffset = o
            }
            if end > o { (dst + o).initializeMemory(as: UInt8.self, repeating: 0, count: end - o) }
            o = end
        }

        if tailCount > 0 { (dst + o).copyMemory(from: src + tailOffset, byteCount: tailCount) }
        return RTPCopyResult(count: o + tailCount, reservedValueOffset: reservedValueOffset)
    }

    /// Writes an element header (one- or two-byte form) at `o`; returns the value's offset.
    @inline(__always)
    static func writeElementHeader(_ dst: UnsafeMutableRawPointer, at o: Int, id: UInt8, length: Int, oneByte: Bool) -> Int {
        if oneByte {
            dst.storeBytes(of: id << 4 | UInt8(truncatingIfNeeded: length - 1), toByteOffset: o, as: UInt8.self)
            return o + 1
        }
        dst.storeBytes(of: id, toByteOffset: o, as: UInt8.self)
        dst.storeBytes(of: UInt8(truncatingIfNeeded: length), toByteOffset: o + 1, as: UInt8.self)
        return o + 2
    }

    /// `copy(into:…appending:…)` with a transport-wide sequence number (2 bytes) under
    /// `transportCCID` (0: none) written in place. Returns bytes written.
    @inlinable
    public func copy(into destination: UnsafeMutableRawBufferPointer, header: RTPHeader, extensionIDs map: borrowing RTPExtensionIDMap,
                     appending appendedID: UInt8, value: UnsafeRawBufferPointer,
                     transportCCID: UInt8, transportSequenceNumber: UInt16) throws(BufferTooSmall) -> Int {
        let r = try copy(into: destination, header: header, extensionIDs: map, appending: appendedID, value: value,
                         reservingExtension: transportCCID, length: transportCCID == 0 ? 0 : 2)
        if r.reservedValueOffset != 0 { destination.storeBigEndian(transportSequenceNumber, at: r.reservedValueOffset) }
        return r.count
    }

    /// `copy(into:…)` appending a transport-wide sequence number element (2 bytes,
    /// draft-holmer-rmcat-transport-wide-cc-extensions-01) under `transportCCID`. Returns bytes written.
    @inlinable
    public func copy(into destination: UnsafeMutableRawBufferPointer, header: RTPHeader, extensionIDs map: borrowing RTPExtensionIDMap,
                     transportCCID: UInt8, transportSequenceNumber: UInt16) throws(BufferTooSmall) -> Int {
        let r = try copy(into: destination, header: header, extensionIDs: map, reservingExtension: transportCCID, length: 2)
        if r.reservedValueOffset != 0 { destination.storeBigEndian(transportSequenceNumber, at: r.reservedValueOffset) }
        return r.count
    }

    /// Size of the rebuilt block (with its 4-byte header; 0 when empty) and whether it is one-byte.
    @inline(__always)
    func rebuiltBlockSize(_ map: borrowing RTPExtensionIDMap, _ reservedID: UInt8, _ reservedLength: Int) -> (Int, Bool) {
        rebuiltBlockSize(map, 0, 0, reservedID, reservedLength)
    }

    /// The same with an appended element `appendedID` of `appendedLength` bytes (0 id: none).
    @inline(__always)
    func rebuiltBlockSize(_ map: borrowing RTPExtensionIDMap, _ appendedID: UInt8, _ appendedLength: Int,
                          _ reservedID: UInt8, _ reservedLength: Int) -> (Int, Bool) {
        var elements = 0
        var valueBytes = 0
        var oneByte = true
        let n = extensionCount
        var i = 0
        while i < n {
            let e = _table[unchecked: i]
            i += 1
            let to = map[UInt8(truncatingIfNeeded: e >> 24)]
            if to == 0 || to == reservedID || to == appendedID { continue }
            let length = Int((e >> 16) & 0xFF)
            elements += 1
            valueBytes += length
            if to > 14 || length == 0 || length > 16 { oneByte = false }
        }
        if appendedID != 0 {
            elements += 1
            valueBytes += appendedLength
            if appendedID > 14 || appendedLength == 0 || appendedLength > 16 { oneByte = false }
        }
        if reservedID != 0 {
            elements += 1
            valueBytes += reservedLength
            if reservedID > 14 || reservedLength == 0 || reservedLength > 16 { oneByte = false }
        }
        if elements == 0 { return (0, true) }
        let raw = valueBytes + elements * (oneByte ? 1 : 2)
        return (4 + ((raw + 3) & ~3), oneByte)
    }
}
