import PodiumWire

/// Opus identification header (RFC 7845 §5.1), the first packet of an Ogg Opus stream and the
/// `CodecPrivate` of a WebM Opus track.
///
///     | "OpusHead" | version | channels | pre-skip (u16 LE) | input sample rate (u32 LE) |
///     | output gain (i16 LE, Q7.8 dB) | mapping family | [streams, coupled, mapping × channels] |
public struct OpusHead: Sendable, Equatable {
    public var version: UInt8
    public var channelCount: UInt8
    /// Samples at 48 kHz to discard from the start of the decoded output (encoder delay).
    public var preSkip: UInt16
    /// Sample rate of the encoder's input (informational; Opus always decodes at 48 kHz here).
    public var inputSampleRate: UInt32
    public var outputGain: Int16
    public var mappingFamily: UInt8
    /// Stream count, coupled count and channel mapping (only for mapping family != 0).
    public var streamCount: UInt8
    public var coupledCount: UInt8
    public var channelMapping: [UInt8]

    public init(channelCount: UInt8, preSkip: UInt16 = 312, inputSampleRate: UInt32 = 48000, outputGain: Int16 = 0) {
        version = 1
        self.channelCount = channelCount
        self.preSkip = preSkip
        self.inputSampleRate = inputSampleRate
        self.outputGain = outputGain
        mappingFamily = 0
        streamCount = 1
        coupledCount = channelCount > 1 ? 1 : 0
        channelMapping = []
    }

    public init(parsing b: [UInt8]) throws(ContainerError) {
        guard b.count >= 19 else { throw ContainerError(.truncated, at: Int64(b.count), "OpusHead is at least 19 bytes") }
        guard b[0..<8].elementsEqual("OpusHead".utf8) else { throw ContainerError(.malformed, at: 0, "OpusHead magic missing") }
        version = b[8]
        guard version >> 4 == 0 else { throw ContainerError(.unsupported, at: 8, "OpusHead major version \(version >> 4)") }
        channelCount = b[9]
        guard channelCount > 0 else { throw ContainerError(.malformed, at: 9, "OpusHead with 0 channels") }
        preSkip = UInt16(b[10]) | UInt16(b[11]) << 8
        inputSampleRate = UInt32(b[12]) | UInt32(b[13]) << 8 | UInt32(b[14]) << 16 | UInt32(b[15]) << 24
        outputGain = Int16(bitPattern: UInt16(b[16]) | UInt16(b[17]) << 8)
        mappingFamily = b[18]
        if mappingFamily == 0 {
            guard channelCount <= 2 else { throw ContainerError(.malformed, at: 9, "OpusHead family 0 with more than 2 channels") }
            streamCount = 1
            coupledCount = channelCount - 1
            channelMapping = []
        } else {
            guard b.count >= 21 + Int(channelCount) else { throw ContainerError(.truncated, at: Int64(b.count), "OpusHead channel mapping table") }
            streamCount = b[19]
            coupledCount = b[20]
            guard streamCount > 0, coupledCount <= streamCount else { throw ContainerError(.malformed, at: 19, "OpusHead stream counts") }
            channelMapping = Array(b[21..<21 + Int(channelCount)])
        }
    }

    public func encoded() -> [UInt8] {
        var out = Array("OpusHead".utf8)
        out += [version, channelCount, UInt8(preSkip & 0xFF), UInt8(preSkip >> 8)]
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: inputSampleRate >> (8 * i))) }
        let g = UInt16(bitPattern: outputGain)
        out += [UInt8(g & 0xFF), UInt8(g >> 8), mappingFamily]
        if mappingFamily != 0 { out += [streamCount, coupledCount] + channelMapping }
        return out
    }
}

/// Opus comment header (RFC 7845 §5.2): vendor string and `NAME=value` comments (Vorbis style).
public struct OpusTags: Sendable, Equatable {
    public var vendor: String
    public var comments: [String]

    public init(vendor: String, comments: [String] = []) {
        self.vendor = vendor
        self.comments = comments
    }

