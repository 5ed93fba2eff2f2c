import Glibc
import Synchronization

/// Receives the datagrams of a socket registered with an `EventLoop`, one call per `recvmmsg`
/// batch, on the loop thread.
public protocol DatagramReceiver: AnyObject {
    /// `batch` holds `count` datagrams (`batch.bytes(i)`, `batch.source(i)`, `i < count`) read from
    /// `batch.socket`. The bytes are the loop's receive buffers: modify them in place freely (SRTP
    /// decrypts there), but keep no pointer into them after returning — the next batch reuses them.
    func receive(_ batch: ReceiveBatch, count: Int)
}

/// What an event loop has done, for stats and tests. Read on the loop thread.
public struct EventLoopCounters: Sendable, Equatable {
    /// Iterations of the loop (one `epoll_wait` each).
    public var turns: UInt64 = 0
    public var commandsRun: UInt64 = 0
    public var timersFired: UInt64 = 0
    /// `recvmmsg` batches handed to receivers, and their datagrams.
    public var receiveBatches: UInt64 = 0
    public var datagramsDelivered: UInt64 = 0
    /// Times a socket still had datagrams waiting when its per-turn budget ran out (a sign of
    /// overload; the rest is read next turn).
    public var receiveBudgetExhausted: UInt64 = 0
    /// `epoll_wait` failures other than `EINTR`.
    public var pollErrors: UInt64 = 0

    public init() {}
}

/// Identifies a handler added with `EventLoop.addTurnEndHandler`.
public struct TurnEndHandlerID: Hashable, Sendable {
    let value: UInt64
}

/// A worker: one OS thread running an epoll loop that owns UDP sockets, timers and a command
/// queue (DESIGN.md §3).
///
/// Each turn: wait in `epoll_wait` (timeout = the earliest timer), run queued commands, read every
/// readable socket in `recvmmsg` batches (at most `receiveBatchesPerTurn` per socket, so one busy
/// socket cannot starve the others or the timers), fire due timers, then call the turn-end
/// handlers (where transports flush their `SendBatch`: one `sendmmsg` per turn).
///
/// Confinement: `execute`, `submit`, `shutdown`, `isInLoop` and `name` are safe from any thread.
/// Everything else (`register`, timers, turn-end handlers, `counters`, `turnTime`) belongs to
/// the loop thread: call it from a command, a timer, a receiver or a handler. That is what makes
/// `@unchecked Sendable` sound: the loop-only state is touched by one thread, and the command
/// queue is behind a mutex. Debug builds check the thread.
///
/// Lifetime: the running thread keeps the loop alive; call `shutdown()` to stop it.
public final class EventLoop: @unchecked Sendable {
    public let name: String
    /// `recvmmsg` batches read from one socket per turn before moving on.
    public let receiveBatchesPerTurn: Int

    /// Loop thread only.
    public private(set) var counters = EventLoopCounters()
    /// When the current turn started (after `epoll_wait` returned). Loop thread only. Packet
    /// code can use it instead of reading the clock per packet.
    public private(set) var turnTime: MonotonicTime

    private struct Shared {
        var commands: [@Sendable () -> Void] = []
        var stopRequested = false
        /// Set by the loop thread as it exits: no command is accepted after this.
        var closed = false
        var joinClaimed = false
    }

    private final class Registration {
        let socket: UDPSocket
        let receiver: any DatagramReceiver
        let generation: UInt32
        var isActive = true

        init(socket: UDPSocket, receiver: any DatagramReceiver, generation: UInt32) {
            self.socket = socket
            self.receiver = receiver
            self.generation = generation
        }
    }

    private let shared = Mutex(Shared())
    private let loopThread = Atomic<UInt>(0)
    private var thread = pthread_t()
    private var threadStarted = false
    private var descriptorsClosed = false

    private let epollFD: Int32
    private let wakeFD: Int32
    private let events: UnsafeMutableRawPointer
    private let maxEvents = 64
    private let receiveBatch: ReceiveBatch
    private var registrations: [Registration?] = []
    private var registrationGeneration: UInt32 = 0
    private var timers = TimerQueue()
    private var turnEndHandlers: [(id: UInt64, body: () -> Void)] = []
    private var nextHandlerID: UInt64 = 0
    private var stopping = false
    private var draining: [@Sendable () -> Void] = []

