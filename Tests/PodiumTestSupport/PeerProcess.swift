import Foundation

/// A real WebRTC peer (a script in Tests/Interop) run as a child process, speaking the line-based
/// JSON protocol of Tests/Interop/README.md: it prints an offer, reads an answer, sends or receives
/// media, prints its stats. Killed when the test is done, whatever happened.
///
/// Shared by PodiumRTCTests (transport interop) and PodiumTests (the API with real peers).
public final class PeerProcess: @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case cannotStart(String)
        case exited(String)
        case timeout(String)
        case badLine(String)
        public var description: String {
            switch self {
            case .cannotStart(let s): "peer did not start: \(s)"
            case .exited(let s): "peer exited early: \(s)"
            case .timeout(let s): "peer timed out: \(s)"
            case .badLine(let s): "peer printed something that is not a protocol line: \(s)"
            }
        }
    }

    public let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let lines = LineBuffer()
    private let errors = LineBuffer()

    /// `interpreter` is the Python to use: aiortc lives in the `python3` on PATH, python3-gi in
    /// Debian's `/usr/bin/python3`.
    public init(interpreter: String, script: String, arguments: [String]) throws {
        let path = repositoryRoot.appendingPathComponent("Tests/Interop/\(script)").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [interpreter, path] + arguments
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        let lines = self.lines
        let errors = self.errors
        stdoutPipe.fileHandleForReading.readabilityHandler = { handle in lines.append(handle.availableData) }
        stderrPipe.fileHandleForReading.readabilityHandler = { handle in errors.append(handle.availableData) }
        do { try process.run() } catch { throw Failure.cannotStart("\(interpreter) \(path): \(error)") }
    }

    /// The next JSON line from the peer, within `timeout` seconds (blocks the calling thread).
    public func readMessage(timeout: Double) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let message = try poll() { return message }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw Failure.timeout("no line within \(timeout) s; stderr: \(stderrTail)")
    }

    /// The next JSON line from the peer, within `timeout` seconds, without blocking a thread of
    /// the cooperative pool (an in-process SFU's API needs those while the test waits).
    public func nextMessage(timeout: Double) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let message = try poll() { return message }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure.timeout("no line within \(timeout) s; stderr: \(stderrTail)")
    }

    private func poll() throws -> [String: Any]? {
        if let line = lines.popLine() {
            guard let data = line.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw Failure.badLine(line)
            }
            if object["type"] as? String == "error" {
                throw Failure.exited("peer error: \(object["message"] ?? "?"); stderr: \(stderrTail)")
            }
            return object
        }
        if !process.isRunning && lines.isEmpty {
            throw Failure.exited("exit status \(process.terminationStatus); stderr: \(stderrTail)")
        }
        return nil
    }

    public func send(_ message: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(0x0A)
        try stdinPipe.fileHandleForWriting.write(contentsOf: data)
    }

    public var stderrTail: String { String(errors.text.suffix(2000)) }

    /// Whether the peer has exited, waiting up to `timeout` seconds for it.
    public func waitForExit(timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return !process.isRunning
    }

    public func terminate() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        stdoutPipe.fileHandleForReading.readabilityHandler = nil
        stderrPipe.fileHandleForReading.readabilityHandler = nil
    }

    deinit { terminate() }
}

/// Bytes from a pipe, split into lines; filled from the pipe's reader thread.
final class LineBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()
    private var all = Data()

    func append(_ data: Data) {
        lock.lock(); defer { lock.unlock() }
        buffer.append(data)
        all.append(data)
        if all.count > 1 << 20 { all.removeFirst(all.count - (1 << 19)) }
    }

    func popLine() -> String? {
        lock.lock(); defer { lock.unlock() }
        guard let newline = buffer.firstIndex(of: 0x0A) else { return nil }
        let line = buffer[buffer.startIndex..<newline]
        buffer.removeSubrange(buffer.startIndex...newline)
        return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var isEmpty: Bool {
        lock.lock(); defer { lock.unlock() }
        return buffer.firstIndex(of: 0x0A) == nil
    }

    var text: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: all, as: UTF8.self)
    }
}
