/// Source description, SDES (RFC 3550 §6.5).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P|    SC   |  PT=SDES=202  |             length            |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |                          SSRC/CSRC_1                          |  chunk 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |     type      |    length     |  value (length bytes) ...     |  item
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |  ... more items ...  | END=0 | null padding to a 32-bit boundary
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |                          SSRC/CSRC_2 ...                      |  chunk 2
///
/// Each chunk starts on a 32-bit boundary; its item list ends with one or more null octets (the
/// END item) followed by nulls up to the next boundary.
public struct SourceDescription: Equatable, CustomStringConvertible {
    public var chunks: SDESChunkList

    public init(chunks: SDESChunkList) { self.chunks = chunks }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        try self.init(frame: RTCPFrame(single: bytes, packetType: RTCPPacketType.sdes))
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let body = frame.body
        var offset = 0
        for _ in 0..<Int(frame.header.count) {
            offset = try SDESChunk.validate(body, at: offset)
        }
        // Why: padding inside the body (P clear) may only be what aligns the last chunk; tolerate none.
        guard offset == body.count else { throw ParseError(.malformed, at: 4 + offset, "SDES bytes after the last chunk") }
        chunks = SDESChunkList(wire: body, count: Int(frame.header.count))
    }

    public var encodedSize: Int { 4 + chunks.encodedSize }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        precondition(chunks.count < 32, "an SDES packet carries at most 31 chunks")
        try w.writeRTCPHeader(count: UInt8(chunks.count), packetType: RTCPPacketType.sdes, unpaddedSize: encodedSize)
        for chunk in chunks { try chunk.write(to: &w) }
    }

    /// The first CNAME item of the packet, if any.
    public var cname: UnsafeRawBufferPointer? {
        for chunk in chunks { for item in chunk.items where item.type == SDESItem.cname { return item.value } }
        return nil
    }

    public static func == (a: SourceDescription, b: SourceDescription) -> Bool { a.chunks.elementsEqual(b.chunks) }

    public var description: String { "SDES(" + chunks.map { "\($0)" }.joined(separator: ", ") + ")" }
}

/// The chunks of an SDES packet: validated bytes, or the caller's chunks to write.
public struct SDESChunkList: Sequence, CustomStringConvertible {
    enum Storage {
        case wire(UnsafeRawBufferPointer)
        case values(UnsafeBufferPointer<SDESChunk>)
    }
    let storage: Storage
    public let count: Int

    public init(_ chunks: UnsafeBufferPointer<SDESChunk>) {
        storage = .values(chunks)
        count = chunks.count
    }

    /// Over chunk bytes already checked by `SDESChunk.validate`.
    init(wire bytes: UnsafeRawBufferPointer, count: Int) {
        storage = .wire(bytes)
        self.count = count
    }

    public var encodedSize: Int { reduce(0) { $0 + $1.encodedSize } }

    public func makeIterator() -> Iterator { Iterator(list: self) }

    public struct Iterator: IteratorProtocol {
        let list: SDESChunkList
        var index = 0
        var offset = 0

        public mutating func next() -> SDESChunk? {
            guard index < list.count else { return nil }
            defer { index += 1 }
            switch list.storage {
            case .values(let values): return values[index]
            case .wire(let bytes):
                let chunk = SDESChunk(validatedWire: bytes, at: offset)
                offset = chunk.wireEnd
                return chunk
            }
        }
    }

    public var description: String { "[" + map { "\($0)" }.joined(separator: ", ") + "]" }
}

/// One SDES chunk: an SSRC/CSRC and its items.
public struct SDESChunk: Equatable, CustomStringConvertible {
    public var ssrc: UInt32
    public var items: SDESItemList
    /// Offset just past this chunk's padding when viewed over received bytes.
    let wireEnd: Int

    public init(ssrc: UInt32, items: SDESItemList) {
        self.ssrc = ssrc
        self.items = items
        self.wireEnd = 0
    }

