import Testing
import PodiumMedia
import PodiumWire

@Suite struct FrameAssemblerTests {
    /// `count` frames (first a keyframe) of varied sizes, packetized with small packets so most
    /// frames take several; returns the frames and each frame's packets.
    static func stream(count: Int, initialSequenceNumber: UInt16 = 0, maxPacketSize: Int = 200, seed: UInt64 = 1) throws -> (frames: [[UInt8]], packets: [[[UInt8]]]) {
        let p = try VP8Packetizer(.init(ssrc: 42, maxPacketSize: maxPacketSize, initialSequenceNumber: initialSequenceNumber))
        var r = RTPTestRandom(seed: seed)
        var frames: [[UInt8]] = []
        var packets: [[[UInt8]]] = []
        for i in 0 ..< count {
            let frame = syntheticVP8Frame(size: 10 + r.below(900), keyframe: i == 0, seed: r.next())
            frames.append(frame)
            packets.append(try rtpTestPacketize(p, frame, timestamp: UInt32(i) * 3000, tid: UInt8(i % 2)))
        }
        return (frames, packets)
    }

    @Test func inOrderDeliversEveryFrameAndFlagsTheKeyframe() throws {
        let (frames, packets) = try Self.stream(count: 40, initialSequenceNumber: 65_500)  // crosses the 16-bit wrap
        let d = VP8Depacketizer()
        let events = try rtpTestFeed(d, packets.flatMap { $0 }, finish: false)
        #expect(events.compactMap(\.frameData) == frames)
        #expect(events.allSatisfy { !$0.isGap })
        guard case .frame(_, _, let key0, _, _) = events[0], case .frame(_, _, let key1, _, _) = events[1] else { Issue.record("no frames"); return }
        #expect(key0 && !key1)
        #expect(d.assembler.statistics.keyframesDelivered == 1)
        #expect(d.assembler.statistics.framesDelivered == 40)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func reorderedWithinTheWindowStillDeliversInOrder(seed: UInt64) throws {
        let (frames, packets) = try Self.stream(count: 60, initialSequenceNumber: 65_400, seed: seed)
        var flat = packets.flatMap { $0 }
        // Shuffle inside blocks of 16 (reordering depth < reorderWindow), after the first frame: a
        // frame completed before anything older arrived is delivered, so at the very start of a
        // stream older packets would be late (see Docs/RTPPacketization.md).
        var r = RTPTestRandom(seed: seed)
        var i = packets[0].count
        while i < flat.count {
            let end = min(i + 16, flat.count)
            for k in stride(from: end - 1, to: i, by: -1) { flat.swapAt(k, i + r.below(k - i + 1)) }
            i = end
        }
        let events = try rtpTestFeed(VP8Depacketizer(), flat)
        #expect(events.compactMap(\.frameData) == frames)
        #expect(events.allSatisfy { !$0.isGap })
    }

    @Test func duplicatesAreIgnored() throws {
        let (frames, packets) = try Self.stream(count: 20)
        var flat: [[UInt8]] = []
        for p in packets.flatMap({ $0 }) { flat.append(p); flat.append(p) }
        flat += packets[3]  // replays of an already delivered frame are late
        let d = VP8Depacketizer()
        let events = try rtpTestFeed(d, flat)
        #expect(events.compactMap(\.frameData) == frames)
        // A copy arriving after its frame was delivered is late rather than a duplicate.
        #expect(d.assembler.statistics.duplicates == packets.flatMap { $0 }.count - frames.count)
        #expect(d.assembler.statistics.latePackets == frames.count + packets[3].count)
    }