    public init(parsing b: [UInt8]) throws(ContainerError) {
        guard b.count >= 16, b[0..<8].elementsEqual("OpusTags".utf8) else {
            throw ContainerError(.malformed, at: 0, "OpusTags magic missing")
        }
        var o = 8
        func u32() throws(ContainerError) -> Int {
            guard o + 4 <= b.count else { throw ContainerError(.truncated, at: Int64(o), "OpusTags length field") }
            defer { o += 4 }
            return Int(UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24)
        }
        func string() throws(ContainerError) -> String {
            let n = try u32()
            guard n <= b.count - o else { throw ContainerError(.truncated, at: Int64(o), "OpusTags string runs past the packet") }
            defer { o += n }
            return String(decoding: b[o..<o + n], as: UTF8.self)
        }
        vendor = try string()
        let count = try u32()
        // Why the bound: each comment takes at least 4 bytes, so a larger count is a lie.
        guard count <= (b.count - o) / 4 else { throw ContainerError(.limitExceeded, at: Int64(o), "OpusTags comment count") }
        comments = []
        for _ in 0..<count { comments.append(try string()) }
    }

    public func encoded() -> [UInt8] {
        var out = Array("OpusTags".utf8)
        func put(_ s: String) {
            let u = Array(s.utf8)
            for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: u.count >> (8 * i))) }
            out += u
        }
        put(vendor)
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: comments.count >> (8 * i))) }
        for c in comments { put(c) }
        return out
    }
}

/// Samples (at 48 kHz) an Opus packet decodes to, from its TOC byte (RFC 6716 §3.1), or nil if the
/// packet is too short to tell.
public func opusPacketDurationSamples(_ packet: UnsafeRawBufferPointer) -> Int? {
    guard let first = packet.first else { return nil }
    let toc = OpusTOC(first)
    let frames: Int
    switch toc.frameCountCode {
    case 0: frames = 1
    case 1, 2: frames = 2
    default:
        guard packet.count >= 2 else { return nil }
        frames = Int(packet[1] & 0x3F)
    }
    return frames * toc.frameSamples
}

public func opusPacketDurationSamples(_ packet: [UInt8]) -> Int? {
    packet.withUnsafeBytes { opusPacketDurationSamples($0) }
}

/// An Opus packet read from Ogg, with its place on the 48 kHz timeline.
public struct OggOpusPacket: Sendable, Equatable {
    public var data: [UInt8]
    /// First sample of the packet, counted from the start of the decoded stream *including*
    /// pre-skip (the playback time is `(pts - preSkip) / 48000` s; a WebM block time is `pts / 48` ms
    /// with `CodecDelay` = pre-skip).
    public var pts: Int64
    /// Samples of the packet that are played: the TOC duration, cut on the last packet when the
    /// final granule position trims the end (RFC 7845 §4.5).
    public var duration: Int
    /// Page granule position when the packet ends its page, else -1.
    public var granulePosition: Int64
}

/// Reads an Ogg Opus file (RFC 7845): OpusHead, OpusTags, then audio packets with timestamps.
///
/// The first timestamp comes from the first page that finishes a packet (its granule position
/// minus the durations of the packets finished on it, RFC 7845 §4.3), so files cut from a longer
/// stream keep their position. Packets whose TOC is unreadable throw `.malformed`.
public final class OggOpusReader {
    public let head: OpusHead
    public let tags: OpusTags
    private let ogg: OggReader
    private var pending: [OggPacket] = []
    private var pendingIndex = 0
    private var nextPts: Int64 = 0
    private var started = false

    public init(_ input: MediaInput) throws(ContainerError) {
        ogg = OggReader(input)
        guard let h = try ogg.next() else { throw ContainerError(.truncated, at: input.position, "Ogg Opus: no OpusHead packet") }
        guard h.isFirst else { throw ContainerError(.malformed, at: 0, "Ogg Opus: OpusHead is not on the first page") }
        head = try OpusHead(parsing: h.data)
        guard let t = try ogg.next() else { throw ContainerError(.truncated, at: input.position, "Ogg Opus: no OpusTags packet") }
        tags = try OpusTags(parsing: t.data)
    }

