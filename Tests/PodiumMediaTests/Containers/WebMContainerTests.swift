import Foundation
import PodiumMedia
import PodiumTestSupport
import Testing

/// Hand-built EBML for the reader tests (independent of the writer under test).
enum EBMLBytes {
    static func size(_ n: Int) -> [UInt8] {
        n < 127 ? [0x80 | UInt8(n)] : [0x01] + (0..<7).reversed().map { UInt8(truncatingIfNeeded: n >> (8 * $0)) }
    }
    static func el(_ id: [UInt8], _ payload: [UInt8]) -> [UInt8] { id + size(payload.count) + payload }
    static func uint(_ id: [UInt8], _ v: UInt64) -> [UInt8] { el(id, (0..<8).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }) }
    static func str(_ id: [UInt8], _ s: String) -> [UInt8] { el(id, Array(s.utf8)) }
    static let unknownSize: [UInt8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]

    static let header = el([0x1A, 0x45, 0xDF, 0xA3], uint([0x42, 0x86], 1) + str([0x42, 0x82], "webm") + uint([0x42, 0x85], 2))
    static func tracks(video: Bool = true, audio: Bool = false) -> [UInt8] {
        var entries: [UInt8] = []
        if video {
            entries += el([0xAE], uint([0xD7], 1) + uint([0x83], 1) + str([0x86], "V_VP8")
                + el([0xE0], uint([0xB0], 320) + uint([0xBA], 240)))
        }
        if audio {
            entries += el([0xAE], uint([0xD7], 2) + uint([0x83], 2) + str([0x86], "A_OPUS")
                + el([0xE1], uint([0x9F], 1) + el([0xB5], [0x40, 0xE7, 0x70, 0x00, 0, 0, 0, 0])))
        }
        return el([0x16, 0x54, 0xAE, 0x6B], entries)
    }
    static func simpleBlock(track: UInt8, _ rel: Int16, key: Bool, lacing: UInt8 = 0, _ body: [UInt8]) -> [UInt8] {
        let r = UInt16(bitPattern: rel)
        return el([0xA3], [0x80 | track, UInt8(r >> 8), UInt8(r & 0xFF), (key ? 0x80 : 0) | lacing << 1] + body)
    }
    static func timecode(_ t: UInt64) -> [UInt8] { uint([0xE7], t) }
    static let cluster: [UInt8] = [0x1F, 0x43, 0xB6, 0x75]
    static let segment: [UInt8] = [0x18, 0x53, 0x80, 0x67]
}

@Suite struct WebMContainerTests {
    static func readAll(_ bytes: [UInt8]) -> (reader: WebMReader?, frames: [WebMFrame], error: ContainerError?) {
        var out: [WebMFrame] = []
        var reader: WebMReader?
        do throws(ContainerError) {
            let r = try WebMReader(bytes: bytes)
            reader = r
            while let f = try r.next() { out.append(f) }
            return (r, out, nil)
        } catch { return (reader, out, error) }
    }

    // MARK: Hand-built files

