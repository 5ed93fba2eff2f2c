/// A track of a WebM/Matroska file (the `TrackEntry` fields Podium uses).
public struct WebMTrack: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case video, audio, other(UInt64) }
    public var number: UInt64
    public var uid: UInt64
    public var kind: Kind
    /// `V_VP8`, `A_OPUS`, …
    public var codecID: String
    public var codecPrivate: [UInt8]
    public var width: UInt64
    public var height: UInt64
    public var samplingFrequency: Double
    public var channels: UInt64
    /// Nanoseconds of decoder delay (Opus pre-skip).
    public var codecDelay: UInt64
    public var seekPreRoll: UInt64
    /// Nanoseconds per frame, 0 if not given.
    public var defaultDuration: UInt64

    public init(number: UInt64, kind: Kind, codecID: String) {
        self.number = number
        uid = 0
        self.kind = kind
        self.codecID = codecID
        codecPrivate = []
        width = 0; height = 0
        samplingFrequency = 8000
        channels = 1
        codecDelay = 0; seekPreRoll = 0; defaultDuration = 0
    }
}

/// Segment information of a WebM file.
public struct WebMInfo: Sendable, Equatable {
    public var docType = "webm"
    /// Nanoseconds per timestamp unit (1 000 000 in WebM: milliseconds).
    public var timecodeScale: UInt64 = 1_000_000
    /// Duration in timestamp units, if written.
    public var duration: Double?
    public var muxingApp = ""
    public var writingApp = ""
    /// Duration in seconds, if written.
    public var durationSeconds: Double? { duration.map { $0 * Double(timecodeScale) / 1e9 } }
}

/// One frame of a WebM file, in file order.
public struct WebMFrame: Sendable, Equatable {
    public var track: UInt64
    /// Cluster timecode + block timecode, in nanoseconds (as stored: Opus blocks are *not* shifted by
    /// `CodecDelay` here).
    public var timestamp: Int64
    public var isKeyframe: Bool
    public var data: [UInt8]
    /// `BlockDuration` in nanoseconds when the frame came in a BlockGroup that has one.
    public var duration: Int64?
    /// Timestamp in milliseconds (rounded down).
    public var timestampMilliseconds: Int64 { timestamp >= 0 ? timestamp / 1_000_000 : (timestamp - 999_999) / 1_000_000 }
}

/// Streams the frames of a WebM (or Matroska) file: EBML header, Segment, Info, Tracks, then
/// SimpleBlocks and BlockGroups of every Cluster in file order.
///
/// Unknown-size Segment and Cluster (live recordings) are followed: an unknown-size Cluster ends at
/// the first element that cannot be one of its children. Every size is checked against its parent
/// and the end of the file; metadata elements are bounded by `ContainerLimits.maximumHeaderSize`,
/// blocks by `maximumFrameSize`; the reader descends only into the masters it knows
/// (Segment, Cluster, BlockGroup, Info, Tracks, TrackEntry, Video, Audio), so nesting is bounded by
/// construction. Xiph, EBML and fixed lacing are
/// decoded; laced frames share the block timestamp (plus `DefaultDuration` steps when the track
/// has one).
public final class WebMReader {
    public private(set) var info = WebMInfo()
    public private(set) var tracks: [WebMTrack] = []
    private let input: MediaInput
    private var segmentEnd: Int64 = 0
    private var segmentSizeKnown = false
    /// End of the current cluster (nil: unknown size; no cluster: `inCluster` false).
    private var clusterEnd: Int64?
    private var inCluster = false
    private var clusterTimecode: Int64?
    private var queue: [WebMFrame] = []
    private var queueIndex = 0
    private var sawTracks = false
    private var idScratch = [UInt8](repeating: 0, count: 12)

    public init(_ input: MediaInput) throws(ContainerError) {
        self.input = input
        try readEBMLHeader()
        let (id, size, start) = try readElementHeader(parentEnd: input.length, sizeMayExceedFile: true)
        guard id == EBMLID.segment else { throw ContainerError(.malformed, at: start, "WebM: no Segment after the EBML header") }
        if size == EBML.unknownSize {
            segmentEnd = input.length
        } else {
            // Why not an error yet: a recording cut short still has its frames; running out of
            // bytes before the announced end is reported when the reader gets there.
            segmentEnd = input.position + Int64(clamping: size)
            segmentSizeKnown = true
        }
        // Read Info and Tracks (everything up to the first Cluster).
        while !inCluster, try readTopLevel() {}
    }

