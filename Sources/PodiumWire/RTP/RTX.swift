/// RTP retransmission payload format (RFC 4588 §4): wrapping a stored packet into an RTX packet and
/// unwrapping a received RTX packet back into the original. Pure functions over caller buffers; no
/// allocation.
///
///    original:  | V P X CC | M PT  | seq | ts | ssrc  | CSRCs | ext block | payload        | pad |
///                     │        │      │          │
///    RTX:       | V 0 X CC | M PT' | seq'| ts | ssrc' | CSRCs | ext block | OSN | payload |
///                                                                           └ original seq (16 bit)
///
/// PT', seq' and ssrc' are the RTX stream's own (RFC 4588 §4: its own sequence space, `a=rtpmap:…
/// rtx/90000` with `apt=`); timestamp, marker and CSRCs are the original's. Padding is dropped in
/// both directions: it carries nothing and RFC 4588 §4 builds the RTX payload from the original
/// *payload*. Why: a sender may pad RTX packets on its own (Chrome's RTX padding for probing), so
/// an unwrapped packet never inherits padding from the RTX packet either.
public enum RTX {
    /// The original sequence number field in front of the payload.
    public static let originalSequenceNumberSize = 2

    // MARK: Wrap

    /// Bytes `wrap(_:ssrc:payloadType:sequenceNumber:into:)` writes for `original`.
    @inlinable
    public static func wrappedSize(of original: RTPPacket) -> Int {
        original.payloadOffset + originalSequenceNumberSize + original.payloadCount
    }

    /// Writes the RTX packet for `original` with its header, CSRCs and extension block kept verbatim,
    /// `ssrc`, `payloadType` and `sequenceNumber` replaced, the OSN in front of the payload and no
    /// padding. Returns the bytes written.
    public static func wrap(_ original: RTPPacket, ssrc: UInt32, payloadType: UInt8, sequenceNumber: UInt16,
                            into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        let headerCount = original.payloadOffset
        let total = headerCount + originalSequenceNumberSize + original.payloadCount
        guard total <= buffer.count else { throw BufferTooSmall(needed: total, available: buffer.count) }
        let dst = buffer.baseAddress!
        dst.copyMemory(from: original.bytes.baseAddress!, byteCount: headerCount)
        buffer[0] &= ~0x20
        buffer[1] = buffer[1] & 0x80 | payloadType & 0x7F
        buffer.storeBigEndian(sequenceNumber, at: 2)
        buffer.storeBigEndian(ssrc, at: 8)
        writeOSNAndPayload(of: original, into: buffer, at: headerCount)
        return total
    }

    /// `wrap` over raw bytes: parses `original` first.
    public static func wrap(bytes original: UnsafeRawBufferPointer, ssrc: UInt32, payloadType: UInt8, sequenceNumber: UInt16,
                            into buffer: UnsafeMutableRawBufferPointer) throws(RTXError) -> Int {
        let packet: RTPPacket
        do { packet = try RTPPacket(parsing: original) } catch { throw .malformed(error) }
        do { return try wrap(packet, ssrc: ssrc, payloadType: payloadType, sequenceNumber: sequenceNumber, into: buffer) } catch {
            throw .bufferTooSmall(error)
        }
    }

    /// Capacity `wrap(_:header:originalSequenceNumber:extensionIDs:…)` needs: the final packet, or the intermediate copy of
    /// `original` with its padding when that is larger (the wrap copies first, then shifts the payload
    /// over the padding).
    public static func requiredCapacity(of original: RTPPacket, extensionIDs map: borrowing RTPExtensionIDMap,
                                        reservingExtension reservedID: UInt8 = 0, length reservedLength: Int = 0) -> Int {
        let copied = original.copiedSize(extensionIDs: map, reservingExtension: reservedID, length: reservedLength)
        return max(copied, copied - original.paddingCount + originalSequenceNumberSize)
    }

