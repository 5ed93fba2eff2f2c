import Foundation
import Podium
import PodiumTestSupport
import Testing

// Helpers for the API interop tests: an in-process SFU on 127.0.0.1 with one room, and the
// Tests/Interop peers (aiortc publisher, aiortc viewers, GStreamer publisher) driven over their
// JSON-lines protocol (Tests/Interop/README.md, modes `publish` and `view`).

/// Which Python runs which peer, and whether it can run here.
enum InteropPython {
    static let aiortc = "python3"
    static let gstreamer = "/usr/bin/python3"

    static let aiortcUnavailable: String? = check(aiortc, "import aiortc, av, numpy")
    static let gstreamerUnavailable: String? = check(gstreamer,
        "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst; Gst.init(None); assert Gst.ElementFactory.find('webrtcbin')")

    private static func check(_ interpreter: String, _ code: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [interpreter, "-c", code]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return "\(interpreter) cannot run: \(error)" }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? nil : "\(interpreter) -c \"\(code)\" failed; run bash Tests/Interop/ensure-peers"
    }

    /// True when the test may go on; otherwise says so loudly (and fails in CI, where the peers
    /// are always installed by Tests/run).
    static func available(_ reason: String?, _ what: String) -> Bool {
        guard let reason else { return true }
        print("⚠️⚠️⚠️ INTEROP TEST SKIPPED: \(what) unavailable: \(reason)")
        if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("\(what) unavailable in CI: \(reason)") }
        return false
    }
}

enum InteropFailure: Error, CustomStringConvertible {
    case protocolViolation(String)
    case timeout(String)
    var description: String {
        switch self {
        case .protocolViolation(let s): "peer protocol: \(s)"
        case .timeout(let s): "timed out: \(s)"
        }
    }
}

/// What the aiortc publisher (`--mode publish`) reports.
struct PublisherReport {
    var raw: [String: Any]
    var framesSent: Int { raw["framesSent"] as? Int ?? 0 }
    var audioFramesSent: Int { raw["audioFramesSent"] as? Int ?? 0 }
    var plisReceived: Int { raw["plisReceived"] as? Int ?? 0 }
    var firsReceived: Int { raw["firsReceived"] as? Int ?? 0 }
    var keyframeRequests: Int { plisReceived + firsReceived }
    /// Unix times of the latest PLI/FIR the publisher received.
    var keyframeRequestTimes: [Double] { (raw["keyframeRequestTimes"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue } }
    var nackPacketsReceived: Int { raw["nackPacketsReceived"] as? Int ?? 0 }
    var nackedSequences: Int { raw["nackedSequences"] as? Int ?? 0 }
    var connected: Bool { raw["connected"] as? Bool ?? false }
}

/// One aiortc viewer's measurements (`--mode view`).
struct ViewerReport: CustomStringConvertible {
    var raw: [String: Any]
    var id: Int { raw["id"] as? Int ?? -1 }
    var connected: Bool { raw["connected"] as? Bool ?? false }
    var state: String { raw["state"] as? String ?? "?" }
    var framesDecoded: Int { raw["framesDecoded"] as? Int ?? 0 }
    /// From the viewer applying the answer to its first decoded frame.
    var firstFrameMs: Double? { raw["firstFrameMs"] as? Double }
    var longestGapMs: Double { raw["longestGapMs"] as? Double ?? 0 }
    /// Longest gap between decoded frames since the previous `report(resetWindow: true)`.
    var windowLongestGapMs: Double { raw["windowLongestGapMs"] as? Double ?? 0 }
    /// Unix time of the report (the viewer's clock).
    var at: Double { (raw["at"] as? NSNumber)?.doubleValue ?? 0 }
    /// The frame counter of the latest decoded frame (nil before one with a counter).
    var counterLast: Int? { raw["counterLast"] as? Int }
    var sinceLastFrameMs: Double? { raw["sinceLastFrameMs"] as? Double }
    var audioFrames: Int { raw["audioFrames"] as? Int ?? 0 }
    var videoEnded: Bool { raw["videoEnded"] as? Bool ?? false }
    var audioEnded: Bool { raw["audioEnded"] as? Bool ?? false }
    var byeReceived: Int { raw["byeReceived"] as? Int ?? 0 }
    var floodPlisSent: Int { raw["floodPlisSent"] as? Int ?? 0 }
    var counterBackwards: Int { raw["counterBackwards"] as? Int ?? 0 }
    var countersDistinct: Int { raw["countersDistinct"] as? Int ?? 0 }
    var description: String {
        "viewer \(id) [\(state)]: \(framesDecoded) frames, first \(firstFrameMs.map { "\($0) ms" } ?? "-"), " +
            "longest gap \(longestGapMs) ms, audio \(audioFrames), bye \(byeReceived), ended \(videoEnded)/\(audioEnded)"
    }
}

/// `aiortc_peer.py --mode publish`: VP8 (moving bar with a frame counter) + Opus (tone).
final class AiortcPublisher: Sendable {
    let peer: PeerProcess

