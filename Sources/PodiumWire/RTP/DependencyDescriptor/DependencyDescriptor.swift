/// Dependency Descriptor RTP header extension (AV1 RTP spec, "RTP Payload Format For AV1",
/// Appendix A; URI `https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension`).
/// Chromium also sends it with VP8, VP9 and H.264 when a scalability mode is set.
///
///      0                   1                   2
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |S|E| template id |         frame_number          |  mandatory fields (A.8.1)
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |T|A|D|F|C| template_dependency_structure (T) ...    extended fields, only if size > 3 (A.8.2)
///     | active_decode_targets_bitmask f(DtCnt) (A) ...
///     | frame_dti f(2)×DtCnt (D) | frame_fdiffs (F) | frame_chain_fdiff f(8)×chain_cnt (C) | zero padding
///
/// Everything after the mandatory fields depends on the template structure (the decode target and
/// chain counts), so a packet is parsed against the last structure received; a packet that attaches a
/// new structure replaces it (only if the whole packet parses).
public struct DependencyDescriptor: Sendable, Equatable, CustomStringConvertible {
    public static let uri = "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension"
    public static let mandatorySize = 3

    public var isStartOfFrame: Bool
    public var isEndOfFrame: Bool
    /// `frame_dependency_template_id`, 0…63.
    public var templateID: Int
    public var frameNumber: UInt16

    /// `template_dependency_structure_present_flag`: this packet carries a (new) structure.
    public var attachesStructure: Bool
    /// The active decode targets when this packet signals them (all targets when it attaches a
    /// structure); nil means "unchanged since the last packet that said".
    public var activeDecodeTargets: UInt32?
    public var hasCustomDecodeTargetIndications: Bool
    public var hasCustomFrameDiffs: Bool
    public var hasCustomChainDiffs: Bool

    // Resolved against the structure (template values unless the custom flags say otherwise).
    public var spatialID: Int
    public var temporalID: Int
    public var decodeTargetIndications: DecodeTargetIndications
    public var frameDiffs: FrameDiffs
    public var chainDiffs: ChainDiffs
    public var renderResolution: RenderResolution?

    /// A frame that refers to no other frame, announced with a structure: where a receiver can start.
    public var isKeyframe: Bool { attachesStructure && frameDiffs.isEmpty }

    /// Whether a receiver can switch to `decodeTarget` at this frame (DTI == switch).
    public func isSwitchPoint(forDecodeTarget decodeTarget: Int) -> Bool {
        decodeTarget >= 0 && decodeTarget < decodeTargetIndications.count && decodeTargetIndications[decodeTarget] == .switch
    }

    /// Whether this frame is needed (not `notPresent`) for `decodeTarget`.
    public func isPart(ofDecodeTarget decodeTarget: Int) -> Bool {
        decodeTarget >= 0 && decodeTarget < decodeTargetIndications.count && decodeTargetIndications[decodeTarget] != .notPresent
    }

    /// A descriptor to write: mandatory fields, nothing custom. Set `activeDecodeTargets` or the
    /// custom flags and values before `write(into:structure:)` to send more.
    public init(isStartOfFrame: Bool, isEndOfFrame: Bool, templateID: Int, frameNumber: UInt16, attachesStructure: Bool = false) {
        self.isStartOfFrame = isStartOfFrame
        self.isEndOfFrame = isEndOfFrame
        self.templateID = templateID & 63
        self.frameNumber = frameNumber
        self.attachesStructure = attachesStructure
        activeDecodeTargets = nil
        hasCustomDecodeTargetIndications = false
        hasCustomFrameDiffs = false
        hasCustomChainDiffs = false
        spatialID = 0
        temporalID = 0
        decodeTargetIndications = DecodeTargetIndications()
        frameDiffs = FrameDiffs()
        chainDiffs = ChainDiffs()
        renderResolution = nil
    }

    // MARK: Parsing

