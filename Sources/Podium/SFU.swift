import Glibc
import PodiumCrypto
import PodiumNet
import PodiumRTC
import Synchronization

/// The SFU: W worker threads (one epoll loop and one UDP port each), the rooms on them, and the
/// thin async API the embedding program uses. All public types are Sendable; every call that
/// touches media state is a command to the room's worker (DESIGN.md §3).
public final class SFU: Sendable {
    public struct Configuration: Sendable {
        /// Worker threads (default: the number of cores). Worker i binds UDP `listen.port + i`
        /// (or an ephemeral port each when `listen.port` is 0).
        public var workers: Int
        /// Where workers bind their UDP sockets.
        public var listenIP: String
        public var listenPort: UInt16
        /// The IP announced in candidates (e.g. a public or LAN address); default: the bound IP.
        public var announcedIP: String?
        /// The DTLS certificate; nil generates an ECDSA P-256 one at start.
        public var certificate: DTLSCertificate?
        /// Router tuning (keyframe request rate, NACK, feedback and report intervals, test loss).
        public var router: RouterConfiguration
        /// The codecs, header extensions and RTCP feedback Podium negotiates.
        public var capabilities: MediaCapabilities
        /// SDP bodies larger than this are refused (`tooLarge`).
        public var maxSDPBytes: Int
        /// Participants per room (the next join is refused with `tooLarge`, "room full").
        public var maxParticipantsPerRoom: Int
        /// ICE + DTLS must complete this soon after publish/subscribe.
        public var connectTimeout: Duration

        public init(workers: Int? = nil, listenIP: String = "127.0.0.1", listenPort: UInt16 = 0, announcedIP: String? = nil,
                    certificate: DTLSCertificate? = nil, router: RouterConfiguration = .init(),
                    capabilities: MediaCapabilities = .default, maxSDPBytes: Int = 64 * 1024,
                    maxParticipantsPerRoom: Int = 10_000, connectTimeout: Duration = .seconds(30)) {
            self.workers = workers ?? SFU.defaultWorkerCount
            self.listenIP = listenIP
            self.listenPort = listenPort
            self.announcedIP = announcedIP
            self.certificate = certificate
            self.router = router
            self.capabilities = capabilities
            self.maxSDPBytes = maxSDPBytes
            self.maxParticipantsPerRoom = maxParticipantsPerRoom
            self.connectTimeout = connectTimeout
        }
    }

    /// The number of processors online: one worker per core (DESIGN.md §3).
    public static var defaultWorkerCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    public let configuration: Configuration
    let workers: [Worker]
    let registry: RoomRegistry

    /// Starts the workers and binds their sockets. `badRequest` for a configuration that cannot
    /// work (no workers, an unparsable IP, ports past 65535), `unavailable` when a socket or thread
    /// cannot be had (port in use…); nothing is left running then.
    public init(_ configuration: Configuration = .init()) async throws(PodiumError) {
        self.configuration = configuration
        guard configuration.workers >= 1 else { throw PodiumError(.badRequest, "workers is \(configuration.workers); at least 1 is needed") }
        guard configuration.maxSDPBytes > 0 else { throw PodiumError(.badRequest, "maxSDPBytes must be positive") }
        if configuration.listenPort != 0, Int(configuration.listenPort) + configuration.workers - 1 > Int(UInt16.max) {
            throw PodiumError(.badRequest, "ports \(configuration.listenPort)+\(configuration.workers - 1) pass 65535")
        }
        let context: DTLSContext
        do {
            context = try DTLSContext(certificate: configuration.certificate ?? DTLSCertificate.generate(commonName: "Podium"))
        } catch {
            throw PodiumError(.unavailable, "cannot set up DTLS: \(error)")
        }
        var started: [Worker] = []
        for i in 0..<configuration.workers {
            let port = configuration.listenPort == 0 ? 0 : configuration.listenPort + UInt16(i)
            guard let address = SocketAddress(ip: configuration.listenIP, port: port) else {
                throw PodiumError(.badRequest, "listenIP '\(configuration.listenIP)' is not an IPv4 or IPv6 address")
            }
            do {
                started.append(try await Worker.start(index: i, listen: address, announcedIP: configuration.announcedIP, context: context))
            } catch {
                for w in started { await w.shutdown() }
                throw PodiumError(.unavailable, "\(error)")
            }
        }
        workers = started
        registry = RoomRegistry(workerCount: started.count)
    }

    /// Without `shutdown()`, the worker threads would outlive the SFU: stop them (their sockets
    /// close on their loops first). Rooms and events are not reported then; call `shutdown()`.
    deinit {
        for w in workers {
            w.loop.execute { w.endpoint.close() }
            w.loop.shutdown()
        }
    }

