import Foundation
import PodiumMedia
import PodiumNet
import PodiumRTC
import PodiumWire
import Testing

/// Feeds a `SyntheticPublisher` into a transport: what it writes is protected and sent.
final class TransportSink: RTPPacketSink {
    let transport: WebRtcTransport
    var failed = 0
    init(_ transport: WebRtcTransport) { self.transport = transport }
    func send(rtp: UnsafeRawBufferPointer) { if !transport.sendRTP(rtp) { failed += 1 } }
}

/// Real media end to end through the transport: libvpx simulcast + libopus → SyntheticPublisher →
/// Podium's client transport (ICE client, DTLS client, SRTP) → UDP → Podium's ICE-lite server
/// transport → depacketize → libvpx/libopus decode. Every frame sent must decode.
@Suite(.serialized) struct SyntheticPublisherOverTransportTests {
    @Test func simulcastAndOpusArriveDecodable() async throws {
        let pair = try LoopbackPair()
        defer { pair.shutdown() }
        #expect(try await pair.startAndConnect())
        try await pair.serverLoop.submit { pair.serverRecorders[0].keepPackets = true }

        // Two layers (180p, 360p) and Opus, paced in real time for one second by a loop timer.
        let config = {
            var c = SyntheticPublisherConfiguration()
            c.videoLayers = Array(SimulcastVideoSource.defaultLayers.prefix(2))
            return c
        }()
        let box = try await pair.clientLoop.submit {
            LoopBox(try SyntheticPublisher(config, sink: TransportSink(pair.clientTransports[0])))
        }
        let start = MonotonicTime.now()
        let duration: Int64 = 1_000_000_000
        @Sendable func tick() {
            let elapsed = (MonotonicTime.now() - start).components
            let ns = elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000
            let now = UInt64(min(ns, duration))
            _ = try? box.value.sendDue(now: now)
            if ns < duration { _ = pair.clientLoop.schedule(after: .milliseconds(5)) { tick() } }
        }
        try await pair.clientLoop.submit { tick() }
        // Wait until the publisher is done and everything it sent has arrived.
        let sentPerSSRC = try await { () async throws -> [UInt32: Int] in
            while true {
                try await Task.sleep(for: .milliseconds(100))
                if (MonotonicTime.now() - start) > .milliseconds(1100) { break }
            }
            return try await pair.clientLoop.submit {
                var sent: [UInt32: Int] = [box.value.configuration.audioSSRC: box.value.audioStatistics.packetsSent]
                for (i, s) in box.value.layerStatistics.enumerated() { sent[box.value.ssrc(ofLayer: i)] = s.packetsSent }
                return sent
            }
        }()
        let arrived = try await eventually(on: pair.serverLoop, timeout: .seconds(5)) {
            sentPerSSRC.allSatisfy { pair.serverRecorders[0].rtpBySSRC[$0.key] == $0.value }
        }
        let received = try await pair.serverLoop.submit { pair.serverRecorders[0].packets }
        #expect(arrived, "sent \(sentPerSSRC), received \(received.mapValues(\.count))")
        let (stats, failedSends) = try await pair.clientLoop.submit {
            (box.value.layerStatistics, box.value.sink.failed)
        }
        #expect(failedSends == 0)

        // Decode every video frame per layer at its size; decode every Opus packet.
        for (layer, layerConfig) in config.videoLayers.enumerated() {
            let ssrc = config.videoSSRCs[layer]
            let depacketizer = VP8Depacketizer(ssrc: ssrc, payloadType: config.videoPayloadType)
            let decoder = try VP8Decoder()
            var decoded = 0
            for p in received[ssrc] ?? [] {
                try p.withUnsafeBytes { _ = try depacketizer.insert($0) }
                while let event = depacketizer.poll() {
                    guard case .frame(let frame) = event else { Issue.record("layer \(layer): \(event)"); continue }
                    let size = try decoder.decode(frame.data)
                    #expect(size.width == layerConfig.width && size.height == layerConfig.height)
                    decoded += 1
                }
            }
            #expect(decoded == stats[layer].framesSent && decoded >= 20, "layer \(layerConfig.rid): \(decoded) decoded")
        }
        let opus = OpusDepacketizer(ssrc: config.audioSSRC, payloadType: config.audioPayloadType, audioLevelID: config.extensionIDs.audioLevel)
        let opusDecoder = try OpusDecoder(channels: 1)
        var samples = 0
        for p in received[config.audioSSRC] ?? [] {
            try p.withUnsafeBytes { bytes in
                if let packet = try opus.depacketize(bytes) { samples += try opusDecoder.decode(packet.payload) }
            }
        }
        #expect(samples == 960 * (received[config.audioSSRC]?.count ?? -1) && samples >= 960 * 40)
    }
}
