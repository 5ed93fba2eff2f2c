import PodiumNet
import PodiumWire

/// The retransmission ring of one producer stream: the last `capacity` received (decrypted) RTP
/// packets, kept so subscribers' NACKs can be answered (RFC 4585 §6.2.1, RFC 4588).
///
///    slot index = seq & (capacity − 1)
///    ┌──────────┬──────────┬──────────┬─────┬──────────┐
///    │ seq 1024 │ seq 1025 │  (lost)  │  …  │ seq 2047 │   capacity × slotSize bytes, allocated once
///    └──────────┴──────────┴──────────┴─────┴──────────┘
///    per slot: sequence number, length, arrival time
///
/// The window is the `capacity` sequence numbers ending at the highest one received. A packet
/// inside it is stored whatever its arrival order (reordering, late packets); a second copy is a
/// counted duplicate; one older than the window is dropped (`tooOld`). Moving the window forward
/// clears the slots it skips, so a slot never answers for a number it does not hold. A jump of a
/// whole window or more forward, or `resetAfterOldPackets` consecutive packets behind the window
/// (a sender that restarted its numbering), resets the ring to the new packet.
///
/// Lookups return views into the ring, valid until the next `store`. Packets older than `maxAge`
/// are not returned: a retransmission that late is useless to the decoder (its jitter buffer has
/// moved on) and a stale slot could otherwise answer for the same number 65536 packets later.
///
/// Sizing (`Configuration.video`/`.audio`): 1024 slots keep ~2 s of a 4 Mbit/s layer (~450 packets/s)
/// and more of lower layers; at 1500 bytes that is 1.5 MiB per video stream. 64 slots keep 1.28 s
/// of 20 ms audio (96 KiB). The ring's pages are touched only as packets arrive.
///
/// Not thread-safe: owned by the worker thread that owns the producer.
public final class PacketBuffer {
    public struct Configuration: Sendable, Equatable {
        /// Slots; a power of two, 2…32768 (at most half the sequence space, so "newer" is unambiguous).
        public var capacity: Int
        /// Largest packet kept; larger ones are dropped and counted.
        public var slotSize: Int
        /// Older packets are not returned.
        public var maxAge: Duration
        /// Consecutive packets behind the window after which the ring restarts at them.
        public var resetAfterOldPackets: Int

        public init(capacity: Int, slotSize: Int = 1500, maxAge: Duration = .seconds(1), resetAfterOldPackets: Int = 8) {
            self.capacity = capacity
            self.slotSize = slotSize
            self.maxAge = maxAge
            self.resetAfterOldPackets = resetAfterOldPackets
        }

        public static let video = Configuration(capacity: 1024)
        public static let audio = Configuration(capacity: 64)
    }

    /// What `store` did with a packet.
    public enum StoreResult: Sendable, Equatable {
        case stored
        /// The window moved past the whole ring (or back, see `resetAfterOldPackets`); it now
        /// holds only this packet.
        case storedAfterReset
        case duplicate
        /// Behind the window.
        case tooOld
        /// Larger than a slot.
        case tooLarge
        /// Shorter than an RTP header or not version 2.
        case malformed
    }

    /// What `lookup` found.
    public enum Lookup: Equatable {
        case found(UnsafeRawBufferPointer)
        /// Never received, or overwritten.
        case missing
        /// Held, but older than `maxAge`.
        case expired

        public static func == (a: Lookup, b: Lookup) -> Bool {
            switch (a, b) {
            case (.found(let x), .found(let y)): x.baseAddress == y.baseAddress && x.count == y.count
            case (.missing, .missing), (.expired, .expired): true
            default: false
            }
        }
    }

    public struct Counters: Sendable, Equatable {
        public var stored = 0
        public var duplicates = 0
        public var tooOld = 0
        public var tooLarge = 0
        public var malformed = 0
        public var resets = 0
        public init() {}
    }

    public let configuration: Configuration
    public private(set) var counters = Counters()
    /// Highest sequence number stored, nil before the first packet.
    public var highestSequenceNumber: UInt16? { started ? highest : nil }

    @usableFromInline struct Slot {
        var arrival: Int64
        var length: UInt16
        var sequenceNumber: UInt16
    }

    private let storage: UnsafeMutableRawBufferPointer
    private let slots: UnsafeMutableBufferPointer<Slot>
    private let mask: Int
    private let maxAgeNanoseconds: Int64
    private var highest: UInt16 = 0
    private var started = false
    private var consecutiveOld = 0

