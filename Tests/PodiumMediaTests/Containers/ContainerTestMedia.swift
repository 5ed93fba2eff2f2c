import Foundation
import PodiumMedia

/// Runs ffmpeg/ffprobe for the container tests and generates their media once per test process:
/// 3 s of VP8 (testsrc2 320x240 at 30 fps, as IVF), 3 s of Opus (440 Hz sine, as Ogg) and both
/// muxed by ffmpeg into a WebM, all from Debian's ffmpeg (libvpx, libopus).
enum ContainerTestMedia {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let ffmpegPath: String? = ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let ffprobePath: String? = ["/usr/bin/ffprobe", "/usr/local/bin/ffprobe"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// True when ffmpeg and ffprobe exist; prints a loud message once when they do not.
    static let available: Bool = {
        if ffmpegPath != nil && ffprobePath != nil { return true }
        FileHandle.standardError.write(Data("""
            ************************************************************************
            ** ffmpeg/ffprobe NOT FOUND: the container tests against real media   **
            ** are SKIPPED. Install Debian's ffmpeg (apt-get install ffmpeg).      **
            ************************************************************************

            """.utf8))
        return false
    }()

    static func run(_ tool: String, _ arguments: [String]) -> Result {
        let dir = FileManager.default.temporaryDirectory
        let out = dir.appendingPathComponent("podium-\(UUID().uuidString).out")
        let err = dir.appendingPathComponent("podium-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardInput = FileHandle.nullDevice
        do {
            p.standardOutput = try FileHandle(forWritingTo: out)
            p.standardError = try FileHandle(forWritingTo: err)
            try p.run()
        } catch {
            return Result(status: -1, stdout: "", stderr: "\(error)")
        }
        p.waitUntilExit()
        return Result(status: p.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    static func ffmpeg(_ arguments: [String]) -> Result { run(ffmpegPath ?? "/usr/bin/ffmpeg", ["-nostdin", "-hide_banner"] + arguments) }
    static func ffprobe(_ arguments: [String]) -> Result { run(ffprobePath ?? "/usr/bin/ffprobe", arguments) }

    /// Files generated once: `ivf`, `ogg`, `webm` paths (nil without ffmpeg or if generation failed).
    struct Files: Sendable {
        let directory: String
        let ivf: String
        let ogg: String
        let webm: String
    }

    static let files: Files? = {
        guard available else { return nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("podium-containers-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Why atexit: the files are shared by every test of the process; remove them when it ends.
        atexit { if let d = ContainerTestMedia.files?.directory { try? FileManager.default.removeItem(atPath: d) } }
        let f = Files(directory: dir, ivf: dir + "/in.ivf", ogg: dir + "/in.opus", webm: dir + "/in.webm")
        let video = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30"]
        let audio = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
        // Why realtime settings: the shared test machine is loaded; libvpx's default "good" deadline
        // takes seconds. The WebM is ffmpeg's own mux of the same VP8 and Opus streams, so its
        // frames can be compared byte for byte with the IVF and Ogg ones.
        let vp8 = ["-c:v", "libvpx", "-g", "30", "-b:v", "300k", "-deadline", "realtime", "-cpu-used", "8", "-threads", "1"]
        let jobs: [[String]] = [
            ["-y", "-v", "error"] + video + ["-t", "3"] + vp8 + [f.ivf],
            ["-y", "-v", "error"] + audio + ["-t", "3", "-c:a", "libopus", f.ogg],
            ["-y", "-v", "error", "-i", f.ivf, "-i", f.ogg, "-c", "copy", f.webm],
        ]
        for j in jobs {
            let r = ffmpeg(j)
            if r.status != 0 {
                FileHandle.standardError.write(Data("ffmpeg failed: \(j.joined(separator: " "))\n\(r.stderr)\n".utf8))
                return nil
            }
        }
        return f
    }()

    /// A fresh path in the test directory.
    static func scratchPath(_ name: String) -> String {
        let dir = files?.directory ?? FileManager.default.temporaryDirectory.path
        return dir + "/\(UUID().uuidString.prefix(8))-\(name)"
    }

    static func bytes(_ path: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }

    /// One line per packet: `(codec_type, pts, flags, size)` in file order.
    struct ProbePacket: Equatable {
        var type: String
        var pts: Int64
        var keyframe: Bool
        var size: Int
    }

    static func packets(_ path: String) -> [ProbePacket] {
        let r = ffprobe(["-v", "error", "-show_entries", "packet=codec_type,pts,flags,size", "-of", "csv=p=0", path])
        return r.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, let pts = Int64(f[1]), let size = Int(f[2]) else { return nil }
            return ProbePacket(type: f[0], pts: pts, keyframe: f[3].hasPrefix("K"), size: size)
        }
    }

    /// `format=duration` and the codec names of the streams.
    static func probe(_ path: String) -> (duration: Double?, codecs: [String]) {
        let r = ffprobe(["-v", "error", "-show_entries", "format=duration:stream=codec_name", "-of", "default=nw=1", path])
        var duration: Double?
        var codecs: [String] = []
        for line in r.stdout.split(separator: "\n") {
            if line.hasPrefix("duration=") { duration = Double(line.dropFirst(9)) }
            if line.hasPrefix("codec_name=") { codecs.append(String(line.dropFirst(11))) }
        }
        return (duration, codecs)
    }

    /// Decodes every frame with ffmpeg; returns its error output (empty when clean) and status.
    static func decodeErrors(_ path: String) -> (status: Int32, errors: String) {
        let r = ffmpeg(["-v", "error", "-i", path, "-f", "null", "-"])
        return (r.status, r.stderr)
    }
}
