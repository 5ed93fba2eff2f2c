import Testing
import PodiumTestSupport
@testable import PodiumWire

@Suite struct VP8PayloadDescriptorTests {
    private static func parse(_ hex: String) throws(ParseError) -> VP8PayloadDescriptor {
        let bytes = hexBytes(hex)
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        defer { p.deallocate() }
        p.copyBytes(from: bytes)
        return try VP8PayloadDescriptor(parsing: UnsafeRawBufferPointer(rebasing: p[0..<bytes.count]))
    }

    private static func parseError(_ bytes: [UInt8]) -> ParseError? {
        withBytes(bytes) { buf -> ParseError? in
            do throws(ParseError) { _ = try VP8PayloadDescriptor(parsing: buf); return nil } catch { return error }
        }
    }

    private static func encode(_ d: VP8PayloadDescriptor) throws -> [UInt8] {
        var out = [UInt8](repeating: 0xEE, count: 16)
        let n = try out.withUnsafeMutableBytes { try d.write(into: $0) }
        #expect(n == d.encodedSize)
        return Array(out[0..<n])
    }

    /// First 10 bytes of a real libvpx key frame, 640x480 (ffmpeg -c:v libvpx, first IVF frame).
    private static let keyframe640x480 = "b0 ba 00   9d 01 2a   80 02   e0 01"
    /// First bytes of the following real libvpx inter frame (P=1, show_frame, partition 0 = 65 bytes).
    private static let interframe = "31 08 00 0f 11 fc"

    // MARK: RFC 7741 §4.6 examples (descriptor bits as drawn in the figures)

    @Test func rfc7741KeyFrameInSinglePacket() throws {
        let d = try Self.parse("""
            90          // X=1 S=1 PID=0
            80          // I=1
            11          // M=0 PictureID=17
            \(Self.keyframe640x480)
            """)
        #expect(d.hasExtension && d.isStartOfPartition && d.partitionIndex == 0 && !d.isNonReference)
        #expect(d.pictureID == 17 && !d.hasLongPictureID)
        #expect(d.tl0PicIndex == nil && d.temporalLayerID == nil && d.keyIndex == nil)
        #expect(d.payloadHeaderSize == 3)
        #expect(d.isStartOfFrame && d.isKeyframe)
        #expect(d.frameHeader?.dimensions == .init(width: 640, height: 480))
        #expect(d.frameHeader?.firstPartitionSize == 1493)
        #expect(d.frameHeader?.showFrame == true)
    }

    @Test func rfc7741InterframeWithoutPictureID() throws {
        let d = try Self.parse("""
            10          // X=0 S=1 PID=0
            \(Self.interframe)
            """)
        #expect(!d.hasExtension && d.pictureID == nil && d.payloadHeaderSize == 1)
        #expect(d.isStartOfFrame && !d.isKeyframe)
        #expect(d.frameHeader == VP8FrameHeader(keyframe: nil, firstPartitionSize: 65))
    }

    @Test func rfc7741PartitionsAndFragmentsWithLongPictureID() throws {
        // PictureID 4711 = 0x1267 in 15 bits, M=1.
        let first = try Self.parse("90 80 92 67  \(Self.interframe)")     // S=1 PID=0
        let secondPartition = try Self.parse("91 80 92 67  aa bb")      // S=1 PID=1
        let continuation = try Self.parse("80 80 92 67  aa bb")         // S=0 PID=0
        for d in [first, secondPartition, continuation] {
            #expect(d.pictureID == 4711 && d.hasLongPictureID && d.payloadHeaderSize == 4)
        }
        #expect(first.isStartOfFrame && first.frameHeader != nil)
        #expect(!secondPartition.isStartOfFrame && secondPartition.partitionIndex == 1 && secondPartition.frameHeader == nil)
        #expect(!continuation.isStartOfFrame && !continuation.isKeyframe && continuation.frameHeader == nil)
    }

    // MARK: Chromium-shaped packets (15-bit picture id, TL0PICIDX, TID)

    @Test func chromiumKeyframeFirstPacket() throws {
        let d = try Self.parse("""
            90          // X=1 S=1 PID=0
            e0          // I=1 L=1 T=1 K=0
            ab 56       // M=1 PictureID=0x2b56
            2f          // TL0PICIDX=47
            20          // TID=0 Y=1 KEYIDX=0 (ignored, K=0)
            \(Self.keyframe640x480)
            """)
        #expect(d.pictureID == 0x2B56 && d.hasLongPictureID)
        #expect(d.tl0PicIndex == 47 && d.temporalLayerID == 0 && d.isLayerSync && d.keyIndex == nil)
        #expect(d.payloadHeaderSize == 6)
        #expect(d.pictureIDOffset == 2 && d.tl0PicIndexOffset == 4 && d.temporalKeyIndexOffset == 5)
        #expect(d.isKeyframe && d.frameHeader?.dimensions?.width == 640 && d.frameHeader?.dimensions?.height == 480)
        #expect(d.description.contains("640x480"))
    }

