import Testing
import PodiumTestSupport
@testable import PodiumWire

/// Dependency Descriptor (AV1 RTP spec Appendix A) against bytes real senders produced.
///
/// Sources of the vectors (expected values cross-checked with each source's own assertions and with
/// libwebrtc's scalability structure definitions):
/// - L1T3: baresip/re `test/dd.c` `test_dd_decode` (a Chrome capture, with its decoded JSON).
/// - L1T1 640x480: baresip/re `test/dd.c` `test_dd_chrome` ("Interop test with Chrome 118").
/// - L1T2 and L2T2: Princeton-Cabernet/Scallop `test/av1_test.cc` (Chrome captures).
/// - L3T3: livekit/mediatransportutil `dependencydescriptor` unmarshal test ("hex bytes from traffic
///   capture"), a Chrome AV1 L3T3 stream; its structure equals libwebrtc's
///   `ScalabilityStructureL3T3::DependencyStructure()` (modules/video_coding/svc/scalability_structure_full_svc.cc).
@Suite struct DependencyDescriptorTests {
    private static let l1t3 = "80012f800214eaa860414d1410208426"
    private static let l1t1Chrome = "80000180003a40813f80ef80"
    private static let l1t2 = "80000180011ea85141010c04fc03bc"
    private static let l2t2 = "c000018003187aaaf130a0a014d1413823046008642222265009f0077013f00ef0"
    private static let l3t3 = """
        c1017280081485214eafffaaaa863cf0430c10c302afc0aaa0063c00430010c002a000a80006000040001d954926e0
        82b04a0941b820ac1282503157f974000ca864330e222222eca8655304224230eca877530077004200ef008601df010d
        """

    private static func parse(_ hex: String, _ structure: inout FrameDependencyStructure) throws -> DependencyDescriptor {
        try withBytes(hexBytes(hex)) { b in try DependencyDescriptor(parsing: b, structure: &structure) }
    }

    private static func parseError(_ bytes: [UInt8], _ structure: inout FrameDependencyStructure) -> ParseError? {
        withBytes(bytes) { b -> ParseError? in
            do throws(ParseError) { _ = try DependencyDescriptor(parsing: b, structure: &structure); return nil } catch { return error }
        }
    }

    private static func encode(_ d: DependencyDescriptor, _ s: FrameDependencyStructure) throws -> [UInt8] {
        var out = [UInt8](repeating: 0xEE, count: d.encodedSize(structure: s))
        let n = try out.withUnsafeMutableBytes { try d.write(into: $0, structure: s) }
        #expect(n == out.count)
        return out
    }

    private static func template(_ s: Int, _ t: Int, _ dtis: String, chains: [Int], fdiffs: [Int] = []) -> FrameDependencyTemplate {
        FrameDependencyTemplate(spatialID: s, temporalID: t, decodeTargetIndications: DecodeTargetIndications(dtis)!,
                                frameDiffs: FrameDiffs(fdiffs)!, chainDiffs: ChainDiffs(chains)!)
    }

    /// libwebrtc ScalabilityStructureL3T3 (full SVC), templates in array order.
    private static func libwebrtcL3T3() throws -> FrameDependencyStructure {
        try FrameDependencyStructure(
            decodeTargetCount: 9, chainCount: 3, decodeTargetProtectedBy: [0, 0, 0, 1, 1, 1, 2, 2, 2],
            templates: [
                template(0, 0, "SSSRRRRRR", chains: [12, 11, 10], fdiffs: [12]),
                template(0, 0, "SSSSSSSSS", chains: [0, 0, 0]),
                template(0, 1, "-DS-RR-RR", chains: [6, 5, 4], fdiffs: [6]),
                template(0, 2, "--D--R--R", chains: [3, 2, 1], fdiffs: [3]),
                template(0, 2, "--D--R--R", chains: [9, 8, 7], fdiffs: [3]),
                template(1, 0, "---SSSRRR", chains: [1, 1, 1], fdiffs: [12, 1]),
                template(1, 0, "---SSSSSS", chains: [1, 1, 1], fdiffs: [1]),
                template(1, 1, "----DS-RR", chains: [7, 6, 5], fdiffs: [6, 1]),
                template(1, 2, "-----D--R", chains: [4, 3, 2], fdiffs: [3, 1]),
                template(1, 2, "-----D--R", chains: [10, 9, 8], fdiffs: [3, 1]),
                template(2, 0, "------SSS", chains: [2, 1, 1], fdiffs: [12, 1]),
                template(2, 0, "------SSS", chains: [2, 1, 1], fdiffs: [1]),
                template(2, 1, "-------DS", chains: [8, 7, 6], fdiffs: [6, 1]),
                template(2, 2, "--------D", chains: [5, 4, 3], fdiffs: [3, 1]),
                template(2, 2, "--------D", chains: [11, 10, 9], fdiffs: [3, 1]),
            ],
            renderResolutions: [.init(width: 120, height: 67), .init(width: 240, height: 135), .init(width: 480, height: 270)])
    }

