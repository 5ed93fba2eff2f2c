/// VP8 payload header (RFC 7741 §4.3): the first bytes of a VP8 frame (RFC 6386 §9.1 frame tag,
/// little-endian bit fields), present at the start of the first packet of each frame (S=1, PID=0).
///
///          0 1 2 3 4 5 6 7
///         +-+-+-+-+-+-+-+-+
///         |Size0|H| VER |P|   P: inverse key frame flag (0 = key frame), H: show_frame
///         +-+-+-+-+-+-+-+-+
///         |     Size1     |   first partition size = Size0 + 8 * Size1 + 2048 * Size2
///         +-+-+-+-+-+-+-+-+
///         |     Size2     |
///         +-+-+-+-+-+-+-+-+
///
/// Key frames continue (RFC 6386 §9.1, RFC 7741 §4.3) with a start code and the dimensions:
///
///         +-------+-------+-------+----------------+----------------+
///         |  9d   |  01   |  2a   | scale:2 width:14 | scale:2 height:14 |  (16-bit little-endian)
///         +-------+-------+-------+----------------+----------------+
///
/// Why not in the descriptor: RFC 7741 calls this the "payload header", but it is bitstream, so it
/// lies after `VP8PayloadDescriptor.payloadHeaderSize`.
public struct VP8FrameHeader: Sendable, Equatable, CustomStringConvertible {
    /// Key frame dimensions (RFC 6386 §9.1): 14-bit sizes and 2-bit upscaling modes.
    public struct Dimensions: Sendable, Equatable {
        public var width: UInt16
        public var horizontalScale: UInt8
        public var height: UInt16
        public var verticalScale: UInt8
        public init(width: UInt16, height: UInt16, horizontalScale: UInt8 = 0, verticalScale: UInt8 = 0) {
            self.width = width & 0x3FFF
            self.height = height & 0x3FFF
            self.horizontalScale = horizontalScale & 0x03
            self.verticalScale = verticalScale & 0x03
        }
    }

    /// P == 0.
    public var isKeyframe: Bool
    /// VER, the VP8 version (profile), 0...7 (0...3 defined).
    public var version: UInt8
    /// H: the frame is meant to be displayed.
    public var showFrame: Bool
    /// Size of the first partition in bytes (19 bits), not counting this header.
    public var firstPartitionSize: UInt32
    /// Present exactly when `isKeyframe`.
    public var dimensions: Dimensions?

    public init(keyframe dimensions: Dimensions?, version: UInt8 = 0, showFrame: Bool = true, firstPartitionSize: UInt32) {
        self.isKeyframe = dimensions != nil
        self.version = version & 0x07
        self.showFrame = showFrame
        self.firstPartitionSize = firstPartitionSize & 0x7FFFF
        self.dimensions = dimensions
    }

    /// Parses the header at `offset` in `payload` (the start of the VP8 bitstream).
    public init(parsing payload: UnsafeRawBufferPointer, at offset: Int = 0) throws(ParseError) {
        var r = ByteReader(payload, offset: offset)
        let tag = try r.readBytes(3, "VP8 payload header")
        let b0 = tag[0]
        isKeyframe = b0 & 0x01 == 0
        version = (b0 >> 1) & 0x07
        showFrame = b0 & 0x10 != 0
        firstPartitionSize = UInt32(b0 >> 5) | UInt32(tag[1]) << 3 | UInt32(tag[2]) << 11
        dimensions = nil
        guard isKeyframe else { return }
        // Why: libwebrtc also drops a key frame whose first packet lacks these 7 bytes.
        let start = try r.readBytes(3, "VP8 key frame start code")
        if start[0] != 0x9D || start[1] != 0x01 || start[2] != 0x2A {
            throw ParseError(.malformed, at: r.offset - 3, "VP8 key frame start code")
        }
        let size = try r.readBytes(4, "VP8 key frame dimensions")
        let w = UInt16(size[0]) | UInt16(size[1]) << 8
        let h = UInt16(size[2]) | UInt16(size[3]) << 8
        dimensions = Dimensions(width: w, height: h, horizontalScale: UInt8(w >> 14), verticalScale: UInt8(h >> 14))
    }

    /// 3 bytes, or 10 for a key frame.
    public var encodedSize: Int { dimensions != nil ? 10 : 3 }

    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.require(encodedSize)
        let size = firstPartitionSize & 0x7FFFF
        try w.write(UInt8(truncatingIfNeeded: size << 5) | (showFrame ? 0x10 : 0) | (version & 0x07) << 1 | (dimensions != nil ? 0 : 1))
        try w.write(UInt8(truncatingIfNeeded: size >> 3))
        try w.write(UInt8(truncatingIfNeeded: size >> 11))
        if let d = dimensions {
            try w.write(UInt8(0x9D)); try w.write(UInt8(0x01)); try w.write(UInt8(0x2A))
            let wv = d.width & 0x3FFF | UInt16(d.horizontalScale & 0x03) << 14
            let hv = d.height & 0x3FFF | UInt16(d.verticalScale & 0x03) << 14
            // Little-endian fields: ByteWriter stores big-endian.
            try w.write(wv.byteSwapped)
            try w.write(hv.byteSwapped)
        }
        return w.offset
    }

    public var description: String {
        var s = isKeyframe ? "key" : "delta"
        if let d = dimensions { s += " \(d.width)x\(d.height)" }
        if !showFrame { s += " hidden" }
        return s + " part0=\(firstPartitionSize)"
    }
}