    /// Parses the extension element's data (`bytes` is its full length: the length decides whether
    /// extended fields follow). `structure` is the last structure received on this stream (empty at
    /// first); it is replaced when the packet attaches a new one and parses completely.
    public init(parsing bytes: UnsafeRawBufferPointer, structure: inout FrameDependencyStructure) throws(ParseError) {
        let m = try MandatoryFields(parsing: bytes)
        isStartOfFrame = m.isStartOfFrame
        isEndOfFrame = m.isEndOfFrame
        templateID = m.templateID
        frameNumber = m.frameNumber
        attachesStructure = false
        activeDecodeTargets = nil
        hasCustomDecodeTargetIndications = false
        hasCustomFrameDiffs = false
        hasCustomChainDiffs = false

        var r = AV1BitReader(bytes, bitOffset: 24)
        var activePresent = false
        if bytes.count > Self.mandatorySize {
            attachesStructure = try r.readBit("template_dependency_structure_present_flag")
            activePresent = try r.readBit("active_decode_targets_present_flag")
            hasCustomDecodeTargetIndications = try r.readBit("custom_dtis_flag")
            hasCustomFrameDiffs = try r.readBit("custom_fdiffs_flag")
            hasCustomChainDiffs = try r.readBit("custom_chains_flag")
        }
        spatialID = 0
        temporalID = 0
        decodeTargetIndications = DecodeTargetIndications()
        frameDiffs = FrameDiffs()
        chainDiffs = ChainDiffs()
        renderResolution = nil
        if attachesStructure {
            let attached = try FrameDependencyStructure(reading: &r)
            try attached.resolve(&r, &self, activePresent: activePresent)
            structure = attached
        } else {
            try structure.resolve(&r, &self, activePresent: activePresent)
        }
    }

    /// The first three bytes alone: enough for frame boundaries and numbering without a structure.
    public struct MandatoryFields: Sendable, Hashable {
        public var isStartOfFrame: Bool
        public var isEndOfFrame: Bool
        public var templateID: Int
        public var frameNumber: UInt16

        public init(isStartOfFrame: Bool, isEndOfFrame: Bool, templateID: Int, frameNumber: UInt16) {
            self.isStartOfFrame = isStartOfFrame
            self.isEndOfFrame = isEndOfFrame
            self.templateID = templateID & 63
            self.frameNumber = frameNumber
        }

        public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
            if bytes.count < DependencyDescriptor.mandatorySize {
                throw ParseError(.truncated, at: bytes.count, "dependency descriptor mandatory fields")
            }
            let b0 = bytes[0]
            isStartOfFrame = b0 & 0x80 != 0
            isEndOfFrame = b0 & 0x40 != 0
            templateID = Int(b0 & 0x3F)
            frameNumber = bytes.loadBigEndianUInt16(at: 1)
        }

        public var encodedSize: Int { DependencyDescriptor.mandatorySize }

        public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
            var w = ByteWriter(buffer)
            try w.write(UInt8(isStartOfFrame ? 0x80 : 0) | UInt8(isEndOfFrame ? 0x40 : 0) | UInt8(templateID & 63))
            try w.write(frameNumber)
            return w.offset
        }
    }

    /// Rewrites `frame_number` in place (bytes 1–2 of the element's data); false if too short.
    @inlinable @discardableResult
    public static func rewriteFrameNumber(_ frameNumber: UInt16, in bytes: UnsafeMutableRawBufferPointer) -> Bool {
        guard bytes.count >= mandatorySize else { return false }
        bytes.storeBigEndian(frameNumber, at: 1)
        return true
    }

    // MARK: Writing

    private var needsExtendedFields: Bool {
        attachesStructure || activeDecodeTargets != nil || hasCustomDecodeTargetIndications
            || hasCustomFrameDiffs || hasCustomChainDiffs
    }

    /// Bytes `write(into:structure:)` produces. `structure` gives the counts (and is the attached
    /// structure when `attachesStructure`).
    public func encodedSize(structure: FrameDependencyStructure) -> Int {
        var w = AV1BitWriter(nil)
        try? encode(&w, structure)
        return w.byteCount
    }

    /// Writes the mandatory-only form when nothing else is set, otherwise the extended form with the
    /// structure (if `attachesStructure`), the active decode targets and the custom values that are
    /// flagged. Custom values and the bitmask must match `structure`'s counts.
    public func write(into buffer: UnsafeMutableRawBufferPointer, structure: FrameDependencyStructure) throws(BufferTooSmall) -> Int {
        var w = AV1BitWriter(buffer)
        try encode(&w, structure)
        return w.byteCount
    }

    private func encode(_ w: inout AV1BitWriter, _ s: FrameDependencyStructure) throws(BufferTooSmall) {
        try w.write(UInt32(isStartOfFrame ? 1 : 0) << 7 | UInt32(isEndOfFrame ? 1 : 0) << 6 | UInt32(templateID & 63), bits: 8)
        try w.write(UInt32(frameNumber), bits: 16)
        guard needsExtendedFields else { return }
        let allTargets = s.decodeTargetCount == 32 ? UInt32.max : (UInt32(1) << UInt32(s.decodeTargetCount)) - 1
        let writeActive = activeDecodeTargets != nil && !(attachesStructure && activeDecodeTargets == allTargets)
        try w.write(bit: attachesStructure)
        try w.write(bit: writeActive)
        try w.write(bit: hasCustomDecodeTargetIndications)
        try w.write(bit: hasCustomFrameDiffs)
        try w.write(bit: hasCustomChainDiffs)
        if attachesStructure { try s.write(to: &w) }
        if writeActive, let mask = activeDecodeTargets { try w.write(mask & allTargets, bits: s.decodeTargetCount) }
        if hasCustomDecodeTargetIndications {
            for dt in 0..<s.decodeTargetCount {
                let dti = dt < decodeTargetIndications.count ? decodeTargetIndications[dt].rawValue : 0
                try w.write(UInt32(dti), bits: 2)
            }
        }
        if hasCustomFrameDiffs {
            for diff in frameDiffs {
                let v = UInt32(diff - 1) & 0xFFF
                let size = v < 16 ? 1 : v < 256 ? 2 : 3
                try w.write(UInt32(size), bits: 2)
                try w.write(v, bits: 4 * size)
            }
            try w.write(0, bits: 2)
        }
        if hasCustomChainDiffs {
            for c in 0..<s.chainCount { try w.write(UInt32(c < chainDiffs.count ? chainDiffs[c] : 0), bits: 8) }
        }
        // zero_padding: the writer cleared each byte it started.
    }

    public var description: String {
        var s = "DD(\(isStartOfFrame ? "S" : "-")\(isEndOfFrame ? "E" : "-") template=\(templateID) frame=\(frameNumber) S\(spatialID)T\(temporalID) dtis=\(decodeTargetIndications) fdiffs=\(frameDiffs) chains=\(chainDiffs)"
        if attachesStructure { s += " +structure" }
        if let a = activeDecodeTargets { s += " active=0x\(String(a, radix: 16))" }
        if let r = renderResolution { s += " \(r)" }
        return s + ")"
    }
}

