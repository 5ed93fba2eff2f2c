import PodiumMedia
import PodiumWire

/// Deterministic pseudo-random bytes so failures reproduce.
typealias RTPTestRandom = SplitMix64

/// A synthetic VP8 frame of `size` bytes whose first bytes are a valid frame tag (RFC 6386 §9.1),
/// with the key frame start code and dimensions when `keyframe`; the rest is pseudo-random.
func syntheticVP8Frame(size: Int, keyframe: Bool, seed: UInt64) -> [UInt8] {
    precondition(size >= (keyframe ? 10 : 3))
    var r = RTPTestRandom(seed: seed)
    var bytes = (0 ..< size).map { _ in r.byte() }
    let partition = UInt32(min(size, 0x7FFFF))
    bytes[0] = UInt8(truncatingIfNeeded: partition << 5) | 0x10 | (keyframe ? 0 : 1)
    bytes[1] = UInt8(truncatingIfNeeded: partition >> 3)
    bytes[2] = UInt8(truncatingIfNeeded: partition >> 11)
    if keyframe {
        bytes[3] = 0x9D; bytes[4] = 0x01; bytes[5] = 0x2A
        bytes[6] = 0x40; bytes[7] = 0x01; bytes[8] = 0xB4; bytes[9] = 0x00  // 320x180
    }
    return bytes
}

/// Packetizes `frame` and returns the packets.
func rtpTestPacketize(_ packetizer: VP8Packetizer, _ frame: [UInt8], timestamp: UInt32, tid: UInt8 = 0, y: Bool = false, now: UInt64 = 0) throws -> [[UInt8]] {
    let sink = InMemoryRTPPacketSink()
    try frame.withUnsafeBytes { bytes in
        _ = try packetizer.packetize(bytes, timestamp: timestamp, temporalLayer: tid, layerSync: y, now: now, to: sink)
    }
    return sink.packets
}

/// One event from an assembler, copied out of its buffer.
enum RTPTestEvent: Equatable {
    case frame(data: [UInt8], timestamp: UInt32, keyframe: Bool, firstSeq: UInt16, packets: Int)
    case gap(FrameAssemblerGap)
    case discarded(FrameDiscardReason, timestamp: UInt32, packets: Int)

    var frameData: [UInt8]? { if case .frame(let d, _, _, _, _) = self { d } else { nil } }
    var timestamp: UInt32? {
        switch self {
        case .frame(_, let ts, _, _, _), .discarded(_, let ts, _): ts
        case .gap: nil
        }
    }
    var isGap: Bool { if case .gap = self { true } else { false } }
}

func rtpTestDrain(_ depacketizer: VP8Depacketizer) -> [RTPTestEvent] {
    var events: [RTPTestEvent] = []
    while let e = depacketizer.poll() {
        switch e {
        case .frame(let f): events.append(.frame(data: Array(f.data), timestamp: f.timestamp, keyframe: f.isKeyframe, firstSeq: f.firstSequenceNumber, packets: f.packetCount))
        case .gap(let g): events.append(.gap(g))
        case .discarded(let reason, let ts, let n): events.append(.discarded(reason, timestamp: ts, packets: n))
        }
    }
    return events
}

/// Inserts each packet (as an exactly-sized buffer) and polls after each.
func rtpTestFeed(_ depacketizer: VP8Depacketizer, _ packets: [[UInt8]], finish: Bool = true) throws -> [RTPTestEvent] {
    var events: [RTPTestEvent] = []
    for p in packets {
        try p.withUnsafeBytes { _ = try depacketizer.insert($0) }
        events += rtpTestDrain(depacketizer)
    }
    if finish {
        depacketizer.finish()
        events += rtpTestDrain(depacketizer)
    }
    return events
}

extension Array where Element == UInt8 {
    /// Parses as RTP and runs `body` on the view.
    func withRTP<R>(_ body: (RTPPacket) throws -> R) throws -> R {
        try withUnsafeBytes { try body(try RTPPacket(parsing: $0)) }
    }
}
