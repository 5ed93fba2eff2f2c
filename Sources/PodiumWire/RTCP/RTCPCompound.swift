/// An RTCP datagram: one or more packets back to back (RFC 3550 §6.1), or a single packet of any
/// type (reduced-size RTCP, RFC 5506 §3.1).
///
///    +--------+---------+--------+---------+-----+
///    | header | body    | header | body    | ... |   each packet: (length + 1) × 4 bytes
///    +--------+---------+--------+---------+-----+
///
/// `init(parsing:)` checks the framing of every packet (version, lengths inside the datagram, padding
/// counts inside their packet); iterating then decodes each packet into a typed view, throwing for
/// a packet whose body is malformed. Nothing is allocated or copied.
public struct RTCPCompound: CustomStringConvertible {
    public let bytes: UnsafeRawBufferPointer
    /// Number of packets in the datagram.
    public let count: Int

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        guard !bytes.isEmpty else { throw ParseError(.truncated, at: 0, "empty RTCP datagram") }
        var offset = 0
        var count = 0
        while offset < bytes.count {
            // Why: every packet is at least 4 bytes, so this loop always advances.
            offset += try RTCPFrame(at: offset, in: bytes).packet.count
            count += 1
        }
        self.bytes = bytes
        self.count = count
    }

    /// Checks the full compound rules of RFC 3550 §6.1 that reduced-size RTCP (RFC 5506) relaxes: the
    /// first packet is an SR or RR, and only the last packet may be padded.
    public func validateCompoundRules() throws(ParseError) {
        var offset = 0
        var index = 0
        while offset < bytes.count {
            let frame = try RTCPFrame(at: offset, in: bytes)
            if index == 0, frame.header.packetType != RTCPPacketType.senderReport, frame.header.packetType != RTCPPacketType.receiverReport {
                throw ParseError(.malformed, at: 1, "compound RTCP does not start with SR or RR")
            }
            if frame.header.padding, offset + frame.packet.count < bytes.count {
                throw ParseError(.malformed, at: offset, "padding on a packet that is not the last")
            }
            offset += frame.packet.count
            index += 1
        }
    }

    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    /// Walks the packets. `next()` throws for a malformed packet body; after a throw, or at the end, it
    /// returns nil.
    public struct Iterator {
        let bytes: UnsafeRawBufferPointer
        /// Offset of the next packet in the datagram.
        public private(set) var offset = 0

        public mutating func next() throws(ParseError) -> RTCPPacket? {
            guard offset < bytes.count else { return nil }
            let start = offset
            let frame: RTCPFrame
            do { frame = try RTCPFrame(at: start, in: bytes) } catch {
                offset = bytes.count
                throw error
            }
            offset += frame.packet.count
            do { return try RTCPPacket(frame: frame) } catch {
                offset = bytes.count
                throw ParseError(error.kind, at: start + error.offset, error.detail)
            }
        }
    }

    public var description: String { "RTCP compound(\(count) packets, \(bytes.count) bytes)" }
}

/// Writes several RTCP packets back to back into a caller buffer (a compound packet, RFC 3550 §6.1).
public struct RTCPCompoundWriter {
    var writer: ByteWriter

    public init(buffer: UnsafeMutableRawBufferPointer) { writer = ByteWriter(buffer) }

    /// Bytes written so far.
    public var size: Int { writer.offset }
    public var remaining: Int { writer.remaining }

    /// Appends a packet; on `BufferTooSmall` nothing is written.
    public mutating func append(_ packet: RTCPPacket) throws(BufferTooSmall) {
        try writer.require(packet.encodedSize)
        try packet.write(to: &writer)
    }

    /// Writes all `packets` into `buffer`; returns the bytes written.
    public static func write(_ packets: UnsafeBufferPointer<RTCPPacket>, into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = RTCPCompoundWriter(buffer: buffer)
        for p in packets { try w.append(p) }
        return w.size
    }
}
