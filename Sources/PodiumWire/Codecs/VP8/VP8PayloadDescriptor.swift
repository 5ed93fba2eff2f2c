/// VP8 payload descriptor (RFC 7741 §4.2), the bytes before the VP8 bitstream in every RTP payload.
///
///          0 1 2 3 4 5 6 7
///         +-+-+-+-+-+-+-+-+
///         |X|R|N|S|R| PID | (REQUIRED)
///         +-+-+-+-+-+-+-+-+
///    X:   |I|L|T|K| RSV   | (OPTIONAL)
///         +-+-+-+-+-+-+-+-+
///    I:   |M| PictureID   | (OPTIONAL, M=1: 15-bit picture id in two bytes)
///         +-+-+-+-+-+-+-+-+
///         |   PictureID   |
///         +-+-+-+-+-+-+-+-+
///    L:   |   TL0PICIDX   | (OPTIONAL)
///         +-+-+-+-+-+-+-+-+
///    T/K: |TID|Y| KEYIDX  | (OPTIONAL, present when T=1 or K=1)
///         +-+-+-+-+-+-+-+-+
///
/// On the first packet of a frame (S=1, PID=0) the VP8 payload header follows (`VP8FrameHeader`).
///
/// `payloadHeaderSize` is the size of this descriptor: the offset where the VP8 bitstream starts.
/// The rewrite methods change picture id, TL0PICIDX and KEYIDX in place at the offsets this parse
/// found, for a consumer rewriting its own copy of the packet.
public struct VP8PayloadDescriptor: Sendable, Equatable, CustomStringConvertible {
    /// X: the extension byte is present (it may be present with I, L, T and K all zero).
    public var hasExtension: Bool
    /// N: the frame can be discarded without affecting any other frame.
    public var isNonReference: Bool
    /// S: the packet starts a VP8 partition.
    public var isStartOfPartition: Bool
    /// PID: the partition index, 0...7.
    public var partitionIndex: UInt8
    /// I: picture id (7 or 15 bits, see `hasLongPictureID`).
    public var pictureID: UInt16?
    /// M: the picture id field is 15 bits wide (two bytes) rather than 7 (one byte).
    public var hasLongPictureID: Bool
    /// L: TL0PICIDX, the running index of the base temporal layer frames.
    public var tl0PicIndex: UInt8?
    /// T: TID, the temporal layer index (0...3).
    public var temporalLayerID: UInt8?
    /// Y: layer sync; meaningful only with a TID.
    public var isLayerSync: Bool
    /// K: KEYIDX, the running index of key frames (0...31).
    public var keyIndex: UInt8?
    /// The VP8 payload header, present (parsed) only on the first packet of a frame.
    public var frameHeader: VP8FrameHeader?

    public init(
        isNonReference: Bool = false, isStartOfPartition: Bool = true, partitionIndex: UInt8 = 0,
        pictureID: UInt16? = nil, hasLongPictureID: Bool = true, tl0PicIndex: UInt8? = nil,
        temporalLayerID: UInt8? = nil, isLayerSync: Bool = false, keyIndex: UInt8? = nil,
        hasExtension: Bool = false
    ) {
        self.hasExtension = hasExtension || pictureID != nil || tl0PicIndex != nil || temporalLayerID != nil || keyIndex != nil
        self.isNonReference = isNonReference
        self.isStartOfPartition = isStartOfPartition
        self.partitionIndex = partitionIndex & 0x07
        self.pictureID = pictureID.map { $0 & (hasLongPictureID ? 0x7FFF : 0x7F) }
        self.hasLongPictureID = hasLongPictureID
        self.tl0PicIndex = tl0PicIndex
        self.temporalLayerID = temporalLayerID.map { $0 & 0x03 }
        self.isLayerSync = temporalLayerID != nil && isLayerSync
        self.keyIndex = keyIndex.map { $0 & 0x1F }
        self.frameHeader = nil
    }

    public init(parsing payload: UnsafeRawBufferPointer) throws(ParseError) {
        var r = ByteReader(payload)
        let b0 = try r.readUInt8("VP8 descriptor")
        hasExtension = b0 & 0x80 != 0
        isNonReference = b0 & 0x20 != 0
        isStartOfPartition = b0 & 0x10 != 0
        partitionIndex = b0 & 0x07
        pictureID = nil
        hasLongPictureID = false
        tl0PicIndex = nil
        temporalLayerID = nil
        isLayerSync = false
        keyIndex = nil
        frameHeader = nil
        if hasExtension {
            let x = try r.readUInt8("VP8 extension byte")
            if x & 0x80 != 0 {
                let p0 = try r.readUInt8("VP8 picture id")
                if p0 & 0x80 != 0 {
                    hasLongPictureID = true
                    let p1 = try r.readUInt8("VP8 15-bit picture id")
                    pictureID = UInt16(p0 & 0x7F) << 8 | UInt16(p1)
                } else {
                    pictureID = UInt16(p0)
                }
            }
            if x & 0x40 != 0 { tl0PicIndex = try r.readUInt8("VP8 TL0PICIDX") }
            if x & 0x30 != 0 {
                let t = try r.readUInt8("VP8 TID/Y/KEYIDX")
                if x & 0x20 != 0 {
                    temporalLayerID = t >> 6
                    isLayerSync = t & 0x20 != 0
                }
                if x & 0x10 != 0 { keyIndex = t & 0x1F }
            }
        }
        // Why: libwebrtc rejects an empty VP8 payload; a descriptor with nothing after it is useless.
        if r.isAtEnd { throw ParseError(.truncated, at: r.offset, "VP8 payload after descriptor") }
        if isStartOfPartition && partitionIndex == 0 {
            frameHeader = try VP8FrameHeader(parsing: payload, at: r.offset)
        }
    }

