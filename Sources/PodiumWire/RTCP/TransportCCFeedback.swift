/// Transport-wide congestion control feedback, RTPFB FMT=15
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |V=2|P|  FMT=15 |    PT=205     |           length              |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                     SSRC of packet sender                     |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |                      SSRC of media source                     |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |      base sequence number     |      packet status count      |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |        reference time (signed, 64 ms)         |  fb pkt. count |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |          packet chunk         |         packet chunk          |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    .                               .                               .
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    |         packet chunk          |  recv delta   |  recv delta   |
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///    .                               .                               .
///    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// Packet chunks (16 bits):
///
///     run length:     |0| S |        run length (13)       |   S repeated run-length times
///     1-bit vector:   |1|0|   14 symbols: 0 not received, 1 small delta   |
///     2-bit vector:   |1|1|   7 symbols of 2 bits (S values)              |
///
/// S: 0 not received, 1 received with a small delta (1 byte, unsigned, 250 µs units), 2 received with
/// a large or negative delta (2 bytes, signed, 250 µs units), 3 reserved. The first delta is relative
/// to the reference time, each next one to the previous received packet.
public struct TransportCCFeedback: Equatable, CustomStringConvertible {
    /// Receive deltas are in this many microseconds.
    public static let deltaTickMicros: Int64 = 250
    /// The reference time is in this many microseconds.
    public static let referenceTickMicros: Int64 = 64_000

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var baseSequence: UInt16
    public var packetStatusCount: UInt16
    /// Signed 24-bit, in 64 ms units.
    public var referenceTime: Int32
    public var feedbackPacketCount: UInt8
    /// Packet chunks, then receive deltas, as on the wire (validated; without trailing padding).
    public let chunksAndDeltas: UnsafeRawBufferPointer
    /// Bytes of `chunksAndDeltas` that are packet chunks.
    public let chunkBytes: Int

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        let frame = try RTCPFrame(single: bytes, packetType: RTCPPacketType.rtpfb)
        guard frame.header.count == RTCPFeedbackFormat.transportCC else { throw ParseError(.malformed, at: 0, "RTPFB FMT is not transport-cc") }
        try self.init(frame: frame)
    }

    init(frame: RTCPFrame) throws(ParseError) {
        let body = frame.body
        guard body.count >= 16 else { throw ParseError(.truncated, at: 4, "transport-cc fixed fields") }
        senderSSRC = body.loadBigEndianUInt32(at: 0)
        mediaSSRC = body.loadBigEndianUInt32(at: 4)
        baseSequence = body.loadBigEndianUInt16(at: 8)
        packetStatusCount = body.loadBigEndianUInt16(at: 10)
        referenceTime = Int32(bitPattern: body.loadBigEndianUInt24(at: 12) << 8) >> 8
        feedbackPacketCount = body[15]
        // Why: libwebrtc rejects empty feedback ("Empty feedback messages not allowed").
        guard packetStatusCount > 0 else { throw ParseError(.malformed, at: 14, "transport-cc packet status count is zero") }
        let rest = UnsafeRawBufferPointer(rebasing: body[16...])
        var covered = 0
        var chunkOffset = 0
        var deltaBytes = 0
        let wanted = Int(packetStatusCount)
        while covered < wanted {
            guard chunkOffset + 2 <= rest.count else { throw ParseError(.truncated, at: 20 + chunkOffset, "transport-cc packet chunks") }
            let chunk = rest.loadBigEndianUInt16(at: chunkOffset)
            let n = min(TransportCCChunk.symbolCount(chunk), wanted - covered)
            for i in 0..<n {
                let symbol = TransportCCChunk.symbol(chunk, i)
                guard symbol != 3 else { throw ParseError(.malformed, at: 20 + chunkOffset, "transport-cc reserved status symbol") }
                deltaBytes += Int(symbol)
                // Why: a run-length chunk of one symbol covers up to 8191 packets; no need to loop them.
                if chunk & 0x8000 == 0 {
                    deltaBytes += Int(symbol) * (n - 1)
                    break
                }
            }
            covered += n
            chunkOffset += 2
        }
        guard chunkOffset + deltaBytes <= rest.count else { throw ParseError(.truncated, at: 20 + chunkOffset, "transport-cc receive deltas") }
        // Why: zeros up to a 32-bit boundary without the P bit are tolerated; anything more is not.
        guard rest.count - chunkOffset - deltaBytes < 4 else { throw ParseError(.malformed, at: 20 + chunkOffset + deltaBytes, "transport-cc bytes after the receive deltas") }
        chunksAndDeltas = UnsafeRawBufferPointer(rebasing: rest[0..<(chunkOffset + deltaBytes)])
        chunkBytes = chunkOffset
    }

    /// Every packet's status, in sequence order, with its receive delta and arrival time.
    public var packets: Packets { Packets(feedback: self) }

    var unpaddedSize: Int { 20 + chunksAndDeltas.count }
    public var encodedSize: Int { rtcpPaddedSize(unpaddedSize) }

    public func write(to w: inout ByteWriter) throws(BufferTooSmall) {
        try w.writeRTCPHeader(count: RTCPFeedbackFormat.transportCC, packetType: RTCPPacketType.rtpfb, unpaddedSize: unpaddedSize)
        try w.write(senderSSRC)
        try w.write(mediaSSRC)
        try w.write(baseSequence)
        try w.write(packetStatusCount)
        try w.writeUInt24(UInt32(bitPattern: referenceTime) & 0xFF_FFFF)
        try w.write(feedbackPacketCount)
        try w.write(bytes: chunksAndDeltas)
        try w.writeRTCPPadding(unpaddedSize: unpaddedSize)
    }

    /// Semantic equality: same header fields and the same (sequence, received, delta) for every packet,
    /// whatever chunk types or delta sizes encode them.
    public static func == (a: TransportCCFeedback, b: TransportCCFeedback) -> Bool {
        guard a.senderSSRC == b.senderSSRC, a.mediaSSRC == b.mediaSSRC, a.baseSequence == b.baseSequence,
              a.packetStatusCount == b.packetStatusCount, a.referenceTime == b.referenceTime,
              a.feedbackPacketCount == b.feedbackPacketCount else { return false }
        return a.packets.elementsEqual(b.packets) { x, y in
            x.sequence == y.sequence && x.isReceived == y.isReceived && x.deltaTicks == y.deltaTicks
        }
    }

    public var description: String {
        "TWCC(sender=\(senderSSRC) media=\(mediaSSRC) base=\(baseSequence) count=\(packetStatusCount) ref=\(referenceTime) fb=\(feedbackPacketCount))"
    }

    /// The statuses of a feedback packet, decoded on the fly from chunks and deltas (no allocation).
    public struct Packets: Sequence {
        let feedback: TransportCCFeedback
        public func makeIterator() -> Iterator { Iterator(feedback) }

        public struct Iterator: IteratorProtocol {
            let bytes: UnsafeRawBufferPointer
            let total: Int
            var index = 0
            var sequence: UInt16
            var chunkOffset = 0
            var chunk: UInt16 = 0
            var symbolsLeftInChunk = 0
            var symbolIndex = 0
            var deltaOffset: Int
            var arrivalTicks: Int64

            init(_ f: TransportCCFeedback) {
                bytes = f.chunksAndDeltas
                total = Int(f.packetStatusCount)
                sequence = f.baseSequence
                deltaOffset = f.chunkBytes
                arrivalTicks = Int64(f.referenceTime) * (TransportCCFeedback.referenceTickMicros / TransportCCFeedback.deltaTickMicros)
            }

            public mutating func next() -> TransportCCPacketStatus? {
                guard index < total else { return nil }
                // Why: a run-length chunk may have a run of zero; parsing checked the chunks cover `total`.
                while symbolsLeftInChunk == 0 {
                    chunk = bytes.loadBigEndianUInt16(at: chunkOffset)
                    chunkOffset += 2
                    symbolsLeftInChunk = TransportCCChunk.symbolCount(chunk)
                    symbolIndex = 0
                }
                let symbol = TransportCCChunk.symbol(chunk, symbolIndex)
                symbolIndex += 1
                symbolsLeftInChunk -= 1
                var delta: Int16 = 0
                switch symbol {
                case 1:
                    delta = Int16(bytes[deltaOffset])
                    deltaOffset += 1
                case 2:
                    delta = Int16(bitPattern: bytes.loadBigEndianUInt16(at: deltaOffset))
                    deltaOffset += 2
                default: break
                }
                arrivalTicks += Int64(delta)
                defer {
                    index += 1
                    sequence &+= 1
                }
                return TransportCCPacketStatus(sequence: sequence, symbol: symbol, deltaTicks: delta,
                                               arrivalTicks: symbol == 0 ? nil : arrivalTicks)
            }
        }
    }
}

