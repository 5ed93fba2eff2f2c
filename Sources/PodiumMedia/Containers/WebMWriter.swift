/// The VP8 video track of a WebM file being written.
public struct WebMVideoTrack: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// The Opus audio track of a WebM file being written: `CodecPrivate` is the OpusHead, and
/// `CodecDelay` / `SeekPreRoll` are written as ffmpeg and libwebm write them (pre-skip in ns, 80 ms).
public struct WebMAudioTrack: Sendable, Equatable {
    public var head: OpusHead
    public var seekPreRoll: UInt64
    public init(head: OpusHead, seekPreRoll: UInt64 = 80_000_000) {
        self.head = head
        self.seekPreRoll = seekPreRoll
    }
    /// Pre-skip in nanoseconds.
    public var codecDelay: UInt64 { UInt64(head.preSkip) * 1_000_000_000 / 48000 }
}

/// Writes a WebM file (VP8 and/or Opus) frame by frame.
///
/// Layout: EBML header (DocType webm), Segment { SeekHead, Info, Tracks, Cluster…, Cues }. A new
/// Cluster starts at each video keyframe (once the Cluster holds video), or after 5 s, or when it
/// passes 32 MiB; a Cluster is buffered until it is complete, so memory is bounded by one Cluster
/// plus the cue list. `finish()` writes Cues (one CuePoint per video-keyframe Cluster, or per
/// Cluster for audio only) and patches Duration, the SeekHead's Cues position and the Segment size.
/// Until then the Segment has unknown size, so a file cut off mid-recording is still playable.
///
/// Timestamps are presentation times in nanoseconds on one clock for both tracks: a video frame's
/// time, and for audio the time of the packet's first sample *after* pre-skip (so the first Opus
/// packet of a stream is at `-preSkip / 48 kHz`). Why the shift: as ffmpeg and libwebm do, every
/// block is written `CodecDelay` (rounded to the 1 ms TimecodeScale) later, so the pre-skip samples
/// land at time ≥ 0 and a player that drops them (CodecDelay) keeps audio and video in sync. Times
/// are rounded half away from zero to milliseconds, as ffmpeg does. Frames should come in time
/// order per track; across tracks a frame may be up to 32 s older than its Cluster's start.
public final class WebMWriter {
    public let video: WebMVideoTrack?
    public let audio: WebMAudioTrack?
    /// Track numbers (1 for the first track).
    public let videoTrackNumber: UInt64
    public let audioTrackNumber: UInt64
    private let output: MediaOutput
    private let segmentSizeOffset: Int64
    private let segmentDataStart: Int64
    private let cuesSeekOffset: Int64
    private let durationOffset: Int64

    private var cluster = EBMLWriter()
    private var clusterStart: Int64 = 0
    private var clusterOpen = false
    private var clusterHasVideo = false
    private var clusterHasVideoKeyframe = false
    private var clusterKeyframeTime: Int64 = 0
    private var cues: [(time: Int64, track: UInt64, position: Int64)] = []
    private var endTime: Int64 = 0
    private var lastVideo: Int64?
    private var lastVideoStep: Int64 = 0
    private var finished = false
    /// Milliseconds added to every block time (CodecDelay rounded; 0 without audio).
    public let timeShift: Int64
    /// Frames written per track kind.
    public private(set) var videoFrameCount = 0
    public private(set) var audioFrameCount = 0

    static let clusterDuration: Int64 = 5000
    static let clusterBytes = 32 << 20