    /// libwebrtc ScalabilityStructureL3T3Key (modules/video_coding/svc/scalability_structure_key_svc.cc).
    private static func libwebrtcL3T3Key() throws -> FrameDependencyStructure {
        try FrameDependencyStructure(
            decodeTargetCount: 9, chainCount: 3, decodeTargetProtectedBy: [0, 0, 0, 1, 1, 1, 2, 2, 2],
            templates: [
                template(0, 0, "SSSSSSSSS", chains: [0, 0, 0]),
                template(0, 0, "SSS------", chains: [12, 11, 10], fdiffs: [12]),
                template(0, 1, "-DS------", chains: [6, 5, 4], fdiffs: [6]),
                template(0, 2, "--D------", chains: [3, 2, 1], fdiffs: [3]),
                template(0, 2, "--D------", chains: [9, 8, 7], fdiffs: [3]),
                template(1, 0, "---SSSSSS", chains: [1, 1, 1], fdiffs: [1]),
                template(1, 0, "---SSS---", chains: [1, 12, 11], fdiffs: [12]),
                template(1, 1, "----DS---", chains: [7, 6, 5], fdiffs: [6]),
                template(1, 2, "-----D---", chains: [4, 3, 2], fdiffs: [3]),
                template(1, 2, "-----D---", chains: [10, 9, 8], fdiffs: [3]),
                template(2, 0, "------SSS", chains: [2, 1, 1], fdiffs: [1]),
                template(2, 0, "------SSS", chains: [2, 1, 12], fdiffs: [12]),
                template(2, 1, "-------DS", chains: [8, 7, 6], fdiffs: [6]),
                template(2, 2, "--------D", chains: [5, 4, 3], fdiffs: [3]),
                template(2, 2, "--------D", chains: [11, 10, 9], fdiffs: [3]),
            ])
    }

    // MARK: Real vectors

    @Test func l1t3ChromeCapture() throws {
        var s = FrameDependencyStructure()
        let d = try Self.parse(Self.l1t3, &s)
        #expect(d.isStartOfFrame && !d.isEndOfFrame)
        #expect(d.templateID == 0 && d.frameNumber == 303)
        #expect(d.attachesStructure && d.activeDecodeTargets == 0b111)
        #expect(!d.hasCustomDecodeTargetIndications && !d.hasCustomFrameDiffs && !d.hasCustomChainDiffs)
        #expect(d.isKeyframe && d.spatialID == 0 && d.temporalID == 0)
        #expect(s.templateIDOffset == 0 && s.decodeTargetCount == 3 && s.templateCount == 5 && s.chainCount == 1)
        #expect(!s.hasRenderResolutions && s.maxSpatialID == 0 && s.maxTemporalID == 2)
        let expected: [(t: Int, dtis: String, fdiffs: [Int], chains: [Int])] = [
            (0, "SSS", [], [0]), (0, "SSS", [4], [4]), (1, "-DS", [2], [2]), (2, "--D", [1], [1]), (2, "--D", [1], [3]),
        ]
        for (i, e) in expected.enumerated() {
            let t = s.template(at: i)
            #expect(t.spatialID == 0 && t.temporalID == e.t, "template \(i)")
            #expect(t.decodeTargetIndications.description == e.dtis, "template \(i)")
            #expect(Array(t.frameDiffs) == e.fdiffs && Array(t.chainDiffs) == e.chains, "template \(i)")
        }
        for dt in 0..<3 {
            #expect(s.chain(protecting: dt) == 0)
            #expect(s.layer(ofDecodeTarget: dt) == (0, dt))
        }
        #expect(try hexString(Self.encode(d, s)) == Self.l1t3)
    }

