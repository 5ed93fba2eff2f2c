/// AV1 RTP payload (AOMedia "RTP Payload Format For AV1" §4.4, §4.5): an aggregation header and
/// OBU elements.
///
///      0 1 2 3 4 5 6 7
///     +-+-+-+-+-+-+-+-+
///     |Z|Y| W |N|-|-|-|   Z: the first element continues an OBU from the previous packet
///     +-+-+-+-+-+-+-+-+   Y: the last element continues in the next packet
///     |  OBU element  |   W: 0 = every element has an leb128 length;
///     |  ...          |      1…3 = that many elements, all but the last with an leb128 length
///                         N: first packet of a coded video sequence
///
///     OBU element:  [ leb128 length ] | OBU header (1–2 bytes) [ obu_size ] | OBU payload
///                   (a continuation fragment, first element with Z=1, has no OBU header)
///
/// Why: the spec's W=0 rule is "each OBU element MUST be preceded by a length field", the last one
/// included; only with W=1…3 does the last element go without one (§4.4).
///
/// `AV1Payload` is a view over the payload: `init(parsing:)` validates every length once, then
/// `elements` iterates without checks or allocation.
public struct AV1AggregationHeader: Sendable, Hashable, CustomStringConvertible {
    /// Z: the first OBU element is the continuation of an OBU fragment.
    public var firstElementIsContinuation: Bool
    /// Y: the last OBU element continues in the next packet.
    public var lastElementContinues: Bool
    /// W: the number of OBU elements (0 = not given, every element has a length).
    public var elementCount: UInt8
    /// N: the packet starts a new coded video sequence (it carries a key frame's first OBUs).
    public var startsNewCodedVideoSequence: Bool

    public init(firstElementIsContinuation: Bool = false, lastElementContinues: Bool = false,
                elementCount: UInt8 = 0, startsNewCodedVideoSequence: Bool = false) {
        self.firstElementIsContinuation = firstElementIsContinuation
        self.lastElementContinues = lastElementContinues
        self.elementCount = elementCount & 3
        self.startsNewCodedVideoSequence = startsNewCodedVideoSequence
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        guard let b = bytes.first else { throw ParseError(.truncated, at: 0, "AV1 aggregation header") }
        self.init(byte: b)
    }

    public init(byte b: UInt8) {
        firstElementIsContinuation = b & 0x80 != 0
        lastElementContinues = b & 0x40 != 0
        elementCount = (b >> 4) & 0x03
        startsNewCodedVideoSequence = b & 0x08 != 0
    }

    public var byte: UInt8 {
        (firstElementIsContinuation ? 0x80 : 0) | (lastElementContinues ? 0x40 : 0) | (elementCount & 3) << 4
            | (startsNewCodedVideoSequence ? 0x08 : 0)
    }

    public var encodedSize: Int { 1 }

    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.write(byte)
        return 1
    }

    public var description: String {
        "AV1(\(firstElementIsContinuation ? "Z" : "-")\(lastElementContinues ? "Y" : "-")W\(elementCount)\(startsNewCodedVideoSequence ? "N" : "-"))"
    }
}

/// One OBU element of a packet: a whole OBU, or a fragment of one.
public struct AV1OBUElement: CustomStringConvertible {
    /// The element's bytes (without its leb128 length).
    public let bytes: UnsafeRawBufferPointer
    /// Offset of `bytes` in the payload.
    public let offset: Int
    /// A continuation of an OBU started in an earlier packet: no OBU header at its start.
    public let isContinuation: Bool
    /// The OBU continues in the next packet.
    public let continuesInNextPacket: Bool
    /// The OBU header, when this element starts an OBU.
    public let header: AV1OBUHeader?

    public var description: String {
        "element(@\(offset) \(bytes.count)B\(isContinuation ? " cont" : "")\(continuesInNextPacket ? " →" : "") \(header.map(\.description) ?? "-"))"
    }
}

public struct AV1Payload: CustomStringConvertible {
    public static let maxOBUSize = Int(UInt32.max)

    public let bytes: UnsafeRawBufferPointer
    public let aggregationHeader: AV1AggregationHeader
    /// Number of OBU elements (counted when W=0).
    public let elementCount: Int
    /// A sequence header OBU starts in this packet.
    public let containsSequenceHeader: Bool
    /// frame_type of the first OBU_FRAME / OBU_FRAME_HEADER starting in this packet, when readable
    /// (see `peekFrameType`).
    public let frameType: AV1FrameType?
    /// temporal_id / spatial_id of the first OBU starting in this packet with an extension header.
    public let temporalLayerID: UInt8?
    public let spatialLayerID: UInt8?
    /// The type of the first OBU starting at the packet's first element (nil with Z=1).
    public let firstOBUType: AV1OBUType?

