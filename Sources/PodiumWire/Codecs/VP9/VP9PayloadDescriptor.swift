/// VP9 payload descriptor (RFC 9628 §4.2), the bytes before the VP9 bitstream in every RTP payload.
///
///           0 1 2 3 4 5 6 7
///          +-+-+-+-+-+-+-+-+
///          |I|P|L|F|B|E|V|Z| (REQUIRED)
///          +-+-+-+-+-+-+-+-+
///     I:   |M| PICTURE ID  | (REQUIRED in flexible mode)
///          +-+-+-+-+-+-+-+-+
///     M:   | EXTENDED PID  | (RECOMMENDED)
///          +-+-+-+-+-+-+-+-+
///     L:   |  TID  |U| SID |D| (Conditionally RECOMMENDED)
///          +-+-+-+-+-+-+-+-+
///          |   TL0PICIDX   | (only in non-flexible mode, F=0)
///          +-+-+-+-+-+-+-+-+                             -\
///     P,F: | P_DIFF      |N| (Conditionally REQUIRED)    - up to 3 times
///          +-+-+-+-+-+-+-+-+                             -/
///     V:   | SS            | (scalability structure, `VP9ScalabilityStructure`)
///          | ..            |
///          +-+-+-+-+-+-+-+-+
///
/// (TID is 3 bits, U 1, SID 3, D 1.) `payloadHeaderSize` is the offset where the VP9 bitstream starts.
/// The rewrite methods change picture id and TL0PICIDX in place, at the offsets this parse found.
public struct VP9PayloadDescriptor: Sendable, Equatable, CustomStringConvertible {
    /// P: the picture uses inter-picture (temporal) prediction.
    public var isInterPicturePredicted: Bool
    /// F: flexible mode (reference diffs in every packet) rather than a pre-declared picture group.
    public var isFlexibleMode: Bool
    /// B: the packet starts a (layer) frame.
    public var isStartOfFrame: Bool
    /// E: the packet ends a (layer) frame.
    public var isEndOfFrame: Bool
    /// Z: the frame is not used as a reference by upper spatial layers of the same picture.
    public var isNotReferenceForUpperSpatialLayers: Bool
    /// I: picture id, 7 or 15 bits (`hasLongPictureID`).
    public var pictureID: UInt16?
    /// M: the picture id is 15 bits (two bytes).
    public var hasLongPictureID: Bool
    /// L: temporal layer id (TID, 0…7).
    public var temporalLayerID: UInt8?
    /// L: spatial layer id (SID, 0…7).
    public var spatialLayerID: UInt8?
    /// U: switching up point: a receiver may switch up to a higher temporal layer from here.
    public var isSwitchingUpPoint: Bool
    /// D: the frame depends on the previous spatial layer of the same picture (inter-layer prediction).
    public var dependsOnLowerSpatialLayer: Bool
    /// TL0PICIDX (non-flexible mode with L).
    public var tl0PicIndex: UInt8?
    /// P_DIFF values (flexible mode with P): picture id differences to the references, 1…3 of them.
    public var referenceDiffs: VP9ReferenceDiffs
    /// V: the scalability structure.
    public var scalabilityStructure: VP9ScalabilityStructure?

    public init(
        isInterPicturePredicted: Bool = false, isFlexibleMode: Bool = false, isStartOfFrame: Bool = true,
        isEndOfFrame: Bool = true, isNotReferenceForUpperSpatialLayers: Bool = false,
        pictureID: UInt16? = nil, hasLongPictureID: Bool = true,
        temporalLayerID: UInt8? = nil, spatialLayerID: UInt8? = nil, isSwitchingUpPoint: Bool = false,
        dependsOnLowerSpatialLayer: Bool = false, tl0PicIndex: UInt8? = nil,
        referenceDiffs: VP9ReferenceDiffs = VP9ReferenceDiffs(), scalabilityStructure: VP9ScalabilityStructure? = nil
    ) {
        self.isInterPicturePredicted = isInterPicturePredicted
        self.isFlexibleMode = isFlexibleMode
        self.isStartOfFrame = isStartOfFrame
        self.isEndOfFrame = isEndOfFrame
        self.isNotReferenceForUpperSpatialLayers = isNotReferenceForUpperSpatialLayers
        self.pictureID = pictureID.map { $0 & (hasLongPictureID ? 0x7FFF : 0x7F) }
        self.hasLongPictureID = pictureID != nil && hasLongPictureID
        let layers = temporalLayerID != nil || spatialLayerID != nil
        self.temporalLayerID = layers ? (temporalLayerID ?? 0) & 7 : nil
        self.spatialLayerID = layers ? (spatialLayerID ?? 0) & 7 : nil
        self.isSwitchingUpPoint = layers && isSwitchingUpPoint
        self.dependsOnLowerSpatialLayer = layers && dependsOnLowerSpatialLayer
        self.tl0PicIndex = layers && !isFlexibleMode ? (tl0PicIndex ?? 0) : nil
        self.referenceDiffs = isFlexibleMode && isInterPicturePredicted ? referenceDiffs : VP9ReferenceDiffs()
        self.scalabilityStructure = scalabilityStructure
    }

