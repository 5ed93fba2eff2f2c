import PodiumSDP
import PodiumTestSupport
import Testing

/// Hostile and malformed input: every limit and every typed line's grammar, with the error kind and
/// line number the parser must report.
@Suite struct SDPNegativeTests {
    /// Lines 1-4 session, 5 m=, 6 a=mid; tests replace or append lines.
    private static let head = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    private static let video = ["m=video 9 UDP/TLS/RTP/SAVPF 96 97", "a=mid:0"]

    private static func sdp(_ lines: [String]) -> String { lines.joined(separator: "\r\n") + "\r\n" }

    private static func error(_ text: String) -> SDPError? {
        do { _ = try SessionDescription(parsing: text); return nil } catch { return error }
    }

    /// The error for the base description with `line` appended to the video section (line 7).
    private static func mediaLineError(_ line: String) -> SDPError? { error(sdp(head + video + [line])) }

    @Test func baseDescriptionParses() throws {
        let s = try SessionDescription(parsing: Self.sdp(Self.head + Self.video))
        #expect(s.media.count == 1 && s.media[0].mid == "0")
    }

    // MARK: Limits

    @Test func rejectsMoreThan64KiB() throws {
        let base = Self.sdp(Self.head + Self.video)
        let filler = "a=x-filler:" + String(repeating: "f", count: SDPLimits.maxBytes - base.utf8.count - "a=x-filler:\r\n".utf8.count)
        let atLimit = base + filler + "\r\n"
        #expect(atLimit.utf8.count == SDPLimits.maxBytes)
        #expect(try SessionDescription(parsing: atLimit).media[0].attributes.count == 2)
        let e = Self.error(atLimit + "a")
        #expect(e?.kind == .tooLarge && e?.line == 0)
    }

    @Test func rejectsMoreThan64MediaSections() throws {
        let sections = (0..<65).flatMap { ["m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:\($0)"] }
        let ok = Self.sdp(Self.head + sections.prefix(128))
        #expect(try SessionDescription(parsing: ok).media.count == 64)
        let e = Self.error(Self.sdp(Self.head + sections))
        #expect(e?.kind == .tooManyMediaSections)
        #expect(e?.line == 4 + 128 + 1)
    }

    @Test func rejectsMoreThan1000LinesInASection() throws {
        let ssrcs = (0..<999).map { "a=ssrc:\($0) cname:x" }
        // m= line + 999 attributes = 1000 lines: accepted.
        let ok = try SessionDescription(parsing: Self.sdp(Self.head + ["m=video 9 UDP/TLS/RTP/SAVPF 96"] + ssrcs))
        #expect(ok.media[0].ssrcs.count == 999)
        let e = Self.error(Self.sdp(Self.head + ["m=video 9 UDP/TLS/RTP/SAVPF 96"] + ssrcs + ["a=ssrc:1000 cname:x"]))
        #expect(e?.kind == .tooManyLines && e?.line == 4 + 1001)
        // The session part counts too.
        let session = Self.head + (0..<996).map { "a=x-\($0)" }
        #expect(Self.error(Self.sdp(session)) == nil)
        #expect(Self.error(Self.sdp(session + ["a=x-last"]))?.kind == .tooManyLines)
    }

    @Test func rejectsAbsurdNumbers() {
        #expect(Self.error(Self.sdp(["v=0", "o=- 18446744073709551616 1 IN IP4 127.0.0.1", "s=-", "t=0 0"]))?.kind == .outOfRange)
        #expect(Self.error(Self.sdp(["v=0", "o=- 1 123456789012345678901234567890 IN IP4 127.0.0.1", "s=-", "t=0 0"]))?.kind == .outOfRange)
        #expect(Self.error(Self.sdp(Self.head + ["b=AS:4294967296"]))?.kind == .outOfRange)
        #expect(Self.mediaLineError("a=max-message-size:99999999999999999999999")?.kind == .outOfRange)
        #expect(Self.mediaLineError("a=sctp-port:65536")?.kind == .outOfRange)
        #expect(Self.mediaLineError("a=rtpmap:96 VP8/4294967296")?.kind == .outOfRange)
        #expect(Self.mediaLineError("a=rtpmap:111 opus/48000/65536")?.kind == .outOfRange)
        #expect(Self.mediaLineError("a=ssrc:4294967296 cname:x")?.kind == .outOfRange)
        #expect(Self.mediaLineError("a=ice-ufrag:" + String(repeating: "u", count: 257))?.kind == .outOfRange)
        #expect(Self.mediaLineError("a=ssrc-group:SIM " + (0...256).map(String.init).joined(separator: " "))?.kind == .outOfRange)
    }