    @Test func chromiumTemporalLayerTwoContinuation() throws {
        let d = try Self.parse("""
            a0          // X=1 N=1 S=0 PID=0
            e0          // I L T
            ab 59       // PictureID=0x2b59
            2f          // TL0PICIDX=47
            80          // TID=2 Y=0
            de ad be ef
            """)
        #expect(d.isNonReference && !d.isStartOfFrame && !d.isKeyframe)
        #expect(d.temporalLayerID == 2 && !d.isLayerSync && d.frameHeader == nil)
    }

    @Test(arguments: [
        // hex, tid, Y, keyIdx, tl0, size
        ("90 10 ff     31 08 00", UInt8?.none, false, UInt8?(31), UInt8?.none, 3),  // T=0 K=1: TID/Y ignored
        ("90 20 ff     31 08 00", UInt8?(3), true, UInt8?.none, UInt8?.none, 3),    // T=1 K=0: KEYIDX ignored
        ("90 70 07 65  31 08 00", UInt8?(1), true, UInt8?(5), UInt8?(7), 4),        // L T K
        ("90 40 07     31 08 00", UInt8?.none, false, UInt8?.none, UInt8?(7), 3),   // L only
        ("90 00        31 08 00", UInt8?.none, false, UInt8?.none, UInt8?.none, 2), // X=1 with nothing
    ])
    func extensionCombinations(hex: String, tid: UInt8?, y: Bool, keyIdx: UInt8?, tl0: UInt8?, size: Int) throws {
        let d = try Self.parse(hex)
        #expect(d.temporalLayerID == tid && d.isLayerSync == y && d.keyIndex == keyIdx && d.tl0PicIndex == tl0)
        #expect(d.payloadHeaderSize == size)
        #expect(d.hasExtension)
    }

    // MARK: Round trips

    @Test(arguments: ["90 80 11", "10", "90 80 92 67", "91 80 92 67", "a0 e0 ab 59 2f 80", "90 e0 ab 56 2f 20",
                      "90 70 07 65", "90 00", "90 40 07", "b7 f0 ff ff ff ff"])
    func writeReproducesDescriptor(hex: String) throws {
        let bytes = hexBytes(hex)
        let d = try Self.parse(hex + " \(Self.keyframe640x480)")
        #expect(try Self.encode(d) == bytes)
    }

    @Test func writerBuildsDescriptorFromFields() throws {
        let d = VP8PayloadDescriptor(pictureID: 0x2B56, tl0PicIndex: 47, temporalLayerID: 0, isLayerSync: true)
        #expect(hexString(try Self.encode(d)) == "90e0ab562f20")
        let short = VP8PayloadDescriptor(isStartOfPartition: false, pictureID: 17, hasLongPictureID: false)
        #expect(hexString(try Self.encode(short)) == "808011")
        let bare = VP8PayloadDescriptor()
        #expect(try Self.encode(bare) == [0x10])
        var tiny = [UInt8](repeating: 0, count: 5)
        #expect(throws: BufferTooSmall(needed: 6, available: 5)) { try tiny.withUnsafeMutableBytes { try d.write(into: $0) } }
        #expect(tiny == [0, 0, 0, 0, 0])
    }

    @Test func frameHeaderRoundTrip() throws {
        for hex in [Self.keyframe640x480, "31 08 00", "b0 ba 00 9d 01 2a 80 42 e0 c1"] {
            let bytes = hexBytes(hex)
            let h = try withBytes(bytes) { try VP8FrameHeader(parsing: $0) }
            var out = [UInt8](repeating: 0, count: 10)
            let n = try out.withUnsafeMutableBytes { try h.write(into: $0) }
            #expect(Array(out[0..<n]) == bytes)
        }
        let scaled = try withBytes(hexBytes("b0 ba 00 9d 01 2a 80 42 e0 c1")) { try VP8FrameHeader(parsing: $0) }
        #expect(scaled.dimensions == .init(width: 640, height: 480, horizontalScale: 1, verticalScale: 3))
        let built = VP8FrameHeader(keyframe: .init(width: 1280, height: 720), firstPartitionSize: 0x7FFFF)
        var out = [UInt8](repeating: 0, count: 10)
        _ = try out.withUnsafeMutableBytes { try built.write(into: $0) }
        #expect(hexString(out) == "f0ffff9d012a0005d002")
    }

    // MARK: In-place rewriting