    @Test func unknownSizeSegmentAndClustersAsMediaRecorderWrites() {
        var file = EBMLBytes.header + EBMLBytes.segment + EBMLBytes.unknownSize + EBMLBytes.tracks(video: true, audio: true)
        file += EBMLBytes.cluster + EBMLBytes.unknownSize + EBMLBytes.timecode(1000)
            + EBMLBytes.simpleBlock(track: 1, 0, key: true, [1, 2, 3])
            + EBMLBytes.simpleBlock(track: 2, 5, key: true, [9])
            + EBMLBytes.el([0xEC], [0, 0])                                    // Void inside the cluster
            + EBMLBytes.simpleBlock(track: 1, 33, key: false, [4])
        file += EBMLBytes.cluster + EBMLBytes.unknownSize + EBMLBytes.timecode(2000)
            + EBMLBytes.el([0xA0], EBMLBytes.el([0xA1], [0x81, 0, 10, 0, 5, 6]) + EBMLBytes.uint([0xFB], 1) + EBMLBytes.uint([0x9B], 33))
            + EBMLBytes.el([0xA0], EBMLBytes.el([0xA1], [0x81, 0, 20, 0, 7]))
        file += EBMLBytes.el([0x12, 0x54, 0xC3, 0x67], [])                     // Tags end the cluster
        let (reader, frames, error) = Self.readAll(file)
        #expect(error == nil)
        #expect(reader?.tracks.map(\.codecID) == ["V_VP8", "A_OPUS"])
        #expect(reader?.videoTrack?.width == 320 && reader?.audioTrack?.samplingFrequency == 48000)
        #expect(frames.map(\.track) == [1, 2, 1, 1, 1])
        #expect(frames.map(\.timestampMilliseconds) == [1000, 1005, 1033, 2010, 2020])
        #expect(frames.map(\.isKeyframe) == [true, true, false, false, true])
        #expect(frames.map(\.data) == [[1, 2, 3], [9], [4], [5, 6], [7]])
        #expect(frames[3].duration == 33_000_000)
    }

    @Test func fuzzSeedWithLacingAndUnknownSizes() throws {
        // Tests/Fuzz/Corpus/webm/unknown-size-laced: unknown-size Segment and Clusters, Xiph, EBML
        // and fixed lacing on an audio track with DefaultDuration 20 ms, a BlockGroup.
        let bytes = ContainerTestMedia.bytes(repositoryRoot.appendingPathComponent("Tests/Fuzz/Corpus/webm/unknown-size-laced").path)
        try #require(!bytes.isEmpty)
        let (reader, frames, error) = Self.readAll(bytes)
        #expect(error == nil)
        #expect(reader?.audioTrack?.defaultDuration == 20_000_000)
        // Video key, Xiph (3 frames), EBML (2), fixed (2) laced audio, a BlockGroup, a second Cluster.
        #expect(frames.map(\.track) == [1, 2, 2, 2, 2, 2, 2, 2, 1, 1])
        #expect(frames.map(\.data.count) == [3, 3, 1, 2, 2, 1, 1, 1, 1, 1])
        #expect(frames.map(\.timestampMilliseconds) == [0, 0, 20, 40, 40, 60, 60, 80, 33, 1000])   // laces step by DefaultDuration
        #expect(frames.map(\.isKeyframe) == [true, true, true, true, true, true, true, true, false, true])
    }

    @Test(arguments: [
        // lacing, lace header + frames, expected frames
        (UInt8(1), [2, 3, 1] + [10, 11, 12] + [20] + [30, 31] as [UInt8], [[10, 11, 12], [20], [30, 31]] as [[UInt8]]),   // Xiph
        (UInt8(3), [2, 0x83, 0xBD] + [10, 11, 12] + [20] + [30, 31], [[10, 11, 12], [20], [30, 31]]),                 // EBML: 3, then -2
        (UInt8(2), [2] + [1, 2, 3, 4, 5, 6], [[1, 2], [3, 4], [5, 6]]),                                                 // fixed
    ])
    func lacing(lacing: UInt8, body: [UInt8], expected: [[UInt8]]) {
        let file = EBMLBytes.header + EBMLBytes.el(EBMLBytes.segment, EBMLBytes.tracks(video: false, audio: true)
            + EBMLBytes.el(EBMLBytes.cluster, EBMLBytes.timecode(0) + EBMLBytes.simpleBlock(track: 2, 0, key: true, lacing: lacing, body)))
        let (_, frames, error) = Self.readAll(file)
        #expect(error == nil)
        #expect(frames.map(\.data) == expected)
    }