    // MARK: Structure

    @Test func structuralErrors() {
        #expect(Self.error("")?.kind == .missingLine)
        #expect(Self.error("\r\n\r\n")?.kind == .missingLine)
        let noV = Self.error(Self.sdp(Array(Self.head.dropFirst())))
        #expect(noV?.kind == .missingLine && noV?.line == 1)
        #expect(Self.error(Self.sdp(["v=1"] + Self.head.dropFirst()))?.kind == .malformed)
        #expect(Self.error(Self.sdp(Self.head.filter { !$0.hasPrefix("o=") }))?.kind == .missingLine)
        #expect(Self.error(Self.sdp(Self.head.filter { !$0.hasPrefix("s=") }))?.kind == .missingLine)
        #expect(Self.error(Self.sdp(Self.head.filter { !$0.hasPrefix("t=") }))?.kind == .missingLine)
        let twiceO = Self.error(Self.sdp(Self.head + ["o=- 2 2 IN IP4 127.0.0.1"]))
        #expect(twiceO?.kind == .unexpectedLine && twiceO?.line == 5)
        #expect(Self.error(Self.sdp(Self.head + ["v=0"]))?.kind == .unexpectedLine)
        #expect(Self.mediaLineError("s=late")?.kind == .unexpectedLine)
        #expect(Self.mediaLineError("t=0 0")?.kind == .unexpectedLine)
        #expect(Self.error(Self.sdp(Self.head + ["x=unknown"]))?.kind == .unexpectedLine)
        #expect(Self.mediaLineError("y=unknown")?.kind == .unexpectedLine)
        #expect(Self.error(Self.sdp(Array(Self.head.prefix(3)) + ["r=604800 3600 0 90000", "t=0 0"]))?.kind == .unexpectedLine)
        #expect(Self.mediaLineError("no equals sign")?.kind == .malformed)
        #expect(Self.mediaLineError("A=upper")?.kind == .malformed)
        #expect(Self.mediaLineError("a")?.kind == .malformed)
        #expect(Self.mediaLineError("a=")?.kind == .malformed)
        #expect(Self.mediaLineError("a=:value")?.kind == .malformed)
        #expect(Self.mediaLineError("a=x-tab\there")?.kind == .malformed)
        #expect(Self.mediaLineError("a=x-nul\u{0}")?.kind == .malformed)
        #expect(Self.mediaLineError("a=x-del\u{7F}")?.kind == .malformed)
        #expect(Self.error(Self.sdp(Self.head) + "a=x-bare-cr\rsplit\r\n")?.kind == .malformed)
        #expect(Self.mediaLineError("i=one")  == nil)
        #expect(Self.error(Self.sdp(Self.head + Self.video + ["i=one", "i=two"]))?.kind == .unexpectedLine)
        #expect(Self.error(Self.sdp(Self.head + ["c=IN IP4 1.2.3.4", "c=IN IP4 1.2.3.4"]))?.kind == .unexpectedLine)
        #expect(Self.error(Self.sdp(Self.head + ["c=IN IP4"]))?.kind == .malformed)
        #expect(Self.error(Self.sdp(Self.head + ["b=AS"]))?.kind == .malformed)
        #expect(Self.error(Self.sdp(Self.head + ["t=0"]))?.kind == .malformed)
        #expect(Self.error(Self.sdp(["v=0", "o=- 1 1 IN IP4", "s=-", "t=0 0"]))?.kind == .malformed)
    }

    @Test func errorsNameTheLineAndTheProblem() throws {
        let e = try #require(Self.mediaLineError("a=rtpmap:96 VP8"))
        #expect(e.kind == .malformed)
        #expect(e.line == 7)
        #expect(e.description.hasPrefix("line 7: "))
        #expect(e.description.contains("a=rtpmap"))
        #expect(e.description.contains("\"a=rtpmap:96 VP8\""))
        // LF-only input counts lines the same way; blank lines count too.
        let lf = Self.error((Self.head + ["", "m=video 9 UDP/TLS/RTP/SAVPF 300"]).joined(separator: "\n"))
        #expect(lf?.kind == .invalidPayloadType && lf?.line == 6)
        // A long offending line is shortened in the message.
        let long = try #require(Self.mediaLineError("a=setup:" + String(repeating: "x", count: 500)))
        #expect(long.description.utf8.count < 300)
    }

