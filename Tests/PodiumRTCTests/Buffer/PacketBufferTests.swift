import Testing
import PodiumNet
import PodiumWire
@testable import PodiumRTC

/// Builds RTP packets for the buffer tests: the payload starts with the sequence number, so a lookup can be checked.
struct BufferTestPackets {
    static func packet(seq: UInt16, ssrc: UInt32 = 0x1234, payloadType: UInt8 = 96, timestamp: UInt32? = nil, marker: Bool = false,
                       extensions: [(UInt8, [UInt8])] = [], payloadSize: Int = 8, paddingCount: Int = 0) -> [UInt8] {
        var payload = [UInt8](repeating: 0xab, count: max(payloadSize, 2))
        payload[0] = UInt8(seq >> 8)
        payload[1] = UInt8(seq & 0xff)
        var out = [UInt8](repeating: 0, count: 1600)
        let flat = extensions.flatMap(\.1)
        let header = RTPHeader(marker: marker, payloadType: payloadType, sequenceNumber: seq, timestamp: timestamp ?? UInt32(seq) &* 3000, ssrc: ssrc)
        let n = flat.withUnsafeBytes { all in
            var list = RTPExtensionList()
            var o = 0
            for (id, value) in extensions {
                try! list.append(id: id, value: UnsafeRawBufferPointer(rebasing: all[o ..< o + value.count]))
                o += value.count
            }
            return payload.withUnsafeBytes { p in
                out.withUnsafeMutableBytes { o in
                    try! RTPPacket.write(header: header, extensions: list, payload: p, paddingCount: paddingCount, into: o)
                }
            }
        }
        return Array(out[0 ..< n])
    }

    static func time(ms: Int64) -> MonotonicTime { MonotonicTime(nanoseconds: 1_000_000_000_000 + ms * 1_000_000) }
}

extension PacketBuffer {
    func store(_ bytes: [UInt8], now: MonotonicTime) -> StoreResult { bytes.withUnsafeBytes { store($0, now: now) } }
    func storedSequence(_ seq: UInt16, now: MonotonicTime) -> UInt16? {
        guard let p = packet(sequenceNumber: seq, now: now) else { return nil }
        #expect(p.loadBigEndianUInt16(at: 2) == seq)
        return p.loadBigEndianUInt16(at: 12)
    }
}

@Suite struct PacketBufferTests {
    static let t0 = BufferTestPackets.time(ms: 0)