    /// Checks the chunk at `offset` and returns the offset of the next one.
    static func validate(_ body: UnsafeRawBufferPointer, at start: Int) throws(ParseError) -> Int {
        var r = ByteReader(body, offset: start)
        do {
            _ = try r.readUInt32("SDES chunk SSRC")
            while true {
                let type = try r.readUInt8("SDES item type")
                if type == 0 { break }
                let length = try r.readUInt8("SDES item length")
                try r.skip(Int(length), "SDES item value")
            }
            try r.skip((4 - (r.offset & 3)) & 3, "SDES chunk padding")
        } catch { throw ParseError(error.kind, at: 4 + error.offset, error.detail) }
        return r.offset
    }

    init(validatedWire body: UnsafeRawBufferPointer, at start: Int) {
        ssrc = body.loadBigEndianUInt32(at: start)
        var o = start + 4
        while body[o] != 0 { o += 2 + Int(body[o + 1]) }
        items = SDESItemList(wire: UnsafeRawBufferPointer(rebasing: body[(start + 4)..<o]))
        wireEnd = (o + 1 + 3) & ~3
    }

    /// Bytes on the wire: SSRC, items, END and null padding to 32 bits.
    public var encodedSize: Int { (4 + items.encodedSize + 1 + 3) & ~3 }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        try w.write(ssrc)
        for item in items {
            precondition(item.type != 0 && item.value.count <= 255, "SDES item type 0 or value over 255 bytes")
            try w.write(item.type)
            try w.write(UInt8(item.value.count))
            try w.write(bytes: item.value)
        }
        let end = 4 + items.encodedSize
        try w.writeZeros(encodedSize - end)
    }

    public static func == (a: SDESChunk, b: SDESChunk) -> Bool { a.ssrc == b.ssrc && a.items.elementsEqual(b.items) }

    public var description: String { "chunk(ssrc=\(ssrc) " + items.map { "\($0)" }.joined(separator: " ") + ")" }
}

/// The items of one chunk: validated bytes, or the caller's items to write.
public struct SDESItemList: Sequence {
    enum Storage {
        case wire(UnsafeRawBufferPointer)
        case values(UnsafeBufferPointer<SDESItem>)
    }
    let storage: Storage

    public init(_ items: UnsafeBufferPointer<SDESItem>) { storage = .values(items) }
    init(wire bytes: UnsafeRawBufferPointer) { storage = .wire(bytes) }

    public var encodedSize: Int { reduce(0) { $0 + 2 + $1.value.count } }

    public func makeIterator() -> Iterator { Iterator(storage: storage) }

    public struct Iterator: IteratorProtocol {
        let storage: Storage
        var index = 0

        public mutating func next() -> SDESItem? {
            switch storage {
            case .values(let values):
                guard index < values.count else { return nil }
                defer { index += 1 }
                return values[index]
            case .wire(let bytes):
                guard index < bytes.count else { return nil }
                let length = Int(bytes[index + 1])
                defer { index += 2 + length }
                return SDESItem(type: bytes[index], value: UnsafeRawBufferPointer(rebasing: bytes[(index + 2)..<(index + 2 + length)]))
            }
        }
    }
}

/// One SDES item (RFC 3550 §6.5.1–6.5.8): a type and up to 255 bytes of UTF-8 (or PRIV) value.
public struct SDESItem: Equatable, CustomStringConvertible {
    public static let cname: UInt8 = 1
    public static let name: UInt8 = 2
    public static let email: UInt8 = 3
    public static let phone: UInt8 = 4
    public static let location: UInt8 = 5
    public static let tool: UInt8 = 6
    public static let note: UInt8 = 7
    public static let priv: UInt8 = 8

    public var type: UInt8
    public var value: UnsafeRawBufferPointer

    public init(type: UInt8, value: UnsafeRawBufferPointer) {
        self.type = type
        self.value = value
    }

    public static func == (a: SDESItem, b: SDESItem) -> Bool { a.type == b.type && a.value.sameBytes(as: b.value) }

    public var description: String { "\(type)=\"\(String(decoding: value, as: UTF8.self))\"" }
}

extension SourceDescription: RTCPWritable {}