    public init(parsing payload: UnsafeRawBufferPointer) throws(ParseError) {
        var r = ByteReader(payload)
        let b0 = try r.readUInt8("VP9 descriptor")
        let hasPictureID = b0 & 0x80 != 0
        isInterPicturePredicted = b0 & 0x40 != 0
        let hasLayers = b0 & 0x20 != 0
        isFlexibleMode = b0 & 0x10 != 0
        isStartOfFrame = b0 & 0x08 != 0
        isEndOfFrame = b0 & 0x04 != 0
        let hasSS = b0 & 0x02 != 0
        isNotReferenceForUpperSpatialLayers = b0 & 0x01 != 0
        pictureID = nil
        hasLongPictureID = false
        temporalLayerID = nil
        spatialLayerID = nil
        isSwitchingUpPoint = false
        dependsOnLowerSpatialLayer = false
        tl0PicIndex = nil
        referenceDiffs = VP9ReferenceDiffs()
        scalabilityStructure = nil

        if hasPictureID {
            let p0 = try r.readUInt8("VP9 picture id")
            if p0 & 0x80 != 0 {
                hasLongPictureID = true
                pictureID = UInt16(p0 & 0x7F) << 8 | UInt16(try r.readUInt8("VP9 extended picture id"))
            } else {
                pictureID = UInt16(p0)
            }
        }
        if hasLayers {
            let l = try r.readUInt8("VP9 layer indices")
            temporalLayerID = l >> 5
            isSwitchingUpPoint = l & 0x10 != 0
            spatialLayerID = (l >> 1) & 0x07
            dependsOnLowerSpatialLayer = l & 0x01 != 0
            if !isFlexibleMode { tl0PicIndex = try r.readUInt8("VP9 TL0PICIDX") }
        }
        if isFlexibleMode && isInterPicturePredicted {
            while true {
                let p = try r.readUInt8("VP9 P_DIFF")
                referenceDiffs.append(p >> 1)
                if p & 0x01 == 0 { break }
                if referenceDiffs.count == VP9ReferenceDiffs.capacity {
                    throw ParseError(.malformed, at: r.offset - 1, "VP9 more than 3 P_DIFF")
                }
            }
        }
        if hasSS {
            scalabilityStructure = try VP9ScalabilityStructure(reading: &r)
        }
        // Why: libwebrtc drops a VP9 packet whose payload ends with the descriptor.
        if r.isAtEnd { throw ParseError(.truncated, at: r.offset, "VP9 payload after descriptor") }
    }

    /// Bytes of descriptor before the VP9 bitstream.
    @inlinable public var payloadHeaderSize: Int { encodedSize }

    public var encodedSize: Int {
        var n = 1 + pictureIDSize
        if temporalLayerID != nil { n += isFlexibleMode ? 1 : 2 }
        if isFlexibleMode && isInterPicturePredicted { n += max(referenceDiffs.count, 1) }
        if let ss = scalabilityStructure { n += ss.encodedSize }
        return n
    }

    /// A key frame starts here: not inter-picture predicted (P=0), start of a frame (B=1), base
    /// spatial layer (SID=0 or no layer indices). This is mediasoup's and libwebrtc's rule; upper
    /// spatial layers of a key picture also have P=0 but depend on the layer below (D=1), so only the
    /// first packet of the base layer frame reports a key frame.
    @inlinable public var isKeyframe: Bool {
        !isInterPicturePredicted && isStartOfFrame && (spatialLayerID ?? 0) == 0
    }

    /// An upper spatial layer frame that needs no earlier picture (P=0): where a receiver can switch
    /// up to this spatial layer within a key picture (or an intra-only upswitch).
    @inlinable public var isSpatialSwitchPoint: Bool { !isInterPicturePredicted && isStartOfFrame }

    // MARK: In-place rewriting

    private var pictureIDSize: Int { pictureID == nil ? 0 : (hasLongPictureID ? 2 : 1) }

    /// Offset of the picture id field in the payload, if present.
    public var pictureIDOffset: Int? { pictureID == nil ? nil : 1 }
    /// Offset of the TL0PICIDX byte in the payload, if present.
    public var tl0PicIndexOffset: Int? { tl0PicIndex == nil ? nil : 2 + pictureIDSize }