    @Test func badLacingAndAbsurdSizesAreTypedErrors() {
        func read(_ cluster: [UInt8], segmentSize: [UInt8]? = nil) -> ContainerError? {
            let body = EBMLBytes.tracks() + cluster
            let seg = segmentSize.map { EBMLBytes.segment + $0 + body } ?? EBMLBytes.el(EBMLBytes.segment, body)
            return Self.readAll(EBMLBytes.header + seg).error
        }
        let block = EBMLBytes.simpleBlock(track: 1, 0, key: true, [1, 2, 3])
        // Fixed lacing that does not divide the data; Xiph lace larger than the block.
        #expect(read(EBMLBytes.el(EBMLBytes.cluster, EBMLBytes.timecode(0) + EBMLBytes.simpleBlock(track: 1, 0, key: true, lacing: 2, [1, 1, 2, 3])))?.kind == .malformed)
        #expect(read(EBMLBytes.el(EBMLBytes.cluster, EBMLBytes.timecode(0) + EBMLBytes.simpleBlock(track: 1, 0, key: true, lacing: 1, [1, 200, 1])))?.kind == .truncated)
        // Block before the cluster timecode.
        #expect(read(EBMLBytes.el(EBMLBytes.cluster, block))?.kind == .malformed)
        // Child larger than its parent.
        #expect(read(EBMLBytes.cluster + [0x85] + EBMLBytes.timecode(0) + block)?.kind == .malformed)
        // A cluster claiming 2^56 - 2 bytes in a small file.
        #expect(read(EBMLBytes.cluster + [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE] + EBMLBytes.timecode(0) + block)?.kind == .truncated)
        // A SimpleBlock larger than the frame limit, present in the file.
        let huge = [UInt8](repeating: 0, count: ContainerLimits.maximumFrameSize + 100)
        #expect(read(EBMLBytes.el(EBMLBytes.cluster, EBMLBytes.timecode(0) + EBMLBytes.el([0xA3], huge)))?.kind == .limitExceeded)
        // IDs longer than 4 bytes, sizes longer than 8.
        #expect(read(EBMLBytes.el(EBMLBytes.cluster, EBMLBytes.timecode(0)) + [0x08, 0x01, 0x02, 0x03, 0x04, 0x81, 0])?.kind == .malformed)
        #expect(read(EBMLBytes.el(EBMLBytes.cluster, EBMLBytes.timecode(0)) + [0xEC, 0x00, 0x01])?.kind == .malformed)
        // Segment announcing more than the file holds: the frames are read, then truncated.
        let r = Self.readAll(EBMLBytes.header + EBMLBytes.segment + EBMLBytes.size(10_000) + EBMLBytes.tracks()
            + EBMLBytes.el(EBMLBytes.cluster, EBMLBytes.timecode(0) + block))
        #expect(r.frames.count == 1 && r.error?.kind == .truncated, "\(String(describing: r.error))")
        // Not WebM at all.
        #expect(Self.readAll(Array("RIFF....WAVE".utf8)).error != nil)
        #expect(Self.readAll(EBMLBytes.el([0x1A, 0x45, 0xDF, 0xA3], EBMLBytes.str([0x42, 0x82], "mkv3d"))).error?.kind == .unsupported)
    }

