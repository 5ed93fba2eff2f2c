import PodiumWire
import Testing
import PodiumTestSupport
@testable import PodiumMedia

@Suite struct VP8ErrorTests {
    private func expectInvalid(_ c: VP8EncoderConfiguration, _ comment: Comment) {
        do {
            _ = try VP8Encoder(c)
            Issue.record("accepted: \(comment)")
        } catch {
            guard case .invalidArgument = error else { Issue.record("\(comment): \(error)"); return }
        }
    }

    @Test func wrongConfigurations() {
        expectInvalid(.init(width: 321, height: 180, bitrateKbps: 150), "odd width")
        expectInvalid(.init(width: 320, height: 181, bitrateKbps: 150), "odd height")
        expectInvalid(.init(width: 0, height: 180, bitrateKbps: 150), "zero width")
        expectInvalid(.init(width: 320, height: 180, bitrateKbps: 0), "zero bitrate")
        expectInvalid(.init(width: 320, height: 180, bitrateKbps: 150, temporalLayers: 4), "4 temporal layers")
        expectInvalid(.init(width: 320, height: 180, bitrateKbps: 150, temporalLayers: 0), "0 temporal layers")
        expectInvalid(.init(width: 320, height: 180, bitrateKbps: 150, frameRate: 0), "zero frame rate")
        expectInvalid(.init(width: 320, height: 180, bitrateKbps: 150, cpuUsed: 17), "cpuUsed 17")
    }

    @Test func wrongPictureSize() throws {
        let encoder = try VP8Encoder(.init(width: 320, height: 180, bitrateKbps: 150))
        #expect(throws: MediaError.self) { try encoder.encode(I420Image(width: 640, height: 360)) }
        #expect(throws: MediaError.self) { try encoder.setBitrate(kbps: 0) }
    }

    @Test func randomBytesAreRejected() throws {
        var rng = SplitMix64(seed: 42)
        var rejected = 0
        for _ in 0..<200 {
            let decoder = try VP8Decoder()
            let junk = (0..<rng.next(in: 1...400)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            do { _ = try decoder.decode(junk) } catch { rejected += 1 }
        }
        // Junk as the first frame: a delta frame or a keyframe without the start code.
        #expect(rejected == 200)
        #expect(throws: MediaError.self) { _ = try VP8Decoder().decode([UInt8]()) }
    }

    @Test func truncatedFramesAreRejected() throws {
        let encoder = try VP8Encoder(.init(width: 320, height: 180, bitrateKbps: 300))
        var pattern = TestPatternGenerator(width: 320, height: 180)
        let frames = try (0..<5).map { _ in try #require(try encoder.encode(pattern.next())) }
        var rejected = 0, tried = 0
        for cut in [3, 10, 20, frames[0].data.count / 2, frames[0].data.count - 1] {
            let decoder = try VP8Decoder()
            tried += 1
            do { _ = try decoder.decode(Array(frames[0].data.prefix(cut))) } catch { rejected += 1 }
        }
        #expect(rejected == tried, "a truncated keyframe decoded")
        // A corrupted delta frame after a good keyframe: error or a decode, never a crash; the
        // decoder keeps working for the next keyframe.
        let decoder = try VP8Decoder()
        _ = try decoder.decode(frames[0].data)
        var damaged = frames[1].data
        for i in stride(from: 3, to: damaged.count, by: 5) { damaged[i] ^= 0x5A }
        _ = try? decoder.decode(damaged)
        _ = try? decoder.decode(Array(frames[2].data.prefix(frames[2].data.count / 3)))
        let keyEncoder = try VP8Encoder(.init(width: 320, height: 180, bitrateKbps: 300))
        let key = try #require(try keyEncoder.encode(pattern.next()))
        let size = try decoder.decode(key.data)
        #expect(size.width == 320 && size.height == 180)
    }

    /// A keyframe header announcing 16383×16383 would make libvpx allocate ~1.6 GB.
    @Test func oversizedKeyframeRejectedBeforeLibvpx() throws {
        let encoder = try VP8Encoder(.init(width: 64, height: 64, bitrateKbps: 100))
        var pattern = TestPatternGenerator(width: 64, height: 64)
        var key = try #require(try encoder.encode(pattern.next())).data
        key[6] = 0xFF; key[7] = 0x3F; key[8] = 0xFF; key[9] = 0x3F
        let decoder = try VP8Decoder(maxDimension: 4096)
        do throws(MediaError) {
            _ = try decoder.decode(key)
            Issue.record("16383x16383 keyframe accepted")
        } catch {
            guard case .corruptFrame(let m) = error else { Issue.record("\(error)"); return }
            #expect(m.contains("16383x16383"))
        }
    }
}
