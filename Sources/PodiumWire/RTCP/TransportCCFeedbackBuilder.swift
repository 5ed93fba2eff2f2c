/// Builds a transport-cc feedback packet (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1)
/// straight into a caller buffer, choosing chunks the way libwebrtc's `TransportFeedback` does: a
/// status-vector chunk while statuses vary (2-bit with 7 symbols as long as a large delta is among
/// them, else 1-bit with 14), a run-length chunk while they repeat. No allocation.
///
/// Layout while building (the header and fixed fields are written by `finish`):
///
///     [0, 20)            header, SSRCs, base seq, count, reference time, fb count
///     [20, chunkEnd)     emitted packet chunks, growing up
///     [deltaTail, max)   receive deltas in reverse byte order, growing down
///
/// `finish` reverses the deltas and moves them behind the last chunk.
public struct TransportCCFeedbackBuilder {
    public let senderSSRC: UInt32
    public let mediaSSRC: UInt32
    public let baseSequence: UInt16
    /// Signed 24-bit, in 64 ms units.
    public let referenceTime: Int32
    public let feedbackPacketCount: UInt8

    let buffer: UnsafeMutableRawBufferPointer
    let maxSize: Int
    /// Packets described so far (received or not).
    public private(set) var packetStatusCount = 0
    /// Bytes the packet takes so far, without padding: fixed part, chunks (the pending one too), deltas.
    public private(set) var size = 20
    var chunkEnd = 20
    var deltaTail: Int
    /// Arrival time (µs) the next delta is relative to: the reference time plus the deltas so far, as
    /// rounded on the wire, so rounding errors do not accumulate.
    var lastMicros: Int64
    var pending = PendingChunk()

    /// Packets arriving in the same 250 µs tick or more than 2^15 ticks apart cannot all be represented;
    /// such an `add` fails.
    public static let maxPacketStatusCount = 0xFFFF