    public convenience init(path: String) throws(ContainerError) { try self.init(MediaInput(path: path)) }
    public convenience init(bytes: [UInt8]) throws(ContainerError) { try self.init(MediaInput(bytes: bytes)) }

    /// Serial number of the Ogg logical stream.
    public var serial: UInt32 { ogg.serial ?? 0 }

    public func next() throws(ContainerError) -> OggOpusPacket? {
        if !started {
            started = true
            // Buffer up to the first packet with a granule position to place the stream.
            while let p = try ogg.next() {
                pending.append(p)
                if p.granulePosition >= 0 { break }
                // Why the bound: a page that finishes a packet must carry a granule (RFC 3533), so
                // a valid stream places itself within one page's packets (at most 255).
                guard pending.count <= 256 else {
                    throw ContainerError(.malformed, at: 0, "Ogg Opus: no granule position on the first audio pages")
                }
            }
            var total: Int64 = 0
            for p in pending { total += Int64(try duration(p.data)) }
            if let last = pending.last, last.granulePosition >= 0 { nextPts = max(0, last.granulePosition - total) }
        }
        let p: OggPacket
        if pendingIndex < pending.count {
            p = pending[pendingIndex]
            pendingIndex += 1
            if pendingIndex == pending.count { pending.removeAll(); pendingIndex = 0 }
        } else {
            guard let q = try ogg.next() else { return nil }
            p = q
        }
        let pts = nextPts
        var d = try duration(p.data)
        nextPts += Int64(d)
        if p.isLast, p.granulePosition >= 0, p.granulePosition < nextPts {
            d = Int(max(0, p.granulePosition - pts))
        }
        return OggOpusPacket(data: p.data, pts: pts, duration: d, granulePosition: p.granulePosition)
    }

    private func duration(_ data: [UInt8]) throws(ContainerError) -> Int {
        guard let d = opusPacketDurationSamples(data), d <= 5760 else {
            throw ContainerError(.malformed, at: 0, "Ogg Opus: audio packet with an invalid TOC")
        }
        return d
    }
}

/// Writes an Ogg Opus file: OpusHead and OpusTags each on their own page, then audio pages closed
/// every `pageDuration` samples (1 s by default, as ffmpeg does), granule positions counting
/// decoded samples including pre-skip, EOS on the last page.
public final class OggOpusWriter {
    public let head: OpusHead
    private let ogg: OggWriter
    private let pageDuration: Int
    private var pageSamples = 0
    /// Granule position after the last appended packet.
    public private(set) var granulePosition: Int64 = 0

    public init(output: MediaOutput, head: OpusHead, tags: OpusTags = OpusTags(vendor: "Podium"),
                serial: UInt32 = UInt32.random(in: 1...UInt32.max), pageDuration: Int = 48000) throws(ContainerError) {
        self.head = head
        self.pageDuration = max(1, pageDuration)
        ogg = OggWriter(output: output, serial: serial)
        try ogg.append(head.encoded(), granulePosition: 0, flushPage: true)
        try ogg.append(tags.encoded(), granulePosition: 0, flushPage: true)
    }

    public convenience init(path: String, head: OpusHead, tags: OpusTags = OpusTags(vendor: "Podium")) throws(ContainerError) {
        try self.init(output: MediaOutput(path: path), head: head, tags: tags)
    }

    /// Appends an Opus packet. `duration` overrides the TOC's duration (pass a shorter one on the
    /// last packet to trim the end, as `OggOpusPacket.duration` does).
    public func append(_ packet: [UInt8], duration: Int? = nil) throws(ContainerError) {
        guard let d = duration ?? opusPacketDurationSamples(packet), d >= 0, d <= 5760 else {
            throw ContainerError(.invalidArgument, at: granulePosition, "Ogg Opus: packet without a readable TOC or a duration outside 0...5760")
        }
        granulePosition += Int64(d)
        try ogg.append(packet, granulePosition: granulePosition)
        pageSamples += d
        if pageSamples >= pageDuration {
            ogg.closePage()
            pageSamples = 0
        }
    }

    public func finish() throws(ContainerError) { try ogg.finish() }
}
