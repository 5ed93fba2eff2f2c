import Foundation
import PodiumMedia
import Testing

@Suite struct OggContainerTests {
    static func readPackets(_ bytes: [UInt8]) -> (packets: [OggPacket], error: ContainerError?) {
        let r = OggReader(bytes: bytes)
        var out: [OggPacket] = []
        do throws(ContainerError) {
            while let p = try r.next() { out.append(p) }
            return (out, nil)
        } catch { return (out, error) }
    }

    static func readOpus(_ bytes: [UInt8]) -> (reader: OggOpusReader?, packets: [OggOpusPacket], error: ContainerError?) {
        var out: [OggOpusPacket] = []
        var reader: OggOpusReader?
        do throws(ContainerError) {
            let r = try OggOpusReader(bytes: bytes)
            reader = r
            while let p = try r.next() { out.append(p) }
            return (r, out, nil)
        } catch { return (reader, out, error) }
    }

    @Test func crcIsTheOggVariant() {
        // CRC-32 with polynomial 0x04C11DB7, unreflected, init 0, no final XOR: the check value of
        // "123456789" is 0x89A1897F (the complement of CRC-32/CKSUM's 0x765E7680), not zlib's 0xCBF43926.
        #expect(OggCRC.checksum(Array("123456789".utf8)) == 0x89A1_897F)
        #expect(OggCRC.checksum([]) == 0)
    }

