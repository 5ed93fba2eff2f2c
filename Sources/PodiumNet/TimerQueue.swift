/// Identifies a scheduled timer for `EventLoop.cancel`. Stale IDs (fired or cancelled) are
/// harmless: the slot's generation no longer matches.
public struct TimerID: Hashable, Sendable {
    let slot: UInt32
    let generation: UInt32
}

/// A binary min-heap of deadlines with lazy cancellation: cancel frees the callback at once and
/// leaves the heap entry to be skipped when it surfaces, so schedule and cancel are O(log n) and
/// O(1). The heap is rebuilt when stale entries outnumber live ones, so cancelled timers cannot
/// pile up. Ties fire in scheduling order.
struct TimerQueue {
    struct Entry {
        var deadline: Int64
        var sequence: UInt64
        var slot: UInt32
        var generation: UInt32

        @inline(__always)
        static func before(_ a: Entry, _ b: Entry) -> Bool {
            a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence)
        }
    }

    private(set) var heap: [Entry] = []
    private var callbacks: [(() -> Void)?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [UInt32] = []
    /// The sequence number the next scheduled timer gets.
    private(set) var nextSequence: UInt64 = 0
    private(set) var liveCount = 0
    private var staleCount = 0

    mutating func schedule(deadline: Int64, _ callback: @escaping () -> Void) -> TimerID {
        let slot: UInt32
        if let free = freeSlots.popLast() {
            slot = free
            callbacks[Int(slot)] = callback
        } else {
            slot = UInt32(callbacks.count)
            callbacks.append(callback)
            generations.append(0)
        }
        let generation = generations[Int(slot)]
        push(Entry(deadline: deadline, sequence: nextSequence, slot: slot, generation: generation))
        nextSequence &+= 1
        liveCount += 1
        return TimerID(slot: slot, generation: generation)
    }

    /// True if the timer was pending and is now cancelled.
    mutating func cancel(_ id: TimerID) -> Bool {
        let slot = Int(id.slot)
        guard slot < generations.count, generations[slot] == id.generation, callbacks[slot] != nil else { return false }
        release(slot)
        staleCount += 1
        if staleCount > 1024 && staleCount > liveCount { compact() }
        return true
    }

    /// The earliest live deadline, dropping stale entries on top.
    mutating func nextDeadline() -> Int64? {
        while let top = heap.first {
            if isLive(top) { return top.deadline }
            popTop()
            staleCount -= 1
        }
        return nil
    }

    /// Removes and returns the callback of the earliest timer due at `now`, provided it was
    /// scheduled before `sequenceLimit` (timers scheduled by a firing callback wait for the next
    /// pass, so a callback rescheduling itself at "now" cannot spin the loop).
    mutating func popExpired(now: Int64, sequenceLimit: UInt64) -> (() -> Void)? {
        while let top = heap.first, top.deadline <= now {
            guard isLive(top) else {
                popTop()
                staleCount -= 1
                continue
            }
            guard top.sequence < sequenceLimit else { return nil }
            popTop()
            let callback = callbacks[Int(top.slot)]
            release(Int(top.slot))
            return callback
        }
        return nil
    }

    /// Drops every timer (loop shutdown).
    mutating func removeAll() {
        heap.removeAll()
        callbacks.removeAll()
        generations.removeAll()
        freeSlots.removeAll()
        liveCount = 0
        staleCount = 0
    }

    // MARK: Heap

    private func isLive(_ entry: Entry) -> Bool {
        generations[Int(entry.slot)] == entry.generation && callbacks[Int(entry.slot)] != nil
    }

    private mutating func release(_ slot: Int) {
        callbacks[slot] = nil
        generations[slot] &+= 1
        freeSlots.append(UInt32(slot))
        liveCount -= 1
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        siftUp(heap.count - 1)
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        let entry = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard Entry.before(entry, heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = entry
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let entry = heap[parent]
        let count = heap.count
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count && Entry.before(heap[child + 1], heap[child]) { child += 1 }
            guard Entry.before(heap[child], entry) else { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = entry
    }

    private mutating func compact() {
        let generations = self.generations
        let callbacks = self.callbacks
        heap.removeAll { generations[Int($0.slot)] != $0.generation || callbacks[Int($0.slot)] == nil }
        staleCount = 0
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }
}
