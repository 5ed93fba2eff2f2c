/// Building RTP packets (RFC 3550 §5.1) with RFC 8285 header extensions into a caller buffer.
///
///    +-------------------+-----------+--------------------------------+---------+-----------+
///    | fixed header (12) | CSRC × 4  | 0xBEDE or 0x1000 | len | elems | payload | padding…n |
///    +-------------------+-----------+--------------------------------+---------+-----------+
///
/// The form is chosen from the elements: one-byte (RFC 8285 §4.2) when every id is 1…14 and every
/// value 1…16 bytes, else two-byte (§4.3; needs `a=extmap-allow-mixed` at the receiver). Elements
/// are written in order and the block is zero-padded to a 32-bit boundary.

/// Up to 16 header extension elements to write, borrowed (values must outlive the write). Inline
/// storage: building a list allocates nothing.
public struct RTPExtensionList {
    public static let capacity = 16
    @usableFromInline var _ids: InlineArray<16, UInt8>
    @usableFromInline var _values: InlineArray<16, UnsafeRawBufferPointer>
    public private(set) var count: Int

    public init() {
        _ids = InlineArray(repeating: 0)
        _values = InlineArray(repeating: UnsafeRawBufferPointer(start: nil, count: 0))
        count = 0
    }

    public enum AppendError: Error, Sendable, Equatable {
        /// Id 0 is padding (RFC 8285 §4.1).
        case invalidID
        /// Values are at most 255 bytes (two-byte form).
        case valueTooLong
        /// `capacity` elements already.
        case full
    }

    public mutating func append(id: UInt8, value: UnsafeRawBufferPointer) throws(AppendError) {
        guard id != 0 else { throw .invalidID }
        guard value.count <= 255 else { throw .valueTooLong }
        guard count < RTPExtensionList.capacity else { throw .full }
        _ids[count] = id
        _values[count] = value
        count += 1
    }

    public func id(at index: Int) -> UInt8 { _ids[index] }
    public func value(at index: Int) -> UnsafeRawBufferPointer { _values[index] }

    /// `.none` when empty, else the form `write` uses.
    public var form: RTPExtensionForm {
        if count == 0 { return .none }
        for i in 0 ..< count where !RTPExtensionList.fitsOneByte(id: _ids[i], length: _values[i].count) { return .twoByte }
        return .oneByte
    }

    /// Bytes of the whole block including its 4-byte header (0 when empty).
    public var blockSize: Int {
        let f = form
        if f == .none { return 0 }
        let perElement = f == .oneByte ? 1 : 2
        var total = 0
        for i in 0 ..< count { total += perElement + _values[i].count }
        return 4 + ((total + 3) & ~3)
    }

    @inlinable @inline(__always)
    static func fitsOneByte(id: UInt8, length: Int) -> Bool { id <= 14 && length >= 1 && length <= 16 }
}

extension RTPPacket {
    /// Bytes `write(header:…)` needs.
    public static func encodedSize(csrcCount: Int = 0, extensions: borrowing RTPExtensionList, payloadCount: Int, paddingCount: Int = 0) -> Int {
        12 + csrcCount * 4 + extensions.blockSize + payloadCount + paddingCount
    }

    /// Writes a complete packet into `buffer` and returns its length.
    ///
    /// - Parameters:
    ///   - csrcs: 0…15 contributing sources, in host order.
    ///   - paddingCount: 0, or 1…255 padding bytes (the last holds the count; P is set).
    public static func write(header: RTPHeader, csrcs: UnsafeBufferPointer<UInt32> = UnsafeBufferPointer(start: nil, count: 0),
                             extensions: borrowing RTPExtensionList, payload: UnsafeRawBufferPointer, paddingCount: Int = 0,
                             into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        precondition(csrcs.count <= 15, "at most 15 CSRCs")
        precondition(paddingCount >= 0 && paddingCount <= 255, "padding is 0…255 bytes")
        let form = extensions.form
        let blockSize = extensions.blockSize
        let total = 12 + csrcs.count * 4 + blockSize + payload.count + paddingCount
        guard total <= buffer.count else { throw BufferTooSmall(needed: total, available: buffer.count) }

        buffer[0] = 0x80 | (paddingCount > 0 ? 0x20 : 0) | (blockSize > 0 ? 0x10 : 0) | UInt8(csrcs.count)
        buffer[1] = (header.marker ? 0x80 : 0) | header.payloadType & 0x7F
        buffer.storeBigEndian(header.sequenceNumber, at: 2)
        buffer.storeBigEndian(header.timestamp, at: 4)
        buffer.storeBigEndian(header.ssrc, at: 8)
        var o = 12
        for c in csrcs { buffer.storeBigEndian(c, at: o); o += 4 }

        if blockSize > 0 {
            buffer.storeBigEndian(form == .oneByte ? RTPPacket.oneByteProfile : RTPPacket.twoByteProfile, at: o)
            buffer.storeBigEndian(UInt16((blockSize - 4) / 4), at: o + 2)
            let end = o + blockSize
            o += 4
            for i in 0 ..< extensions.count {
                o = writeElement(id: extensions._ids[i], value: extensions._values[i], oneByte: form == .oneByte, into: buffer, at: o)
            }
            zero(buffer, from: o, to: end)
            o = end
        }

        if payload.count > 0 { (buffer.baseAddress! + o).copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
        o += payload.count
        if paddingCount > 0 {
            zero(buffer, from: o, to: o + paddingCount - 1)
            buffer[o + paddingCount - 1] = UInt8(paddingCount)
            o += paddingCount
        }
        return o
    }

    /// Writes one element header and value at `offset`; returns the offset after it. Bounds are the
    /// caller's.
    @inline(__always)
    static func writeElement(id: UInt8, value: UnsafeRawBufferPointer, oneByte: Bool, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var o = offset
        if oneByte {
            buffer[o] = id << 4 | UInt8(value.count - 1)
            o += 1
        } else {
            buffer[o] = id
            buffer[o + 1] = UInt8(value.count)
            o += 2
        }
        if value.count > 0 { (buffer.baseAddress! + o).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        return o + value.count
    }

    @inline(__always)
    static func zero(_ buffer: UnsafeMutableRawBufferPointer, from start: Int, to end: Int) {
        if end > start { (buffer.baseAddress! + start).initializeMemory(as: UInt8.self, repeating: 0, count: end - start) }
    }
}
