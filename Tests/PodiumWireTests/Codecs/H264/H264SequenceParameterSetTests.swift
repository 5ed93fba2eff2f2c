import Testing
import PodiumTestSupport
@testable import PodiumWire

/// SPSs written by x264 (ffmpeg 5.1 + libx264 on Debian 12, `-f lavfi -i testsrc=size=WxH`), their
/// sizes checked with ffprobe; and one hand-built SPS cross-checked with ffmpeg's `trace_headers`.
@Suite struct H264SequenceParameterSetTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let hex: String
        let profile: UInt8, constraints: UInt8, level: UInt8
        let width: Int, height: Int
        let chroma: UInt8, frameMBsOnly: Bool
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "constrained baseline 640x480 (-profile:v baseline)",
               hex: "67 42c01e d900a03db0110000030001000003003c0f162e48",
               profile: 66, constraints: 0xC0, level: 30, width: 640, height: 480, chroma: 1, frameMBsOnly: true),
        Vector(name: "high 1920x1080, cropped from 1088",
               hex: "67 640028 acd940780227e5c044000003000400000300f03c60c658",
               profile: 100, constraints: 0, level: 40, width: 1920, height: 1080, chroma: 1, frameMBsOnly: true),
        Vector(name: "high 852x480, cropped from 864 wide",
               hex: "67 64001f acd940d83de7f0110000030001000003003c0f183196",
               profile: 100, constraints: 0, level: 31, width: 852, height: 480, chroma: 1, frameMBsOnly: true),
        Vector(name: "high 4:2:2 640x480 (-pix_fmt yuv422p)",
               hex: "67 7a001e bcd940a03db0110000030001000003003c0f162d96",
               profile: 122, constraints: 0, level: 30, width: 640, height: 480, chroma: 2, frameMBsOnly: true),
        Vector(name: "high 4:4:4 predictive 1280x720 (-pix_fmt yuv444p)",
               hex: "67 f4001f 919b280a00b76022000003000200000300781e30632c",
               profile: 244, constraints: 0, level: 31, width: 1280, height: 720, chroma: 3, frameMBsOnly: true),
        Vector(name: "high 1920x1080 interlaced (-flags +ilme+ildct, tff)",
               hex: "67 640028 acd94078044fde0220000003002000000783e2c5b2c0",
               profile: 100, constraints: 0, level: 40, width: 1920, height: 1080, chroma: 1, frameMBsOnly: false),
        // Hand-built: 4x4 list 0 (deltas 8,0,0,0,-16 ending it), 8x8 list 6 (64 deltas ±1),
        // pic_order_cnt_type 1 with offsets of -2^29 (long zero runs: 4 emulation-prevention bytes
        // inside fields the parser reads), 1280x720 with crop_bottom 4 → 712.
        Vector(name: "hand-built: scaling lists, POC type 1, emulation prevention, crop",
               hex: """
                   67 64 00 1f ad 84 38 21 05 34 d3 4d 34 d3 4d 34 d3 4d 34 d3 4d 34 d3 4d 34 d3 4d 34 d3 4d 34 d3
                   4d 40 00 00 03 00 20 00 00 03 00 da 00 00 03 00 02 00 00 03 00 0a 01 40 16 fe 54
                   """,
               profile: 100, constraints: 0, level: 31, width: 1280, height: 712, chroma: 1, frameMBsOnly: true),
    ]

    fileprivate static func parse(_ bytes: [UInt8]) throws(ParseError) -> H264SequenceParameterSet {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        defer { p.deallocate() }
        p.copyBytes(from: bytes)
        return try H264SequenceParameterSet(parsing: UnsafeRawBufferPointer(rebasing: p[0..<bytes.count]))
    }

    @Test(arguments: vectors)
    func realSPS(v: Vector) throws {
        let sps = try Self.parse(hexBytes(v.hex))
        #expect(sps.profileIDC == v.profile && sps.constraintFlags == v.constraints && sps.levelIDC == v.level)
        #expect(sps.width == v.width && sps.height == v.height)
        #expect(sps.chromaFormatIDC == v.chroma && sps.frameMBsOnly == v.frameMBsOnly)
        #expect(sps.id == 0 && sps.bitDepthLuma == 8 && sps.bitDepthChroma == 8)
    }

    /// Every prefix either parses to the same picture (the cut is after the fields read) or is
    /// reported truncated; nothing else.
    @Test(arguments: vectors)
    func truncatedAtEveryLength(v: Vector) throws {
        let full = hexBytes(v.hex)
        var firstGood: Int? = nil
        for n in 0...full.count {
            do throws(ParseError) {
                let sps = try Self.parse(Array(full.prefix(n)))
                #expect(sps.width == v.width && sps.height == v.height)
                if firstGood == nil { firstGood = n }
            } catch {
                #expect(n == 0 || error.kind == .truncated, "length \(n): \(error)")
                #expect(firstGood == nil, "length \(n) failed after a shorter prefix parsed")
            }
        }
        #expect((firstGood ?? 0) >= 5)
    }

    @Test func rejectsOtherNALTypes() {
        #expect(throws: ParseError(.malformed, at: 0, "not an SPS NAL unit")) { try Self.parse(hexBytes("68 cb 83 cb 20")) }
        #expect(throws: ParseError(.truncated, at: 0, "SPS NAL header")) { try Self.parse([]) }
    }

    @Test func absurdSizesAndCropping() {
        // Baseline 66/0/30, sps id 0, log2_max_frame_num 0, poc type 2, 1 ref frame, no gaps, then:
        // pic_width_in_mbs_minus1 = 4095 (65536 px): over the macroblock limit.
        #expect(Self.kind(hexBytes("67 42 00 1e da 00 04 00 39")) == .limitExceeded)
        // 1501 map units, not frame_mbs_only: 3002 macroblock rows.
        #expect(Self.kind(hexBytes("67 42 00 1e da 40 0b ba 48")) == .limitExceeded)
        // 16x16 picture with frame_crop_left_offset = 8 (x2 = 16 px): nothing left.
        #expect(Self.kind(hexBytes("67 42 00 1e da 7c 4f 40")) == .malformed)
    }

    fileprivate static func kind(_ bytes: [UInt8]) -> ParseError.Kind? {
        do throws(ParseError) { _ = try parse(bytes); return nil } catch { return error.kind }
    }

    // MARK: Bit reader (H.264 §9.1 Exp-Golomb, §7.4.1 emulation prevention)

    @Test(arguments: [
        ("80", UInt32(0)), ("40", 1), ("60", 2), ("20", 3), ("38", 6), ("10", 7),
        ("00 00 00 01 ff ff ff fe", 0xFFFF_FFFE),   // 31 zeros, 1, 31 ones (EP not needed: 01 after 3 zeros is fine)
    ])
    func unsignedExpGolomb(hex: String, value: UInt32) throws {
        let v = try withBytes(hexBytes(hex)) { buf throws(ParseError) -> UInt32 in
            var r = H264BitReader(buf)
            return try r.readUE()
        }
        #expect(v == value)
    }

    @Test func signedExpGolombAndBits() throws {
        // se: 1 → 0, 010 → 1, 011 → -1, 00100 → 2, 00101 → -2; then u(3) = 101.
        let bits = try withBytes(hexBytes("a6 42 d0")) { buf throws(ParseError) -> [Int32] in
            var r = H264BitReader(buf)
            var out: [Int32] = []
            for _ in 0..<5 { out.append(try r.readSE()) }
            out.append(Int32(try r.readBits(3)))
            return out
        }
        #expect(bits == [0, 1, -1, 2, -2, 5])
    }

    @Test func emulationPreventionBytesAreSkipped() throws {
        let v = try withBytes(hexBytes("00 00 03 01 00 00 03 00 00 03 03")) { buf throws(ParseError) -> [UInt32] in
            var r = H264BitReader(buf)
            return [try r.readBits(24), try r.readBits(16), try r.readBits(16), try r.readBits(8)]
        }
        // RBSP: 00 00 01 | 00 00 | 00 00 | 03 (the last 03 follows a removed one, so it stays).
        #expect(v == [0x000001, 0x0000, 0x0000, 0x03])
        // A trailing 03 after two zeros is removed, leaving nothing to read.
        let e = withBytes(hexBytes("00 00 03")) { buf -> ParseError? in
            var r = H264BitReader(buf)
            do throws(ParseError) { _ = try r.readBits(24); return nil } catch { return error }
        }
        #expect(e?.kind == .truncated && e?.offset == 3)
    }

    @Test func expGolombTooLongIsMalformed() {
        let e = withBytes(hexBytes("00 00 00 00 ff")) { buf -> ParseError? in
            var r = H264BitReader(buf)
            do throws(ParseError) { _ = try r.readUE(); return nil } catch { return error }
        }
        #expect(e?.kind == .malformed)
    }
}
