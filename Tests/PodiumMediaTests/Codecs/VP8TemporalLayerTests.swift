import Testing
import PodiumTestSupport
@testable import PodiumMedia

@Suite struct VP8TemporalLayerTests {
    private func encode(layers: Int, frames: Int) throws -> [EncodedVideoFrame] {
        let encoder = try VP8Encoder(VP8EncoderConfiguration(width: 320, height: 180, bitrateKbps: 300, temporalLayers: layers))
        var pattern = TestPatternGenerator(width: 320, height: 180)
        var out: [EncodedVideoFrame] = []
        for _ in 0..<frames { out.append(try #require(try encoder.encode(pattern.next()))) }
        return out
    }

    @Test func threeLayerPattern() throws {
        let frames = try encode(layers: 3, frames: 16)
        #expect(frames.map(\.temporalLayer) == [0, 2, 1, 2, 0, 2, 1, 2, 0, 2, 1, 2, 0, 2, 1, 2])
        // Y: the TL2 frame right after TL0 and every TL1 frame read only TL0.
        #expect(frames[1...].map(\.layerSync) == [true, true, false, false, true, true, false, false, true, true, false, false, true, true, false])
        #expect(frames[0].isKeyframe && frames[0].layerSync)
    }

    @Test func twoLayerPattern() throws {
        let frames = try encode(layers: 2, frames: 8)
        #expect(frames.map(\.temporalLayer) == [0, 1, 0, 1, 0, 1, 0, 1])
        #expect(frames.filter { $0.temporalLayer == 1 }.allSatisfy { $0.layerSync })
    }

    @Test func singleLayerIsAllBase() throws {
        let frames = try encode(layers: 1, frames: 6)
        #expect(frames.allSatisfy { $0.temporalLayer == 0 })
    }

    /// What an SFU forwarding a lower temporal layer delivers must decode cleanly.
    @Test(arguments: [0, 1, 2])
    func decodeUpToLayer(_ maxLayer: UInt8) throws {
        let frames = try encode(layers: 3, frames: 48)
        let decoder = try VP8Decoder()
        var decoded = 0
        for frame in frames where frame.temporalLayer <= maxLayer {
            let size = try decoder.decode(frame.data)
            #expect(size.width == 320 && size.height == 180)
            decoded += 1
        }
        #expect(decoded == [12, 24, 48][Int(maxLayer)])
    }

    /// Switching up at a sync frame: a TL0-only receiver may add TL1/TL2 from a frame with Y=1.
    @Test func upSwitchAtLayerSync() throws {
        let frames = try encode(layers: 3, frames: 32)
        let decoder = try VP8Decoder()
        var maxLayer: UInt8 = 0
        for (i, frame) in frames.enumerated() {
            if i >= 10, maxLayer == 0, frame.temporalLayer > 0, frame.layerSync { maxLayer = 2 }
            guard frame.temporalLayer <= maxLayer else { continue }
            _ = try decoder.decode(frame.data)
        }
        #expect(maxLayer == 2)
    }

    @Test func patternTable() {
        var p = VP8TemporalPattern(layers: 3)
        let first = (0..<8).map { _ in p.next().temporalLayer }
        #expect(first == [0, 2, 1, 2, 0, 2, 1, 2])
        p.restart()
        #expect(p.next().temporalLayer == 0)
    }
}
