import Testing
import PodiumTestSupport
@testable import PodiumWire

@Suite struct RTPPacketTests {
    /// A Chromium 156 VP8 simulcast packet (layer "h") with one-byte extensions, ids as in
    /// ../shared/fixtures/sdp/chromium-156-publisher-simulcast.sdp (2 abs-send-time, 3 transport-cc,
    /// 4 mid, 10 rid).
    static let chromiumVideo = hexBytes("""
        90 60 1a 2b   // V=2 P=0 X=1 CC=0 | M=0 PT=96 | seq=6699
        00 0b b8 a0   // timestamp=768160
        3a 5c 12 f0   // SSRC
        be de 00 03   // one-byte profile, 3 words
        22 c5 2d 1f   // id=2 L=2 abs-send-time=0xc52d1f
        31 01 a4      // id=3 L=1 transport-wide seq=420
        40 31         // id=4 L=0 mid="1"
        a0 68         // id=10 L=0 rid="h"
        00            // padding to the word
        90 80 80 01   // VP8 descriptor: X S | I | picture id 1 (15 bit)
        10 02 00 9d 01 2a 80 02 e0 01   // keyframe header 640x480
        """)

    /// Chromium Opus packet: audio level and a CSRC-less header with the marker set.
    static let chromiumAudio = hexBytes("""
        90 ef 00 01   // V=2 X=1 | M=1 PT=111 | seq=1
        00 00 03 c0   // timestamp=960
        11 22 33 44   // SSRC
        be de 00 02   // one-byte profile, 2 words
        10 8a         // id=1 L=0 audio level V=1 level=10
        31 00 05      // id=3 L=1 transport-wide seq=5
        00 00 00      // padding
        78 0b e4 c1   // Opus TOC + data
        """)

