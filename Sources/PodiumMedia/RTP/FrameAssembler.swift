import PodiumWire

/// Limits of a `FrameAssembler`; together they bound its memory at
/// `packetCapacity × maxPacketPayload + maxFrameSize` bytes, whatever arrives.
public struct FrameAssemblerLimits: Sendable, Equatable {
    /// Packets held at once (a power of two). Also the furthest a packet may lie ahead of the
    /// oldest undelivered one; beyond that, the oldest frames are given up as lost.
    public var packetCapacity: Int = 1024
    /// Largest codec payload (after the payload descriptor) one packet may carry.
    public var maxPacketPayload: Int = 1500
    /// Largest assembled frame; a larger one is discarded (`.frameTooLarge`).
    public var maxFrameSize: Int = 1 << 20
    /// Frames started but not yet delivered; beyond that, the oldest missing packet is given up.
    public var maxPendingFrames: Int = 64
    /// How far (in sequence numbers) packets may arrive out of order: a missing packet is given up
    /// once a packet this much newer has arrived.
    public var reorderWindow: Int = 64

    public init(packetCapacity: Int = 1024, maxPacketPayload: Int = 1500, maxFrameSize: Int = 1 << 20,
                maxPendingFrames: Int = 64, reorderWindow: Int = 64) {
        self.packetCapacity = packetCapacity
        self.maxPacketPayload = maxPacketPayload
        self.maxFrameSize = maxFrameSize
        self.maxPendingFrames = maxPendingFrames
        self.reorderWindow = reorderWindow
    }
}

/// What `FrameAssembler.insert` did with a packet.
public enum FrameAssemblerInsertResult: Sendable, Equatable {
    case stored
    /// The same sequence number is already held.
    case duplicate
    /// Older than what was already delivered or given up.
    case late
}

/// A frame assembled from its packets. `data` points into the assembler's own buffer and is valid
/// until the next call on the assembler.
public struct AssembledFrame {
    public let data: UnsafeRawBufferPointer
    public let timestamp: UInt32
    public let isKeyframe: Bool
    public let firstSequenceNumber: UInt16
    public let packetCount: Int
}

/// Packets given up as lost: the frames they belonged to were dropped. The caller should ask the
/// sender for a keyframe (PLI), since later frames may reference the dropped ones.
public struct FrameAssemblerGap: Sendable, Equatable, CustomStringConvertible {
    /// First sequence number found missing.
    public let firstMissing: UInt16
    /// The dropped range is `firstDropped ..< endSequenceNumber` (modulo 2^16): every packet of the
    /// dropped frame(s), missing or held.
    public let firstDropped: UInt16
    public let endSequenceNumber: UInt16
    /// Sequence numbers in the range that never arrived.
    public let missingPackets: Int
    /// Packets in the range that had arrived and were thrown away.
    public let droppedPackets: Int

    public var description: String {
        "gap: missing \(missingPackets) from seq \(firstMissing), dropped \(firstDropped)..<\(endSequenceNumber) (\(droppedPackets) held packets)"
    }
}

/// Why a frame was thrown away although no packet was missing.
public enum FrameDiscardReason: Sendable, Equatable {
    /// The assembled frame exceeds `maxFrameSize`.
    case frameTooLarge
    /// The next frame (new timestamp or a start packet) began before a packet with the marker.
    case missingMarker
    /// Packets whose frame start was never seen (e.g. the first packets received mid-frame).
    case missingFrameStart
}

public enum FrameAssemblerEvent {
    case frame(AssembledFrame)
    case gap(FrameAssemblerGap)
    case discarded(FrameDiscardReason, timestamp: UInt32, packets: Int)
}

/// Counters since creation.
public struct FrameAssemblerStatistics: Sendable, Equatable {
    public var packetsStored = 0
    public var duplicates = 0
    public var latePackets = 0
    public var framesDelivered = 0
    public var keyframesDelivered = 0
    public var gaps = 0
    public var framesDiscarded = 0
    public var paddingPackets = 0
}

