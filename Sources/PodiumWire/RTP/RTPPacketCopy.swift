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
        precondition(reservedLength >= 0 && reservedLength <= 255, "extension values are 0…255 bytes")
        let (blockSize, oneByte) = rebuiltBlockSize(map, reservedID, reservedLength)
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
                if to == 0 || to == reservedID { continue }
                let length = Int((e >> 16) & 0xFF)
                if oneByte {
                    dst.storeBytes(of: to << 4 | UInt8(truncatingIfNeeded: length - 1), toByteOffset: o, as: UInt8.self)
                    o += 1
                } else {
                    dst.storeBytes(of: to, toByteOffset: o, as: UInt8.self)
                    dst.storeBytes(of: UInt8(truncatingIfNeeded: length), toByteOffset: o + 1, as: UInt8.self)
                    o += 2
                }
                (dst + o).copyMemory(from: src + Int(e & 0xFFFF), byteCount: length)
                o += length
            }
            if reservedID != 0 {
                if oneByte {
                    dst.storeBytes(of: reservedID << 4 | UInt8(truncatingIfNeeded: reservedLength - 1), toByteOffset: o, as: UInt8.self)
                    o += 1
                } else {
                    dst.storeBytes(of: reservedID, toByteOffset: o, as: UInt8.self)
                    dst.storeBytes(of: UInt8(truncatingIfNeeded: reservedLength), toByteOffset: o + 1, as: UInt8.self)
                    o += 2
                }
                reservedValueOffset = o
            }
            if end > o { (dst + o).initializeMemory(as: UInt8.self, repeating: 0, count: end - o) }
            o = end
        }

        if tailCount > 0 { (dst + o).copyMemory(from: src + tailOffset, byteCount: tailCount) }
        return RTPCopyResult(count: o + tailCount, reservedValueOffset: reservedValueOffset)
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
        var elements = 0
        var valueBytes = 0
        var oneByte = true
        let n = extensionCount
        var i = 0
        while i < n {
            let e = _table[unchecked: i]
            i += 1
            let to = map[UInt8(truncatingIfNeeded: e >> 24)]
            if to == 0 || to == reservedID { continue }
            let length = Int((e >> 16) & 0xFF)
            elements += 1
            valueBytes += length
            if to > 14 || length == 0 || length > 16 { oneByte = false }
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
