import Testing
import PodiumTestSupport
@testable import PodiumWire

/// RFC 6184 packetizations built by hand around real x264 NAL units (ffmpeg 5.1 + libx264, Debian 12:
/// `ffmpeg -f lavfi -i testsrc=size=640x480 -c:v libx264 -profile:v baseline -f h264`).
@Suite struct H264PayloadDescriptorTests {
    /// Constrained Baseline 640x480 level 3.0 SPS and its PPS, from the stream above.
    fileprivate static let sps640 = "67 42 c0 1e d9 00 a0 3d b0 11 00 00 03 00 01 00 00 03 00 3c 0f 16 2e 48"
    fileprivate static let pps640 = "68 cb 83 cb 20"
    /// First bytes of that stream's IDR slice and of its next P slice.
    fileprivate static let idrSlice = "65 88 84 09 f2 62 80 00 a1 6c 9c 92"
    fileprivate static let pSlice = "41 9a 38 13 e0 6f 86 02"

    fileprivate static func parse(_ hex: String) throws(ParseError) -> H264PayloadDescriptor {
        let bytes = hexBytes(hex)
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        defer { p.deallocate() }
        p.copyBytes(from: bytes)
        return try H264PayloadDescriptor(parsing: UnsafeRawBufferPointer(rebasing: p[0..<bytes.count]))
    }

    fileprivate static func parseError(_ bytes: [UInt8]) -> ParseError? {
        withBytes(bytes) { buf -> ParseError? in
            do throws(ParseError) { _ = try H264PayloadDescriptor(parsing: buf); return nil } catch { return error }
        }
    }

    // MARK: RFC 6184 §5.6 single NAL unit packets

    @Test func singleIDRSlice() throws {
        let d = try Self.parse(Self.idrSlice)
        #expect(d.packetization == .singleNALUnit && d.payloadHeaderSize == 0)
        #expect(d.nalUnitHeader == H264NALUnitHeader(nri: 3, type: 5) && d.indicator == d.nalUnitHeader)
        #expect(d.hasIDR && !d.hasSPS && !d.hasPPS && d.isKeyframe && d.isStartOfFrame)
        #expect(d.isFragmentStart && d.isFragmentEnd && d.nalUnitCount == 1)
    }

    @Test func singlePSliceIsDeltaFrameStart() throws {
        let d = try Self.parse(Self.pSlice)
        #expect(d.nalUnitHeader.type == 1 && d.nalUnitHeader.nri == 2)
        #expect(!d.isKeyframe && d.isStartOfFrame)
    }

    @Test func secondSliceOfFrameIsNotAStart() throws {
        // first_mb_in_slice = ue(40) = 00000 101001.
        let d = try Self.parse("65  05 20 ff ff")
        #expect(d.hasIDR && d.isKeyframe && !d.isStartOfFrame)
    }

    @Test func singleSPSIsParsedButNotAKeyframeAlone() throws {
        let d = try Self.parse(Self.sps640)
        #expect(d.hasSPS && !d.hasPPS && !d.isKeyframe && d.isStartOfFrame)
        #expect(d.sps?.width == 640 && d.sps?.height == 480 && d.sps?.isConstrainedBaseline == true)
        #expect(d.description.contains("640x480"))
    }

    // MARK: RFC 6184 §5.7.1 STAP-A

    fileprivate static let stapA = """
        78                  // F=0 NRI=3 type=24 (STAP-A)
        00 18               // NALU 1 size 24
        \(sps640)
        00 05               // NALU 2 size 5
        \(pps640)
        """

    @Test func stapAWithSPSAndPPSIsKeyframe() throws {
        let d = try Self.parse(Self.stapA)
        #expect(d.packetization == .stapA && d.payloadHeaderSize == 1 && d.nalUnitCount == 2)
        #expect(d.hasSPS && d.hasPPS && !d.hasIDR && d.isKeyframe && d.isStartOfFrame)
        #expect(d.nalUnitHeader.type == 7)
        #expect(d.sps?.profileIDC == 66 && d.sps?.constraintFlags == 0xC0 && d.sps?.levelIDC == 30)
        let units = try withBytes(hexBytes(Self.stapA)) { buf in
            try H264PayloadDescriptor.NALUnits(parsing: buf).map { hexString($0) }
        }
        #expect(units == [hexString(hexBytes(Self.sps640)), hexString(hexBytes(Self.pps640))])
    }

