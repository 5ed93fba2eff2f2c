/// VP9 scalability structure, SS (RFC 9628 §4.2.1), carried in the payload descriptor when V=1
/// (usually on the first packet of a key picture).
///
///          +-+-+-+-+-+-+-+-+
///     V:   | N_S |Y|G|-|-|-|
///          +-+-+-+-+-+-+-+-+              -\
///     Y:   |     WIDTH     | (OPTIONAL)    .
///          +               +               .
///          |               | (OPTIONAL)    .
///          +-+-+-+-+-+-+-+-+               . - N_S + 1 times
///          |     HEIGHT    | (OPTIONAL)    .
///          +               +               .
///          |               | (OPTIONAL)    .
///          +-+-+-+-+-+-+-+-+              -/
///     G:   |      N_G      | (OPTIONAL)
///          +-+-+-+-+-+-+-+-+                           -\
///     N_G: |  TID  |U| R |-|-| (OPTIONAL)                .
///          +-+-+-+-+-+-+-+-+              -\            . - N_G times
///          |    P_DIFF     | (OPTIONAL)    . - R times  .
///          +-+-+-+-+-+-+-+-+              -/           -/
///
/// Stored inline (no allocation): up to 8 resolutions (N_S is 3 bits) and the raw picture group
/// bytes up to `maxPictureGroupBytes` (64: 16 groups with 3 references each; libwebrtc sends at most
/// 4 groups). Larger picture group descriptions throw `.limitExceeded`.
public struct VP9ScalabilityStructure: Sendable, Equatable, CustomStringConvertible {
    public static let maxPictureGroupBytes = 64

    /// N_S + 1, 1…8.
    public private(set) var spatialLayerCount: Int
    /// Y: resolutions are present.
    public private(set) var hasResolutions: Bool
    /// G: a picture group description is present (N_G may still be 0).
    public private(set) var hasPictureGroups: Bool
    /// N_G.
    public private(set) var pictureGroupCount: Int

    var resolutions: InlineArray<8, UInt32> = .init(repeating: 0)   // width << 16 | height
    var groupBytes: InlineArray<64, UInt8> = .init(repeating: 0)
    var groupByteCount: Int = 0

    /// Builds a structure (tests, senders). `resolutions` must be empty or one per spatial layer;
    /// nil `pictureGroups` leaves G=0.
    public init?(spatialLayerCount: Int, resolutions: [(width: Int, height: Int)] = [],
                 pictureGroups: [VP9PictureGroup]? = nil) {
        guard (1...8).contains(spatialLayerCount), resolutions.isEmpty || resolutions.count == spatialLayerCount else { return nil }
        self.spatialLayerCount = spatialLayerCount
        hasResolutions = !resolutions.isEmpty
        for (i, r) in resolutions.enumerated() {
            guard (0...0xFFFF).contains(r.width), (0...0xFFFF).contains(r.height) else { return nil }
            self.resolutions[i] = UInt32(r.width) << 16 | UInt32(r.height)
        }
        hasPictureGroups = pictureGroups != nil
        pictureGroupCount = pictureGroups?.count ?? 0
        guard pictureGroupCount <= 255 else { return nil }
        for g in pictureGroups ?? [] {
            guard groupByteCount + 1 + g.referenceDiffs.count <= Self.maxPictureGroupBytes else { return nil }
            groupBytes[groupByteCount] = (g.temporalLayerID & 7) << 5 | (g.isSwitchingUpPoint ? 0x10 : 0) | UInt8(g.referenceDiffs.count) << 2
            groupByteCount += 1
            for d in g.referenceDiffs {
                groupBytes[groupByteCount] = d
                groupByteCount += 1
            }
        }
    }

    init(reading r: inout ByteReader) throws(ParseError) {
        let v = try r.readUInt8("VP9 SS")
        spatialLayerCount = Int(v >> 5) + 1
        hasResolutions = v & 0x10 != 0
        hasPictureGroups = v & 0x08 != 0
        pictureGroupCount = 0
        if hasResolutions {
            for i in 0..<spatialLayerCount {
                let w = try r.readUInt16("VP9 SS width")
                let h = try r.readUInt16("VP9 SS height")
                resolutions[i] = UInt32(w) << 16 | UInt32(h)
            }
        }
        if hasPictureGroups {
            pictureGroupCount = Int(try r.readUInt8("VP9 SS N_G"))
            for _ in 0..<pictureGroupCount {
                let g = try r.readUInt8("VP9 SS picture group")
                let refs = Int(g >> 2) & 0x03
                try r.require(refs, "VP9 SS P_DIFF")
                if groupByteCount + 1 + refs > Self.maxPictureGroupBytes {
                    throw ParseError(.limitExceeded, at: r.offset - 1, "VP9 SS picture groups above 64 bytes")
                }
                groupBytes[groupByteCount] = g & 0xFC
                groupByteCount += 1
                for _ in 0..<refs {
                    groupBytes[groupByteCount] = try r.readUInt8("VP9 SS P_DIFF")
                    groupByteCount += 1
                }
            }
        }
    }

