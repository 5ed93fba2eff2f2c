/// Template dependency structure of the Dependency Descriptor (AV1 RTP spec Appendix A.8.3,
/// `template_dependency_structure()`), kept by the receiver so that later packets, which carry only
/// a template id, can be resolved without allocation.
///
///     template_id_offset f(6) | dt_cnt_minus_one f(5)
///     template_layers:   next_layer_idc f(2) per template (0 same, 1 next temporal, 2 next spatial, 3 end)
///     template_dtis:     f(2) × DtCnt per template
///     template_fdiffs:   { fdiff_follows_flag f(1), fdiff_minus_one f(4) }* 0 per template
///     template_chains:   chain_cnt ns(DtCnt+1), decode_target_protected_by ns(chain_cnt) × DtCnt,
///                        template_chain_fdiff f(4) × chain_cnt per template
///     resolutions_present_flag f(1) [ max_render_width_minus_1 f(16), max_render_height_minus_1 f(16) ]
///                                   per spatial layer
///
/// Fixed capacity (one 3.3 KiB block, allocated once per structure received — on key frames — and
/// shared by copies; resolving a packet against it allocates nothing): 64 templates (the template id is 6 bits),
/// 32 decode targets and 32 chains (the format's own limits), spatial and temporal ids 0…7 and
/// `FrameDiffs.capacity` (8) frame diffs per template. Larger input throws `.limitExceeded`.
public struct FrameDependencyStructure: Sendable, Equatable, CustomStringConvertible {
    public static let maxTemplates = 64
    public static let maxDecodeTargets = 32
    public static let maxChains = 32
    public static let maxSpatialIDs = 8
    public static let maxTemporalIDs = 8

    public private(set) var templateIDOffset: Int = 0
    public private(set) var decodeTargetCount: Int = 0
    /// Zero means "no structure received yet".
    public private(set) var templateCount: Int = 0
    public private(set) var chainCount: Int = 0
    public private(set) var hasRenderResolutions = false

    // Why: the tables live in one fixed-size block owned by a class. As inline InlineArrays (the
    // first version) every accessor copied the 3 KiB struct into a temporary: a packet that only
    // names a template cost 0.7–1.5 µs of memmove. The block is written only while a structure is
    // parsed or built, before anyone else can see it, so copies of the struct share it safely.
    var tables: FrameDependencyTables = .empty
    var layers: FixedTable<UInt8> { tables.table(FrameDependencyTables.layers, 64) }          // spatial << 4 | temporal
    var dtis: FixedTable<UInt64> { tables.table(FrameDependencyTables.dtis, 64) }
    var fdiffs: FixedTable<UInt8> { tables.table(FrameDependencyTables.fdiffs, 512) }        // 8 per template
    var fdiffCounts: FixedTable<UInt8> { tables.table(FrameDependencyTables.fdiffCounts, 64) }
    var chainFdiffs: FixedTable<UInt8> { tables.table(FrameDependencyTables.chainFdiffs, 2048) } // 32 per template
    var protectedBy: FixedTable<UInt8> { tables.table(FrameDependencyTables.protectedBy, 32) }
    var targetLayers: FixedTable<UInt8> { tables.table(FrameDependencyTables.targetLayers, 32) } // spatial << 4 | temporal
    var resolutions: FixedTable<UInt32> { tables.table(FrameDependencyTables.resolutions, 8) }    // (w-1) << 16 | (h-1)

    /// An empty structure: resolves nothing until one is received.
    public init() {}

