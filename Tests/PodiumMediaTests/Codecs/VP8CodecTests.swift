import Testing
import PodiumTestSupport
import PodiumWire
@testable import PodiumMedia

@Suite struct VP8CodecTests {
    @Test(arguments: [(320, 180, 150), (640, 360, 500), (1280, 720, 1500)])
    func encodeDecodeSixtyFrames(width: Int, height: Int, kbps: Int) throws {
        let encoder = try VP8Encoder(VP8EncoderConfiguration(width: width, height: height, bitrateKbps: kbps, temporalLayers: 3))
        let decoder = try VP8Decoder()
        var pattern = TestPatternGenerator(width: width, height: height)
        var totalBytes = 0, frames = 0
        for i in 0..<60 {
            guard let frame = try encoder.encode(pattern.next()) else { continue }
            #expect(frame.isKeyframe == (i == 0))
            #expect(frame.rtpTimestamp == UInt32(i * 3000))
            #expect(frame.width == width && frame.height == height)
            let size = try decoder.decode(frame.data)
            #expect(size.width == width && size.height == height)
            totalBytes += frame.data.count
            frames += 1
        }
        #expect(frames == 60)
        #expect(decoder.frameCount == 60)
        // Two seconds at the target rate, with generous slack for the first keyframe.
        #expect(totalBytes < kbps * 1000 / 8 * 2 * 3)
        #expect(totalBytes > kbps * 1000 / 8 / 4)
    }

    @Test func decodedPictureResemblesInput() throws {
        let encoder = try VP8Encoder(VP8EncoderConfiguration(width: 320, height: 180, bitrateKbps: 800))
        let decoder = try VP8Decoder()
        var pattern = TestPatternGenerator(width: 320, height: 180)
        var last: (I420Image, I420Image)?
        for _ in 0..<10 {
            let input = pattern.next()
            let frame = try #require(try encoder.encode(input))
            let output = try #require(try frame.data.withUnsafeBytes { try decoder.decodeImage($0) })
            last = (input, output)
        }
        let (input, output) = try #require(last)
        var error = 0
        for i in input.y.indices { error += abs(Int(input.y[i]) - Int(output.y[i])) }
        #expect(Double(error) / Double(input.y.count) < 12, "mean absolute luma error too high")
    }

    @Test func keyframeOnDemand() throws {
        let encoder = try VP8Encoder(VP8EncoderConfiguration(width: 640, height: 360, bitrateKbps: 500, temporalLayers: 3))
        let decoder = try VP8Decoder()
        var pattern = TestPatternGenerator(width: 640, height: 360)
        var tids: [UInt8] = []
        for i in 0..<13 {
            let frame = try #require(try encoder.encode(pattern.next(), forceKeyframe: i == 6))
            #expect(frame.isKeyframe == (i == 0 || i == 6), "frame \(i)")
            let header = try frame.data.withUnsafeBytes { try VP8FrameHeader(parsing: $0) }
            #expect(header.isKeyframe == frame.isKeyframe, "frame \(i): VP8FrameHeader disagrees")
            if frame.isKeyframe {
                #expect(header.dimensions == VP8FrameHeader.Dimensions(width: 640, height: 360))
            }
            tids.append(frame.temporalLayer)
            let size = try decoder.decode(frame.data)
            #expect(size.width == 640)
        }
        // The forced keyframe (frame 6, which would have been TL1) restarts the pattern at TL0.
        #expect(tids == [0, 2, 1, 2, 0, 2, 0, 2, 1, 2, 0, 2, 1])
    }

    @Test func periodicKeyframesStartThePattern() throws {
        var c = VP8EncoderConfiguration(width: 160, height: 90, bitrateKbps: 200, temporalLayers: 3)
        c.keyframeInterval = 5
        let encoder = try VP8Encoder(c)
        var pattern = TestPatternGenerator(width: 160, height: 90)
        var keys: [Int] = [], tids: [UInt8] = []
        for i in 0..<12 {
            let f = try #require(try encoder.encode(pattern.next()))
            if f.isKeyframe { keys.append(i) }
            tids.append(f.temporalLayer)
        }
        #expect(keys == [0, 5, 10])
        #expect(tids == [0, 2, 1, 2, 0, 0, 2, 1, 2, 0, 0, 2])
    }
}
