import Synchronization

/// Fans a room's events out to every `Room.events` stream. Events are yielded on the room's worker
/// thread, in the order things happen there; each stream buffers at most `bufferLimit` events and
/// drops the oldest beyond that, so a reader that stops reading never holds the worker up.
final class EventHub: Sendable {
    static let bufferLimit = 1000

    private struct State {
        var continuations: [Int: AsyncStream<RoomEvent>.Continuation] = [:]
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())

    /// A new stream of events from now on; it ends after `.roomClosed`.
    func makeStream() -> AsyncStream<RoomEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RoomEvent.self, bufferingPolicy: .bufferingNewest(Self.bufferLimit))
        let id: Int? = state.withLock { s in
            guard !s.finished else { return nil }
            s.nextID += 1
            s.continuations[s.nextID] = continuation
            return s.nextID
        }
        guard let id else {
            continuation.yield(.roomClosed)
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    func emit(_ event: RoomEvent) {
        state.withLock { s in
            for c in s.continuations.values { c.yield(event) }
        }
    }

    /// Sends `.roomClosed` and ends every stream. Idempotent.
    func finish() {
        let continuations = state.withLock { s -> [AsyncStream<RoomEvent>.Continuation] in
            guard !s.finished else { return [] }
            s.finished = true
            defer { s.continuations = [:] }
            return Array(s.continuations.values)
        }
        for c in continuations {
            c.yield(.roomClosed)
            c.finish()
        }
    }

    var subscriberCount: Int { state.withLock { $0.continuations.count } }
}

/// A loop-confined value carried into a command for its own loop. Sound only when the value is
/// touched on that loop, which every use here guarantees (DESIGN.md §3).
struct LoopBound<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Random identifiers: unguessable enough for resource URLs (WHIP/WHEP locations), URL-safe.
enum Identifiers {
    static func random(bytes: Int = 12) -> String {
        var g = SystemRandomNumberGenerator()
        var out = ""
        for _ in 0..<bytes {
            let b = UInt8.random(in: 0...255, using: &g)
            out += String(b >> 4, radix: 16) + String(b & 0xF, radix: 16)
        }
        return out
    }

    static func sdpSessionID() -> UInt64 {
        // Why 62 bits: some SDP parsers read o= session ids as signed 64-bit numbers.
        UInt64.random(in: 1...(1 << 62))
    }
}