    /// - Parameters:
    ///   - referenceTime: in 64 ms units, signed 24-bit (see `referenceTime(forMicros:)`).
    ///   - buffer: where the packet is written; `maxSize` (rounded down to 32 bits) caps its size.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequence: UInt16, referenceTime: Int32, feedbackPacketCount: UInt8,
                buffer: UnsafeMutableRawBufferPointer, maxSize: Int = RTCPHeader.maxPacketSize) {
        precondition(referenceTime >= -0x80_0000 && referenceTime <= 0x7F_FFFF, "reference time is signed 24-bit")
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequence = baseSequence
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        self.buffer = buffer
        self.maxSize = min(maxSize, buffer.count, RTCPHeader.maxPacketSize) & ~3
        deltaTail = self.maxSize
        lastMicros = Int64(referenceTime) * TransportCCFeedback.referenceTickMicros
    }

    /// The reference time (64 ms units, signed 24-bit) for a time base in µs, as libwebrtc derives it:
    /// floor(µs / 64 ms) modulo 2^24.
    public static func referenceTime(forMicros micros: Int64) -> Int32 {
        let ticks = micros >= 0 ? micros / TransportCCFeedback.referenceTickMicros
                                : (micros - TransportCCFeedback.referenceTickMicros + 1) / TransportCCFeedback.referenceTickMicros
        return Int32(truncatingIfNeeded: (ticks & 0xFF_FFFF) << 8) >> 8
    }

    /// Adds the packet `sequence`, received at `arrivalMicros` (same clock as the reference time), or
    /// lost when nil. Packets skipped since the previous one are added as lost. Returns false, changing
    /// nothing, when the packet is not newer than the previous one, its delta does not fit 16 bits, or
    /// it would make the feedback exceed the maximum size or 65535 statuses.
    public mutating func add(sequence: UInt16, arrivalMicros: Int64?) -> Bool {
        let saved = self
        let expected = baseSequence &+ UInt16(truncatingIfNeeded: packetStatusCount)
        let gap = sequence &- expected
        if gap != 0 {
            guard gap < 0x8000 else { return false }
            for _ in 0..<Int(gap) where !addSymbol(0) {
                self = saved
                return false
            }
        }
        guard let arrivalMicros else {
            if addSymbol(0) { return true }
            self = saved
            return false
        }
        let wrap = Int64(1 << 24) * TransportCCFeedback.referenceTickMicros
        var delta = (arrivalMicros - lastMicros) % wrap
        if delta > wrap / 2 { delta -= wrap } else if delta < -wrap / 2 { delta += wrap }
        let half = TransportCCFeedback.deltaTickMicros / 2
        delta = (delta + (delta < 0 ? -half : half)) / TransportCCFeedback.deltaTickMicros
        guard let ticks = Int16(exactly: delta) else {
            self = saved
            return false
        }
        let symbol: UInt8 = (0...255).contains(ticks) ? 1 : 2
        guard addSymbol(symbol) else {
            self = saved
            return false
        }
        if symbol == 1 {
            deltaTail -= 1
            buffer[deltaTail] = UInt8(ticks)
        } else {
            let bits = UInt16(bitPattern: ticks)
            deltaTail -= 2
            buffer[deltaTail + 1] = UInt8(bits >> 8)
            buffer[deltaTail] = UInt8(bits & 0xFF)
        }
        lastMicros += Int64(ticks) * TransportCCFeedback.deltaTickMicros
        return true
    }

    /// libwebrtc's `AddDeltaSize`: accounts for one more status, emitting the pending chunk if full.
    mutating func addSymbol(_ symbol: UInt8) -> Bool {
        guard packetStatusCount < Self.maxPacketStatusCount else { return false }
        let newChunk = pending.isEmpty ? 2 : 0
        guard size + Int(symbol) + newChunk <= maxSize else { return false }
        if pending.canAdd(symbol) {
            size += newChunk
        } else {
            guard size + Int(symbol) + 2 <= maxSize else { return false }
            buffer.storeBigEndian(pending.emit(), at: chunkEnd)
            chunkEnd += 2
            size += 2
        }
        pending.add(symbol)
        packetStatusCount += 1
        // Why: the symbol value is also its delta's size in bytes (0, 1 or 2).
        size += Int(symbol)
        return true
    }

    /// Writes the header and fixed fields, the last chunk and the deltas; returns the packet size
    /// (padded to 32 bits with the P bit, as libwebrtc does), or nil when no packet was added.
    public mutating func finish() -> Int? {
        guard packetStatusCount > 0 else { return nil }
        if !pending.isEmpty {
            buffer.storeBigEndian(pending.encodeLast(), at: chunkEnd)
            chunkEnd += 2
        }
        let deltaCount = maxSize - deltaTail
        if deltaCount > 0 {
            var deltas = UnsafeMutableRawBufferPointer(rebasing: buffer[deltaTail..<maxSize])
            deltas.reverse()
            // Why: copyMemory is a memmove; the regions may overlap.
            (buffer.baseAddress! + chunkEnd).copyMemory(from: deltas.baseAddress!, byteCount: deltaCount)
        }
        let unpadded = chunkEnd + deltaCount
        precondition(unpadded == size, "transport-cc builder size accounting")
        var w = ByteWriter(buffer)
        do {
            try w.writeRTCPHeader(count: RTCPFeedbackFormat.transportCC, packetType: RTCPPacketType.rtpfb, unpaddedSize: unpadded)
            try w.write(senderSSRC)
            try w.write(mediaSSRC)
            try w.write(baseSequence)
            try w.write(UInt16(packetStatusCount))
            try w.writeUInt24(UInt32(bitPattern: referenceTime) & 0xFF_FFFF)
            try w.write(feedbackPacketCount)
            _ = try w.reserve(unpadded - 20)
            try w.writeRTCPPadding(unpaddedSize: unpadded)
        } catch {
            preconditionFailure("transport-cc builder overran its own size accounting")
        }
        return w.offset
    }

    /// The chunk being filled: up to 14 two-bit symbols packed in a word, or a longer run of one symbol.
    struct PendingChunk {
        var symbols: UInt32 = 0
        var count = 0
        var allSame = true
        var hasLarge = false

        var isEmpty: Bool { count == 0 }
        func at(_ i: Int) -> UInt8 { UInt8(symbols >> (2 * i) & 3) }

        func canAdd(_ symbol: UInt8) -> Bool {
            if count < 7 { return true }
            if count < 14 && !hasLarge && symbol != 2 { return true }
            if count < 0x1FFF && allSame && at(0) == symbol { return true }
            return false
        }

        mutating func add(_ symbol: UInt8) {
            if count < 14 { symbols |= UInt32(symbol) << (2 * count) }
            count += 1
            allSame = allSame && symbol == at(0)
            hasLarge = hasLarge || symbol == 2
        }

        mutating func emit() -> UInt16 {
            if allSame {
                defer { self = PendingChunk() }
                return runLength()
            }
            if count == 14 {
                defer { self = PendingChunk() }
                return oneBit(14)
            }
            let chunk = twoBit(7)
            let rest = count - 7
            let remaining = symbols >> 14
            self = PendingChunk()
            for i in 0..<rest { add(UInt8(remaining >> (2 * i) & 3)) }
            return chunk
        }

        func encodeLast() -> UInt16 {
            if allSame { return runLength() }
            if count <= 7 { return twoBit(count) }
            return oneBit(count)
        }

        func runLength() -> UInt16 { UInt16(at(0)) << 13 | UInt16(count) }

        func oneBit(_ n: Int) -> UInt16 {
            var chunk: UInt16 = 0x8000
            for i in 0..<n { chunk |= UInt16(at(i)) << (13 - i) }
            return chunk
        }

        func twoBit(_ n: Int) -> UInt16 {
            var chunk: UInt16 = 0xC000
            for i in 0..<n { chunk |= UInt16(at(i)) << (12 - 2 * i) }
            return chunk
        }
    }
}