    // MARK: m= lines

    @Test(arguments: [
        ("m=video", SDPError.Kind.malformed),
        ("m=video 9", .malformed),
        ("m=video x UDP/TLS/RTP/SAVPF 96", .malformed),
        ("m=video -1 UDP/TLS/RTP/SAVPF 96", .malformed),
        ("m=video 65536 UDP/TLS/RTP/SAVPF 96", .outOfRange),
        ("m=video 9/0 UDP/TLS/RTP/SAVPF 96", .outOfRange),
        ("m=video 9/x UDP/TLS/RTP/SAVPF 96", .malformed),
        ("m=video 9 UDP/TLS/RTP/SAVPF 128", .invalidPayloadType),
        ("m=video 9 UDP/TLS/RTP/SAVPF VP8", .invalidPayloadType),
        ("m=video 9 UDP/TLS/RTP/SAVPF 96 96", .duplicatePayloadType),
        ("m=audio 9 RTP/AVP 0 " + (1...127).map(String.init).joined(separator: " ") + " 0", .duplicatePayloadType),
    ])
    func malformedMediaLine(line: String, kind: SDPError.Kind) {
        let e = Self.error(Self.sdp(Self.head + [line]))
        #expect(e?.kind == kind)
        #expect(e?.line == 5)
    }

    // MARK: Typed attributes

    @Test(arguments: [
        // rtpmap / fmtp / rtcp-fb
        ("a=rtpmap:96", SDPError.Kind.malformed), ("a=rtpmap:96 VP8", .malformed), ("a=rtpmap:96 VP8/90000/2/1", .malformed),
        ("a=rtpmap:128 VP8/90000", .invalidPayloadType), ("a=rtpmap:x VP8/90000", .invalidPayloadType),
        ("a=rtpmap:96 VP8/0", .outOfRange), ("a=rtpmap:96 VP8/abc", .malformed), ("a=rtpmap:96 /90000", .malformed),
        ("a=rtpmap:96 opus/48000/0", .outOfRange), ("a=rtpmap", .malformed),
        ("a=fmtp:x apt=96", .invalidPayloadType), ("a=fmtp:97 apt=300", .invalidPayloadType), ("a=fmtp:97 apt=", .invalidPayloadType),
        ("a=fmtp", .malformed),
        ("a=rtcp-fb:96", .malformed), ("a=rtcp-fb:128 nack", .invalidPayloadType), ("a=rtcp-fb:** nack", .invalidPayloadType),
        // extmap
        ("a=extmap:0 urn:x", .invalidExtensionID), ("a=extmap:256 urn:x", .invalidExtensionID),
        ("a=extmap:x urn:x", .invalidExtensionID), ("a=extmap:/sendonly urn:x", .invalidExtensionID),
        ("a=extmap:1/sideways urn:x", .malformed), ("a=extmap:1", .malformed),
        // ICE
        ("a=candidate:1 1 udp 1 1.2.3.4 5 typ", .malformed), ("a=candidate:1 1 udp 1 1.2.3.4 5 type host", .malformed),
        ("a=candidate:1 0 udp 1 1.2.3.4 5 typ host", .outOfRange), ("a=candidate:1 257 udp 1 1.2.3.4 5 typ host", .outOfRange),
        ("a=candidate:1 1 udp 4294967296 1.2.3.4 5 typ host", .outOfRange), ("a=candidate:1 1 udp 1 1.2.3.4 65536 typ host", .outOfRange),
        ("a=candidate:1 1 udp 1 1.2.3.4 5 typ host generation", .malformed),
        ("a=candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.1.1.1 raddr 2.2.2.2", .malformed),
        ("a=candidate:1 1 udp 1 1.2.3.4 5 typ srflx rport x", .malformed),
        ("a=candidate:1 1 udp 1 1.2.3.4 5 typ host generation -1", .malformed),
        ("a=candidate:" + String(repeating: "f", count: 33) + " 1 udp 1 1.2.3.4 5 typ host", .outOfRange),
        ("a=ice-ufrag:", .malformed), ("a=ice-ufrag:a b", .malformed), ("a=ice-pwd", .malformed), ("a=ice-options:", .malformed),
        ("a=end-of-candidates:now", .malformed), ("a=ice-lite:yes", .malformed),
        // DTLS
        ("a=fingerprint:sha-256", .malformed), ("a=fingerprint:sha-256 ZZ:00", .malformed), ("a=fingerprint:sha-256 0:00", .malformed),
        ("a=fingerprint:sha-256 00::00", .malformed), ("a=fingerprint:sha-256 AB:CD extra", .malformed),
        ("a=fingerprint:sha-256 " + Array(repeating: "AB", count: 65).joined(separator: ":"), .outOfRange),
        ("a=setup:sideways", .malformed), ("a=setup:", .malformed), ("a=setup:active passive", .malformed),
        // direction, mux
        ("a=sendonly:1", .malformed), ("a=rtcp-mux:yes", .malformed), ("a=rtcp-rsize:1", .malformed), ("a=rtcp:x", .malformed),
        ("a=rtcp:9 IN IP4", .malformed), ("a=rtcp:70000", .outOfRange),
        // sources
        ("a=ssrc:abc cname:x", .malformed), ("a=ssrc:1", .malformed), ("a=ssrc:1 :x", .malformed),
        ("a=ssrc-group:FID", .malformed), ("a=ssrc-group:FID 1 x", .malformed), ("a=msid:a b c", .malformed), ("a=msid:", .malformed),
        // simulcast and rid
        ("a=simulcast:send", .malformed), ("a=simulcast:sideways q", .malformed), ("a=simulcast:send q;;f", .malformed),
        ("a=simulcast:send q send h", .malformed), ("a=simulcast:send q*", .malformed), ("a=simulcast:send ~", .malformed),
        ("a=simulcast:send q recv", .malformed), ("a=simulcast:send q,", .malformed),
        ("a=rid:q", .malformed), ("a=rid:q up", .malformed), ("a=rid:q! send", .malformed),
        ("a=rid:q send pt=300", .invalidPayloadType), ("a=rid:q send pt=", .invalidPayloadType),
        ("a=rid:q send max-width", .malformed), ("a=rid:q send max-width=1;pt=96", .malformed), ("a=rid:q send a=1 b=2", .malformed),
        // grouping, data channels
        ("a=group:", .malformed), ("a=sctp-port:x", .malformed), ("a=max-message-size:", .malformed),
    ])
    func malformedTypedAttribute(line: String, kind: SDPError.Kind) {
        let e = Self.mediaLineError(line)
        #expect(e?.kind == kind, "\(line)")
        #expect(e?.line == 7)
    }