    @Test func l1t1Chrome118WithResolution() throws {
        var s = FrameDependencyStructure()
        let d = try Self.parse(Self.l1t1Chrome, &s)
        #expect(d.isStartOfFrame && !d.isEndOfFrame && d.templateID == 0 && d.frameNumber == 1)
        #expect(s.decodeTargetCount == 1 && s.templateCount == 2 && s.chainCount == 0)
        #expect(s.renderResolution(spatialID: 0) == RenderResolution(width: 640, height: 480))
        #expect(d.renderResolution == RenderResolution(width: 640, height: 480))
        #expect(s.template(at: 0).decodeTargetIndications.description == "S")
        #expect(s.template(at: 1).decodeTargetIndications.description == "S")
        #expect(try hexString(Self.encode(d, s)) == Self.l1t1Chrome)
    }

    @Test func l1t2AndL2T2ChromeCaptures() throws {
        var s = FrameDependencyStructure()
        _ = try Self.parse(Self.l1t2, &s)
        #expect(s.decodeTargetCount == 2 && s.templateCount == 3)
        #expect((0..<3).map { s.template(at: $0).decodeTargetIndications.description } == ["SS", "SS", "-D"])
        #expect((0..<3).map { s.temporalID(ofTemplate: $0) } == [0, 0, 1])

        // Same structure at template id offset 6, frame 181 (Scallop dd2_bytes).
        let d2 = try Self.parse("8600b580c11ea85141010c09fc077c", &s)
        #expect(d2.templateID == 6 && d2.frameNumber == 181 && s.templateIDOffset == 6)
        #expect(s.templateIndex(forID: 8) == 2 && s.templateIndex(forID: 5) == nil && s.templateIndex(forID: 9) == nil)

        // Mandatory fields only (Scallop dd3_bytes): template 8 → index 2 (S0T1).
        let d3 = try Self.parse("0800d8", &s)
        #expect(!d3.isStartOfFrame && !d3.isEndOfFrame && d3.templateID == 8 && d3.frameNumber == 216)
        #expect(d3.temporalID == 1 && d3.decodeTargetIndications.description == "-D" && !d3.isPart(ofDecodeTarget: 0))
        #expect(d3.activeDecodeTargets == nil && !d3.isKeyframe)

        let d4 = try Self.parse(Self.l2t2, &s)
        #expect(d4.isStartOfFrame && d4.isEndOfFrame && d4.frameNumber == 1)
        #expect(s.decodeTargetCount == 4 && s.templateCount == 6 && s.chainCount == 2)
        #expect((0..<6).map { s.template(at: $0).decodeTargetIndications.description } == ["SSSS", "SSRR", "-D-R", "--SS", "--SS", "---D"])
        #expect((0..<6).map { s.spatialID(ofTemplate: $0) } == [0, 0, 0, 1, 1, 1])
        #expect((0..<6).map { Array(s.frameDiffs(ofTemplate: $0)) } == [[], [4], [2], [1], [4, 1], [2, 1]])
        #expect(s.renderResolution(spatialID: 1) == RenderResolution(width: 320, height: 240))
        #expect(try hexString(Self.encode(d4, s)) == Self.l2t2)
    }

