import Foundation
import PodiumRTC
import PodiumCrypto
import PodiumTestSupport
import PodiumWire
import Testing

/// TEMPORARY allocation probe (run with LD_PRELOAD=/tmp/icemalloc/libcount.so).
@Suite struct ICEAllocationProbeTests {
    typealias CountFn = @convention(c) () -> Int
    @Test func probe() throws {
        guard let sym = dlsym(dlopen(nil, RTLD_NOW), "ice_malloc_count") else { return }
        let count = unsafeBitCast(sym, to: CountFn.self)
        let agent = ICELiteAgent(local: iceTestServerCredentials, remote: iceTestClientCredentials)
        let check = ICETestCheck().bytes()
        var refresh = ICETestCheck(); refresh.useCandidate = false
        let refreshBytes = refresh.bytes()
        let out = ICETestBuffer()
        var table = ICEUfragTable<Int>()
        try table.insert(1, forUfrag: "srvUfrag")
        try withBytes(check) { c in
            try withBytes(refreshBytes) { r in
                _ = agent.handle(datagram: c, from: iceTestClientAddress, now: 0, response: out.bytes)
                let m = try STUNMessage(parsing: r)
                let before = count()
                var found = 0
                for i in 0..<10_000 {
                    _ = agent.handle(datagram: c, from: iceTestClientAddress, now: UInt64(i), response: out.bytes)
                    _ = agent.handle(m, from: iceTestClientAddress, now: UInt64(i), response: out.bytes)
                    found &+= table.value(for: m) ?? 0
                }
                let after = count()
                print("ICE-PROBE agent+table: \(after - before) allocations over 10000 iterations (found \(found))")
                func measure(_ name: String, _ body: () -> Void) {
                    let b = count()
                    for _ in 0..<1000 { body() }
                    print("ICE-PROBE \(name): \(Double(count() - b) / 1000) per call")
                }
                let key = HMACSHA1(password: iceTestServerCredentials.pwd)
                measure("parse") { _ = try? STUNMessage(parsing: c) }
                measure("fingerprint") { _ = m.isFingerprintValid }
                measure("integrity") { _ = m.isMessageIntegrityValid(key: key) }
                measure("fragments") { _ = m.iceUsernameFragments }
                measure("table") { _ = table.value(for: m) }
                measure("handle msg") { _ = agent.handle(m, from: iceTestClientAddress, now: 1, response: out.bytes) }
                measure("handle garbage") { _ = agent.handle(datagram: UnsafeRawBufferPointer(rebasing: c[0..<10]), from: iceTestClientAddress, now: 1, response: out.bytes) }
                measure("build") {
                    var b = try! STUNMessageBuilder(into: out.bytes, type: .bindingSuccess, transactionID: m.transactionID)
                    try! b.appendXORMappedAddress(iceTestClientAddress)
                    try! b.appendMessageIntegrity(key: key)
                    try! b.appendFingerprint()
                }
            }
        }
        let client = ICEControllingClient(local: iceTestClientCredentials, remote: iceTestServerCredentials, remoteAddress: iceTestServerAddress)
        let req = ICETestBuffer(), resp = ICETestBuffer(), back = ICETestBuffer()
        var now: UInt64 = 0
        let before = count()
        for _ in 0..<2_000 {
            if let n = client.poll(now: now, into: req.bytes) {
                let o = agent.handle(datagram: UnsafeRawBufferPointer(rebasing: req.bytes[0..<n]), from: iceTestClientAddress, now: now, response: resp.bytes)
                if case .respond(let k) = o.action {
                    _ = client.handle(datagram: UnsafeRawBufferPointer(rebasing: resp.bytes[0..<k]), from: iceTestServerAddress, now: now, response: back.bytes)
                }
            }
            now = client.nextDeadline ?? now
        }
        print("ICE-PROBE client loop: \(count() - before) allocations over 2000 turns, sent \(client.counters.requestsSent), state \(client.state)")
    }
}
