import Testing
import PodiumTestSupport
@testable import PodiumWire

/// Transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): parsing,
/// iterating, and the libwebrtc-style builder.
@Suite struct TransportCCFeedbackTests {
    /// Feedback as Chrome sends it (recorded in pion/rtcp's tests): a 2-bit vector with a large delta,
    /// a run-length chunk of losses longer than the status count, and RTCP padding.
    static let chromeFeedback = """
        af cd 00 07  // V=2 P=1 FMT=15 PT=RTPFB=205 length=7
        9b 74 f6 1f  // SSRC of packet sender
        93 71 dc bc  // SSRC of media source
        85 3c 00 09  // base sequence 34108, packet status count 9
        63 f9 16 b3  // reference time 6551830 (× 64 ms), fb pkt count 179
        d5 52 00 30  // 2-bit vector: small ×5, not received, large; run-length: not received ×48
        9b aa 6a aa  // small deltas 155, 170, 106, 170 (× 250 µs)
        7b 01 09 01  // small delta 123; large delta 0x0109 = 265; 1 byte of padding
        """

    @Test func chromeFeedbackParses() throws {
        let bytes = hexBytes(Self.chromeFeedback)
        try withBytes(bytes) { buf in
            let fb = try TransportCCFeedback(parsing: buf)
            #expect(fb.senderSSRC == 0x9b74_f61f && fb.mediaSSRC == 0x9371_dcbc)
            #expect(fb.baseSequence == 34108 && fb.packetStatusCount == 9)
            #expect(fb.referenceTime == 6_551_830 && fb.feedbackPacketCount == 179)
            let packets = Array(fb.packets)
            #expect(packets.map(\.sequence) == Array(34108...34116))
            #expect(packets.map(\.symbol) == [1, 1, 1, 1, 1, 0, 2, 0, 0])
            #expect(packets.map(\.deltaMicros) == [38750, 42500, 26500, 42500, 30750, 0, 66250, 0, 0])
            let base = Int64(6_551_830) * 64_000
            #expect(packets[0].arrivalMicros == base + 38750)
            #expect(packets[4].arrivalMicros == base + 38750 + 42500 + 26500 + 42500 + 30750)
            #expect(packets[5].arrivalMicros == nil)
            #expect(packets[6].arrivalMicros == base + 38750 + 42500 + 26500 + 42500 + 30750 + 66250)
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        RTCPTestKit.expectTruncatedPrefixesFail(bytes)
    }

    @Test func runLengthChunksWithLargeDeltas() throws {
        let bytes = hexBytes("""
            8f cd 00 07  // V=2 P=0 FMT=15 PT=205 length=7
            fa 17 fa 17  // SSRC of packet sender
            19 3d d8 bb  // SSRC of media source
            01 74 00 06  // base 372, count 6
            45 b1 5a 40  // reference time 4567386, fb count 64
            40 02 20 04  // run: large ×2; run: small ×4
            1f fe 1f 9a  // large 8190, large 8090
            d0 00 d0 00  // small 208, 0, 208, 0
            """)
        try withBytes(bytes) { buf in
            let fb = try TransportCCFeedback(parsing: buf)
            #expect(fb.packets.map(\.deltaTicks) == [8190, 8090, 208, 0, 208, 0])
            #expect(fb.packets.map(\.symbol) == [2, 2, 1, 1, 1, 1])
        }
        #expect(try RTCPTestKit.rewrite(bytes) == bytes)
        // Why: pion/rtcp's marshal example sets P here; a padding count of 0 is invalid (RFC 3550 §6.4.1).
        var padded = bytes
        padded[0] = 0xaf
        #expect(withBytes(padded) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try RTCPCompound(parsing: buf) } } == .malformed)
    }

    /// The builder makes the same bytes as libwebrtc-compatible encoders for these (pion/rtcp's
    /// marshal examples 4, 5 and 6): a run of 7 small deltas, a 1-bit vector of 14, a 1-bit vector of 12.
    @Test(arguments: [
        (UInt16(4), Int32(1_074_030), UInt8(1), [19000, 9000, 9000, 4000, 3000, 3000, 4000] as [Int64?], 0x193d_d8bb as UInt32, """
            af cd 00 07  // V=2 P=1 FMT=15 PT=205 length=7
            fa 17 fa 17  // sender SSRC
            19 3d d8 bb  // media SSRC
            00 04 00 07  // base 4, count 7
            10 63 6e 01  // reference time 1074030, fb count 1
            20 07 4c 24  // run: small ×7; deltas 76, 36
            24 10 0c 0c  // deltas 36, 16, 12, 12
            10 00 00 03  // delta 16; padding 3
            """),
        (UInt16(1), Int32(1_074_029), UInt8(0), [4000, 3000, 3000, nil, 4000, nil, nil, nil, nil, nil, nil, nil, nil, nil], 0x193d_d8bb, """
            af cd 00 06  // V=2 P=1 FMT=15 PT=205 length=6
            fa 17 fa 17  // sender SSRC
            19 3d d8 bb  // media SSRC
            00 01 00 0e  // base 1, count 14
            10 63 6d 00  // reference time 1074029, fb count 0
            ba 00 10 0c  // 1-bit vector 11101000000000; deltas 16, 12
            0c 10 00 02  // deltas 12, 16; padding 2
            """),
        (UInt16(39956), Int32(4_391_840), UInt8(0), [48250, 15750, 14750, 15750, 20750, nil, 36000, 14750, nil, nil, nil, nil], 0x4303_2fa0, """
            af cd 00 07  // V=2 P=1 FMT=15 PT=205 length=7
            fa 17 fa 17  // sender SSRC
            43 03 2f a0  // media SSRC
            9c 14 00 0c  // base 39956, count 12
            43 03 a0 00  // reference time 4391840, fb count 0
            be c0 c1 3f  // 1-bit vector 111110110000(00); deltas 193, 63
            3b 3f 53 90  // deltas 59, 63, 83, 144
            3b 00 00 03  // delta 59; padding 3
            """),
    ])
    func builderMatchesKnownEncodings(base: UInt16, reference: Int32, fbCount: UInt8, deltas: [Int64?], mediaSSRC: UInt32, hex: String) throws {
        var out = [UInt8](repeating: 0, count: 1500)
        let n: Int? = out.withUnsafeMutableBytes { raw in
            var builder = TransportCCFeedbackBuilder(senderSSRC: 0xfa17_fa17, mediaSSRC: mediaSSRC, baseSequence: base,
                                                     referenceTime: reference, feedbackPacketCount: fbCount, buffer: raw)
            var time = Int64(reference) * 64_000
            for (i, delta) in deltas.enumerated() {
                if let delta { time += delta }
                let added1 = builder.add(sequence: base &+ UInt16(i), arrivalMicros: delta == nil ? nil : time)
                #expect(added1)
            }
            return builder.finish()
        }
        let expected = hexBytes(hex)
        #expect(n.map { Array(out[0..<$0]) } == expected)
    }

    /// A deterministic pseudo-random source for the scenarios (no Foundation randomness: reproducible).
    private struct LCG {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    /// Builds feedback for `packets` (sequence, arrival µs or nil), parses it back and checks that every
    /// accepted packet's status and arrival time (to ±125 µs) survive. Returns how many were accepted.
    @discardableResult
    private static func roundTrip(base: UInt16, referenceTime: Int32, packets: [(UInt16, Int64?)], maxSize: Int = 1200,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        var out = [UInt8](repeating: 0, count: maxSize)
        var accepted = 0
        let size: Int? = out.withUnsafeMutableBytes { raw in
            var builder = TransportCCFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2, baseSequence: base, referenceTime: referenceTime,
                                                     feedbackPacketCount: 9, buffer: raw)
            for (seq, arrival) in packets {
                guard builder.add(sequence: seq, arrivalMicros: arrival) else { break }
                accepted += 1
                #expect(builder.size <= maxSize, sourceLocation: sourceLocation)
            }
            return builder.finish()
        }
        guard let size else {
            #expect(accepted == 0, sourceLocation: sourceLocation)
            return 0
        }
        #expect(size <= maxSize && size % 4 == 0, sourceLocation: sourceLocation)
        try withBytes(Array(out[0..<size])) { buf in
            let fb = try TransportCCFeedback(parsing: buf)
            #expect(fb.baseSequence == base && fb.referenceTime == referenceTime && fb.feedbackPacketCount == 9, sourceLocation: sourceLocation)
            var expected: [UInt16: Int64?] = [:]
            for (seq, arrival) in packets.prefix(accepted) { expected[seq] = arrival }
            let lastSeq = packets[accepted - 1].0
            #expect(Int(fb.packetStatusCount) == Int(lastSeq &- base) + 1, sourceLocation: sourceLocation)
            for status in fb.packets {
                let want = expected[status.sequence] ?? nil  // gaps the builder filled are losses
                switch (want, status.arrivalMicros) {
                case (nil, nil): break
                case (let w?, let got?): #expect(abs(w - got) <= 125, "seq \(status.sequence): \(got) vs \(w)", sourceLocation: sourceLocation)
                default: Issue.record("seq \(status.sequence): received \(status.isReceived), expected \(want != nil)", sourceLocation: sourceLocation)
                }
            }
            // Write-back reproduces the bytes.
            var again = [UInt8](repeating: 0, count: fb.encodedSize)
            _ = try again.withUnsafeMutableBytes { try fb.write(into: $0) }
            #expect(again == Array(out[0..<size]), sourceLocation: sourceLocation)
        }
        return accepted
    }

    private static let t0: Int64 = 5_000_000_123
    private static let ref0 = TransportCCFeedbackBuilder.referenceTime(forMicros: t0)

    @Test func referenceTimeFromMicros() {
        #expect(Self.ref0 == 78125)
        #expect(TransportCCFeedbackBuilder.referenceTime(forMicros: 0) == 0)
        #expect(TransportCCFeedbackBuilder.referenceTime(forMicros: 63_999) == 0)
        #expect(TransportCCFeedbackBuilder.referenceTime(forMicros: 64_000) == 1)
        #expect(TransportCCFeedbackBuilder.referenceTime(forMicros: -1) == -1)
        // 2^23 ticks wraps to the negative half of the signed 24-bit field.
        #expect(TransportCCFeedbackBuilder.referenceTime(forMicros: Int64(1 << 23) * 64_000) == -0x80_0000)
    }

    @Test func lossRunsLargeAndNegativeDeltas() throws {
        var rng = LCG(state: 42)
        var packets: [(UInt16, Int64?)] = []
        var time = Self.t0 + 3_000
        var seq: UInt16 = 100
        for _ in 0..<300 {
            switch rng.next(10) {
            case 0: time += Int64(rng.next(5_000_000))            // large: up to 5 s
            case 1: time -= Int64(rng.next(20_000))               // negative: arrived before the previous one
            default: time += Int64(rng.next(64_000))              // small
            }
            let lost = rng.next(6) == 0
            packets.append((seq, lost ? nil : time))
            seq &+= UInt16(1 + (rng.next(8) == 0 ? rng.next(30) : 0))  // occasional implicit loss runs
        }
        try Self.roundTrip(base: 100, referenceTime: Self.ref0, packets: packets, maxSize: 4096)
    }

    @Test func wrapAroundSequenceNumbers() throws {
        for base in [UInt16(65500), 65534, 65535, 0] {
            var time = Self.t0
            let packets: [(UInt16, Int64?)] = (0..<120).map { i in
                time += 5_000
                return (base &+ UInt16(i), i % 9 == 4 ? nil : time)
            }
            try Self.roundTrip(base: base, referenceTime: Self.ref0, packets: packets)
        }
    }

    /// A packet before the previous one (reordered or duplicate) is refused and changes nothing.
    @Test func refusesOlderSequenceAndHugeDelta() throws {
        var out = [UInt8](repeating: 0, count: 200)
        out.withUnsafeMutableBytes { raw in
            var b = TransportCCFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2, baseSequence: 65535, referenceTime: 0, feedbackPacketCount: 0, buffer: raw)
            #expect(b.finish() == nil)
            let added2 = b.add(sequence: 65535, arrivalMicros: 1_000)
            #expect(added2)
            let added3 = b.add(sequence: 1, arrivalMicros: 2_000)
            #expect(added3)
            let added4 = b.add(sequence: 0, arrivalMicros: 3_000)
            #expect(!added4)
            let added5 = b.add(sequence: 1, arrivalMicros: 3_000)
            #expect(!added5)
            // More than 2^15 ticks (8.19 s) does not fit a large delta.
            let added6 = b.add(sequence: 2, arrivalMicros: 2_000 + 9_000_000)
            #expect(!added6)
            let added7 = b.add(sequence: 2, arrivalMicros: 2_000 - 9_000_000)
            #expect(!added7)
            #expect(b.packetStatusCount == 3)
            let added8 = b.add(sequence: 2, arrivalMicros: 2_000 + 8_000_000)
            #expect(added8)
        }
    }

