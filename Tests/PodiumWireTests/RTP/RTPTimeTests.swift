import Testing
import PodiumTestSupport
@testable import PodiumWire

@Suite struct RTPTimeTests {
    // MARK: RFC 1982 serial numbers

    @Test func distanceAndNewerAroundTheWrap() {
        #expect(SerialNumber.distance(from: UInt16(65_535), to: 0) == 1)
        #expect(SerialNumber.distance(from: UInt16(0), to: 65_535) == -1)
        #expect(SerialNumber.distance(from: UInt16(65_000), to: 500) == 1_036)
        #expect(SerialNumber.isNewer(UInt16(0), than: 65_535))
        #expect(!SerialNumber.isNewer(UInt16(65_535), than: 0))
        #expect(!SerialNumber.isNewer(UInt16(7), than: 7))
        #expect(SerialNumber.distance(from: UInt32.max, to: 0) == 1)
        #expect(SerialNumber.distance(from: UInt32(0), to: UInt32.max) == -1)
        #expect(SerialNumber.latest(UInt16(65_530), 3) == 3)
        #expect(SerialNumber.distance(from: UInt8(250), to: 4) == 10)
    }

    /// RFC 1982 §3.2 leaves exactly half the space undefined; we order by raw value so exactly one
    /// of the two is newer.
    @Test func halfwayDistanceIsAntisymmetric() {
        for a in stride(from: 0, through: 65_535, by: 97) {
            let x = UInt16(a)
            let y = x &+ 0x8000
            #expect(SerialNumber.isNewer(x, than: y) != SerialNumber.isNewer(y, than: x))
            #expect(abs(SerialNumber.distance(from: x, to: y)) == 32_768)
        }
        #expect(SerialNumber.distance(from: UInt32(0), to: 0x8000_0000) == 0x8000_0000)
        #expect(SerialNumber.distance(from: UInt32(0x8000_0000), to: 0) == -0x8000_0000)
    }

    @Test func distanceIsAntisymmetricNearWrapPoints() {
        let starts: [UInt16] = [65_535, 65_534, 0, 1, 32_767, 32_768, 32_769]
        for s in starts {
            for d in -300 ... 300 {
                let b = UInt16(truncatingIfNeeded: Int(s) + d)
                #expect(SerialNumber.distance(from: s, to: b) == Int64(d))
                #expect(SerialNumber.distance(from: b, to: s) == Int64(-d))
                #expect(SerialNumber.isNewer(b, than: s) == (d > 0))
            }
        }
    }

    // MARK: Unwrapping

    @Test func sequenceNumberUnwrapsThroughManyWraps() {
        for start in [UInt16(65_535), 65_000, 0, 32_767, 32_768] {
            var u = SequenceNumberUnwrapper()
            #expect(u.latest == nil)
            var expected = Int64(start)
            #expect(u.unwrap(start) == expected)
            var s = start
            // 3.5 wraps in steps of 1…
            for _ in 0 ..< 229_376 {
                s &+= 1
                expected += 1
                guard u.unwrap(s) == expected else { Issue.record("start \(start) at \(expected)"); return }
            }
            #expect(u.latest == expected)
        }
    }

    @Test func sequenceNumberUnwrapWithReorderingAcrossTheWrap() {
        var u = SequenceNumberUnwrapper()
        #expect(u.unwrap(65_533) == 65_533)
        #expect(u.unwrap(65_535) == 65_535)
        #expect(u.unwrap(1) == 65_537)
        #expect(u.unwrap(65_534) == 65_534)   // late packet from before the wrap
        #expect(u.unwrap(0) == 65_536)
        #expect(u.unwrap(2) == 65_538)
        #expect(u.peek(65_535) == 65_535)
        #expect(u.latest == 65_538)
    }

    @Test func sequenceNumberLargeJumps() {
        var u = SequenceNumberUnwrapper()
        #expect(u.unwrap(100) == 100)
        #expect(u.unwrap(100 + 32_767) == 32_867)        // largest forward jump
        #expect(u.unwrap(100) == 100)                    // 32 767 back
        #expect(u.unwrap(100 &+ 32_768) == 32_868)       // exactly half: larger raw value is newer
        #expect(u.unwrap(100) == 100)                    // …and back again is older
        var v = SequenceNumberUnwrapper()
        #expect(v.unwrap(10) == 10)
        #expect(v.unwrap(65_000) == -536)                // reordered before the first value
        v.reset()
        #expect(v.unwrap(5) == 5)
    }

    @Test func timestampUnwrapsAround2To32() {
        for start in [UInt32.max - 5, UInt32.max, 0, 0x7FFF_FFFF, 0x8000_0000] {
            var u = TimestampUnwrapper()
            var expected = Int64(start)
            #expect(u.unwrap(start) == expected)
            var t = start
            for step in [UInt32(3_000), 1, 0x4000_0000, 90_000, 0x7FFF_FFFF] {
                for _ in 0 ..< 9 {
                    t &+= step
                    expected += Int64(step)
                    #expect(u.unwrap(t) == expected)
                }
            }
            // Going back by 3000 (a reordered frame) unwraps below.
            #expect(u.unwrap(t &- 3_000) == expected - 3_000)
        }
    }

