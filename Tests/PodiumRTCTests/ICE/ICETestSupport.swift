import PodiumCrypto
import PodiumRTC
import PodiumTestSupport
import PodiumWire

/// Helpers shared by the ICE suites (names prefixed `ICETest` to keep the test module's namespace clean).

let iceSecond = ICETime.second
let iceMillisecond = ICETime.millisecond

/// The server (lite agent) and the browser-like peer in these tests.
let iceTestServerCredentials = ICECredentials(ufrag: "srvUfrag", pwd: "serverPassword0123456789")
let iceTestClientCredentials = ICECredentials(ufrag: "cl1e", pwd: "clientPassword+/abcdefgh")
let iceTestServerAddress = SocketAddress(ipv4: 192, 0, 2, 10, port: 40000)
let iceTestClientAddress = SocketAddress(ipv4: 198, 51, 100, 7, port: 50123)
let iceTestMobileAddress = SocketAddress(ipv4: 203, 0, 113, 99, port: 61000)

/// A 1500-byte scratch buffer (a worker's send slot), freed with the object.
final class ICETestBuffer {
    let bytes: UnsafeMutableRawBufferPointer
    init(size: Int = 1500) { bytes = .allocate(byteCount: size, alignment: 8) }
    deinit { bytes.deallocate() }
    func prefix(_ n: Int) -> [UInt8] { Array(bytes[0..<n]) }
}

/// Deterministic garbage inputs.
typealias ICETestRNG = SplitMix64

/// What a connectivity check carries; defaults are a browser's nominating check to the test server.
struct ICETestCheck {
    var type: STUNMessageType = .bindingRequest
    var transactionID = STUNTransactionID(high: 0x0A0B_0C0D, low: 0x0102_0304_0506_0708)
    var username: String? = "srvUfrag:cl1e"
    var priority: UInt32? = 0x6E7F_1EFF
    var controlling: UInt64? = 0x1122_3344_5566_7788
    var controlled: UInt64? = nil
    var useCandidate = true
    /// An extra comprehension-required attribute this codec does not understand.
    var unknownRequiredAttribute = false
    /// The password keying MESSAGE-INTEGRITY; nil: no MESSAGE-INTEGRITY.
    var password: String? = "serverPassword0123456789"
    var fingerprint = true

    func bytes() -> [UInt8] {
        let buffer = ICETestBuffer()
        do {
            var b = try STUNMessageBuilder(into: buffer.bytes, type: type, transactionID: transactionID)
            if let username { try b.append(.username, utf8: username) }
            if unknownRequiredAttribute {
                try withBytes([1, 2, 3, 4]) { v in try b.append(STUNAttributeType(rawValue: 0x7FF0), value: v) }
            }
            if let priority { try b.appendPriority(priority) }
            if let controlling { try b.appendICEControlling(controlling) }
            if let controlled { try b.appendICEControlled(controlled) }
            if useCandidate { try b.appendUseCandidate() }
            if let password { try b.appendMessageIntegrity(key: HMACSHA1(password: password)) }
            if fingerprint { try b.appendFingerprint() }
            return buffer.prefix(b.count)
        } catch {
            fatalError("test check does not fit: \(error)")
        }
    }
}

extension ICELiteAgent {
    /// Handles `bytes` (copied into an exact-size buffer) and returns the outcome and the response bytes.
    func handle(_ bytes: [UInt8], from source: SocketAddress, now: UInt64, responseSize: Int = 1500) -> (Outcome, [UInt8]) {
        let out = ICETestBuffer(size: responseSize)
        let outcome = withBytes(bytes) { handle(datagram: $0, from: source, now: now, response: out.bytes) }
        switch outcome.action {
        case .respond(let n), .respondWithError(_, let n): return (outcome, out.prefix(n))
        case .accepted, .drop: return (outcome, [])
        }
    }

    func handle(_ check: ICETestCheck, from source: SocketAddress = iceTestClientAddress, now: UInt64) -> (Outcome, [UInt8]) {
        handle(check.bytes(), from: source, now: now)
    }
}

extension ICEControllingClient {
    /// Polls into a fresh buffer; the request bytes if one was due.
    func poll(now: UInt64) -> [UInt8]? {
        let out = ICETestBuffer()
        return poll(now: now, into: out.bytes).map { out.prefix($0) }
    }

    func handle(_ bytes: [UInt8], from source: SocketAddress = iceTestServerAddress, now: UInt64) -> (Event, [UInt8]) {
        let out = ICETestBuffer()
        let event = withBytes(bytes) { handle(datagram: $0, from: source, now: now, response: out.bytes) }
        if case .respond(let n) = event { return (event, out.prefix(n)) }
        return (event, [])
    }
}

/// Parses `bytes` as STUN and runs `body` on the message (the bytes stay valid inside).
func iceTestParse<R>(_ bytes: [UInt8], _ body: (STUNMessage) throws -> R) throws -> R {
    try withBytes(bytes) { buf in try body(STUNMessage(parsing: buf)) }
}
