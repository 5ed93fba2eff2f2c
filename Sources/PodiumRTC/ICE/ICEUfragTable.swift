import PodiumWire

/// Finds the transport a STUN request is for by the local ufrag in its USERNAME (the part before
/// ':'), for datagrams from a 5-tuple the demux does not know yet (first check, network change).
///
/// Lookups take the ufrag as raw bytes viewed in the message and allocate nothing: entries are
/// bucketed by a seeded hash of the ufrag bytes (`Hasher`, randomly seeded per process, so a sender
/// cannot aim for collisions) and compared byte for byte. Inserting and removing (once per transport)
/// may allocate.
///
/// Bounded: at most `capacity` entries (a worker's transports), and ufrags of at most 256 bytes
/// (RFC 8839), so hostile traffic cannot grow it — only the owner inserts.
public struct ICEUfragTable<Value> {
    @usableFromInline
    struct Entry {
        @usableFromInline var ufrag: [UInt8]
        @usableFromInline var value: Value
    }

    @usableFromInline var buckets: [Int: [Entry]] = [:]
    public private(set) var count = 0
    public let capacity: Int

    public init(capacity: Int = 65_536) {
        precondition(capacity > 0, "ICEUfragTable capacity must be positive")
        self.capacity = capacity
    }

    /// Adds `ufrag` → `value`. Throws when the ufrag is already present (the owner draws another
    /// one), when the table is full, or when the ufrag is not 1–256 bytes.
    public mutating func insert(_ value: Value, forUfrag ufrag: String) throws(ICEUfragTableError) {
        let bytes = Array(ufrag.utf8)
        guard (1...ICECredentials.ufragLengths.upperBound).contains(bytes.count) else { throw .invalidUfrag(length: bytes.count) }
        let h = bytes.withUnsafeBytes { Self.hash($0) }
        guard !(buckets[h]?.contains { $0.ufrag == bytes } ?? false) else { throw .duplicate(ufrag) }
        guard count < capacity else { throw .full(capacity: capacity) }
        buckets[h, default: []].append(Entry(ufrag: bytes, value: value))
        count += 1
    }

    /// Removes and returns the value for `ufrag`, if present.
    @discardableResult
    public mutating func removeValue(forUfrag ufrag: String) -> Value? {
        let bytes = Array(ufrag.utf8)
        let h = bytes.withUnsafeBytes { Self.hash($0) }
        guard var bucket = buckets[h], let i = bucket.firstIndex(where: { $0.ufrag == bytes }) else { return nil }
        let value = bucket.remove(at: i).value
        buckets[h] = bucket.isEmpty ? nil : bucket
        count -= 1
        return value
    }

    /// The value for a ufrag given as bytes (e.g. `ICELiteAgent.localUfrag(inUsername:)`).
    @inlinable
    public func value(forUfrag ufrag: UnsafeRawBufferPointer) -> Value? {
        guard let bucket = buckets[Self.hash(ufrag)] else { return nil }
        var i = 0
        while i < bucket.count {
            if ICEBindingAuthenticator.equal(ufrag, bucket[i].ufrag) { return bucket[i].value }
            i += 1
        }
        return nil
    }

    /// The value for the local ufrag named by a request's USERNAME; nil without USERNAME, ':' or entry.
    @inlinable
    public func value(for message: STUNMessage) -> Value? {
        guard let ufrag = ICELiteAgent.localUfrag(of: message) else { return nil }
        return value(forUfrag: ufrag)
    }

    public func value(forUfrag ufrag: String) -> Value? {
        Array(ufrag.utf8).withUnsafeBytes { value(forUfrag: $0) }
    }

    @inlinable
    static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var h = Hasher()
        h.combine(bytes: bytes)
        return h.finalize()
    }
}

extension ICEUfragTable: Sendable where Value: Sendable {}
extension ICEUfragTable.Entry: Sendable where Value: Sendable {}

public enum ICEUfragTableError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another transport already uses this ufrag.
    case duplicate(String)
    /// `capacity` entries already.
    case full(capacity: Int)
    /// A ufrag must be 1–256 bytes.
    case invalidUfrag(length: Int)

    public var description: String {
        switch self {
        case .duplicate(let u): "ICE ufrag \(u) is already in use by another transport"
        case .full(let c): "ICE ufrag table is full (\(c) entries)"
        case .invalidUfrag(let n): "ICE ufrag of \(n) bytes; 1-256 allowed"
        }
    }
}