    public convenience init(path: String) throws(ContainerError) { try self.init(MediaInput(path: path)) }
    public convenience init(bytes: [UInt8]) throws(ContainerError) { try self.init(MediaInput(bytes: bytes)) }

    /// The track with the given number.
    public func track(_ number: UInt64) -> WebMTrack? { tracks.first { $0.number == number } }
    public var videoTrack: WebMTrack? { tracks.first { $0.kind == .video } }
    public var audioTrack: WebMTrack? { tracks.first { $0.kind == .audio } }

    /// The next frame in file order, or nil at the end of the Segment.
    public func next() throws(ContainerError) -> WebMFrame? {
        while queueIndex >= queue.count {
            queue.removeAll(keepingCapacity: true)
            queueIndex = 0
            if inCluster {
                try readClusterChild()
            } else if !(try readTopLevel()) {
                return nil
            }
        }
        defer { queueIndex += 1 }
        return queue[queueIndex]
    }

    // MARK: Elements

    /// Reads an element ID and size at the current position; the element must end within
    /// `parentEnd` (unless its size is unknown).
    private func readElementHeader(parentEnd: Int64, sizeMayExceedFile: Bool = false) throws(ContainerError) -> (UInt32, UInt64, Int64) {
        let start = input.position
        let avail = Int(min(12, max(0, min(parentEnd, input.length) - start)))
        guard avail > 0 else { throw ContainerError(.truncated, at: start, "WebM: element header") }
        var failure: ContainerError?
        var result: (UInt32, UInt64, Int) = (0, 0, 0)
        idScratch.withUnsafeMutableBytes { s in
            do throws(ContainerError) {
                let part = UnsafeMutableRawBufferPointer(rebasing: s[0..<avail])
                try input.read(into: part, "WebM element header")
                var o = 0
                let id = try EBML.readID(UnsafeRawBufferPointer(part), &o, base: start)
                let size = try EBML.readSize(UnsafeRawBufferPointer(part), &o, base: start)
                result = (id, size, o)
            } catch { failure = error }
        }
        if let failure { throw failure }
        try input.seek(to: start + Int64(result.2))
        if result.1 != EBML.unknownSize && !sizeMayExceedFile {
            if result.1 > UInt64(max(0, parentEnd - input.position)) {
                // Why: a parent that ends at the end of the file (unknown size) is cut, not wrong.
                throw ContainerError(parentEnd >= input.length ? .truncated : .malformed, at: start,
                                     "WebM: element 0x\(String(result.0, radix: 16)) of \(result.1) bytes is larger than its parent")
            }
            if result.1 > UInt64(input.remaining) {
                throw ContainerError(.truncated, at: start, "WebM: element 0x\(String(result.0, radix: 16)) of \(result.1) bytes runs past the end of the file")
            }
        }
        return (result.0, result.1, start)
    }

    private func readPayload(_ size: UInt64, limit: Int, _ what: String) throws(ContainerError) -> [UInt8] {
        guard size <= UInt64(limit) else {
            throw ContainerError(.limitExceeded, at: input.position, "WebM: \(what) of \(size) bytes (limit \(limit))")
        }
        return try input.readBytes(Int(size), "WebM \(what)")
    }

    private func readEBMLHeader() throws(ContainerError) {
        let (id, size, start) = try readElementHeader(parentEnd: input.length)
        guard id == EBMLID.ebml else { throw ContainerError(.malformed, at: start, "WebM: file does not start with an EBML header") }
        guard size != EBML.unknownSize else { throw ContainerError(.malformed, at: start, "WebM: EBML header of unknown size") }
        let payload = try readPayload(size, limit: 4096, "EBML header")
        var docType = ""
        try EBML.children(payload[...], base: start) { id, b, at throws(ContainerError) in
            switch id {
            case EBMLID.docType: docType = EBML.string(b)
            case EBMLID.ebmlReadVersion:
                guard try EBML.uint(b, at: at) <= 1 else { throw ContainerError(.unsupported, at: at, "WebM: EBMLReadVersion above 1") }
            case EBMLID.ebmlMaxIDLength:
                guard try EBML.uint(b, at: at) <= 4 else { throw ContainerError(.unsupported, at: at, "WebM: EBMLMaxIDLength above 4") }
            case EBMLID.ebmlMaxSizeLength:
                guard try EBML.uint(b, at: at) <= 8 else { throw ContainerError(.unsupported, at: at, "WebM: EBMLMaxSizeLength above 8") }
            default: break
            }
        }
        guard docType == "webm" || docType == "matroska" else {
            throw ContainerError(.unsupported, at: start, "WebM: DocType \"\(docType)\" (expected webm or matroska)")
        }
        info.docType = docType
    }

