// swift-tools-version: 6.1
// Podium micro-benchmarks (ordo-one/benchmark). Run: `swift package benchmark` in this folder.
// Allocation counts come from the MallocInterposer trait; parsing and rewriting must show zero.
import PackageDescription

let package = Package(
    name: "PodiumBenchmarks",
    dependencies: [
        .package(name: "Podium", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                .product(name: "Podium", package: "Podium"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/WireBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Codec cost (VP8/Opus encode and decode): allocates, so not part of check-allocations.
        .executableTarget(
            name: "MediaBenchmarks",
            dependencies: [
                .product(name: "PodiumMedia", package: "Podium"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/MediaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
