import Foundation
import PodiumTestSupport
import Testing

/// Runs the built `podium` executable (it sits next to the test bundle in .build/<config>/).
@Suite struct PodiumSDPCommandTests {
    private struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
    }

    /// The `podium` binary beside the running test bundle: `/proc/self/exe`, `CommandLine.arguments[0]`
    /// and `Bundle.main` all point into `.build/<config>/` on Linux (or into the .xctest bundle on macOS).
    private static func executable() throws -> URL {
        var directories: [URL] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        if let arg0 = CommandLine.arguments.first, arg0.contains("/") {
            directories.append(URL(fileURLWithPath: arg0).standardizedFileURL.deletingLastPathComponent())
        }
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        directories.append(Bundle.main.bundleURL)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            directories.append(bundle.bundleURL.deletingLastPathComponent())
        }
        for directory in directories {
            for candidate in [directory, directory.deletingLastPathComponent()] {
                let url = candidate.appendingPathComponent("podium")
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
        }
        let searched = directories.map(\.path).joined(separator: ", ")
        Issue.record("the podium executable was not found next to the test bundle (searched \(searched)); build it with `swift build --build-tests` first")
        throw CancellationError()
    }

    private static func run(_ arguments: [String], stdin: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so a large report cannot block the child.
        let errData = ErrorCollector(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData.finish(), as: UTF8.self))
    }

    /// Drains stderr on another thread while stdout is read.
    private final class ErrorCollector: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }
        func finish() -> Data {
            done.wait()
            return data
        }
    }

    private static let simulcast = sharedFixtures.appendingPathComponent("sdp/chromium-156-publisher-simulcast.sdp").path

    @Test func inspectChromiumSimulcastOffer() throws {
        let r = try Self.run(["sdp", "inspect", Self.simulcast])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let lines = r.lines
        #expect(lines.first == "Session: - 4237717916049234015 version 2, 2 media sections")
        #expect(lines.contains("BUNDLE: 0 1"))
        #expect(lines.contains("extmap-allow-mixed: yes"))
        #expect(lines.contains("[0] mid=0 audio sendonly port=34665 UDP/TLS/RTP/SAVPF bundled"))
        #expect(lines.contains("[1] mid=1 video sendonly port=9 UDP/TLS/RTP/SAVPF bundled"))
        #expect(lines.contains("  ICE: ufrag=38AG pwd=WkxJluhpkmQ7o2hhXEP5uIRH options=trickle"))
        #expect(lines.contains("  DTLS: setup=actpass fingerprint=sha-256 88:23:53:D3:12:A1:47:08:C2:04:03:03:68:E1:96:28:70:03:76:F9:8E:56:C1:1E:11:90:21:48:7A:CF:84:9E"))
        #expect(lines.contains("    111 opus/48000/2 fmtp=minptime=10;useinbandfec=1 rtcp-fb=[transport-cc]"))
        #expect(lines.contains("    96 VP8/90000 rtx=97 rtcp-fb=[goog-remb, transport-cc, ccm fir, nack, nack pli]"))
        #expect(lines.contains("    97 rtx/90000 apt=96"))
        #expect(lines.contains("    120 ulpfec/90000"))
        #expect(lines.contains("    10 → urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"))
        #expect(lines.contains("  Simulcast layers:"))
        #expect(lines.suffix(4) == ["    rid=q send stream=0", "    rid=h send stream=1", "    rid=f send stream=2", ""])
        #expect(lines.contains("    3983790210 cname=KIUyhQkFPXu3Xca6 msid=3e58bc7f-3c79-46af-b77c-7aefccd7be02 c274e454-d63f-416d-b471-e219337269e8"))
        #expect(lines.contains("    host udp 127.0.0.1 34665 priority=2122260223 component=1 foundation=316716414"))
        #expect(lines.contains("    host tcp 127.0.0.1 9 priority=1518280447 component=1 foundation=606879554 tcptype=active"))
    }

    @Test func inspectGStreamerOfferFromStandardInput() throws {
        let text = try String(contentsOf: localFixtures.appendingPathComponent("sdp/gstreamer-1.22-webrtcbin-publisher.sdp"), encoding: .utf8)
        let r = try Self.run(["sdp", "inspect", "-"], stdin: text)
        #expect(r.status == 0)
        #expect(r.lines.contains("BUNDLE: video0 audio1"))
        #expect(r.lines.contains("[1] mid=audio1 audio sendonly port=0 UDP/TLS/RTP/SAVPF bundled bundle-only"))
        #expect(r.lines.contains("    111 OPUS/48000/2 rtx=98 fmtp=sprop-stereo=0;sprop-maxcapturerate=48000 rtcp-fb=[nack, transport-cc]"))
        #expect(r.lines.contains("  SSRC group: FID 2508613395 641768698"))
    }

    @Test func roundtripReproducesTheFixture() throws {
        for url in [URL(fileURLWithPath: Self.simulcast), sharedFixtures.appendingPathComponent("sdp/aiortc-1.16-publisher.sdp")] {
            let r = try Self.run(["sdp", "roundtrip", url.path])
            #expect(r.status == 0)
            #expect(r.stdout == (try String(contentsOf: url, encoding: .utf8)))
        }
    }

    @Test func badFileReportsTheLineAndExitsWithOne() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("podium-tool-test-\(UUID().uuidString).sdp")
        try "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=extmap:300 urn:x\r\n"
            .write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try Self.run(["sdp", "inspect", url.path])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("podium: error: \(url.path): line 6: a=extmap id '300' is not in 1...255"))
        let missing = try Self.run(["sdp", "roundtrip", "/nonexistent/podium.sdp"])
        #expect(missing.status == 1 && missing.stderr.contains("no such file"))
        let stdin = try Self.run(["sdp", "inspect", "-"], stdin: "hello\n")
        #expect(stdin.status == 1 && stdin.stderr.contains("<stdin>: line 1:"))
    }

    @Test func helpAndUsageErrors() throws {
        for args in [["--help"], ["help"], ["-h"], ["sdp", "--help"]] {
            let r = try Self.run(args)
            #expect(r.status == 0, "\(args)")
            #expect(r.stdout.contains("podium sdp inspect FILE"))
        }
        for args in [["frobnicate"], [], ["sdp"], ["sdp", "dance", "x"], ["sdp", "inspect"], ["sdp", "inspect", "a", "b"]] {
            let r = try Self.run(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.contains("USAGE:"))
        }
        #expect(try Self.run(["frobnicate"]).stderr.hasPrefix("podium: unknown command 'frobnicate'"))
    }
}