    /// Bytes of descriptor before the VP8 bitstream (1...6).
    @inlinable public var payloadHeaderSize: Int { encodedSize }

    public var encodedSize: Int {
        guard hasExtension else { return 1 }
        return 2 + pictureIDSize + (tl0PicIndex != nil ? 1 : 0) + (temporalLayerID != nil || keyIndex != nil ? 1 : 0)
    }

    /// S=1 and PID=0: this packet carries the first bytes of a frame.
    @inlinable public var isStartOfFrame: Bool { isStartOfPartition && partitionIndex == 0 }

    /// The frame is a key frame. Known only on the first packet of a frame; false on the others.
    @inlinable public var isKeyframe: Bool { frameHeader?.isKeyframe ?? false }

    // MARK: In-place rewriting

    private var pictureIDSize: Int { pictureID == nil ? 0 : (hasLongPictureID ? 2 : 1) }

    /// Offset of the picture id field in the payload, if present.
    public var pictureIDOffset: Int? { pictureID == nil ? nil : 2 }
    /// Offset of the TL0PICIDX byte in the payload, if present.
    public var tl0PicIndexOffset: Int? { tl0PicIndex == nil ? nil : 2 + pictureIDSize }
    /// Offset of the TID/Y/KEYIDX byte in the payload, if present.
    public var temporalKeyIndexOffset: Int? {
        temporalLayerID == nil && keyIndex == nil ? nil : 2 + pictureIDSize + (tl0PicIndex == nil ? 0 : 1)
    }

    /// The largest picture id the field carries: 0x7FFF (15 bits) or 0x7F (7 bits); 0 when absent.
    public var pictureIDMask: UInt16 { pictureID == nil ? 0 : (hasLongPictureID ? 0x7FFF : 0x7F) }

    /// Whether `id` fits the picture id field this packet has without being truncated.
    /// Why: a 7-bit field cannot carry a 15-bit id; the SFU must then keep its picture-id
    /// sequence modulo 128 for this stream (libwebrtc always sends 15 bits; others may not).
    public func canHold(pictureID id: UInt16) -> Bool { pictureID != nil && id & ~pictureIDMask == 0 }

    /// Writes `id` (modulo the field width, keeping M) into `payload`, a copy of the parsed bytes.
    /// Returns false, writing nothing, when the packet has no picture id.
    @discardableResult
    public func rewritePictureID(_ id: UInt16, in payload: UnsafeMutableRawBufferPointer) -> Bool {
        guard pictureID != nil else { return false }
        precondition(payload.count >= payloadHeaderSize, "payload shorter than its parsed descriptor")
        if hasLongPictureID {
            payload.storeBigEndian(0x8000 | (id & 0x7FFF), at: 2)
        } else {
            payload[2] = UInt8(truncatingIfNeeded: id) & 0x7F
        }
        return true
    }

    /// Writes TL0PICIDX into `payload`; false, writing nothing, when the packet has none.
    @discardableResult
    public func rewriteTL0PicIndex(_ index: UInt8, in payload: UnsafeMutableRawBufferPointer) -> Bool {
        guard let at = tl0PicIndexOffset else { return false }
        precondition(payload.count >= payloadHeaderSize, "payload shorter than its parsed descriptor")
        payload[at] = index
        return true
    }

    /// Writes KEYIDX (5 bits) into `payload`, keeping TID and Y; false when the packet has no KEYIDX.
    @discardableResult
    public func rewriteKeyIndex(_ index: UInt8, in payload: UnsafeMutableRawBufferPointer) -> Bool {
        guard keyIndex != nil, let at = temporalKeyIndexOffset else { return false }
        precondition(payload.count >= payloadHeaderSize, "payload shorter than its parsed descriptor")
        payload[at] = payload[at] & 0xE0 | index & 0x1F
        return true
    }

    // MARK: Writing

    /// Writes the descriptor (not the frame header, which belongs to the VP8 bitstream).
    /// Reserved bits are written as zero.
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.require(encodedSize)
        let x: UInt8 = hasExtension ? 0x80 : 0
        try w.write(x | (isNonReference ? 0x20 : 0) | (isStartOfPartition ? 0x10 : 0) | partitionIndex & 0x07)
        guard hasExtension else { return w.offset }
        let i: UInt8 = pictureID != nil ? 0x80 : 0
        let l: UInt8 = tl0PicIndex != nil ? 0x40 : 0
        let t: UInt8 = temporalLayerID != nil ? 0x20 : 0
        let k: UInt8 = keyIndex != nil ? 0x10 : 0
        try w.write(i | l | t | k)
        if let pictureID {
            if hasLongPictureID { try w.write(0x8000 | pictureID & 0x7FFF) } else { try w.write(UInt8(pictureID & 0x7F)) }
        }
        if let tl0PicIndex { try w.write(tl0PicIndex) }
        if t | k != 0 {
            let tid = (temporalLayerID ?? 0) & 0x03
            try w.write(tid << 6 | (temporalLayerID != nil && isLayerSync ? 0x20 : 0) | (keyIndex ?? 0) & 0x1F)
        }
        return w.offset
    }

    public var description: String {
        var s = "VP8(S=\(isStartOfPartition ? 1 : 0) PID=\(partitionIndex)"
        if isNonReference { s += " N" }
        if let pictureID { s += " picId=\(pictureID)\(hasLongPictureID ? "" : "/7")" }
        if let tl0PicIndex { s += " tl0=\(tl0PicIndex)" }
        if let temporalLayerID { s += " tid=\(temporalLayerID)\(isLayerSync ? " Y" : "")" }
        if let keyIndex { s += " keyIdx=\(keyIndex)" }
        if let frameHeader { s += " \(frameHeader)" }
        return s + ")"
    }
}
