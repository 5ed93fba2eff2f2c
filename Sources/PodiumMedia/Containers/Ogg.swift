/// Ogg bitstream (RFC 3533): pages carrying the packets of one logical stream.
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     | capture_pattern: "OggS"                                       |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     | version = 0   | header_type   | granule_position (64 bit LE)  |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
///     |                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                               | bitstream_serial_number       |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                               | page_sequence_number          |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                               | CRC_checksum                  |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                               |page_segments  | segment_table |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     | segment_table (page_segments bytes) ... | packet data ...     |
///
/// header_type: 0x01 continued packet, 0x02 first page (BOS), 0x04 last page (EOS). A packet is a
/// run of 255-byte lacing values ended by one below 255; a page ending in 255 continues the packet
/// on the next page. The granule position is that of the last packet *finished* on the page, or -1.
public enum OggPageFlags {
    public static let continued: UInt8 = 0x01
    public static let beginningOfStream: UInt8 = 0x02
    public static let endOfStream: UInt8 = 0x04
}

/// Ogg's CRC-32 (RFC 3533 §6): polynomial 0x04C11DB7, *not* reflected, initial value 0, no final
/// XOR, computed over the whole page with the checksum field set to zero. Why not `CRC32` of
/// PodiumWire: that is the reflected zlib/STUN variant, which gives different values.
public enum OggCRC {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n) << 24
        for _ in 0..<8 { c = c & 0x8000_0000 != 0 ? (c << 1) ^ 0x04C1_1DB7 : c << 1 }
        return c
    }

    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = crc
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = (c << 8) ^ t[Int((c >> 24) ^ UInt32(b))] }
        }
        return c
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}

/// One packet of an Ogg logical stream.
public struct OggPacket: Sendable, Equatable {
    public var data: [UInt8]
    /// The page's granule position if this packet is the last one finished on its page, else -1.
    public var granulePosition: Int64
    /// Sequence number of the page the packet ends on.
    public var pageSequence: UInt32
    /// The packet starts the stream (first packet of the BOS page).
    public var isFirst: Bool
    /// The packet is the last one finished on the EOS page.
    public var isLast: Bool
}

/// Streams the packets of the first logical stream of an Ogg file (pages of other serial numbers,
/// as in a chained or multiplexed file, are skipped and counted).
///
/// Policy, chosen for files (not a lossy capture): a bad CRC throws `.integrity`, a missing
/// capture pattern, a page sequence gap or an inconsistent continuation flag throws `.malformed`.
/// The reader does not resynchronise; a caller that wants to salvage a damaged file can catch the
/// error and stop there. Packets are bounded by `ContainerLimits.maximumFrameSize`.
public final class OggReader {
    private let input: MediaInput
    /// Serial number of the logical stream being read (from the first page).
    public private(set) var serial: UInt32?
    /// Pages of other logical streams skipped.
    public private(set) var skippedPages = 0
    /// Pages read from the stream.
    public private(set) var pageCount = 0

    private var queue: [OggPacket] = []
    private var queueIndex = 0
    private var partial: [UInt8] = []
    private var hasPartial = false
    private var lastSequence: UInt32?
    private var sawEndOfStream = false
    private var header = [UInt8](repeating: 0, count: 27)
    private var table = [UInt8](repeating: 0, count: 255)
    private var body = [UInt8](repeating: 0, count: 255 * 255)

    public init(_ input: MediaInput) {
        self.input = input
    }

    public convenience init(path: String) throws(ContainerError) { self.init(try MediaInput(path: path)) }
    public convenience init(bytes: [UInt8]) { self.init(MediaInput(bytes: bytes)) }

    /// The next packet, or nil at the end of the file (or after the EOS page).
    public func next() throws(ContainerError) -> OggPacket? {
        while queueIndex >= queue.count {
            queue.removeAll(keepingCapacity: true)
            queueIndex = 0
            if sawEndOfStream || input.isAtEnd {
                if hasPartial { throw ContainerError(.truncated, at: input.position, "Ogg stream ends inside a packet") }
                return nil
            }
            try readPage()
        }
        defer { queueIndex += 1 }
        return queue[queueIndex]
    }

