import Foundation
import PodiumCrypto
import PodiumNet
import PodiumRTC
import PodiumWire
import Testing

/// The issue's bad-input test: 100 000 hostile datagrams at a worker's port while a legitimate
/// transport on it receives media. Everything hostile is dropped and counted by reason; the
/// legitimate transport keeps receiving in every second of the flood; no state is created.
@Suite(.serialized) struct HostileInputTests {
    enum Kind: Int, CaseIterable {
        case garbage, stunWrongIntegrity, stunUnknownUser, stunBadFingerprint, dtlsClientHello, rtpFromUnknown
    }

    /// Builds one hostile datagram of `kind` into `buffer`; returns its length.
    static func hostile(_ kind: Kind, ufrag: String, rng: inout SplitMix64,
                        into buffer: UnsafeMutableRawBufferPointer) -> Int {
        switch kind {
        case .garbage:
            let n = Int.random(in: 0...1400, using: &rng)
            for i in 0..<n { buffer[i] = UInt8.random(in: 0...255, using: &rng) }
            return n
        case .stunWrongIntegrity, .stunUnknownUser, .stunBadFingerprint:
            let id = STUNTransactionID(high: UInt32.random(in: 0...UInt32.max, using: &rng), low: UInt64.random(in: 0...UInt64.max, using: &rng))
            var b = try! STUNMessageBuilder(into: buffer, type: STUNMessageType(method: .binding, class: .request), transactionID: id)
            let user = kind == .stunUnknownUser ? "nobody\(UInt16.random(in: 0...9999, using: &rng)):x" : "\(ufrag):peer"
            try! b.append(.username, utf8: user)
            try! b.appendPriority(12345)
            try! b.appendICEControlling(1)
            try! b.appendUseCandidate()
            try! b.appendMessageIntegrity(key: HMACSHA1(password: "not-the-password-at-all-1234"))
            try! b.appendFingerprint()
            if kind == .stunBadFingerprint { buffer[b.count - 1] ^= 0xFF }
            return b.count
        case .dtlsClientHello:
            // A DTLS 1.2 handshake record header with a ClientHello type and random body.
            let n = Int.random(in: 60...300, using: &rng)
            for i in 0..<n { buffer[i] = UInt8.random(in: 0...255, using: &rng) }
            buffer[0] = 22; buffer[1] = 0xFE; buffer[2] = 0xFD
            buffer[11] = UInt8((n - 13) >> 8); buffer[12] = UInt8((n - 13) & 0xFF); buffer[13] = 1
            return n
        case .rtpFromUnknown:
            let n = Int.random(in: 12...1200, using: &rng)
            for i in 0..<n { buffer[i] = UInt8.random(in: 0...255, using: &rng) }
            buffer[0] = 0x80; buffer[1] = 96
            return n
        }
    }

    @Test func hundredThousandHostileDatagramsDoNotDisturbALegitimateTransport() async throws {
        let pair = try LoopbackPair()
        defer { pair.shutdown() }
        #expect(try await pair.startAndConnect())
        let (serverAddress, ufrag) = try await pair.serverLoop.submit {
            (pair.server.localAddress, pair.serverTransports[0].localICE.ufrag)
        }

        // Legitimate media: one RTP packet every 5 ms from the client until told to stop, plus,
        // through the same (validated) 5-tuple, forged SRTP and replays.
        let legit = LoopBox((sent: 0, forged: 0, replayed: 0, stop: false))
        @Sendable func tick() {
            guard !legit.value.stop else { return }
            let t = pair.clientTransports[0]
            let seq = UInt16(truncatingIfNeeded: legit.value.sent)
            let p = makeRTP(ssrc: 4242, sequenceNumber: seq, timestamp: UInt32(legit.value.sent) * 3000, payloadType: 96)
            if p.withUnsafeBytes({ t.sendRTP($0) }) { legit.value.sent += 1 }
            if legit.value.sent % 4 == 0, p.withUnsafeBytes({ t.sendRTP($0) }) { legit.value.replayed += 1 }
            // Forged: right header, random "ciphertext" and tag, sent raw on the client's socket.
            var forged = makeRTP(ssrc: 4242, sequenceNumber: seq &+ 30000, timestamp: 0, payloadType: 96, payloadSize: 300)
            for i in 12..<forged.count { forged[i] = UInt8.random(in: 0...255) }
            if forged.withUnsafeBytes({ pair.clientEndpoints[0].socket.send($0, to: serverAddress) }) { legit.value.forged += 1 }
            _ = pair.clientLoop.schedule(after: .milliseconds(5)) { tick() }
        }
        try await pair.clientLoop.submit { tick() }

        // The flood: 100 000 datagrams from 32 source ports, round-robin over the hostile kinds.
        let total = 100_000
        let flood = try await Task.detached { () -> [Kind: Int] in
            var sockets: [UDPSocket] = []
            for _ in 0..<32 { sockets.append(try UDPSocket(bindingTo: SocketAddress(ip: "127.0.0.1", port: 0)!)) }
            defer { for s in sockets { s.close() } }
            var rng = SplitMix64(seed: UInt64.random(in: 1...UInt64.max))
            var sent: [Kind: Int] = [:]
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
            defer { buffer.deallocate() }
            for i in 0..<total {
                let kind = Kind(rawValue: i % Kind.allCases.count)!
                let n = HostileInputTests.hostile(kind, ufrag: ufrag, rng: &rng, into: buffer)
                // Non-blocking sockets: on EAGAIN wait a little and retry, so all are delivered.
                var attempts = 0
                while !sockets[i % sockets.count].send(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), to: serverAddress) && attempts < 100 {
                    attempts += 1
                    usleep(200)
                }
                if attempts < 100 { sent[kind, default: 0] += 1 }
                if i % 2000 == 1999 { usleep(2000) } // ~1–2 s in all: media keeps flowing meanwhile
            }
            return sent
        }.value
        try await Task.sleep(for: .milliseconds(500))
        try await pair.clientLoop.submit { legit.value.stop = true }
        try await Task.sleep(for: .milliseconds(300))