    @Test func writerLayoutReadsBack() throws {
        let out = MediaOutput()
        let w = try WebMWriter(output: out, video: WebMVideoTrack(width: 64, height: 48), audio: WebMAudioTrack(head: OpusHead(channelCount: 2)))
        // 12 s: a keyframe every 4 s (cluster per keyframe), audio every 20 ms.
        var t: Int64 = 0
        var expected: [(UInt64, Int64, Bool)] = []
        while t < 12_000 {
            if t % 40 == 0 {
                let key = t % 4000 == 0
                try w.appendVideo([key ? 0x10 : 0x11, 1, 2], timestamp: t * 1_000_000, isKeyframe: key)
                expected.append((1, t, key))
            }
            try w.appendAudio([0xFC, 0xAA], timestamp: t * 1_000_000)
            expected.append((2, t, true))
            t += 20
        }
        try w.finish()
        #expect(w.timeShift == 7)   // CodecDelay 6.5 ms, rounded as ffmpeg does
        #expect(w.durationMilliseconds == 12_007)
        let (reader, frames, error) = Self.readAll(out.bytes)
        #expect(error == nil)
        let r = try #require(reader)
        #expect(r.info.durationSeconds == 12.007)
        #expect(r.info.timecodeScale == 1_000_000)
        #expect(r.audioTrack?.codecDelay == 6_500_000 && r.audioTrack?.seekPreRoll == 80_000_000)
        #expect(try OpusHead(parsing: r.audioTrack?.codecPrivate ?? []) == OpusHead(channelCount: 2))
        #expect(frames.count == expected.count)
        #expect(frames.map(\.track) == expected.map(\.0))
        #expect(frames.map(\.timestampMilliseconds) == expected.map { $0.1 + 7 })
        #expect(frames.map(\.isKeyframe) == expected.map(\.2))
        let layout = WebMLayout(out.bytes)
        #expect(layout.clusterTimes == [7, 4007, 8007])
        #expect(layout.cueTimes == [7, 4007, 8007])
        #expect(layout.cuesPointAtClusters && layout.seekHeadPointsAtCues)
    }

    @Test func audioOnlyClustersEveryFiveSecondsAndEmptyFile() throws {
        let out = MediaOutput()
        let w = try WebMWriter(output: out, video: nil, audio: WebMAudioTrack(head: OpusHead(channelCount: 1)))
        for i in 0..<600 { try w.appendAudio([0xF8, 1], timestamp: Int64(i) * 20_000_000) }
        try w.finish()
        let layout = WebMLayout(out.bytes)
        #expect(layout.clusterTimes == [7, 5007, 10007])
        #expect(layout.cueTimes == [7, 5007, 10007])
        #expect(Self.readAll(out.bytes).frames.count == 600)

        let empty = MediaOutput()
        try WebMWriter(output: empty, video: WebMVideoTrack(width: 2, height: 2), audio: nil).finish()
        let r = Self.readAll(empty.bytes)
        #expect(r.error == nil && r.frames.isEmpty && r.reader?.tracks.count == 1)
        #expect(throws: ContainerError.self) { try WebMWriter(output: MediaOutput(), video: nil, audio: nil) }
    }

    @Test func writerRejectsBadArgumentsWithTypedErrors() throws {
        let w = try WebMWriter(output: MediaOutput(), video: WebMVideoTrack(width: 2, height: 2), audio: nil)
        func kind(_ body: () throws -> Void) -> ContainerError.Kind? {
            do { try body(); return nil } catch { return (error as? ContainerError)?.kind }
        }
        #expect(kind { try w.appendAudio([0xF8], timestamp: 0) } == .invalidArgument)              // no audio track
        #expect(kind { try w.appendVideo([0x10], timestamp: -1_000_000, isKeyframe: true) } == .invalidArgument)
        #expect(kind { try w.appendVideo([0x10], timestampMilliseconds: .max, isKeyframe: true) } == .invalidArgument)
        #expect(kind { try w.appendVideo([0x10], timestamp: .min, isKeyframe: true) } == .invalidArgument)
        #expect(kind { try w.appendVideo([0x10], timestampMilliseconds: 40_000, isKeyframe: true) } == nil)
        #expect(kind { try w.appendVideo([0x11], timestampMilliseconds: 1_000, isKeyframe: false) } == .invalidArgument)  // 39 s back
        #expect(kind { try w.finish() } == nil)
        #expect(kind { try w.appendVideo([0x10], timestampMilliseconds: 50_000, isKeyframe: true) } == .invalidArgument) // after finish
        let ogg = try OggOpusWriter(output: MediaOutput(), head: OpusHead(channelCount: 1))
        #expect(kind { try ogg.append([]) } == .invalidArgument)
        #expect(kind { try ogg.append([0xF8], duration: 1 << 40) } == .invalidArgument)
    }

    // MARK: Against ffmpeg