    /// Width and height of a spatial layer, when Y=1.
    public func resolution(spatialLayer: Int) -> (width: Int, height: Int)? {
        guard hasResolutions, spatialLayer >= 0, spatialLayer < spatialLayerCount else { return nil }
        let v = resolutions[spatialLayer]
        return (Int(v >> 16), Int(v & 0xFFFF))
    }

    /// The picture groups in order, decoded on the fly.
    public var pictureGroups: PictureGroups { PictureGroups(ss: self) }

    public struct PictureGroups: Sequence {
        let ss: VP9ScalabilityStructure
        public func makeIterator() -> Iterator { Iterator(ss: ss, offset: 0) }

        public struct Iterator: IteratorProtocol {
            let ss: VP9ScalabilityStructure
            var offset: Int
            public mutating func next() -> VP9PictureGroup? {
                guard offset < ss.groupByteCount else { return nil }
                let g = ss.groupBytes[offset]
                var diffs = VP9ReferenceDiffs()
                let refs = Int(g >> 2) & 0x03
                for k in 0..<refs { diffs.append(ss.groupBytes[offset + 1 + k]) }
                offset += 1 + refs
                return VP9PictureGroup(temporalLayerID: g >> 5, isSwitchingUpPoint: g & 0x10 != 0, referenceDiffs: diffs)
            }
        }
    }

    public var encodedSize: Int {
        1 + (hasResolutions ? 4 * spatialLayerCount : 0) + (hasPictureGroups ? 1 + groupByteCount : 0)
    }

    func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        try w.write(UInt8(spatialLayerCount - 1) << 5 | (hasResolutions ? 0x10 : 0) | (hasPictureGroups ? 0x08 : 0))
        if hasResolutions {
            for i in 0..<spatialLayerCount {
                try w.write(UInt16(resolutions[i] >> 16))
                try w.write(UInt16(resolutions[i] & 0xFFFF))
            }
        }
        if hasPictureGroups {
            try w.write(UInt8(pictureGroupCount))
            for i in 0..<groupByteCount { try w.write(groupBytes[i]) }
        }
    }

    public static func == (a: VP9ScalabilityStructure, b: VP9ScalabilityStructure) -> Bool {
        guard a.spatialLayerCount == b.spatialLayerCount, a.hasResolutions == b.hasResolutions,
              a.hasPictureGroups == b.hasPictureGroups, a.pictureGroupCount == b.pictureGroupCount,
              a.groupByteCount == b.groupByteCount else { return false }
        for i in 0..<a.spatialLayerCount where a.hasResolutions && a.resolutions[i] != b.resolutions[i] { return false }
        for i in 0..<a.groupByteCount where a.groupBytes[i] != b.groupBytes[i] { return false }
        return true
    }

    public var description: String {
        var s = "SS(layers=\(spatialLayerCount)"
        if hasResolutions {
            s += " " + (0..<spatialLayerCount).map { let r = resolution(spatialLayer: $0)!; return "\(r.width)x\(r.height)" }.joined(separator: ",")
        }
        if hasPictureGroups { s += " groups=[" + pictureGroups.map(\.description).joined(separator: " ") + "]" }
        return s + ")"
    }
}

/// One picture of the picture group in an SS: its temporal layer, U bit and P_DIFFs (8 bits each).
public struct VP9PictureGroup: Sendable, Hashable, CustomStringConvertible {
    public var temporalLayerID: UInt8
    public var isSwitchingUpPoint: Bool
    public var referenceDiffs: VP9ReferenceDiffs

    public init(temporalLayerID: UInt8, isSwitchingUpPoint: Bool, referenceDiffs: VP9ReferenceDiffs = VP9ReferenceDiffs()) {
        self.temporalLayerID = temporalLayerID & 7
        self.isSwitchingUpPoint = isSwitchingUpPoint
        self.referenceDiffs = referenceDiffs
    }

    public var description: String { "T\(temporalLayerID)\(isSwitchingUpPoint ? "U" : "")\(Array(referenceDiffs))" }
}
