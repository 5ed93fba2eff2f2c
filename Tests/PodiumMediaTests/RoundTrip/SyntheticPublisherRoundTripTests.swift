import Testing
import PodiumMedia
import PodiumWire

/// Real codecs end to end: SimulcastVideoSource / OpusAudioSource → SyntheticPublisher → in-memory
/// sink → depacketize per SSRC → assemble → VP8Decoder / OpusDecoder.
@Suite struct SyntheticPublisherRoundTripTests {
    static func packets(_ sink: InMemoryRTPPacketSink, ssrc: UInt32) throws -> [[UInt8]] {
        try sink.packets.filter { try $0.withRTP { $0.ssrc } == ssrc }
    }

    @Test func everyFrameOfEveryLayerAndEveryOpusPacketDecodes() throws {
        let sink = InMemoryRTPPacketSink()
        let publisher = try SyntheticPublisher(SyntheticPublisherConfiguration(), sink: sink)
        // Half a second: 15 video ticks, 25 audio frames (kept short: 720p encoding in a debug build).
        while publisher.nextDueTime < 500_000_000 { try publisher.sendNext() }
        let c = publisher.configuration

        for (layer, config) in c.videoLayers.enumerated() {
            let ssrc = c.videoSSRCs[layer]
            let packets = try Self.packets(sink, ssrc: ssrc)
            #expect(packets.count == publisher.layerStatistics[layer].packetsSent)
            // Every packet names its layer and media section, within a 1200-byte MTU.
            for p in packets {
                try p.withRTP { rtp in
                    let rid = try RTPStreamIDExtension(parsing: #require(rtp.extension(id: 10)))
                    #expect(rid.rid.description == config.rid)
                    let mid = try MediaIDExtension(parsing: #require(rtp.extension(id: 4)))
                    #expect(mid.mid.description == "1")
                    #expect(rtp.extension(id: 3) != nil && rtp.extension(id: 2) != nil)
                    #expect(rtp.payloadType == 96)
                }
                #expect(p.count <= 1200)
            }
            let depacketizer = VP8Depacketizer(ssrc: ssrc, payloadType: 96)
            let decoder = try VP8Decoder()
            var decoded = 0
            var keyframes = 0
            for p in packets {
                try p.withUnsafeBytes { _ = try depacketizer.insert($0) }
                while let event = depacketizer.poll() {
                    guard case .frame(let frame) = event else { Issue.record("layer \(layer): \(event)"); continue }
                    let size = try decoder.decode(frame.data)
                    #expect(size.width == config.width && size.height == config.height)
                    decoded += 1
                    if frame.isKeyframe { keyframes += 1 }
                }
            }
            #expect(decoded == publisher.layerStatistics[layer].framesSent, "layer \(config.rid)")
            #expect(decoded + publisher.layerStatistics[layer].framesSkippedByEncoder == 15)
            #expect(keyframes == 1 && publisher.layerStatistics[layer].keyframesSent == 1)
        }

        let audio = try Self.packets(sink, ssrc: c.audioSSRC)
        #expect(audio.count == publisher.audioStatistics.packetsSent)
        #expect(audio.count == 25)
        let depacketizer = OpusDepacketizer(ssrc: c.audioSSRC, payloadType: 111, audioLevelID: 1)
        let decoder = try OpusDecoder(channels: 1)
        for p in audio {
            try p.withUnsafeBytes { bytes in
                let packet = try #require(try depacketizer.depacketize(bytes))
                #expect(packet.lostBefore == 0 && packet.audioLevel != nil)
                #expect(try decoder.decode(packet.payload) == 960)
            }
        }
        #expect(depacketizer.packetsReceived == 25 && depacketizer.packetsLost == 0)

        // Transport-wide sequence numbers: one counter over every stream, in send order.
        let twcc = try sink.packets.map { p in try p.withRTP { rtp in try TransportSequenceNumberExtension(parsing: #require(rtp.extension(id: 3))).sequenceNumber } }
        #expect(twcc == (0 ..< twcc.count).map { UInt16(truncatingIfNeeded: 1 + $0) })
    }

    @Test func rtxPacketsUnwrapToTheOriginals() throws {
        let sink = InMemoryRTPPacketSink()
        var config = SyntheticPublisherConfiguration()
        config.audio = false
        let publisher = try SyntheticPublisher(config, sink: sink)
        for _ in 0 ..< 5 { try publisher.sendNext() }
        let ssrc = publisher.ssrc(ofLayer: 1)
        let originals = try Self.packets(sink, ssrc: ssrc)
        let seqs = try originals.map { try $0.withRTP { $0.sequenceNumber } }
        sink.removeAll()
        let asked = [seqs[0], seqs[2], seqs[seqs.count - 1], seqs[0] &- 1000]
        #expect(publisher.retransmit(ssrc: ssrc, sequenceNumbers: asked, now: 123) == 3)
        #expect(publisher.layerStatistics[1].rtxMisses == 1)
        #expect(sink.packets.count == 3)
        for (k, index) in [0, 2, seqs.count - 1].enumerated() {
            try sink.packets[k].withRTP { rtx in
                #expect(rtx.ssrc == config.rtxSSRCs[1] && rtx.payloadType == 97)
                let (osn, payload) = try RTXPayload.unwrap(rtx)
                #expect(osn == seqs[index])
                try originals[index].withRTP { original in
                    #expect(Array(payload) == Array(original.payload))
                    #expect(rtx.timestamp == original.timestamp && rtx.marker == original.marker)
                }
                let repaired = try RepairedRTPStreamIDExtension(parsing: #require(rtx.extension(id: 11)))
                #expect(repaired.rid.description == "h")
                #expect(rtx.extension(id: 10) == nil)
            }
        }
        // RTX sequence numbers are their own, consecutive.
        let rtxSeqs = try sink.packets.map { try $0.withRTP { $0.sequenceNumber } }
        #expect(rtxSeqs[1] == rtxSeqs[0] &+ 1 && rtxSeqs[2] == rtxSeqs[1] &+ 1)

        // Generic NACK (RFC 4585 §6.2.1): V=2 FMT=1 PT=205 length=3, PID = seqs[1], BLP bit 0 → seqs[1] + 1.
        sink.removeAll()
        var nack: [UInt8] = [0x81, 205, 0, 3, 0, 0, 0, 1]
        nack += [UInt8(ssrc >> 24), UInt8(ssrc >> 16 & 0xFF), UInt8(ssrc >> 8 & 0xFF), UInt8(ssrc & 0xFF)]
        nack += [UInt8(seqs[1] >> 8), UInt8(seqs[1] & 0xFF), 0x00, 0x01]
        try nack.withUnsafeBytes { try publisher.receiveRTCP($0, now: 0) }
        let osns = try sink.packets.map { try $0.withRTP { try RTXPayload.unwrap($0).originalSequenceNumber } }
        #expect(osns == [seqs[1], seqs[1] &+ 1])
    }

    @Test func pliOnLayerTwoGivesAKeyframeOnLayerTwoOnlyAndFIROnLayerZero() throws {
        let sink = InMemoryRTPPacketSink()
        var config = SyntheticPublisherConfiguration()
        config.audio = false
        let publisher = try SyntheticPublisher(config, sink: sink)
        for _ in 0 ..< 6 { try publisher.sendNext() }
        #expect(publisher.layerStatistics.map(\.keyframesSent) == [1, 1, 1])
        // PLI (RFC 4585 §6.3.1): V=2 FMT=1 PT=206 length=2, sender SSRC, media SSRC of layer 2.
        let ssrc2 = publisher.ssrc(ofLayer: 2)
        var pli: [UInt8] = [0x81, 206, 0, 2, 0, 0, 0, 1]
        pli += [UInt8(ssrc2 >> 24), UInt8(ssrc2 >> 16 & 0xFF), UInt8(ssrc2 >> 8 & 0xFF), UInt8(ssrc2 & 0xFF)]
        try pli.withUnsafeBytes { try publisher.receiveRTCP($0, now: 0) }
        #expect(publisher.pendingKeyframeLayers == [2])
        for _ in 0 ..< 3 { try publisher.sendNext() }
        #expect(publisher.layerStatistics.map(\.keyframesSent) == [1, 1, 2])
        #expect(publisher.pendingKeyframeLayers.isEmpty)

        // FIR (RFC 5104 §4.3.1) naming layer 0: V=2 FMT=4 PT=206 length=4, media SSRC 0, FCI (SSRC, seq nr).
        let ssrc0 = publisher.ssrc(ofLayer: 0)
        var fir: [UInt8] = [0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0]
        fir += [UInt8(ssrc0 >> 24), UInt8(ssrc0 >> 16 & 0xFF), UInt8(ssrc0 >> 8 & 0xFF), UInt8(ssrc0 & 0xFF), 1, 0, 0, 0]
        try fir.withUnsafeBytes { try publisher.receiveRTCP($0, now: 0) }
        try publisher.sendNext()
        #expect(publisher.layerStatistics.map(\.keyframesSent) == [2, 1, 2])

        // The receiver sees it: frame 7 of layer 2 and frame 10 of layer 0 are keyframes, all frames decode.
        for layer in 0 ..< 3 {
            let d = VP8Depacketizer(ssrc: publisher.ssrc(ofLayer: layer))
            let decoder = try VP8Decoder()
            var keyframeIndexes: [Int] = []
            var index = 0
            for p in try Self.packets(sink, ssrc: publisher.ssrc(ofLayer: layer)) {
                try p.withUnsafeBytes { _ = try d.insert($0) }
                while let event = d.poll() {
                    guard case .frame(let f) = event else { Issue.record("\(event)"); continue }
                    _ = try decoder.decode(f.data)
                    if f.isKeyframe { keyframeIndexes.append(index) }
                    index += 1
                }
            }
            #expect(keyframeIndexes == [[0, 9], [0], [0, 6]][layer], "layer \(layer)")
        }
    }

    @Test func lossOnOneLayerDropsOneFrameAndTheKeyframeRequestRecovers() throws {
        let sink = InMemoryRTPPacketSink()
        var config = SyntheticPublisherConfiguration()
        config.audio = false
        config.videoLayers = [SimulcastVideoSource.defaultLayers[1]]
        let publisher = try SyntheticPublisher(config, sink: sink)
        for _ in 0 ..< 6 { try publisher.sendNext() }
        let ssrc = publisher.ssrc(ofLayer: 0)
        var packets = try Self.packets(sink, ssrc: ssrc)
        let total = packets.count
        // Lose the first packet of the 4th frame (the first after three frames).
        let starts = try packets.indices.filter { i in try packets[i].withRTP { rtp in try VP8PayloadDescriptor(parsing: rtp.payload).isStartOfFrame } }
        let lostSeq = try packets[starts[3]].withRTP { $0.sequenceNumber }
        packets.remove(at: starts[3])
        let d = VP8Depacketizer(ssrc: ssrc)
        var frames = 0
        var gaps: [FrameAssemblerGap] = []
        for p in packets {
            try p.withUnsafeBytes { _ = try d.insert($0) }
            while let e = d.poll() {
                switch e {
                case .frame: frames += 1
                case .gap(let g):
                    gaps.append(g)
                    // The receiver answers a gap with PLI.
                    publisher.requestKeyframe(layer: 0)
                case .discarded: Issue.record("\(e)")
                }
            }
        }
        d.finish()
        while let e = d.poll() { if case .gap(let g) = e { gaps.append(g); publisher.requestKeyframe(layer: 0) } else if case .frame = e { frames += 1 } }
        #expect(frames == 5)
        #expect(gaps.count == 1 && gaps.first?.firstMissing == lostSeq)
        #expect(total == publisher.layerStatistics[0].packetsSent)
        try publisher.sendNext()
        #expect(publisher.layerStatistics[0].keyframesSent == 2)
    }

    @Test func sendDueFollowsTheGivenClock() throws {
        let sink = InMemoryRTPPacketSink()
        var config = SyntheticPublisherConfiguration()
        config.videoLayers = [SimulcastVideoSource.defaultLayers[0]]
        let publisher = try SyntheticPublisher(config, sink: sink)
        // Due by 99 ms: audio at 0, 20, 40, 60, 80 ms; video at 0, 33.3, 66.7 ms.
        let sent = try publisher.sendDue(now: 99_000_000)
        #expect(sent == sink.packets.count)
        #expect(publisher.audioStatistics.framesSent == 5)
        #expect(publisher.layerStatistics[0].framesSent + publisher.layerStatistics[0].framesSkippedByEncoder == 3)
        #expect(publisher.nextDueTime == 100_000_000)
        // Every packet's abs-send-time is the clock it was sent at.
        for p in sink.packets {
            try p.withRTP { rtp in
                let abs = try AbsSendTimeExtension(parsing: #require(rtp.extension(id: 2)))
                #expect(abs == AbsSendTimeExtension(nanoseconds: 99_000_000))
            }
        }
        #expect(try publisher.sendDue(now: 99_500_000) == 0)

        // Nothing configured: nothing is ever due, and asking for it ends.
        var none = SyntheticPublisherConfiguration()
        none.audio = false
        none.videoLayers = []
        let idle = try SyntheticPublisher(none, sink: sink)
        #expect(try idle.sendNext() == .max)
    }
}
