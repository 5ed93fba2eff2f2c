import Foundation
import Podium
import Synchronization

/// Runs `body` with a one-worker SFU on 127.0.0.1 and shuts it down afterwards, also on errors.
func withSFU<T>(_ configuration: SFU.Configuration = .init(workers: 1), _ body: (SFU) async throws -> T) async throws -> T {
    let sfu = try await SFU(configuration)
    do {
        let result = try await body(sfu)
        await sfu.shutdown()
        return result
    } catch {
        await sfu.shutdown()
        throw error
    }
}

/// Runs `body` with peers started by name, closing every one afterwards.
func withPeers<T>(_ names: [String], _ body: ([TestPeer]) async throws -> T) async throws -> T {
    var peers: [TestPeer] = []
    do {
        for (i, n) in names.enumerated() { peers.append(try await TestPeer.start(n, seed: UInt64(i + 1))) }
        let result = try await body(peers)
        for p in peers { await p.close() }
        return result
    } catch {
        for p in peers { await p.close() }
        throw error
    }
}

/// Collects a room's events in the background.
final class EventRecorder: Sendable {
    private final class Storage: Sendable {
        let events = Mutex<[RoomEvent]>([])
    }

    private let storage = Storage()
    private let task: Task<Void, Never>

    init(_ stream: AsyncStream<RoomEvent>) {
        let storage = self.storage
        task = Task {
            for await e in stream { storage.events.withLock { $0.append(e) } }
        }
    }

    deinit { task.cancel() }

    var all: [RoomEvent] { storage.events.withLock { $0 } }

    /// Waits until some recorded event satisfies `match`; returns it, or nil after `timeout`.
    func wait(timeout: Duration = .seconds(5), for match: @escaping @Sendable (RoomEvent) -> Bool) async -> RoomEvent? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let e = all.first(where: match) { return e }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until `count` events satisfy `match`.
    func wait(count: Int, timeout: Duration = .seconds(5), for match: @escaping @Sendable (RoomEvent) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if all.filter(match).count >= count { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Ends when the stream has finished (after `.roomClosed`).
    func finished() async { await task.value }
}

/// The `PodiumError` `body` throws, nil when it does not throw.
func podiumError(_ body: () async throws -> Void) async -> PodiumError? {
    do {
        try await body()
        return nil
    } catch let error as PodiumError {
        return error
    } catch {
        return PodiumError(.unavailable, "not a PodiumError: \(error)")
    }
}
