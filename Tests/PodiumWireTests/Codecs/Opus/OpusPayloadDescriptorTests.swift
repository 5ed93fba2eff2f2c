import Testing
import PodiumTestSupport
@testable import PodiumWire

/// RFC 6716 §3.1 TOC table and §3.4 framing rules R1–R7; packets written by libopus 1.3
/// (ffmpeg 5.1 -c:a libopus on Debian 12, taken from the Ogg pages).
@Suite struct OpusPayloadDescriptorTests {
    fileprivate static func parse(_ bytes: [UInt8]) throws(ParseError) -> OpusPayloadDescriptor {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        defer { p.deallocate() }
        p.copyBytes(from: bytes)
        return try OpusPayloadDescriptor(parsing: UnsafeRawBufferPointer(rebasing: p[0..<bytes.count]))
    }

    fileprivate static func kind(_ bytes: [UInt8]) -> ParseError.Kind? {
        do throws(ParseError) { _ = try parse(bytes); return nil } catch { return error.kind }
    }

    fileprivate static func frameSizes(_ bytes: [UInt8]) throws -> [Int] {
        try withBytes(bytes) { buf in
            let d = try OpusPayloadDescriptor(parsing: buf)
            return d.frames(in: buf).map(\.count)
        }
    }

    // MARK: RFC 6716 Table 2, all 32 configurations

    /// config → (mode, bandwidth, samples per frame at 48 kHz).
    static let table: [(OpusTOC.Mode, OpusTOC.Bandwidth, Int)] = [
        (.silk, .narrowband, 480), (.silk, .narrowband, 960), (.silk, .narrowband, 1920), (.silk, .narrowband, 2880),
        (.silk, .mediumband, 480), (.silk, .mediumband, 960), (.silk, .mediumband, 1920), (.silk, .mediumband, 2880),
        (.silk, .wideband, 480), (.silk, .wideband, 960), (.silk, .wideband, 1920), (.silk, .wideband, 2880),
        (.hybrid, .superWideband, 480), (.hybrid, .superWideband, 960),
        (.hybrid, .fullband, 480), (.hybrid, .fullband, 960),
        (.celt, .narrowband, 120), (.celt, .narrowband, 240), (.celt, .narrowband, 480), (.celt, .narrowband, 960),
        (.celt, .wideband, 120), (.celt, .wideband, 240), (.celt, .wideband, 480), (.celt, .wideband, 960),
        (.celt, .superWideband, 120), (.celt, .superWideband, 240), (.celt, .superWideband, 480), (.celt, .superWideband, 960),
        (.celt, .fullband, 120), (.celt, .fullband, 240), (.celt, .fullband, 480), (.celt, .fullband, 960),
    ]

    @Test(arguments: 0..<32)
    func tocConfig(config: Int) throws {
        let (mode, bandwidth, samples) = Self.table[config]
        for stereo in [false, true] {
            let toc = OpusTOC(config: UInt8(config), isStereo: stereo, frameCountCode: 0)
            #expect(toc.byte == UInt8(config) << 3 | (stereo ? 4 : 0))
            #expect(toc.config == UInt8(config) && toc.isStereo == stereo && toc.frameCountCode == 0)
            #expect(toc.mode == mode && toc.bandwidth == bandwidth && toc.frameSamples == samples)
            #expect(toc.frameDurationMicroseconds * 48 == samples * 1000)
            // A 10-byte code 0 packet and a code 3 packet holding the most frames that fit 120 ms.
            let d = try Self.parse([toc.byte] + [UInt8](repeating: 0x55, count: 10))
            #expect(d.frameCount == 1 && d.durationSamples == samples && !d.isDTX && d.isKeyframe && d.isStartOfFrame)
            let most = 5760 / samples
            let full = try Self.parse([toc.byte | 3, UInt8(most)] + [UInt8](repeating: 0x55, count: 2 * most))
            #expect(full.frameCount == most && full.durationSamples == 5760 && full.largestFrameSize == 2)
            #expect(Self.kind([toc.byte | 3, UInt8(most + 1)] + [UInt8](repeating: 0, count: most + 1)) == .limitExceeded)
        }
    }