    @Test func l3t3ChromeCaptureResolvesLaterPackets() throws {
        var s = FrameDependencyStructure()
        let key = try Self.parse(Self.l3t3, &s)
        #expect(key.isStartOfFrame && key.isEndOfFrame && key.templateID == 1 && key.frameNumber == 370)
        #expect(key.isKeyframe && key.spatialID == 0 && key.temporalID == 0)
        #expect(key.activeDecodeTargets == 0x1FF)
        #expect((0..<9).allSatisfy { key.isSwitchPoint(forDecodeTarget: $0) })
        #expect(s == (try Self.libwebrtcL3T3()))
        #expect(s.layer(ofDecodeTarget: 4) == (1, 1) && s.layer(ofDecodeTarget: 8) == (2, 2))
        #expect(try hexString(Self.encode(key, s)) == Self.l3t3.filter { !$0.isWhitespace })

        // (hex, S, E, frame, spatial, temporal, DTIs); 40fc = active decode targets 0b000111111.
        let packets: [(String, Bool, Bool, UInt16, Int, Int, String)] = [
            ("86017340fc", true, false, 371, 1, 0, "---SSSSSS"),
            ("46017340fc", false, true, 371, 1, 0, "---SSSSSS"),
            ("c3017540fc", true, true, 373, 0, 2, "--D--R--R"),
            ("88017640fc", true, false, 374, 1, 2, "-----D--R"),
            ("c2017840fc", true, true, 376, 0, 1, "-DS-RR-RR"),
            ("8b0174", true, false, 372, 2, 0, "------SSS"),
            ("0b0174", false, false, 372, 2, 0, "------SSS"),
            ("c30175", true, true, 373, 0, 2, "--D--R--R"),
        ]
        for (hex, start, end, frame, sid, tid, dtis) in packets {
            let d = try Self.parse(hex, &s)
            #expect(d.isStartOfFrame == start && d.isEndOfFrame == end && d.frameNumber == frame, "\(hex)")
            #expect(d.spatialID == sid && d.temporalID == tid && d.decodeTargetIndications.description == dtis, "\(hex)")
            #expect(!d.isKeyframe && !d.attachesStructure, "\(hex)")
            #expect(d.activeDecodeTargets == (hex.count == 10 ? 0x3F : nil), "\(hex)")
            #expect(d.renderResolution == s.renderResolution(spatialID: sid))
            #expect(try hexString(Self.encode(d, s)) == hex)
        }
        let s1t0 = try Self.parse("860173", &s)
        #expect(s1t0.isSwitchPoint(forDecodeTarget: 3) && !s1t0.isSwitchPoint(forDecodeTarget: 0))
        #expect(Array(s1t0.frameDiffs) == [1] && Array(s1t0.chainDiffs) == [1, 1, 1])
        #expect(s == (try Self.libwebrtcL3T3()), "later packets leave the structure alone")
    }

    @Test func l3t3KeyStructureRoundTrip() throws {
        let key = try Self.libwebrtcL3T3Key()
        var d = DependencyDescriptor(isStartOfFrame: true, isEndOfFrame: false, templateID: 0, frameNumber: 0xFFFF, attachesStructure: true)
        let bytes = try Self.encode(d, key)
        var s = FrameDependencyStructure()
        d = try withBytes(bytes) { b in try DependencyDescriptor(parsing: b, structure: &s) }
        #expect(s == key)
        #expect(d.isKeyframe && d.frameNumber == 0xFFFF && d.decodeTargetIndications.description == "SSSSSSSSS")
        // S1 of the key picture references S0 (fdiff 1): a switch point for S1 targets, not a key frame.
        let s1 = try Self.parse("050000", &s)
        #expect(s1.spatialID == 1 && Array(s1.frameDiffs) == [1] && s1.isSwitchPoint(forDecodeTarget: 5))
        #expect(!s1.isKeyframe && !s1.isPart(ofDecodeTarget: 2))
    }

    // MARK: Custom fields and writer

