/// Extended report, XR (RFC 3611 §2, §3), with typed receiver reference time (§4.4) and DLRR (§4.5)
/// blocks; other block types are kept as bytes.
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P|reserved |   PT=XR=207   |             length            |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                              SSRC                             |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |      BT       | type-specific |         block length          |  report block:
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  length in words,
///    :             type-specific block contents                      :  not counting this
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+  header word
///
///    Receiver reference time (BT=4, length=2):   NTP timestamp (64 bits)
///    DLRR (BT=5, length=3n):                     n × (SSRC, last RR, delay since last RR)
public struct ExtendedReport: Equatable, CustomStringConvertible {
    public var ssrc: UInt32
    public var blocks: XRBlockList

    public init(ssrc: UInt32, blocks: XRBlockList) {
        self.ssrc = ssrc
        self.blocks = blocks
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        try self.init(frame: RTCPFrame(single: bytes, packetType: RTCPPacketType.extendedReport))
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let body = frame.body
        guard body.count >= 4 else { throw ParseError(.truncated, at: 4, "XR SSRC") }
        ssrc = body.loadBigEndianUInt32(at: 0)
        var offset = 4
        var count = 0
        while offset < body.count {
            guard offset + 4 <= body.count else { throw ParseError(.truncated, at: 4 + offset, "XR block header") }
            let size = 4 + 4 * Int(body.loadBigEndianUInt16(at: offset + 2))
            guard offset + size <= body.count else { throw ParseError(.truncated, at: 4 + offset + 2, "XR block length points past the end") }
            let block = XRBlock(wire: UnsafeRawBufferPointer(rebasing: body[offset..<(offset + size)]))
            if case .unknown(let type, _, _) = block, type == XRBlock.receiverReferenceTimeType || type == XRBlock.dlrrType {
                throw ParseError(.malformed, at: 4 + offset + 2, "XR block length wrong for its type")
            }
            offset += size
            count += 1
        }
        blocks = XRBlockList(wire: UnsafeRawBufferPointer(rebasing: body[4...]), count: count)
    }

    public var encodedSize: Int { 8 + blocks.encodedSize }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        try w.writeRTCPHeader(count: 0, packetType: RTCPPacketType.extendedReport, unpaddedSize: encodedSize)
        try w.write(ssrc)
        for block in blocks { try block.write(to: &w) }
    }

    public static func == (a: ExtendedReport, b: ExtendedReport) -> Bool { a.ssrc == b.ssrc && a.blocks.elementsEqual(b.blocks) }

    public var description: String { "XR(ssrc=\(ssrc) " + blocks.map { "\($0)" }.joined(separator: " ") + ")" }
}

/// The report blocks of an XR packet: validated bytes, or the caller's blocks to write.
public struct XRBlockList: Sequence {
    enum Storage {
        case wire(UnsafeRawBufferPointer)
        case values(UnsafeBufferPointer<XRBlock>)
    }
    let storage: Storage
    public let count: Int

    public init(_ blocks: UnsafeBufferPointer<XRBlock>) {
        storage = .values(blocks)
        count = blocks.count
    }

    init(wire bytes: UnsafeRawBufferPointer, count: Int) {
        storage = .wire(bytes)
        self.count = count
    }

    public var encodedSize: Int { reduce(0) { $0 + $1.encodedSize } }

    public func makeIterator() -> Iterator { Iterator(storage: storage) }

    public struct Iterator: IteratorProtocol {
        let storage: Storage
        var index = 0

        public mutating func next() -> XRBlock? {
            switch storage {
            case .values(let values):
                guard index < values.count else { return nil }
                defer { index += 1 }
                return values[index]
            case .wire(let bytes):
                guard index < bytes.count else { return nil }
                let size = 4 + 4 * Int(bytes.loadBigEndianUInt16(at: index + 2))
                defer { index += size }
                return XRBlock(wire: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + size)]))
            }
        }
    }
}

/// One XR report block.
public enum XRBlock: Equatable, CustomStringConvertible {
    public static let receiverReferenceTimeType: UInt8 = 4
    public static let dlrrType: UInt8 = 5

    /// RFC 3611 §4.4: the receiver's NTP time when it sent this report.
    case receiverReferenceTime(ntpTimestamp: UInt64)
    /// RFC 3611 §4.5: delay since the last receiver reference time, per receiver.
    case dlrr(RTCPList<DLRRSubBlock>)
    /// Any other block type: block type, type-specific byte, contents after the block header.
    case unknown(blockType: UInt8, typeSpecific: UInt8, contents: UnsafeRawBufferPointer)