    public init(output: MediaOutput, video: WebMVideoTrack?, audio: WebMAudioTrack?, writingApp: String = "Podium") throws(ContainerError) {
        guard video != nil || audio != nil else { throw ContainerError(.invalidArgument, at: 0, "WebM: no track") }
        self.output = output
        self.video = video
        self.audio = audio
        videoTrackNumber = video == nil ? 0 : 1
        audioTrackNumber = audio == nil ? 0 : (video == nil ? 1 : 2)
        timeShift = audio.map { Self.milliseconds(Int64($0.codecDelay)) } ?? 0

        var w = EBMLWriter()
        w.master(EBMLID.ebml) { h in
            h.uint(EBMLID.ebmlVersion, 1)
            h.uint(EBMLID.ebmlReadVersion, 1)
            h.uint(EBMLID.ebmlMaxIDLength, 4)
            h.uint(EBMLID.ebmlMaxSizeLength, 8)
            h.string(EBMLID.docType, "webm")
            h.uint(EBMLID.docTypeVersion, 4)
            h.uint(EBMLID.docTypeReadVersion, 2)
        }
        w.id(EBMLID.segment)
        let sizeAt = w.bytes.count
        w.bytes += [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]   // unknown until finish()
        let dataStart = w.bytes.count

        // Segment children, positions relative to the Segment's data.
        var info = EBMLWriter()
        info.master(EBMLID.info) { i in
            i.uint(EBMLID.timecodeScale, 1_000_000)
            i.string(EBMLID.muxingApp, "Podium")
            i.string(EBMLID.writingApp, writingApp)
            i.float(EBMLID.duration, 0)
        }
        var tracks = EBMLWriter()
        let vn = videoTrackNumber, an = audioTrackNumber
        tracks.master(EBMLID.tracks) { t in
            if let video {
                t.master(EBMLID.trackEntry) { e in
                    e.uint(EBMLID.trackNumber, vn)
                    e.uint(EBMLID.trackUID, UInt64.random(in: 1...UInt64(Int64.max)))
                    e.uint(EBMLID.flagLacing, 0)
                    e.string(EBMLID.language, "und")
                    e.string(EBMLID.codecID, "V_VP8")
                    e.uint(EBMLID.trackType, 1)
                    e.master(EBMLID.video) { v in
                        v.uint(EBMLID.pixelWidth, UInt64(max(0, video.width)))
                        v.uint(EBMLID.pixelHeight, UInt64(max(0, video.height)))
                    }
                }
            }
            if let audio {
                t.master(EBMLID.trackEntry) { e in
                    e.uint(EBMLID.trackNumber, an)
                    e.uint(EBMLID.trackUID, UInt64.random(in: 1...UInt64(Int64.max)))
                    e.uint(EBMLID.flagLacing, 0)
                    e.string(EBMLID.language, "und")
                    e.string(EBMLID.codecID, "A_OPUS")
                    e.uint(EBMLID.codecDelay, audio.codecDelay)
                    e.uint(EBMLID.seekPreRoll, audio.seekPreRoll)
                    e.binary(EBMLID.codecPrivate, audio.head.encoded())
                    e.uint(EBMLID.trackType, 2)
                    e.master(EBMLID.audio) { a in
                        a.uint(EBMLID.channels, UInt64(audio.head.channelCount))
                        a.float(EBMLID.samplingFrequency, 48000)
                    }
                }
            }
        }
        // SeekHead: three entries of 21 bytes with 8-byte positions; Cues is patched at finish.
        func seekEntry(_ w: inout EBMLWriter, _ id: UInt32, _ position: UInt64) {
            w.master(EBMLID.seek) { s in
                s.binary(EBMLID.seekID, EBMLWriter.idBytes(id))
                s.uint(EBMLID.seekPosition, position, length: 8)
            }
        }
        var probe = EBMLWriter()
        seekEntry(&probe, EBMLID.info, 0)
        let entrySize = probe.bytes.count
        let seekHeadSize = EBMLWriter.idBytes(EBMLID.seekHead).count + 1 + 3 * entrySize
        let infoPosition = UInt64(seekHeadSize)
        let tracksPosition = infoPosition + UInt64(info.bytes.count)
        w.id(EBMLID.seekHead)
        w.size(UInt64(3 * entrySize))
        seekEntry(&w, EBMLID.info, infoPosition)
        seekEntry(&w, EBMLID.tracks, tracksPosition)
        let cuesEntryAt = w.bytes.count
        seekEntry(&w, EBMLID.cues, 0)
        precondition(w.bytes.count - dataStart == seekHeadSize)
        let durationAt = w.bytes.count + info.bytes.count - 8
        w.bytes += info.bytes
        w.bytes += tracks.bytes

        let base = output.position
        segmentSizeOffset = base + Int64(sizeAt)
        segmentDataStart = base + Int64(dataStart)
        cuesSeekOffset = base + Int64(cuesEntryAt)
        durationOffset = base + Int64(durationAt)
        try output.write(w.bytes)
    }

