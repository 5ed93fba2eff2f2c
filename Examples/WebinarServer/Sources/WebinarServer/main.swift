// The demo webinar server: a presenter publishes through WHIP, attendees watch through WHEP.
//   swift run -c release WebinarServer [--http-port 8080] [--udp-port 40000] [--announced-ip IP] ...
// or `bash Examples/run` from the repository root. Docs/WHIP-WHEP.md describes the endpoints.
import Foundation
import Hummingbird
import Logging
import NIOCore
import Podium

let options: Options
do {
    switch try Options.parse(Array(CommandLine.arguments.dropFirst())) {
    case .run(let parsed): options = parsed
    case .help:
        print(Options.usage)
        exit(0)
    }
} catch {
    FileHandle.standardError.write(Data("WebinarServer: \(error)\n\(Options.usage)\n".utf8))
    exit(2)
}
let log = Log(quiet: options.quiet)

let pages: Pages
do {
    pages = try Pages()
} catch {
    log.error("could not load the web pages: \(error)")
    exit(1)
}

let sfu: SFU
do {
    sfu = try await SFU(SFU.Configuration(
        workers: options.workers, listenIP: options.udpAddress, listenPort: options.udpPort,
        announcedIP: options.announcedIP, maxSDPBytes: options.maxBodyBytes))
} catch {
    log.error("could not start the SFU on UDP \(options.udpAddress):\(options.udpPort): \(error.message)")
    exit(1)
}

let router = Hummingbird.Router()
router.add(middleware: CORSAndOptions())
let sessions = Sessions(sfu: sfu, log: log)
MediaEndpoints(sfu: sfu, sessions: sessions, options: options, log: log).register(on: router)
RoomAPI(sfu: sfu).register(on: router)
pages.register(on: router)

var logger = Logger(label: "WebinarServer")
logger.logLevel = options.quiet ? .error : .warning
let app = Application(
    router: router,
    configuration: .init(address: .hostname(options.httpAddress, port: options.httpPort), serverName: "Podium WebinarServer"),
    onServerRunning: { channel in
        let port = channel.localAddress?.port ?? options.httpPort
        let shownHost = options.httpAddress == "0.0.0.0" || options.httpAddress == "::"
            ? (options.announcedIP ?? "127.0.0.1") : options.httpAddress
        let base = "http://\(shownHost.contains(":") ? "[\(shownHost)]" : shownHost):\(port)"
        let udp = sfu.ports.map(String.init).joined(separator: ", ")
        log.announce("""
            Podium webinar server listening on \(base)/ (media: UDP \(options.udpAddress) port \(udp), announced as \(options.announcedIP ?? options.udpAddress))
              open \(base)/  ·  present: \(base)/host/demo  ·  watch: \(base)/watch/demo
              WHIP: POST \(base)/whip/<room>   WHEP: POST \(base)/whep/<room>\(options.token == nil ? "" : "   (WHIP needs the bearer token)")
            """)
    },
    logger: logger
)

do {
    // Runs until SIGINT or SIGTERM, then stops accepting requests and finishes the open ones.
    try await app.runService()
} catch {
    log.error("HTTP server on \(options.httpAddress):\(options.httpPort) failed: \(error)")
    await sfu.shutdown()
    exit(1)
}
log.info("shutting down: closing every room")
await sfu.shutdown()
log.info("bye")