    init(extra: [String] = []) throws {
        peer = try PeerProcess(interpreter: InteropPython.aiortc, script: "aiortc_peer.py",
                               arguments: ["--mode", "publish", "--duration", "60", "--timeout", "30"] + extra)
    }

    func offer() async throws -> String {
        let m = try await peer.nextMessage(timeout: 30)
        guard m["type"] as? String == "offer", let sdp = m["sdp"] as? String else {
            throw InteropFailure.protocolViolation("publisher: expected an offer, got \(m)")
        }
        return sdp
    }

    func answer(_ sdp: String) throws { try peer.send(["type": "answer", "sdp": sdp]) }

    func report() async throws -> PublisherReport {
        try peer.send(["type": "report"])
        return try await expect("report")
    }

    func stop() async throws -> PublisherReport {
        try peer.send(["type": "stop"])
        return try await expect("stats")
    }

    private func expect(_ type: String) async throws -> PublisherReport {
        let m = try await peer.nextMessage(timeout: 15)
        guard m["type"] as? String == type else { throw InteropFailure.protocolViolation("publisher: expected \(type), got \(m)") }
        return PublisherReport(raw: m)
    }
}

/// `aiortc_peer.py --mode view --count N`: N WHEP-style viewers in one process.
final class AiortcViewers: Sendable {
    let peer: PeerProcess
    let count: Int

    init(count: Int, extra: [String] = []) throws {
        self.count = count
        peer = try PeerProcess(interpreter: InteropPython.aiortc, script: "aiortc_peer.py",
                               arguments: ["--mode", "view", "--count", "\(count)", "--duration", "60", "--timeout", "40"] + extra)
    }

    /// The viewers' offers by id (they come in id order).
    func offers() async throws -> [String] {
        var out: [String] = []
        for i in 0..<count {
            let m = try await peer.nextMessage(timeout: 30)
            guard m["type"] as? String == "offer", m["id"] as? Int == i, let sdp = m["sdp"] as? String else {
                throw InteropFailure.protocolViolation("viewers: expected offer \(i), got \(m)")
            }
            out.append(sdp)
        }
        return out
    }

    func answer(_ id: Int, _ sdp: String) throws { try peer.send(["type": "answer", "id": id, "sdp": sdp]) }

    /// `resetWindow`: start a new window for `windowLongestGapMs` after this report.
    func report(resetWindow: Bool = false) async throws -> [ViewerReport] {
        try peer.send(["type": "report", "reset": resetWindow])
        return try await expect("report")
    }

    func stop() async throws -> [ViewerReport] {
        try peer.send(["type": "stop"])
        return try await expect("stats")
    }

    private func expect(_ type: String) async throws -> [ViewerReport] {
        let m = try await peer.nextMessage(timeout: 15)
        guard m["type"] as? String == type, let viewers = m["viewers"] as? [[String: Any]] else {
            throw InteropFailure.protocolViolation("viewers: expected \(type), got \(m)")
        }
        return viewers.map(ViewerReport.init(raw:))
    }
}

/// An SFU (1 worker, 127.0.0.1, port 0) with one room, and the peers a test started: `run`
/// always shuts the SFU down and kills the peers, whatever the test did.
final class InteropSFU: @unchecked Sendable {
    let sfu: SFU
    let room: Room
    let workerThreads: [ThreadCPU.Thread]
    private let lock = NSLock()
    private var peers: [PeerProcess] = []

    private init(sfu: SFU, room: Room, workerThreads: [ThreadCPU.Thread]) {
        self.sfu = sfu
        self.room = room
        self.workerThreads = workerThreads
    }