    // MARK: Real libopus packets

    /// 60 ms at 12 kb/s voip: TOC 0x6b (config 13, hybrid SWB 20 ms, mono, code 3), count 0x83 (VBR, M=3).
    static let vbr60ms = """
        6b 83 3e 2b   // TOC, v=1 p=0 M=3, N1=62, N2=43; N3 = 155 - 4 - 105 = 46
        8202aecc9ed90352d823f3db4b1cc132dd4f36bdd59e6b4774c3f5ebeb0e41179988025de681f03ff035fa9442bc335942954c572c
        024ed0ab62c9c2575eaa7e80d170bed0589aae99197b817310efa09cbcb60361a751a504584e74c5d8272f9551fcb14bcf5a9a999c
        1b43ab3b904562fed26e7004d39e26e056adc17925352673e39be719ba2630d09e9782f0a9c4c26fcd9a0ff308
        """

    @Test func libopusVBRCode3() throws {
        let bytes = hexBytes(Self.vbr60ms)
        #expect(bytes.count == 155)
        let d = try Self.parse(bytes)
        #expect(d.toc.config == 13 && d.toc.mode == .hybrid && d.toc.bandwidth == .superWideband && !d.toc.isStereo)
        #expect(d.frameCount == 3 && d.isVBR && d.paddingLength == 0 && d.durationSamples == 2880)
        #expect(d.frameDataOffset == 4 && d.frameDataEnd == 155 && d.largestFrameSize == 62 && !d.isDTX)
        #expect(try Self.frameSizes(bytes) == [62, 43, 46])
        #expect(d.payloadHeaderSize == 0)
    }

    @Test func libopusCBRCode3WithAndWithoutPadding() throws {
        // 40 ms SILK WB at 12 kb/s with -vbr off: TOC 0x53 (config 10, code 3), M=1.
        let plain = hexBytes("""
            53 01       // config 10, code 3; v=0 p=0 M=1
            c12e5e97f8437e207c931f453f722970e32431b5faf76860fc5636c846f65376036aa58d75c8a98f3f4da3a5aa6e123691c28f625f52cfa79e90
            """)
        let padded = hexBytes("""
            53 41 01    // v=0 p=1 M=1, one byte of padding
            d0a0f86711137fc293744230bcffb734c50e059bdd44546ba18dc6974a03023f5f9e2da091ff6a67c8cbc198f661e41fa3dddb8d358e6d9f00
            """)
        let a = try Self.parse(plain)
        #expect(a.toc.mode == .silk && a.toc.bandwidth == .wideband && a.durationSamples == 1920 && !a.isVBR)
        #expect(try Self.frameSizes(plain) == [58])
        let b = try Self.parse(padded)
        #expect(b.paddingLength == 1 && b.frameDataOffset == 3 && b.frameDataEnd == 59)
        #expect(try Self.frameSizes(padded) == [56])
        #expect(b.description.contains("pad=1"))
    }

    @Test func libopusHybridFullbandCode0() throws {
        let bytes = hexBytes("78  0be4c136ecc58d8c4946999dac00")   // config 15, hybrid FB 20 ms, mono
        let d = try Self.parse(bytes)
        #expect(d.toc.mode == .hybrid && d.toc.bandwidth == .fullband && d.durationSamples == 960)
        #expect(d.frameCount == 1 && d.largestFrameSize == 14 && !d.isDTX)
    }

    // MARK: DTX (libwebrtc IsDtxPacket: size <= 2; ours: every frame <= 1 byte)