    /// The UDP port of each worker, in worker order.
    public var ports: [UInt16] { workers.map(\.port) }

    /// Creates a room on the worker with the fewest rooms. `conflict` if the name is taken,
    /// `unavailable` after `shutdown()`, `badRequest` for an empty name.
    public func createRoom(_ name: String) async throws(PodiumError) -> Room {
        guard !name.isEmpty, name.utf8.count <= 256 else { throw PodiumError(.badRequest, "a room name must have 1…256 bytes") }
        let index = try registry.reserve(name)
        let worker = workers[index]
        let hub = EventHub()
        let configuration = self.configuration
        let core: RoomCore
        do {
            core = try await worker.loop.submit { RoomCore(name: name, worker: worker, hub: hub, configuration: configuration) }
        } catch {
            registry.remove(name, worker: index)
            throw PodiumError(.unavailable, "worker \(index) has stopped: \(error)")
        }
        let room = Room(name: name, core: core, registry: registry, configuration: configuration)
        registry.publish(room)
        return room
    }

    /// The room called `name`, if any.
    public func room(_ name: String) -> Room? { registry.room(name) }

    /// Every open room.
    public func rooms() -> [Room] { registry.rooms() }

    /// Counters of every worker and the state of every room.
    public func stats() async -> SFUStats {
        var workerStats: [WorkerStats] = []
        let perWorker = registry.roomsPerWorker()
        for w in workers {
            let c = try? await w.loop.submit { w.counters }
            workerStats.append(WorkerStats(index: w.index, port: w.port, rooms: perWorker[w.index], transports: c?.transports ?? 0,
                                           loopTurns: c?.loopTurns ?? 0, datagramsReceived: c?.datagramsReceived ?? 0,
                                           datagramsDropped: c?.datagramsDropped ?? 0, sendErrors: c?.sendErrors ?? 0))
        }
        var roomStats: [RoomStats] = []
        for room in rooms().sorted(by: { $0.name < $1.name }) { roomStats.append(await room.stats()) }
        return SFUStats(workers: workerStats, rooms: roomStats)
    }

    /// Closes every room (their events end with `.roomClosed`), then the workers' sockets and
    /// threads. Idempotent; later calls that create rooms get `unavailable`.
    public func shutdown() async {
        guard registry.shutDown() else { return }
        for room in registry.rooms() { await room.close() }
        for w in workers { await w.shutdown() }
    }
}

/// The SFU's rooms by name and per worker, shared with the rooms (which remove themselves on
/// close). A mutex, not an actor: it is held for dictionary operations only, never on the packet path.
final class RoomRegistry: Sendable {
    private struct State {
        var rooms: [String: Room] = [:]
        /// Names reserved by a `createRoom` in progress (not yet published).
        var reserved: Set<String> = []
        var roomsPerWorker: [Int]
        var isShutDown = false
    }

    private let state: Mutex<State>

    init(workerCount: Int) {
        state = Mutex(State(roomsPerWorker: Array(repeating: 0, count: workerCount)))
    }

    /// Reserves `name` on the least loaded worker and returns that worker's index.
    func reserve(_ name: String) throws(PodiumError) -> Int {
        let result: Result<Int, PodiumError> = state.withLock { s in
            if s.isShutDown { return .failure(PodiumError(.unavailable, "the SFU is shut down")) }
            if s.rooms[name] != nil || s.reserved.contains(name) { return .failure(PodiumError(.conflict, "a room called '\(name)' exists")) }
            let index = s.roomsPerWorker.indices.min { s.roomsPerWorker[$0] < s.roomsPerWorker[$1] } ?? 0
            s.roomsPerWorker[index] += 1
            s.reserved.insert(name)
            return .success(index)
        }
        return try result.get()
    }

    func publish(_ room: Room) {
        state.withLock { s in
            s.reserved.remove(room.name)
            s.rooms[room.name] = room
        }
    }

    func remove(_ name: String, worker: Int) {
        state.withLock { s in
            s.reserved.remove(name)
            s.rooms[name] = nil
            s.roomsPerWorker[worker] -= 1
        }
    }

    func room(_ name: String) -> Room? { state.withLock { $0.rooms[name] } }
    func rooms() -> [Room] { state.withLock { Array($0.rooms.values) } }
    func roomsPerWorker() -> [Int] { state.withLock { $0.roomsPerWorker } }

    /// Marks the SFU shut down; false if it already was.
    func shutDown() -> Bool {
        state.withLock { s in
            defer { s.isShutDown = true }
            return !s.isShutDown
        }
    }
}
