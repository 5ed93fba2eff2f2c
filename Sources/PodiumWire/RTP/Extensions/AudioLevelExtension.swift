/// Client-to-mixer audio level header extension (RFC 6464 §3): voice activity flag and the level
/// in −dBov (0 = loudest, 127 = silence).
///
///     0                   1
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |  ID   | len=0 |V| level       |      one-byte form (RFC 6464 Figure 1)
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// The value is exactly one byte in either form (two-byte form: len=1, Figure 2).
public struct AudioLevelExtension: Sendable, Hashable, CustomStringConvertible {
    public static let size = 1
    /// The V bit: the sender's voice activity detector says this packet holds speech.
    public var voiceActivity: Bool
    /// 0…127, in −dBov.
    public var level: UInt8

    public init(voiceActivity: Bool, level: UInt8) {
        self.voiceActivity = voiceActivity
        self.level = min(level, 127)
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        guard bytes.count == 1 else { throw ParseError(bytes.isEmpty ? .truncated : .malformed, at: 0, "audio level is 1 byte") }
        voiceActivity = bytes[0] & 0x80 != 0
        level = bytes[0] & 0x7F
    }

    /// The level in dBov (0 or negative).
    public var dBov: Int { -Int(level) }

    public var encodedSize: Int { 1 }

    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.write((voiceActivity ? 0x80 : 0) | level & 0x7F)
        return w.offset
    }

    public var description: String { "audio-level=-\(level)dBov\(voiceActivity ? " voice" : "")" }
}