    @Test func duplicateMIDs() {
        let twoSections = Self.error(Self.sdp(Self.head + Self.video + ["m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0"]))
        #expect(twoSections?.kind == .duplicateMID && twoSections?.line == 8)
        let twoLines = Self.error(Self.sdp(Self.head + Self.video + ["a=mid:1"]))
        #expect(twoLines?.kind == .duplicateMID && twoLines?.line == 7)
    }

    @Test func duplicateExtensionIDsAndPayloadTypes() {
        let ext = Self.error(Self.sdp(Self.head + Self.video + ["a=extmap:3 urn:a", "a=extmap:3 urn:b"]))
        #expect(ext?.kind == .invalidExtensionID && ext?.line == 8)
        // The same id in two sections is fine; twice at the session level is not.
        #expect(Self.error(Self.sdp(Self.head + Self.video + ["a=extmap:3 urn:a", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:1", "a=extmap:3 urn:a"])) == nil)
        #expect(Self.error(Self.sdp(Self.head + ["a=extmap:3 urn:a", "a=extmap:3 urn:b"]))?.kind == .invalidExtensionID)
        let pt = Self.error(Self.sdp(Self.head + Self.video + ["a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP9/90000"]))
        #expect(pt?.kind == .duplicatePayloadType && pt?.line == 8)
    }

    @Test func truncatedAtEveryLineBoundaryNeverTraps() throws {
        let text = try String(contentsOf: sharedFixtures.appendingPathComponent("sdp/chromium-156-publisher-simulcast-vp8only.sdp"), encoding: .utf8)
        let bytes = Array(text.utf8)
        var parsed = 0
        for cut in stride(from: 0, through: bytes.count, by: 11) {
            let prefix = String(decoding: bytes[..<cut], as: UTF8.self)
            if let s = try? SessionDescription(parsing: prefix) {
                parsed += 1
                #expect(try SessionDescription(parsing: s.description) == s)
            }
        }
        #expect(parsed > 200)
    }
}