    /// Builds a structure from values (for tests and senders; allocates, not for the packet path).
    /// Templates must be sorted by spatial then temporal id in steps the format can express.
    public init(templateIDOffset: Int = 0, decodeTargetCount: Int, chainCount: Int = 0,
                decodeTargetProtectedBy: [Int] = [], templates: [FrameDependencyTemplate],
                renderResolutions: [RenderResolution] = []) throws(ParseError) {
        guard (0..<64).contains(templateIDOffset) else { throw ParseError(.malformed, at: 0, "template id offset") }
        guard (1...Self.maxDecodeTargets).contains(decodeTargetCount) else { throw ParseError(.limitExceeded, at: 0, "decode target count") }
        guard (0...decodeTargetCount).contains(chainCount) else { throw ParseError(.malformed, at: 0, "chain count") }
        guard (1...Self.maxTemplates).contains(templates.count) else { throw ParseError(.limitExceeded, at: 0, "template count") }
        tables = FrameDependencyTables()
        self.templateIDOffset = templateIDOffset
        self.decodeTargetCount = decodeTargetCount
        self.chainCount = chainCount
        self.templateCount = templates.count
        var previous: (s: Int, t: Int) = (0, 0)
        for (i, t) in templates.enumerated() {
            let step = (t.spatialID, t.temporalID)
            let ok = i == 0 ? step == (0, 0)
                : step == previous || step == (previous.s, previous.t + 1) || step == (previous.s + 1, 0)
            guard ok, t.spatialID < Self.maxSpatialIDs, t.temporalID < Self.maxTemporalIDs else {
                throw ParseError(.malformed, at: i, "templates not in layer order")
            }
            previous = step
            guard t.decodeTargetIndications.count == decodeTargetCount, t.chainDiffs.count == chainCount,
                  t.frameDiffs.allSatisfy({ $0 <= 16 }), t.chainDiffs.allSatisfy({ $0 <= 15 })
            else { throw ParseError(.malformed, at: i, "template does not match the counts") }
            layers[i] = UInt8(t.spatialID << 4 | t.temporalID)
            dtis[i] = t.decodeTargetIndications.packed
            fdiffCounts[i] = UInt8(t.frameDiffs.count)
            for (k, d) in t.frameDiffs.enumerated() { fdiffs[i * 8 + k] = UInt8(d) }
            for (c, d) in t.chainDiffs.enumerated() { chainFdiffs[i * 32 + c] = UInt8(d) }
        }
        if chainCount > 0 {
            guard decodeTargetProtectedBy.count == decodeTargetCount,
                  decodeTargetProtectedBy.allSatisfy({ (0..<chainCount).contains($0) })
            else { throw ParseError(.malformed, at: 0, "decode_target_protected_by") }
            for (dt, c) in decodeTargetProtectedBy.enumerated() { protectedBy[dt] = UInt8(c) }
        }
        if !renderResolutions.isEmpty {
            guard renderResolutions.count == maxSpatialID + 1,
                  renderResolutions.allSatisfy({ (1...65536).contains($0.width) && (1...65536).contains($0.height) })
            else { throw ParseError(.malformed, at: 0, "one render resolution per spatial layer") }
            hasRenderResolutions = true
            for (s, r) in renderResolutions.enumerated() { resolutions[s] = UInt32(r.width - 1) << 16 | UInt32(r.height - 1) }
        }
        computeDecodeTargetLayers()
    }

    // MARK: Reading

    public var isEmpty: Bool { templateCount == 0 }
    public var maxSpatialID: Int { templateCount == 0 ? 0 : Int(layers[templateCount - 1] >> 4) }
    public var maxTemporalID: Int {
        var m = 0
        for i in 0..<templateCount { m = max(m, Int(layers[i] & 0x0F)) }
        return m
    }

    /// The template index `frame_dependency_template_id` refers to, or nil if none.
    @inlinable
    public func templateIndex(forID id: Int) -> Int? {
        let index = (id &+ 64 &- templateIDOffset) & 63
        return index < templateCount ? index : nil
    }

    public func spatialID(ofTemplate index: Int) -> Int { Int(layers[index] >> 4) }
    public func temporalID(ofTemplate index: Int) -> Int { Int(layers[index] & 0x0F) }

    public func decodeTargetIndications(ofTemplate index: Int) -> DecodeTargetIndications {
        var d = DecodeTargetIndications()
        d.packed = dtis[index]
        d.length = UInt8(decodeTargetCount)
        return d
    }

    public func frameDiffs(ofTemplate index: Int) -> FrameDiffs {
        var f = FrameDiffs()
        for k in 0..<Int(fdiffCounts[index]) { f.append(UInt16(fdiffs[index * 8 + k])) }
        return f
    }

    public func chainDiffs(ofTemplate index: Int) -> ChainDiffs {
        var c = ChainDiffs()
        for k in 0..<chainCount { c.append(chainFdiffs[index * 32 + k]) }
        return c
    }

    public func template(at index: Int) -> FrameDependencyTemplate {
        precondition(index >= 0 && index < templateCount, "template index out of range")
        return FrameDependencyTemplate(spatialID: spatialID(ofTemplate: index), temporalID: temporalID(ofTemplate: index),
                                       decodeTargetIndications: decodeTargetIndications(ofTemplate: index),
                                       frameDiffs: frameDiffs(ofTemplate: index), chainDiffs: chainDiffs(ofTemplate: index))
    }

