/// IVF: the raw VP8/VP9/AV1 frame file of libvpx (`vpxenc --ivf`, `ffmpeg -f ivf`).
///
/// File header, 32 bytes, little-endian:
///
///     0       4       6       8        12      14      16        20        24          28     32
///     | DKIF  | ver=0 | hlen=32| fourcc | width | height| rate(den) | scale(num)| frame count | unused |
///
/// Then per frame a 12-byte header and the frame:
///
///     | frame size (u32) | presentation timestamp (u64, in scale/rate seconds) | frame bytes ... |
///
/// Why the frame count is patched at `finish()`: libvpx and ffmpeg write the number of frames there
/// once it is known; readers do not trust it (we read until the end of the file).
public struct IVFHeader: Sendable, Equatable, CustomStringConvertible {
    /// The codec's four characters, e.g. `VP80`.
    public var fourcc: (UInt8, UInt8, UInt8, UInt8)
    public var width: UInt16
    public var height: UInt16
    /// Time base = numerator / denominator seconds per pts unit (ffmpeg's 1/30 for 30 fps input).
    public var timebaseDenominator: UInt32
    public var timebaseNumerator: UInt32
    public var frameCount: UInt32
    public var unused: UInt32

    public static let size = 32
    public static let vp8: (UInt8, UInt8, UInt8, UInt8) = (0x56, 0x50, 0x38, 0x30)

    public init(fourcc: (UInt8, UInt8, UInt8, UInt8) = IVFHeader.vp8, width: UInt16, height: UInt16,
                timebaseDenominator: UInt32, timebaseNumerator: UInt32 = 1, frameCount: UInt32 = 0, unused: UInt32 = 0) {
        self.fourcc = fourcc
        self.width = width
        self.height = height
        self.timebaseDenominator = timebaseDenominator
        self.timebaseNumerator = timebaseNumerator
        self.frameCount = frameCount
        self.unused = unused
    }

    /// The fourcc as text (`"VP80"`).
    public var codec: String { String(decoding: [fourcc.0, fourcc.1, fourcc.2, fourcc.3], as: UTF8.self) }
    public var isVP8: Bool { fourcc == Self.vp8 }

