// Small text helpers shared by the line parsers. They work on UTF-8 bytes, never on Characters:
// "\r\n" and " \u{301}" are single Characters in Swift, which would hide separators.

extension Substring {
    /// Tokens separated by runs of spaces.
    var sdpWords: [Substring] { sdpPieces(UInt8(ascii: " "), keepEmpty: false) }

    /// Splits on every occurrence of `byte`, keeping empty pieces.
    func sdpSplit(_ byte: UInt8) -> [Substring] { sdpPieces(byte, keepEmpty: true) }

    private func sdpPieces(_ separator: UInt8, keepEmpty: Bool) -> [Substring] {
        let u = utf8
        var out: [Substring] = []
        var start = u.startIndex, i = u.startIndex
        while i != u.endIndex {
            if u[i] == separator {
                if keepEmpty || start != i { out.append(Substring(u[start..<i])) }
                i = u.index(after: i)
                start = i
            } else {
                i = u.index(after: i)
            }
        }
        if keepEmpty || start != i { out.append(Substring(u[start..<i])) }
        return out
    }

    /// The text before and after the first `byte`, or nil when it does not occur.
    func sdpSplitOnce(_ byte: UInt8) -> (Substring, Substring)? {
        guard let i = utf8.firstIndex(of: byte) else { return nil }
        return (Substring(utf8[..<i]), Substring(utf8[utf8.index(after: i)...]))
    }

    /// Without leading and trailing spaces.
    var sdpTrimmed: Substring {
        let space = UInt8(ascii: " ")
        guard let first = utf8.firstIndex(where: { $0 != space }) else { return Substring(utf8[utf8.endIndex...]) }
        let last = utf8.lastIndex(where: { $0 != space })!
        return Substring(utf8[first...last])
    }

    /// A non-empty run of visible ASCII (0x21...0x7E) no longer than `maxLength`.
    func isSDPToken(maxLength: Int = SDPLimits.maxIdentifierLength) -> Bool {
        !isEmpty && utf8.count <= maxLength && utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

/// An unsigned decimal number of at most 20 digits (no sign, no spaces), if it fits in `T` and in
/// `range`.
func sdpNumber<T: FixedWidthInteger & UnsignedInteger>(_ text: Substring, _ range: ClosedRange<T>) -> T? {
    guard !text.isEmpty, text.utf8.count <= 20 else { return nil }
    var value: UInt64 = 0
    for byte in text.utf8 {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
        guard !o1, !o2 else { return nil }
        value = s
    }
    guard value <= UInt64(T.max) else { return nil }
    let v = T(value)
    return range.contains(v) ? v : nil
}

/// Parses a number for a named field, or throws `.outOfRange` (digits, but too big/small) or
/// `.malformed` (not digits).
func sdpRequireNumber<T: FixedWidthInteger & UnsignedInteger>(
    _ text: Substring, _ range: ClosedRange<T>, _ field: String
) throws(SDPError) -> T {
    if let v = sdpNumber(text, range) { return v }
    let allDigits = !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    if allDigits { throw SDPError(.outOfRange, "\(field) '\(text.sdpExcerpt)' is outside \(range.lowerBound)...\(range.upperBound)") }
    throw SDPError(.malformed, "\(field) '\(text.sdpExcerpt)' is not a number")
}

/// A payload type (RFC 3550: 7 bits).
func sdpRequirePayloadType(_ text: Substring) throws(SDPError) -> UInt8 {
    guard let pt = sdpNumber(text, UInt8(0)...127) else {
        throw SDPError(.invalidPayloadType, "payload type '\(text.sdpExcerpt)' is not a number in 0...127")
    }
    return pt
}

/// A field that must be a token (visible ASCII, bounded length).
func sdpRequireToken(_ text: Substring, _ field: String, maxLength: Int = SDPLimits.maxIdentifierLength) throws(SDPError) -> String {
    guard text.isSDPToken(maxLength: maxLength) else {
        if text.utf8.count > maxLength { throw SDPError(.outOfRange, "\(field) is longer than \(maxLength) bytes") }
        throw SDPError(.malformed, "\(field) '\(text.sdpExcerpt)' must be non-empty visible ASCII without spaces")
    }
    return String(text)
}

/// Throws `.outOfRange` when a list has more items than `SDPLimits.maxListItems`.
func sdpRequireListSize(_ count: Int, _ field: String) throws(SDPError) {
    if count > SDPLimits.maxListItems { throw SDPError(.outOfRange, "\(field) has \(count) items, more than \(SDPLimits.maxListItems)") }
}

extension StringProtocol {
    /// At most 80 characters, for error messages.
    var sdpExcerpt: String {
        let bytes = utf8
        if bytes.count <= 80 { return String(self) }
        return String(decoding: bytes.prefix(77), as: UTF8.self) + "..."
    }
}