    /// The chain protecting a decode target (only meaningful when `chainCount > 0`).
    public func chain(protecting decodeTarget: Int) -> Int { Int(protectedBy[decodeTarget]) }

    /// The highest spatial and temporal id a decode target contains (A.8.3 decode_target_layers()).
    public func layer(ofDecodeTarget decodeTarget: Int) -> (spatialID: Int, temporalID: Int) {
        let v = targetLayers[decodeTarget]
        return (Int(v >> 4), Int(v & 0x0F))
    }

    public func renderResolution(spatialID: Int) -> RenderResolution? {
        guard hasRenderResolutions, spatialID >= 0, spatialID <= maxSpatialID else { return nil }
        let v = resolutions[spatialID]
        return RenderResolution(width: Int(v >> 16) + 1, height: Int(v & 0xFFFF) + 1)
    }

    // MARK: Parsing and writing

    /// Reads `template_dependency_structure()` at the reader's position.
    init(reading r: inout AV1BitReader) throws(ParseError) {
        tables = FrameDependencyTables()
        templateIDOffset = Int(try r.read(6, "template_id_offset"))
        decodeTargetCount = Int(try r.read(5, "dt_cnt_minus_one")) + 1

        var spatial = 0
        var temporal = 0
        while true {
            if templateCount == Self.maxTemplates {
                throw ParseError(.limitExceeded, at: r.bitOffset >> 3, "more than 64 templates")
            }
            layers[templateCount] = UInt8(spatial << 4 | temporal)
            templateCount += 1
            let idc = try r.read(2, "next_layer_idc")
            if idc == 3 { break }
            if idc == 1 {
                temporal += 1
                if temporal >= Self.maxTemporalIDs { throw ParseError(.limitExceeded, at: r.bitOffset >> 3, "temporal id above 7") }
            } else if idc == 2 {
                temporal = 0
                spatial += 1
                if spatial >= Self.maxSpatialIDs { throw ParseError(.limitExceeded, at: r.bitOffset >> 3, "spatial id above 7") }
            }
        }

        for t in 0..<templateCount {
            var packed: UInt64 = 0
            for dt in 0..<decodeTargetCount {
                packed |= UInt64(try r.read(2, "template_dti")) << (2 * UInt64(dt))
            }
            dtis[t] = packed
        }

        for t in 0..<templateCount {
            var count = 0
            while try r.readBit("fdiff_follows_flag") {
                if count == FrameDiffs.capacity {
                    throw ParseError(.limitExceeded, at: r.bitOffset >> 3, "more than 8 fdiffs in a template")
                }
                fdiffs[t * 8 + count] = UInt8(try r.read(4, "fdiff_minus_one")) + 1
                count += 1
            }
            fdiffCounts[t] = UInt8(count)
        }

        chainCount = Int(try r.readNonSymmetric(UInt32(decodeTargetCount + 1), "chain_cnt"))
        if chainCount > 0 {
            for dt in 0..<decodeTargetCount {
                protectedBy[dt] = UInt8(try r.readNonSymmetric(UInt32(chainCount), "decode_target_protected_by"))
            }
            for t in 0..<templateCount {
                for c in 0..<chainCount {
                    chainFdiffs[t * 32 + c] = UInt8(try r.read(4, "template_chain_fdiff"))
                }
            }
        }

        hasRenderResolutions = try r.readBit("resolutions_present_flag")
        if hasRenderResolutions {
            for s in 0...maxSpatialID {
                let w = try r.read(16, "max_render_width_minus_1")
                let h = try r.read(16, "max_render_height_minus_1")
                resolutions[s] = w << 16 | h
            }
        }
        computeDecodeTargetLayers()
    }

    private mutating func computeDecodeTargetLayers() {
        for dt in 0..<decodeTargetCount {
            var s: UInt8 = 0
            var t: UInt8 = 0
            for i in 0..<templateCount where (dtis[i] >> (2 * UInt64(dt))) & 3 != 0 {
                s = max(s, layers[i] >> 4)
                t = max(t, layers[i] & 0x0F)
            }
            targetLayers[dt] = s << 4 | t
        }
    }