    @Test func aLostPacketDropsExactlyThatFrameAndReportsAGap() throws {
        let (frames, packets) = try Self.stream(count: 50)
        // Three frames of several packets: lose the second packet of one, the first of the next, the last of the third.
        let multi = packets.indices.filter { $0 > 0 && packets[$0].count >= 3 }
        #expect(multi.count >= 3)
        for (frameIndex, lostIndex) in [(multi[0], 1), (multi[1], 0), (multi[2], -1)] {
            let lost = lostIndex >= 0 ? lostIndex : packets[frameIndex].count - 1
            var flat: [[UInt8]] = []
            var lostSeq: UInt16 = 0
            for (f, ps) in packets.enumerated() {
                for (k, p) in ps.enumerated() {
                    if f == frameIndex && k == lost { lostSeq = try p.withRTP { $0.sequenceNumber }; continue }
                    flat.append(p)
                }
            }
            let events = try rtpTestFeed(VP8Depacketizer(), flat)
            var expected = frames
            expected.remove(at: frameIndex)
            #expect(events.compactMap(\.frameData) == expected, "frame \(frameIndex)")
            let gaps = events.compactMap { if case .gap(let g) = $0 { g } else { nil } }
            #expect(gaps.count == 1)
            #expect(gaps.first?.firstMissing == lostSeq)
            #expect(gaps.first?.missingPackets == 1)
            #expect(gaps.first?.droppedPackets == packets[frameIndex].count - 1)
            // The gap comes right where the lost frame would have been.
            #expect(events.firstIndex(where: \.isGap) == frameIndex)
        }
    }

    @Test func losingAMarkerAndTheNextStartDropsBothFrames() throws {
        let (frames, packets) = try Self.stream(count: 12)
        var flat = packets.flatMap { $0 }
        let lastOf5 = packets[0 ... 5].reduce(0) { $0 + $1.count } - 1
        flat.removeSubrange(lastOf5 ... lastOf5 + 1)  // marker of frame 5, start of frame 6
        let events = try rtpTestFeed(VP8Depacketizer(), flat)
        var expected = frames
        expected.removeSubrange(5 ... 6)
        #expect(events.compactMap(\.frameData) == expected)
        let gaps = events.compactMap { if case .gap(let g) = $0 { g } else { nil } }
        #expect(gaps.count == 1)
        #expect(gaps.first?.missingPackets == 2)
    }

    @Test func joiningMidFrameDiscardsTheTail() throws {
        let (frames, packets) = try Self.stream(count: 5)
        #expect(packets[0].count >= 2)
        let events = try rtpTestFeed(VP8Depacketizer(), Array(packets.flatMap { $0 }.dropFirst()))
        #expect(events.first == .discarded(.missingFrameStart, timestamp: 0, packets: packets[0].count - 1))
        #expect(events.compactMap(\.frameData) == Array(frames.dropFirst()))
    }

    @Test func missingMarkerBeforeTheNextFrameDiscards() throws {
        // Frame A's last packet rewritten without the marker: the next frame starts, A is discarded.
        let (frames, packets) = try Self.stream(count: 3)
        var flat = packets.flatMap { $0 }
        let last = packets[0].count - 1
        flat[last][1] &= 0x7F
        let events = try rtpTestFeed(VP8Depacketizer(), flat)
        #expect(events.first == .discarded(.missingMarker, timestamp: 0, packets: packets[0].count))
        #expect(events.compactMap(\.frameData) == Array(frames.dropFirst()))
    }

    @Test func memoryStaysBounded() throws {
        // Frame larger than maxFrameSize.
        let big = try VP8Packetizer(.init(ssrc: 1))
        let frame = syntheticVP8Frame(size: 50_000, keyframe: true, seed: 9)
        let limited = VP8Depacketizer(limits: .init(packetCapacity: 64, maxFrameSize: 20_000))
        let events = try rtpTestFeed(limited, try rtpTestPacketize(big, frame, timestamp: 5))
        #expect(events == [.discarded(.frameTooLarge, timestamp: 5, packets: 43)])

        // A hole never filled: packets far ahead force it out (ring of 64, window 1000 so only the ring limits).
        let (frames, packets) = try Self.stream(count: 200, maxPacketSize: 1200)
        var flat = packets.flatMap { $0 }
        flat.remove(at: 3)
        let d = VP8Depacketizer(limits: .init(packetCapacity: 64, maxPendingFrames: 10_000, reorderWindow: 10_000))
        let got = try rtpTestFeed(d, flat, finish: false)
        #expect(got.filter(\.isGap).count == 1)
        #expect(got.compactMap(\.frameData).count >= 200 - 1 - 64)
        #expect(d.assembler.pendingFrames <= 64)

        // Too many pending frames behind a hole gives the hole up.
        let e = VP8Depacketizer(limits: .init(maxPendingFrames: 4, reorderWindow: 10_000))
        let out = try rtpTestFeed(e, flat, finish: false)
        #expect(out.compactMap(\.frameData) == frames.enumerated().filter { $0.offset != 3 }.map(\.element).prefix(out.compactMap(\.frameData).count).map { $0 })
        #expect(out.compactMap(\.frameData).count >= 200 - 1 - 5)
    }

