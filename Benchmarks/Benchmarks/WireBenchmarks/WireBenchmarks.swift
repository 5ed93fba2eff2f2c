import Benchmark
import Podium

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .throughput], maxDuration: .seconds(1))
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1200, alignment: 8)
    buf.initializeMemory(as: UInt8.self, repeating: 3)
    Benchmark("ByteReader 1200 bytes") { benchmark in
        for _ in benchmark.scaledIterations {
            var r = ByteReader(UnsafeRawBufferPointer(buf))
            var sum: UInt32 = 0
            while let v = try? r.readUInt32() { sum &+= v }
            blackHole(sum)
        }
    }
}