    public init(_ configuration: Configuration) {
        let c = configuration
        precondition(c.capacity >= 2 && c.capacity <= 32768 && c.capacity & (c.capacity - 1) == 0,
                     "PacketBuffer capacity must be a power of two, 2…32768")
        precondition(c.slotSize >= RTPPacket.fixedHeaderSize && c.slotSize <= 65535, "PacketBuffer slotSize must be 12…65535")
        precondition(c.maxAge > .zero, "PacketBuffer maxAge must be positive")
        precondition(c.resetAfterOldPackets >= 1, "PacketBuffer resetAfterOldPackets must be at least 1")
        self.configuration = c
        mask = c.capacity - 1
        maxAgeNanoseconds = c.maxAge.clampedNanoseconds
        storage = .allocate(byteCount: c.capacity * c.slotSize, alignment: 16)
        slots = .allocate(capacity: c.capacity)
        slots.initialize(repeating: Slot(arrival: 0, length: 0, sequenceNumber: 0))
    }

    deinit {
        storage.deallocate()
        slots.deallocate()
    }

    /// Keeps a copy of `packet` (a whole RTP packet; its sequence number is read at bytes 2…3).
    @discardableResult
    public func store(_ packet: UnsafeRawBufferPointer, now: MonotonicTime) -> StoreResult {
        guard packet.count >= RTPPacket.fixedHeaderSize, packet[0] >> 6 == 2 else {
            counters.malformed += 1
            return .malformed
        }
        guard packet.count <= configuration.slotSize else {
            counters.tooLarge += 1
            return .tooLarge
        }
        let seq = packet.loadBigEndianUInt16(at: 2)
        guard started else {
            started = true
            highest = seq
            write(packet, seq: seq, now: now)
            return .stored
        }
        let delta = Int(Int16(bitPattern: seq &- highest))
        if delta > 0 {
            consecutiveOld = 0
            if delta >= configuration.capacity {
                reset(to: seq)
                write(packet, seq: seq, now: now)
                return .storedAfterReset
            }
            // Why: the skipped numbers are lost so far; their slots still hold packets one window older.
            var s = highest &+ 1
            while s != seq {
                slots[Int(s) & mask].length = 0
                s &+= 1
            }
            highest = seq
            write(packet, seq: seq, now: now)
            return .stored
        }
        if -delta >= configuration.capacity {
            consecutiveOld += 1
            if consecutiveOld >= configuration.resetAfterOldPackets {
                reset(to: seq)
                write(packet, seq: seq, now: now)
                return .storedAfterReset
            }
            counters.tooOld += 1
            return .tooOld
        }
        consecutiveOld = 0
        let slot = slots[Int(seq) & mask]
        if slot.length > 0 && slot.sequenceNumber == seq {
            counters.duplicates += 1
            return .duplicate
        }
        write(packet, seq: seq, now: now)
        return .stored
    }

    /// Keeps a copy of a parsed packet (its bytes as received, padding included).
    @discardableResult
    public func store(_ packet: RTPPacket, now: MonotonicTime) -> StoreResult { store(packet.bytes, now: now) }

    /// The packet with `sequenceNumber`, or why there is none.
    public func lookup(_ sequenceNumber: UInt16, now: MonotonicTime) -> Lookup {
        let i = Int(sequenceNumber) & mask
        let slot = slots[i]
        guard slot.length > 0, slot.sequenceNumber == sequenceNumber else { return .missing }
        guard now.nanoseconds &- slot.arrival <= maxAgeNanoseconds else { return .expired }
        let start = i * configuration.slotSize
        return .found(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[start ..< start + Int(slot.length)]))
    }

    /// The packet with `sequenceNumber` if it is held and not older than `maxAge`; valid until the
    /// next `store`.
    public func packet(sequenceNumber: UInt16, now: MonotonicTime) -> UnsafeRawBufferPointer? {
        if case .found(let bytes) = lookup(sequenceNumber, now: now) { return bytes }
        return nil
    }

    /// Forgets every packet (e.g. the producer's SSRC changed).
    public func removeAll() {
        started = false
        consecutiveOld = 0
        clearSlots()
    }

    private func reset(to seq: UInt16) {
        counters.resets += 1
        consecutiveOld = 0
        highest = seq
        clearSlots()
    }

    private func clearSlots() {
        for i in 0 ..< slots.count { slots[i].length = 0 }
    }

    @inline(__always)
    private func write(_ packet: UnsafeRawBufferPointer, seq: UInt16, now: MonotonicTime) {
        let i = Int(seq) & mask
        (storage.baseAddress! + i * configuration.slotSize).copyMemory(from: packet.baseAddress!, byteCount: packet.count)
        slots[i] = Slot(arrival: now.nanoseconds, length: UInt16(packet.count), sequenceNumber: seq)
        counters.stored += 1
    }
}