    @Test func parsesChromiumVideoPacket() throws {
        try withBytes(Self.chromiumVideo) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.version == 2)
            #expect(!p.hasPadding && p.hasExtension && !p.marker)
            #expect(p.csrcCount == 0)
            #expect(p.payloadType == 96)
            #expect(p.sequenceNumber == 6699)
            #expect(p.timestamp == 768_160)
            #expect(p.ssrc == 0x3a5c_12f0)
            #expect(p.extensionForm == .oneByte)
            #expect(p.extensionProfile == 0xBEDE)
            #expect(p.extensionData.count == 12)
            #expect(p.extensionCount == 4)
            #expect(p.extensions.map(\.id) == [2, 3, 4, 10])
            #expect(try AbsSendTimeExtension(parsing: #require(p.extension(id: 2))).rawValue == 0xc52d1f)
            #expect(try TransportSequenceNumberExtension(parsing: #require(p.extension(id: 3))).sequenceNumber == 420)
            #expect(try MediaIDExtension(parsing: #require(p.extension(id: 4))).mid.description == "1")
            #expect(try RTPStreamIDExtension(parsing: #require(p.extension(id: 10))).rid.description == "h")
            #expect(p.extension(id: 5) == nil)
            #expect(p.payloadOffset == 28)
            #expect(Array(p.payload) == Array(Self.chromiumVideo[28...]))
            #expect(p.paddingCount == 0)
            #expect(p.header == RTPHeader(payloadType: 96, sequenceNumber: 6699, timestamp: 768_160, ssrc: 0x3a5c_12f0))
            #expect(p.description.contains("seq=6699"))
        }
    }

    @Test func parsesChromiumAudioPacket() throws {
        try withBytes(Self.chromiumAudio) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.marker && p.payloadType == 111 && p.sequenceNumber == 1 && p.timestamp == 960)
            let level = try AudioLevelExtension(parsing: #require(p.extension(id: 1)))
            #expect(level.voiceActivity && level.level == 10)
            #expect(p.extensionCount == 2)
            #expect(Array(p.payload) == [0x78, 0x0b, 0xe4, 0xc1])
        }
    }

    @Test func parsesCSRCs() throws {
        let bytes = hexBytes("""
            82 08 00 07   // V=2 CC=2 | PT=8 | seq=7
            00 00 00 a0   // ts=160
            00 00 00 01   // SSRC
            00 00 00 0a   // CSRC 10
            de ad be ef   // CSRC 0xdeadbeef
            d5 d5         // payload
            """)
        try withBytes(bytes) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.csrcCount == 2)
            #expect(p.csrc(at: 0) == 10 && p.csrc(at: 1) == 0xdead_beef)
            #expect(p.csrcBytes.count == 8)
            #expect(p.extensionForm == .none && p.extensionProfile == nil && p.extensionData.isEmpty)
            #expect(Array(p.payload) == [0xd5, 0xd5])
        }
    }

    @Test func fifteenCSRCsFitAndTruncatedCSRCListIsRejected() throws {
        var bytes = hexBytes("8f 00 00 00  00 00 00 00  00 00 00 01")  // CC=15
        for i in 0 ..< 15 { bytes += [0, 0, 0, UInt8(i)] }
        try withBytes(bytes) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.csrcCount == 15 && p.csrc(at: 14) == 14 && p.payloadCount == 0)
        }
        #expect(Self.error(Array(bytes.dropLast())) == ParseError(.truncated, at: 12, "RTP CSRC list"))
    }

    // MARK: Padding (RFC 3550 §5.1)

    @Test(arguments: [
        // (packet, payload count, padding count)
        ("a0 60 00 01  00 00 00 00  00 00 00 01  aa bb 00 00 03", 2, 3),   // 3 padding bytes
        ("a0 60 00 01  00 00 00 00  00 00 00 01  aa bb 01", 2, 1),         // count byte only
        ("a0 60 00 01  00 00 00 00  00 00 00 01  00 00 00 04", 0, 4),      // padding-only packet
        ("b0 60 00 01  00 00 00 00  00 00 00 01  be de 00 01  10 ff 00 00  02 02", 0, 2), // ext then padding only
    ])
    func acceptsPadding(hex: String, payload: Int, padding: Int) throws {
        try withBytes(hexBytes(hex)) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.hasPadding)
            #expect(p.payloadCount == payload)
            #expect(p.paddingCount == padding)
        }
    }

    @Test(arguments: [
        ("a0 60 00 01  00 00 00 00  00 00 00 01  aa bb 00", "RTP padding count is zero"),
        ("a0 60 00 01  00 00 00 00  00 00 00 01  aa bb 04", "RTP padding longer than payload"),
        ("a0 60 00 01  00 00 00 00  00 00 00 01", "RTP padding longer than payload"), // count byte is the SSRC
        ("b0 60 00 01  00 00 00 00  00 00 00 01  be de 00 01  10 ff 00 00  05", "RTP padding longer than payload"),
    ])
    func rejectsBadPadding(hex: String, detail: String) {
        let e = Self.error(hexBytes(hex))
        #expect(e?.kind == .malformed)
        #expect(e.map { "\($0.detail)" } == detail)
    }

    // MARK: Bad input

    @Test func rejectsOtherVersions() {
        for v: UInt8 in [0, 1, 3] {
            var bytes = Self.chromiumAudio
            bytes[0] = v << 6 | 0x10
            #expect(Self.error(bytes)?.kind == .unsupported)
        }
    }

    @Test func truncatedAtEveryLength() throws {
        for packet in [Self.chromiumVideo, Self.chromiumAudio] {
            let headerEnd = try withBytes(packet) { try RTPPacket(parsing: $0).payloadOffset }
            for n in 0 ..< packet.count {
                let prefix = Array(packet[..<n])
                if n < headerEnd {
                    #expect(Self.error(prefix)?.kind == .truncated, "prefix \(n)")
                } else {
                    let payload = try withBytes(prefix) { try RTPPacket(parsing: $0).payloadCount }
                    #expect(payload == n - headerEnd)
                }
            }
        }
    }

    @Test func extensionLengthPastEndIsTruncated() {
        let bytes = hexBytes("90 60 00 01  00 00 00 00  00 00 00 01  be de 00 02  10 ff 00 00")
        #expect(Self.error(bytes) == ParseError(.truncated, at: 14, "RTP extension length"))
    }

    @Test func elementPastBlockEndIsMalformed() {
        // One-byte element id=1 L=3 (4 bytes) in a 4-byte block, starting at its second byte.
        let oneByte = hexBytes("90 60 00 01  00 00 00 00  00 00 00 01  be de 00 01  00 13 aa bb  cc dd")
        #expect(Self.error(oneByte) == ParseError(.malformed, at: 17, "RTP one-byte extension past block end"))
        // Two-byte element id=1 L=3 in a 4-byte block.
        let twoByte = hexBytes("90 60 00 01  00 00 00 00  00 00 00 01  10 00 00 01  01 03 aa bb  cc")
        #expect(Self.error(twoByte) == ParseError(.malformed, at: 16, "RTP two-byte extension past block end"))
        // Two-byte element header split by the block end.
        let split = hexBytes("90 60 00 01  00 00 00 00  00 00 00 01  10 00 00 01  00 00 00 07")
        #expect(Self.error(split) == ParseError(.malformed, at: 19, "RTP two-byte extension header past block end"))
    }

    @Test func moreThanSixteenElementsIsLimitExceeded() throws {
        // 16 one-byte elements fit; a 17th does not.
        func packet(_ n: Int) -> [UInt8] {
            var elements: [UInt8] = []
            for i in 0 ..< n { elements += [UInt8(i % 14 + 1) << 4, UInt8(i)] }
            while elements.count % 4 != 0 { elements.append(0) }
            return hexBytes("90 60 00 01  00 00 00 00  00 00 00 01  be de") + [0, UInt8(elements.count / 4)] + elements
        }
        try withBytes(packet(16)) { b throws in #expect(try RTPPacket(parsing: b).extensionCount == 16) }
        #expect(Self.error(packet(17))?.kind == .limitExceeded)
        // Two-byte: 17 zero-length elements.
        var two = hexBytes("90 60 00 01  00 00 00 00  00 00 00 01  10 00 00 09")
        for i in 0 ..< 17 { two += [UInt8(i + 1), 0] }
        two += [0, 0]
        #expect(Self.error(two)?.kind == .limitExceeded)
    }

    @Test func largerThan65535BytesIsLimitExceeded() {
        var bytes = hexBytes("80 60 00 01  00 00 00 00  00 00 00 01")
        bytes += [UInt8](repeating: 0, count: 65_535 - 12 + 1)
        #expect(Self.error(bytes)?.kind == .limitExceeded)
        bytes.removeLast()
        #expect(Self.error(bytes) == nil)
    }

    @Test func genericProfileIsOpaque() throws {
        let bytes = hexBytes("""
            90 60 00 01  00 00 00 00  00 00 00 01
            ab cd 00 01   // RFC 3550 §5.3.1 profile 0xabcd, 1 word
            01 02 03 04   // opaque
            ff            // payload
            """)
        try withBytes(bytes) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.extensionForm == .generic)
            #expect(p.extensionProfile == 0xabcd)
            #expect(Array(p.extensionData) == [1, 2, 3, 4])
            #expect(p.extensionCount == 0 && p.extension(id: 1) == nil)
            #expect(Array(p.payload) == [0xff])
        }
    }

    @Test func emptyExtensionBlock() throws {
        try withBytes(hexBytes("90 60 00 01  00 00 00 00  00 00 00 01  be de 00 00  aa")) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.extensionForm == .oneByte && p.extensionCount == 0 && p.extensionData.isEmpty)
            #expect(Array(p.payload) == [0xaa])
        }
    }

    @Test func roundTripWrite() throws {
        for packet in [Self.chromiumVideo, Self.chromiumAudio] {
            try withBytes(packet) { buf throws in
                let p = try RTPPacket(parsing: buf)
                #expect(p.encodedSize == packet.count)
                var out = [UInt8](repeating: 0, count: packet.count)
                let n = try out.withUnsafeMutableBytes { try p.write(into: $0) }
                #expect(n == packet.count && out == packet)
                var small = [UInt8](repeating: 0, count: packet.count - 1)
                #expect(throws: BufferTooSmall(needed: packet.count, available: packet.count - 1)) {
                    _ = try small.withUnsafeMutableBytes { try p.write(into: $0) }
                }
            }
        }
    }

    /// The view is 88 bytes: a 16-byte buffer pointer, the 16-entry × 4-byte element table and
    /// 8 bytes of offsets and counts. Growth here is a per-packet cost on the hot path.
    @Test func layoutIsCompact() {
        #expect(MemoryLayout<RTPPacket>.size <= 88)
        #expect(MemoryLayout<MutableRTPPacket>.size <= 88)
        #expect(MemoryLayout<RTPExtensionIDMap>.size == 256)
        #expect(MemoryLayout<RTPHeader>.size <= 16)
    }

    static func error(_ bytes: [UInt8]) -> ParseError? {
        withBytes(bytes) { buf -> ParseError? in
            do throws(ParseError) { _ = try RTPPacket(parsing: buf); return nil } catch { return error }
        }
    }
}