    @Test(arguments: [
        ("78", true),                       // TOC only: what libopus emits in DTX
        ("78 0b", true),                    // one 1-byte frame (decoded as lost)
        ("79", true),                       // code 1, two empty frames
        ("7a 00", true),                    // code 2, both frames empty
        ("7b 03", true),                    // code 3 CBR, three empty frames
        ("7b 43 05 00 00 00 00 00", true),  // code 3, empty frames and 5 bytes of padding
        ("7b 83 01 00 aa", true),           // code 3 VBR, frames of 1, 0, 0 bytes
        ("78 0b e4", false),                // a 2-byte frame carries audio
        ("79 0b e4", true),                 // code 1, two 1-byte frames
        ("79 0b e4 01 02", false),          // code 1, two 2-byte frames
    ])
    func dtx(hex: String, expected: Bool) throws {
        #expect(try Self.parse(hexBytes(hex)).isDTX == expected)
    }

    // MARK: Frame packing

    @Test func frameIteration() throws {
        #expect(try Self.frameSizes(hexBytes("79 01 02 03 04")) == [2, 2])
        #expect(try Self.frameSizes(hexBytes("7a 01 aa bb cc")) == [1, 2])
        #expect(try Self.frameSizes([0x7A, 0xFC, 0x01] + [UInt8](repeating: 1, count: 256 + 3)) == [256, 3])
        #expect(try Self.frameSizes(hexBytes("7b 82 02  aa bb  cc")) == [2, 1])
        // VBR, padding 254 + 1 = 255 bytes announced with two length bytes.
        let padded = hexBytes("7b c2 ff 01 01 aa bb") + [UInt8](repeating: 0, count: 255)
        let d = try Self.parse(padded)
        #expect(d.paddingLength == 255 && d.frameDataOffset == 5)
        #expect(try Self.frameSizes(padded) == [1, 1])
    }

    // MARK: Bad input (RFC 6716 §3.4)

    @Test(arguments: [
        ("", ParseError.Kind.truncated),          // R1
        ("79 00", .malformed),                     // R3: odd frame bytes
        ("7a", .truncated),                        // R4: no length
        ("7a fc", .truncated),                     // R4: two-byte length cut
        ("7a 05 00 00", .truncated),               // R4: first frame past the end
        ("7b", .truncated),                        // R5: no count byte
        ("7b 00", .malformed),                     // R5: zero frames
        ("1b 03 00 00 00", .limitExceeded),        // R5: 3 x 60 ms
        ("7b 02 00 00 00", .malformed),            // R6: 3 bytes for 2 CBR frames
        ("7b 82 05 00", .truncated),               // R7: first frame past the end
        ("7b 82", .truncated),                     // R7: no length
        ("7b 41 ff", .truncated),                  // padding length continues past the end
        ("7b 41 05 00", .truncated),               // padding longer than the packet
    ])
    func framingRules(hex: String, kind: ParseError.Kind) {
        #expect(Self.kind(hexBytes(hex)) == kind)
    }

    @Test func frameSizeLimit() {
        #expect(Self.kind([0x78] + [UInt8](repeating: 0, count: 1275)) == nil)
        #expect(Self.kind([0x78] + [UInt8](repeating: 0, count: 1276)) == .limitExceeded)
        #expect(Self.kind([0x79] + [UInt8](repeating: 0, count: 2552)) == .limitExceeded)
        #expect(Self.kind([0x7A, 0x00] + [UInt8](repeating: 0, count: 1276)) == .limitExceeded)
        #expect(Self.kind([0x7B, 0x01] + [UInt8](repeating: 0, count: 1276)) == .limitExceeded)
        #expect(Self.kind([0x7B, 0x82, 0x00] + [UInt8](repeating: 0, count: 1276)) == .limitExceeded)
    }

    @Test func truncatedAtEveryLength() throws {
        let full = hexBytes(Self.vbr60ms)
        for n in 0..<full.count {
            let prefix = Array(full.prefix(n))
            if n < 4 + 62 + 43 {
                #expect(Self.kind(prefix) == .truncated, "length \(n)")
            } else {
                // Cutting the last VBR frame still leaves a valid (shorter) third frame.
                #expect(try Self.frameSizes(prefix) == [62, 43, n - 109])
            }
        }
    }
}
