import Testing
import PodiumTestSupport
@testable import PodiumWire

/// Compound walking (RFC 3550 §6.1), reduced-size RTCP (RFC 5506 §3.1), the common header and XR
/// (RFC 3611 §4.4, §4.5).
@Suite struct RTCPCompoundTests {
    static let extendedReport = """
        80 cf 00 0a  // V=2 P=0 reserved PT=XR=207 length=10
        12 34 56 78  // SSRC
        04 00 00 02  // BT=4 receiver reference time, block length 2
        e9 6a 6d 1f  // NTP timestamp, most significant word
        8b 43 95 81  // NTP timestamp, least significant word
        05 00 00 03  // BT=5 DLRR, block length 3
        87 65 43 21  // sub-block SSRC
        6d 1f 8b 43  // last RR
        00 00 80 00  // delay since last RR (0.5 s)
        2a 07 00 01  // BT=42 (unknown), type-specific 7, block length 1
        01 02 03 04  // its contents
        """

    @Test func extendedReportBlocks() throws {
        let bytes = hexBytes(Self.extendedReport)
        try withBytes(bytes) { buf in
            let xr = try ExtendedReport(parsing: buf)
            #expect(xr.ssrc == 0x1234_5678)
            let blocks = Array(xr.blocks)
            #expect(blocks.count == 3)
            #expect(blocks[0] == .receiverReferenceTime(ntpTimestamp: 0xe96a_6d1f_8b43_9581))
            guard case .dlrr(let subBlocks) = blocks[1] else { Issue.record("not DLRR"); return }
            #expect(Array(subBlocks) == [DLRRSubBlock(ssrc: 0x8765_4321, lastRR: 0x6d1f_8b43, delaySinceLastRR: 0x8000)])
            guard case .unknown(42, 7, let contents) = blocks[2] else { Issue.record("not unknown"); return }
            #expect(RTCPTestKit.bytes(contents) == [1, 2, 3, 4])
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        RTCPTestKit.expectTruncatedPrefixesFail(bytes)
        // Built from values.
        let subBlocks = [DLRRSubBlock(ssrc: 0x8765_4321, lastRR: 0x6d1f_8b43, delaySinceLastRR: 0x8000)]
        let built: [UInt8] = try subBlocks.withUnsafeBufferPointer { sub in
            try [UInt8]([1, 2, 3, 4]).withUnsafeBytes { contents in
                let blocks: [XRBlock] = [.receiverReferenceTime(ntpTimestamp: 0xe96a_6d1f_8b43_9581), .dlrr(RTCPList(sub)),
                                         .unknown(blockType: 42, typeSpecific: 7, contents: contents)]
                return try blocks.withUnsafeBufferPointer { list in
                    let xr = ExtendedReport(ssrc: 0x1234_5678, blocks: XRBlockList(list))
                    var out = [UInt8](repeating: 0, count: xr.encodedSize)
                    _ = try out.withUnsafeMutableBytes { try xr.write(into: $0) }
                    return out
                }
            }
        }
        #expect(built == bytes)
    }

    @Test(arguments: [
        ("80 cf 00 02  00 00 00 01  04 00 00 05", ParseError.Kind.truncated),                          // block length past the end
        ("80 cf 00 03  00 00 00 01  04 00 00 01  00 00 00 00", .malformed),                           // RRTR of one word
        ("80 cf 00 03  00 00 00 01  05 00 00 01  00 00 00 00", .malformed),                           // DLRR not whole sub-blocks
        ("80 cf 00 02  00 00 00 01  04 00", .truncated),                                             // half a block header
    ])
    func extendedReportMalformed(hex: String, kind: ParseError.Kind) {
        let got = withBytes(hexBytes(hex)) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try ExtendedReport(parsing: buf) } }
        #expect(got == kind)
    }

    /// SR + SDES + BYE as a sender leaving would send them; then RR + SDES + REMB + NACK + PLI + TWCC, a
    /// Chromium-shaped receiver datagram.
    @Test func compoundWalkAndRebuild() throws {
        let sr = hexBytes(RTCPReportTests.senderReport)
        let sdes = hexBytes(RTCPReportTests.sdes)
        let bye = hexBytes("81 cb 00 01  12 34 56 78  // BYE SC=1")
        let senderDatagram = sr + sdes + bye
        try RTCPTestKit.withPackets(senderDatagram) { packets throws in
            #expect(packets.count == 3)
            guard case .senderReport(let s) = packets[0], case .sdes(let d) = packets[1], case .bye(let b) = packets[2] else {
                Issue.record("wrong kinds \(packets)"); return
            }
            #expect(s.ssrc == 0x1234_5678 && Array(d.chunks).first?.ssrc == 0x1234_5678 && Array(b.ssrcs) == [0x1234_5678])
            #expect(try RTCPTestKit.writeCompound(packets) == senderDatagram)
        }
        try withBytes(senderDatagram) { buf in try RTCPCompound(parsing: buf).validateCompoundRules() }
        RTCPTestKit.expectTruncatedPrefixesFail(senderDatagram, except: [sr.count, sr.count + sdes.count])

        let rr = hexBytes("""
            81 c9 00 07  // RR RC=1 length=7
            00 00 00 01  // SSRC of packet sender
            12 34 56 78  // block SSRC
            00 00 00 00  // fraction 0, lost 0
            00 00 2f 1c  // highest seq
            00 00 00 0c  // jitter
            6d 1f 8b 43  // LSR
            00 00 40 00  // DLSR
            """)
        let receiverDatagram = rr + sdes + hexBytes(RTCPFeedbackTests.chromeREMB) + hexBytes(RTCPFeedbackTests.nack)
            + hexBytes("81 ce 00 02  00 00 00 01  12 34 56 78  // PLI") + hexBytes(TransportCCFeedbackTests.chromeFeedback)
        try RTCPTestKit.withPackets(receiverDatagram) { packets throws in
            let kinds = packets.map { p -> String in
                switch p {
                case .receiverReport: return "rr"
                case .sdes: return "sdes"
                case .remb: return "remb"
                case .genericNACK: return "nack"
                case .pli: return "pli"
                case .transportFeedback: return "twcc"
                default: return "other"
                }
            }
            #expect(kinds == ["rr", "sdes", "remb", "nack", "pli", "twcc"])
            #expect(try RTCPTestKit.writeCompound(packets) == receiverDatagram)
        }
        // The TWCC packet is padded and last: still a valid full compound.
        try withBytes(receiverDatagram) { buf in try RTCPCompound(parsing: buf).validateCompoundRules() }
    }

    /// RFC 5506: a lone feedback packet is a valid datagram, but not a full compound.
    @Test func reducedSize() throws {
        let pli = hexBytes("81 ce 00 02  00 00 00 01  12 34 56 78")
        try RTCPTestKit.withPackets(pli) { packets throws in #expect(packets.count == 1) }
        let kind = withBytes(pli) { buf in RTCPTestKit.errorKind { () throws(ParseError) in try RTCPCompound(parsing: buf).validateCompoundRules() } }
        #expect(kind == .malformed)
        // Padding on a packet that is not the last breaks the full compound rules only.
        let padded = hexBytes("a0 c9 00 02  00 00 00 01  00 00 00 04") + pli
        try RTCPTestKit.withPackets(padded) { packets throws in
            guard case .receiverReport(let rr) = packets[0] else { Issue.record("not RR"); return }
            #expect(rr.ssrc == 1 && rr.profileExtension.isEmpty)
        }
        let strict = withBytes(padded) { buf in RTCPTestKit.errorKind { () throws(ParseError) in try RTCPCompound(parsing: buf).validateCompoundRules() } }
        #expect(strict == .malformed)
    }

    @Test func unknownPacketsKeepTheirBytes() throws {
        let bytes = hexBytes("""
            80 c9 00 01  00 00 00 01  // RR, no blocks
            83 cd 00 03  // RTPFB FMT=3 (TMMBR): not modelled
            00 00 00 01  00 00 00 02  aa bb cc dd
            82 ce 00 02  00 00 00 01  00 00 00 02  // PSFB FMT=2 (SLI): not modelled
            80 c3 00 00  // PT=195 (IJ) with no body
            """)
        try RTCPTestKit.withPackets(bytes) { packets throws in
            guard case .unknown(205, 3, let tmmbr) = packets[1], case .unknown(206, 2, _) = packets[2], case .unknown(195, 0, let ij) = packets[3] else {
                Issue.record("\(packets)"); return
            }
            #expect(tmmbr.count == 16 && ij.count == 4)
            #expect(try RTCPTestKit.writeCompound(packets) == bytes)
        }
    }

    @Test(arguments: [
        ("", ParseError.Kind.truncated),                                  // empty datagram
        ("81 c9", .truncated),                                            // half a header
        ("40 c9 00 01  00 00 00 01", .malformed),                         // version 1
        ("80 c9 00 09  00 00 00 01", .truncated),                         // length past the end
        ("80 c9 00 01  00 00 00 01  80 c9", .truncated),                  // trailing half header
        ("a0 c9 00 01  00 00 00 09", .malformed),                         // padding bigger than the packet
        ("a0 c9 00 01  00 00 00 00", .malformed),                         // padding count zero
        ("a0 c9 00 01  00 00 00 04", .truncated),                         // padding eats the SSRC
        ("80 c9 ff ff  00 00 00 01", .truncated),                         // 256 KiB length in 8 bytes
    ])
    func maliciousFraming(hex: String, kind: ParseError.Kind) {
        let got = withBytes(hexBytes(hex)) { buf in
            RTCPTestKit.errorKind { () throws(ParseError) in
                let c = try RTCPCompound(parsing: buf)
                var it = c.makeIterator()
                while try it.next() != nil {}
            }
        }
        #expect(got == kind)
    }

    /// A bad packet after a good one: the iterator yields the good one, throws at the bad one with the
    /// offset in the datagram, then ends.
    @Test func errorOffsetsAreInTheDatagram() throws {
        let bytes = hexBytes("80 c9 00 01  00 00 00 01") + hexBytes("81 cb 00 02  00 00 00 01  09 61 62 63  // BYE reason past the end")
        try withBytes(bytes) { buf in
            let c = try RTCPCompound(parsing: buf)
            var it = c.makeIterator()
            #expect(try it.next() != nil)
            #expect(throws: ParseError(.truncated, at: 8 + 8, "BYE reason length points past the end")) { _ = try it.next() }
            #expect(try it.next() == nil)
        }
    }

    @Test func headerFields() throws {
        try withBytes(hexBytes("bf ce 01 02")) { buf in
            let h = try RTCPHeader(parsing: buf)
            #expect(h.padding && h.count == 31 && h.packetType == 206 && h.length == 258 && h.packetSize == 1036)
            var out = [UInt8](repeating: 0, count: 4)
            _ = try out.withUnsafeMutableBytes { try h.write(into: $0) }
            #expect(out == [0xbf, 0xce, 0x01, 0x02])
        }
    }

    @Test func compoundWriterStopsWhenFull() throws {
        var out = [UInt8](repeating: 0, count: 20)
        try out.withUnsafeMutableBytes { raw in
            var w = RTCPCompoundWriter(buffer: raw)
            try w.append(.pli(PictureLossIndication(senderSSRC: 1, mediaSSRC: 2)))
            #expect(throws: BufferTooSmall.self) { try w.append(.pli(PictureLossIndication(senderSSRC: 1, mediaSSRC: 3))) }
            #expect(w.size == 12)
        }
    }
}
