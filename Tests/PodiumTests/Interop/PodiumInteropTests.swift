import Foundation
import Podium
import PodiumTestSupport
import Testing

/// Issue 4's tests with real peers through the `Podium` API: an in-process SFU (1 worker,
/// 127.0.0.1) with aiortc publishing VP8 + Opus and aiortc viewers decoding it (WHIP/WHEP-style
/// offers through `Participant.publish(offer:)` / `subscribe(offer:)`), plus a GStreamer
/// publisher. The peers are Tests/Interop/aiortc_peer.py `--mode publish|view` and gst_peer.py.
/// Each test is bounded (peers have watchdogs; the harness kills them) and prints what it measured.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct PodiumInteropTests {
    /// Publisher, then the viewers (all offers first, so the Python start-up overlaps), then wait
    /// until every viewer has decoded a frame.
    private func startViewers(_ h: InteropSFU, groups: [Int], extra: [String] = []) async throws -> [AiortcViewers] {
        let started = try groups.map { try h.startViewers(count: $0, extra: extra) }
        for (g, viewers) in started.enumerated() {
            try await h.subscribe(viewers, offers: try await viewers.offers(), namePrefix: "viewer\(g)")
        }
        try await waitUntil("every viewer to decode a frame", timeout: 20) {
            var all: [ViewerReport] = []
            for v in started { all += try await v.report() }
            return all.allSatisfy { $0.framesDecoded > 0 && $0.audioFrames > 0 }
        }
        return started
    }

    private func startPublisher(_ h: InteropSFU) async throws -> (AiortcPublisher, Participant, Publication) {
        let publisher = try h.startPublisher()
        let (participant, publication) = try await h.publish(offer: try await publisher.offer())
        try publisher.answer(publication.answer)
        #expect(publication.tracks.count == 2, "audio and video accepted: \(publication.tracks), rejected \(publication.rejected)")
        try await h.waitForTracks(2)
        return (publisher, participant, publication)
    }

    private func allReports(_ groups: [AiortcViewers], resetWindow: Bool = false) async throws -> [ViewerReport] {
        var all: [ViewerReport] = []
        for g in groups { all += try await g.report(resetWindow: resetWindow) }
        return all
    }

    // 1. 10 viewers (2 processes × 5) each decode ≥ 95 % of the frames sent over 10 s, and audio.
    @Test func tenViewersDecodeNearlyEveryFrame() async throws {
        guard InteropPython.available(InteropPython.aiortcUnavailable, "aiortc") else { return }
        try await InteropSFU.run { h in
            let (publisher, _, _) = try await startPublisher(h)
            let groups = try await startViewers(h, groups: [5, 5])
            let first = try await allReports(groups)
            let firstFrames = first.compactMap(\.firstFrameMs).sorted()
            print("interop: join-to-first-frame (answer applied → first decoded frame) of 10 viewers: \(firstFrames) ms")

            let p0 = try await publisher.report()
            let v0 = try await allReports(groups)
            let cpu0 = cpuSample(h)
            let forwarded0 = await forwardedPackets(h)
            try await Task.sleep(for: .seconds(10))
            let p1 = try await publisher.report()
            let v1 = try await allReports(groups)
            let cpu1 = cpuSample(h)
            let forwarded1 = await forwardedPackets(h)

            // Each viewer's window is between its own two reports (the processes answer at slightly
            // different moments on a loaded machine): the frames it should have decoded are the
            // frame counters it went through, the audio frames 50 per second of its window.
            let framesSent = p1.framesSent - p0.framesSent
            #expect(framesSent > 200, "the publisher sent only \(framesSent) frames in 10 s")
            #expect(v1.count == 10)
            var fractions: [String] = []
            for (a, b) in zip(v0, v1) {
                let decoded = b.framesDecoded - a.framesDecoded
                let audio = b.audioFrames - a.audioFrames
                let audioExpected = (b.at - a.at) * 50
                guard let c0 = a.counterLast, let c1 = b.counterLast else {
                    Issue.record("viewer \(b.id) read no frame counter: \(b)")
                    continue
                }
                let span = (c1 - c0 + 65_536) % 65_536 // frames the publisher sent in this viewer's window
                fractions.append(String(format: "%d/%d", decoded, span))
                #expect(span >= 250, "viewer \(b.id)'s window covers only \(span) frames")
                #expect(Double(decoded) >= 0.95 * Double(span), "viewer \(b.id) decoded \(decoded) of \(span) frames sent: \(b)")
                #expect(Double(audio) >= 0.9 * audioExpected, "viewer \(b.id) got \(audio) audio frames in \(b.at - a.at) s")
                #expect(b.counterBackwards == 0, "viewer \(b.id) decoded frames out of order")
            }
            print("interop: 10 viewers over 10 s: publisher sent \(framesSent) video frames; decoded/sent per viewer \(fractions)")
            reportCPU(h, cpu0, cpu1, forwarded0, forwarded1, label: "10 viewers")
            _ = try? await publisher.stop()
        }
    }

    // 2. A viewer joining 5 s after the publisher decodes its first frame within 1 s.
    @Test func lateViewerDecodesFirstFrameWithinOneSecond() async throws {
        guard InteropPython.available(InteropPython.aiortcUnavailable, "aiortc") else { return }
        try await InteropSFU.run { h in
            let (publisher, _, _) = try await startPublisher(h)
            let late = try h.startViewers(count: 1)
            let offers = try await late.offers() // Python start-up is not part of joining
            try await Task.sleep(for: .seconds(5))
            try await h.subscribe(late, offers: offers, namePrefix: "late")
            var report: ViewerReport?
            try await waitUntil("the late viewer's first frame", timeout: 10) {
                report = try await late.report().first
                return report?.firstFrameMs != nil
            }
            let ms = try #require(report?.firstFrameMs)
            let p = try await publisher.report()
            // Where the time goes: the viewer's clock marks and the publisher's keyframe requests
            // (both Python processes stamp Unix time).
            let answered = report?.raw["answeredAt"] as? Double ?? 0
            let request = p.keyframeRequestTimes.first { $0 >= answered }.map { String(format: "%.0f", ($0 - answered) * 1000) } ?? "-"
            print("interop: late viewer: the publisher's keyframe requests, ms after the answer: " +
                  "\(p.keyframeRequestTimes.map { Int((($0 - answered) * 1000).rounded()) })")
            print("interop: late viewer join-to-first-frame \(ms) ms after the answer: connected \(report?.raw["connectMs"] ?? "-") ms, " +
                  "keyframe request at the publisher \(request) ms, first video packet \(report?.raw["firstPacketMs"] ?? "-") ms; " +
                  "publisher got \(p.plisReceived) PLI, \(p.firsReceived) FIR in all")
            #expect(ms <= 1000, "the late viewer's first frame came \(ms) ms after its answer")
        }
    }

    // 3. 5 % loss between publisher and router is repaired by NACK/RTX: no freeze > 300 ms.
    @Test func ingestLossIsRepairedWithoutFreezes() async throws {
        guard InteropPython.available(InteropPython.aiortcUnavailable, "aiortc") else { return }
        var router = RouterConfiguration()
        router.ingestLossRate = 0.05
        try await InteropSFU.run(router: router) { h in
            let (publisher, publisherParticipant, _) = try await startPublisher(h)
            let groups = try await startViewers(h, groups: [2])
            let v0 = try await allReports(groups, resetWindow: true)
            try await Task.sleep(for: .seconds(8))
            let p1 = try await publisher.report()
            let v1 = try await allReports(groups)
            for (a, b) in zip(v0, v1) {
                let decoded = b.framesDecoded - a.framesDecoded
                let span = a.counterLast.flatMap { c0 in b.counterLast.map { c1 in (c1 - c0 + 65_536) % 65_536 } } ?? 0
                print("interop: loss 5 %: \(b); window gap \(b.windowLongestGapMs) ms, decoded \(decoded) of \(span) frames sent")
                #expect(b.windowLongestGapMs <= 300, "viewer \(b.id) froze for \(b.windowLongestGapMs) ms")
                #expect(span >= 200, "viewer \(b.id)'s window covers only \(span) frames")
                #expect(Double(decoded) >= 0.95 * Double(span), "viewer \(b.id) decoded \(decoded) of \(span) frames sent")
            }
            let stats = await publisherParticipant.stats()
            let video = stats.sessions.flatMap(\.producers).filter { $0.kind == .video }.flatMap(\.encodings)
            let dropped = video.reduce(0) { $0 + $1.testDropped }
            let nacks = video.reduce(0) { $0 + $1.nackPacketsSent }
            let rtx = video.reduce(0) { $0 + $1.retransmissionsReceived }
            print("interop: loss 5 %: router dropped \(dropped), sent \(nacks) NACKs, got \(rtx) retransmissions; " +
                  "publisher saw \(p1.nackPacketsReceived) NACK packets for \(p1.nackedSequences) sequence numbers")
            #expect(dropped > 0, "the loss hook dropped nothing")
            #expect(nacks > 0, "the router sent no NACK to the publisher")
            #expect(rtx > 0, "the router received no retransmission")
            #expect(p1.nackPacketsReceived > 0, "the publisher received no NACK")
        }
    }

    // 4. A viewer sending a PLI every 50 ms: the publisher gets no more keyframe requests than
    // the router's keyframe-request interval allows.
    @Test func pliFloodIsRateLimited() async throws {
        guard InteropPython.available(InteropPython.aiortcUnavailable, "aiortc") else { return }
        var router = RouterConfiguration()
        router.keyframeRequestInterval = .milliseconds(500)
        try await InteropSFU.run(router: router) { h in
            let (publisher, _, _) = try await startPublisher(h)
            let groups = try await startViewers(h, groups: [1], extra: ["--pli-interval-ms", "50"])
            let p0 = try await publisher.report()
            let v0 = try await allReports(groups)
            let seconds = 6.0
            try await Task.sleep(for: .seconds(seconds))
            let p1 = try await publisher.report()
            let v1 = try await allReports(groups)
            let flood = v1[0].floodPlisSent - v0[0].floodPlisSent
            let requests = p1.keyframeRequests - p0.keyframeRequests
            let allowed = Int(seconds / 0.5) + 2
            let consumerPLIs = await h.sessions().flatMap(\.consumers).reduce(0) { $0 + $1.plisReceived }
            print("interop: PLI flood: viewer sent \(flood) PLIs in \(seconds) s, Podium counted \(consumerPLIs), " +
                  "publisher got \(requests) keyframe requests (allowed \(allowed))")
            #expect(flood >= Int(seconds / 0.05 / 2), "the viewer did not flood (\(flood) PLIs)")
            let routerStats = await h.room.stats().router
            #expect(consumerPLIs >= UInt64(flood / 2), "Podium did not see the flood: router RTCP with unknown SSRC \(routerStats?.unknownSSRCRTCP ?? 0), malformed \(routerStats?.malformedRTCP ?? 0), consumers \(routerStats?.consumers.map { "\($0.kind) ssrc \($0.ssrc) plis \($0.plisReceived)" } ?? [])")
            #expect(requests <= allowed, "\(requests) keyframe requests reached the publisher in \(seconds) s")
            #expect(requests >= 1, "no keyframe request reached the publisher at all")
        }
    }

    // 5. The publisher leaves: trackUnpublished events, and the viewers' tracks end (RTCP BYE).
    @Test func publisherLeavingEndsViewerTracks() async throws {
        guard InteropPython.available(InteropPython.aiortcUnavailable, "aiortc") else { return }
        try await InteropSFU.run { h in
            let (publisher, participant, publication) = try await startPublisher(h)
            let groups = try await startViewers(h, groups: [2])
            try await Task.sleep(for: .seconds(1)) // playing, not just started
            let events = EventLog()
            let stream = h.room.events
            let collector = Task { for await e in stream { events.append(e) } }
            defer { collector.cancel() }
            try await participant.close(session: publication.session)
            try await waitUntil("two trackUnpublished events", timeout: 5) {
                events.all.filter { if case .trackUnpublished = $0 { true } else { false } }.count >= 2
            }
            #expect(await h.room.tracks().isEmpty)
            await #expect(throws: PodiumError.self, "closing the session twice") {
                try await participant.close(session: publication.session)
            }
            var reports: [ViewerReport] = []
            try await waitUntil("the viewers' tracks to end", timeout: 5) {
                reports = try await allReports(groups)
                return reports.allSatisfy { $0.videoEnded && $0.audioEnded }
            }
            for r in reports {
                print("interop: after the publisher left: \(r)")
                #expect(r.byeReceived >= 1, "viewer \(r.id) got no RTCP BYE")
            }
            _ = try? await publisher.stop()
        }
    }

    // 6. GStreamer webrtcbin publishes VP8 + Opus; an aiortc viewer decodes it.
    @Test func gstreamerPublisherToAiortcViewer() async throws {
        guard InteropPython.available(InteropPython.aiortcUnavailable, "aiortc"),
              InteropPython.available(InteropPython.gstreamerUnavailable, "GStreamer webrtcbin") else { return }
        try await InteropSFU.run { h in
            let gst = try h.startGstPublisher(seconds: 20)
            let offer = try await gst.nextMessage(timeout: 30)
            let sdp = try #require(offer["sdp"] as? String)
            let (_, publication) = try await h.publish(offer: sdp)
            try gst.send(["type": "answer", "sdp": publication.answer])
            #expect(publication.tracks.count == 2, "audio and video accepted: \(publication.tracks), rejected \(publication.rejected)")
            try await h.waitForTracks(2)
            let groups = try await startViewers(h, groups: [1])
            let v0 = try await allReports(groups)
            try await Task.sleep(for: .seconds(5))
            let v1 = try await allReports(groups)
            let decoded = v1[0].framesDecoded - v0[0].framesDecoded
            print("interop: GStreamer → aiortc: \(v1[0]); \(decoded) frames in 5 s")
            #expect(decoded >= 100, "the viewer decoded \(decoded) frames in 5 s of a 30 fps stream")
            #expect(v1[0].audioFrames > v0[0].audioFrames)
        }
    }

    // MARK: measurement

    private struct CPUSample {
        var worker: Double?
        var process: Double
        var at: Date
    }

    private func cpuSample(_ h: InteropSFU) -> CPUSample {
        let worker = h.workerThreads.compactMap { ThreadCPU.seconds($0.tid) }
        return CPUSample(worker: worker.isEmpty ? nil : worker.reduce(0, +), process: ThreadCPU.processSeconds(), at: Date())
    }

    /// RTP packets Podium sent to subscribers (media and retransmissions), all sessions.
    private func forwardedPackets(_ h: InteropSFU) async -> UInt64 {
        await h.sessions().filter { $0.direction == .subscribe }.reduce(0) { $0 + $1.rtpPacketsSent }
    }

    private func reportCPU(_ h: InteropSFU, _ a: CPUSample, _ b: CPUSample, _ f0: UInt64, _ f1: UInt64, label: String) {
        let packets = Double(f1 - f0)
        let seconds = b.at.timeIntervalSince(a.at)
        let process = b.process - a.process
        var line = "interop: CPU at \(label): \(Int(packets)) packets forwarded in \(String(format: "%.1f", seconds)) s; "
        if let w0 = a.worker, let w1 = b.worker {
            line += "worker thread(s) \(h.workerThreads) \(String(format: "%.3f", w1 - w0)) s CPU = " +
                "\(String(format: "%.2f", (w1 - w0) / max(packets, 1) * 1e6)) µs per forwarded packet; "
        } else {
            line += "worker thread not found by name (new threads: \(h.workerThreads)); "
        }
        line += "whole test process (SFU + test harness) \(String(format: "%.3f", process)) s = " +
            "\(String(format: "%.2f", process / max(packets, 1) * 1e6)) µs per forwarded packet"
        print(line)
        #expect(packets > 0, "no packet forwarded")
    }
}

/// Room events collected by a task, read by the test.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RoomEvent] = []
    func append(_ e: RoomEvent) { lock.lock(); events.append(e); lock.unlock() }
    var all: [RoomEvent] { lock.lock(); defer { lock.unlock() }; return events }
}