    @Test func paddingOnlyPacketsFillTheirSequenceNumbers() throws {
        let (frames, packets) = try Self.stream(count: 4)
        let p0 = packets.flatMap { $0 }
        // Insert padding packets (P=1, payload empty) between frames with their own sequence numbers:
        // rebuild the stream's sequence numbers around them.
        var flat: [[UInt8]] = []
        var seq: UInt16 = 0
        func withSeq(_ p: [UInt8], _ s: UInt16) -> [UInt8] { var q = p; q[2] = UInt8(s >> 8); q[3] = UInt8(s & 0xFF); return q }
        var k = 0
        for ps in packets {
            for p in ps { flat.append(withSeq(p, seq)); seq &+= 1; k += 1 }
            // 12-byte header + 4 bytes of padding, count 4.
            flat.append([0xA0, 96, UInt8(seq >> 8), UInt8(seq & 0xFF), 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 4])
            seq &+= 1
        }
        #expect(k == p0.count)
        let d = VP8Depacketizer()
        let events = try rtpTestFeed(d, flat)
        #expect(events.compactMap(\.frameData) == frames)
        #expect(events.allSatisfy { !$0.isGap })
        #expect(d.assembler.statistics.paddingPackets == 4)
    }

    @Test func malformedPacketsAreTypedErrors() throws {
        let d = VP8Depacketizer(ssrc: 42, payloadType: 96)
        func insert(_ bytes: [UInt8]) throws(DepacketizerError) { var e: DepacketizerError?; bytes.withUnsafeBytes { do throws(DepacketizerError) { _ = try d.insert($0) } catch { e = error } }; if let e { throw e } }
        #expect(throws: DepacketizerError.self) { try insert([0x80, 96, 0, 1]) }  // truncated RTP
        // X=1 with I=1 and M=1 but the packet ends inside the picture id.
        #expect(throws: DepacketizerError.self) { try insert([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 42, 0x90, 0x80, 0x80]) }
        #expect(throws: DepacketizerError.unexpectedPayloadType(97)) { try insert([0x80, 97, 0, 1, 0, 0, 0, 0, 0, 0, 0, 42, 0x00, 1, 2, 3]) }
        #expect(throws: DepacketizerError.unexpectedSSRC(43)) { try insert([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 43, 0x00, 1, 2, 3]) }
        // Key frame (P=0) without the start code.
        #expect(throws: DepacketizerError.self) { try insert([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 42, 0x10, 0x00, 0, 0, 1, 2, 3, 4, 5, 6, 7]) }
        #expect(d.rejectedPackets == 5)
        #expect(d.poll() == nil)
    }

    @Test func aFirstFrameReorderedAcrossTheWrapStillAssembles() throws {
        // The first packet seen is seq 0; the frame's start, seq 65535, unwraps below it (to −1).
        let p = try VP8Packetizer(.init(ssrc: 1, maxPacketSize: 100, initialSequenceNumber: 65_535))
        let frame = syntheticVP8Frame(size: 150, keyframe: true, seed: 4)
        let packets = try rtpTestPacketize(p, frame, timestamp: 9)
        #expect(packets.count == 2)
        let events = try rtpTestFeed(VP8Depacketizer(), [packets[1], packets[0]], finish: false)
        #expect(events == [.frame(data: frame, timestamp: 9, keyframe: true, firstSeq: 65_535, packets: 2)])
    }
}
