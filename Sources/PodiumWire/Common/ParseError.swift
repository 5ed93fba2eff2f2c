/// The one error every Podium wire parser throws (typed throws: `throws(ParseError)`).
///
/// Creating one never allocates: `detail` is a `StaticString` naming the field or rule that failed,
/// `offset` is the byte offset into the parsed buffer where it failed. Network input is hostile, so
/// every parser reports a `ParseError` instead of trapping or reading out of bounds.
public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The input ends before a field or a length it announced.
        case truncated
        /// A field has a value the specification forbids (bad version, inconsistent lengths…).
        case malformed
        /// Well-formed, but a variant Podium does not handle.
        case unsupported
        /// An absurd count or size: more items or bytes than Podium accepts.
        case limitExceeded
        /// An integrity check (MESSAGE-INTEGRITY, FINGERPRINT, authentication tag) failed.
        case integrity
    }

    public let kind: Kind
    public let offset: Int
    public let detail: StaticString

    @inlinable
    public init(_ kind: Kind, at offset: Int, _ detail: StaticString) {
        self.kind = kind
        self.offset = offset
        self.detail = detail
    }

    public static func == (a: ParseError, b: ParseError) -> Bool {
        guard a.kind == b.kind, a.offset == b.offset else { return false }
        return a.detail.withUTF8Buffer { x in b.detail.withUTF8Buffer { y in x.elementsEqual(y) } }
    }

    public var description: String { "\(kind) at byte \(offset): \(detail)" }
}

/// Thrown by writers when the caller-provided buffer cannot hold the encoding.
public struct BufferTooSmall: Error, Sendable, Equatable, CustomStringConvertible {
    public let needed: Int
    public let available: Int
    @inlinable
    public init(needed: Int, available: Int) {
        self.needed = needed
        self.available = available
    }
    public var description: String { "buffer too small: need \(needed) bytes, have \(available)" }
}
