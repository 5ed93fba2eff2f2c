/// A list of fixed-size RTCP items (report blocks, SSRCs, NACK items, FIR entries, DLRR sub-blocks),
/// either viewed in place over received bytes or over caller-owned values to write. Never allocates.
///
/// Why two storages: parsing must not copy, and building must not allocate, so a packet built by the
/// caller points at the caller's own buffer of values (e.g. `withUnsafeBufferPointer`), which must
/// outlive the list.
public struct RTCPList<Element: RTCPListElement>: RandomAccessCollection, Equatable, CustomStringConvertible {
    @usableFromInline enum Storage {
        case wire(UnsafeRawBufferPointer)
        case values(UnsafeBufferPointer<Element>)
    }
    @usableFromInline let storage: Storage
    public let count: Int

    /// A list over the caller's values.
    public init(_ values: UnsafeBufferPointer<Element>) {
        storage = .values(values)
        count = values.count
    }

    /// A list over `bytes`, which holds `bytes.count / Element.wireSize` encoded items.
    public init(wire bytes: UnsafeRawBufferPointer) {
        storage = .wire(bytes)
        count = bytes.count / Element.wireSize
    }

    public static var empty: RTCPList { RTCPList(wire: .emptyBytes) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    @inlinable
    public subscript(i: Int) -> Element {
        precondition(i >= 0 && i < count, "RTCPList index out of range")
        switch storage {
        case .wire(let bytes): return Element(wire: bytes, at: i * Element.wireSize)
        case .values(let values): return values[i]
        }
    }

    public var encodedSize: Int { count * Element.wireSize }

    func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        try w.require(encodedSize)
        for e in self {
            e.store(into: w.bytes, at: w.offset)
            _ = try w.reserve(Element.wireSize)
        }
    }

    public static func == (a: RTCPList, b: RTCPList) -> Bool { a.elementsEqual(b) }

    public var description: String { "[" + map { "\($0)" }.joined(separator: ", ") + "]" }
}

/// A fixed-size item of an `RTCPList`.
public protocol RTCPListElement: Equatable, Sendable {
    /// Encoded size in bytes.
    static var wireSize: Int { get }
    /// Decodes the item at `offset`; the caller guarantees `wireSize` bytes are there.
    init(wire bytes: UnsafeRawBufferPointer, at offset: Int)
    /// Encodes the item at `offset`; the caller guarantees `wireSize` bytes are there.
    func store(into bytes: UnsafeMutableRawBufferPointer, at offset: Int)
}

/// An SSRC in a list (BYE, REMB).
extension UInt32: RTCPListElement {
    public static var wireSize: Int { 4 }
    public init(wire bytes: UnsafeRawBufferPointer, at offset: Int) { self = bytes.loadBigEndianUInt32(at: offset) }
    public func store(into bytes: UnsafeMutableRawBufferPointer, at offset: Int) { bytes.storeBigEndian(self, at: offset) }
}