    @Test func stapAWriterReproducesPacket() throws {
        var out = [UInt8](repeating: 0, count: 64)
        let n = try out.withUnsafeMutableBytes { buf throws -> Int in
            var stap = try H264PayloadWriter.STAPA(into: buf)
            try withBytes(hexBytes("48 00 01")) { try stap.append($0) }            // NRI=2 filler-ish unit
            #expect(buf[0] == 0x58)
            try withBytes(hexBytes(Self.pps640)) { try stap.append($0) }           // NRI=3 raises it
            #expect(stap.count == 2)
            return stap.encodedSize
        }
        #expect(hexString(out.prefix(n)) == "780003480001000568cb83cb20")
        var small = [UInt8](repeating: 0, count: 4)
        #expect(throws: BufferTooSmall(needed: 8, available: 4)) {
            try small.withUnsafeMutableBytes { buf in
                var stap = try H264PayloadWriter.STAPA(into: buf)
                try withBytes(hexBytes(Self.pps640)) { try stap.append($0) }
            }
        }
    }

    @Test(arguments: [
        ("78", ParseError.Kind.malformed),                        // no units
        ("78 00 00 65", .malformed),                               // zero-size unit
        ("78 00 05 68 cb", .truncated),                            // size past the end
        ("78 00 02 68 cb 00", .truncated),                         // one byte of a size
        ("78 00 02 7c 85", .malformed),                            // FU-A inside STAP-A
        ("78 00 02 78 00", .malformed),                            // STAP-A inside STAP-A
        ("78 00 01 00", .malformed),                               // type 0
    ])
    func badSTAPA(hex: String, kind: ParseError.Kind) {
        #expect(Self.parseError(hexBytes(hex))?.kind == kind)
    }

    @Test func stapATruncatedAtEveryLength() {
        let full = hexBytes(Self.stapA)
        #expect(Self.parseError(full) == nil)
        #expect(Self.parseError([])?.kind == .truncated)
        #expect(Self.parseError([0x78])?.kind == .malformed)
        for n in 2..<full.count where n != 27 {
            #expect(Self.parseError(Array(full.prefix(n)))?.kind == .truncated, "length \(n)")
        }
        #expect(Self.parseError(Array(full.prefix(27))) == nil)  // exactly the SPS unit
    }

    // MARK: RFC 6184 §5.8 FU-A

    @Test func fuAFragmentsOfIDR() throws {
        let start = try Self.parse("7c 85  88 84 09 f2")   // FU indicator NRI=3 type 28; S=1 type 5
        let middle = try Self.parse("7c 05  aa bb")
        let end = try Self.parse("7c 45  cc")
        #expect(start.packetization == .fuA && start.payloadHeaderSize == 2)
        #expect(start.nalUnitHeader.byte == 0x65 && start.indicator.byte == 0x7C)
        #expect(start.isFragmentStart && !start.isFragmentEnd && start.isStartOfFrame && start.isKeyframe)
        #expect(!middle.isFragmentStart && !middle.isFragmentEnd && !middle.isStartOfFrame && middle.hasIDR)
        #expect(end.isFragmentEnd && !end.isStartOfFrame)
        #expect(start.description.contains("S") && end.description.contains("E"))
    }

    @Test func fuAOfSecondSliceIsNotAFrameStart() throws {
        #expect(try !Self.parse("5c 81  05 20").isStartOfFrame)
        #expect(try Self.parse("5c 81  9a 38").isStartOfFrame)
        #expect(try !Self.parse("5c 81").isStartOfFrame)         // empty start fragment: unknown
    }

    @Test func fuAWriterHeader() throws {
        var out = [UInt8](repeating: 0, count: 2)
        for (start, end, hex) in [(true, false, "7c85"), (false, false, "7c05"), (false, true, "7c45")] {
            _ = try out.withUnsafeMutableBytes {
                try H264PayloadWriter.writeFUAHeader(for: H264NALUnitHeader(0x65), start: start, end: end, into: $0)
            }
            #expect(hexString(out) == hex)
            let d = try withBytes(out + [0x88]) { try H264PayloadDescriptor(parsing: $0) }
            #expect(d.nalUnitHeader.byte == 0x65)
        }
    }

    @Test(arguments: [
        ("7c c5 00", ParseError.Kind.malformed),   // S and E both set
        ("7c", .truncated),                          // no FU header
        ("7c 98 00", .malformed),                    // fragmenting a STAP-A
        ("7c 80 00", .malformed),                    // type 0
    ])
    func badFUA(hex: String, kind: ParseError.Kind) {
        #expect(Self.parseError(hexBytes(hex))?.kind == kind)
    }

    // MARK: Unsupported packetizations

    @Test(arguments: [UInt8(0x79), 0x7A, 0x7B, 0x7D, 0x60, 0x7E, 0x7F])
    func interleavedAndUndefinedAreUnsupported(first: UInt8) {
        #expect(Self.parseError([first, 0x00, 0x02, 0x65, 0x88])?.kind == .unsupported)
    }

    @Test func emptyPayload() {
        #expect(Self.parseError([]) == ParseError(.truncated, at: 0, "H.264 payload"))
    }

    @Test func badSPSInsideSTAPAReportsPacketOffset() {
        // SPS (profile 100) with chroma_format_idc = ue(0001000) = 7.
        let e = Self.parseError(hexBytes("78 00 06  67 64 00 1f 88 50"))
        #expect(e?.kind == .malformed && e?.offset ?? 0 >= 3)
    }
}
