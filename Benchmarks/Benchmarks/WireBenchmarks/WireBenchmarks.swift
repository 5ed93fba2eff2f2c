// Packet-path micro-benchmarks. Every benchmark here must allocate nothing per iteration
// (`Benchmarks/check-allocations` fails the test run otherwise); set-up happens outside the loops.
import Benchmark
import Glibc
import Podium

/// `check-allocations` sets PODIUM_BENCH_EXACT_MALLOC: one iteration per sample, so a single
/// allocation anywhere shows up in the counts. Otherwise 1000 iterations per sample, so the
/// per-packet times are not dominated by the harness's own timing overhead.
private let exactMallocCounts = getenv("PODIUM_BENCH_EXACT_MALLOC") != nil

/// A Chromium-like 1200-byte VP8 simulcast packet: one-byte extensions abs-send-time (2),
/// transport-wide seq (3), mid (4), rid (10), then a VP8 descriptor and payload.
private func makeVideoPacket() -> UnsafeMutableRawBufferPointer {
    let header: [UInt8] = [
        0x90, 0x60, 0x12, 0x34,  // V=2 X=1, PT=96, seq 0x1234
        0x00, 0x01, 0xE2, 0x40,  // timestamp
        0x11, 0x22, 0x33, 0x44,  // SSRC
        0xBE, 0xDE, 0x00, 0x03,  // RFC 8285 one-byte form, 3 words
        0x22, 0x12, 0x34, 0x56,  // id 2 len 3: abs-send-time
        0x31, 0x00, 0x07,        // id 3 len 2: transport-wide seq
        0x40, 0x31,              // id 4 len 1: mid "1"
        0xA0, 0x68,              // id 10 len 1: rid "h"
        0x00,                    // padding
        0x90, 0xE0, 0x80, 0x01, 0x2A, 0x60,  // VP8: X S, I L T, picture id 15-bit, TL0PICIDX, TID
        0x31, 0x02, 0x00,                    // VP8 payload header: inter frame (P=1), shown
    ]
    let p = UnsafeMutableRawBufferPointer.allocate(byteCount: 1200, alignment: 16)
    p.initializeMemory(as: UInt8.self, repeating: 0x5A)
    p.copyBytes(from: header)
    return p
}