    public convenience init(path: String, video: WebMVideoTrack?, audio: WebMAudioTrack?, writingApp: String = "Podium") throws(ContainerError) {
        try self.init(output: MediaOutput(path: path), video: video, audio: audio, writingApp: writingApp)
    }

    /// Appends a VP8 frame at `timestamp` nanoseconds.
    public func appendVideo(_ frame: [UInt8], timestamp: Int64, isKeyframe: Bool) throws(ContainerError) {
        guard video != nil else { throw ContainerError(.invalidArgument, at: output.position, "WebM: no video track") }
        try checkRange(timestamp)
        let t = Self.milliseconds(timestamp) + timeShift
        if isKeyframe && clusterHasVideo { try closeCluster() }
        try append(frame, track: videoTrackNumber, time: t, keyframe: isKeyframe, isVideo: true)
        if let last = lastVideo, t > last { lastVideoStep = t - last }
        lastVideo = t
        endTime = max(endTime, t + lastVideoStep)
        videoFrameCount += 1
    }

    /// `appendVideo` with a timestamp in milliseconds.
    public func appendVideo(_ frame: [UInt8], timestampMilliseconds ms: Int64, isKeyframe: Bool) throws(ContainerError) {
        try appendVideo(frame, timestamp: try Self.nanoseconds(ms), isKeyframe: isKeyframe)
    }

    /// `appendAudio` with a timestamp in milliseconds.
    public func appendAudio(_ packet: [UInt8], timestampMilliseconds ms: Int64) throws(ContainerError) {
        try appendAudio(packet, timestamp: try Self.nanoseconds(ms))
    }

    /// Appends an Opus packet at `timestamp` nanoseconds: its first sample after pre-skip (from Ogg:
    /// `(pts - preSkip) * 1_000_000_000 / 48000`).
    public func appendAudio(_ packet: [UInt8], timestamp: Int64) throws(ContainerError) {
        guard audio != nil else { throw ContainerError(.invalidArgument, at: output.position, "WebM: no audio track") }
        try checkRange(timestamp)
        let t = Self.milliseconds(timestamp) + timeShift
        try append(packet, track: audioTrackNumber, time: t, keyframe: true, isVideo: false)
        let d = opusPacketDurationSamples(packet) ?? 0
        endTime = max(endTime, Self.milliseconds(timestamp + Int64(d) * 1_000_000_000 / 48000) + timeShift)
        audioFrameCount += 1
    }