    /// The forwarding form: RTX for a subscriber whose header (`header` carries the RTX ssrc, pt and
    /// sequence number, the subscriber's timestamp and the marker), sequence numbers and extension
    /// ids differ from the publisher's. `originalSequenceNumber` is the OSN: the number the subscriber
    /// saw (and NACKed), not the publisher's. Extensions go through `map` and an element `reservedID` of `reservedLength` bytes
    /// is appended as in `RTPPacket.copy(into:header:extensionIDs:reservingExtension:length:)`; the
    /// result's `count` is the RTX packet's length and `reservedValueOffset` where to write e.g. the
    /// transport-wide sequence number.
    ///
    /// - Precondition: `reservedLength` is 0…255.
    public static func wrap(_ original: RTPPacket, header: RTPHeader, originalSequenceNumber: UInt16, extensionIDs map: borrowing RTPExtensionIDMap,
                            reservingExtension reservedID: UInt8 = 0, length reservedLength: Int = 0,
                            into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> RTPCopyResult {
        let needed = requiredCapacity(of: original, extensionIDs: map, reservingExtension: reservedID, length: reservedLength)
        guard needed <= buffer.count else { throw BufferTooSmall(needed: needed, available: buffer.count) }
        var r = try original.copy(into: buffer, header: header, extensionIDs: map, reservingExtension: reservedID, length: reservedLength)
        let tail = original.bytes.count - original.payloadOffset
        let payloadStart = r.count - tail
        let dst = buffer.baseAddress!
        if original.payloadCount > 0 {
            (dst + payloadStart + originalSequenceNumberSize).copyMemory(from: dst + payloadStart, byteCount: original.payloadCount)
        }
        buffer.storeBigEndian(originalSequenceNumber, at: payloadStart)
        buffer[0] &= ~0x20
        r.count = payloadStart + originalSequenceNumberSize + original.payloadCount
        return r
    }

    /// Bytes `wrap(_:header:extensions:into:)` writes.
    public static func wrappedSize(of original: RTPPacket, extensions: borrowing RTPExtensionList) -> Int {
        RTPPacket.encodedSize(csrcCount: original.csrcCount, extensions: extensions,
                              payloadCount: originalSequenceNumberSize + original.payloadCount)
    }

    /// The sender's form: RTX with the RTX stream's own header extensions (mid, repaired-rid, fresh
    /// send times) instead of the original's. `header` carries the RTX ssrc, pt and sequence number
    /// and normally the original's timestamp and marker; CSRCs are the original's.
    public static func wrap(_ original: RTPPacket, header: RTPHeader, extensions: borrowing RTPExtensionList,
                            into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        let total = wrappedSize(of: original, extensions: extensions)
        guard total <= buffer.count else { throw BufferTooSmall(needed: total, available: buffer.count) }
        let csrcCount = original.csrcCount
        let list = copy extensions
        // Why a stack buffer: `RTPPacket.write` takes CSRCs in host order; at most 15 of them.
        let headerCount = try withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 15) { (csrcs) throws(BufferTooSmall) -> Int in
            for i in 0 ..< csrcCount { csrcs[i] = original.csrc(at: i) }
            return try RTPPacket.write(header: header, csrcs: UnsafeBufferPointer(rebasing: csrcs[0 ..< csrcCount]), extensions: list,
                                       payload: UnsafeRawBufferPointer(start: nil, count: 0), into: buffer)
        }
        writeOSNAndPayload(of: original, into: buffer, at: headerCount)
        return total
    }

    @inline(__always)
    static func writeOSNAndPayload(of original: RTPPacket, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeBigEndian(original.sequenceNumber, at: offset)
        if original.payloadCount > 0 {
            (buffer.baseAddress! + offset + originalSequenceNumberSize).copyMemory(from: original.payload.baseAddress!, byteCount: original.payloadCount)
        }
    }

    // MARK: Unwrap

    /// The original sequence number an RTX packet carries.
    @inlinable
    public static func originalSequenceNumber(of rtx: RTPPacket) throws(ParseError) -> UInt16 {
        guard rtx.payloadCount >= originalSequenceNumberSize else { throw ParseError(.truncated, at: rtx.payloadOffset, "RTX original sequence number") }
        return rtx.bytes.loadBigEndianUInt16(at: rtx.payloadOffset)
    }

    /// The original payload an RTX packet carries (after the OSN, without padding).
    @inlinable
    public static func originalPayload(of rtx: RTPPacket) throws(ParseError) -> UnsafeRawBufferPointer {
        guard rtx.payloadCount >= originalSequenceNumberSize else { throw ParseError(.truncated, at: rtx.payloadOffset, "RTX original sequence number") }
        let start = rtx.payloadOffset + originalSequenceNumberSize
        return UnsafeRawBufferPointer(rebasing: rtx.bytes[start ..< rtx.payloadOffset + rtx.payloadCount])
    }

