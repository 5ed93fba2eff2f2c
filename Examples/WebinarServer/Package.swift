// swift-tools-version: 6.1
// The demo webinar server: WHIP/WHEP (RFC 9725) over Podium, with a host page and a viewer page.
// Its own package so that the root package keeps no package dependencies.
import PackageDescription

let package = Package(
    name: "WebinarServer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Podium", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already dependencies of Hummingbird; named so the server can import them directly.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "WebinarServer",
            dependencies: [
                .product(name: "Podium", package: "Podium"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Public")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