    @Test(.enabled(if: ContainerTestMedia.available))
    func ffmpegWebMReadsFrameByFrame() throws {
        let files = try #require(ContainerTestMedia.files)
        let (reader, frames, error) = Self.readAll(ContainerTestMedia.bytes(files.webm))
        #expect(error == nil)
        let r = try #require(reader)
        let v = try #require(r.videoTrack), a = try #require(r.audioTrack)
        #expect(v.codecID == "V_VP8" && v.width == 320 && v.height == 240)
        #expect(a.codecID == "A_OPUS" && a.samplingFrequency == 48000 && a.channels == 1)
        let head = try OpusHead(parsing: a.codecPrivate)
        #expect(head.preSkip == 312 && a.codecDelay == 6_500_000 && a.seekPreRoll == 80_000_000)
        #expect(abs((r.info.durationSeconds ?? 0) - 3) < 0.1)

        // Same packets, in the same order, as ffprobe: type, pts (ffmpeg subtracts CodecDelay from
        // Opus timestamps), keyframe flag, size.
        let delay = Int64((a.codecDelay + 500_000) / 1_000_000)
        let mine = frames.map { f in
            ContainerTestMedia.ProbePacket(type: f.track == v.number ? "video" : "audio",
                                           pts: f.timestampMilliseconds - (f.track == a.number ? delay : 0),
                                           keyframe: f.isKeyframe, size: f.data.count)
        }
        let probe = ContainerTestMedia.packets(files.webm)
        #expect(probe.count > 200)
        #expect(mine == probe)

        // The frames are the IVF's and the Ogg's, byte for byte.
        let ivf = IVFContainerTests.readAll(ContainerTestMedia.bytes(files.ivf)).frames
        let ogg = OggContainerTests.readOpus(ContainerTestMedia.bytes(files.ogg)).packets
        #expect(frames.filter { $0.track == v.number }.map(\.data) == ivf.map(\.data))
        #expect(frames.filter { $0.track == a.number }.map(\.data) == ogg.map(\.data))
        #expect(frames.filter { $0.track == v.number }.map(\.isKeyframe) == ivf.map(\.isVP8Keyframe))

        // From the file (streaming) as from memory.
        let fileReader = try WebMReader(path: files.webm)
        var n = 0
        while let f = try fileReader.next() { #expect(f == frames[n]); n += 1 }
        #expect(n == frames.count)
    }

    /// Video from the IVF, audio from the Ogg, interleaved by time, into `path`.
    static func writeFromIVFAndOgg(_ path: String, video: Bool, audio: Bool) throws -> (videoCount: Int, audioCount: Int) {
        let files = try #require(ContainerTestMedia.files)
        let ivfReader = try IVFReader(path: files.ivf)
        let oggReader = try OggOpusReader(path: files.ogg)
        let h = ivfReader.header
        let w = try WebMWriter(path: path, video: video ? WebMVideoTrack(width: Int(h.width), height: Int(h.height)) : nil,
                               audio: audio ? WebMAudioTrack(head: oggReader.head) : nil)
        var nextVideo = video ? try ivfReader.next() : nil
        var nextAudio = audio ? try oggReader.next() : nil
        func videoTime(_ f: IVFFrame) -> Int64 { f.pts * 1_000_000_000 * Int64(h.timebaseNumerator) / Int64(h.timebaseDenominator) }
        let preSkip = Int64(oggReader.head.preSkip)
        func audioTime(_ p: OggOpusPacket) -> Int64 { (p.pts - preSkip) * 1_000_000_000 / 48000 }
        while nextVideo != nil || nextAudio != nil {
            if let f = nextVideo, nextAudio.map({ videoTime(f) <= audioTime($0) }) ?? true {
                try w.appendVideo(f.data, timestamp: videoTime(f), isKeyframe: f.isVP8Keyframe)
                nextVideo = try ivfReader.next()
            } else if let p = nextAudio {
                try w.appendAudio(p.data, timestamp: audioTime(p))
                nextAudio = try oggReader.next()
            }
        }
        try w.finish()
        return (w.videoFrameCount, w.audioFrameCount)
    }

    @Test(.enabled(if: ContainerTestMedia.available))
    func writtenWebMValidatesWithFFmpeg() throws {
        let files = try #require(ContainerTestMedia.files)
        let path = ContainerTestMedia.scratchPath("out.webm")
        let counts = try Self.writeFromIVFAndOgg(path, video: true, audio: true)
        #expect(counts.videoCount == 90 && counts.audioCount > 140)

        let probe = ContainerTestMedia.probe(path)
        #expect(probe.codecs == ["vp8", "opus"])
        let duration = try #require(probe.duration)
        #expect(abs(duration - 3.0) < 0.1, "duration \(duration)")
        let decoded = ContainerTestMedia.decodeErrors(path)
        #expect(decoded.status == 0 && decoded.errors.isEmpty, "\(decoded.errors)")
        // Seeking through the Cues decodes cleanly too.
        let seek = ContainerTestMedia.ffmpeg(["-v", "error", "-ss", "1.5", "-i", path, "-f", "null", "-"])
        #expect(seek.status == 0 && seek.stderr.isEmpty, "\(seek.stderr)")

        // ffprobe sees the same packets in ours as in ffmpeg's mux (order within equal times aside).
        let ours = ContainerTestMedia.packets(path), theirs = ContainerTestMedia.packets(files.webm)
        #expect(ours.count == theirs.count)
        #expect(ours.filter { $0.type == "video" } == theirs.filter { $0.type == "video" })
        #expect(ours.filter { $0.type == "audio" } == theirs.filter { $0.type == "audio" })

        // Read back with our reader: same frames as ffmpeg's WebM.
        let mine = Self.readAll(ContainerTestMedia.bytes(path))
        let ref = Self.readAll(ContainerTestMedia.bytes(files.webm))
        #expect(mine.error == nil)
        for track in [UInt64(1), 2] {
            let a = mine.frames.filter { $0.track == track }, b = ref.frames.filter { $0.track == track }
            #expect(a.map(\.data) == b.map(\.data))
            #expect(a.map(\.isKeyframe) == b.map(\.isKeyframe))
            #expect(a.map(\.timestamp) == b.map(\.timestamp))
        }
        let layout = WebMLayout(ContainerTestMedia.bytes(path))
        #expect(layout.cueTimes.count == ivfKeyframes(files.ivf))
        #expect(layout.cuesPointAtClusters && layout.seekHeadPointsAtCues)
    }

    func ivfKeyframes(_ path: String) -> Int {
        IVFContainerTests.readAll(ContainerTestMedia.bytes(path)).frames.filter(\.isVP8Keyframe).count
    }

    @Test(.enabled(if: ContainerTestMedia.available), arguments: [(true, false), (false, true)])
    func singleTrackWebMValidatesWithFFmpeg(video: Bool, audio: Bool) throws {
        let path = ContainerTestMedia.scratchPath(video ? "video.webm" : "audio.webm")
        _ = try Self.writeFromIVFAndOgg(path, video: video, audio: audio)
        let probe = ContainerTestMedia.probe(path)
        #expect(probe.codecs == (video ? ["vp8"] : ["opus"]))
        #expect(abs((probe.duration ?? 0) - 3.0) < 0.1)
        let decoded = ContainerTestMedia.decodeErrors(path)
        #expect(decoded.status == 0 && decoded.errors.isEmpty, "\(decoded.errors)")
        let r = Self.readAll(ContainerTestMedia.bytes(path))
        #expect(r.error == nil && r.frames.count == ContainerTestMedia.packets(path).count)
    }

    @Test(.enabled(if: ContainerTestMedia.available))
    func truncatedAndCorruptedFilesGiveTypedErrors() throws {
        let files = try #require(ContainerTestMedia.files)
        let original = ContainerTestMedia.bytes(files.webm)
        let full = Self.readAll(original).frames
        var errors = 0
        for cut in stride(from: 0, to: original.count, by: 211) {
            let r = Self.readAll(Array(original[0..<cut]))
            if r.error != nil { errors += 1 }
            #expect(r.frames.count <= full.count)
            #expect(zip(r.frames, full).allSatisfy { $0 == $1 }, "cut at \(cut)")
        }
        // ffmpeg's Segment and Clusters have known sizes: every cut is reported.
        #expect(errors == (original.count + 210) / 211)
        var rng = SplitMix(seed: 99)
        for _ in 0..<300 {
            var b = original
            for _ in 0..<3 { b[Int(rng.next() % UInt64(b.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            let r = Self.readAll(b)
            #expect(r.frames.allSatisfy { $0.data.count <= b.count })
        }
    }
}

/// Top-level walk of a written WebM (test-side EBML decoding): cluster times, cue times and
/// whether the SeekHead and the Cues point at the right elements.
struct WebMLayout {
    var clusterTimes: [Int64] = []
    var cueTimes: [Int64] = []
    var cuesPointAtClusters = false
    var seekHeadPointsAtCues = false

    struct Element {
        var id: UInt64
        var start: Int
        var payload: Range<Int>
    }

    init(_ b: [UInt8]) {
        func vint(_ o: inout Int, keepMarker: Bool) -> UInt64? {
            guard o < b.count, b[o] != 0 else { return nil }
            let n = b[o].leadingZeroBitCount + 1
            guard o + n <= b.count else { return nil }
            var v = UInt64(keepMarker ? b[o] : b[o] & (0xFF >> n))
            for i in 1..<n { v = v << 8 | UInt64(b[o + i]) }
            o += n
            return v
        }
        func children(_ range: Range<Int>) -> [Element] {
            var o = range.lowerBound
            var out: [Element] = []
            while o < range.upperBound {
                let start = o
                guard let id = vint(&o, keepMarker: true), let size = vint(&o, keepMarker: false) else { break }
                let end = min(o + Int(min(size, UInt64(b.count))), b.count)
                out.append(Element(id: id, start: start, payload: o..<end))
                o = end
            }
            return out
        }
        func uint(_ r: Range<Int>) -> Int { b[r].reduce(0) { $0 << 8 | Int($1) } }
        guard let segment = children(0..<b.count).first(where: { $0.id == 0x1853_8067 }) else { return }
        let base = segment.payload.lowerBound
        var clusterOffsets: Set<Int> = []
        var cuesOffset = -1, seekCues = -2
        var cuePositions: [Int] = []
        for e in children(segment.payload) {
            switch e.id {
            case 0x1F43_B675:
                if let t = children(e.payload).first(where: { $0.id == 0xE7 }) { clusterTimes.append(Int64(uint(t.payload))) }
                clusterOffsets.insert(e.start - base)
            case 0x1C53_BB6B:
                cuesOffset = e.start - base
                for p in children(e.payload) where p.id == 0xBB {
                    for c in children(p.payload) {
                        if c.id == 0xB3 { cueTimes.append(Int64(uint(c.payload))) }
                        if c.id == 0xB7, let pos = children(c.payload).first(where: { $0.id == 0xF1 }) { cuePositions.append(uint(pos.payload)) }
                    }
                }
            case 0x114D_9B74:
                for s in children(e.payload) where s.id == 0x4DBB {
                    let kids = children(s.payload)
                    if let idr = kids.first(where: { $0.id == 0x53AB }), b[idr.payload].elementsEqual([0x1C, 0x53, 0xBB, 0x6B]),
                       let pos = kids.first(where: { $0.id == 0x53AC }) { seekCues = uint(pos.payload) }
                }
            default: break
            }
        }
        cuesPointAtClusters = !cuePositions.isEmpty && cuePositions.allSatisfy { clusterOffsets.contains($0) }
        seekHeadPointsAtCues = seekCues == cuesOffset
    }
}