/// Assembles frames from RTP packets of one stream: a frame is the contiguous run of sequence
/// numbers from a frame-start packet to a marker packet, all with the same timestamp.
///
/// Packets are copied into a fixed ring of slots indexed by `sequence & (capacity − 1)` (unwrapped
/// to 64 bits, so the 65535 → 0 wrap is nothing special). Frames are delivered in sequence order
/// through `poll()`, one event at a time. A missing packet holds delivery back until it arrives,
/// or until it is given up: when a packet `reorderWindow` newer has arrived, when more than
/// `maxPendingFrames` frames wait, when a packet arrives too far ahead for the ring, or on
/// `finish()`. Giving up drops every frame the missing packets touch and reports one `.gap`.
///
/// Why in-order delivery: a VP8 decoder must see frames in order; and a frame after a loss is
/// delivered (it may decode, e.g. a TID>0 frame or a keyframe), the caller decides what to do
/// from the `.gap` event.
///
/// Memory is allocated once in `init`; `insert` and `poll` allocate nothing. Not thread-safe.
public final class FrameAssembler {
    public let limits: FrameAssemblerLimits
    public private(set) var statistics = FrameAssemblerStatistics()

    private struct Slot {
        /// Unwrapped sequence number held, or `empty`.
        var sequence: Int64 = FrameAssembler.empty
        var timestamp: UInt32 = 0
        var length: UInt32 = 0
        var flags: UInt8 = 0
    }
    /// Why not −1: unwrapped sequence numbers can be negative (a packet older than the first one).
    fileprivate static let empty = Int64.min
    private static let startFlag: UInt8 = 1, markerFlag: UInt8 = 2, keyframeFlag: UInt8 = 4, paddingFlag: UInt8 = 8

    private let slots: UnsafeMutablePointer<Slot>
    private let payloads: UnsafeMutableRawBufferPointer
    private let frameBuffer: UnsafeMutableRawBufferPointer
    private let mask: Int64
    private var unwrapper = SequenceNumberUnwrapper()
    /// Oldest sequence number not yet delivered or given up; nil before the first packet.
    private var head: Int64?
    private var highest: Int64 = 0
    /// Something was delivered, dropped or discarded: the head no longer moves back.
    private var decided = false
    private var pendingStarts = 0
    private var finishing = false
    /// A gap found while making room in `insert`, reported by the next `poll`.
    private var pendingGap: FrameAssemblerGap?

    public init(limits: FrameAssemblerLimits = .init()) {
        precondition(limits.packetCapacity >= 2 && limits.packetCapacity & (limits.packetCapacity - 1) == 0 && limits.packetCapacity <= 32768,
                     "packetCapacity must be a power of two, 2…32768")
        precondition(limits.maxPacketPayload > 0 && limits.maxFrameSize > 0 && limits.reorderWindow > 0 && limits.maxPendingFrames > 0,
                     "limits must be positive")
        self.limits = limits
        slots = .allocate(capacity: limits.packetCapacity)
        slots.initialize(repeating: Slot(), count: limits.packetCapacity)
        payloads = .allocate(byteCount: limits.packetCapacity * limits.maxPacketPayload, alignment: 16)
        frameBuffer = .allocate(byteCount: limits.maxFrameSize, alignment: 16)
        mask = Int64(limits.packetCapacity - 1)
    }

    deinit {
        slots.deinitialize(count: limits.packetCapacity)
        slots.deallocate()
        payloads.deallocate()
        frameBuffer.deallocate()
    }

    /// Frames held but not yet delivered.
    public var pendingFrames: Int { pendingStarts }

    /// Holds one packet's codec payload (the bytes after the payload descriptor).
    ///
    /// - Parameters:
    ///   - isFrameStart: the packet begins a frame (VP8: S=1, PID=0).
    ///   - isKeyframe: meaningful on the start packet.
    ///   - payload: at most `maxPacketPayload` bytes; empty only for padding.
    public func insert(sequenceNumber: UInt16, timestamp: UInt32, marker: Bool, isFrameStart: Bool, isKeyframe: Bool,
                       payload: UnsafeRawBufferPointer) -> FrameAssemblerInsertResult {
        precondition(payload.count <= limits.maxPacketPayload, "payload longer than maxPacketPayload: the depacketizer checks this")
        let flags = (isFrameStart ? Self.startFlag : 0) | (marker ? Self.markerFlag : 0) | (isKeyframe ? Self.keyframeFlag : 0)
        return store(sequenceNumber, timestamp: timestamp, flags: flags, payload: payload)
    }