    private static func rewritten(_ hex: String, _ body: (VP8PayloadDescriptor, UnsafeMutableRawBufferPointer) -> Void) throws -> (VP8PayloadDescriptor, [UInt8]) {
        var bytes = hexBytes(hex)
        let d = try Self.parse(hex)
        bytes.withUnsafeMutableBytes { body(d, $0) }
        let again = try withBytes(bytes) { try VP8PayloadDescriptor(parsing: $0) }
        return (again, bytes)
    }

    @Test func rewriteLongPictureIDTL0AndKeyIndex() throws {
        let (d, bytes) = try Self.rewritten("90 f0 ab 56 2f 65  \(Self.keyframe640x480)") { d, p in
            #expect(d.rewritePictureID(0x7FFF, in: p))
            #expect(d.rewriteTL0PicIndex(0xFF, in: p))
            #expect(d.rewriteKeyIndex(0x1E, in: p))
        }
        #expect(hexString(bytes.prefix(6)) == "90f0ffffff7e")        // TID=1 Y=1 kept, KEYIDX=30
        #expect(d.pictureID == 0x7FFF && d.tl0PicIndex == 0xFF && d.keyIndex == 30)
        #expect(d.temporalLayerID == 1 && d.isLayerSync && d.isKeyframe)
    }

    @Test func rewriteShortPictureIDTruncatesAndReportsFit() throws {
        let (d, bytes) = try Self.rewritten("90 80 11  \(Self.interframe)") { d, p in
            #expect(d.pictureIDMask == 0x7F)
            #expect(d.canHold(pictureID: 0x7F) && !d.canHold(pictureID: 0x80) && !d.canHold(pictureID: 0x2B56))
            #expect(d.rewritePictureID(0x2B56, in: p))
            #expect(!d.rewriteTL0PicIndex(1, in: p))
            #expect(!d.rewriteKeyIndex(1, in: p))
        }
        #expect(bytes[2] == 0x56 && d.pictureID == 0x56 && !d.hasLongPictureID)
        #expect(hexString(bytes.suffix(6)) == "3108000f11fc")
    }

    @Test func rewriteWithoutPictureIDWritesNothing() throws {
        let (d, bytes) = try Self.rewritten("10 \(Self.interframe)") { d, p in
            #expect(d.pictureIDMask == 0 && !d.canHold(pictureID: 0))
            #expect(!d.rewritePictureID(5, in: p))
        }
        #expect(d.pictureID == nil && hexString(bytes) == "10" + "3108000f11fc")
    }

    @Test func pictureIDWrapsAtFieldWidth() throws {
        for (hex, mask) in [("80 80 80 00 aa", UInt16(0x7FFF)), ("80 80 00 aa", UInt16(0x7F))] {
            var bytes = hexBytes(hex)
            let d = try Self.parse(hex)
            for start in [Int(mask) - 3, Int(mask) - 1] {
                for step in 0..<6 {
                    let id = UInt16(truncatingIfNeeded: start + step)
                    bytes.withUnsafeMutableBytes { _ = d.rewritePictureID(id, in: $0) }
                    let again = try withBytes(bytes) { try VP8PayloadDescriptor(parsing: $0) }
                    #expect(again.pictureID == id & mask)
                    #expect(again.hasLongPictureID == (mask == 0x7FFF))
                }
            }
        }
    }

    // MARK: Bad input

    @Test func truncatedAtEveryLength() throws {
        let full = hexBytes("90 f0 ab 56 2f 65  \(Self.keyframe640x480)")
        _ = try withBytes(full) { try VP8PayloadDescriptor(parsing: $0) }
        for n in 0..<full.count {
            #expect(Self.parseError(Array(full.prefix(n)))?.kind == .truncated, "length \(n)")
        }
        let inter = hexBytes("90 80 80 01  31 08 00")
        for n in 0..<inter.count {
            #expect(Self.parseError(Array(inter.prefix(n)))?.kind == .truncated, "length \(n)")
        }
    }

    @Test func emptyVP8PayloadIsRejected() {
        #expect(Self.parseError(hexBytes("80 80 11")) == ParseError(.truncated, at: 3, "VP8 payload after descriptor"))
        // A continuation packet needs no frame header, only one byte of payload.
        #expect(Self.parseError(hexBytes("80 80 11 00")) == nil)
    }

    @Test func keyframeWithBadStartCodeIsMalformed() {
        let e = Self.parseError(hexBytes("10  b0 ba 00  9d 01 2b  80 02 e0 01"))
        #expect(e?.kind == .malformed && e?.offset == 4)
    }

    @Test func layoutStaysSmall() {
        #expect(MemoryLayout<VP8PayloadDescriptor>.size <= 40)
    }
}