    /// Parses the 32-byte file header.
    public init(parsing b: UnsafeRawBufferPointer) throws(ContainerError) {
        guard b.count >= Self.size else { throw ContainerError(.truncated, at: Int64(b.count), "IVF file header is 32 bytes") }
        guard b[0] == 0x44, b[1] == 0x4B, b[2] == 0x49, b[3] == 0x46 else {
            throw ContainerError(.malformed, at: 0, "IVF signature is not DKIF")
        }
        func u16(_ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
        func u32(_ o: Int) -> UInt32 { UInt32(u16(o)) | UInt32(u16(o + 2)) << 16 }
        guard u16(4) == 0 else { throw ContainerError(.unsupported, at: 4, "IVF version \(u16(4)) (only 0 exists)") }
        guard u16(6) == 32 else { throw ContainerError(.malformed, at: 6, "IVF header size \(u16(6)), must be 32") }
        fourcc = (b[8], b[9], b[10], b[11])
        width = u16(12)
        height = u16(14)
        timebaseDenominator = u32(16)
        timebaseNumerator = u32(20)
        frameCount = u32(24)
        unused = u32(28)
        guard timebaseDenominator != 0, timebaseNumerator != 0 else {
            throw ContainerError(.malformed, at: 16, "IVF time base has a zero term")
        }
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0x44, 0x4B, 0x49, 0x46, 0, 0, 32, 0, fourcc.0, fourcc.1, fourcc.2, fourcc.3]
        func le(_ v: UInt64, _ n: Int) { for i in 0..<n { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
        le(UInt64(width), 2); le(UInt64(height), 2)
        le(UInt64(timebaseDenominator), 4); le(UInt64(timebaseNumerator), 4)
        le(UInt64(frameCount), 4); le(UInt64(unused), 4)
        return out
    }

    public static func == (a: IVFHeader, b: IVFHeader) -> Bool {
        a.fourcc == b.fourcc && a.width == b.width && a.height == b.height && a.timebaseDenominator == b.timebaseDenominator
            && a.timebaseNumerator == b.timebaseNumerator && a.frameCount == b.frameCount && a.unused == b.unused
    }

    public var description: String {
        "IVF(\(codec) \(width)x\(height) timebase \(timebaseNumerator)/\(timebaseDenominator), \(frameCount) frames)"
    }
}

/// One IVF frame: its timestamp in the file's time base and its bytes.
public struct IVFFrame: Sendable, Equatable {
    public var pts: Int64
    public var data: [UInt8]
    public init(pts: Int64, data: [UInt8]) {
        self.pts = pts
        self.data = data
    }
    /// VP8 keyframe bit (RFC 6386 §9.1: bit 0 of the first byte is 0 for a keyframe).
    public var isVP8Keyframe: Bool { !data.isEmpty && data[0] & 1 == 0 }
}

/// Streams the frames of an IVF file: `next()` until it returns nil.
///
/// Bounded: a frame larger than `ContainerLimits.maximumFrameSize` or reaching past the end of the
/// input throws before anything is allocated for it.
public final class IVFReader {
    public let header: IVFHeader
    private let input: MediaInput
    /// Frames returned so far.
    public private(set) var frameIndex = 0

    public init(_ input: MediaInput) throws(ContainerError) {
        self.input = input
        var raw = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let count = min(Int64(IVFHeader.size), input.length - input.position)
        let h: IVFHeader = try withUnsafeMutableBytes(of: &raw) { p throws(ContainerError) in
            let part = UnsafeMutableRawBufferPointer(rebasing: p[0..<Int(max(0, count))])
            try input.read(into: part, "IVF file header")
            return try IVFHeader(parsing: UnsafeRawBufferPointer(part))
        }
        header = h
    }

    public convenience init(path: String) throws(ContainerError) { try self.init(MediaInput(path: path)) }
    public convenience init(bytes: [UInt8]) throws(ContainerError) { try self.init(MediaInput(bytes: bytes)) }

    /// The next frame, or nil at the end of the file.
    public func next() throws(ContainerError) -> IVFFrame? {
        if input.isAtEnd { return nil }
        let start = input.position
        guard input.remaining >= 12 else { throw ContainerError(.truncated, at: start, "IVF frame header is 12 bytes") }
        let size = try input.readLittleEndian(4, "IVF frame size")
        let pts = Int64(bitPattern: try input.readLittleEndian(8, "IVF frame timestamp"))
        guard size <= UInt64(ContainerLimits.maximumFrameSize) else {
            throw ContainerError(.limitExceeded, at: start, "IVF frame of \(size) bytes (limit \(ContainerLimits.maximumFrameSize))")
        }
        guard Int64(size) <= input.remaining else {
            throw ContainerError(.truncated, at: start, "IVF frame of \(size) bytes runs past the end of the file")
        }
        let data = try input.readBytes(Int(size), "IVF frame")
        frameIndex += 1
        return IVFFrame(pts: pts, data: data)
    }
}

/// Writes an IVF file frame by frame; `finish()` patches the frame count.
public final class IVFWriter {
    public private(set) var header: IVFHeader
    private let output: MediaOutput
    private var finished = false
    private var scratch = [UInt8](repeating: 0, count: 12)

    /// Writes `header` now (its frame count is replaced at `finish()`).
    public init(output: MediaOutput, header: IVFHeader) throws(ContainerError) {
        self.output = output
        self.header = header
        self.header.frameCount = 0
        try output.write(self.header.encoded())
    }

    public convenience init(path: String, header: IVFHeader) throws(ContainerError) {
        try self.init(output: MediaOutput(path: path), header: header)
    }

    public func append(_ frame: UnsafeRawBufferPointer, pts: Int64) throws(ContainerError) {
        guard !finished else { throw ContainerError(.invalidArgument, at: output.position, "IVF append after finish") }
        guard frame.count <= ContainerLimits.maximumFrameSize else {
            throw ContainerError(.invalidArgument, at: output.position, "IVF frame of \(frame.count) bytes is over the limit")
        }
        let size = UInt32(frame.count), t = UInt64(bitPattern: pts)
        for i in 0..<4 { scratch[i] = UInt8(truncatingIfNeeded: size >> (8 * i)) }
        for i in 0..<8 { scratch[4 + i] = UInt8(truncatingIfNeeded: t >> (8 * i)) }
        try output.write(scratch)
        try output.write(frame)
        header.frameCount &+= 1
    }

    public func append(_ frame: [UInt8], pts: Int64) throws(ContainerError) {
        var failure: ContainerError?
        frame.withUnsafeBytes { b in
            do throws(ContainerError) { try append(b, pts: pts) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Patches the frame count and flushes (and closes a file output).
    public func finish() throws(ContainerError) {
        guard !finished else { return }
        finished = true
        let n = header.frameCount
        try output.overwrite(at: 24, with: (0..<4).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) })
        try output.close()
    }
}
