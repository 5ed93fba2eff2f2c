/// Command-line options. Parsed by hand: one flat list of `--name value` flags does not justify
/// another package dependency (and its build time) in a demo.
struct Options: Sendable {
    var httpAddress = "127.0.0.1"
    var httpPort = 8080
    var udpAddress = "127.0.0.1"
    var udpPort: UInt16 = 40_000
    var announcedIP: String?
    var workers: Int?
    /// When set, WHIP requests (publishing) need `Authorization: Bearer <token>`. WHEP (watching) is open.
    var token: String?
    /// How long a WHEP request waits for the room's first published track before answering 409.
    var whepWaitSeconds = 0.0
    /// Largest accepted request body (SDP offer or trickle fragment).
    var maxBodyBytes = 64 * 1024
    var quiet = false

    static let usage = """
        usage: WebinarServer [options]
          --http-address IP       HTTP listen address (default 127.0.0.1; 0.0.0.0 for every interface)
          --http-port N           HTTP port (default 8080; 0 picks a free port, printed at start)
          --udp-address IP        where the media (UDP) sockets bind (default 127.0.0.1)
          --udp-port N            first media UDP port; worker i binds N+i (default 40000; 0: ephemeral)
          --announced-ip IP       the IP put in ICE candidates (default: the UDP address); set it to
                                  the LAN/public address when browsers run on other machines
          --workers N             media worker threads (default: one per core)
          --token SECRET          WHIP (publishing) requires "Authorization: Bearer SECRET"
          --whep-wait-seconds S   a viewer arriving before the first track waits up to S s (default 0: 409)
          --max-body-bytes N      largest SDP body accepted (default 65536; larger: 413)
          --quiet                 log only errors and the start line
          --help
        """

    enum ParseOutcome {
        case run(Options)
        case help
    }

    static func parse(_ arguments: [String]) throws(OptionError) -> ParseOutcome {
        var options = Options()
        // Accept `--flag=value` as well as `--flag value`.
        let split = arguments.flatMap { argument -> [String] in
            guard argument.hasPrefix("--"), let eq = argument.firstIndex(of: "=") else { return [argument] }
            return [String(argument[..<eq]), String(argument[argument.index(after: eq)...])]
        }
        var iterator = split.makeIterator()
        func value(_ flag: String) throws(OptionError) -> String {
            guard let v = iterator.next() else { throw OptionError("\(flag) needs a value") }
            return v
        }
        func integer(_ flag: String, _ range: ClosedRange<Int>) throws(OptionError) -> Int {
            let text = try value(flag)
            guard let n = Int(text), range.contains(n) else {
                throw OptionError("\(flag) wants a number in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
            }
            return n
        }
        while let flag = iterator.next() {
            switch flag {
            case "--http-address", "--address": options.httpAddress = try value(flag)
            case "--http-port", "--port": options.httpPort = try integer(flag, 0...65_535)
            case "--udp-address": options.udpAddress = try value(flag)
            case "--udp-port": options.udpPort = UInt16(try integer(flag, 0...65_535))
            case "--announced-ip": options.announcedIP = try value(flag)
            case "--workers": options.workers = try integer(flag, 1...256)
            case "--token":
                let token = try value(flag)
                guard !token.isEmpty else { throw OptionError("--token must not be empty") }
                options.token = token
            case "--whep-wait-seconds":
                let text = try value(flag)
                guard let s = Double(text), s >= 0, s <= 3600 else {
                    throw OptionError("--whep-wait-seconds wants seconds in 0...3600, got \"\(text)\"")
                }
                options.whepWaitSeconds = s
            case "--max-body-bytes": options.maxBodyBytes = try integer(flag, 256...(16 << 20))
            case "--quiet": options.quiet = true
            case "--help", "-h", "help": return .help
            default: throw OptionError("unknown option \"\(flag)\" (see --help)")
            }
        }
        return .run(options)
    }
}

struct OptionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