    // MARK: NTP (RFC 3550 §4, §6.4.1)

    @Test func ntpUnixConversions() {
        // 1970-01-01 is NTP second 2 208 988 800.
        #expect(NTPTimestamp(unixNanoseconds: 0).rawValue == 2_208_988_800 << 32)
        let t = NTPTimestamp(unixNanoseconds: 1_700_000_000_500_000_000)
        #expect(t.seconds == UInt32(1_700_000_000 + 2_208_988_800))
        #expect(t.fraction == 0x8000_0000)
        #expect(t.unixNanoseconds == 1_700_000_000_500_000_000)
        #expect(NTPTimestamp(sinceUnixEpoch: .seconds(1_700_000_000) + .milliseconds(500)) == t)
        // Round trip is exact to the nanosecond for a sweep of sub-second values.
        for ns in stride(from: UInt64(0), to: 1_000_000_000, by: 7_777_777) {
            let x = 1_600_000_000_000_000_000 + ns
            #expect(NTPTimestamp(unixNanoseconds: x).unixNanoseconds == x)
        }
        #expect(NTPTimestamp(seconds: 5, fraction: 0).unixNanoseconds == 0)
        #expect(NTPTimestamp(seconds: 1, fraction: 0) < NTPTimestamp(seconds: 1, fraction: 1))
    }

    @Test func ntpCompactForm() {
        let t = NTPTimestamp(seconds: 0x1234_5678, fraction: 0x9abc_def0)
        #expect(t.compact.rawValue == 0x5678_9abc)
        #expect(NTPCompactTimestamp(duration: .milliseconds(500)).rawValue == 0x8000)
        #expect(NTPCompactTimestamp(duration: .seconds(3)).rawValue == 0x3_0000)
        #expect(NTPCompactTimestamp(rawValue: 0x0001_8000).duration == .milliseconds(1_500))
        #expect(NTPCompactTimestamp(duration: .seconds(70_000)).rawValue == .max)
        #expect(NTPCompactTimestamp(duration: .seconds(-1)).rawValue == 0)
        #expect(NTPCompactTimestamp(duration: .seconds(65_535) + .nanoseconds(999_999_999)).rawValue == .max)
    }

    /// RFC 3550 §6.4.1 example: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s),
    /// DLSR = 0x0005:4000 (5.250 s) → RTT = 6.125 s.
    @Test func roundTripTimeRFC3550Example() {
        let rtt = NTPCompactTimestamp.roundTripTime(arrival: NTPCompactTimestamp(rawValue: 0xb710_8000), lastSR: 0xb705_2000, delaySinceLastSR: 0x0005_4000)
        #expect(rtt == .milliseconds(6_125))
        #expect(NTPCompactTimestamp.roundTripTime(arrival: NTPCompactTimestamp(rawValue: 5), lastSR: 0, delaySinceLastSR: 0) == nil)
        // Negative (skew) clamps to zero.
        #expect(NTPCompactTimestamp.roundTripTime(arrival: NTPCompactTimestamp(rawValue: 100), lastSR: 90, delaySinceLastSR: 20) == .zero)
        // Across the 2^16 s wrap of the compact form.
        #expect(NTPCompactTimestamp.roundTripTime(arrival: NTPCompactTimestamp(rawValue: 0x0000_1000), lastSR: 0xffff_f000, delaySinceLastSR: 0x1000)
            == NTPCompactTimestamp(rawValue: 0x1000).duration)
    }

    // MARK: Demux (RFC 7983 §7, RFC 5761 §4)

    @Test func classifiesEveryFirstByte() {
        for first in 0 ... 255 {
            let expected: DatagramKind
            switch first {
            case 0 ... 3: expected = .stun
            case 16 ... 19: expected = .zrtp
            case 20 ... 63: expected = .dtls
            case 64 ... 79: expected = .turnChannel
            case 128 ... 191: expected = .rtp
            default: expected = .unknown
            }
            withBytes([UInt8(first), 96]) { #expect(DatagramKind(classifying: $0) == expected, "first byte \(first)") }
        }
    }

    @Test func rtcpByPayloadTypeAndShortInput() {
        for second in 0 ... 255 {
            let expected: DatagramKind = (192 ... 223).contains(second) ? .rtcp : .rtp
            withBytes([0x80, UInt8(second)]) { #expect(DatagramKind(classifying: $0) == expected) }
        }
        withBytes([]) { #expect(DatagramKind(classifying: $0) == .unknown) }
        withBytes([0x80]) { #expect(DatagramKind(classifying: $0) == .unknown) }
        withBytes([0x00]) { #expect(DatagramKind(classifying: $0) == .stun) }
        withBytes(RTPPacketTests.chromiumVideo) { #expect(DatagramKind(classifying: $0) == .rtp) }
        withBytes(hexBytes("81 c9 00 07")) { #expect(DatagramKind(classifying: $0) == .rtcp) }   // RR
        withBytes(hexBytes("80 c8 00 06")) { #expect(DatagramKind(classifying: $0) == .rtcp) }   // SR
    }
}
