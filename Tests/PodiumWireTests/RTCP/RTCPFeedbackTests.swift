import Testing
import PodiumTestSupport
@testable import PodiumWire

/// RTPFB generic NACK (RFC 4585 §6.2.1), PSFB PLI (RFC 4585 §6.3.1), FIR (RFC 5104 §4.3.1), REMB
/// (draft-alvestrand-rmcat-remb-03 §2.2).
@Suite struct RTCPFeedbackTests {
    /// Shaped like Chromium's NACKs: receive-only sender SSRC 1, several items, a loss run across 65535.
    static let nack = """
        81 cd 00 04  // V=2 P=0 FMT=1 PT=RTPFB=205 length=4
        00 00 00 01  // SSRC of packet sender
        0a 3b 4c 5d  // SSRC of media source
        ff fe 00 05  // PID 65534, BLP 0b101: 65535 and 1 lost too
        00 0a 80 00  // PID 10, BLP bit 15: 26 lost too
        """

    @Test func nackLostSequenceNumbers() throws {
        let bytes = hexBytes(Self.nack)
        try withBytes(bytes) { buf in
            let nack = try GenericNACK(parsing: buf)
            #expect(nack.senderSSRC == 1 && nack.mediaSSRC == 0x0a3b_4c5d)
            #expect(Array(nack.items) == [NACKItem(pid: 65534, blp: 5), NACKItem(pid: 10, blp: 0x8000)])
            #expect(Array(nack.lostSequenceNumbers) == [65534, 65535, 1, 10, 26])
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        RTCPTestKit.expectTruncatedPrefixesFail(bytes)
    }

    /// The builder packs 10 into the first item (65534 + 12): same item count, fewer set PIDs.
    @Test func nackBuilderIsMinimal() throws {
        let lost: [UInt16] = [65534, 65535, 1, 1, 10, 26]
        let bytes = hexBytes("""
            81 cd 00 04  // V=2 P=0 FMT=1 PT=RTPFB=205 length=4
            00 00 00 01  // SSRC of packet sender
            0a 3b 4c 5d  // SSRC of media source
            ff fe 08 05  // PID 65534, BLP bits 0, 2, 11: 65535, 1, 10
            00 1a 00 00  // PID 26
            """)
        let written: [UInt8] = try lost.withUnsafeBufferPointer { l in
            #expect(GenericNACK.itemCount(lost: l) == 2)
            var out = [UInt8](repeating: 0, count: 20)
            let n = try out.withUnsafeMutableBytes { try GenericNACK.write(senderSSRC: 1, mediaSSRC: 0x0a3b_4c5d, lost: l, into: $0) }
            #expect(n == 20)
            var items = [NACKItem](repeating: NACKItem(pid: 0, blp: 0), count: 1)
            #expect(throws: BufferTooSmall.self) { try items.withUnsafeMutableBufferPointer { try GenericNACK.encode(lost: l, into: $0) } }
            return out
        }
        #expect(written == bytes)
    }

    /// Every window of lost numbers starting near the wrap encodes to the fewest items and decodes back.
    @Test func nackBuilderRoundTripAcrossWrap() throws {
        for start in UInt16(65500)...UInt16(65535) {
            for step in [1, 2, 3, 5, 16, 17, 40] {
                let lost = (0..<30).map { start &+ UInt16($0 * step) }
                let minimal = step > 16 ? 30 : (29 * step) / 17 + 1
                try lost.withUnsafeBufferPointer { l in
                    var items = [NACKItem](repeating: NACKItem(pid: 0, blp: 0), count: 64)
                    let n = try items.withUnsafeMutableBufferPointer { try GenericNACK.encode(lost: l, into: $0) }
                    #expect(n == GenericNACK.itemCount(lost: l))
                    #expect(n <= minimal, "start \(start) step \(step)")
                    try items.withUnsafeBufferPointer { buffer in
                        let nack = GenericNACK(senderSSRC: 1, mediaSSRC: 2, items: RTCPList(UnsafeBufferPointer(rebasing: buffer[0..<n])))
                        #expect(Array(nack.lostSequenceNumbers) == lost)
                        var out = [UInt8](repeating: 0, count: nack.encodedSize)
                        _ = try out.withUnsafeMutableBytes { try nack.write(into: $0) }
                        var direct = [UInt8](repeating: 0, count: nack.encodedSize)
                        _ = try direct.withUnsafeMutableBytes { try GenericNACK.write(senderSSRC: 1, mediaSSRC: 2, lost: l, into: $0) }
                        #expect(out == direct)
                    }
                }
            }
        }
    }

    @Test(arguments: [
        ("81 cd 00 02  00 00 00 01  00 00 00 02", ParseError.Kind.truncated),        // no FCI
        ("81 cd 00 03  00 00 00 01  00 00 00 02  00 01", .truncated),               // length past the end
        ("a1 cd 00 04  00 00 00 01  00 00 00 02  00 01 00 02  00 03 00 02", .malformed),  // padding leaves half an item
    ])
    func nackMalformed(hex: String, kind: ParseError.Kind) {
        let got = withBytes(hexBytes(hex)) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try GenericNACK(parsing: buf) } }
        #expect(got == kind)
    }

    @Test func pli() throws {
        let bytes = hexBytes("""
            81 ce 00 02  // V=2 P=0 FMT=1 PT=PSFB=206 length=2
            00 00 00 01  // SSRC of packet sender
            4c 2a 11 0f  // SSRC of media source
            """)
        try withBytes(bytes) { buf in
            #expect(try PictureLossIndication(parsing: buf) == PictureLossIndication(senderSSRC: 1, mediaSSRC: 0x4c2a_110f))
            guard case .pli = try RTCPPacket(parsing: buf) else { Issue.record("not a PLI"); return }
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        RTCPTestKit.expectTruncatedPrefixesFail(bytes)
        #expect(withBytes(hexBytes("81 ce 00 03  00 00 00 01  00 00 00 02  00 00 00 00")) { buf in
            RTCPTestKit.errorKind { () throws(ParseError) in _ = try PictureLossIndication(parsing: buf) }
        } == .malformed)
    }

    @Test func fir() throws {
        let bytes = hexBytes("""
            84 ce 00 06  // V=2 P=0 FMT=4 PT=PSFB=206 length=6
            00 00 00 01  // SSRC of packet sender
            00 00 00 00  // SSRC of media source: unused (RFC 5104 §4.3.1.2)
            4c 2a 11 0f  // FCI 1: SSRC
            07 00 00 00  // seq nr 7, reserved
            4c 2a 11 10  // FCI 2: SSRC
            ff 00 00 00  // seq nr 255, reserved
            """)
        try withBytes(bytes) { buf in
            let fir = try FullIntraRequest(parsing: buf)
            #expect(fir.senderSSRC == 1 && fir.mediaSSRC == 0)
            #expect(Array(fir.entries) == [FIREntry(ssrc: 0x4c2a_110f, sequenceNumber: 7), FIREntry(ssrc: 0x4c2a_1110, sequenceNumber: 255)])
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        RTCPTestKit.expectTruncatedPrefixesFail(bytes)
        let entries = [FIREntry(ssrc: 0x4c2a_110f, sequenceNumber: 7), FIREntry(ssrc: 0x4c2a_1110, sequenceNumber: 255)]
        let built: [UInt8] = try entries.withUnsafeBufferPointer { e in
            let fir = FullIntraRequest(senderSSRC: 1, entries: RTCPList(e))
            var out = [UInt8](repeating: 0, count: fir.encodedSize)
            _ = try out.withUnsafeMutableBytes { try fir.write(into: $0) }
            return out
        }
        #expect(built == bytes)
        #expect(withBytes(hexBytes("84 ce 00 03  00 00 00 01  00 00 00 00  4c 2a 11 0f")) { buf in
            RTCPTestKit.errorKind { () throws(ParseError) in _ = try FullIntraRequest(parsing: buf) }
        } == .truncated)
        #expect(withBytes(hexBytes("84 ce 00 05  00 00 00 01  00 00 00 00  4c 2a 11 0f  07 00 00 00  4c 2a 11 10")) { buf in
            RTCPTestKit.errorKind { () throws(ParseError) in _ = try FullIntraRequest(parsing: buf) }
        } == .malformed)
    }

    /// Real REMB sent by Chrome while receiving a 6 Mb/s stream (as recorded in pion/rtcp's tests).
    static let chromeREMB = """
        8f ce 00 05  // V=2 P=0 FMT=15 PT=PSFB=206 length=5
        00 00 00 01  // SSRC of packet sender
        00 00 00 00  // SSRC of media source: 0
        52 45 4d 42  // 'R' 'E' 'M' 'B'
        01 1a 20 df  // Num SSRC=1, BR Exp=6, BR Mantissa=139487 → 8 927 168 bps
        48 74 ed 16  // SSRC feedback
        """

    @Test func rembFromChrome() throws {
        let bytes = hexBytes(Self.chromeREMB)
        try withBytes(bytes) { buf in
            let remb = try REMB(parsing: buf)
            #expect(remb.bitrate == 8_927_168)
            #expect(remb.senderSSRC == 1 && remb.mediaSSRC == 0)
            #expect(Array(remb.ssrcs) == [0x4874_ed16])
            #expect(remb.exponentAndMantissa == (6, 139_487))
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        RTCPTestKit.expectTruncatedPrefixesFail(bytes)
    }

    @Test(arguments: [
        (UInt64(1_000_000), "01 0b d0 90"),    // exp 2, mantissa 250000: exact
        (UInt64(0), "01 00 00 00"),
        (UInt64(0x3_FFFF), "01 03 ff ff"),       // largest exponent-0 value
        (UInt64(0x4_0000), "01 06 00 00"),       // exp 1, mantissa 0x20000
        (UInt64(30_000_000), "01 1f 93 87"),     // exp 7, mantissa 234375: exact
        (UInt64(30_000_001), "01 1f 93 87"),     // the low 7 bits are truncated
    ])
    func rembBitrateEncoding(bitrate: UInt64, word: String) throws {
        let ssrcs: [UInt32] = [0xdead_beef]
        let bytes: [UInt8] = try ssrcs.withUnsafeBufferPointer { s in
            let remb = REMB(senderSSRC: 1, bitrate: bitrate, ssrcs: RTCPList(s))
            var out = [UInt8](repeating: 0, count: remb.encodedSize)
            _ = try out.withUnsafeMutableBytes { try remb.write(into: $0) }
            return out
        }
        #expect(hexString(bytes[16..<20]) == word.replacingOccurrences(of: " ", with: ""))
        try withBytes(bytes) { buf in
            let remb = try REMB(parsing: buf)
            let (e, m) = remb.exponentAndMantissa
            #expect(remb.bitrate == UInt64(m) << e)
            #expect(remb.bitrate <= bitrate && bitrate - remb.bitrate < (1 << e))
            if bitrate != 30_000_001 { #expect(remb.bitrate == bitrate) }
        }
    }

    @Test func rembMalicious() {
        // Exponent 63 with a mantissa of 2 overflows 64 bits.
        let overflow = hexBytes("8f ce 00 04  00 00 00 01  00 00 00 00  52 45 4d 42  00 fc 00 02")
        #expect(withBytes(overflow) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try REMB(parsing: buf) } } == .malformed)
        // Largest representable: exponent 63, mantissa 1 → 2^63.
        let top = hexBytes("8f ce 00 04  00 00 00 01  00 00 00 00  52 45 4d 42  00 fc 00 01")
        #expect(withBytes(top) { buf in (try? REMB(parsing: buf))?.bitrate } == 1 << 63)
        // Num SSRC=255 in a packet holding one.
        let count = hexBytes("8f ce 00 05  00 00 00 01  00 00 00 00  52 45 4d 42  ff 00 00 01  00 00 00 09")
        #expect(withBytes(count) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try REMB(parsing: buf) } } == .truncated)
        // Application layer feedback that is not REMB is `.unknown` in a compound, refused by REMB(parsing:).
        let other = hexBytes("8f ce 00 03  00 00 00 01  00 00 00 00  47 4f 4f 47")
        #expect(withBytes(other) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try REMB(parsing: buf) } } == .malformed)
        withBytes(other) { buf in
            guard case .unknown(206, 15, let b)? = try? RTCPPacket(parsing: buf) else { Issue.record("expected unknown"); return }
            #expect(b.count == 16)
        }
    }
}
