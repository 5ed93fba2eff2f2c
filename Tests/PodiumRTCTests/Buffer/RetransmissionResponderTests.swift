import Testing
import PodiumNet
import PodiumWire
@testable import PodiumRTC

@Suite struct RetransmissionResponderTests {
    static let t0 = BufferTestPackets.time(ms: 0)
    /// Publisher ids: 3 transport-cc, 4 mid. The subscriber: mid on 1, transport-cc on 5.
    static let publisherExtensions: [(UInt8, [UInt8])] = [(3, [0x01, 0xa4]), (4, [0x31])]
    static var subscriberMap: RTPExtensionIDMap {
        var m = RTPExtensionIDMap()
        m[4] = 1
        return m
    }

    static func filledBuffer(_ seqs: ClosedRange<UInt16>, now: MonotonicTime = t0) -> PacketBuffer {
        let buffer = PacketBuffer(.video)
        for seq in seqs {
            #expect(buffer.store(BufferTestPackets.packet(seq: seq, ssrc: 0xaaaa, marker: seq % 3 == 0, extensions: publisherExtensions,
                                                          payloadSize: 100 + Int(seq % 7)), now: now) == .stored)
        }
        return buffer
    }

    static func nack(_ items: [(UInt16, UInt16)]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 12 + 4 * items.count)
        out[0] = 0x81
        out[1] = 205
        out[3] = UInt8(2 + items.count)
        out[4 ..< 12] = [0, 0, 0, 9, 0, 0, 0, 0x77]
        for (i, item) in items.enumerated() {
            out[12 + 4 * i] = UInt8(item.0 >> 8)
            out[13 + 4 * i] = UInt8(item.0 & 0xff)
            out[14 + 4 * i] = UInt8(item.1 >> 8)
            out[15 + 4 * i] = UInt8(item.1 & 0xff)
        }
        return out
    }

    /// Runs `respond` over `nackBytes` and returns the written packets.
    static func respond(_ responder: RetransmissionResponder, _ nackBytes: [UInt8], _ buffer: PacketBuffer,
                        now: MonotonicTime = t0, slots: Int = 40) throws -> [(bytes: [UInt8], ccOffset: Int)] {
        let slotSize = RetransmissionResponder.requiredBufferSize(slotSize: buffer.configuration.slotSize)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: slotSize * slots, alignment: 16)
        defer { output.deallocate() }
        var lengths = [Int](repeating: 0, count: slots)
        var offsets = [Int](repeating: 0, count: slots)
        return try nackBytes.withUnsafeBytes { raw in
            let nack = try GenericNACK(parsing: raw)
            let n = lengths.withUnsafeMutableBufferPointer { l in
                offsets.withUnsafeMutableBufferPointer { o in
                    responder.respond(to: nack, from: buffer, now: now, into: output, slotSize: slotSize, lengths: l, transportCCOffsets: o)
                }
            }
            return (0 ..< n).map { (Array(output[$0 * slotSize ..< $0 * slotSize + lengths[$0]]), offsets[$0]) }
        }
    }

    @Test func rtxAnswersEveryNumberOfPIDAndBitmaskAndUnwrapsToTheRewrittenOriginal() throws {
        let buffer = Self.filledBuffer(1000 ... 1100)
        let rtx = RTXParameters(ssrc: 0xbbbb, payloadType: 97, initialSequenceNumber: 65_535)
        // The subscriber's numbers are the publisher's + 50_000 (wrapping), timestamps + 7.
        let target = RetransmissionTarget(ssrc: 0xcccc, payloadType: 100, sequenceOffset: 50_000, timestampOffset: 7,
                                          extensionIDs: Self.subscriberMap, transportCCID: 5, rtx: rtx)
        let responder = RetransmissionResponder(target: target)
        let pid: UInt16 = 1010 &+ 50_000
        // BLP bits 0, 2 and 15: pid+1, pid+3, pid+16.
        let sent = try Self.respond(responder, Self.nack([(pid, 0b1000_0000_0000_0101)]), buffer)
        let expectedSubscriberSeqs: [UInt16] = [pid, pid &+ 1, pid &+ 3, pid &+ 16]
        #expect(sent.count == 4)
        for (k, s) in sent.enumerated() {
            try s.bytes.withUnsafeBytes { raw in
                let p = try RTPPacket(parsing: raw)
                #expect(p.ssrc == 0xbbbb && p.payloadType == 97)
                #expect(p.sequenceNumber == 65_535 &+ UInt16(k))    // RTX counter wraps
                #expect(p.extensions.map(\.id) == [1, 5] && p.extension(id: 1).map { Array($0) } == [0x31])
                #expect(s.ccOffset > 0 && raw.loadBigEndianUInt16(at: s.ccOffset) == 0)
                #expect(try RTX.originalSequenceNumber(of: p) == expectedSubscriberSeqs[k])

                // Unwrapped, it is the publisher's packet as the consumer would have sent it.
                let publisherSeq = expectedSubscriberSeqs[k] &- 50_000
                let stored = try #require(buffer.packet(sequenceNumber: publisherSeq, now: Self.t0))
                let original = try RTPPacket(parsing: stored)
                let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 1600, alignment: 8)
                defer { out.deallocate() }
                let n = try RTX.unwrap(p, originalSSRC: 0xcccc, originalPayloadType: 100, into: out)
                let unwrapped = try RTPPacket(parsing: UnsafeRawBufferPointer(rebasing: out[0 ..< n]))
                #expect(unwrapped.header == RTPHeader(marker: original.marker, payloadType: 100, sequenceNumber: expectedSubscriberSeqs[k],
                                                      timestamp: original.timestamp &+ 7, ssrc: 0xcccc))
                #expect(unwrapped.payload.elementsEqual(original.payload))
            }
        }
        #expect(responder.nextRTXSequenceNumber == 3)
        #expect(responder.counters.served == 4 && responder.counters.missing == 0)
    }

    @Test func plainModeRewritesTheMediaHeader() throws {
        let buffer = Self.filledBuffer(10 ... 20)
        let responder = RetransmissionResponder(target: RetransmissionTarget(ssrc: 0xcccc, payloadType: 100, sequenceOffset: 5,
                                                                             extensionIDs: Self.subscriberMap))
        let sent = try Self.respond(responder, Self.nack([(17, 0)]), buffer)
        #expect(sent.count == 1 && sent[0].ccOffset == 0)
        try sent[0].bytes.withUnsafeBytes { raw in
            let p = try RTPPacket(parsing: raw)
            let original = try RTPPacket(parsing: #require(buffer.packet(sequenceNumber: 12, now: Self.t0)))
            #expect(p.header == RTPHeader(marker: true, payloadType: 100, sequenceNumber: 17, timestamp: original.timestamp, ssrc: 0xcccc))
            #expect(p.extensions.map(\.id) == [1])
            #expect(p.payload.elementsEqual(original.payload))
        }
        #expect(responder.nextRTXSequenceNumber == 0)
    }

    @Test func missingAndTooOldAreCounted() throws {
        let buffer = PacketBuffer(.init(capacity: 64, maxAge: .milliseconds(1000)))
        for seq: UInt16 in 1 ... 4 { _ = buffer.store(BufferTestPackets.packet(seq: seq), now: BufferTestPackets.time(ms: 0)) }
        for seq: UInt16 in 6 ... 8 { _ = buffer.store(BufferTestPackets.packet(seq: seq), now: BufferTestPackets.time(ms: 900)) }
        let responder = RetransmissionResponder(target: RetransmissionTarget(ssrc: 1, payloadType: 96))
        // 1…8 at 1.5 s: 1…4 expired, 5 never received, 6…8 served; 40 never received.
        let sent = try Self.respond(responder, Self.nack([(1, 0x7f), (40, 0)]), buffer, now: BufferTestPackets.time(ms: 1500))
        #expect(sent.map { $0.bytes[3] } == [6, 7, 8])
        #expect(responder.counters == {
            var c = RetransmissionResponder.Counters()
            c.served = 3; c.tooOld = 4; c.missing = 2
            return c
        }())
    }

    @Test func theSamePacketIsNotResentWithinTheInterval() throws {
        let buffer = Self.filledBuffer(1 ... 10)
        let responder = RetransmissionResponder(target: RetransmissionTarget(ssrc: 1, payloadType: 96, rtx: RTXParameters(ssrc: 2, payloadType: 97)))
        responder.minimumResendInterval = .milliseconds(30)
        let nack = Self.nack([(5, 0b1)])   // 5 and 6
        #expect(try Self.respond(responder, nack, buffer, now: BufferTestPackets.time(ms: 0)).count == 2)
        #expect(try Self.respond(responder, nack, buffer, now: BufferTestPackets.time(ms: 29)).count == 0)
        #expect(responder.counters.rateLimited == 2)
        // Another packet is not limited by them.
        #expect(try Self.respond(responder, Self.nack([(7, 0)]), buffer, now: BufferTestPackets.time(ms: 29)).count == 1)
        #expect(try Self.respond(responder, nack, buffer, now: BufferTestPackets.time(ms: 30)).count == 2)
        #expect(responder.counters.served == 5)
        // A second subscriber has its own limit.
        let other = RetransmissionResponder(target: RetransmissionTarget(ssrc: 3, payloadType: 96))
        #expect(try Self.respond(other, nack, buffer, now: BufferTestPackets.time(ms: 30)).count == 2)
    }

    @Test func stopsWhenTheCallerSlotsRunOutAndReportsShortBuffers() throws {
        let buffer = Self.filledBuffer(1 ... 40)
        let responder = RetransmissionResponder(target: RetransmissionTarget(ssrc: 1, payloadType: 96))
        #expect(try Self.respond(responder, Self.nack([(1, 0xffff)]), buffer, slots: 5).count == 5)
        #expect(responder.counters.served == 5)

        let tiny = UnsafeMutableRawBufferPointer.allocate(byteCount: 20, alignment: 8)
        defer { tiny.deallocate() }
        #expect(responder.retransmit(30, from: buffer, now: Self.t0, into: tiny) == .bufferTooSmall)
        #expect(responder.counters.bufferTooSmall == 1)
        // A failed write is not remembered by the rate limit.
        let big = UnsafeMutableRawBufferPointer.allocate(byteCount: 1600, alignment: 8)
        defer { big.deallocate() }
        guard case .written = responder.retransmit(30, from: buffer, now: Self.t0, into: big) else {
            Issue.record("30 should have been written")
            return
        }
    }

    @Test func requiredBufferSizeHoldsTheWorstCaseGrowth() throws {
        // Full-size packet with 16 one-byte elements that the map turns into two-byte ones, plus RTX
        // and a transport-wide element.
        let extensions = (1 ... 14).map { (UInt8($0), [UInt8](repeating: UInt8($0), count: 16)) }
        var probe = BufferTestPackets.packet(seq: 1, extensions: extensions, payloadSize: 0)
        let payloadSize = 1500 - probe.count + 2
        probe = BufferTestPackets.packet(seq: 1, extensions: extensions, payloadSize: payloadSize)
        #expect(probe.count == 1500)
        let buffer = PacketBuffer(.video)
        #expect(buffer.store(probe, now: Self.t0) == .stored)
        var map = RTPExtensionIDMap()
        for id in 1 ... 14 { map[UInt8(id)] = UInt8(200 + id) }
        let responder = RetransmissionResponder(target: RetransmissionTarget(ssrc: 1, payloadType: 96, extensionIDs: map, transportCCID: 250,
                                                                             rtx: RTXParameters(ssrc: 2, payloadType: 97)))
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: RetransmissionResponder.requiredBufferSize(slotSize: 1500), alignment: 8)
        defer { out.deallocate() }
        guard case .written(let n, _) = responder.retransmit(1, from: buffer, now: Self.t0, into: out) else {
            Issue.record("worst case did not fit")
            return
        }
        #expect(n > 1500 && n <= out.count)
    }
}
