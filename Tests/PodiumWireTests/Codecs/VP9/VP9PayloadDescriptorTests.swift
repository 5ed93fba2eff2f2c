import Testing
import PodiumTestSupport
@testable import PodiumWire

/// VP9 payload descriptor (RFC 9628 §4.2). Each vector is laid out field by field as in the RFC's
/// descriptor and SS figures; the picture group is libwebrtc's 3-temporal-layer GOF
/// (`kTemporalStructureMode3`: TIDs 0,2,1,2, U 0,1,1,0, P_DIFFs {4},{1},{2},{1,2}).
@Suite struct VP9PayloadDescriptorTests {
    /// Non-flexible mode, L1T3 delta frame.
    private static let nonFlexible = """
        ec        // I=1 P=1 L=1 F=0 B=1 E=1 V=0 Z=0
        92 34     // M=1 picture id 0x1234
        50        // TID=2 U=1 SID=0 D=0
        07        // TL0PICIDX=7
        aa        // VP9 bitstream
        """
    /// Flexible mode: 7-bit picture id and three reference diffs.
    private static let flexible = """
        dc        // I=1 P=1 L=0 F=1 B=1 E=1 V=0 Z=0
        15        // M=0 picture id 21
        03        // P_DIFF=1 N=1
        05        // P_DIFF=2 N=1
        08        // P_DIFF=4 N=0
        aa
        """
    /// Flexible mode with layer indices: no TL0PICIDX.
    private static let flexibleLayers = """
        f8        // I=1 P=1 L=1 F=1 B=1 E=0 V=0 Z=0
        80 01     // picture id 1 (15-bit)
        23        // TID=1 U=0 SID=1 D=1
        02        // P_DIFF=1 N=0
        aa
        """
    /// First packet of an L3T3 key picture with the scalability structure.
    private static let keyWithSS = """
        aa        // I=1 P=0 L=1 F=0 B=1 E=0 V=1 Z=0
        ff ff     // picture id 0x7FFF
        00        // TID=0 U=0 SID=0 D=0
        00        // TL0PICIDX=0
        58        // SS: N_S=2 Y=1 G=1
        01 40 00 b4   // 320x180
        02 80 01 68   // 640x360
        05 00 02 d0   // 1280x720
        04        // N_G=4
        04 04     // TID=0 U=0 R=1, P_DIFF 4
        54 01     // TID=2 U=1 R=1, P_DIFF 1
        34 02     // TID=1 U=1 R=1, P_DIFF 2
        48 01 02  // TID=2 U=0 R=2, P_DIFF 1, 2
        82 49 83  // VP9 bitstream (frame marker…)
        """
    /// Spatial layer 1 of the same key picture: no temporal reference, depends on SID 0.
    private static let keyUpperLayer = """
        ad        // I=1 P=0 L=1 F=0 B=1 E=1 V=0 Z=1
        ff ff
        03        // TID=0 U=0 SID=1 D=1
        00
        aa
        """

    private static func parse(_ hex: String) throws -> VP9PayloadDescriptor {
        try withBytes(hexBytes(hex)) { try VP9PayloadDescriptor(parsing: $0) }
    }

    private static func parseError(_ bytes: [UInt8]) -> ParseError? {
        withBytes(bytes) { b -> ParseError? in
            do throws(ParseError) { _ = try VP9PayloadDescriptor(parsing: b); return nil } catch { return error }
        }
    }

    private static func written(_ d: VP9PayloadDescriptor) throws -> [UInt8] {
        var out = [UInt8](repeating: 0xEE, count: d.encodedSize)
        let n = try out.withUnsafeMutableBytes { try d.write(into: $0) }
        #expect(n == d.encodedSize)
        return out
    }