    /// Bytes `unwrap` writes for `rtx`.
    public static func unwrappedSize(of rtx: RTPPacket) throws(ParseError) -> Int {
        guard rtx.payloadCount >= originalSequenceNumberSize else { throw ParseError(.truncated, at: rtx.payloadOffset, "RTX original sequence number") }
        return rtx.payloadOffset + rtx.payloadCount - originalSequenceNumberSize
    }

    /// Writes the original packet carried by `rtx`: the RTX header, CSRCs and extension block
    /// verbatim, the sequence number from the OSN, `originalSSRC` and `originalPayloadType` (from the
    /// stream's `apt=`), the payload after the OSN and no padding. Returns the bytes written.
    public static func unwrap(_ rtx: RTPPacket, originalSSRC: UInt32, originalPayloadType: UInt8,
                              into buffer: UnsafeMutableRawBufferPointer) throws(RTXError) -> Int {
        let total: Int
        do { total = try unwrappedSize(of: rtx) } catch { throw .malformed(error) }
        guard total <= buffer.count else { throw .bufferTooSmall(BufferTooSmall(needed: total, available: buffer.count)) }
        let headerCount = rtx.payloadOffset
        let src = rtx.bytes.baseAddress!
        let dst = buffer.baseAddress!
        dst.copyMemory(from: src, byteCount: headerCount)
        let rest = total - headerCount
        if rest > 0 { (dst + headerCount).copyMemory(from: src + headerCount + originalSequenceNumberSize, byteCount: rest) }
        restoreHeader(buffer, osn: rtx.bytes.loadBigEndianUInt16(at: headerCount), ssrc: originalSSRC, payloadType: originalPayloadType)
        return total
    }

    /// `unwrap` over raw bytes: parses `rtx` first.
    public static func unwrap(bytes rtx: UnsafeRawBufferPointer, originalSSRC: UInt32, originalPayloadType: UInt8,
                              into buffer: UnsafeMutableRawBufferPointer) throws(RTXError) -> Int {
        let packet: RTPPacket
        do { packet = try RTPPacket(parsing: rtx) } catch { throw .malformed(error) }
        return try unwrap(packet, originalSSRC: originalSSRC, originalPayloadType: originalPayloadType, into: buffer)
    }

    /// Unwraps the RTX packet in `packet` where it lies (the receive slot), so ingest needs no
    /// second buffer: the payload moves 2 bytes down over the OSN. Returns the original's length;
    /// the bytes after it are left as they were. On error the bytes are untouched.
    public static func unwrapInPlace(_ packet: UnsafeMutableRawBufferPointer, originalSSRC: UInt32,
                                     originalPayloadType: UInt8) throws(ParseError) -> Int {
        let rtx = try RTPPacket(parsing: UnsafeRawBufferPointer(packet))
        let total = try unwrappedSize(of: rtx)
        let headerCount = rtx.payloadOffset
        let osn = packet.loadBigEndianUInt16(at: headerCount)
        let rest = total - headerCount
        if rest > 0 {
            let base = packet.baseAddress! + headerCount
            // The ranges overlap: copyMemory is memmove.
            base.copyMemory(from: UnsafeRawPointer(base + originalSequenceNumberSize), byteCount: rest)
        }
        restoreHeader(packet, osn: osn, ssrc: originalSSRC, payloadType: originalPayloadType)
        return total
    }

    @inline(__always)
    static func restoreHeader(_ buffer: UnsafeMutableRawBufferPointer, osn: UInt16, ssrc: UInt32, payloadType: UInt8) {
        buffer[0] &= ~0x20
        buffer[1] = buffer[1] & 0x80 | payloadType & 0x7F
        buffer.storeBigEndian(osn, at: 2)
        buffer.storeBigEndian(ssrc, at: 8)
    }
}

/// Why an RTX operation over raw bytes failed.
public enum RTXError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input is not an RTP packet, or its payload is shorter than the 2-byte OSN.
    case malformed(ParseError)
    /// The caller's buffer cannot hold the result.
    case bufferTooSmall(BufferTooSmall)

    public var description: String {
        switch self {
        case .malformed(let e): "RTX: \(e)"
        case .bufferTooSmall(let e): "RTX: \(e)"
        }
    }
}
