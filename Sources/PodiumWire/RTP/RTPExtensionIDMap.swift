/// Maps header extension ids (RFC 8285 §5, `a=extmap`) from a publisher's negotiated ids to a
/// subscriber's. 0 means "not negotiated by the receiver: drop". Inline 256-byte table, no heap, so a
/// consumer keeps one by value and the per-packet lookup is one load.
public struct RTPExtensionIDMap: Sendable, CustomStringConvertible {
    @usableFromInline var _to: InlineArray<256, UInt8>

    /// A map that drops every extension.
    public init() { _to = InlineArray(repeating: 0) }

    /// Every id maps to itself.
    public static var identity: RTPExtensionIDMap {
        var m = RTPExtensionIDMap()
        for i in 1 ... 255 { m._to[i] = UInt8(i) }
        return m
    }

    /// The receiver's id for the sender's `id`; 0 drops the element. Id 0 (padding) always maps to 0.
    @inlinable public subscript(id: UInt8) -> UInt8 {
        // Why unchecked: a UInt8 index is always inside the 256 entries.
        get { _to[unchecked: Int(id)] }
        set { if id != 0 { _to[unchecked: Int(id)] = newValue } }
    }

    public var description: String {
        var pairs: [String] = []
        for i in 1 ... 255 where _to[i] != 0 { pairs.append("\(i)→\(_to[i])") }
        return "RTPExtensionIDMap[" + pairs.joined(separator: " ") + "]"
    }
}
