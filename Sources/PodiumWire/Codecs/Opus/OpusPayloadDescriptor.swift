/// An Opus RTP payload (RFC 7587 §4.2: exactly one Opus packet, no payload header) checked against
/// the framing rules R1–R7 of RFC 6716 §3.4.
///
///     code 0:  | TOC | frame 1 .................................... |
///     code 1:  | TOC | frame 1 (N-1)/2 bytes | frame 2 (N-1)/2 bytes |
///     code 2:  | TOC | N1 (1-2 bytes) | frame 1 (N1) | frame 2 ...... |
///     code 3:  | TOC |v|p|   M   | padding length* | N1..N(M-1)* (VBR) | frames | padding |
///
/// Frame lengths are 0...251 in one byte, or 252...1275 in two (first + 4 * second). A padding
/// length byte of 255 means 254 bytes of padding and another length byte.
///
/// Why `isDTX` is "every frame is at most one byte": libopus decodes a frame of 0 or 1 bytes as
/// lost (no audio coded); in DTX the encoder emits just the TOC byte. libwebrtc's
/// `OpusFrame::IsDtxPacket()` tests `payload.size() <= 2` and mediasoup (`Codecs/Opus.cpp`) follows
/// it; on valid packets our rule is true for every such payload and also for longer packets that
/// carry only empty frames (code 1/3 with 0-1 byte frames, padding). Comfort-noise refresh frames
/// (libopus sends one about every 400 ms in DTX) are real SILK frames of tens of bytes, the same
/// size as quiet speech at low bitrate, so they are not guessed from their size: use the RFC 6464
/// audio level to tell silence from speech.
public struct OpusPayloadDescriptor: Sendable, Equatable, CustomStringConvertible {
    public var toc: OpusTOC
    /// Frames in the packet, 1...48.
    public var frameCount: Int
    /// Code 2, or code 3 with the v bit.
    public var isVBR: Bool
    /// Code 3 padding bytes at the end of the packet (not counting the padding length bytes).
    public var paddingLength: Int
    /// The largest frame in bytes (0...1275).
    public var largestFrameSize: Int
    /// Offset of the first frame's data.
    public var frameDataOffset: Int
    /// Offset just past the last frame's data (padding follows).
    public var frameDataEnd: Int
    /// Offset of the first VBR frame length (code 2 and VBR code 3).
    var lengthsOffset: Int

    /// Longest packet duration allowed (R5): 120 ms at 48 kHz.
    public static let maximumDurationSamples = 5760
    /// Longest frame (R2).
    public static let maximumFrameSize = 1275

    /// Total duration in samples per channel at 48 kHz (the RTP timestamp step).
    @inlinable public var durationSamples: Int { frameCount * toc.frameSamples }

    /// No audio coded in any frame (see the type's documentation).
    @inlinable public var isDTX: Bool { largestFrameSize <= 1 }

    /// Every Opus packet can be decoded on its own (no inter-packet prediction is required).
    @inlinable public var isKeyframe: Bool { true }
    /// An Opus payload is always one whole packet.
    @inlinable public var isStartOfFrame: Bool { true }
    /// Opus has no RTP payload header: the packet starts at the TOC byte.
    @inlinable public var payloadHeaderSize: Int { 0 }

