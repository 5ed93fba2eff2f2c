import PodiumRTC
import Synchronization

/// A room: one router on one worker, its participants and their sessions.
///
/// A `Room` is a Sendable handle: every call that touches media state becomes a command on the
/// room's worker (`EventLoop.submit`), so calls from any task are safe and take effect in the
/// order the worker receives them. Events come back through `events`.
public final class Room: Sendable {
    public let name: String
    let core: RoomCore
    let registry: RoomRegistry
    let configuration: SFU.Configuration
    private let shared = Mutex(Shared())

    private struct Shared {
        var participants: [String: Participant] = [:]
        var nextParticipant = 0
        var isClosed = false
    }

    init(name: String, core: RoomCore, registry: RoomRegistry, configuration: SFU.Configuration) {
        self.name = name
        self.core = core
        self.registry = registry
        self.configuration = configuration
    }

    /// The index of the worker the room lives on.
    public var worker: Int { core.worker.index }

    /// A new stream of this room's events from now on (each access makes a new subscriber; it
    /// finishes after `.roomClosed`). Slow readers lose the oldest events beyond 1 000 buffered.
    public var events: AsyncStream<RoomEvent> { core.hub.makeStream() }

    /// Adds a participant (`.participantJoined`). `tooLarge` when the room is full, `conflict`
    /// when closed.
    public func join(_ role: ParticipantRole, name: String) async throws(PodiumError) -> Participant {
        let reserved: Result<String, PodiumError> = shared.withLock { s in
            if s.isClosed { return .failure(PodiumError(.conflict, "room '\(self.name)' is closed")) }
            if s.participants.count >= configuration.maxParticipantsPerRoom {
                return .failure(PodiumError(.tooLarge, "room '\(self.name)' is full (\(configuration.maxParticipantsPerRoom) participants)"))
            }
            s.nextParticipant += 1
            return .success("p\(s.nextParticipant)-\(Identifiers.random(bytes: 4))")
        }
        let id = try reserved.get()
        let participant = Participant(id: id, name: name, role: role, room: self)
        shared.withLock { $0.participants[id] = participant }
        let info = participant.info
        do {
            try await run { core throws(PodiumError) in try core.join(info) }
        } catch {
            shared.withLock { _ = $0.participants.removeValue(forKey: id) }
            throw error
        }
        return participant
    }

    /// The participant with `id`, while it is in the room.
    public func participant(_ id: String) -> Participant? { shared.withLock { $0.participants[id] } }

    /// Everyone in the room now, in join order.
    public func participants() -> [ParticipantInfo] {
        shared.withLock { Array($0.participants.values) }.sorted { $0.joinOrder < $1.joinOrder }.map(\.info)
    }

    /// Tracks currently published in the room, in publication order.
    public func tracks() async -> [TrackInfo] {
        (try? await run { core in core.trackInfos }) ?? []
    }

    /// Every participant's sessions with their transport, producer and consumer counters.
    public func stats() async -> RoomStats {
        let stats = try? await run { core in (core.roomStats(), core.router.stats) }
        return RoomStats(name: name, worker: worker, participants: stats?.0 ?? [], router: stats?.1)
    }

    /// Closes every session (publishers' tracks end, subscribers get BYE), closes the router and
    /// removes the room from the SFU; `events` streams end with `.roomClosed`. Idempotent.
    public func close() async {
        let first = shared.withLock { s -> Bool in
            defer { s.isClosed = true; s.participants = [:] }
            return !s.isClosed
        }
        guard first else { return }
        _ = try? await run { core in core.closeRoom() }
        // The worker may already be gone (SFU shutdown raced): the hub still ends the streams.
        core.hub.finish()
        registry.remove(name, worker: worker)
    }

    func removeParticipant(_ id: String) {
        shared.withLock { _ = $0.participants.removeValue(forKey: id) }
    }

    /// Runs `body` on the room's worker. `unavailable` when the worker has stopped.
    func run<T: Sendable>(_ body: @escaping @Sendable (RoomCore) throws(PodiumError) -> T) async throws(PodiumError) -> T {
        let core = self.core
        do {
            return try await core.worker.loop.submit { () throws -> T in try body(core) }
        } catch let error as PodiumError {
            throw error
        } catch {
            throw PodiumError(.unavailable, "room '\(name)': its worker has stopped (\(error))")
        }
    }
}