    /// Writes the last Cluster and the Cues, patches Duration, the SeekHead and the Segment size,
    /// and closes a file output.
    public func finish() throws(ContainerError) {
        guard !finished else { return }
        finished = true
        try closeCluster()
        let cuesPosition = output.position - segmentDataStart
        if cues.isEmpty {
            // No Cues: the SeekHead entry becomes a Void of the same 21 bytes.
            try output.overwrite(at: cuesSeekOffset, with: [0xEC, 0x80 | 19] + [UInt8](repeating: 0, count: 19))
        } else {
            var w = EBMLWriter()
            w.master(EBMLID.cues) { c in
                for cue in cues {
                    c.master(EBMLID.cuePoint) { p in
                        p.uint(EBMLID.cueTime, UInt64(cue.time))
                        p.master(EBMLID.cueTrackPositions) { t in
                            t.uint(EBMLID.cueTrack, cue.track)
                            t.uint(EBMLID.cueClusterPosition, UInt64(cue.position))
                        }
                    }
                }
            }
            try output.write(w.bytes)
            var seek = EBMLWriter()
            seek.master(EBMLID.seek) { s in
                s.binary(EBMLID.seekID, EBMLWriter.idBytes(EBMLID.cues))
                s.uint(EBMLID.seekPosition, UInt64(cuesPosition), length: 8)
            }
            try output.overwrite(at: cuesSeekOffset, with: seek.bytes)
        }
        let bits = Double(endTime).bitPattern
        try output.overwrite(at: durationOffset, with: (0..<8).reversed().map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) })
        let size = UInt64(output.position - segmentDataStart)
        try output.overwrite(at: segmentSizeOffset, with: EBMLWriter.sizeBytes(size, length: 8))
        try output.close()
    }

    /// Duration written so far (ms): the end of the last frame.
    public var durationMilliseconds: Int64 { endTime }

    // MARK: Clusters

    /// Timestamps within ±2^52 ms (142 000 years) keep every later sum far from overflow.
    static let timestampLimit: Int64 = 1 << 62

    private func checkRange(_ ns: Int64) throws(ContainerError) {
        guard ns > -Self.timestampLimit, ns < Self.timestampLimit else {
            throw ContainerError(.invalidArgument, at: output.position, "WebM: timestamp \(ns) ns out of range")
        }
    }

    static func nanoseconds(_ ms: Int64) throws(ContainerError) -> Int64 {
        let r = ms.multipliedReportingOverflow(by: 1_000_000)
        guard !r.overflow else { throw ContainerError(.invalidArgument, at: 0, "WebM: timestamp \(ms) ms out of range") }
        return r.partialValue
    }

    /// Nanoseconds to milliseconds, rounding half away from zero (ffmpeg's `av_rescale_q`).
    static func milliseconds(_ ns: Int64) -> Int64 {
        ns >= 0 ? (ns + 500_000) / 1_000_000 : -((500_000 - ns) / 1_000_000)
    }

    private func append(_ data: [UInt8], track: UInt64, time: Int64, keyframe: Bool, isVideo: Bool) throws(ContainerError) {
        guard !finished else { throw ContainerError(.invalidArgument, at: output.position, "WebM: append after finish") }
        guard data.count <= ContainerLimits.maximumFrameSize else {
            throw ContainerError(.invalidArgument, at: output.position, "WebM: frame of \(data.count) bytes is over the limit")
        }
        if clusterOpen && (time - clusterStart >= Self.clusterDuration || cluster.bytes.count >= Self.clusterBytes) {
            try closeCluster()
        }
        if !clusterOpen {
            guard time >= 0 else { throw ContainerError(.invalidArgument, at: output.position, "WebM: negative timestamp \(time) ms") }
            clusterOpen = true
            clusterStart = time
            cluster.bytes.removeAll(keepingCapacity: true)
            cluster.uint(EBMLID.timecode, UInt64(time))
        }
        guard time >= 0 else { throw ContainerError(.invalidArgument, at: output.position, "WebM: negative timestamp \(time) ms") }
        let relative = time - clusterStart
        guard relative >= Int64(Int16.min) else {
            throw ContainerError(.invalidArgument, at: output.position, "WebM: frame at \(time) ms is more than 32 s before its Cluster")
        }
        if isVideo && keyframe && !clusterHasVideo {
            clusterHasVideoKeyframe = true
            clusterKeyframeTime = time
        }
        if isVideo { clusterHasVideo = true }
        let trackBytes = EBMLWriter.sizeBytes(track)
        cluster.id(EBMLID.simpleBlock)
        cluster.size(UInt64(trackBytes.count + 3 + data.count))
        cluster.bytes += trackBytes
        let r = UInt16(bitPattern: Int16(relative))
        cluster.bytes += [UInt8(r >> 8), UInt8(r & 0xFF), keyframe ? 0x80 : 0]
        cluster.bytes += data
    }

    private func closeCluster() throws(ContainerError) {
        guard clusterOpen else { return }
        let position = output.position - segmentDataStart
        if clusterHasVideoKeyframe {
            cues.append((clusterKeyframeTime, videoTrackNumber, position))
        } else if video == nil {
            cues.append((clusterStart, audioTrackNumber, position))
        }
        try output.write(EBMLWriter.idBytes(EBMLID.cluster) + EBMLWriter.sizeBytes(UInt64(cluster.bytes.count)))
        try output.write(cluster.bytes)
        clusterOpen = false
        clusterHasVideo = false
        clusterHasVideoKeyframe = false
    }
}
