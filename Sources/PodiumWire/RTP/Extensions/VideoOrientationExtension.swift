/// Coordination of video orientation header extension (3GPP TS 26.114 §7.4.5, `urn:3gpp:video-orientation`).
///
///     0 1 2 3 4 5 6 7
///    +-+-+-+-+-+-+-+-+
///    |0 0 0 0|C|F|R1R0|
///    +-+-+-+-+-+-+-+-+
///
/// C: camera (0 front, 1 back). F: horizontal flip before rotation. R1R0: rotation the receiver
/// applies, counter-clockwise, in 90° steps. The upper four bits are ignored when parsing.
public struct VideoOrientationExtension: Sendable, Hashable, CustomStringConvertible {
    public static let size = 1

    public enum Camera: UInt8, Sendable { case front = 0, back = 1 }
    public enum Rotation: UInt8, Sendable {
        case degrees0 = 0, degrees90 = 1, degrees180 = 2, degrees270 = 3
        public var degrees: Int { Int(rawValue) * 90 }
    }

    public var camera: Camera
    public var isFlipped: Bool
    public var rotation: Rotation

    public init(camera: Camera = .front, isFlipped: Bool = false, rotation: Rotation) {
        self.camera = camera
        self.isFlipped = isFlipped
        self.rotation = rotation
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        guard bytes.count == 1 else { throw ParseError(bytes.isEmpty ? .truncated : .malformed, at: 0, "video orientation is 1 byte") }
        let b = bytes[0]
        camera = b & 0x08 != 0 ? .back : .front
        isFlipped = b & 0x04 != 0
        rotation = Rotation(rawValue: b & 0x03)!
    }

    public var encodedSize: Int { 1 }

    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.write(camera.rawValue << 3 | (isFlipped ? 0x04 : 0) | rotation.rawValue)
        return w.offset
    }

    public var description: String { "video-orientation=\(rotation.degrees)°\(isFlipped ? " flipped" : "")\(camera == .back ? " back" : "")" }
}
