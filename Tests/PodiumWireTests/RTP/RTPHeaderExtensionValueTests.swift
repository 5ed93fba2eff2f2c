import Foundation
import Testing
import PodiumTestSupport
@testable import PodiumWire

@Suite struct RTPHeaderExtensionValueTests {
    static func roundTrip<T>(_ value: T, _ size: Int, _ write: (T, UnsafeMutableRawBufferPointer) throws -> Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        let n = try out.withUnsafeMutableBytes { try write(value, $0) }
        #expect(n == size)
        if size > 0 {
            var small = [UInt8](repeating: 0, count: size - 1)
            #expect(throws: BufferTooSmall.self) { _ = try small.withUnsafeMutableBytes { try write(value, $0) } }
        }
        return out
    }

    static func parseError<T>(_ bytes: [UInt8], _ parse: (UnsafeRawBufferPointer) throws(ParseError) -> T) -> ParseError? {
        withBytes(bytes) { buf -> ParseError? in
            do throws(ParseError) { _ = try parse(buf); return nil } catch { return error }
        }
    }

    // MARK: SDES identifiers (RFC 8852, RFC 9143)

    @Test func midAndRIDTokens() throws {
        try withBytes(Array("video-1".utf8)) { buf throws in
            let mid = try MediaIDExtension(parsing: buf)
            #expect(mid.mid.description == "video-1" && mid.mid.count == 7 && mid.mid.matches(buf))
            #expect(try Self.roundTrip(mid, 7) { try $0.write(into: $1) } == Array("video-1".utf8))
        }
        try withBytes(Array("q_1-A".utf8)) { buf throws in
            #expect(try RTPStreamIDExtension(parsing: buf).rid == RTPExtensionToken("q_1-A", syntax: .ridID))
            #expect(try RepairedRTPStreamIDExtension(parsing: buf).description == "repaired-rid=q_1-A")
        }
        #expect(RTPExtensionToken("h", syntax: .ridID) != RTPExtensionToken("f", syntax: .ridID))
        #expect(RTPExtensionToken("h", syntax: .ridID)!.matches(UnsafeRawBufferPointer(start: nil, count: 0)) == false)
    }

    @Test(arguments: [
        ("", ParseError.Kind.truncated),
        ("0123456789abcdefg", .limitExceeded),   // 17 bytes
        ("a b", .malformed),
        ("a:b", .malformed),
        ("a\u{0}", .malformed),
        ("é", .malformed),
    ])
    func rejectsBadMID(text: String, kind: ParseError.Kind) {
        #expect(Self.parseError(Array(text.utf8)) { b throws(ParseError) in try MediaIDExtension(parsing: b) }?.kind == kind)
    }

    @Test func ridSyntaxIsStricterThanToken() {
        // "." and "!" are token characters (valid in a MID) but not rid-id characters.
        for text in ["a.b", "a!"] {
            #expect(RTPExtensionToken(text, syntax: .token) != nil)
            #expect(RTPExtensionToken(text, syntax: .ridID) == nil)
            #expect(Self.parseError(Array(text.utf8)) { b throws(ParseError) in try RTPStreamIDExtension(parsing: b) }?.kind == .malformed)
        }
        #expect(RTPExtensionToken("0123456789abcdef", syntax: .ridID)?.count == 16)
        var set = Set<RTPExtensionToken>()
        set.insert(RTPExtensionToken("q", syntax: .ridID)!)
        #expect(set.contains(RTPExtensionToken("q", syntax: .token)!))
    }

    // MARK: abs-send-time