    /// Handles one child of the Segment; false at the end of the Segment.
    private func readTopLevel() throws(ContainerError) -> Bool {
        let end = min(segmentEnd, input.length)
        if input.position >= end {
            if segmentSizeKnown && segmentEnd > input.length {
                throw ContainerError(.truncated, at: input.length, "WebM: file ends before the Segment's announced size")
            }
            return false
        }
        let (id, size, start) = try readElementHeader(parentEnd: segmentEnd)
        switch id {
        case EBMLID.cluster:
            inCluster = true
            clusterTimecode = nil
            clusterEnd = size == EBML.unknownSize ? nil : input.position + Int64(size)
        case EBMLID.info:
            try unknownSizeRefused(size, start, "Info")
            let payload = try readPayload(size, limit: ContainerLimits.maximumHeaderSize, "Info")
            try parseInfo(payload, base: start)
        case EBMLID.tracks:
            try unknownSizeRefused(size, start, "Tracks")
            let payload = try readPayload(size, limit: ContainerLimits.maximumHeaderSize, "Tracks")
            try parseTracks(payload, base: input.position - Int64(size))
            sawTracks = true
        case EBMLID.ebml, EBMLID.segment:
            throw ContainerError(.unsupported, at: start, "WebM: chained segments")
        default:
            try unknownSizeRefused(size, start, "top-level element")
            try input.skip(Int64(size), "WebM element")
        }
        return true
    }

    private func unknownSizeRefused(_ size: UInt64, _ start: Int64, _ what: String) throws(ContainerError) {
        if size == EBML.unknownSize { throw ContainerError(.unsupported, at: start, "WebM: \(what) of unknown size") }
    }

    private static func isClusterChild(_ id: UInt32) -> Bool {
        switch id {
        case EBMLID.timecode, EBMLID.simpleBlock, EBMLID.blockGroup, EBMLID.position, EBMLID.prevSize,
             EBMLID.silentTracks, EBMLID.encryptedBlock, EBMLID.void, EBMLID.crc32: return true
        default: return false
        }
    }

    private func readClusterChild() throws(ContainerError) {
        let end = clusterEnd ?? min(segmentEnd, input.length)
        if input.position >= end {
            if clusterEnd != nil, end > input.length {
                throw ContainerError(.truncated, at: input.length, "WebM: file ends inside a Cluster")
            }
            inCluster = false
            return
        }
        let mark = input.position
        let (id, size, start) = try readElementHeader(parentEnd: end)
        if clusterEnd == nil && !Self.isClusterChild(id) {
            // An unknown-size Cluster ends where a non-child element starts (RFC 8794 §6.2).
            try input.seek(to: mark)
            inCluster = false
            return
        }
        try unknownSizeRefused(size, start, "Cluster child")
        switch id {
        case EBMLID.timecode:
            let b = try readPayload(size, limit: 8, "Cluster Timecode")
            clusterTimecode = Int64(bitPattern: try EBML.uint(b[...], at: start))
            guard clusterTimecode! >= 0, clusterTimecode! < Int64(1) << 52 else {
                throw ContainerError(.limitExceeded, at: start, "WebM: absurd Cluster Timecode")
            }
        case EBMLID.simpleBlock:
            let b = try readPayload(size, limit: ContainerLimits.maximumFrameSize + 64, "SimpleBlock")
            try parseBlock(b[...], base: start, simple: true, hasReference: false, duration: nil)
        case EBMLID.blockGroup:
            let payload = try readPayload(size, limit: ContainerLimits.maximumFrameSize + 1024, "BlockGroup")
            var block: ArraySlice<UInt8>?
            var blockAt: Int64 = 0
            var hasReference = false
            var duration: UInt64?
            try EBML.children(payload[...], base: input.position - Int64(size)) { id, b, at throws(ContainerError) in
                switch id {
                case EBMLID.block:
                    guard block == nil else { throw ContainerError(.malformed, at: at, "WebM: BlockGroup with two Blocks") }
                    block = b; blockAt = at
                case EBMLID.referenceBlock: hasReference = true
                case EBMLID.blockDuration: duration = try EBML.uint(b, at: at)
                default: break
                }
            }
            guard let block else { throw ContainerError(.malformed, at: start, "WebM: BlockGroup without a Block") }
            try parseBlock(block, base: blockAt, simple: false, hasReference: hasReference, duration: duration)
        default:
            try input.skip(Int64(size), "WebM Cluster child")
        }
    }

