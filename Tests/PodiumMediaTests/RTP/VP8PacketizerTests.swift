import Testing
import PodiumMedia
import PodiumWire

@Suite struct VP8PacketizerTests {
    static let sizes = [3, 10, 11, 100, 1000, 1173, 1174, 1175, 2348, 2349, 5000, 12_345, 65_536, 100_000]

    @Test(arguments: sizes)
    func roundTripIsByteExact(size: Int) throws {
        let packetizer = try VP8Packetizer(.init(ssrc: 0x1234_5678))
        let frame = syntheticVP8Frame(size: size, keyframe: size >= 10, seed: UInt64(size))
        let packets = try rtpTestPacketize(packetizer, frame, timestamp: 90_000)
        #expect(packets.count == packetizer.packetCount(forFrameSize: size))
        #expect(packets.count == (size + packetizer.maxDataPerPacket - 1) / packetizer.maxDataPerPacket)
        // Equal split: packet sizes differ by at most one byte, none above the limit.
        let lengths = packets.map(\.count)
        #expect(lengths.allSatisfy { $0 <= 1200 })
        #expect(lengths.max()! - lengths.min()! <= 1)

        let depacketizer = VP8Depacketizer(ssrc: 0x1234_5678, payloadType: 96)
        let events = try rtpTestFeed(depacketizer, packets)
        #expect(events == [.frame(data: frame, timestamp: 90_000, keyframe: size >= 10, firstSeq: 0, packets: packets.count)])
    }

    @Test func maxDataPerPacketFollowsTheConfiguration() throws {
        // 1200 − 12 (header) − 6 (descriptor with I, L, T).
        #expect(try VP8Packetizer(.init(ssrc: 1)).maxDataPerPacket == 1182)
        // Without TL0PICIDX/TID: 4-byte descriptor.
        #expect(try VP8Packetizer(.init(ssrc: 1, writesTemporalLayerFields: false)).maxDataPerPacket == 1184)
        // Chromium's video extensions: mid "1" (2), rid "f" (2), abs-send-time (4), twcc (3) = 11 → 12 + 4 header = 16.
        let ext = try VP8Packetizer(.init(ssrc: 1, extensionIDs: .chromium, mid: "1", rid: "f"), transportSequence: TransportSequenceNumberCounter())
        #expect(ext.maxDataPerPacket == 1200 - 12 - 16 - 6)
    }

    @Test func descriptorFieldsAcrossFrames() throws {
        // Start near every wrap: sequence 65534, picture id 0x7FFE, TL0PICIDX 254.
        let packetizer = try VP8Packetizer(.init(ssrc: 7, maxPacketSize: 300, initialSequenceNumber: 65_534,
                                                 initialPictureID: 0x7FFE, initialTL0PicIndex: 254))
        // L3T3 pattern: TID 0,2,1,2,0,2,1,2; Y on the first TID 1/2 frame after a TID 0 frame.
        let tids: [UInt8] = [0, 2, 1, 2, 0, 2, 1, 2, 0]
        var expectedSeq: UInt16 = 65_534
        var expectedTL0: UInt8 = 254
        for (i, tid) in tids.enumerated() {
            let sync = tid > 0 && (i % 4 == 1 || i % 4 == 2)
            let frame = syntheticVP8Frame(size: 100 + i * 211, keyframe: i == 0, seed: UInt64(i))
            let ts = UInt32(i) &* 3000 &+ 0xFFFF_F000
            let packets = try rtpTestPacketize(packetizer, frame, timestamp: ts, tid: tid, y: sync)
            if tid == 0 { expectedTL0 &+= 1 }
            for (k, p) in packets.enumerated() {
                try p.withRTP { rtp in
                    #expect(rtp.sequenceNumber == expectedSeq)
                    #expect(rtp.timestamp == ts)
                    #expect(rtp.marker == (k == packets.count - 1))
                    #expect(rtp.payloadType == 96 && rtp.ssrc == 7)
                    let d = try VP8PayloadDescriptor(parsing: rtp.payload)
                    #expect(d.isStartOfPartition == (k == 0))
                    #expect(d.partitionIndex == 0)
                    #expect(d.hasLongPictureID)
                    #expect(d.pictureID == UInt16((0x7FFE + i) & 0x7FFF))
                    #expect(d.tl0PicIndex == expectedTL0)
                    #expect(d.temporalLayerID == tid)
                    #expect(d.isLayerSync == sync)
                    #expect(d.keyIndex == nil && !d.isNonReference)
                    if k == 0 { #expect(d.isKeyframe == (i == 0)) }
                }
                expectedSeq &+= 1
            }
        }
        #expect(packetizer.nextSequenceNumber == expectedSeq)
        #expect(packetizer.nextPictureID == UInt16((0x7FFE + tids.count) & 0x7FFF))
        // 254 → 255 → 0 → 1 over the three TID 0 frames.
        #expect(packetizer.tl0PicIndex == 1)
    }

    @Test func callerBufferAPIWritesThePacketsPacketizeSends() throws {
        let a = try VP8Packetizer(.init(ssrc: 9, maxPacketSize: 500))
        let b = try VP8Packetizer(.init(ssrc: 9, maxPacketSize: 500))
        let frame = syntheticVP8Frame(size: 4321, keyframe: true, seed: 3)
        let expected = try rtpTestPacketize(a, frame, timestamp: 1)
        var got: [[UInt8]] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 500, alignment: 16)
        defer { buffer.deallocate() }
        try frame.withUnsafeBytes { bytes in
            var cursor = try b.startFrame(size: bytes.count, timestamp: 1)
            while !cursor.isFinished {
                let n = try b.writeNextPacket(&cursor, frame: bytes, now: 0, into: buffer)
                got.append(Array(buffer[0 ..< n]))
            }
            #expect(throws: RTPPacketizerError.frameFinished) { try b.writeNextPacket(&cursor, frame: bytes, now: 0, into: buffer) }
        }
        #expect(got == expected)
    }