    @Test func customFieldsRoundTrip() throws {
        var s = FrameDependencyStructure()
        _ = try Self.parse(Self.l1t3, &s)
        var d = DependencyDescriptor(isStartOfFrame: false, isEndOfFrame: true, templateID: 3, frameNumber: 40000)
        d.activeDecodeTargets = 0b011
        d.hasCustomDecodeTargetIndications = true
        d.decodeTargetIndications = DecodeTargetIndications("RDS")!
        d.hasCustomFrameDiffs = true
        d.frameDiffs = FrameDiffs([1, 16, 17, 256, 257, 4096])!
        d.hasCustomChainDiffs = true
        d.chainDiffs = ChainDiffs([200])!
        let bytes = try Self.encode(d, s)
        let back = try withBytes(bytes) { b in try DependencyDescriptor(parsing: b, structure: &s) }
        #expect(back.activeDecodeTargets == 0b011)
        #expect(back.decodeTargetIndications.description == "RDS")
        #expect(Array(back.frameDiffs) == [1, 16, 17, 256, 257, 4096])
        #expect(Array(back.chainDiffs) == [200])
        #expect(back.spatialID == 0 && back.temporalID == 2)
        #expect(back.hasCustomDecodeTargetIndications && back.hasCustomFrameDiffs && back.hasCustomChainDiffs)
        #expect(try Self.encode(back, s) == bytes)
    }