    @Test func absSendTimeConversions() throws {
        // 1.5 s = 1 << 18 + 1 << 17 units.
        let t = AbsSendTimeExtension(nanoseconds: 1_500_000_000)
        #expect(t.rawValue == 0x06_0000)
        #expect(t.nanoseconds == 1_500_000_000)
        // Wraps at 64 s.
        #expect(AbsSendTimeExtension(nanoseconds: 65_500_000_000) == t)
        // From NTP: bits 14…37.
        let ntp = NTPTimestamp(seconds: 0x1234_5678, fraction: 0x8000_0000)   // …78.5 s
        #expect(AbsSendTimeExtension(ntp: ntp).rawValue == (0x38 << 18 | 0x2_0000))
        // Round trip through nanoseconds for every 1/1000 of the first 2 s is within a unit.
        for ms in stride(from: UInt64(0), to: 2_000, by: 7) {
            let v = AbsSendTimeExtension(nanoseconds: ms * 1_000_000)
            #expect(abs(Int64(v.nanoseconds) - Int64(ms * 1_000_000)) <= 1_907)   // half a unit ≈ 1.9 µs
        }
        #expect(try Self.roundTrip(AbsSendTimeExtension(rawValue: 0xc52d1f), 3) { try $0.write(into: $1) } == [0xc5, 0x2d, 0x1f])
        try withBytes([0xc5, 0x2d, 0x1f]) { b throws in #expect(try AbsSendTimeExtension(parsing: b).rawValue == 0xc52d1f) }
        #expect(AbsSendTimeExtension(rawValue: 0xFFFF_FFFF).rawValue == 0xFF_FFFF)
    }

    @Test func absSendTimeDeltaAcrossTheWrap() {
        let a = AbsSendTimeExtension(rawValue: 0xFF_FFFF)        // 63.99999 s
        let b = AbsSendTimeExtension(rawValue: 0x00_0001)        // 2 units later
        #expect(AbsSendTimeExtension.delta(from: a, to: b) == 7_629)      // 2 × 3.814 µs
        #expect(AbsSendTimeExtension.delta(from: b, to: a) == -7_629)
        let c = AbsSendTimeExtension(nanoseconds: 10_000_000_000)
        let d = AbsSendTimeExtension(nanoseconds: 10_250_000_000)
        #expect(AbsSendTimeExtension.delta(from: c, to: d) == 250_000_000)
    }

    @Test(arguments: [([UInt8](), ParseError.Kind.truncated), ([1, 2], .truncated), ([1, 2, 3, 4], .malformed)])
    func absSendTimeRejectsBadLength(bytes: [UInt8], kind: ParseError.Kind) {
        #expect(Self.parseError(bytes) { b throws(ParseError) in try AbsSendTimeExtension(parsing: b) }?.kind == kind)
    }

    // MARK: transport-wide sequence number

    @Test func transportSequenceNumberBothForms() throws {
        try withBytes([0x01, 0xa4]) { b throws in
            let t = try TransportSequenceNumberExtension(parsing: b)
            #expect(t.sequenceNumber == 420 && t.feedbackRequest == nil && t.encodedSize == 2)
        }
        try withBytes([0xff, 0xff, 0x80, 0x05]) { b throws in
            let t = try TransportSequenceNumberExtension(parsing: b)
            #expect(t.sequenceNumber == 65_535)
            #expect(t.feedbackRequest == .init(includeTimestamps: true, sequenceCount: 5))
            #expect(try Self.roundTrip(t, 4) { try $0.write(into: $1) } == [0xff, 0xff, 0x80, 0x05])
        }
        let noTimestamps = TransportSequenceNumberExtension(sequenceNumber: 2, feedbackRequest: .init(includeTimestamps: false, sequenceCount: 0x7fff))
        #expect(try Self.roundTrip(noTimestamps, 4) { try $0.write(into: $1) } == [0x00, 0x02, 0x7f, 0xff])
        #expect(try Self.roundTrip(TransportSequenceNumberExtension(sequenceNumber: 0x1234), 2) { try $0.write(into: $1) } == [0x12, 0x34])
        for n in [0, 1, 3, 5, 8] {
            let e = Self.parseError([UInt8](repeating: 0, count: n)) { b throws(ParseError) in try TransportSequenceNumberExtension(parsing: b) }
            #expect(e?.kind == (n < 4 ? .truncated : .malformed))
        }
    }

    // MARK: audio level (RFC 6464 §3)

    @Test func audioLevel() throws {
        // RFC 6464 Figure 1: V=1, level=0x2a (−42 dBov).
        try withBytes([0xaa]) { b throws in
            let a = try AudioLevelExtension(parsing: b)
            #expect(a.voiceActivity && a.level == 42 && a.dBov == -42)
        }
        try withBytes([0x7f]) { b throws in
            let a = try AudioLevelExtension(parsing: b)
            #expect(!a.voiceActivity && a.level == 127)
        }
        #expect(try Self.roundTrip(AudioLevelExtension(voiceActivity: true, level: 3), 1) { try $0.write(into: $1) } == [0x83])
        #expect(AudioLevelExtension(voiceActivity: false, level: 200).level == 127)
        #expect(Self.parseError([]) { b throws(ParseError) in try AudioLevelExtension(parsing: b) }?.kind == .truncated)
        #expect(Self.parseError([1, 0]) { b throws(ParseError) in try AudioLevelExtension(parsing: b) }?.kind == .malformed)
    }

    // MARK: video orientation (3GPP TS 26.114 §7.4.5)

    @Test(arguments: [
        (UInt8(0x00), VideoOrientationExtension.Camera.front, false, 0),
        (0x01, .front, false, 90),
        (0x02, .front, false, 180),
        (0x03, .front, false, 270),
        (0x0d, .back, true, 90),
        (0x08, .back, false, 0),
        (0x04, .front, true, 0),
    ])
    func videoOrientation(byte: UInt8, camera: VideoOrientationExtension.Camera, flipped: Bool, degrees: Int) throws {
        try withBytes([byte]) { b throws in
            let v = try VideoOrientationExtension(parsing: b)
            #expect(v.camera == camera && v.isFlipped == flipped && v.rotation.degrees == degrees)
            #expect(try Self.roundTrip(v, 1) { try $0.write(into: $1) } == [byte])
        }
    }

    @Test func videoOrientationIgnoresReservedBitsAndRejectsBadLength() throws {
        try withBytes([0xf1]) { b throws in #expect(try VideoOrientationExtension(parsing: b) == VideoOrientationExtension(rotation: .degrees90)) }
        #expect(Self.parseError([1, 1]) { b throws(ParseError) in try VideoOrientationExtension(parsing: b) }?.kind == .malformed)
    }

    // MARK: playout delay

    @Test func playoutDelay() throws {
        // min 100 ms (10 units), max 1 s (100 units): 0x00a 0x064.
        try withBytes([0x00, 0xa0, 0x64]) { b throws in
            let p = try PlayoutDelayExtension(parsing: b)
            #expect(p.minimum == 10 && p.maximum == 100)
            #expect(p.minimumDelay == .milliseconds(100) && p.maximumDelay == .seconds(1))
            #expect(try Self.roundTrip(p, 3) { try $0.write(into: $1) } == [0x00, 0xa0, 0x64])
        }
        try withBytes([0xff, 0xff, 0xff]) { b throws in #expect(try PlayoutDelayExtension(parsing: b).maximumDelay == .milliseconds(40_950)) }
        try withBytes([0x00, 0x00, 0x00]) { b throws in #expect(try PlayoutDelayExtension(parsing: b).maximum == 0) }
        #expect(Self.parseError([0x00, 0x20, 0x01]) { b throws(ParseError) in try PlayoutDelayExtension(parsing: b) }
            == ParseError(.malformed, at: 0, "playout delay min > max"))
        #expect(Self.parseError([0x00, 0x20]) { b throws(ParseError) in try PlayoutDelayExtension(parsing: b) }?.kind == .truncated)
    }

    // MARK: URIs

    @Test func everyExtmapURIOfTheChromiumOfferIsKnown() throws {
        let sdp = try String(contentsOf: sharedFixtures.appendingPathComponent("sdp/chromium-156-publisher-simulcast.sdp"), encoding: .utf8)
        var seen = 0
        for line in sdp.split(whereSeparator: \.isNewline) where line.hasPrefix("a=extmap:") {
            let uri = String(line.split(separator: " ")[1])
            #expect(RTPHeaderExtensionURI(rawValue: uri) != nil, "unknown \(uri)")
            seen += 1
        }
        #expect(seen >= 16)
        #expect(RTPHeaderExtensionURI.mid.rawValue == "urn:ietf:params:rtp-hdrext:sdes:mid")
    }
}