    // MARK: Blocks

    /// SimpleBlock / Block: `track (vint) | timecode (i16) | flags | [lacing] | frames`.
    private func parseBlock(_ b: ArraySlice<UInt8>, base: Int64, simple: Bool, hasReference: Bool, duration: UInt64?) throws(ContainerError) {
        guard let clusterTimecode else { throw ContainerError(.malformed, at: base, "WebM: block before the Cluster Timecode") }
        var failure: ContainerError?
        var frames: [Range<Int>] = []
        var header: (UInt64, Int16, UInt8) = (0, 0, 0)
        b.withUnsafeBytes { p in
            do throws(ContainerError) {
                var o = 0
                let track = try EBML.readSize(p, &o, base: base)
                guard track != EBML.unknownSize, track > 0 else { throw ContainerError(.malformed, at: base, "WebM: block track number") }
                guard o + 3 <= p.count else { throw ContainerError(.truncated, at: base + Int64(o), "WebM: block header") }
                let rel = Int16(bitPattern: UInt16(p[o]) << 8 | UInt16(p[o + 1]))
                let flags = p[o + 2]
                o += 3
                header = (track, rel, flags)
                frames = try Self.lacedFrames(p, from: o, lacing: (flags >> 1) & 3, base: base)
            } catch { failure = error }
        }
        if let failure { throw failure }
        let (track, rel, flags) = header
        let scale = Int64(clamping: info.timecodeScale)
        let step = Int64(clamping: self.track(track)?.defaultDuration ?? 0)
        let keyframe = simple ? flags & 0x80 != 0 : !hasReference
        let ts = (clusterTimecode + Int64(rel)).multipliedReportingOverflow(by: scale)
        guard !ts.overflow else { throw ContainerError(.limitExceeded, at: base, "WebM: block timestamp overflows") }
        let d = duration.map { Int64(clamping: $0).multipliedReportingOverflow(by: scale) }
        for (i, r) in frames.enumerated() {
            guard r.count <= ContainerLimits.maximumFrameSize else {
                throw ContainerError(.limitExceeded, at: base, "WebM: frame over \(ContainerLimits.maximumFrameSize) bytes")
            }
            let s = b.startIndex
            queue.append(WebMFrame(track: track, timestamp: ts.partialValue &+ Int64(i) &* step, isKeyframe: keyframe,
                                   data: Array(b[s + r.lowerBound..<s + r.upperBound]),
                                   duration: d.flatMap { $0.overflow ? nil : $0.partialValue }))
        }
    }

