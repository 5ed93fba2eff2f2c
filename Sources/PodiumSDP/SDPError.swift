/// The one error the SDP parser throws (typed throws: `throws(SDPError)`).
///
/// SDP arrives from the network through signaling, so it is hostile input: every limit and every
/// malformed field the model types is reported with the 1-based line number and what is wrong.
/// `line` is 0 for errors about the whole description (size, missing lines).
public struct SDPError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The description is larger than `SDPLimits.maxBytes`.
        case tooLarge
        /// More media sections than `SDPLimits.maxMediaSections`.
        case tooManyMediaSections
        /// More lines in one section than `SDPLimits.maxLinesPerSection`.
        case tooManyLines
        /// A line, or a field of a typed attribute, does not follow its grammar.
        case malformed
        /// A required line (v=, o=, s=, t=) is missing.
        case missingLine
        /// A line type that is unknown or not allowed where it appears (RFC 8866 §5).
        case unexpectedLine
        /// Two media sections (or two a=mid lines) with one mid.
        case duplicateMID
        /// A payload type that is not a number in 0...127.
        case invalidPayloadType
        /// An a=extmap id outside 1...255, or used twice in one section.
        case invalidExtensionID
        /// A number outside its field's range (ports, clock rates, absurdly long numbers…).
        case outOfRange
        /// The same payload type mapped twice.
        case duplicatePayloadType
    }

    public var kind: Kind
    /// 1-based line number in the parsed text; 0 when the error is about the whole description.
    public var line: Int
    /// What is wrong, naming the field, with the offending line quoted.
    public var detail: String

    public init(_ kind: Kind, line: Int = 0, _ detail: String) {
        self.kind = kind
        self.line = line
        self.detail = detail
    }

    public var description: String { line > 0 ? "line \(line): \(detail)" : detail }
}

/// Bounds on what the parser accepts. Signaling is not the packet path, but a hostile peer must not
/// make the parser allocate or loop without bound.
public enum SDPLimits {
    /// Largest accepted description, in UTF-8 bytes.
    public static let maxBytes = 64 * 1024
    /// Most media sections (m= lines).
    public static let maxMediaSections = 64
    /// Most lines in one section (the session part, or one media section).
    public static let maxLinesPerSection = 1000
    /// Most items in one list inside a line (formats, group mids, ssrcs, candidate extensions…).
    public static let maxListItems = 256
    /// Longest identifier (mid, rid, ufrag, pwd, foundation…), in bytes.
    public static let maxIdentifierLength = 256
}
