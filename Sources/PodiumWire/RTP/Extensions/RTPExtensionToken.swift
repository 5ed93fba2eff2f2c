/// The ASCII identifiers carried by the SDES header extensions (RFC 7941 §4): MID (RFC 9143 §15.2,
/// an RFC 8866 `token`) and RtpStreamId / RepairedRtpStreamId (RFC 8852 §3, an RFC 8851 `rid-id`).
///
///     one-byte form:  |  ID   | L=n-1 | c1 | c2 | … | cn |      n = 1…16, no terminator
///
/// Stored inline (at most 16 bytes, the one-byte form's limit), so parsing and comparing allocate
/// nothing; `matches(_:)` compares against raw packet bytes.
public struct RTPExtensionToken: Sendable, Hashable, CustomStringConvertible {
    public static let maxLength = 16

    /// Which characters are allowed.
    public enum Syntax: Sendable {
        /// RFC 8866 §9 `token` (MID): visible ASCII except the separators `"(),/:;<=>?@[\]{}` and space.
        case token
        /// RFC 8851 §10 `rid-id`: ALPHA / DIGIT / "-" / "_".
        case ridID
    }

    @usableFromInline var _storage: InlineArray<16, UInt8>
    public let count: Int

    public init(parsing bytes: UnsafeRawBufferPointer, syntax: Syntax) throws(ParseError) {
        guard bytes.count >= 1 else { throw ParseError(.truncated, at: 0, "empty SDES identifier") }
        guard bytes.count <= RTPExtensionToken.maxLength else { throw ParseError(.limitExceeded, at: RTPExtensionToken.maxLength, "SDES identifier longer than 16 bytes") }
        var storage = InlineArray<16, UInt8>(repeating: 0)
        for i in 0 ..< bytes.count {
            let c = bytes[i]
            guard RTPExtensionToken.isAllowed(c, syntax) else { throw ParseError(.malformed, at: i, "character not allowed in SDES identifier") }
            storage[i] = c
        }
        _storage = storage
        count = bytes.count
    }

    /// A token from text (configuration, SDP); nil when empty, too long or with a forbidden character.
    public init?(_ text: String, syntax: Syntax) {
        var utf8 = Array(text.utf8)
        guard let t = utf8.withUnsafeMutableBytes({ try? RTPExtensionToken(parsing: UnsafeRawBufferPointer($0), syntax: syntax) }) else { return nil }
        self = t
    }

    @inlinable
    static func isAllowed(_ c: UInt8, _ syntax: Syntax) -> Bool {
        switch syntax {
        case .ridID:
            return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        case .token:
            // token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E
            return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B || c == 0x2D || c == 0x2E
                || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x5E && c <= 0x7E)
        }
    }

    /// The byte at `index` (0 ..< count).
    @inlinable public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < count, "token index out of range")
        return _storage[index]
    }

    /// True when `bytes` (e.g. an extension value in a packet) are exactly this token.
    @inlinable public func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == count else { return false }
        for i in 0 ..< count where bytes[i] != _storage[i] { return false }
        return true
    }

    public var encodedSize: Int { count }

    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        guard count <= buffer.count else { throw BufferTooSmall(needed: count, available: buffer.count) }
        for i in 0 ..< count { buffer[i] = _storage[i] }
        return count
    }

    public static func == (a: RTPExtensionToken, b: RTPExtensionToken) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0 ..< a.count where a._storage[i] != b._storage[i] { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for i in 0 ..< count { hasher.combine(_storage[i]) }
    }

    public var description: String {
        var s = ""
        for i in 0 ..< count { s.unicodeScalars.append(Unicode.Scalar(_storage[i])) }
        return s
    }
}

/// MID header extension (RFC 9143 §15.2; `urn:ietf:params:rtp-hdrext:sdes:mid`): the media
/// section a packet belongs to, used to route packets before SSRCs are known.
///
///     |  ID   | L=n-1 |  MID bytes (1…16, token characters)  |
public struct MediaIDExtension: Sendable, Hashable, CustomStringConvertible {
    public var mid: RTPExtensionToken
    public init(_ mid: RTPExtensionToken) { self.mid = mid }
    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) { mid = try RTPExtensionToken(parsing: bytes, syntax: .token) }
    public var encodedSize: Int { mid.encodedSize }
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int { try mid.write(into: buffer) }
    public var description: String { "mid=\(mid)" }
}

/// RtpStreamId header extension (RFC 8852 §3.1; `…:sdes:rtp-stream-id`): the simulcast layer
/// (RFC 8851 rid) of a packet.
///
///     |  ID   | L=n-1 |  rid bytes (1…16, ALPHA / DIGIT / - / _)  |
public struct RTPStreamIDExtension: Sendable, Hashable, CustomStringConvertible {
    public var rid: RTPExtensionToken
    public init(_ rid: RTPExtensionToken) { self.rid = rid }
    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) { rid = try RTPExtensionToken(parsing: bytes, syntax: .ridID) }
    public var encodedSize: Int { rid.encodedSize }
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int { try rid.write(into: buffer) }
    public var description: String { "rid=\(rid)" }
}

/// RepairedRtpStreamId header extension (RFC 8852 §3.2; `…:sdes:repaired-rtp-stream-id`): on an
/// RTX or FEC packet, the rid of the stream it repairs.
///
///     |  ID   | L=n-1 |  rid bytes (1…16, ALPHA / DIGIT / - / _)  |
public struct RepairedRTPStreamIDExtension: Sendable, Hashable, CustomStringConvertible {
    public var rid: RTPExtensionToken
    public init(_ rid: RTPExtensionToken) { self.rid = rid }
    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) { rid = try RTPExtensionToken(parsing: bytes, syntax: .ridID) }
    public var encodedSize: Int { rid.encodedSize }
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int { try rid.write(into: buffer) }
    public var description: String { "repaired-rid=\(rid)" }
}