    @Test func nonFlexibleMode() throws {
        let d = try Self.parse(Self.nonFlexible)
        #expect(d.pictureID == 0x1234 && d.hasLongPictureID)
        #expect(d.isInterPicturePredicted && !d.isFlexibleMode && d.isStartOfFrame && d.isEndOfFrame)
        #expect(d.temporalLayerID == 2 && d.spatialLayerID == 0 && d.isSwitchingUpPoint && !d.dependsOnLowerSpatialLayer)
        #expect(d.tl0PicIndex == 7 && d.referenceDiffs.isEmpty && d.scalabilityStructure == nil)
        #expect(d.payloadHeaderSize == 5 && d.pictureIDOffset == 1 && d.tl0PicIndexOffset == 4)
        #expect(!d.isKeyframe)
    }

    @Test func flexibleModeReferenceDiffs() throws {
        let d = try Self.parse(Self.flexible)
        #expect(d.isFlexibleMode && d.pictureID == 21 && !d.hasLongPictureID)
        #expect(Array(d.referenceDiffs) == [1, 2, 4])
        #expect(d.temporalLayerID == nil && d.tl0PicIndex == nil && d.tl0PicIndexOffset == nil)
        #expect(d.payloadHeaderSize == 5)

        let l = try Self.parse(Self.flexibleLayers)
        #expect(l.temporalLayerID == 1 && l.spatialLayerID == 1 && l.dependsOnLowerSpatialLayer && !l.isSwitchingUpPoint)
        #expect(l.tl0PicIndex == nil && Array(l.referenceDiffs) == [1] && !l.isEndOfFrame)
        #expect(l.payloadHeaderSize == 5)
    }

    @Test func keyPictureWithScalabilityStructure() throws {
        let d = try Self.parse(Self.keyWithSS)
        #expect(d.isKeyframe && d.isSpatialSwitchPoint && d.pictureID == 0x7FFF && d.tl0PicIndex == 0)
        let ss = try #require(d.scalabilityStructure)
        #expect(ss.spatialLayerCount == 3 && ss.hasResolutions && ss.hasPictureGroups && ss.pictureGroupCount == 4)
        #expect(ss.resolution(spatialLayer: 0)! == (320, 180))
        #expect(ss.resolution(spatialLayer: 1)! == (640, 360))
        #expect(ss.resolution(spatialLayer: 2)! == (1280, 720))
        #expect(ss.resolution(spatialLayer: 3) == nil)
        let groups = Array(ss.pictureGroups)
        #expect(groups.map(\.temporalLayerID) == [0, 2, 1, 2])
        #expect(groups.map(\.isSwitchingUpPoint) == [false, true, true, false])
        #expect(groups.map { Array($0.referenceDiffs) } == [[4], [1], [2], [1, 2]])
        #expect(d.payloadHeaderSize == 28)

        let upper = try Self.parse(Self.keyUpperLayer)
        #expect(!upper.isKeyframe && upper.isSpatialSwitchPoint && upper.spatialLayerID == 1)
        #expect(upper.dependsOnLowerSpatialLayer && upper.isNotReferenceForUpperSpatialLayers)
    }

    @Test(arguments: [nonFlexible, flexible, flexibleLayers, keyWithSS, keyUpperLayer])
    func writeReproducesTheDescriptor(hex: String) throws {
        let bytes = hexBytes(hex)
        let d = try Self.parse(hex)
        #expect(try Self.written(d) == Array(bytes.prefix(d.payloadHeaderSize)))
        #expect(try Self.parse(hexString(Self.written(d)) + "aa") == d)
    }

    @Test(arguments: [nonFlexible, flexible, flexibleLayers, keyWithSS, keyUpperLayer])
    func truncatedAtEveryLength(hex: String) throws {
        let bytes = hexBytes(hex)
        let size = try Self.parse(hex).payloadHeaderSize
        for n in 0...size {
            #expect(Self.parseError(Array(bytes.prefix(n)))?.kind == .truncated, "length \(n)")
        }
    }

    @Test func fourReferenceDiffsAreMalformed() {
        #expect(Self.parseError(hexBytes("dc 15 03 05 09 08 aa")) == ParseError(.malformed, at: 4, "VP9 more than 3 P_DIFF"))
    }