    /// Frame ranges of a block's data (Matroska §10.3 lacing: 0 none, 1 Xiph, 2 fixed, 3 EBML).
    static func lacedFrames(_ p: UnsafeRawBufferPointer, from start: Int, lacing: UInt8, base: Int64) throws(ContainerError) -> [Range<Int>] {
        if lacing == 0 { return [start..<p.count] }
        var o = start
        guard o < p.count else { throw ContainerError(.truncated, at: base + Int64(o), "WebM: lace count") }
        let count = Int(p[o]) + 1
        o += 1
        var sizes: [Int] = []
        switch lacing {
        case 1:
            for _ in 0..<count - 1 {
                var n = 0
                while true {
                    guard o < p.count else { throw ContainerError(.truncated, at: base + Int64(o), "WebM: Xiph lace size") }
                    let v = Int(p[o]); o += 1
                    n += v
                    if v < 255 { break }
                }
                sizes.append(n)
            }
        case 3:
            var previous = 0
            for i in 0..<count - 1 {
                let at = o
                let raw = try EBML.readSize(p, &o, base: base)
                guard raw != EBML.unknownSize else {
                    throw ContainerError(.malformed, at: base + Int64(at), "WebM: EBML lace size")
                }
                var n: Int
                if i == 0 {
                    guard raw <= UInt64(p.count) else { throw ContainerError(.malformed, at: base + Int64(at), "WebM: EBML lace size") }
                    n = Int(raw)
                } else {
                    // Signed difference: the raw value minus half of its range (2^(7·len-1) - 1).
                    let len = o - at
                    let bias = (Int64(1) << Int64(7 * len - 1)) - 1
                    n = previous + Int(Int64(raw) - bias)
                }
                guard n >= 0, n <= p.count else { throw ContainerError(.malformed, at: base + Int64(at), "WebM: EBML lace size") }
                sizes.append(n)
                previous = n
            }
        default:
            let total = p.count - o
            guard total % count == 0 else { throw ContainerError(.malformed, at: base + Int64(o), "WebM: fixed lacing does not divide the block") }
            sizes = Array(repeating: total / count, count: count - 1)
        }
        var ranges: [Range<Int>] = []
        for n in sizes {
            guard n <= p.count - o else { throw ContainerError(.truncated, at: base + Int64(o), "WebM: laced frame runs past the block") }
            ranges.append(o..<o + n)
            o += n
        }
        ranges.append(o..<p.count)
        return ranges
    }

    // MARK: Info and Tracks

    private func parseInfo(_ payload: [UInt8], base: Int64) throws(ContainerError) {
        try EBML.children(payload[...], base: base) { id, b, at throws(ContainerError) in
            switch id {
            case EBMLID.timecodeScale:
                let v = try EBML.uint(b, at: at)
                guard v > 0, v <= 1_000_000_000 else { throw ContainerError(.malformed, at: at, "WebM: TimecodeScale \(v)") }
                info.timecodeScale = v
            case EBMLID.duration:
                let d = try EBML.float(b, at: at)
                info.duration = d.isFinite ? d : nil
            case EBMLID.muxingApp: info.muxingApp = EBML.string(b)
            case EBMLID.writingApp: info.writingApp = EBML.string(b)
            default: break
            }
        }
    }

    private func parseTracks(_ payload: [UInt8], base: Int64) throws(ContainerError) {
        var parsed: [WebMTrack] = []
        try EBML.children(payload[...], base: base) { id, entry, at throws(ContainerError) in
            guard id == EBMLID.trackEntry else { return }
            guard parsed.count < 128 else { throw ContainerError(.limitExceeded, at: at, "WebM: more than 128 tracks") }
            var t = WebMTrack(number: 0, kind: .other(0), codecID: "")
            try EBML.children(entry, base: at) { id, b, at throws(ContainerError) in
                switch id {
                case EBMLID.trackNumber: t.number = try EBML.uint(b, at: at)
                case EBMLID.trackUID: t.uid = try EBML.uint(b, at: at)
                case EBMLID.trackType:
                    let v = try EBML.uint(b, at: at)
                    t.kind = v == 1 ? .video : v == 2 ? .audio : .other(v)
                case EBMLID.codecID: t.codecID = EBML.string(b)
                case EBMLID.codecPrivate: t.codecPrivate = Array(b)
                case EBMLID.codecDelay: t.codecDelay = try EBML.uint(b, at: at)
                case EBMLID.seekPreRoll: t.seekPreRoll = try EBML.uint(b, at: at)
                case EBMLID.defaultDuration: t.defaultDuration = try EBML.uint(b, at: at)
                case EBMLID.video:
                    try EBML.children(b, base: at) { id, b, at throws(ContainerError) in
                        if id == EBMLID.pixelWidth { t.width = try EBML.uint(b, at: at) }
                        if id == EBMLID.pixelHeight { t.height = try EBML.uint(b, at: at) }
                    }
                case EBMLID.audio:
                    try EBML.children(b, base: at) { id, b, at throws(ContainerError) in
                        if id == EBMLID.samplingFrequency { t.samplingFrequency = try EBML.float(b, at: at) }
                        if id == EBMLID.channels { t.channels = try EBML.uint(b, at: at) }
                    }
                default: break
                }
            }
            guard t.number > 0 else { throw ContainerError(.malformed, at: at, "WebM: TrackEntry without a TrackNumber") }
            parsed.append(t)
        }
        tracks = parsed
    }
}