    /// A block over its bytes (header included); `bytes.count` matches the block's length field.
    init(wire bytes: UnsafeRawBufferPointer) {
        let type = bytes[0]
        let contents = UnsafeRawBufferPointer(rebasing: bytes[4...])
        switch type {
        case XRBlock.receiverReferenceTimeType where contents.count == 8:
            self = .receiverReferenceTime(ntpTimestamp: contents.loadBigEndianUInt64(at: 0))
        case XRBlock.dlrrType where contents.count % DLRRSubBlock.wireSize == 0:
            self = .dlrr(RTCPList(wire: contents))
        default:
            self = .unknown(blockType: type, typeSpecific: bytes[1], contents: contents)
        }
    }

    public var encodedSize: Int {
        switch self {
        case .receiverReferenceTime: return 12
        case .dlrr(let subBlocks): return 4 + subBlocks.encodedSize
        case .unknown(_, _, let contents): return 4 + rtcpPaddedSize(contents.count)
        }
    }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        switch self {
        case .receiverReferenceTime(let ntp):
            try w.write(XRBlock.receiverReferenceTimeType)
            try w.write(UInt8(0))
            try w.write(UInt16(2))
            try w.write(ntp)
        case .dlrr(let subBlocks):
            precondition(subBlocks.count <= 21845, "DLRR block length is 16 bits of words")
            try w.write(XRBlock.dlrrType)
            try w.write(UInt8(0))
            try w.write(UInt16(3 * subBlocks.count))
            try subBlocks.write(to: &w)
        case .unknown(let type, let typeSpecific, let contents):
            let padded = rtcpPaddedSize(contents.count)
            precondition(padded / 4 <= 0xFFFF, "XR block length is 16 bits of words")
            try w.write(type)
            try w.write(typeSpecific)
            try w.write(UInt16(padded / 4))
            try w.write(bytes: contents)
            try w.writeZeros(padded - contents.count)
        }
    }

    public static func == (a: XRBlock, b: XRBlock) -> Bool {
        switch (a, b) {
        case (.receiverReferenceTime(let x), .receiverReferenceTime(let y)): return x == y
        case (.dlrr(let x), .dlrr(let y)): return x == y
        case (.unknown(let t1, let s1, let c1), .unknown(let t2, let s2, let c2)): return t1 == t2 && s1 == s2 && c1.sameBytes(as: c2)
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .receiverReferenceTime(let ntp): return "rrtr(ntp=\(ntp))"
        case .dlrr(let subBlocks): return "dlrr\(subBlocks)"
        case .unknown(let type, let typeSpecific, let contents): return "xr-block(bt=\(type) ts=\(typeSpecific) \(rtcpHexPreview(contents)))"
        }
    }
}

/// One DLRR sub-block (RFC 3611 §4.5).
public struct DLRRSubBlock: RTCPListElement, CustomStringConvertible {
    public static var wireSize: Int { 12 }
    public var ssrc: UInt32
    /// Middle 32 bits of the NTP timestamp of the last receiver reference time block received.
    public var lastRR: UInt32
    /// Delay since that block, in 1/65536 s.
    public var delaySinceLastRR: UInt32

    public init(ssrc: UInt32, lastRR: UInt32, delaySinceLastRR: UInt32) {
        self.ssrc = ssrc
        self.lastRR = lastRR
        self.delaySinceLastRR = delaySinceLastRR
    }

    public init(wire bytes: UnsafeRawBufferPointer, at o: Int) {
        ssrc = bytes.loadBigEndianUInt32(at: o)
        lastRR = bytes.loadBigEndianUInt32(at: o + 4)
        delaySinceLastRR = bytes.loadBigEndianUInt32(at: o + 8)
    }

    public func store(into bytes: UnsafeMutableRawBufferPointer, at o: Int) {
        bytes.storeBigEndian(ssrc, at: o)
        bytes.storeBigEndian(lastRR, at: o + 4)
        bytes.storeBigEndian(delaySinceLastRR, at: o + 8)
    }

    public var description: String { "(ssrc=\(ssrc) lrr=\(lastRR) dlrr=\(delaySinceLastRR))" }
}

extension ExtendedReport: RTCPWritable {}
