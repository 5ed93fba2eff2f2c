import Testing
import PodiumMedia
import PodiumWire

@Suite struct RTPHeaderExtensionWritingTests {
    @Test func videoPacketsCarryMidRidAbsSendTimeAndTransportSequence() throws {
        let counter = TransportSequenceNumberCounter(start: 65_535)
        let ids = RTPHeaderExtensionIDs.chromium
        let q = try VP8Packetizer(.init(ssrc: 1, extensionIDs: ids, mid: "1", rid: "q"), transportSequence: counter)
        let f = try VP8Packetizer(.init(ssrc: 3, extensionIDs: ids, mid: "1", rid: "f"), transportSequence: counter)
        let now: UInt64 = 70_123_456_789  // 70.12 s: abs-send-time wraps at 64 s
        let a = try rtpTestPacketize(q, syntheticVP8Frame(size: 3000, keyframe: true, seed: 1), timestamp: 0, now: now)
        let b = try rtpTestPacketize(f, syntheticVP8Frame(size: 100, keyframe: true, seed: 2), timestamp: 0, now: now)
        var expectedTWCC: UInt16 = 65_535
        for (packet, rid) in a.map({ ($0, "q") }) + b.map({ ($0, "f") }) {
            try packet.withRTP { rtp in
                #expect(rtp.extensionForm == .oneByte)
                #expect(rtp.extensionCount == 4)
                let mid = try MediaIDExtension(parsing: #require(rtp.extension(id: 4)))
                #expect(mid.mid.description == "1")
                let r = try RTPStreamIDExtension(parsing: #require(rtp.extension(id: 10)))
                #expect(r.rid.description == rid)
                #expect(rtp.extension(id: 11) == nil)
                let abs = try AbsSendTimeExtension(parsing: #require(rtp.extension(id: 2)))
                #expect(abs == AbsSendTimeExtension(nanoseconds: now))
                let tw = try TransportSequenceNumberExtension(parsing: #require(rtp.extension(id: 3)))
                #expect(tw.sequenceNumber == expectedTWCC)
                expectedTWCC &+= 1
                #expect(rtp.extension(id: 1) == nil)  // no audio level on video
            }
        }
        #expect(counter.next == expectedTWCC)
    }

    @Test func tokensUpTo16BytesKeepTheOneByteForm() throws {
        let ids = RTPHeaderExtensionIDs(mid: 1, rid: 2)
        let p = try VP8Packetizer(.init(ssrc: 1, extensionIDs: ids, mid: "video-main", rid: "hi"))
        let packets = try rtpTestPacketize(p, syntheticVP8Frame(size: 40, keyframe: false, seed: 1), timestamp: 0)
        try packets[0].withRTP { rtp in
            #expect(rtp.extensionForm == .oneByte)
            let mid = try MediaIDExtension(parsing: #require(rtp.extension(id: 1)))
            #expect(mid.mid.description == "video-main")
        }
    }
}

@Suite struct OpusPacketizationTests {
    /// A code-0 Opus packet (SILK WB 20 ms, TOC 0x48) with `n` frame bytes; n == 0 gives a DTX packet.
    static func opus(_ n: Int, seed: UInt64) -> [UInt8] {
        var r = RTPTestRandom(seed: seed)
        return [0x48] + (0 ..< n).map { _ in r.byte() }
    }

    @Test func roundTripWithMarkerAudioLevelAndLoss() throws {
        let counter = TransportSequenceNumberCounter()
        let packetizer = try OpusPacketizer(.init(ssrc: 0xAA, initialSequenceNumber: 65_533, timestampOffset: 1000,
                                                  extensionIDs: .chromium, mid: "0"), transportSequence: counter)
        let sink = InMemoryRTPPacketSink()
        // Talk, DTX silence (suppressed), talk again.
        let sizes = [60, 61, 80, 0, 0, 0, 70, 75]
        var frames: [EncodedAudioFrame] = []
        for (i, n) in sizes.enumerated() {
            let frame = EncodedAudioFrame(data: Self.opus(n, seed: UInt64(i)), rtpTimestamp: UInt32(i) * 960,
                                          audioLevel: UInt8(10 + i), voiceActivity: n > 0)
            frames.append(frame)
            let sent = try packetizer.packetize(frame, now: UInt64(i) * 20_000_000, to: sink)
            #expect(sent == (n > 0))
        }
        #expect(sink.packets.count == 5)
        let sentFrames = frames.filter { $0.data.count > 1 }
        let depacketizer = OpusDepacketizer(ssrc: 0xAA, payloadType: 111, audioLevelID: 1)
        for (k, packet) in sink.packets.enumerated() {
            try packet.withUnsafeBytes { bytes in
                let got = try #require(try depacketizer.depacketize(bytes))
                #expect(Array(got.payload) == sentFrames[k].data)
                #expect(got.timestamp == sentFrames[k].rtpTimestamp &+ 1000)
                #expect(got.marker == (k == 0 || k == 3))  // first packet, first after DTX
                #expect(got.sequenceNumber == 65_533 &+ UInt16(k))
                #expect(got.durationSamples == 960)
                #expect(got.lostBefore == 0)
                #expect(got.audioLevel == AudioLevelExtension(voiceActivity: true, level: sentFrames[k].audioLevel))
            }
        }
        #expect(counter.next == 6)

        // Loss is reported on the next packet; a replay is late.
        let d = OpusDepacketizer()
        _ = try sink.packets[0].withUnsafeBytes { try d.depacketize($0) }
        let third = try sink.packets[2].withUnsafeBytes { try d.depacketize($0) }
        #expect(third?.lostBefore == 1)
        #expect(try sink.packets[1].withUnsafeBytes { try d.depacketize($0) } == nil)
        #expect(d.packetsLost == 1 && d.latePackets == 1)
    }

    @Test func dtxPacketsCanBeSent() throws {
        let p = try OpusPacketizer(.init(ssrc: 1, sendsDTXPackets: true))
        let sink = InMemoryRTPPacketSink()
        for (i, n) in [50, 0, 50].enumerated() {
            try p.packetize(EncodedAudioFrame(data: Self.opus(n, seed: 1), rtpTimestamp: UInt32(i * 960), audioLevel: 127, voiceActivity: false), now: 0, to: sink)
        }
        let markers = try sink.packets.map { try $0.withRTP { $0.marker } }
        #expect(markers == [true, false, true])
    }

    @Test func invalidOpusIsATypedError() throws {
        let p = try OpusPacketizer(.init(ssrc: 1))
        let sink = InMemoryRTPPacketSink()
        // Code 1 (two equal frames) with an odd byte count breaks R3.
        #expect(throws: RTPPacketizerError.self) {
            try p.packetize(EncodedAudioFrame(data: [0x49, 1, 2, 3], rtpTimestamp: 0, audioLevel: 0, voiceActivity: true), now: 0, to: sink)
        }
        #expect(throws: RTPPacketizerError.self) {
            try p.packetize(EncodedAudioFrame(data: [], rtpTimestamp: 0, audioLevel: 0, voiceActivity: true), now: 0, to: sink)
        }
        #expect(sink.packets.isEmpty)
        let d = OpusDepacketizer()
        #expect(throws: DepacketizerError.self) { try ([0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x49, 1, 2, 3] as [UInt8]).withUnsafeBytes { try d.depacketize($0) } }
    }
}

@Suite struct RTXPacketTests {
    @Test func rtxCarriesTheOriginalSequenceNumberAndPayload() throws {
        let counter = TransportSequenceNumberCounter()
        let media = try VP8Packetizer(.init(ssrc: 10, initialSequenceNumber: 65_530, extensionIDs: .chromium, mid: "1", rid: "h"),
                                      transportSequence: counter)
        let rtx = try RTXPacketizer(.init(ssrc: 11, payloadType: 97, initialSequenceNumber: 500, extensionIDs: .chromium, mid: "1", repairedRID: "h"),
                                    transportSequence: counter)
        let history = RTPPacketHistory(capacity: 8, slotSize: 1200)
        let frame = syntheticVP8Frame(size: 9000, keyframe: true, seed: 5)
        var originals: [[UInt8]] = []
        try frame.withUnsafeBytes { bytes in
            var cursor = try media.startFrame(size: bytes.count, timestamp: 77)
            while !cursor.isFinished {
                let seq = media.nextSequenceNumber
                let slot = history.slot(for: seq)
                let n = try media.writeNextPacket(&cursor, frame: bytes, now: 0, into: slot)
                history.commit(seq, length: n)
                originals.append(Array(slot[0 ..< n]))
            }
        }
        #expect(originals.count == 8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1300, alignment: 16)
        defer { buffer.deallocate() }
        for (k, original) in originals.enumerated() {
            let seq = UInt16(truncatingIfNeeded: 65_530 + k)
            let stored = try #require(history.packet(seq))
            #expect(Array(stored) == original)
            let n = try rtx.write(original: try RTPPacket(parsing: stored), now: 1_000_000, into: buffer)
            let r = try RTPPacket(parsing: UnsafeRawBufferPointer(rebasing: buffer[0 ..< n]))
            #expect(r.ssrc == 11 && r.payloadType == 97 && r.sequenceNumber == 500 + UInt16(k) && r.timestamp == 77)
            #expect(r.marker == (k == 7))
            let (osn, payload) = try RTXPayload.unwrap(r)
            #expect(osn == seq)
            try original.withRTP { o in #expect(Array(payload) == Array(o.payload)) }
            let repaired = try RepairedRTPStreamIDExtension(parsing: #require(r.extension(id: 11)))
            #expect(repaired.rid.description == "h")
            #expect(r.extension(id: 10) == nil)
            let mid = try MediaIDExtension(parsing: #require(r.extension(id: 4)))
            #expect(mid.mid.description == "1")
        }
        // 8 media + 8 RTX packets took transport-wide numbers 1…16.
        #expect(counter.next == 17)
        // Overwritten slots are gone.
        #expect(history.packet(65_530 &- 8) == nil)
    }
}