    private func readPage() throws(ContainerError) {
        let start = input.position
        try readInto(&header, 27, "Ogg page header")
        guard header[0] == 0x4F, header[1] == 0x67, header[2] == 0x67, header[3] == 0x53 else {
            throw ContainerError(.malformed, at: start, "Ogg capture pattern OggS missing")
        }
        guard header[4] == 0 else { throw ContainerError(.unsupported, at: start + 4, "Ogg version \(header[4])") }
        let flags = header[5]
        var granule: UInt64 = 0
        for i in 0..<8 { granule |= UInt64(header[6 + i]) << (8 * i) }
        func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(header[o + $1]) << (8 * $1) } }
        let pageSerial = u32(14), sequence = u32(18), storedCRC = u32(22)
        let segments = Int(header[26])
        try readInto(&table, segments, "Ogg segment table")
        var bodySize = 0
        for i in 0..<segments { bodySize += Int(table[i]) }
        try readInto(&body, bodySize, "Ogg page body")

        for i in 22..<26 { header[i] = 0 }
        var crc = header.withUnsafeBytes { OggCRC.update(0, $0) }
        crc = table.withUnsafeBytes { OggCRC.update(crc, UnsafeRawBufferPointer(rebasing: $0[0..<segments])) }
        crc = body.withUnsafeBytes { OggCRC.update(crc, UnsafeRawBufferPointer(rebasing: $0[0..<bodySize])) }
        guard crc == storedCRC else {
            throw ContainerError(.integrity, at: start, "Ogg page \(sequence) CRC \(storedCRC) does not match \(crc)")
        }

        if serial == nil {
            guard flags & OggPageFlags.beginningOfStream != 0 else {
                throw ContainerError(.malformed, at: start, "Ogg stream does not start with a BOS page")
            }
            serial = pageSerial
        }
        guard pageSerial == serial else { skippedPages += 1; return }
        pageCount += 1
        if let last = lastSequence, sequence != last &+ 1 {
            throw ContainerError(.malformed, at: start, "Ogg page sequence jumps from \(last) to \(sequence)")
        }
        lastSequence = sequence
        let continued = flags & OggPageFlags.continued != 0
        if continued != hasPartial {
            throw ContainerError(.malformed, at: start, continued ? "Ogg page continues a packet that was not started"
                                                                  : "Ogg page does not continue the unfinished packet")
        }
        let eos = flags & OggPageFlags.endOfStream != 0
        if eos { sawEndOfStream = true }

        var offset = 0
        var packetStart = 0
        for i in 0..<segments {
            let lace = Int(table[i])
            offset += lace
            if lace < 255 {
                let piece = body[packetStart..<offset]
                var data: [UInt8]
                if hasPartial {
                    guard partial.count + piece.count <= ContainerLimits.maximumFrameSize else {
                        throw ContainerError(.limitExceeded, at: start, "Ogg packet over \(ContainerLimits.maximumFrameSize) bytes")
                    }
                    partial.append(contentsOf: piece)
                    data = partial
                    partial.removeAll(keepingCapacity: false)
                    hasPartial = false
                } else {
                    data = Array(piece)
                }
                queue.append(OggPacket(data: data, granulePosition: -1, pageSequence: sequence,
                                       isFirst: flags & OggPageFlags.beginningOfStream != 0 && queue.isEmpty, isLast: false))
                packetStart = offset
            }
        }
        if packetStart < offset || (segments > 0 && table[segments - 1] == 255) {
            guard partial.count + offset - packetStart <= ContainerLimits.maximumFrameSize else {
                throw ContainerError(.limitExceeded, at: start, "Ogg packet over \(ContainerLimits.maximumFrameSize) bytes")
            }
            partial.append(contentsOf: body[packetStart..<offset])
            hasPartial = true
        }
        if !queue.isEmpty {
            queue[queue.count - 1].granulePosition = Int64(bitPattern: granule)
            queue[queue.count - 1].isLast = eos
        }
    }

    private func readInto(_ buffer: inout [UInt8], _ count: Int, _ what: String) throws(ContainerError) {
        var failure: ContainerError?
        buffer.withUnsafeMutableBytes { b in
            do throws(ContainerError) {
                try input.read(into: UnsafeMutableRawBufferPointer(rebasing: b[0..<count]), what)
            } catch { failure = error }
        }
        if let failure { throw failure }
    }
}