/// SR with one report block + SDES CNAME: what a browser sends every second or so per stream.
private let compoundRTCP: [UInt8] = [
    0x81, 0xC8, 0x00, 0x0C, 0x11, 0x22, 0x33, 0x44,  // SR, RC=1, length 12
    0xE9, 0x8F, 0x0A, 0x3D, 0x70, 0xA3, 0xD7, 0x0A,  // NTP
    0x00, 0x01, 0xE2, 0x40, 0x00, 0x00, 0x10, 0x00,  // RTP ts, packet count
    0x00, 0x10, 0x00, 0x00,                          // octet count
    0x55, 0x66, 0x77, 0x88, 0x01, 0x00, 0x00, 0x02,  // report block: ssrc, fraction, cumulative
    0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x20,  // ext highest seq, jitter
    0x0A, 0x3D, 0x70, 0xA3, 0x00, 0x00, 0x10, 0x00,  // LSR, DLSR
    0x81, 0xCA, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44,  // SDES, 1 chunk, length 6
    0x01, 0x10, 0x4B, 0x49, 0x55, 0x79, 0x68, 0x51,  // CNAME, 16 bytes
    0x46, 0x50, 0x58, 0x75, 0x33, 0x58, 0x63, 0x61,
    0x36, 0x00, 0x00, 0x00,                          // END + padding
]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput], scalingFactor: exactMallocCounts ? .one : .kilo,
        maxDuration: .seconds(1), maxIterations: exactMallocCounts ? 100_000 : 10_000)

    let video = makeVideoPacket()
    let send = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)
    send.initializeMemory(as: UInt8.self, repeating: 0)
    let rtcp = UnsafeMutableRawBufferPointer.allocate(byteCount: compoundRTCP.count, alignment: 16)
    rtcp.copyBytes(from: compoundRTCP)

    Benchmark("RTP parse (1200 B, 4 extensions)") { benchmark in
        for _ in benchmark.scaledIterations {
            let packet = try RTPPacket(parsing: UnsafeRawBufferPointer(video))
            blackHole(packet.sequenceNumber &+ UInt16(truncatingIfNeeded: packet.extension(id: 3)?.count ?? 0))
        }
    }

    Benchmark("VP8 descriptor parse") { benchmark in
        let packet = try RTPPacket(parsing: UnsafeRawBufferPointer(video))
        let payload = packet.payload
        for _ in benchmark.scaledIterations {
            let d = try VP8PayloadDescriptor(parsing: payload)
            blackHole(d.pictureID)
        }
    }

    Benchmark("RTCP compound parse (SR + SDES)") { benchmark in
        for _ in benchmark.scaledIterations {
            var iterator = try RTCPCompound(parsing: UnsafeRawBufferPointer(rtcp)).makeIterator()
            var ssrcs: UInt32 = 0
            while let packet = try iterator.next() {
                if case .senderReport(let sr) = packet {
                    ssrcs &+= sr.ssrc
                    for block in sr.reportBlocks { ssrcs &+= block.ssrc }
                }
            }
            blackHole(ssrcs)
        }
    }

    // The per-subscriber rewrite: copy into the send slot with new ssrc/seq/ts/pt, ids remapped
    // (rid dropped: the subscriber sees one stream), a fresh transport-wide seq appended.
    Benchmark("RTP copy + header rewrite (1200 B)") { benchmark in
        var map = RTPExtensionIDMap()
        map[2] = 2
        map[4] = 1
        var seq: UInt16 = 0
        let packet = try RTPPacket(parsing: UnsafeRawBufferPointer(video))
        for _ in benchmark.scaledIterations {
            seq &+= 1
            let header = RTPHeader(marker: packet.marker, payloadType: 100, sequenceNumber: seq,
                                   timestamp: packet.timestamp &+ 9000, ssrc: 0xCAFE_F00D)
            let r = try packet.copy(into: send, header: header, extensionIDs: map, reservingExtension: 5, length: 2)
            send.storeBigEndian(seq, at: r.reservedValueOffset)
            blackHole(r.count)
        }
    }

    // An ICE connectivity check as Chromium sends it, verified as an ICE-lite agent must.
    let iceKey = HMACSHA1(password: "WkxJluhpkmQ7o2hhXEP5uIRH")
    let stun = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 16)
    let stunLength: Int = {
        var b = try! STUNMessageBuilder(into: stun, type: STUNMessageType(method: .binding, class: .request),
                                        transactionID: STUNTransactionID(high: 0x0102_0304, low: 0x0506_0708_090A_0B0C))
        try! b.append(.username, utf8: "38AG:f9Kq")
        try! b.appendICEControlling(0x1234_5678_9ABC_DEF0)
        try! b.appendUseCandidate()
        try! b.appendPriority(1_853_824_767)
        try! b.appendMessageIntegrity(key: iceKey)
        try! b.appendFingerprint()
        return b.count
    }()
    let stunRequest = UnsafeRawBufferPointer(rebasing: stun[0..<stunLength])

    Benchmark("STUN binding request parse + FINGERPRINT + MESSAGE-INTEGRITY") { benchmark in
        for _ in benchmark.scaledIterations {
            let message = try STUNMessage(parsing: stunRequest)
            guard message.isFingerprintValid, message.isMessageIntegrityValid(key: iceKey) else {
                fatalError("benchmark STUN request does not verify")
            }
            blackHole(message)
        }
    }

    for profile in [SRTPProfile.aeadAes128Gcm, .aes128CmHmacSha1_80] {
        let key = SRTPMasterKey(key: Array(repeating: 0x11, count: profile.masterKeyLength),
                                salt: Array(repeating: 0x22, count: profile.masterSaltLength))
        let context = try! SRTPContext(profile: profile, local: key, remote: key)
        let plainLength = 1200 - profile.rtpAuthTagLength
        nonisolated(unsafe) var seq: UInt16 = 0
        Benchmark("SRTP protect \(profile.name) (1200 B)") { benchmark in
            for _ in benchmark.scaledIterations {
                seq &+= 1
                send.copyMemory(from: UnsafeRawBufferPointer(rebasing: video[0..<plainLength]))
                send.storeBigEndian(seq, at: 2)
                blackHole(try context.protectRTP(send, length: plainLength))
            }
        }

        // Unprotect needs a fresh, authentic packet each time (the replay window rejects repeats),
        // so it is measured as a round trip: protect with the sender, unprotect with the receiver.
        // Unprotect's own cost is this minus "SRTP protect" above (which includes the same copy).
        let sender = try! SRTPContext(profile: profile, local: key, remote: key)
        let receiver = try! SRTPContext(profile: profile, local: key, remote: key)
        nonisolated(unsafe) var roundTripSeq: UInt16 = 0
        Benchmark("SRTP protect + unprotect \(profile.name) (1200 B)") { benchmark in
            for _ in benchmark.scaledIterations {
                roundTripSeq &+= 1
                send.copyMemory(from: UnsafeRawBufferPointer(rebasing: video[0..<plainLength]))
                send.storeBigEndian(roundTripSeq, at: 2)
                let length = try sender.protectRTP(send, length: plainLength)
                blackHole(try receiver.unprotectRTP(UnsafeMutableRawBufferPointer(rebasing: send[0..<length])))
            }
        }
    }

    // What the worker does per packet received from a publisher (beside forwarding): store it for
    // retransmission, RFC 3550 statistics, loss detection for NACK, transport-wide feedback; 1 in
    // 100 packets is lost, NACKs are polled every 10 packets and TWCC feedback built every 100.
    let packetBuffer = PacketBuffer(.video)
    nonisolated(unsafe) var statistics = ReceiveStreamStatistics(ssrc: 0x1122_3344, clockRate: 90_000)
    let nack = NACKGenerator()
    let twcc = TWCCFeedbackGenerator()
    let nackOut = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 64)
    let feedbackOut = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)
    let ingest = UnsafeMutableRawBufferPointer.allocate(byteCount: 1200, alignment: 16)
    ingest.copyMemory(from: UnsafeRawBufferPointer(video))
    nonisolated(unsafe) var ingestSeq: UInt16 = 0
    nonisolated(unsafe) var ingestCount: UInt64 = 0
    Benchmark("Receive bookkeeping per packet (buffer + RFC 3550 stats + NACK + TWCC)") { benchmark in
        for _ in benchmark.scaledIterations {
            ingestCount &+= 1
            ingestSeq &+= ingestCount % 100 == 0 ? 2 : 1
            let now = ingestCount &* 1_000_000
            ingest.storeBigEndian(ingestSeq, at: 2)
            ingest.storeBigEndian(UInt32(truncatingIfNeeded: ingestCount / 3 &* 3000), at: 4)
            blackHole(packetBuffer.store(UnsafeRawBufferPointer(ingest), now: MonotonicTime(nanoseconds: Int64(now))))
            blackHole(statistics.received(sequenceNumber: ingestSeq, rtpTimestamp: UInt32(truncatingIfNeeded: ingestCount / 3 &* 3000),
                                          size: 1200, at: now))
            blackHole(nack.received(sequenceNumber: ingestSeq, now: now))
            twcc.record(sequence: ingestSeq, now: now)
            if ingestCount % 10 == 0 { blackHole(nack.pollNACK(now: now, rtt: 50_000_000, into: nackOut)) }
            if ingestCount % 100 == 0 {
                while let n = try twcc.buildFeedback(into: feedbackOut, now: now) { blackHole(n) }
            }
        }
    }
}