    @Test func oversizedPictureGroupsAreLimitExceeded() {
        // SS without resolutions, N_G=255 groups with R=3: 1020 bytes, above the 64-byte cap.
        let group: [UInt8] = [0x0C, 1, 2, 3]
        let bytes: [UInt8] = [0x8A, 0x01, 0x08, 0xFF] + Array(repeating: group, count: 255).flatMap { $0 } + [0xAA]
        #expect(Self.parseError(bytes)?.kind == .limitExceeded)
        // 16 such groups fit exactly; 17 do not.
        let fits: [UInt8] = [0x8A, 0x01, 0x08, 16] + Array(repeating: group, count: 16).flatMap { $0 } + [0xAA]
        #expect(Self.parseError(fits) == nil)
        let over: [UInt8] = [0x8A, 0x01, 0x08, 17] + Array(repeating: group, count: 17).flatMap { $0 } + [0xAA]
        #expect(Self.parseError(over) == ParseError(.limitExceeded, at: 68, "VP9 SS picture groups above 64 bytes"))
    }

    @Test func rewritesPictureIDAndTL0PicIndexInPlace() throws {
        var bytes = hexBytes(Self.nonFlexible)
        let d = try Self.parse(Self.nonFlexible)
        bytes.withUnsafeMutableBytes { p in
            #expect(d.rewritePictureID(0x8765, in: p))   // 15 bits kept: 0x0765
            #expect(d.rewriteTL0PicIndex(0xFE, in: p))
        }
        #expect(hexString(bytes) == "ec8765" + "50" + "fe" + "aa")

        var short = hexBytes(Self.flexible)
        let f = try Self.parse(Self.flexible)
        short.withUnsafeMutableBytes { p in
            #expect(f.rewritePictureID(0x1FF, in: p))     // 7 bits: 0x7F
            #expect(!f.rewriteTL0PicIndex(1, in: p))
        }
        #expect(hexString(short) == "dc7f030508aa")
    }

    @Test func pictureIDWrapsAroundInPlace() throws {
        var bytes = hexBytes(Self.nonFlexible)
        let d = try Self.parse(Self.nonFlexible)
        for id in UInt16(0x7FF0)...0x7FFF {
            bytes.withUnsafeMutableBytes { _ = d.rewritePictureID(id &+ 0x20, in: $0) }
            #expect(try Self.parse(hexString(bytes)).pictureID == (id &+ 0x20) & 0x7FFF)
        }
    }

    @Test func builderMatchesParse() throws {
        let ss = try #require(VP9ScalabilityStructure(
            spatialLayerCount: 3, resolutions: [(320, 180), (640, 360), (1280, 720)],
            pictureGroups: [
                VP9PictureGroup(temporalLayerID: 0, isSwitchingUpPoint: false, referenceDiffs: VP9ReferenceDiffs([4])!),
                VP9PictureGroup(temporalLayerID: 2, isSwitchingUpPoint: true, referenceDiffs: VP9ReferenceDiffs([1])!),
                VP9PictureGroup(temporalLayerID: 1, isSwitchingUpPoint: true, referenceDiffs: VP9ReferenceDiffs([2])!),
                VP9PictureGroup(temporalLayerID: 2, isSwitchingUpPoint: false, referenceDiffs: VP9ReferenceDiffs([1, 2])!),
            ]))
        let d = VP9PayloadDescriptor(isStartOfFrame: true, isEndOfFrame: false, pictureID: 0x7FFF,
                                     temporalLayerID: 0, spatialLayerID: 0, tl0PicIndex: 0, scalabilityStructure: ss)
        #expect(try Self.written(d) == Array(hexBytes(Self.keyWithSS).prefix(28)))
        #expect(VP9ScalabilityStructure(spatialLayerCount: 9) == nil)
    }

    @Test func layoutStaysSmall() {
        #expect(MemoryLayout<VP9PayloadDescriptor>.size <= 168)
    }
}