/// One packet's entry in a transport-cc feedback.
public struct TransportCCPacketStatus: Sendable, Equatable, CustomStringConvertible {
    public let sequence: UInt16
    /// The status symbol: 0 not received, 1 small delta, 2 large or negative delta.
    public let symbol: UInt8
    /// Receive delta in 250 µs ticks (0 when not received).
    public let deltaTicks: Int16
    /// Arrival time in 250 µs ticks since the sender's time base (reference time × 256 + deltas so far);
    /// nil when not received.
    public let arrivalTicks: Int64?

    public var isReceived: Bool { symbol != 0 }
    public var deltaMicros: Int64 { Int64(deltaTicks) * TransportCCFeedback.deltaTickMicros }
    /// Arrival time in µs in the feedback sender's time base; nil when not received.
    public var arrivalMicros: Int64? { arrivalTicks.map { $0 * TransportCCFeedback.deltaTickMicros } }

    public var description: String {
        isReceived ? "\(sequence): +\(deltaMicros)µs" : "\(sequence): lost"
    }
}

/// Packet chunk decoding (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.3–3.1.4).
enum TransportCCChunk {
    /// How many statuses the chunk describes.
    @inline(__always) static func symbolCount(_ chunk: UInt16) -> Int {
        if chunk & 0x8000 == 0 { return Int(chunk & 0x1FFF) }
        return chunk & 0x4000 == 0 ? 14 : 7
    }

    /// The i-th status symbol of the chunk.
    @inline(__always) static func symbol(_ chunk: UInt16, _ i: Int) -> UInt8 {
        if chunk & 0x8000 == 0 { return UInt8(chunk >> 13 & 3) }
        if chunk & 0x4000 == 0 { return UInt8(chunk >> (13 - i) & 1) }
        return UInt8(chunk >> (12 - 2 * i) & 3)
    }
}

extension TransportCCFeedback: RTCPWritable {}
