// swift-tools-version: 6.1
// Podium — a WebRTC SFU library for one-to-many webinars. No package dependencies: system libraries
// only, through the system-library targets below (Debian: libsrtp2-dev libssl-dev libopus-dev libvpx-dev).
import PackageDescription

let package = Package(
    name: "Podium",
    products: [
        .library(name: "Podium", targets: ["Podium"]),
        .library(name: "PodiumMedia", targets: ["PodiumMedia"]),
        .executable(name: "podium", targets: ["podium"]),
    ],
    targets: [
        // MARK: System libraries
        .systemLibrary(name: "CSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CVPX", pkgConfig: "vpx", providers: [.apt(["libvpx-dev"])]),

        // MARK: Modules (DESIGN.md §2)
        .target(name: "PodiumWire"),
        .target(name: "PodiumSDP"),
        .target(name: "PodiumCrypto", dependencies: ["PodiumWire", "COpenSSL", "CSRTP"]),
        // Why PodiumNet depends on PodiumWire: one SocketAddress value type serves STUN attributes and
        // the socket layer's 5-tuple demux, so nothing converts addresses on the packet path.
        .target(name: "PodiumNet", dependencies: ["PodiumWire"]),
        .target(name: "PodiumRTC", dependencies: ["PodiumWire", "PodiumSDP", "PodiumCrypto", "PodiumNet"]),
        .target(name: "PodiumMedia", dependencies: ["PodiumWire", "COpus", "CVPX"]),
        .target(name: "Podium", dependencies: ["PodiumWire", "PodiumSDP", "PodiumCrypto", "PodiumNet", "PodiumRTC"]),
        .executableTarget(name: "podium", dependencies: ["Podium"]),

        // MARK: Tests
        .target(name: "PodiumTestSupport", path: "Tests/PodiumTestSupport"),
        .testTarget(name: "PodiumWireTests", dependencies: ["PodiumTestSupport", "PodiumWire"]),
        .testTarget(name: "PodiumSDPTests", dependencies: ["PodiumTestSupport", "PodiumSDP"]),
        .testTarget(name: "PodiumCryptoTests", dependencies: ["PodiumTestSupport", "PodiumCrypto", "PodiumWire", "CSRTP", "COpenSSL"]),
        .testTarget(name: "PodiumNetTests", dependencies: ["PodiumTestSupport", "PodiumNet", "PodiumWire"]),
        .testTarget(name: "PodiumRTCTests", dependencies: ["PodiumTestSupport", "PodiumRTC", "PodiumNet", "PodiumCrypto", "PodiumSDP", "PodiumWire", "PodiumMedia"]),
        .testTarget(name: "PodiumMediaTests", dependencies: ["PodiumTestSupport", "PodiumMedia", "PodiumWire", "COpus", "CVPX"]),
        .testTarget(name: "PodiumTests", dependencies: ["PodiumTestSupport", "Podium", "PodiumMedia"]),
        .testTarget(name: "PodiumToolTests", dependencies: ["PodiumTestSupport", "Podium", "podium"]),
    ],
    swiftLanguageModes: [.v6]
)