    /// Accounts for a padding-only packet (RFC 3550 §5.1, sent for bandwidth probing): it uses a
    /// sequence number, so it must fill its place, but belongs to no frame.
    public func insertPadding(sequenceNumber: UInt16, timestamp: UInt32) -> FrameAssemblerInsertResult {
        statistics.paddingPackets += 1
        return store(sequenceNumber, timestamp: timestamp, flags: Self.paddingFlag, payload: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// The stream ended: give up every missing packet, so `poll` delivers or drops what is held.
    public func finish() { finishing = true }

    private func store(_ sequenceNumber: UInt16, timestamp: UInt32, flags: UInt8, payload: UnsafeRawBufferPointer) -> FrameAssemblerInsertResult {
        let s = unwrapper.unwrap(sequenceNumber)
        let capacity = Int64(limits.packetCapacity)
        guard let h = head else {
            head = s
            highest = s
            return place(s, timestamp: timestamp, flags: flags, payload: payload)
        }
        if s < h {
            // Why: until something is delivered or dropped, a reordered older packet may still be the stream's start.
            if !decided && highest - s < capacity {
                head = s
                return place(s, timestamp: timestamp, flags: flags, payload: payload)
            }
            statistics.latePackets += 1
            return .late
        }
        if slots[Int(s & mask)].sequence == s {
            statistics.duplicates += 1
            return .duplicate
        }
        if s - h >= capacity { makeRoom(before: s - capacity + 1) }
        return place(s, timestamp: timestamp, flags: flags, payload: payload)
    }

    private func place(_ s: Int64, timestamp: UInt32, flags: UInt8, payload: UnsafeRawBufferPointer) -> FrameAssemblerInsertResult {
        let i = Int(s & mask)
        slots[i] = Slot(sequence: s, timestamp: timestamp, length: UInt32(payload.count), flags: flags)
        if payload.count > 0 {
            (payloads.baseAddress! + i * limits.maxPacketPayload).copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        }
        if flags & Self.startFlag != 0 { pendingStarts += 1 }
        if s > highest { highest = s }
        statistics.packetsStored += 1
        return .stored
    }

    /// Gives up everything before `newHead` (a packet arrived too far ahead), then any frame tail
    /// left without its start; merges it into `pendingGap`.
    private func makeRoom(before newHead: Int64) {
        guard let h = head else { return }
        var end = newHead
        // Why: packets right after the cut that continue a cut frame cannot be assembled either.
        while end <= highest, slots[Int(end & mask)].sequence == end, slots[Int(end & mask)].flags & Self.startFlag == 0 { end += 1 }
        let (held, firstMissing) = clear(from: h, to: end)
        head = end
        if highest < end { highest = end - 1 }
        let missing = Int(min(end - h, Int64(Int.max / 2))) - held
        let gap = FrameAssemblerGap(firstMissing: UInt16(truncatingIfNeeded: firstMissing ?? h),
                                    firstDropped: UInt16(truncatingIfNeeded: h),
                                    endSequenceNumber: UInt16(truncatingIfNeeded: end), missingPackets: max(missing, 0), droppedPackets: held)
        if let p = pendingGap {
            pendingGap = FrameAssemblerGap(firstMissing: p.firstMissing, firstDropped: p.firstDropped, endSequenceNumber: gap.endSequenceNumber,
                                           missingPackets: p.missingPackets + gap.missingPackets, droppedPackets: p.droppedPackets + gap.droppedPackets)
        } else {
            pendingGap = gap
            statistics.gaps += 1
        }
    }

    /// Empties the slots `from ..< to` (only those inside the held range are visited, so a huge jump
    /// costs at most one pass over the ring). Returns how many held packets were dropped and the
    /// first missing sequence number.
    private func clear(from start: Int64, to end: Int64) -> (held: Int, firstMissing: Int64?) {
        decided = true
        var held = 0
        var firstMissing: Int64?
        var s = start
        let stop = min(end, highest + 1)
        while s < stop {
            let i = Int(s & mask)
            if slots[i].sequence == s {
                if slots[i].flags & Self.startFlag != 0 { pendingStarts -= 1 }
                slots[i].sequence = FrameAssembler.empty
                held += 1
            } else if firstMissing == nil {
                firstMissing = s
            }
            s += 1
        }
        if firstMissing == nil && stop < end { firstMissing = stop }
        return (held, firstMissing)
    }

    @inline(__always)
    private func isGivenUp(_ s: Int64) -> Bool {
        finishing || highest - s >= Int64(limits.reorderWindow) || pendingStarts > limits.maxPendingFrames
    }

    /// The next event, or nil when nothing more can be decided until more packets arrive.
    public func poll() -> FrameAssemblerEvent? {
        if let g = pendingGap {
            pendingGap = nil
            return .gap(g)
        }
        while let h = head, h <= highest {
            let first = slots[Int(h & mask)]
            if first.sequence != h {
                guard isGivenUp(h) else { return nil }
                return .gap(dropLost(from: h, missing: h))
            }
            if first.flags & Self.paddingFlag != 0 {
                slots[Int(h & mask)].sequence = FrameAssembler.empty
                head = h + 1
                continue
            }
            if first.flags & Self.startFlag == 0 {
                // Packets of a frame whose start was never held: drop up to the next start or hole.
                // Why wait at the stream's start: the first packets may arrive out of order, and the
                // frame start, older than the first packet seen, may still come (`store` moves the head back).
                if !decided && !isGivenUp(h) { return nil }
                var j = h
                while j <= highest, slots[Int(j & mask)].sequence == j, slots[Int(j & mask)].flags & (Self.startFlag | Self.paddingFlag) == 0 { j += 1 }
                let (held, _) = clear(from: h, to: j)
                head = j
                statistics.framesDiscarded += 1
                return .discarded(.missingFrameStart, timestamp: first.timestamp, packets: held)
            }
            // A frame starts at h: find its marker.
            var j = h
            var size = 0
            while true {
                let slot = slots[Int(j & mask)]
                if slot.sequence != j {
                    guard isGivenUp(j) else { return nil }
                    return .gap(dropLost(from: h, missing: j))
                }
                if j > h && (slot.timestamp != first.timestamp || slot.flags & (Self.startFlag | Self.paddingFlag) != 0) {
                    let (held, _) = clear(from: h, to: j)
                    head = j
                    statistics.framesDiscarded += 1
                    return .discarded(.missingMarker, timestamp: first.timestamp, packets: held)
                }
                size += Int(slot.length)
                if slot.flags & Self.markerFlag != 0 { break }
                j += 1
            }
            if size > limits.maxFrameSize {
                let (held, _) = clear(from: h, to: j + 1)
                head = j + 1
                statistics.framesDiscarded += 1
                return .discarded(.frameTooLarge, timestamp: first.timestamp, packets: held)
            }
            var o = 0
            var s = h
            while s <= j {
                let i = Int(s & mask)
                let n = Int(slots[i].length)
                if n > 0 { (frameBuffer.baseAddress! + o).copyMemory(from: payloads.baseAddress! + i * limits.maxPacketPayload, byteCount: n) }
                o += n
                slots[i].sequence = FrameAssembler.empty
                s += 1
            }
            pendingStarts -= 1
            head = j + 1
            decided = true
            let isKeyframe = first.flags & Self.keyframeFlag != 0
            statistics.framesDelivered += 1
            if isKeyframe { statistics.keyframesDelivered += 1 }
            return .frame(AssembledFrame(data: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(frameBuffer)[0 ..< o]),
                                         timestamp: first.timestamp, isKeyframe: isKeyframe,
                                         firstSequenceNumber: UInt16(truncatingIfNeeded: h), packetCount: Int(j - h + 1)))
        }
        return nil
    }

    /// Drops the frame at `head` whose packet `missing` is given up, and every packet up to the next
    /// held frame start after it (they belong to the lost frame or to frames whose start was lost).
    private func dropLost(from h: Int64, missing: Int64) -> FrameAssemblerGap {
        var end = missing + 1
        while end <= highest {
            let slot = slots[Int(end & mask)]
            if slot.sequence == end && slot.flags & (Self.startFlag | Self.paddingFlag) != 0 { break }
            end += 1
        }
        let (held, firstMissing) = clear(from: h, to: end)
        let missingCount = Int(end - h) - held
        head = end
        statistics.gaps += 1
        return FrameAssemblerGap(firstMissing: UInt16(truncatingIfNeeded: firstMissing ?? missing), firstDropped: UInt16(truncatingIfNeeded: h),
                                 endSequenceNumber: UInt16(truncatingIfNeeded: end), missingPackets: missingCount, droppedPackets: held)
    }
}
