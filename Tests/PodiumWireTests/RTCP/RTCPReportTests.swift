import Testing
import PodiumTestSupport
@testable import PodiumWire

/// SR, RR, SDES, BYE, APP (RFC 3550 §6.4–6.7).
@Suite struct RTCPReportTests {
    static let senderReport = """
        81 c8 00 0c  // V=2 P=0 RC=1 PT=SR=200 length=12
        12 34 56 78  // SSRC of sender
        e9 6a 6d 1f  // NTP timestamp, most significant word
        8b 43 95 81  // NTP timestamp, least significant word
        00 01 e2 40  // RTP timestamp 123456
        00 00 04 d2  // sender's packet count 1234
        00 05 d4 f9  // sender's octet count 382201
        87 65 43 21  // report block: SSRC_1
        05 ff ff fe  // fraction lost 5/256, cumulative lost -2 (signed 24-bit)
        00 01 ff ff  // extended highest sequence number (1 cycle, 65535)
        00 00 00 20  // interarrival jitter 32
        6d 1f 8b 43  // LSR
        00 01 80 00  // DLSR 1.5 s
        """

    @Test func senderReportFields() throws {
        let bytes = hexBytes(Self.senderReport)
        try withBytes(bytes) { buf in
            let sr = try SenderReport(parsing: buf)
            #expect(sr.ssrc == 0x1234_5678)
            #expect(sr.ntpTimestamp == 0xe96a_6d1f_8b43_9581)
            #expect(sr.rtpTimestamp == 123_456)
            #expect(sr.packetCount == 1234)
            #expect(sr.octetCount == 382_201)
            #expect(sr.reportBlocks.count == 1)
            let block = sr.reportBlocks[0]
            #expect(block == ReportBlock(ssrc: 0x8765_4321, fractionLost: 5, cumulativeLost: -2, extendedHighestSequence: 0x1_FFFF,
                                         jitter: 32, lastSenderReport: 0x6d1f_8b43, delaySinceLastSenderReport: 0x1_8000))
            #expect(sr.profileExtension.isEmpty)
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        RTCPTestKit.expectTruncatedPrefixesFail(bytes)
    }

    @Test(arguments: [
        (Int32(0), "00 00 00"), (Int32(1), "00 00 01"), (Int32(-1), "ff ff ff"),
        (Int32(0x7F_FFFF), "7f ff ff"), (Int32(-0x80_0000), "80 00 00"),
    ])
    func cumulativeLostIsSigned24Bit(value: Int32, hex: String) throws {
        var raw = [UInt8](repeating: 0, count: 24)
        raw.withUnsafeMutableBytes { ReportBlock(ssrc: 1, cumulativeLost: value).store(into: $0, at: 0) }
        #expect(hexString(raw[5..<8]) == hex.replacingOccurrences(of: " ", with: ""))
        let back = raw.withUnsafeBytes { ReportBlock(wire: $0, at: 0) }
        #expect(back.cumulativeLost == value)
        #expect(ReportBlock.clampCumulativeLost(1 << 40) == 0x7F_FFFF)
        #expect(ReportBlock.clampCumulativeLost(-(1 << 40)) == -0x80_0000)
    }

    @Test func receiverReportBuildParseWrite() throws {
        let blocks = [
            ReportBlock(ssrc: 0xAAAA_AAAA, fractionLost: 255, cumulativeLost: 0x7F_FFFF, extendedHighestSequence: 7, jitter: 1, lastSenderReport: 2, delaySinceLastSenderReport: 3),
            ReportBlock(ssrc: 0xBBBB_BBBB, fractionLost: 0, cumulativeLost: -0x80_0000, extendedHighestSequence: 0xFFFF_FFFF, jitter: 0, lastSenderReport: 0, delaySinceLastSenderReport: 0),
        ]
        let expected = hexBytes("""
            82 c9 00 0d  // V=2 P=0 RC=2 PT=RR=201 length=13
            00 00 00 01  // SSRC of packet sender
            aa aa aa aa  // block 1 SSRC
            ff 7f ff ff  // fraction 255, cumulative lost +8388607
            00 00 00 07  // highest seq
            00 00 00 01  // jitter
            00 00 00 02  // LSR
            00 00 00 03  // DLSR
            bb bb bb bb  // block 2 SSRC
            00 80 00 00  // fraction 0, cumulative lost -8388608
            ff ff ff ff  // highest seq
            00 00 00 00  // jitter
            00 00 00 00  // LSR
            00 00 00 00  // DLSR
            """)
        let written: [UInt8] = try blocks.withUnsafeBufferPointer { list in
            let rr = ReceiverReport(ssrc: 1, reportBlocks: RTCPList(list))
            var out = [UInt8](repeating: 0, count: rr.encodedSize)
            _ = try out.withUnsafeMutableBytes { try rr.write(into: $0) }
            return out
        }
        #expect(written == expected)
        try withBytes(expected) { buf in
            let rr = try ReceiverReport(parsing: buf)
            #expect(rr.ssrc == 1)
            #expect(Array(rr.reportBlocks) == blocks)
        }
        #expect(try RTCPTestKit.rewrite(expected) == expected)
        RTCPTestKit.expectTruncatedPrefixesFail(expected)
    }

    @Test func emptyReceiverReportAndProfileExtension() throws {
        let empty = hexBytes("80 c9 00 01  00 00 00 2a  // RR RC=0 length=1, SSRC 42")
        try withBytes(empty) { buf in
            let rr = try ReceiverReport(parsing: buf)
            #expect(rr.ssrc == 42 && rr.reportBlocks.isEmpty)
        }
        #expect(try RTCPTestKit.rewrite(empty) == empty)
        let withExtension = hexBytes("""
            80 c9 00 02  // RR RC=0 length=2
            00 00 00 2a  // SSRC
            de ad be ef  // profile-specific extension
            """)
        try withBytes(withExtension) { buf in
            let rr = try ReceiverReport(parsing: buf)
            #expect(RTCPTestKit.bytes(rr.profileExtension) == [0xde, 0xad, 0xbe, 0xef])
        }
        #expect(try RTCPTestKit.rewrite(withExtension) == withExtension)
    }

    @Test func reportCountBeyondLength() {
        // RC=31 announces 744 bytes of blocks in an 8-byte packet.
        let bytes = hexBytes("9f c9 00 01  00 00 00 01")
        #expect(withBytes(bytes) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try ReceiverReport(parsing: buf) } } == .truncated)
        let sr = hexBytes("81 c8 00 06  00 00 00 01  00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00")
        #expect(withBytes(sr) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try SenderReport(parsing: buf) } } == .truncated)
    }

    static let sdes = """
        81 ca 00 06  // V=2 P=0 SC=1 PT=SDES=202 length=6
        12 34 56 78  // SSRC of chunk 1
        01 10 34 54  // CNAME, length 16, "4T"
        6b 62 72 4d  // "kbrM"
        31 67 5a 2b  // "1gZ+"
        65 56 76 50  // "eVvP"
        7a 31 00 00  // "z1", END, null padding
        """

    @Test func sdesChunksAndItems() throws {
        let bytes = hexBytes(Self.sdes)
        try withBytes(bytes) { buf in
            let sdes = try SourceDescription(parsing: buf)
            let chunks = Array(sdes.chunks)
            #expect(chunks.count == 1)
            #expect(chunks[0].ssrc == 0x1234_5678)
            let items = Array(chunks[0].items)
            #expect(items.count == 1)
            #expect(items[0].type == SDESItem.cname)
            #expect(RTCPTestKit.text(items[0].value) == "4TkbrM1gZ+eVvPz1")
            #expect(sdes.cname.map(RTCPTestKit.text) == "4TkbrM1gZ+eVvPz1")
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        RTCPTestKit.expectTruncatedPrefixesFail(bytes)
    }

    @Test func sdesSeveralChunksBuilt() throws {
        let cname = Array("user@host".utf8)
        let tool = Array("Podium".utf8)
        let expected = hexBytes("""
            82 ca 00 08  // V=2 P=0 SC=2 PT=SDES length=8
            00 00 00 01  // chunk 1 SSRC
            01 09 75 73  // CNAME len=9 "us"
            65 72 40 68  // "er@h"
            6f 73 74 06  // "ost", TOOL
            06 50 6f 64  // len=6 "Pod"
            69 75 6d 00  // "ium", END
            00 00 00 02  // chunk 2 SSRC
            00 00 00 00  // END and padding: a chunk without items
            """)
        let written: [UInt8] = try cname.withUnsafeBytes { c in
            try tool.withUnsafeBytes { t in
                let items = [SDESItem(type: SDESItem.cname, value: c), SDESItem(type: SDESItem.tool, value: t)]
                return try items.withUnsafeBufferPointer { itemList in
                    let noItems: [SDESItem] = []
                    return try noItems.withUnsafeBufferPointer { none in
                        let chunks = [SDESChunk(ssrc: 1, items: SDESItemList(itemList)), SDESChunk(ssrc: 2, items: SDESItemList(none))]
                        return try chunks.withUnsafeBufferPointer { chunkList in
                            let sdes = SourceDescription(chunks: SDESChunkList(chunkList))
                            var out = [UInt8](repeating: 0, count: sdes.encodedSize)
                            _ = try out.withUnsafeMutableBytes { try sdes.write(into: $0) }
                            return out
                        }
                    }
                }
            }
        }
        #expect(written == expected)
        try withBytes(expected) { buf in
            let sdes = try SourceDescription(parsing: buf)
            let chunks = Array(sdes.chunks)
            #expect(chunks.map(\.ssrc) == [1, 2])
            #expect(chunks[0].items.map { RTCPTestKit.text($0.value) } == ["user@host", "Podium"])
            #expect(chunks[0].items.map(\.type) == [SDESItem.cname, SDESItem.tool])
            #expect(Array(chunks[1].items).isEmpty)
        }
        #expect(try RTCPTestKit.rewrite(expected) == expected)
        RTCPTestKit.expectTruncatedPrefixesFail(expected)
    }

    @Test(arguments: [
        ("81 ca 00 02  00 00 00 01  01 09 41 42", ParseError.Kind.truncated),  // item length past the end
        ("81 ca 00 02  00 00 00 01  01 02 41 42", .truncated),                 // no END item
        ("82 ca 00 02  00 00 00 01  00 00 00 00", .truncated),                 // SC=2, one chunk
        ("81 ca 00 03  00 00 00 01  00 00 00 00  00 00 00 00", .malformed),   // bytes after the last chunk
        ("9f ca 00 00", .truncated),                                           // SC=31 in an empty body
    ])
    func sdesMalformed(hex: String, kind: ParseError.Kind) {
        let got = withBytes(hexBytes(hex)) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try SourceDescription(parsing: buf) } }
        #expect(got == kind)
    }

    @Test func byeWithReason() throws {
        let bytes = hexBytes("""
            82 cb 00 04  // V=2 P=0 SC=2 PT=BYE=203 length=4
            12 34 56 78  // SSRC 1
            9a bc de f0  // SSRC 2
            05 62 79 65  // reason length 5, "bye"
            21 21 00 00  // "!!", null padding
            """)
        try withBytes(bytes) { buf in
            let bye = try Goodbye(parsing: buf)
            #expect(Array(bye.ssrcs) == [0x1234_5678, 0x9abc_def0])
            #expect(bye.reason.map(RTCPTestKit.text) == "bye!!")
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        RTCPTestKit.expectTruncatedPrefixesFail(bytes)

        let plain = hexBytes("81 cb 00 01  12 34 56 78  // BYE SC=1, no reason")
        try withBytes(plain) { buf in
            let bye = try Goodbye(parsing: buf)
            #expect(bye.reason == nil && bye.ssrcs.count == 1)
        }
        #expect(try RTCPTestKit.rewrite(plain) == plain)
    }

    @Test(arguments: [
        ("81 cb 00 02  12 34 56 78  09 61 62 63", ParseError.Kind.truncated),  // reason length past the end
        ("83 cb 00 01  12 34 56 78", .truncated),                              // SC=3, one SSRC
        ("81 cb 00 03  12 34 56 78  01 61 00 00  00 00 00 00", .malformed),   // a word after the reason
    ])
    func byeMalformed(hex: String, kind: ParseError.Kind) {
        let got = withBytes(hexBytes(hex)) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try Goodbye(parsing: buf) } }
        #expect(got == kind)
    }

    @Test func app() throws {
        let bytes = hexBytes("""
            82 cc 00 03  // V=2 P=0 subtype=2 PT=APP=204 length=3
            12 34 56 78  // SSRC
            54 45 53 54  // name "TEST"
            de ad be ef  // application data
            """)
        try withBytes(bytes) { buf in
            let app = try ApplicationDefined(parsing: buf)
            #expect(app.subtype == 2 && app.ssrc == 0x1234_5678 && app.name == 0x5445_5354)
            #expect(RTCPTestKit.bytes(app.data) == [0xde, 0xad, 0xbe, 0xef])
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        RTCPTestKit.expectTruncatedPrefixesFail(bytes)
        #expect(withBytes(hexBytes("80 cc 00 01  12 34 56 78")) { buf in
            RTCPTestKit.errorKind { () throws(ParseError) in _ = try ApplicationDefined(parsing: buf) }
        } == .truncated)
    }

    /// An APP packet whose data is not whole words is written with RTCP padding, so values survive.
    @Test func unalignedDataIsPadded() throws {
        let data: [UInt8] = [1, 2, 3, 4, 5]
        let written: [UInt8] = try data.withUnsafeBytes { d in
            let app = ApplicationDefined(subtype: 0, ssrc: 7, name: 0x4142_4344, data: d)
            var out = [UInt8](repeating: 0, count: app.encodedSize)
            _ = try out.withUnsafeMutableBytes { try app.write(into: $0) }
            return out
        }
        #expect(written == hexBytes("a0 cc 00 04  00 00 00 07  41 42 43 44  01 02 03 04  05 00 00 03"))
        try withBytes(written) { buf in
            let app = try ApplicationDefined(parsing: buf)
            #expect(RTCPTestKit.bytes(app.data) == data)
        }
    }
}