    /// Starts the loop thread.
    /// - Parameters:
    ///   - name: the thread name (first 15 bytes, visible in `top -H`, `perf`) and error text.
    ///   - receiveCapacity, receiveSlotSize: the loop's `ReceiveBatch`, shared by its sockets.
    ///   - receiveBatchesPerTurn: fairness budget per readable socket per turn.
    public init(name: String, receiveCapacity: Int = 64, receiveSlotSize: Int = 2048,
                receiveBatchesPerTurn: Int = 8) throws(NetError) {
        precondition(receiveBatchesPerTurn >= 1, "receiveBatchesPerTurn must be at least 1")
        self.name = name
        self.receiveBatchesPerTurn = receiveBatchesPerTurn
        turnTime = .now()
        receiveBatch = ReceiveBatch(capacity: receiveCapacity, slotSize: receiveSlotSize)
        events = .allocate(byteCount: maxEvents * LinuxConstants.epollEventSize, alignment: 8)
        let epoll = LinuxCalls.shared.epollCreate1(LinuxConstants.epollCloexec)
        guard epoll >= 0 else {
            let error = NetError.lastError("epoll_create1")
            events.deallocate()
            throw error
        }
        let wake = LinuxCalls.shared.eventFD(0, LinuxConstants.eventFDNonBlock | LinuxConstants.eventFDCloexec)
        guard wake >= 0 else {
            let error = NetError.lastError("eventfd")
            Glibc.close(epoll)
            events.deallocate()
            throw error
        }
        epollFD = epoll
        wakeFD = wake
        // From here on deinit cleans up (descriptors, buffer) if we throw.
        guard epollAdd(wake, key: 0) == 0 else {
            throw NetError.lastError("epoll_ctl(ADD, eventfd)")
        }
        var tid = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&tid, nil, { context in
            let loop = Unmanaged<EventLoop>.fromOpaque(context!).takeRetainedValue()
            loop.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<EventLoop>.fromOpaque(context).release()
            throw NetError.systemCall(operation: "pthread_create(\(name))", errno: result)
        }
        thread = tid
        threadStarted = true
    }

    deinit {
        // The thread holds a reference while it runs, so here it has left `run()`.
        let joined = shared.withLock { $0.joinClaimed }
        if threadStarted && !joined {
            if pthread_equal(thread, pthread_self()) != 0 {
                pthread_detach(thread)
            } else {
                pthread_join(thread, nil)
            }
        }
        if !descriptorsClosed {
            Glibc.close(epollFD)
            Glibc.close(wakeFD)
        }
        events.deallocate()
    }

    /// True on the loop thread.
    public var isInLoop: Bool {
        loopThread.load(ordering: .acquiring) == UInt(pthread_self())
    }

    // MARK: Commands (any thread)

    /// Runs `body` on the loop thread soon, in submission order. Returns false (and drops `body`)
    /// if the loop has shut down. Commands queued before `shutdown()` still run.
    @discardableResult
    public func execute(_ body: @escaping @Sendable () -> Void) -> Bool {
        shared.withLock { state in
            guard !state.closed else { return false }
            // Why only on empty: a non-empty queue has a wake-up pending that the loop has not
            // consumed yet (it reads the eventfd before taking the queue), so one write suffices.
            let needsWake = state.commands.isEmpty
            state.commands.append(body)
            if needsWake { signalWake() }
            return true
        }
    }