    @Test func longRunsSplitAtRunLengthCapacity() throws {
        var time = Self.t0
        var packets: [(UInt16, Int64?)] = (0..<9000).map { i in
            time += 1_000
            return (UInt16(i), time)
        }
        packets.append((20000, time + 1_000))  // 10999 losses in between: two run-length chunks
        let accepted = try Self.roundTrip(base: 0, referenceTime: Self.ref0, packets: packets, maxSize: 16_000)
        #expect(accepted == packets.count)
    }

    @Test func respectsMaxSize() throws {
        var rng = LCG(state: 7)
        var time = Self.t0
        let packets: [(UInt16, Int64?)] = (0..<2000).map { i in
            time += Int64(rng.next(3) == 0 ? 70_000 : 2_000)
            return (UInt16(i), rng.next(4) == 0 ? nil : time)
        }
        for maxSize in [24, 28, 64, 100, 1200] {
            let accepted = try Self.roundTrip(base: 0, referenceTime: Self.ref0, packets: packets, maxSize: maxSize)
            #expect(accepted > 0 && accepted < packets.count)
        }
    }

    @Test(arguments: [
        ("8f cd 00 04  00 00 00 01  00 00 00 02  00 00 00 00  00 00 00 00", ParseError.Kind.malformed),           // status count 0
        ("8f cd 00 05  00 00 00 01  00 00 00 02  00 00 ff ff  00 00 00 00  20 05 00 00", .truncated),           // 65535 statuses, one chunk
        ("8f cd 00 05  00 00 00 01  00 00 00 02  00 00 00 03  00 00 00 00  60 03 00 00", .malformed),           // reserved symbol 3
        ("8f cd 00 05  00 00 00 01  00 00 00 02  00 00 00 03  00 00 00 00  40 03 00 00", .truncated),           // 3 large deltas, 2 bytes
        ("8f cd 00 06  00 00 00 01  00 00 00 02  00 00 00 01  00 00 00 00  20 01 05 00  00 00 00 00", .malformed),  // bytes after the deltas
        ("8f cd 00 05  00 00 00 01  00 00 00 02  00 00 00 02  00 00 00 00  00 00 00 00", .truncated),           // zero-length runs only
        ("8f cd 00 03  00 00 00 01  00 00 00 02  00 00 00 02", .truncated),                                    // no reference time
    ])
    func malformedFeedback(hex: String, kind: ParseError.Kind) {
        let got = withBytes(hexBytes(hex)) { buf in RTCPTestKit.errorKind { () throws(ParseError) in _ = try TransportCCFeedback(parsing: buf) } }
        #expect(got == kind)
    }

    @Test func zeroLengthRunsAreSkipped() throws {
        let bytes = hexBytes("""
            8f cd 00 06  // V=2 P=0 FMT=15 PT=205 length=6
            00 00 00 01  // sender SSRC
            00 00 00 02  // media SSRC
            ff ff 00 02  // base 65535, count 2
            ff ff ff 00  // reference time -1, fb count 0
            00 00 20 02  // run of 0 (skipped); run: small ×2
            04 08 00 00  // deltas 4, 8; zeros to the word boundary (P clear)
            """)
        try withBytes(bytes) { buf in
            let fb = try TransportCCFeedback(parsing: buf)
            #expect(fb.referenceTime == -1)
            let packets = Array(fb.packets)
            #expect(packets.map(\.sequence) == [65535, 0])
            #expect(packets.map(\.arrivalMicros) == [-64_000 + 1_000, -64_000 + 3_000])
        }
    }
}
