import Testing
import PodiumTestSupport
import PodiumWire
@testable import PodiumMedia

@Suite struct MediaSourceTests {
    @Test func simulcastSourceEncodesEveryLayer() throws {
        let source = try SimulcastVideoSource()
        let decoders = try (0..<3).map { _ in try VP8Decoder() }
        var tids: [[UInt8]] = [[], [], []]
        for tick in 0..<12 {
            let frames = try source.nextFrames(keyframeLayers: tick == 8 ? [1] : [])
            #expect(frames.count == 3)
            for (i, f) in frames.enumerated() {
                let frame = try #require(f)
                let layer = SimulcastVideoSource.defaultLayers[i]
                #expect(frame.rtpTimestamp == UInt32(tick * 3000))
                #expect(frame.width == layer.width && frame.height == layer.height)
                #expect(frame.isKeyframe == (tick == 0 || (tick == 8 && i == 1)), "tick \(tick) layer \(i)")
                let size = try decoders[i].decode(frame.data)
                #expect(size.width == layer.width && size.height == layer.height)
                tids[i].append(frame.temporalLayer)
            }
        }
        #expect(tids[0] == [0, 2, 1, 2, 0, 2, 1, 2, 0, 2, 1, 2])
        #expect(tids[1] == [0, 2, 1, 2, 0, 2, 1, 2, 0, 2, 1, 2])  // tick 8 is TL0 anyway
        #expect(source.rtpTimestamp == 12 * 3000)
    }

    @Test func simulcastLayersAreOrdered() throws {
        #expect(SimulcastVideoSource.defaultLayers.map(\.rid) == ["q", "h", "f"])
        #expect(SimulcastVideoSource.defaultLayers.map(\.bitrateKbps) == [150, 500, 1500])
        #expect(throws: MediaError.self) { try SimulcastVideoSource(layers: []) }
        #expect(throws: MediaError.self) {
            try SimulcastVideoSource(layers: [.init(rid: "x", width: 321, height: 180, bitrateKbps: 100)])
        }
    }

    @Test func testPatternChangesEveryFrame() {
        var g = TestPatternGenerator(width: 64, height: 48)
        let a = g.next(), b = g.next(), c = g.next()
        #expect(a.y != b.y && b.y != c.y)
        #expect(a.y.count == 64 * 48 && a.u.count == 32 * 24)
        // Odd sizes are legal pictures (the encoder is what needs even sizes).
        var odd = TestPatternGenerator(width: 33, height: 17)
        let o = odd.next()
        #expect(o.u.count == 17 * 9 && o.y.count == 33 * 17)
    }

    @Test func scalingAveragesAndKeepsSizes() {
        var image = I420Image(width: 4, height: 4)
        image.y = [0, 100, 10, 10, 100, 200, 10, 10, 50, 50, 0, 0, 50, 50, 0, 4]
        let half = image.scaled(width: 2, height: 2)
        #expect(half.y == [100, 10, 50, 1])
        #expect(half.u.count == 1 && half.u[0] == 128)
        let odd = image.scaled(width: 3, height: 3)
        #expect(odd.y.count == 9 && odd.u.count == 4)
    }

    @Test func voiceLikeSignalIsDeterministicAndVaried() throws {
        var a = VoiceLikeGenerator(seed: 11), b = VoiceLikeGenerator(seed: 11), c = VoiceLikeGenerator(seed: 12)
        let fa = (0..<150).map { _ in a.next20ms() }
        #expect(fa == (0..<150).map { _ in b.next20ms() })
        #expect(fa != (0..<150).map { _ in c.next20ms() })
        let levels = fa.map { AudioLevelMeter.level(of: $0) }
        #expect(levels.contains(127), "no silent frame")
        #expect(levels.contains { $0 < 20 }, "no loud frame: \(levels)")
        #expect(levels.contains { $0 > 28 && $0 < 127 }, "no quiet frame: \(levels)")
        var stereo = VoiceLikeGenerator(channels: 2)
        #expect(stereo.next20ms().count == 1920)
    }

    @Test func audioLevelMeter() {
        #expect(AudioLevelMeter.level(of: [Int16](repeating: 0, count: 960)) == 127)
        #expect(AudioLevelMeter.level(of: [Int16](repeating: 32_767, count: 960)) == 0)
        // A -20 dBFS square wave.
        let square = (0..<960).map { $0 % 2 == 0 ? Int16(3277) : Int16(-3277) }
        #expect(AudioLevelMeter.level(of: square) == 20)
    }

    @Test func opusSourceFrames() throws {
        let source = try OpusAudioSource(configuration: .init(dtx: true))
        let decoder = try OpusDecoder(channels: 1)
        var levels: [UInt8] = []
        for i in 0..<150 {
            let frame = try source.nextFrame()
            #expect(frame.rtpTimestamp == UInt32(i * 960))
            #expect(frame.voiceActivity == (frame.audioLevel < 40))
            #expect(try decoder.decode(frame.data) == 960)
            levels.append(frame.audioLevel)
        }
        #expect(levels.contains { $0 < 25 } && levels.contains(127))
        #expect(levels.contains { $0 >= 30 && $0 < 127 })
    }
}