    @Test func shortBufferIsATypedErrorAndWritesNothing() throws {
        let p = try VP8Packetizer(.init(ssrc: 1))
        let frame = syntheticVP8Frame(size: 2000, keyframe: false, seed: 1)
        let small = UnsafeMutableRawBufferPointer.allocate(byteCount: 100, alignment: 1)
        defer { small.deallocate() }
        try frame.withUnsafeBytes { bytes in
            var cursor = try p.startFrame(size: bytes.count, timestamp: 0)
            #expect(throws: RTPPacketizerError.bufferTooSmall(needed: 1018, available: 100)) {
                try p.writeNextPacket(&cursor, frame: bytes, now: 0, into: small)
            }
            #expect(cursor.packetIndex == 0)
            #expect(p.nextSequenceNumber == 0)
        }
    }

    @Test func rejectsEmptyFramesAndImpossibleConfigurations() throws {
        let p = try VP8Packetizer(.init(ssrc: 1))
        #expect(throws: RTPPacketizerError.emptyFrame) { try p.startFrame(size: 0, timestamp: 0) }
        #expect(throws: RTPPacketizerError.self) { try VP8Packetizer(.init(ssrc: 1, maxPacketSize: 37)) }
        #expect(throws: RTPPacketizerError.self) { try VP8Packetizer(.init(ssrc: 1, payloadType: 200)) }
        #expect(throws: RTPPacketizerError.self) { try VP8Packetizer(.init(ssrc: 1, extensionIDs: .init(mid: 15), mid: "0")) }
        #expect(throws: RTPPacketizerError.self) { try VP8Packetizer(.init(ssrc: 1, extensionIDs: .init(mid: 3, rid: 3), mid: "0", rid: "q")) }
        #expect(throws: RTPPacketizerError.self) { try VP8Packetizer(.init(ssrc: 1, extensionIDs: .init(rid: 10), rid: "no spaces")) }
        // Transport-wide sequence numbers need the transport's counter.
        #expect(throws: RTPPacketizerError.self) { try VP8Packetizer(.init(ssrc: 1, extensionIDs: .chromium)) }
    }

    @Test func frameSmallerThanAVP8FrameTagIsRejectedByTheDepacketizer() throws {
        // A real VP8 frame is at least its 3-byte frame tag; the packetizer carries any bytes, the
        // receiving side (PodiumWire's descriptor parser, like libwebrtc) refuses a shorter first packet.
        let packets = try rtpTestPacketize(try VP8Packetizer(.init(ssrc: 1)), [0x01], timestamp: 0)
        #expect(packets.count == 1)
        let d = VP8Depacketizer()
        #expect(throws: DepacketizerError.self) { try packets[0].withUnsafeBytes { _ = try d.insert($0) } }
        #expect(d.rejectedPackets == 1)
    }
}