    @Test func mandatoryFieldsWriterAndFrameNumberRewrite() throws {
        let m = DependencyDescriptor.MandatoryFields(isStartOfFrame: true, isEndOfFrame: true, templateID: 0x2A, frameNumber: 0xBEEF)
        var out = [UInt8](repeating: 0, count: 3)
        #expect(try out.withUnsafeMutableBytes { try m.write(into: $0) } == 3)
        #expect(out == [0xEA, 0xBE, 0xEF])
        #expect(try withBytes(out) { try DependencyDescriptor.MandatoryFields(parsing: $0) } == m)
        var tooSmall = [UInt8](repeating: 0, count: 2)
        #expect(throws: BufferTooSmall.self) { _ = try tooSmall.withUnsafeMutableBytes { try m.write(into: $0) } }

        var packet = hexBytes("86017340fc")
        packet.withUnsafeMutableBytes { #expect(DependencyDescriptor.rewriteFrameNumber(0x0102, in: $0)) }
        #expect(hexString(packet) == "86010240fc")
        var short: [UInt8] = [0x80, 0x00]
        short.withUnsafeMutableBytes { #expect(!DependencyDescriptor.rewriteFrameNumber(1, in: $0)) }
    }

    @Test func nonSymmetricCodingRoundTripsEveryValue() throws {
        for n in UInt32(1)...33 {
            for v in 0..<n {
                var buf = [UInt8](repeating: 0, count: 2)
                let bits = try buf.withUnsafeMutableBytes { p in
                    var w = AV1BitWriter(p)
                    try w.writeNonSymmetric(v, n)
                    return w.bitOffset
                }
                let back = try withBytes(buf) { p in
                    var r = AV1BitReader(p)
                    let x = try r.readNonSymmetric(n)
                    #expect(r.bitOffset == bits)
                    return x
                }
                #expect(back == v, "ns(\(n)) value \(v)")
            }
        }
    }

    // MARK: Bad input

    @Test(arguments: [l1t3, l1t1Chrome, l1t2, l2t2, l3t3])
    func truncatedAtEveryLength(hex: String) {
        let bytes = hexBytes(hex)
        for n in 0..<bytes.count {
            var s = FrameDependencyStructure()
            let error = Self.parseError(Array(bytes.prefix(n)), &s)
            if n <= 3 {
                // 3 bytes are a complete mandatory-only descriptor; without a structure it cannot resolve.
                #expect(error?.kind == (n < 3 ? .truncated : .malformed), "length \(n)")
            } else {
                #expect(error?.kind == .truncated, "length \(n)")
            }
            #expect(s.isEmpty, "a failed parse keeps the old structure")
        }
    }

    @Test func failedPacketKeepsThePreviousStructure() throws {
        var s = FrameDependencyStructure()
        _ = try Self.parse(Self.l1t3, &s)
        let before = s
        #expect(Self.parseError(Array(hexBytes(Self.l2t2).prefix(20)), &s)?.kind == .truncated)
        #expect(s == before)
        // Template id 9 is outside the 5 templates at offset 0.
        #expect(Self.parseError(hexBytes("090001"), &s) == ParseError(.malformed, at: 0, "template id not in the current structure"))
        #expect(s == before)
    }

    @Test func extendedFieldsWithoutStructureAreMalformed() {
        var s = FrameDependencyStructure()
        // A=1 with no structure known: the bitmask width is unknown.
        #expect(Self.parseError(hexBytes("800001 40 00"), &s)?.kind == .malformed)
        #expect(Self.parseError(hexBytes("800001"), &s)?.kind == .malformed)
    }

    /// Bits after the 3 mandatory bytes, packed MSB first into bytes.
    private static func extended(_ bits: [Int]) -> [UInt8] {
        var out: [UInt8] = [0x80, 0x00, 0x01]
        var acc = 0, n = 0
        for b in bits {
            acc = acc << 1 | b
            n += 1
            if n == 8 { out.append(UInt8(acc)); acc = 0; n = 0 }
        }
        if n > 0 { out.append(UInt8(acc << (8 - n))) }
        return out
    }

    private static func bits(_ value: Int, _ count: Int) -> [Int] { (0..<count).reversed().map { (value >> $0) & 1 } }

    @Test func absurdCountsAreLimitExceeded() {
        var s = FrameDependencyStructure()
        let head = [1, 0, 0, 0, 0] + Self.bits(0, 6) + Self.bits(0, 5)  // T=1, offset 0, one decode target
        // 65 templates: next_layer_idc = 0 sixty-four times (the 65th template does not fit).
        let tooMany = Self.extended(head + Array(repeating: Self.bits(0, 2), count: 64).flatMap { $0 } + Self.bits(3, 2) + Array(repeating: 0, count: 200))
        #expect(Self.parseError(tooMany, &s) == ParseError(.limitExceeded, at: 21, "more than 64 templates"))
        // temporal id 8.
        let deep = Self.extended(head + Array(repeating: Self.bits(1, 2), count: 8).flatMap { $0 } + Self.bits(3, 2) + Array(repeating: 0, count: 64))
        #expect(Self.parseError(deep, &s)?.kind == .limitExceeded)
        // spatial id 8.
        let wide = Self.extended(head + Array(repeating: Self.bits(2, 2), count: 8).flatMap { $0 } + Self.bits(3, 2) + Array(repeating: 0, count: 64))
        #expect(Self.parseError(wide, &s)?.kind == .limitExceeded)
        // One template with 9 fdiffs.
        let fdiffs = Self.extended(head + Self.bits(3, 2) + Self.bits(2, 2) + Array(repeating: [1, 0, 0, 0, 0], count: 9).flatMap { $0 } + [0] + Array(repeating: 0, count: 16))
        #expect(Self.parseError(fdiffs, &s)?.kind == .limitExceeded)
        #expect(s.isEmpty)

        // Nine custom frame fdiffs against a valid structure.
        var l1t3 = FrameDependencyStructure()
        _ = try? Self.parse(Self.l1t3, &l1t3)
        let custom = Self.extended([0, 0, 0, 1, 0] + Array(repeating: Self.bits(1, 2) + Self.bits(0, 4), count: 9).flatMap { $0 } + Self.bits(0, 2))
        #expect(Self.parseError(custom, &l1t3)?.kind == .limitExceeded)
    }

    @Test func structureBuilderRejectsWhatTheFormatCannotSay() {
        #expect(throws: ParseError.self) { try FrameDependencyStructure(decodeTargetCount: 1, templates: []) }
        #expect(throws: ParseError.self) {
            try FrameDependencyStructure(decodeTargetCount: 1, templates: [Self.template(0, 1, "S", chains: [])])
        }
        #expect(throws: ParseError.self) {
            try FrameDependencyStructure(decodeTargetCount: 2, templates: [Self.template(0, 0, "S", chains: [])])
        }
        #expect(throws: ParseError.self) {
            try FrameDependencyStructure(decodeTargetCount: 1, templates: [Self.template(0, 0, "S", chains: []), Self.template(0, 2, "S", chains: [])])
        }
    }

    @Test func layoutStaysSmall() {
        #expect(MemoryLayout<DependencyDescriptor>.size <= 136)
        #expect(MemoryLayout<FrameDependencyStructure>.size <= 48)
    }
}