        let hostileSent = flood.values.reduce(0, +)
        let report = try await pair.serverLoop.submit { () -> (TransportEndpoint.Counters, WebRtcTransportStats, SocketCounters, [Int: Int], Int, WebRtcTransportState) in
            let t = pair.serverTransports[0]
            return (pair.server.counters, t.stats, pair.server.socket.counters, pair.serverRecorders[0].rtpPerSecond,
                    pair.serverRecorders[0].rtpBySSRC[4242] ?? 0, t.state)
        }
        let (endpoint, stats, socket, perSecond, received, state) = report
        let sentLegit = try await pair.clientLoop.submit { legit.value }
        print("""
            flood: \(hostileSent) hostile datagrams sent (\(flood.map { "\($0.key): \($0.value)" }.sorted().joined(separator: ", ")))
              endpoint drops: unverified source \(endpoint.unverifiedSource), malformed STUN \(endpoint.malformedSTUN), \
            unknown username \(endpoint.unknownUsername), unauthenticated STUN \(endpoint.unauthenticatedSTUN); kernel drops \(socket.receiveKernelDrops)
              legitimate 5-tuple: forged SRTP \(sentLegit.forged) → decrypt failures \(stats.decryptFailures); replays \(sentLegit.replayed) → \(stats.replays)
              legitimate media: \(received) of \(sentLegit.sent) RTP packets received; per second \(perSecond.sorted { $0.key < $1.key }.map(\.value))
            """)
        #expect(hostileSent == total)
        #expect(state == .connected)
        // Every hostile datagram is accounted for: dropped by reason, or dropped by the kernel.
        #expect(endpoint.dropped <= UInt64(hostileSent))
        #expect(endpoint.dropped + socket.receiveKernelDrops >= UInt64(hostileSent))
        #expect(endpoint.unknownUsername > 0 && endpoint.unauthenticatedSTUN > 0 && endpoint.unverifiedSource > 0)
        // No state for unauthenticated senders: still one transport, one validated address.
        let (transports, addresses) = try await pair.serverLoop.submit {
            (pair.server.transportCount, pair.serverTransports[0].validatedAddressCount)
        }
        #expect(transports == 1 && addresses == 1)
        // Forged packets and replays never reach the owner.
        #expect(stats.decryptFailures + socket.receiveKernelDrops >= UInt64(sentLegit.forged))
        #expect(stats.replays + socket.receiveKernelDrops >= UInt64(sentLegit.replayed))
        #expect(received <= sentLegit.sent)
        // Media kept flowing: every full second of the run delivered packets.
        let seconds = perSecond.keys.max() ?? 0
        for s in 0..<seconds { #expect((perSecond[s] ?? 0) > 0, "no legitimate media in second \(s)") }
        #expect(Double(received) >= 0.5 * Double(sentLegit.sent), "legitimate media mostly lost: \(received) of \(sentLegit.sent)")
    }
}