    public init(parsing payload: UnsafeRawBufferPointer) throws(ParseError) {
        let n = payload.count
        guard n >= 1 else { throw ParseError(.truncated, at: 0, "Opus TOC byte (R1)") }
        toc = OpusTOC(payload[0])
        isVBR = false
        paddingLength = 0
        frameDataEnd = n
        lengthsOffset = 1
        let maxFrame = Self.maximumFrameSize
        switch toc.frameCountCode {
        case 0:
            frameCount = 1
            frameDataOffset = 1
            largestFrameSize = n - 1
            if largestFrameSize > maxFrame { throw ParseError(.limitExceeded, at: 1, "Opus frame longer than 1275 bytes (R2)") }
        case 1:
            frameCount = 2
            frameDataOffset = 1
            if (n - 1) & 1 != 0 { throw ParseError(.malformed, at: 0, "Opus code 1 packet with odd frame bytes (R3)") }
            largestFrameSize = (n - 1) / 2
            if largestFrameSize > maxFrame { throw ParseError(.limitExceeded, at: 1, "Opus frame longer than 1275 bytes (R2)") }
        case 2:
            frameCount = 2
            isVBR = true
            var offset = 1
            let first = try Self.readFrameLength(payload, &offset)
            frameDataOffset = offset
            let second = n - offset - first
            if second < 0 { throw ParseError(.truncated, at: offset, "Opus code 2 first frame (R4)") }
            if second > maxFrame { throw ParseError(.limitExceeded, at: offset + first, "Opus frame longer than 1275 bytes (R4)") }
            largestFrameSize = max(first, second)
        default:
            guard n >= 2 else { throw ParseError(.truncated, at: 1, "Opus code 3 frame count byte (R5)") }
            let countByte = payload[1]
            isVBR = countByte & 0x80 != 0
            frameCount = Int(countByte & 0x3F)
            if frameCount == 0 { throw ParseError(.malformed, at: 1, "Opus code 3 with zero frames (R5)") }
            if frameCount * toc.frameSamples > Self.maximumDurationSamples {
                throw ParseError(.limitExceeded, at: 1, "Opus packet longer than 120 ms (R5)")
            }
            var offset = 2
            if countByte & 0x40 != 0 {
                var more = true
                while more {
                    guard offset < n else { throw ParseError(.truncated, at: offset, "Opus padding length") }
                    let p = Int(payload[offset])
                    offset += 1
                    more = p == 255
                    paddingLength += more ? 254 : p
                }
            }
            // The padding sits at the end; whatever it leaves is frame data and VBR lengths.
            frameDataEnd = n - paddingLength
            lengthsOffset = offset
            if frameDataEnd < offset { throw ParseError(.truncated, at: offset, "Opus padding longer than the packet (R6/R7)") }
            if isVBR {
                var sum = 0
                largestFrameSize = 0
                for _ in 0..<(frameCount - 1) {
                    let length = try Self.readFrameLength(payload, &offset, end: frameDataEnd)
                    sum += length
                    largestFrameSize = max(largestFrameSize, length)
                }
                frameDataOffset = offset
                let last = frameDataEnd - offset - sum
                if last < 0 { throw ParseError(.truncated, at: offset, "Opus VBR frames past the packet (R7)") }
                if last > maxFrame { throw ParseError(.limitExceeded, at: offset, "Opus frame longer than 1275 bytes (R7)") }
                largestFrameSize = max(largestFrameSize, last)
            } else {
                frameDataOffset = offset
                let total = frameDataEnd - offset
                if total % frameCount != 0 { throw ParseError(.malformed, at: offset, "Opus CBR frames of unequal size (R6)") }
                largestFrameSize = total / frameCount
                if largestFrameSize > maxFrame { throw ParseError(.limitExceeded, at: offset, "Opus frame longer than 1275 bytes (R6)") }
            }
        }
    }

    /// One frame length (RFC 6716 §3.2.1) at `offset`, advancing past it; must fit before `end`.
    static func readFrameLength(_ payload: UnsafeRawBufferPointer, _ offset: inout Int, end: Int? = nil) throws(ParseError) -> Int {
        let end = end ?? payload.count
        guard offset < end else { throw ParseError(.truncated, at: offset, "Opus frame length") }
        let b0 = Int(payload[offset])
        if b0 < 252 {
            offset += 1
            return b0
        }
        guard offset + 1 < end else { throw ParseError(.truncated, at: offset + 1, "Opus frame length second byte") }
        let length = b0 + 4 * Int(payload[offset + 1])
        offset += 2
        return length
    }

    /// The frames of a parsed packet, in order, as views into `payload` (the bytes parsed).
    public func frames(in payload: UnsafeRawBufferPointer) -> Frames { Frames(descriptor: self, payload: payload) }

    public struct Frames: Sequence, IteratorProtocol {
        let payload: UnsafeRawBufferPointer
        let count: Int
        let isVBR: Bool
        let code: UInt8
        let end: Int
        let equalSize: Int
        var lengthOffset: Int
        var dataOffset: Int
        var index = 0

        init(descriptor d: OpusPayloadDescriptor, payload: UnsafeRawBufferPointer) {
            precondition(payload.count >= d.frameDataEnd, "payload shorter than the parsed packet")
            self.payload = payload
            self.count = d.frameCount
            self.isVBR = d.isVBR
            self.code = d.toc.frameCountCode
            self.end = d.frameDataEnd
            self.dataOffset = d.frameDataOffset
            self.equalSize = d.isVBR ? 0 : (d.frameDataEnd - d.frameDataOffset) / d.frameCount
            self.lengthOffset = d.lengthsOffset
        }

        public mutating func next() -> UnsafeRawBufferPointer? {
            guard index < count else { return nil }
            var size = equalSize
            if isVBR {
                if index == count - 1 {
                    size = end - dataOffset
                } else {
                    size = (try? OpusPayloadDescriptor.readFrameLength(payload, &lengthOffset)) ?? 0
                }
            }
            size = Swift.max(0, Swift.min(size, end - dataOffset))
            defer { dataOffset += size; index += 1 }
            return UnsafeRawBufferPointer(rebasing: payload[dataOffset..<dataOffset + size])
        }
    }

    public var description: String {
        var s = "\(toc) frames=\(frameCount) \(Double(durationSamples) / 48) ms"
        if isVBR { s += " vbr" }
        if paddingLength > 0 { s += " pad=\(paddingLength)" }
        if isDTX { s += " DTX" }
        return s
    }
}