    func write(to w: inout AV1BitWriter) throws(BufferTooSmall) {
        try w.write(UInt32(templateIDOffset), bits: 6)
        try w.write(UInt32(decodeTargetCount - 1), bits: 5)
        for t in 0..<templateCount {
            let idc: UInt32
            if t == templateCount - 1 {
                idc = 3
            } else if layers[t + 1] == layers[t] {
                idc = 0
            } else if layers[t + 1] == layers[t] + 1 {
                idc = 1
            } else {
                idc = 2
            }
            try w.write(idc, bits: 2)
        }
        for t in 0..<templateCount {
            for dt in 0..<decodeTargetCount { try w.write(UInt32((dtis[t] >> (2 * UInt64(dt))) & 3), bits: 2) }
        }
        for t in 0..<templateCount {
            for k in 0..<Int(fdiffCounts[t]) {
                try w.write(bit: true)
                try w.write(UInt32(fdiffs[t * 8 + k] - 1), bits: 4)
            }
            try w.write(bit: false)
        }
        try w.writeNonSymmetric(UInt32(chainCount), UInt32(decodeTargetCount + 1))
        if chainCount > 0 {
            for dt in 0..<decodeTargetCount { try w.writeNonSymmetric(UInt32(protectedBy[dt]), UInt32(chainCount)) }
            for t in 0..<templateCount {
                for c in 0..<chainCount { try w.write(UInt32(chainFdiffs[t * 32 + c]), bits: 4) }
            }
        }
        try w.write(bit: hasRenderResolutions)
        if hasRenderResolutions {
            for s in 0...maxSpatialID {
                try w.write(resolutions[s] >> 16, bits: 16)
                try w.write(resolutions[s] & 0xFFFF, bits: 16)
            }
        }
    }

    public static func == (a: FrameDependencyStructure, b: FrameDependencyStructure) -> Bool {
        guard a.templateIDOffset == b.templateIDOffset, a.decodeTargetCount == b.decodeTargetCount,
              a.templateCount == b.templateCount, a.chainCount == b.chainCount,
              a.hasRenderResolutions == b.hasRenderResolutions else { return false }
        for t in 0..<a.templateCount where a.template(at: t) != b.template(at: t) { return false }
        if a.chainCount > 0 {
            for dt in 0..<a.decodeTargetCount where a.protectedBy[dt] != b.protectedBy[dt] { return false }
        }
        if a.hasRenderResolutions {
            for s in 0...a.maxSpatialID where a.resolutions[s] != b.resolutions[s] { return false }
        }
        return true
    }

    public var description: String {
        if isEmpty { return "FrameDependencyStructure(empty)" }
        var s = "FrameDependencyStructure(offset=\(templateIDOffset) decodeTargets=\(decodeTargetCount) chains=\(chainCount)"
        if chainCount > 0 { s += " protectedBy=\((0..<decodeTargetCount).map { chain(protecting: $0) })" }
        if hasRenderResolutions { s += " resolutions=\((0...maxSpatialID).map { renderResolution(spatialID: $0)!.description })" }
        for t in 0..<templateCount { s += "\n  [\(t)] \(template(at: t))" }
        return s + ")"
    }
}

/// The fixed-size table block behind a `FrameDependencyStructure`.
final class FrameDependencyTables: @unchecked Sendable {
    static let layers = 0, dtis = 64, fdiffs = 576, fdiffCounts = 1088, chainFdiffs = 1152
    static let protectedBy = 3200, targetLayers = 3232, resolutions = 3264, size = 3296
    /// The zeroed block of every empty structure (never written).
    static let empty = FrameDependencyTables()

    let memory: UnsafeMutableRawPointer

    init() {
        memory = UnsafeMutableRawPointer.allocate(byteCount: Self.size, alignment: 8)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
    }

    deinit { memory.deallocate() }

    @inline(__always)
    func table<T>(_ offset: Int, _ count: Int) -> FixedTable<T> { FixedTable(base: memory + offset, count: count) }
}

/// A bounds-checked fixed-length array view into `FrameDependencyTables`.
struct FixedTable<T> {
    let base: UnsafeMutableRawPointer
    let count: Int

    @inline(__always)
    subscript(i: Int) -> T {
        get {
            precondition(i >= 0 && i < count, "table index out of range")
            return base.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.stride, as: T.self)
        }
        nonmutating set {
            precondition(i >= 0 && i < count, "table index out of range")
            base.storeBytes(of: newValue, toByteOffset: i * MemoryLayout<T>.stride, as: T.self)
        }
    }
}