    static func run(router: RouterConfiguration = .init(), _ body: (InteropSFU) async throws -> Void) async throws {
        let before = ThreadCPU.threads()
        let sfu = try await SFU(.init(workers: 1, listenIP: "127.0.0.1", listenPort: 0, router: router))
        let started = ThreadCPU.threads().filter { t in !before.contains { $0.tid == t.tid } }
        let h: InteropSFU
        do {
            h = InteropSFU(sfu: sfu, room: try await sfu.createRoom("interop"), workerThreads: ThreadCPU.workerThreads(among: started))
        } catch {
            await sfu.shutdown()
            throw error
        }
        do {
            try await body(h)
        } catch {
            h.killPeers()
            await sfu.shutdown()
            throw error
        }
        h.killPeers()
        await sfu.shutdown()
    }

    func track<P: AnyObject>(_ peer: P, _ process: PeerProcess) -> P {
        lock.lock(); peers.append(process); lock.unlock()
        return peer
    }

    func startPublisher(extra: [String] = []) throws -> AiortcPublisher {
        let p = try AiortcPublisher(extra: extra)
        return track(p, p.peer)
    }

    func startViewers(count: Int, extra: [String] = []) throws -> AiortcViewers {
        let v = try AiortcViewers(count: count, extra: extra)
        return track(v, v.peer)
    }

    func startGstPublisher(seconds: Int) throws -> PeerProcess {
        let p = try PeerProcess(interpreter: InteropPython.gstreamer, script: "gst_peer.py",
                                arguments: ["--duration", "\(seconds)", "--timeout", "30"])
        lock.lock(); peers.append(p); lock.unlock()
        return p
    }

    private func killPeers() {
        lock.lock(); let all = peers; peers = []; lock.unlock()
        for p in all { p.terminate() }
    }

    /// Joins a presenter and has it publish `offer` (the caller hands the answer to its peer).
    func publish(offer: String) async throws -> (Participant, Publication) {
        let participant = try await room.join(.presenter, name: "publisher")
        let publication = try await participant.publish(offer: offer)
        return (participant, publication)
    }

    func waitForTracks(_ n: Int, timeout: Double = 15) async throws {
        try await waitUntil("the room to have \(n) tracks", timeout: timeout) { await self.room.tracks().count >= n }
    }

    /// Joins one attendee per viewer, subscribes with its offer and hands it the answer.
    @discardableResult
    func subscribe(_ viewers: AiortcViewers, offers: [String], namePrefix: String = "viewer") async throws -> [(Participant, Subscription)] {
        var out: [(Participant, Subscription)] = []
        for (i, offer) in offers.enumerated() {
            let participant = try await room.join(.attendee, name: "\(namePrefix)-\(i)")
            let subscription = try await participant.subscribe(offer: offer)
            #expect(!subscription.isOffer, "WHEP-style subscribe answers the viewer's offer")
            try viewers.answer(i, subscription.sdp)
            out.append((participant, subscription))
        }
        return out
    }

    /// Every session's stats in the room (publish and subscribe).
    func sessions() async -> [SessionStats] {
        await room.stats().participants.flatMap(\.sessions)
    }
}

/// Polls `condition` every 100 ms until it holds, or throws after `timeout` seconds.
func waitUntil(_ what: String, timeout: Double, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw InteropFailure.timeout("waited \(timeout) s for \(what)")
}

/// CPU time of this process's threads from /proc/self/task (Linux), to measure the SFU worker.
enum ThreadCPU {
    struct Thread: Sendable, CustomStringConvertible {
        var tid: Int
        var name: String
        var description: String { "\(name)(\(tid))" }
    }

    static func threads() -> [Thread] {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return ids.compactMap { id in
            guard let tid = Int(id) else { return nil }
            let name = (try? String(contentsOfFile: "/proc/self/task/\(id)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            return Thread(tid: tid, name: name)
        }
    }

    /// The SFU's worker threads among those `SFU.init` started: EventLoop names its thread; the
    /// names of the cooperative pool and Foundation threads are left out.
    static func workerThreads(among started: [Thread]) -> [Thread] {
        let generic = ["swift", "Thread", "NSThread", "Foundation", "Dispatch", "Test", "xctest", "com.apple", "PodiumPackageTe"]
        return started.filter { t in !generic.contains { t.name.hasPrefix($0) } }
    }

    /// user + system CPU seconds of thread `tid` (fields 14 and 15 of its stat, in clock ticks).
    static func seconds(_ tid: Int) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3); utime is field 14, stime field 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// user + system CPU seconds of the whole process.
    static func processSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 +
            Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