    /// Runs `body` on the loop thread and returns its result; throws what `body` throws, or
    /// `NetError.loopShutDown` if the loop has shut down.
    public func submit<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = execute {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            if !accepted { continuation.resume(throwing: NetError.loopShutDown(loop: name)) }
        }
    }

    /// Stops the loop after the current turn, runs the commands already queued, drops registrations,
    /// timers and handlers, closes the epoll and eventfd descriptors and joins the thread.
    /// Idempotent. Called on the loop thread it only requests the stop (a thread cannot join
    /// itself). When several threads call it at once, only the first waits for the thread to end.
    public func shutdown() {
        if isInLoop {
            stopping = true
            shared.withLock { $0.stopRequested = true }
            return
        }
        let mustJoin = shared.withLock { state -> Bool in
            if !state.closed && !state.stopRequested {
                state.stopRequested = true
                signalWake()
            }
            guard threadStarted, !state.joinClaimed else { return false }
            state.joinClaimed = true
            return true
        }
        if mustJoin { pthread_join(thread, nil) }
    }

    // MARK: Sockets (loop thread)

    /// Watches `socket`: whenever it is readable the loop reads it in batches and hands each
    /// batch to `receiver`. The loop keeps both until `unregister` or shutdown. Unregister before
    /// closing the socket.
    public func register(_ socket: UDPSocket, receiver: some DatagramReceiver) throws(NetError) {
        assertInLoop("register")
        guard socket.isOpen else { throw .invalidArgument("register: the socket is closed") }
        guard !registrations.contains(where: { $0?.socket === socket }) else {
            throw .invalidArgument("register: socket \(socket.localAddress) is already registered with loop '\(name)'")
        }
        let index = registrations.firstIndex(where: { $0 == nil }) ?? {
            registrations.append(nil)
            return registrations.count - 1
        }()
        registrationGeneration &+= 1
        let key = UInt64(registrationGeneration) << 32 | UInt64(index + 1)
        guard epollAdd(socket.descriptor, key: key) == 0 else {
            throw NetError.lastError("epoll_ctl(ADD, socket \(socket.localAddress))")
        }
        registrations[index] = Registration(socket: socket, receiver: receiver, generation: registrationGeneration)
    }

    /// Stops watching `socket`; false if it was not registered.
    @discardableResult
    public func unregister(_ socket: UDPSocket) -> Bool {
        assertInLoop("unregister")
        guard let index = registrations.firstIndex(where: { $0?.socket === socket }) else { return false }
        registrations[index]?.isActive = false
        registrations[index] = nil
        if socket.isOpen {
            _ = LinuxCalls.shared.epollCtl(epollFD, LinuxConstants.epollCtlDel, socket.descriptor, nil)
        }
        return true
    }

    // MARK: Timers (loop thread)

    /// Calls `callback` on the loop thread once `delay` has passed (millisecond resolution; never
    /// early). Timers due at the same time fire in scheduling order.
    @discardableResult
    public func schedule(after delay: Duration, _ callback: @escaping () -> Void) -> TimerID {
        schedule(at: .now() + delay, callback)
    }

    /// Calls `callback` on the loop thread at `deadline` (or at the next turn if it has passed).
    @discardableResult
    public func schedule(at deadline: MonotonicTime, _ callback: @escaping () -> Void) -> TimerID {
        assertInLoop("schedule")
        return timers.schedule(deadline: deadline.nanoseconds, callback)
    }

    /// Cancels a pending timer; false if it already fired or was cancelled.
    @discardableResult
    public func cancel(_ timer: TimerID) -> Bool {
        assertInLoop("cancel")
        return timers.cancel(timer)
    }

    /// Timers scheduled and not yet fired or cancelled. Loop thread only.
    public var pendingTimerCount: Int { timers.liveCount }

    // MARK: Turn end (loop thread)

    /// Calls `body` once per turn, after events and timers (flush send batches here).
    @discardableResult
    public func addTurnEndHandler(_ body: @escaping () -> Void) -> TurnEndHandlerID {
        assertInLoop("addTurnEndHandler")
        nextHandlerID &+= 1
        turnEndHandlers.append((nextHandlerID, body))
        return TurnEndHandlerID(value: nextHandlerID)
    }

    public func removeTurnEndHandler(_ id: TurnEndHandlerID) {
        assertInLoop("removeTurnEndHandler")
        turnEndHandlers.removeAll { $0.id == id.value }
    }

    // MARK: The loop

    private func run() {
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
        if let setName = LinuxCalls.shared.setThreadName {
            // Why 15: Linux thread names are 16 bytes with the terminator.
            var bytes = Array(name.utf8.prefix(15)).map { CChar(bitPattern: $0) }
            bytes.append(0)
            _ = setName(pthread_self(), bytes)
        }
        while !stopping { turn() }
        finish()
    }

    private func turn() {
        let ready = LinuxCalls.shared.epollWait(epollFD, events, Int32(maxEvents), pollTimeout())
        turnTime = .now()
        counters.turns &+= 1
        if ready < 0 && Glibc.errno != EINTR { counters.pollErrors &+= 1 }
        var i = 0
        while i < Int(ready) {
            let event = events + i * LinuxConstants.epollEventSize
            let key = event.loadUnaligned(fromByteOffset: LinuxConstants.epollDataOffset, as: UInt64.self)
            if key == 0 {
                var value: UInt64 = 0
                _ = Glibc.read(wakeFD, &value, 8)
                runCommands()
            } else {
                readSocket(key: key)
            }
            i += 1
        }
        fireTimers()
        for handler in turnEndHandlers { handler.body() }
    }

    private func pollTimeout() -> Int32 {
        if stopping { return 0 }
        guard let deadline = timers.nextDeadline() else { return -1 }
        let remaining = deadline &- MonotonicTime.now().nanoseconds
        if remaining <= 0 { return 0 }
        // Round up: waking before the deadline would only spin.
        return Int32(clamping: (remaining + 999_999) / 1_000_000)
    }

    private func runCommands() {
        shared.withLock { state in
            swap(&state.commands, &draining)
            if state.stopRequested { stopping = true }
        }
        for command in draining {
            command()
            counters.commandsRun &+= 1
        }
        draining.removeAll(keepingCapacity: true)
    }

    private func readSocket(key: UInt64) {
        let index = Int(key & 0xFFFF_FFFF) - 1
        guard index < registrations.count, let registration = registrations[index],
              registration.generation == UInt32(truncatingIfNeeded: key >> 32) else { return }
        var batches = 0
        while registration.isActive && batches < receiveBatchesPerTurn {
            let count = receiveBatch.receive(on: registration.socket)
            batches += 1
            if count > 0 {
                counters.receiveBatches &+= 1
                counters.datagramsDelivered &+= UInt64(count)
                registration.receiver.receive(receiveBatch, count: count)
            }
            if !receiveBatch.mayHaveMore { return }
        }
        if registration.isActive { counters.receiveBudgetExhausted &+= 1 }
    }

    private func fireTimers() {
        // Timers a callback schedules wait for the next turn (see `TimerQueue.popExpired`).
        let limit = timers.nextSequence
        let now = MonotonicTime.now().nanoseconds
        while let callback = timers.popExpired(now: now, sequenceLimit: limit) {
            counters.timersFired &+= 1
            callback()
        }
    }

    private func finish() {
        let remaining = shared.withLock { state -> [@Sendable () -> Void] in
            state.closed = true
            state.stopRequested = true
            let commands = state.commands
            state.commands = []
            return commands
        }
        for command in remaining {
            command()
            counters.commandsRun &+= 1
        }
        for registration in registrations { registration?.isActive = false }
        registrations.removeAll()
        timers.removeAll()
        turnEndHandlers.removeAll()
        draining.removeAll()
        Glibc.close(epollFD)
        Glibc.close(wakeFD)
        descriptorsClosed = true
        loopThread.store(0, ordering: .releasing)
    }

    // MARK: Helpers

    /// Caller holds the `shared` lock, so the eventfd cannot be closed under us.
    private func signalWake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    private func epollAdd(_ fd: Int32, key: UInt64) -> Int32 {
        withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { event in
            event.initializeMemory(as: UInt8.self, repeating: 0)
            event.baseAddress!.storeBytes(of: LinuxConstants.epollIn, as: UInt32.self)
            event.baseAddress!.storeBytes(of: key, toByteOffset: LinuxConstants.epollDataOffset, as: UInt64.self)
            return LinuxCalls.shared.epollCtl(epollFD, LinuxConstants.epollCtlAdd, fd, event.baseAddress)
        }
    }

    private func assertInLoop(_ function: StaticString) {
        assert(isInLoop, "EventLoop '\(name)': \(function) must be called on the loop thread")
    }
}
