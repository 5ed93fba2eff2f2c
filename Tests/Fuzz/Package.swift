// swift-tools-version: 6.1
// libFuzzer harness for every Podium parser. Built with `--sanitize fuzzer --sanitize address` by
// Tests/Fuzz/run.sh; one binary, the target chosen by the PODIUM_FUZZ_TARGET environment variable.
import PackageDescription

let package = Package(
    name: "PodiumFuzz",
    dependencies: [.package(name: "Podium", path: "../..")],
    targets: [
        .executableTarget(
            name: "PodiumFuzz",
            dependencies: [
                .product(name: "Podium", package: "Podium"),
                .product(name: "PodiumMedia", package: "Podium"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ],
    swiftLanguageModes: [.v6]
)