    @Test func packetsSpanPagesAndLacingEdgeCases() throws {
        let out = MediaOutput()
        let w = OggWriter(output: out, serial: 0x1234_5678)
        let big = (0..<70000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let sizes = [0, 255, 510, 1, 254, 70000, 3, 65025, 2]
        var granule: Int64 = 0
        for n in sizes {
            granule += 960
            try w.append(Array(big[0..<n]), granulePosition: granule)
        }
        try w.finish()
        let (packets, error) = Self.readPackets(out.bytes)
        #expect(error == nil)
        #expect(packets.map(\.data.count) == sizes)
        for p in packets { #expect(p.data == Array(big[0..<p.data.count])) }
        #expect(packets.first?.isFirst == true)
        #expect(packets.last?.isLast == true)
        #expect(packets.last?.granulePosition == granule)
        // A packet spanning pages: the pages it does not end on carry granule -1, and the reader
        // gives each packet at most one page granule.
        #expect(packets.filter { $0.granulePosition >= 0 }.count <= packets.count)
        let r = OggReader(bytes: out.bytes)
        while try r.next() != nil {}
        #expect(r.pageCount >= 3)
    }

    @Test func opusHeadAndTagsRoundTrip() throws {
        var head = OpusHead(channelCount: 2, preSkip: 3840, inputSampleRate: 44100, outputGain: -256)
        #expect(try OpusHead(parsing: head.encoded()) == head)
        head.mappingFamily = 1; head.streamCount = 2; head.coupledCount = 0; head.channelMapping = [0, 1]
        #expect(try OpusHead(parsing: head.encoded()) == head)
        let tags = OpusTags(vendor: "Podium", comments: ["TITLE=webinar", "ARTIST=Ada"])
        #expect(try OpusTags(parsing: tags.encoded()) == tags)
        var lying = tags.encoded()
        lying[8] = 0xFF; lying[9] = 0xFF   // vendor length 65535
        #expect(throws: ContainerError.self) { try OpusTags(parsing: lying) }
        #expect(throws: ContainerError.self) { try OpusHead(parsing: Array("OpusHead".utf8) + [1, 0]) }
        // Opus TOC durations (RFC 6716 §3.1): config 31 CELT 20 ms code 0; config 0 SILK 10 ms code 1;
        // code 3 with 3 frames of 20 ms.
        #expect(opusPacketDurationSamples([0xF8, 0]) == 960)
        #expect(opusPacketDurationSamples([0x01, 0, 0]) == 960)
        #expect(opusPacketDurationSamples([0xFB, 0x03]) == 2880)
        #expect(opusPacketDurationSamples([0xFB]) == nil)
    }

    @Test func badPagesAreTypedErrors() throws {
        let out = MediaOutput()
        let w = try OggOpusWriter(output: out, head: OpusHead(channelCount: 1), serial: 7)
        for _ in 0..<100 { try w.append([0xF8] + [UInt8](repeating: 0x55, count: 40)) }
        try w.finish()
        let good = out.bytes
        #expect(Self.readOpus(good).error == nil)
        #expect(Self.readOpus(good).packets.count == 100)

        var b = good; b[good.count - 3] ^= 0x40          // body byte → CRC mismatch
        #expect(Self.readPackets(b).error?.kind == .integrity)
        b = good; b[0] = 0x50                              // capture pattern
        #expect(Self.readPackets(b).error?.kind == .malformed)
        b = good; b[4] = 1                                 // version
        #expect(Self.readPackets(b).error?.kind == .unsupported)
        #expect(Self.readOpus(Array(good[0..<20])).error?.kind == .truncated)
        #expect(Self.readOpus([]).error?.kind == .truncated)
    }

    @Test(.enabled(if: ContainerTestMedia.available))
    func ffmpegOggOpusReadsAndRewrites() throws {
        let files = try #require(ContainerTestMedia.files)
        let original = ContainerTestMedia.bytes(files.ogg)
        let (reader, packets, error) = Self.readOpus(original)
        #expect(error == nil)
        let r = try #require(reader)
        #expect(r.head.channelCount == 1 && r.head.preSkip == 312 && r.head.inputSampleRate == 48000)
        #expect(r.tags.vendor.hasPrefix("Lavf"))

        // Same packets as ffprobe sees (it drops nothing; pts shifted by pre-skip: ffprobe's start is -312).
        let probe = ContainerTestMedia.packets(files.ogg)
        #expect(probe.count == packets.count)
        #expect(probe.map(\.size) == packets.map(\.data.count))
        #expect(packets.first?.pts == 0)
        for (p, q) in zip(packets, probe) { #expect(q.pts == p.pts - Int64(r.head.preSkip)) }
        // 3 s of audio + pre-skip, trimmed at the end by the final granule.
        let end = try #require(packets.last).pts + Int64(try #require(packets.last).duration)
        #expect(end == 144_000 + 312)

        // The streaming file reader gives the same packets.
        let fileReader = try OggOpusReader(path: files.ogg)
        var fromFile: [OggOpusPacket] = []
        while let p = try fileReader.next() { fromFile.append(p) }
        #expect(fromFile == packets)

        // Rewrite: same packets, timestamps and final granule; ffprobe and ffmpeg agree.
        let path = ContainerTestMedia.scratchPath("out.opus")
        let w = try OggOpusWriter(output: MediaOutput(path: path), head: r.head, tags: r.tags, serial: r.serial)
        for p in packets { try w.append(p.data, duration: p.duration) }
        try w.finish()
        let (r2, back, error2) = Self.readOpus(ContainerTestMedia.bytes(path))
        #expect(error2 == nil)
        #expect(r2?.head == r.head && r2?.tags == r.tags)
        #expect(back.map(\.data) == packets.map(\.data))
        #expect(back.map(\.pts) == packets.map(\.pts))
        #expect(back.map(\.duration) == packets.map(\.duration))
        #expect(back.last?.granulePosition == packets.last?.granulePosition)
        let a = ContainerTestMedia.probe(files.ogg), b = ContainerTestMedia.probe(path)
        #expect(b.codecs == ["opus"])
        #expect(abs((a.duration ?? 0) - (b.duration ?? -1)) < 0.001)
        #expect(ContainerTestMedia.packets(path) == probe)
        let decoded = ContainerTestMedia.decodeErrors(path)
        #expect(decoded.status == 0 && decoded.errors.isEmpty, "\(decoded.errors)")
    }

    @Test(.enabled(if: ContainerTestMedia.available))
    func truncatedAndCorruptedFilesGiveTypedErrors() throws {
        let files = try #require(ContainerTestMedia.files)
        let original = ContainerTestMedia.bytes(files.ogg)
        let full = Self.readOpus(original).packets
        for cut in stride(from: 0, to: original.count, by: 53) {
            let r = Self.readOpus(Array(original[0..<cut]))
            // Cut mid-page: a typed error; cut at a page boundary: fewer packets, no error.
            if let e = r.error { #expect(e.kind == .truncated, "cut at \(cut): \(e)") }
            #expect(r.packets.count <= full.count)
            #expect(zip(r.packets, full).allSatisfy { $0.data == $1.data && $0.pts == $1.pts })
        }
        var rng = SplitMix(seed: 7)
        var integrity = 0
        for _ in 0..<300 {
            var b = original
            b[Int(rng.next() % UInt64(b.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            let r = Self.readOpus(b)
            if r.error?.kind == .integrity { integrity += 1 }
        }
        // Nearly every flip is caught by a page CRC (flips in the header fields may fail earlier).
        #expect(integrity > 200)
    }
}
