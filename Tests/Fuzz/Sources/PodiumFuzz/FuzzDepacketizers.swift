import Podium
import PodiumMedia

// Fuzz targets for the VP8 and Opus depacketizers (PodiumMedia/RTP): hostile packet streams must
// give typed errors or counted drops, never a trap, and the frame assembler stays inside its limits.
//
// Input: byte 0 picks the mode.
//   even: raw packets — then repeated [length (1 byte, +1)] [that many bytes], each fed as one packet.
//   odd:  a script over a valid stream — a synthetic packetized stream is reordered, dropped,
//         duplicated and corrupted by 2-byte commands; with no corruption, every delivered frame
//         must be byte-identical to the frame sent with its timestamp.

private let vp8Limits = FrameAssemblerLimits(packetCapacity: 64, maxPacketPayload: 1500, maxFrameSize: 8192, maxPendingFrames: 8, reorderWindow: 16)

private func withPacket(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> Void) {
    // Exactly sized, so AddressSanitizer sees any read past the end.
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
    defer { copy.deallocate() }
    copy.copyBytes(from: bytes)
    body(UnsafeRawBufferPointer(rebasing: copy[0..<bytes.count]))
}

/// Splits `data` after its first byte into length-prefixed packets.
private func rawPackets(_ data: UnsafeRawBufferPointer) -> [[UInt8]] {
    var packets: [[UInt8]] = []
    var i = 1
    while i < data.count {
        let n = Int(data[i]) + 1
        let end = min(data.count, i + 1 + n)
        packets.append(Array(data[(i + 1)..<end]))
        i = end
    }
    return packets
}

/// Applies the 2-byte commands in `data` (after byte 0) to `stream`. Returns the new order and
/// whether any packet's bytes were changed.
private func script(_ data: UnsafeRawBufferPointer, over stream: [[UInt8]]) -> ([[UInt8]], Bool) {
    var out = stream
    var corrupted = false
    var i = 1
    while i + 1 < data.count, !out.isEmpty {
        let op = data[i], arg = Int(data[i + 1])
        let k = arg % out.count
        switch op % 5 {
        case 0: out.remove(at: k)                                            // loss
        case 1: out.insert(out[k], at: min(out.count, k + Int(op >> 3) % 4)) // duplicate nearby
        case 2: out.swapAt(k, min(out.count - 1, k + 1 + Int(op >> 3) % 8))  // reorder
        case 3:                                                              // corrupt one byte
            if !out[k].isEmpty { out[k][Int(op >> 3) % out[k].count] ^= UInt8(truncatingIfNeeded: arg) | 1; corrupted = true }
        default: break                                                       // nothing
        }
        i += 2
    }
    return (out, corrupted)
}

@Sendable func fuzzVP8Depacketizer(_ data: UnsafeRawBufferPointer) {
    guard data.count >= 1 else { return }
    let depacketizer = VP8Depacketizer(limits: vp8Limits)
    var expected: [UInt32: [UInt8]] = [:]
    var packets: [[UInt8]]
    var checkBytes = false
    if data[0] & 1 == 0 {
        packets = rawPackets(data)
    } else {
        // A stream of 12 frames of 10…2000 bytes in 300-byte packets, crossing the 16-bit wrap.
        guard let packetizer = try? VP8Packetizer(.init(ssrc: 5, maxPacketSize: 300, initialSequenceNumber: 65_530)) else { fuzzFailure("packetizer") }
        let sink = InMemoryRTPPacketSink()
        var size = 10 + Int(data[0]) * 7
        for f in 0..<12 {
            var frame = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ f) }
            frame[0] = f == 0 ? 0x10 : 0x11
            if f == 0 { frame[3] = 0x9D; frame[4] = 0x01; frame[5] = 0x2A }
            let ts = UInt32(f) * 3000
            expected[ts] = frame
            _ = frame.withUnsafeBytes { try? packetizer.packetize($0, timestamp: ts, temporalLayer: UInt8(f % 3), now: 0, to: sink) }
            size = (size * 5 + 13) % 2000 + 10
        }
        let (scripted, corrupted) = script(data, over: sink.packets)
        packets = scripted
        checkBytes = !corrupted
    }
    for p in packets {
        withPacket(p) { _ = try? depacketizer.insert($0) }
        drain(depacketizer, expected: checkBytes ? expected : nil)
    }
    depacketizer.finish()
    drain(depacketizer, expected: checkBytes ? expected : nil)
    if depacketizer.assembler.pendingFrames != 0 { fuzzFailure("frames pending after finish") }
}

