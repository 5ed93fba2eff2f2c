import Foundation
import PodiumSDP

/// Dispatches `podium <command> …` and returns the exit code: 0 success, 1 the input was bad or
/// unreadable, 2 the command line was wrong.
enum PodiumCommand {
    static let usage = """
        podium — tools for Podium, a WebRTC SFU library

        USAGE:
          podium sdp inspect FILE      print a readable report of a session description
                                       (BUNDLE, ICE, DTLS, then per media section: mid, kind,
                                       direction, codecs, header extensions, simulcast layers,
                                       SSRCs, candidates)
          podium sdp roundtrip FILE    parse FILE and print it as Podium serializes it (CRLF),
                                       e.g. to diff against the input
          podium help                  print this help (also --help, -h)

        FILE may be - to read standard input.
        Exit codes: 0 success, 1 invalid or unreadable input, 2 wrong command line.

        """

    static func run(_ args: [String]) -> Int32 {
        switch args.first {
        case "help", "--help", "-h":
            print(usage, terminator: "")
            return 0
        case "sdp":
            return sdp(Array(args.dropFirst()))
        case nil:
            return usageError(nil)
        case let other?:
            return usageError("unknown command '\(other)'")
        }
    }

    static func sdp(_ args: [String]) -> Int32 {
        guard let sub = args.first else { return usageError("podium sdp needs a subcommand: inspect or roundtrip") }
        if sub == "help" || sub == "--help" || sub == "-h" {
            print(usage, terminator: "")
            return 0
        }
        guard sub == "inspect" || sub == "roundtrip" else { return usageError("unknown sdp subcommand '\(sub)'") }
        guard args.count == 2 else { return usageError("podium sdp \(sub) needs exactly one FILE (or - for standard input)") }
        let path = args[1]
        let text: String
        switch read(path) {
        case .success(let t): text = t
        case .failure(let message): return fail("\(path): \(message)")
        }
        let description: SessionDescription
        do {
            description = try SessionDescription(parsing: text)
        } catch {
            return fail("\(path == "-" ? "<stdin>" : path): \(error)")
        }
        if sub == "inspect" {
            print(SDPReport.render(description), terminator: "")
        } else {
            FileHandle.standardOutput.write(Data(description.description.utf8))
        }
        return 0
    }

    private struct ReadFailure: Error { let message: String }

    private enum ReadResult {
        case success(String)
        case failure(String)
    }

    /// Reads at most one byte more than the parser accepts, so a huge file is reported, not loaded.
    private static func read(_ path: String) -> ReadResult {
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .failure("no such file") }
            guard !isDirectory.boolValue else { return .failure("is a directory") }
            guard let h = FileHandle(forReadingAtPath: path) else { return .failure("cannot open for reading") }
            handle = h
        }
        defer { if path != "-" { try? handle.close() } }
        do {
            let data = try handle.read(upToCount: SDPLimits.maxBytes + 1) ?? Data()
            return .success(String(decoding: data, as: UTF8.self))
        } catch {
            return .failure("cannot read: \(error.localizedDescription)")
        }
    }

    private static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("podium: error: \(message)\n".utf8))
        return 1
    }

    private static func usageError(_ message: String?) -> Int32 {
        if let message { FileHandle.standardError.write(Data("podium: \(message)\n\n".utf8)) }
        FileHandle.standardError.write(Data(usage.utf8))
        return 2
    }
}
