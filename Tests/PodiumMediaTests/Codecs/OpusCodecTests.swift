import Foundation
import Testing
import PodiumTestSupport
import PodiumWire
@testable import PodiumMedia

@Suite struct OpusCodecTests {
    private static func energy(_ pcm: UnsafeBufferPointer<Int16>) -> Double {
        pcm.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, pcm.count))
    }

    @Test(arguments: [1, 2])
    func encodeDecodeFiftyFrames(channels: Int) throws {
        let encoder = try OpusEncoder(OpusEncoderConfiguration(channels: channels, bitrate: channels * 32_000))
        let decoder = try OpusDecoder(channels: channels)
        var voice = VoiceLikeGenerator(channels: channels, seed: 7)
        var inputEnergy = 0.0, outputEnergy = 0.0
        for _ in 0..<50 {
            let pcm = voice.next20ms()
            let packet = try encoder.encode(pcm: pcm)
            #expect(!packet.isEmpty && packet.count <= 1275)
            // TOC (RFC 6716 §3.1): stereo flag matches, one 20 ms frame.
            #expect((packet[0] & 0x04 != 0) == (channels == 2))
            let n = try decoder.decode(packet)
            #expect(n == 960)
            inputEnergy += pcm.withUnsafeBufferPointer(Self.energy)
            outputEnergy += decoder.withDecodedPCM(Self.energy)
        }
        #expect(inputEnergy > 0)
        // Lossy, delayed by the codec's look-ahead: compare only the overall energy.
        #expect(outputEnergy > inputEnergy * 0.3 && outputEnergy < inputEnergy * 3)
    }

    @Test func dtxSendsTinyPacketsInSilence() throws {
        let encoder = try OpusEncoder(OpusEncoderConfiguration(dtx: true))
        let silence = [Int16](repeating: 0, count: 960)
        var sizes: [Int] = []
        for _ in 0..<50 { sizes.append(try encoder.encode(pcm: silence).count) }
        // After ~200 ms of silence: 1-byte DTX frames, with a comfort-noise update every 400 ms.
        let tail = sizes.suffix(30)
        #expect(tail.filter { $0 <= 2 }.count >= 27, "sizes \(sizes)")
        #expect(tail.allSatisfy { $0 < 64 }, "sizes \(sizes)")
        let plain = try OpusEncoder(OpusEncoderConfiguration(dtx: false))
        var plainSizes: [Int] = []
        for _ in 0..<50 { plainSizes.append(try plain.encode(pcm: silence).count) }
        #expect(plainSizes.suffix(30).allSatisfy { $0 > 2 }, "sizes without DTX \(plainSizes)")
    }

    @Test func fecRecoversALostFrame() throws {
        let encoder = try OpusEncoder(OpusEncoderConfiguration(bitrate: 32_000, inbandFEC: true, packetLossPercent: 20))
        var voice = VoiceLikeGenerator(seed: 3)
        var packets: [[UInt8]] = []
        var pcms: [[Int16]] = []
        for _ in 0..<80 {
            let pcm = voice.next20ms()
            pcms.append(pcm)
            packets.append(try encoder.encode(pcm: pcm))
        }
        // Lose a loud frame in the middle of a syllable, so FEC vs. concealment is measurable.
        let loud = { (i: Int) in pcms[i].withUnsafeBufferPointer(Self.energy) > 1e6 }
        let lost = try #require((20..<78).first { loud($0 - 1) && loud($0) && loud($0 + 1) })

        // Reference: what the decoder outputs for that frame when nothing is lost.
        let reference = try OpusDecoder(channels: 1)
        for i in 0...lost { _ = try reference.decode(packets[i]) }
        let expected = reference.withDecodedPCM { Array($0) }

        func distance(_ a: [Int16], _ b: [Int16]) -> Double {
            zip(a, b).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) } / Double(a.count)
        }
        let fecDecoder = try OpusDecoder(channels: 1)
        for i in 0..<lost { _ = try fecDecoder.decode(packets[i]) }
        #expect(try fecDecoder.decode(packets[lost + 1], fec: true) == 960)
        let recovered = fecDecoder.withDecodedPCM { Array($0) }
        #expect(try fecDecoder.decode(packets[lost + 1]) == 960)

        let plcDecoder = try OpusDecoder(channels: 1)
        for i in 0..<lost { _ = try plcDecoder.decode(packets[i]) }
        #expect(try plcDecoder.decode(nil) == 960)
        let concealed = plcDecoder.withDecodedPCM { Array($0) }

        let fecError = distance(recovered, expected), plcError = distance(concealed, expected)
        #expect(recovered.withUnsafeBufferPointer(Self.energy) > 1e5, "FEC output is (near) silent")
        #expect(fecError < plcError, "FEC (\(fecError)) no closer to the real frame than PLC (\(plcError))")
    }

    @Test func packetLossConcealment() throws {
        let decoder = try OpusDecoder(channels: 2)
        #expect(try decoder.decode(nil) == 960)
    }

    @Test func badPacketsGiveTypedErrors() throws {
        let decoder = try OpusDecoder(channels: 1)
        #expect(throws: MediaError.self) { try decoder.decode([UInt8]()) }
        // TOC code 3 (arbitrary frame count) with a missing count byte.
        #expect(throws: MediaError.self) { try decoder.decode([0x03]) }
        // Code 3, 48 frames × 20 ms = 960 ms > 120 ms.
        #expect(throws: MediaError.self) { try decoder.decode([0x0B, 0x30, 0x00]) }
        var rng = SplitMix64(seed: 99)
        var failures = 0
        for _ in 0..<300 {
            let packet = (0..<rng.next(in: 1...200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            do { _ = try decoder.decode(packet) } catch { failures += 1 }
        }
        #expect(failures > 0)
    }

    @Test func wrongConfigurations() {
        #expect(throws: MediaError.self) { try OpusEncoder(OpusEncoderConfiguration(channels: 3)) }
        #expect(throws: MediaError.self) { try OpusEncoder(OpusEncoderConfiguration(bitrate: 0)) }
        #expect(throws: MediaError.self) { try OpusDecoder(channels: 0) }
        #expect(throws: MediaError.self) {
            let e = try OpusEncoder(OpusEncoderConfiguration())
            _ = try e.encode(pcm: [Int16](repeating: 0, count: 480))
        }
        do {
            _ = try OpusEncoder(OpusEncoderConfiguration(bitrate: 0))
            Issue.record("zero bitrate accepted")
        } catch {
            guard case .invalidArgument = error else { Issue.record("wrong error \(error)"); return }
        }
    }
}