private func drain(_ d: VP8Depacketizer, expected: [UInt32: [UInt8]]?) {
    var events = 0
    while let event = d.poll() {
        events += 1
        if events > 10_000 { fuzzFailure("assembler keeps producing events") }
        switch event {
        case .frame(let f):
            if f.data.count > vp8Limits.maxFrameSize { fuzzFailure("frame larger than maxFrameSize") }
            if f.packetCount < 1 || f.packetCount > vp8Limits.packetCapacity { fuzzFailure("frame packet count \(f.packetCount)") }
            if let expected {
                guard let sent = expected[f.timestamp] else { fuzzFailure("frame with a timestamp never sent: \(f.timestamp)") }
                if !sent.elementsEqual(f.data) { fuzzFailure("frame at \(f.timestamp) differs from the one sent") }
            }
        case .gap(let g):
            if g.droppedPackets < 0 || g.missingPackets < 0 { fuzzFailure("negative gap counts: \(g)") }
        case .discarded(_, _, let n):
            if n < 0 || n > vp8Limits.packetCapacity { fuzzFailure("discarded packet count \(n)") }
        }
        if d.assembler.pendingFrames < 0 || d.assembler.pendingFrames > vp8Limits.packetCapacity { fuzzFailure("pending frames \(d.assembler.pendingFrames)") }
    }
}

@Sendable func fuzzOpusDepacketizer(_ data: UnsafeRawBufferPointer) {
    guard data.count >= 1 else { return }
    let depacketizer = OpusDepacketizer(audioLevelID: 1)
    var packets: [[UInt8]]
    var sent: [UInt32: [UInt8]] = [:]
    var checkBytes = false
    if data[0] & 1 == 0 {
        packets = rawPackets(data)
    } else {
        guard let packetizer = try? OpusPacketizer(.init(ssrc: 9, initialSequenceNumber: 65_534, extensionIDs: .init(audioLevel: 1))) else { fuzzFailure("packetizer") }
        let sink = InMemoryRTPPacketSink()
        for f in 0..<20 {
            let n = f % 7 == 3 ? 0 : 20 + (f * 37 + Int(data[0])) % 200
            let opus = [UInt8(0x48)] + (0..<n).map { UInt8(truncatingIfNeeded: $0 ^ f) }
            let frame = EncodedAudioFrame(data: opus, rtpTimestamp: UInt32(f) * 960, audioLevel: UInt8(f), voiceActivity: f & 1 == 0)
            if n > 0 { sent[frame.rtpTimestamp] = opus }
            _ = try? packetizer.packetize(frame, now: 0, to: sink)
        }
        let (scripted, corrupted) = script(data, over: sink.packets)
        packets = scripted
        checkBytes = !corrupted
    }
    var lost = 0
    for p in packets {
        withPacket(p) { bytes in
            guard let result = try? depacketizer.depacketize(bytes) else { return }
            if result.payload.count > bytes.count { fuzzFailure("Opus payload outside the packet") }
            if result.lostBefore < 0 || result.lostBefore > OpusDepacketizer.maxReportedLoss { fuzzFailure("lostBefore \(result.lostBefore)") }
            lost += result.lostBefore
            if result.durationSamples <= 0 || result.durationSamples > 5760 { fuzzFailure("Opus duration \(result.durationSamples)") }
            if checkBytes {
                guard let original = sent[result.timestamp] else { fuzzFailure("Opus packet with a timestamp never sent") }
                if !original.elementsEqual(result.payload) { fuzzFailure("Opus payload differs from the one sent") }
            }
        }
    }
    if depacketizer.packetsLost != lost { fuzzFailure("packetsLost \(depacketizer.packetsLost) != sum of lostBefore \(lost)") }
}