    public init(parsing payload: UnsafeRawBufferPointer) throws(ParseError) {
        let header = try AV1AggregationHeader(parsing: payload)
        bytes = payload
        aggregationHeader = header
        var count = 0
        var sequenceHeader = false
        var frameType: AV1FrameType? = nil
        var tid: UInt8? = nil
        var sid: UInt8? = nil
        var firstType: AV1OBUType? = nil
        var offset = 1
        let w = Int(header.elementCount)
        if offset == payload.count { throw ParseError(.malformed, at: offset, "AV1 packet without OBU elements") }
        while offset < payload.count {
            if w != 0 && count == w {
                throw ParseError(.malformed, at: offset, "AV1 bytes after the W-th element")
            }
            let length: Int
            if w != 0 && count == w - 1 {
                length = payload.count - offset
            } else {
                let leb = try LEB128.read(payload, at: offset)
                offset += leb.length
                length = Int(leb.value)
                if length > payload.count - offset {
                    throw ParseError(.truncated, at: offset, "AV1 OBU element length past the end")
                }
            }
            if length == 0 { throw ParseError(.malformed, at: offset, "AV1 empty OBU element") }
            let isContinuation = count == 0 && header.firstElementIsContinuation
            if !isContinuation {
                let element = UnsafeRawBufferPointer(rebasing: payload[offset..<offset + length])
                let obu = try AV1OBUHeader(parsing: element)
                let continues = offset + length == payload.count && header.lastElementContinues
                if obu.hasSizeField && !continues {
                    let size = try LEB128.read(element, at: obu.encodedSize)
                    if Int(size.value) > length - obu.encodedSize - size.length {
                        throw ParseError(.truncated, at: offset, "AV1 obu_size past the OBU element")
                    }
                }
                if count == 0 { firstType = obu.type }
                if obu.type == .sequenceHeader { sequenceHeader = true }
                if tid == nil, let t = obu.temporalID {
                    tid = t
                    sid = obu.spatialID
                }
                if frameType == nil, obu.type == .frame || obu.type == .frameHeader {
                    frameType = Self.peekFrameType(element, header: obu)
                }
            }
            offset += length
            count += 1
        }
        if w != 0 && count < w { throw ParseError(.truncated, at: offset, "AV1 fewer elements than W") }
        elementCount = count
        containsSequenceHeader = sequenceHeader
        self.frameType = frameType
        temporalLayerID = tid
        spatialLayerID = sid
        firstOBUType = firstType
    }

    /// Reads frame_type from the start of an OBU_FRAME / OBU_FRAME_HEADER element.
    ///
    /// Why this is enough: uncompressed_header() (AV1 §5.9.2) begins with show_existing_frame f(1)
    /// then frame_type f(2), unless the sequence header sets reduced_still_picture_header (still
    /// images, never real-time RTP) — the only sequence-header dependency before frame_type. With
    /// show_existing_frame = 1 the type comes from decoder state (nil here). The N bit stays the
    /// reliable key-frame signal; this adds key frames that do not start a new sequence.
    public static func peekFrameType(_ element: UnsafeRawBufferPointer, header: AV1OBUHeader) -> AV1FrameType? {
        var offset = header.encodedSize
        if header.hasSizeField {
            guard let leb = try? LEB128.read(element, at: offset) else { return nil }
            offset += leb.length
        }
        guard offset < element.count else { return nil }
        let b = element[offset]
        if b & 0x80 != 0 { return nil }
        return AV1FrameType(rawValue: (b >> 5) & 0x03)
    }

    /// Bytes before the first OBU element: the aggregation header.
    public var payloadHeaderSize: Int { 1 }

    /// A key frame: the packet starts a coded video sequence (N=1) or a KEY_FRAME header starts in it.
    public var isKeyframe: Bool { aggregationHeader.startsNewCodedVideoSequence || frameType == .key }

    /// Whether a frame starts in this packet, as far as the payload can tell: false with Z=1; true
    /// when the first OBU is a temporal delimiter, sequence header, frame header or frame; nil
    /// otherwise (metadata first). Prefer the dependency descriptor or the RTP marker when present.
    public var isStartOfFrame: Bool? {
        guard let t = firstOBUType else { return false }
        switch t {
        case .temporalDelimiter, .sequenceHeader, .frameHeader, .frame: return true
        case .tileGroup, .tileList, .redundantFrameHeader, .padding: return false
        default: return nil
        }
    }

    /// False when the last OBU continues in the next packet (Y=1); otherwise unknown from the payload
    /// (the RTP marker ends a temporal unit; the dependency descriptor ends a frame).
    public var isEndOfFrame: Bool? { aggregationHeader.lastElementContinues ? false : nil }

    public var elements: Elements { Elements(payload: self) }

    public struct Elements: Sequence {
        let payload: AV1Payload
        public func makeIterator() -> Iterator { Iterator(payload: payload) }

        public struct Iterator: IteratorProtocol {
            let payload: AV1Payload
            var offset = 1
            var index = 0

            public mutating func next() -> AV1OBUElement? {
                let bytes = payload.bytes
                guard offset < bytes.count else { return nil }
                let w = Int(payload.aggregationHeader.elementCount)
                let length: Int
                if w != 0 && index == w - 1 {
                    length = bytes.count - offset
                } else {
                    // Validated by init(parsing:).
                    guard let leb = try? LEB128.read(bytes, at: offset) else { return nil }
                    offset += leb.length
                    length = Int(leb.value)
                }
                let element = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
                let isContinuation = index == 0 && payload.aggregationHeader.firstElementIsContinuation
                let isLast = offset + length == bytes.count
                let result = AV1OBUElement(
                    bytes: element, offset: offset, isContinuation: isContinuation,
                    continuesInNextPacket: isLast && payload.aggregationHeader.lastElementContinues,
                    header: isContinuation ? nil : try? AV1OBUHeader(parsing: element))
                offset += length
                index += 1
                return result
            }
        }
    }

    public var encodedSize: Int { bytes.count }

    /// Copies the payload (it is a view: the bytes are the encoding).
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.write(bytes: bytes)
        return w.offset
    }

    public var description: String {
        var s = "\(aggregationHeader) elements=\(elementCount)"
        if let firstOBUType { s += " first=\(firstOBUType)" }
        if containsSequenceHeader { s += " +seq" }
        if let frameType { s += " frame=\(frameType)" }
        if let t = temporalLayerID, let sid = spatialLayerID { s += " S\(sid)T\(t)" }
        return s
    }
}