    @Test func storesAndReturnsPacketsByteExact() throws {
        let buffer = PacketBuffer(.init(capacity: 16))
        let packets = (100 ..< 110).map { BufferTestPackets.packet(seq: UInt16($0), payloadSize: Int($0)) }
        for p in packets { #expect(buffer.store(p, now: Self.t0) == .stored) }
        for p in packets {
            let seq = UInt16(p[2]) << 8 | UInt16(p[3])
            let got = try #require(buffer.packet(sequenceNumber: seq, now: Self.t0))
            #expect(Array(got) == p)
        }
        let parsedBytes = BufferTestPackets.packet(seq: 110)
        let result = try parsedBytes.withUnsafeBytes { raw in buffer.store(try RTPPacket(parsing: raw), now: Self.t0) }
        #expect(result == .stored)
        #expect(buffer.storedSequence(110, now: Self.t0) == 110)
        #expect(buffer.lookup(99, now: Self.t0) == .missing)
        #expect(buffer.lookup(111, now: Self.t0) == .missing)
        #expect(buffer.highestSequenceNumber == 110)
        #expect(buffer.counters.stored == 11)
    }

    @Test func wrapsAroundAt65535() {
        // Exhaustive over start values near the wrap, capacity 8.
        for start in 65_520 ... 65_535 {
            let buffer = PacketBuffer(.init(capacity: 8))
            for k in 0 ..< 20 {
                let seq = UInt16(truncatingIfNeeded: start + k)
                #expect(buffer.store(BufferTestPackets.packet(seq: seq), now: Self.t0) == .stored)
            }
            let last = UInt16(truncatingIfNeeded: start + 19)
            for back in 0 ..< 8 { #expect(buffer.storedSequence(last &- UInt16(back), now: Self.t0) == last &- UInt16(back)) }
            #expect(buffer.lookup(last &- 8, now: Self.t0) == .missing)
            #expect(buffer.highestSequenceNumber == last)
        }
    }

    @Test func reorderedPacketsInsideTheWindowAreStored() {
        let buffer = PacketBuffer(.init(capacity: 16))
        for seq: UInt16 in [65_534, 1, 65_535, 3, 0, 2] { #expect(buffer.store(BufferTestPackets.packet(seq: seq), now: Self.t0) == .stored) }
        #expect(buffer.highestSequenceNumber == 3)
        for seq: UInt16 in [65_534, 65_535, 0, 1, 2, 3] { #expect(buffer.storedSequence(seq, now: Self.t0) == seq) }
    }

    @Test func duplicatesAreCountedAndKeepTheFirstCopy() throws {
        let buffer = PacketBuffer(.init(capacity: 16))
        #expect(buffer.store(BufferTestPackets.packet(seq: 5, payloadSize: 10), now: Self.t0) == .stored)
        #expect(buffer.store(BufferTestPackets.packet(seq: 6), now: Self.t0) == .stored)
        #expect(buffer.store(BufferTestPackets.packet(seq: 5, payloadSize: 20), now: Self.t0) == .duplicate)
        #expect(try #require(buffer.packet(sequenceNumber: 5, now: Self.t0)).count == 22)
        #expect(buffer.counters.duplicates == 1 && buffer.counters.stored == 2)
    }

    @Test func fullRingOverwritesTheOldestAndRejectsPacketsBehindTheWindow() {
        let buffer = PacketBuffer(.init(capacity: 8))
        for seq: UInt16 in 0 ..< 12 { _ = buffer.store(BufferTestPackets.packet(seq: seq), now: Self.t0) }
        for seq: UInt16 in 0 ..< 4 { #expect(buffer.lookup(seq, now: Self.t0) == .missing) }
        for seq: UInt16 in 4 ..< 12 { #expect(buffer.storedSequence(seq, now: Self.t0) == seq) }
        // 3 is behind the window [4, 11]: dropped, and does not evict 11.
        #expect(buffer.store(BufferTestPackets.packet(seq: 3), now: Self.t0) == .tooOld)
        #expect(buffer.storedSequence(11, now: Self.t0) == 11)
        #expect(buffer.counters.tooOld == 1)
    }

    @Test func skippedNumbersDoNotAnswerWithAPacketOneWindowOlder() {
        let buffer = PacketBuffer(.init(capacity: 8))
        for seq: UInt16 in 0 ..< 8 { _ = buffer.store(BufferTestPackets.packet(seq: seq), now: Self.t0) }
        // 8…12 lost; their slots held 0…4.
        #expect(buffer.store(BufferTestPackets.packet(seq: 13), now: Self.t0) == .stored)
        for seq: UInt16 in 8 ... 12 { #expect(buffer.lookup(seq, now: Self.t0) == .missing) }
        for seq: UInt16 in 0 ... 5 { #expect(buffer.lookup(seq, now: Self.t0) == .missing) }
        #expect(buffer.storedSequence(6, now: Self.t0) == 6 && buffer.storedSequence(7, now: Self.t0) == 7)
        // A late 10 still fits the window.
        #expect(buffer.store(BufferTestPackets.packet(seq: 10), now: Self.t0) == .stored)
        #expect(buffer.storedSequence(10, now: Self.t0) == 10)
    }

    @Test func packetsOlderThanMaxAgeAreNotReturned() {
        let buffer = PacketBuffer(.init(capacity: 16, maxAge: .milliseconds(1000)))
        _ = buffer.store(BufferTestPackets.packet(seq: 1), now: BufferTestPackets.time(ms: 0))
        _ = buffer.store(BufferTestPackets.packet(seq: 2), now: BufferTestPackets.time(ms: 500))
        #expect(buffer.storedSequence(1, now: BufferTestPackets.time(ms: 1000)) == 1)
        #expect(buffer.lookup(1, now: BufferTestPackets.time(ms: 1001)) == .expired)
        #expect(buffer.packet(sequenceNumber: 1, now: BufferTestPackets.time(ms: 1001)) == nil)
        #expect(buffer.storedSequence(2, now: BufferTestPackets.time(ms: 1001)) == 2)
        #expect(buffer.lookup(2, now: BufferTestPackets.time(ms: 1501)) == .expired)
    }

    @Test func aJumpOfAWholeWindowResets() {
        let buffer = PacketBuffer(.init(capacity: 16))
        for seq: UInt16 in 100 ..< 110 { _ = buffer.store(BufferTestPackets.packet(seq: seq), now: Self.t0) }
        #expect(buffer.store(BufferTestPackets.packet(seq: 100 + 9 + 16), now: Self.t0) == .storedAfterReset)
        #expect(buffer.counters.resets == 1)
        for seq: UInt16 in 100 ..< 110 { #expect(buffer.lookup(seq, now: Self.t0) == .missing) }
        #expect(buffer.highestSequenceNumber == 125)
        // Just under a window is a normal advance.
        #expect(buffer.store(BufferTestPackets.packet(seq: 125 + 15), now: Self.t0) == .stored)
        #expect(buffer.storedSequence(125, now: Self.t0) == 125)
    }

    @Test func aSenderRestartingBehindTheWindowResetsAfterAFewPackets() {
        let buffer = PacketBuffer(.init(capacity: 16, resetAfterOldPackets: 3))
        for seq: UInt16 in 30_000 ..< 30_010 { _ = buffer.store(BufferTestPackets.packet(seq: seq), now: Self.t0) }
        #expect(buffer.store(BufferTestPackets.packet(seq: 5), now: Self.t0) == .tooOld)
        #expect(buffer.store(BufferTestPackets.packet(seq: 6), now: Self.t0) == .tooOld)
        #expect(buffer.store(BufferTestPackets.packet(seq: 7), now: Self.t0) == .storedAfterReset)
        #expect(buffer.store(BufferTestPackets.packet(seq: 8), now: Self.t0) == .stored)
        #expect(buffer.storedSequence(7, now: Self.t0) == 7 && buffer.storedSequence(8, now: Self.t0) == 8)
        #expect(buffer.lookup(30_009, now: Self.t0) == .missing)
    }

    @Test func hostileSizesAreCountedDrops() {
        let buffer = PacketBuffer(.init(capacity: 16, slotSize: 100))
        #expect(buffer.store(BufferTestPackets.packet(seq: 1, payloadSize: 100), now: Self.t0) == .tooLarge)
        #expect(buffer.store([0x80, 0x60, 0, 1], now: Self.t0) == .malformed)
        #expect(buffer.store([UInt8](repeating: 0, count: 12), now: Self.t0) == .malformed)  // version 0
        #expect(buffer.counters.tooLarge == 1 && buffer.counters.malformed == 2 && buffer.counters.stored == 0)
        #expect(buffer.highestSequenceNumber == nil)
    }

    @Test func removeAllForgetsEverything() {
        let buffer = PacketBuffer(.audio)
        #expect(buffer.configuration.capacity == 64)
        _ = buffer.store(BufferTestPackets.packet(seq: 1), now: Self.t0)
        buffer.removeAll()
        #expect(buffer.lookup(1, now: Self.t0) == .missing && buffer.highestSequenceNumber == nil)
        #expect(buffer.store(BufferTestPackets.packet(seq: 40_000), now: Self.t0) == .stored)
    }

    @Test func slotMetadataStaysCompact() {
        #expect(MemoryLayout<PacketBuffer.Slot>.stride <= 16)
    }
}