    /// Writes `id` (modulo the field width, keeping M) into `payload`, a copy of the parsed bytes.
    /// Returns false, writing nothing, when the packet has no picture id.
    @discardableResult
    public func rewritePictureID(_ id: UInt16, in payload: UnsafeMutableRawBufferPointer) -> Bool {
        guard pictureID != nil else { return false }
        precondition(payload.count >= 1 + pictureIDSize, "payload shorter than its parsed descriptor")
        if hasLongPictureID {
            payload.storeBigEndian(0x8000 | (id & 0x7FFF), at: 1)
        } else {
            payload[1] = UInt8(truncatingIfNeeded: id) & 0x7F
        }
        return true
    }

    /// Writes TL0PICIDX into `payload`; false, writing nothing, when the packet has none.
    @discardableResult
    public func rewriteTL0PicIndex(_ index: UInt8, in payload: UnsafeMutableRawBufferPointer) -> Bool {
        guard let at = tl0PicIndexOffset else { return false }
        precondition(payload.count > at, "payload shorter than its parsed descriptor")
        payload[at] = index
        return true
    }

    // MARK: Writing

    /// Writes the descriptor (reserved bits zero). In flexible mode with P and no reference diffs a
    /// single P_DIFF of 0 would be invalid, so `referenceDiffs` must not be empty then.
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.require(encodedSize)
        var b0: UInt8 = pictureID != nil ? 0x80 : 0
        if isInterPicturePredicted { b0 |= 0x40 }
        if temporalLayerID != nil { b0 |= 0x20 }
        if isFlexibleMode { b0 |= 0x10 }
        if isStartOfFrame { b0 |= 0x08 }
        if isEndOfFrame { b0 |= 0x04 }
        if scalabilityStructure != nil { b0 |= 0x02 }
        if isNotReferenceForUpperSpatialLayers { b0 |= 0x01 }
        try w.write(b0)
        if let pictureID {
            if hasLongPictureID { try w.write(0x8000 | pictureID & 0x7FFF) } else { try w.write(UInt8(pictureID & 0x7F)) }
        }
        if let tid = temporalLayerID {
            let sid = spatialLayerID ?? 0
            try w.write((tid & 7) << 5 | (isSwitchingUpPoint ? 0x10 : 0) | (sid & 7) << 1 | (dependsOnLowerSpatialLayer ? 1 : 0))
            if !isFlexibleMode { try w.write(tl0PicIndex ?? 0) }
        }
        if isFlexibleMode && isInterPicturePredicted {
            let n = max(referenceDiffs.count, 1)
            for i in 0..<n {
                let diff = i < referenceDiffs.count ? referenceDiffs[i] : 0
                try w.write(diff << 1 | (i < n - 1 ? 1 : 0))
            }
        }
        if let ss = scalabilityStructure { try ss.write(to: &w) }
        return w.offset
    }

    public var description: String {
        var s = "VP9("
        s += isStartOfFrame ? "B" : "-"
        s += isEndOfFrame ? "E" : "-"
        s += isInterPicturePredicted ? "P" : "-"
        s += isFlexibleMode ? "F" : "-"
        if let pictureID { s += " pid=\(pictureID)\(hasLongPictureID ? "" : "/7")" }
        if let t = temporalLayerID, let sid = spatialLayerID {
            s += " S\(sid)T\(t)\(isSwitchingUpPoint ? " U" : "")\(dependsOnLowerSpatialLayer ? " D" : "")"
        }
        if let tl0PicIndex { s += " tl0=\(tl0PicIndex)" }
        if !referenceDiffs.isEmpty { s += " pdiff=\(Array(referenceDiffs))" }
        if let scalabilityStructure { s += " \(scalabilityStructure)" }
        return s + ")"
    }
}

/// Up to three reference picture id differences (P_DIFF, 7 bits each in the descriptor, 8 in the SS).
public struct VP9ReferenceDiffs: Sendable, Hashable, RandomAccessCollection {
    public static let capacity = 3
    @usableFromInline var packed: UInt32 = 0
    @usableFromInline var length: UInt8 = 0

    public init() {}

    public init?(_ diffs: [UInt8]) {
        for d in diffs { guard append(d) else { return nil } }
    }

    @discardableResult
    public mutating func append(_ diff: UInt8) -> Bool {
        if Int(length) == Self.capacity { return false }
        packed |= UInt32(diff) << (8 * UInt32(length))
        length += 1
        return true
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { Int(length) }
    @inlinable public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < Int(length), "reference diff out of range")
        return UInt8(truncatingIfNeeded: packed >> (8 * UInt32(position)))
    }
}