/// Writes one logical Ogg stream page by page. A page is closed when it would exceed 255 segments
/// or when the caller asks (`flushPage`), and the last page gets the EOS flag at `finish()` — so
/// the last page is held back until the next packet or `finish()` arrives.
public final class OggWriter {
    public let serial: UInt32
    private let output: MediaOutput
    private var sequence: UInt32 = 0
    private var table: [UInt8] = []
    private var body: [UInt8] = []
    /// Granule of the last packet finished on the page being built (-1: none yet).
    private var pageGranule: Int64 = -1
    private var startsContinued = false
    private var closedPage = false
    private var finished = false
    /// Pages written so far.
    public private(set) var pageCount = 0

    public init(output: MediaOutput, serial: UInt32) {
        self.output = output
        self.serial = serial
        table.reserveCapacity(255)
    }

    /// Appends a packet ending at `granulePosition`. `flushPage` closes the page after it (Ogg Opus
    /// needs each header packet on its own page).
    public func append(_ packet: UnsafeRawBufferPointer, granulePosition: Int64, flushPage: Bool = false) throws(ContainerError) {
        guard !finished else { throw ContainerError(.invalidArgument, at: output.position, "Ogg append after finish") }
        guard packet.count <= ContainerLimits.maximumFrameSize else {
            throw ContainerError(.invalidArgument, at: output.position, "Ogg packet of \(packet.count) bytes is over the limit")
        }
        if closedPage { try writePage(endOfStream: false) }
        var remaining = packet.count
        var offset = 0
        while true {
            if table.count == 255 {
                // The packet continues on the next page; this page finishes no packet unless one
                // ended on it before.
                try writePage(endOfStream: false)
                startsContinued = true
            }
            let lace = min(remaining, 255)
            table.append(UInt8(lace))
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: packet[offset..<offset + lace]))
            offset += lace
            remaining -= lace
            if lace < 255 { break }
        }
        pageGranule = granulePosition
        if flushPage || body.count >= 0xF000 { closedPage = true }
    }

    public func append(_ packet: [UInt8], granulePosition: Int64, flushPage: Bool = false) throws(ContainerError) {
        var failure: ContainerError?
        packet.withUnsafeBytes { b in
            do throws(ContainerError) { try append(b, granulePosition: granulePosition, flushPage: flushPage) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Closes the current page after the last appended packet (it is written with the next packet,
    /// or at `finish()` with the EOS flag).
    public func closePage() { if !table.isEmpty { closedPage = true } }

    /// Writes the last page with the EOS flag and closes a file output.
    public func finish() throws(ContainerError) {
        guard !finished else { return }
        finished = true
        if !table.isEmpty || pageCount == 0 { try writePage(endOfStream: true) }
        try output.close()
    }

    private func writePage(endOfStream: Bool) throws(ContainerError) {
        var flags: UInt8 = 0
        if startsContinued { flags |= OggPageFlags.continued }
        if sequence == 0 { flags |= OggPageFlags.beginningOfStream }
        if endOfStream { flags |= OggPageFlags.endOfStream }
        var page: [UInt8] = [0x4F, 0x67, 0x67, 0x53, 0, flags]
        page.reserveCapacity(27 + table.count + body.count)
        let g = UInt64(bitPattern: pageGranule)
        for i in 0..<8 { page.append(UInt8(truncatingIfNeeded: g >> (8 * i))) }
        for v in [serial, sequence, 0] { for i in 0..<4 { page.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
        page.append(UInt8(table.count))
        page.append(contentsOf: table)
        page.append(contentsOf: body)
        let crc = OggCRC.checksum(page)
        for i in 0..<4 { page[22 + i] = UInt8(truncatingIfNeeded: crc >> (8 * i)) }
        try output.write(page)
        sequence &+= 1
        pageCount += 1
        table.removeAll(keepingCapacity: true)
        body.removeAll(keepingCapacity: true)
        startsContinued = false
        closedPage = false
        pageGranule = -1
    }
}
