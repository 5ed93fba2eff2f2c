/// Generic NACK, RTPFB FMT=1 (RFC 4585 §6.2.1).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P|  FMT=1  |  PT=RTPFB=205 |             length            |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                  SSRC of packet sender                        |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                  SSRC of media source                         |
///    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
///    |            PID                |             BLP               |  × n
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// PID is a lost sequence number; bit i of BLP (LSB = bit 0) marks PID + i + 1 lost as well.
public struct GenericNACK: Equatable, CustomStringConvertible {
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var items: RTCPList<NACKItem>

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, items: RTCPList<NACKItem>) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.items = items
    }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        let frame = try RTCPFrame(single: bytes, packetType: RTCPPacketType.rtpfb)
        guard frame.header.count == RTCPFeedbackFormat.genericNACK else { throw ParseError(.malformed, at: 0, "RTPFB FMT is not generic NACK") }
        try self.init(frame: frame)
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let body = frame.body
        guard body.count >= 12 else { throw ParseError(.truncated, at: 4, "NACK needs at least one item") }
        guard body.count % 4 == 0 else { throw ParseError(.malformed, at: 4 + body.count, "NACK length is not whole items") }
        senderSSRC = body.loadBigEndianUInt32(at: 0)
        mediaSSRC = body.loadBigEndianUInt32(at: 4)
        items = RTCPList(wire: UnsafeRawBufferPointer(rebasing: body[8...]))
    }

    public var encodedSize: Int { 12 + items.encodedSize }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        try w.writeRTCPHeader(count: RTCPFeedbackFormat.genericNACK, packetType: RTCPPacketType.rtpfb, unpaddedSize: encodedSize)
        try w.write(senderSSRC)
        try w.write(mediaSSRC)
        try items.write(to: &w)
    }

    /// Every sequence number the items mark lost, in item order (PID first, then BLP bits).
    public var lostSequenceNumbers: LostSequenceNumbers { LostSequenceNumbers(items: items) }

    public struct LostSequenceNumbers: Sequence {
        let items: RTCPList<NACKItem>
        public func makeIterator() -> Iterator { Iterator(items: items) }

        public struct Iterator: IteratorProtocol {
            let items: RTCPList<NACKItem>
            var index = 0
            /// -1: PID not yet returned; 0...15: next BLP bit to test.
            var bit = -1

            public mutating func next() -> UInt16? {
                while index < items.count {
                    let item = items[index]
                    if bit < 0 {
                        bit = 0
                        return item.pid
                    }
                    while bit < 16 {
                        let b = bit
                        bit += 1
                        if item.blp & (1 << b) != 0 { return item.pid &+ UInt16(b + 1) }
                    }
                    index += 1
                    bit = -1
                }
                return nil
            }
        }
    }

    /// Number of PID/BLP items needed for `lost`, which is sorted in RTP order (each number after the
    /// previous one modulo 2^16, so ..., 65534, 65535, 0, 1, ... is sorted).
    public static func itemCount(lost: UnsafeBufferPointer<UInt16>) -> Int {
        var count = 0
        var pid: UInt16 = 0
        for (i, seq) in lost.enumerated() {
            if i == 0 || !(1...16).contains(seq &- pid) && seq != pid {
                count += 1
                pid = seq
            }
        }
        return count
    }

    /// Encodes `lost` (sorted in RTP order; duplicates ignored) into the fewest PID/BLP items, into
    /// `items`. Returns the number of items written.
    public static func encode(lost: UnsafeBufferPointer<UInt16>, into items: UnsafeMutableBufferPointer<NACKItem>) throws(BufferTooSmall) -> Int {
        var count = 0
        for seq in lost {
            if count > 0 {
                let pid = items[count - 1].pid
                let distance = seq &- pid
                if distance == 0 { continue }
                if distance <= 16 {
                    items[count - 1].blp |= 1 << (distance - 1)
                    continue
                }
            }
            guard count < items.count else { throw BufferTooSmall(needed: itemCount(lost: lost), available: items.count) }
            items[count] = NACKItem(pid: seq, blp: 0)
            count += 1
        }
        return count
    }

    /// Writes a complete NACK packet for `lost` (sorted in RTP order) straight into `buffer`.
    public static func write(senderSSRC: UInt32, mediaSSRC: UInt32, lost: UnsafeBufferPointer<UInt16>,
                             into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        let count = itemCount(lost: lost)
        precondition(count > 0, "a NACK needs at least one lost sequence number")
        var w = ByteWriter(buffer)
        try w.writeRTCPHeader(count: RTCPFeedbackFormat.genericNACK, packetType: RTCPPacketType.rtpfb, unpaddedSize: 12 + 4 * count)
        try w.write(senderSSRC)
        try w.write(mediaSSRC)
        var pid: UInt16 = 0
        var blp: UInt16 = 0
        var started = false
        for seq in lost {
            if started {
                let distance = seq &- pid
                if distance == 0 { continue }
                if distance <= 16 {
                    blp |= 1 << (distance - 1)
                    continue
                }
                try w.write(pid)
                try w.write(blp)
            }
            started = true
            pid = seq
            blp = 0
        }
        try w.write(pid)
        try w.write(blp)
        return w.offset
    }

    public static func == (a: GenericNACK, b: GenericNACK) -> Bool {
        a.senderSSRC == b.senderSSRC && a.mediaSSRC == b.mediaSSRC && a.items == b.items
    }

    public var description: String {
        "NACK(sender=\(senderSSRC) media=\(mediaSSRC) lost=\(lostSequenceNumbers.map { $0 }))"
    }
}

/// One PID/BLP pair of a generic NACK.
public struct NACKItem: RTCPListElement, CustomStringConvertible {
    public static var wireSize: Int { 4 }
    public var pid: UInt16
    public var blp: UInt16

    public init(pid: UInt16, blp: UInt16) {
        self.pid = pid
        self.blp = blp
    }

    public init(wire bytes: UnsafeRawBufferPointer, at o: Int) {
        pid = bytes.loadBigEndianUInt16(at: o)
        blp = bytes.loadBigEndianUInt16(at: o + 2)
    }

    public func store(into bytes: UnsafeMutableRawBufferPointer, at o: Int) {
        bytes.storeBigEndian(pid, at: o)
        bytes.storeBigEndian(blp, at: o + 2)
    }

    public var description: String { "(pid=\(pid) blp=0x\(String(blp, radix: 16)))" }
}

extension GenericNACK: RTCPWritable {}
