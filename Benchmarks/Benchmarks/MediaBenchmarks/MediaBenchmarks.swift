// Codec cost per frame: how many synthetic publishers one core can drive. These allocate (libvpx,
// libopus, output arrays), so `check-allocations` runs only WireBenchmarks, not this target.
import Benchmark
import PodiumMedia

/// Pictures played forwards then backwards, so the content keeps moving without a cut at the
/// loop point (a cut would make one frame per loop unrealistically expensive).
private func pictures(width: Int, height: Int, count: Int) -> [I420Image] {
    var generator = TestPatternGenerator(width: width, height: height)
    let forward = (0..<count).map { _ in generator.next() }
    return forward + forward.dropFirst().dropLast().reversed()
}

/// Codec state built once, on first use, and kept across samples: the harness calls a benchmark's
/// closure once per sample, so set-up inside it would be measured (and repeated) every time.
/// @unchecked Sendable: the harness runs benchmarks one at a time on one thread.
private final class Lazy<T>: @unchecked Sendable {
    private let make: () throws -> T
    private var value: T?
    init(_ make: @escaping () throws -> T) { self.make = make }
    func get() throws -> T {
        if let value { return value }
        let v = try make()
        value = v
        return v
    }
}

private final class EncodeLoop {
    let ring: [I420Image]
    let encoder: VP8Encoder
    var index = 0
    init(width: Int, height: Int, kbps: Int) throws {
        ring = pictures(width: width, height: height, count: 16)
        encoder = try VP8Encoder(VP8EncoderConfiguration(width: width, height: height, bitrateKbps: kbps, temporalLayers: 3))
        for picture in ring { _ = try encoder.encode(picture) }   // past the first keyframe
    }
    func step() throws -> EncodedVideoFrame? {
        defer { index = (index + 1) % ring.count }
        return try encoder.encode(ring[index])
    }
}

private final class DecodeLoop {
    var stream: [[UInt8]] = []
    let decoder: VP8Decoder
    var index = 0
    init() throws {
        var generator = TestPatternGenerator(width: 1280, height: 720)
        let encoder = try VP8Encoder(VP8EncoderConfiguration(width: 1280, height: 720, bitrateKbps: 1500, temporalLayers: 3))
        for _ in 0..<60 { if let f = try encoder.encode(generator.next()) { stream.append(f.data) } }
        decoder = try VP8Decoder()
    }
    func step() throws -> (width: Int, height: Int) {
        // The stream starts with a keyframe, so looping back to frame 0 stays decodable.
        defer { index = (index + 1) % stream.count }
        return try decoder.decode(stream[index])
    }
}

private final class OpusLoop {
    let frames: [[Int16]]
    let encoder: OpusEncoder
    let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)
    var index = 0
    init() throws {
        var voice = VoiceLikeGenerator(seed: 5)
        frames = (0..<100).map { _ in voice.next20ms() }
        encoder = try OpusEncoder(OpusEncoderConfiguration())
    }
    func step() throws -> Int {
        defer { index = (index + 1) % frames.count }
        return try frames[index].withUnsafeBufferPointer { try encoder.encode(pcm: $0, into: packet) }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput], scalingFactor: .one,
        maxDuration: .seconds(5), maxIterations: 1000)

    for (width, height, kbps) in [(320, 180, 150), (640, 360, 500), (1280, 720, 1500)] {
        let loop = Lazy { try EncodeLoop(width: width, height: height, kbps: kbps) }
        Benchmark("VP8 encode \(width)x\(height)") { benchmark in
            let l = try loop.get()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(try l.step()) }
        }
    }

    // Everything a synthetic simulcast publisher does per video frame: generate, scale, encode ×3.
    let simulcast = Lazy { () throws -> SimulcastVideoSource in
        let s = try SimulcastVideoSource()
        for _ in 0..<10 { _ = try s.nextFrames() }
        return s
    }
    Benchmark("Simulcast tick q+h+f (generate, scale, encode)") { benchmark in
        let s = try simulcast.get()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try s.nextFrames()) }
    }

    let opus = Lazy { try OpusLoop() }
    Benchmark("Opus encode 20 ms") { benchmark in
        let l = try opus.get()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try l.step()) }
    }

    let decode = Lazy { try DecodeLoop() }
    Benchmark("VP8 decode 1280x720") { benchmark in
        let l = try decode.get()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try l.step()) }
    }
}