extension FrameDependencyStructure {
    /// Reads the active decode targets and the frame dependency definition (A.8.2, A.8.3) of `d`
    /// against this structure.
    func resolve(_ r: inout AV1BitReader, _ d: inout DependencyDescriptor, activePresent: Bool) throws(ParseError) {
        if d.attachesStructure {
            d.activeDecodeTargets = self.decodeTargetCount == 32 ? UInt32.max : (UInt32(1) << UInt32(self.decodeTargetCount)) - 1
        }
        if activePresent {
            if self.isEmpty { throw ParseError(.malformed, at: r.bitOffset >> 3, "active decode targets without a structure") }
            d.activeDecodeTargets = try r.read(self.decodeTargetCount, "active_decode_targets_bitmask")
        }
        guard let index = self.templateIndex(forID: d.templateID) else {
            throw ParseError(.malformed, at: 0, "template id not in the current structure")
        }
        d.spatialID = self.spatialID(ofTemplate: index)
        d.temporalID = self.temporalID(ofTemplate: index)
        if d.hasCustomDecodeTargetIndications {
            var dtis = DecodeTargetIndications()
            for _ in 0..<decodeTargetCount {
                dtis.append(DecodeTargetIndication(rawValue: UInt8(try r.read(2, "frame_dti")))!)
            }
            d.decodeTargetIndications = dtis
        } else {
            d.decodeTargetIndications = self.decodeTargetIndications(ofTemplate: index)
        }
        if d.hasCustomFrameDiffs {
            var diffs = FrameDiffs()
            while true {
                let size = Int(try r.read(2, "next_fdiff_size"))
                if size == 0 { break }
                let diff = try r.read(4 * size, "fdiff_minus_one") + 1
                guard diffs.append(UInt16(diff)) else {
                    throw ParseError(.limitExceeded, at: r.bitOffset >> 3, "more than 8 frame fdiffs")
                }
            }
            d.frameDiffs = diffs
        } else {
            d.frameDiffs = self.frameDiffs(ofTemplate: index)
        }
        if d.hasCustomChainDiffs {
            var chains = ChainDiffs()
            for _ in 0..<chainCount { chains.append(UInt8(try r.read(8, "frame_chain_fdiff"))) }
            d.chainDiffs = chains
        } else {
            d.chainDiffs = self.chainDiffs(ofTemplate: index)
        }
        d.renderResolution = self.renderResolution(spatialID: d.spatialID)
    }
}
