/// The one error every container reader and writer throws (IVF, Ogg, WebM).
///
/// Files are hostile input like network packets: every size read from a file is checked against its
/// parent, the end of the file and a hard limit before anything is allocated, and a violation is one
/// of these errors, never a trap.
public struct ContainerError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The input ends inside a header, a page, an element or a frame it announced.
        case truncated
        /// A field has a value the format forbids (bad signature, inconsistent sizes…).
        case malformed
        /// Well-formed, but a variant Podium does not handle (another codec, an old version…).
        case unsupported
        /// An absurd size or count: more than the reader accepts (see `ContainerLimits`).
        case limitExceeded
        /// A checksum (Ogg page CRC) does not match.
        case integrity
        /// The operating system refused a read, a write, a seek or an open (`errno` in `code`).
        case io
        /// The caller asked for something invalid (a frame for a track the writer does not have,
        /// timestamps going too far backwards, appending after `finish()`).
        case invalidArgument
    }

    public let kind: Kind
    /// Byte offset in the file where the problem was found (for `.io`, the errno value).
    public let offset: Int64
    /// What is wrong, naming the format and the field.
    public let detail: String

    public init(_ kind: Kind, at offset: Int64, _ detail: String) {
        self.kind = kind
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        kind == .io ? "io error \(offset): \(detail)" : "\(kind) at byte \(offset): \(detail)"
    }
}

/// Hard bounds the readers apply to sizes read from files, so hostile input cannot make them
/// allocate or loop without bound.
public enum ContainerLimits {
    /// Largest single frame or packet a reader returns (a 4K VP8 keyframe is well under 2 MiB).
    public static let maximumFrameSize = 16 << 20
    /// Largest metadata element (CodecPrivate, a Tracks or Info master, an OpusTags packet) read
    /// into memory whole.
    public static let maximumHeaderSize = 1 << 20
}
