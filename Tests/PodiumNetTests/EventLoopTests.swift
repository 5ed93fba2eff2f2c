import Glibc
import Testing
import PodiumNet
import PodiumWire
import Synchronization

/// Loop-confined mutable state for tests: touched only on the loop thread, which the tests ensure
/// by using it only inside commands, timers and receivers.
final class LoopBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

@Suite struct EventLoopTests {
    @Test func submitRunsOnTheLoopAndReturnsResults() async throws {
        let loop = try EventLoop(name: "test-submit")
        defer { loop.shutdown() }
        #expect(!loop.isInLoop)
        let inLoop = try await loop.submit { loop.isInLoop }
        #expect(inLoop)
        let value = try await loop.submit { 6 * 7 }
        #expect(value == 42)
        struct Failure: Error, Equatable {}
        await #expect(throws: Failure.self) { try await loop.submit { () throws -> Int in throw Failure() } }
        let counters = try await loop.submit { loop.counters }
        #expect(counters.commandsRun >= 3)
    }

    @Test func manyTasksSubmitAtOnce() async throws {
        let loop = try EventLoop(name: "test-many")
        defer { loop.shutdown() }
        let counter = LoopBox(0)
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<500 {
                group.addTask { try await loop.submit { counter.value += 1; return counter.value } }
            }
            var all: [Int] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.sorted() == Array(1...500))
    }

    @Test func executeKeepsEachProducersOrder() async throws {
        let loop = try EventLoop(name: "test-order")
        defer { loop.shutdown() }
        let seen = LoopBox([[Int]](repeating: [], count: 4))
        let done = Completion<Bool>()
        let producers = 4, perProducer = 1000
        await withTaskGroup(of: Void.self) { group in
            for p in 0..<producers {
                group.addTask {
                    for i in 0..<perProducer {
                        loop.execute {
                            seen.value[p].append(i)
                            if seen.value.allSatisfy({ $0.count == perProducer }) { done.complete(true) }
                        }
                    }
                }
            }
        }
        #expect(await done.wait() == true)
        let lists = try await loop.submit { seen.value }
        for list in lists { #expect(list == Array(0..<perProducer)) }
    }

    @Test func timersFireInDeadlineOrderAndCancelWorks() async throws {
        let loop = try EventLoop(name: "test-timers")
        defer { loop.shutdown() }
        let fired = LoopBox<[Int]>([])
        let timerIDs = LoopBox<[TimerID]>([])
        let done = Completion<[Int]>()
        let cancelResults = try await loop.submit { () -> [Bool] in
            let delays = [30, 10, 20, 10, 0, 25]
            var ids: [TimerID] = []
            for (i, ms) in delays.enumerated() {
                ids.append(loop.schedule(after: .milliseconds(ms)) {
                    fired.value.append(i)
                    if i == 0 { done.complete(fired.value) }   // 30 ms: the last one
                })
            }
            timerIDs.value = ids
            let first = loop.cancel(ids[5])
            let second = loop.cancel(ids[5])
            return [first, second, loop.pendingTimerCount == 5]
        }
        #expect(cancelResults == [true, false, true])
        #expect(await done.wait() == [4, 1, 3, 2, 0])
        let (pending, cancelFired) = try await loop.submit { (loop.pendingTimerCount, loop.cancel(timerIDs.value[0])) }
        #expect(pending == 0)
        #expect(!cancelFired)   // already fired
    }

    @Test func tenThousandTimersAllFire() async throws {
        let loop = try EventLoop(name: "test-10k")
        defer { loop.shutdown() }
        let state = LoopBox((fired: 0, lastDeadline: MonotonicTime(nanoseconds: .min), outOfOrder: 0, early: 0))
        let done = Completion<Int>()
        let total = 10_000
        let cancelled = try await loop.submit { () -> Int in
            var generator = SystemRandomNumberGenerator()
            var ids: [TimerID] = []
            for _ in 0..<total {
                let deadline = MonotonicTime.now() + .milliseconds(Int.random(in: 0...200, using: &generator))
                ids.append(loop.schedule(at: deadline) {
                    let now = MonotonicTime.now()
                    if now < deadline { state.value.early += 1 }
                    if deadline < state.value.lastDeadline { state.value.outOfOrder += 1 }
                    state.value.lastDeadline = deadline
                    state.value.fired += 1
                })
            }
            // Cancel every tenth; the rest must all fire.
            var count = 0
            for (i, id) in ids.enumerated() where i % 10 == 0 { if loop.cancel(id) { count += 1 } }
            loop.schedule(after: .milliseconds(250)) { done.complete(state.value.fired) }
            return count
        }
        #expect(cancelled == total / 10)
        #expect(await done.wait(timeout: .seconds(10)) == total - cancelled)
        let final = try await loop.submit { state.value }
        #expect(final.outOfOrder == 0)
        #expect(final.early == 0)
        let counters = try await loop.submit { loop.counters }
        #expect(counters.timersFired == UInt64(total - cancelled + 1))
    }

    /// Cancelling most of many timers rebuilds the heap; what is left still fires, in order.
    @Test func massCancellationLeavesTheRestFiringInOrder() async throws {
        let loop = try EventLoop(name: "test-cancel")
        defer { loop.shutdown() }
        let fired = LoopBox<[MonotonicTime]>([])
        let done = Completion<Int>()
        let near = (0..<3000).filter { $0 % 7 == 0 }.count
        try await loop.submit {
            var far: [TimerID] = []
            for i in 0..<3000 {
                if i % 7 == 0 {
                    let deadline = MonotonicTime.now() + .milliseconds(Int.random(in: 1...50))
                    loop.schedule(at: deadline) {
                        fired.value.append(deadline)
                        if fired.value.count == near { done.complete(near) }
                    }
                } else {
                    far.append(loop.schedule(after: .seconds(3600)) { Issue.record("a cancelled timer fired") })
                }
            }
            for id in far { #expect(loop.cancel(id)) }   // passes the rebuild threshold halfway
            #expect(loop.pendingTimerCount == near)
        }
        #expect(await done.wait() == near)
        let deadlines = try await loop.submit { fired.value }
        #expect(deadlines == deadlines.sorted())
        #expect(try await loop.submit { loop.pendingTimerCount } == 0)
    }

    /// A flooded socket gets one batch per turn (budget 1 here), so a quiet socket registered
    /// with it is served long before the flood is drained.
    @Test func aBusySocketCannotStarveAnother() async throws {
        let loop = try EventLoop(name: "test-fair", receiveCapacity: 32, receiveBatchesPerTurn: 1)
        defer { loop.shutdown() }
        let busy = try UDPSocket.loopback4(.init(receiveBufferSize: 8 << 20))
        let quiet = try UDPSocket.loopback4()
        let client = try UDPSocket.loopback4()
        let send = SendBatch(socket: client)
        let flood = 2000
        for i in 0..<flood { send.enqueue(payload(sender: 1, sequence: UInt16(i), length: 64), to: busy.localAddress) }
        send.enqueue([7], to: quiet.localAddress)
        send.flush()
        waitReadable(quiet)
        let busyDone = Completion<Int>()
        let quietSeenAt = Completion<Int>()
        try await loop.submit {
            let busyReceiver = CountingReceiver(target: flood, done: busyDone)
            let quietReceiver = FirstArrivalReceiver { quietSeenAt.complete(busyReceiver.count) }
            try loop.register(busy, receiver: busyReceiver)
            try loop.register(quiet, receiver: quietReceiver)
        }
        let busyCountWhenQuietServed = try #require(await quietSeenAt.wait())
        #expect(busyCountWhenQuietServed <= 64)
        #expect(await busyDone.wait() == flood)
        let counters = try await loop.submit { loop.counters }
        #expect(counters.receiveBudgetExhausted > 0)
    }

    final class FirstArrivalReceiver: DatagramReceiver {
        let action: () -> Void
        init(_ action: @escaping () -> Void) { self.action = action }
        func receive(_ batch: ReceiveBatch, count: Int) { action() }
    }

    @Test func aTimerReschedulingItselfAtZeroDelayDoesNotStallTheLoop() async throws {
        let loop = try EventLoop(name: "test-resched")
        defer { loop.shutdown() }
        let count = LoopBox(0)
        let done = Completion<Int>()
        try await loop.submit {
            func tick() {
                count.value += 1
                if count.value == 100 { done.complete(count.value) } else { loop.schedule(after: .zero, tick) }
            }
            loop.schedule(after: .zero, tick)
        }
        // Commands keep running between the ticks.
        let alive = try await loop.submit { true }
        #expect(alive)
        #expect(await done.wait() == 100)
    }

    /// A receiver that checks every datagram, flips its first byte in place and echoes it back
    /// through a SendBatch flushed once per turn.
    final class EchoReceiver: DatagramReceiver {
        let send: SendBatch
        var batches = 0
        var datagrams = 0
        init(send: SendBatch) { self.send = send }
        func receive(_ batch: ReceiveBatch, count: Int) {
            batches += 1
            for i in 0..<count {
                let bytes = batch.bytes(i)
                bytes[0] ^= 0xFF
                _ = send.enqueue(copying: UnsafeRawBufferPointer(bytes), to: batch.source(i))
            }
            datagrams += count
        }
    }

    @Test(arguments: [false, true])
    func registeredReceiverGetsDatagramsAndEchoesThem(ipv6: Bool) async throws {
        let loop = try EventLoop(name: "test-echo")
        defer { loop.shutdown() }
        let server = try ipv6 ? UDPSocket.loopback6(.init(receiveBufferSize: 1 << 21)) : UDPSocket.loopback4(.init(receiveBufferSize: 1 << 21))
        try await loop.submit {
            let echo = EchoReceiver(send: SendBatch(socket: server))
            try loop.register(server, receiver: echo)
            loop.addTurnEndHandler { echo.send.flush() }
        }
        let client = try ipv6 ? UDPSocket.loopback6(.init(receiveBufferSize: 1 << 21)) : UDPSocket.loopback4(.init(receiveBufferSize: 1 << 21))
        let total = 300
        let send = SendBatch(socket: client)
        for i in 0..<total { send.enqueue(payload(sender: 5, sequence: UInt16(i), length: 20 + i % 500), to: server.localAddress) }
        send.flush()
        let echoed = receiveAll(client, batch: ReceiveBatch(), expected: total)
        #expect(echoed.count == total)
        for (i, (bytes, source)) in echoed.enumerated() {
            var expected = payload(sender: 5, sequence: UInt16(i), length: 20 + i % 500)
            expected[0] ^= 0xFF
            #expect(bytes == expected)
            #expect(source == server.localAddress)
        }
        let (counters, socketCounters) = try await loop.submit { (loop.counters, server.counters) }
        #expect(counters.datagramsDelivered == UInt64(total))
        #expect(counters.receiveBatches < UInt64(total))   // batched, not one call per datagram
        #expect(socketCounters.datagramsSent == UInt64(total))
        #expect(socketCounters.sendCalls < UInt64(total))
    }

    final class CountingReceiver: DatagramReceiver, @unchecked Sendable {
        var count = 0
        let done: Completion<Int>
        let target: Int
        init(target: Int, done: Completion<Int>) { self.target = target; self.done = done }
        func receive(_ batch: ReceiveBatch, count: Int) {
            self.count += count
            if self.count >= target { done.complete(self.count) }
        }
    }

    @Test func unregisterStopsDelivery() async throws {
        let loop = try EventLoop(name: "test-unreg")
        defer { loop.shutdown() }
        let socket = try UDPSocket.loopback4()
        let done = Completion<Int>()
        let receiver = LoopBox<CountingReceiver?>(nil)
        try await loop.submit {
            receiver.value = CountingReceiver(target: 1, done: done)
            try loop.register(socket, receiver: receiver.value!)
            #expect(throws: NetError.self) { try loop.register(socket, receiver: receiver.value!) }
        }
        let client = try UDPSocket.loopback4()
        [UInt8(1)].withUnsafeBytes { _ = client.send($0, to: socket.localAddress) }
        #expect(await done.wait() == 1)
        let removed = try await loop.submit { (loop.unregister(socket), loop.unregister(socket)) }
        #expect(removed == (true, false))
        [UInt8(2)].withUnsafeBytes { _ = client.send($0, to: socket.localAddress) }
        #expect(waitReadable(socket))   // still queued: nobody reads it any more
        let count = try await loop.submit { receiver.value!.count }
        #expect(count == 1)
    }

    @Test func turnEndHandlersRunEveryTurnUntilRemoved() async throws {
        let loop = try EventLoop(name: "test-turnend")
        defer { loop.shutdown() }
        let calls = LoopBox(0)
        let id = try await loop.submit { loop.addTurnEndHandler { calls.value += 1 } }
        for _ in 0..<5 { _ = try await loop.submit { 0 } }
        let (before, turns) = try await loop.submit { (calls.value, loop.counters.turns) }
        #expect(before >= 5)
        #expect(UInt64(before) <= turns)
        try await loop.submit { loop.removeTurnEndHandler(id) }
        let frozen = try await loop.submit { calls.value }
        for _ in 0..<5 { _ = try await loop.submit { 0 } }
        #expect(try await loop.submit { calls.value } == frozen)
    }

    @Test func shutdownIsCleanAndIdempotent() async throws {
        let loop = try EventLoop(name: "test-shutdown")
        weak var weakSocket: UDPSocket?
        weak var weakReceiver: CountingReceiver?
        let ran = Atomic<Int>(0)
        do {
            let socket = try UDPSocket.loopback4()
            weakSocket = socket
            let done = Completion<Int>()
            let receiver = try await loop.submit { () -> CountingReceiver in
                let r = CountingReceiver(target: 1, done: done)
                try loop.register(socket, receiver: r)
                loop.schedule(after: .seconds(60)) { _ = socket }   // pending at shutdown
                loop.addTurnEndHandler { _ = r }
                return r
            }
            weakReceiver = receiver
        }
        // Commands queued before shutdown still run.
        for _ in 0..<100 { loop.execute { ran.add(1, ordering: .relaxed) } }
        loop.shutdown()
        #expect(ran.load(ordering: .relaxed) == 100)
        loop.shutdown()
        #expect(!loop.execute {})
        await #expect(throws: NetError.loopShutDown(loop: "test-shutdown")) { try await loop.submit { 1 } }
        // Registrations, timers and handlers were dropped, releasing what they held.
        #expect(weakSocket == nil)
        #expect(weakReceiver == nil)
    }

    @Test func aLoopCanStopItself() async throws {
        let loop = try EventLoop(name: "test-selfstop")
        let accepted = try await loop.submit { () -> Bool in
            loop.shutdown()   // from the loop thread: only requests the stop
            return true
        }
        #expect(accepted)
        loop.shutdown()       // joins
        #expect(!loop.execute {})
    }

    @Test func dropsDeliverNothingAfterShutdownAndLoopIsReleased() async throws {
        weak var weakLoop: EventLoop?
        do {
            let loop = try EventLoop(name: "test-release")
            weakLoop = loop
            _ = try await loop.submit { 1 }
            loop.shutdown()
        }
        #expect(weakLoop == nil)
    }
}
