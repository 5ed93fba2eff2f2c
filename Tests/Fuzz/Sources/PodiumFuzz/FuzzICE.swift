import Podium

/// Fixed credentials of the `ice` target. Tests/Fuzz/Corpus/ice seeds are checks to "srvUfrag" from
/// "cl1e", signed with the server password, so mutations start from requests that authenticate.
enum ICEFuzz {
    static let local = ICECredentials(ufrag: "srvUfrag", pwd: "serverPassword0123456789")
    static let remote = ICECredentials(ufrag: "cl1e", pwd: "clientPassword+/abcdefgh")
    static let localKey = HMACSHA1(password: local.pwd)
}

/// ICE-lite agent (RFC 8445 §2.5) fed hostile datagrams. First byte, flags:
///   bit 0: re-sign — if the rest parses as STUN, keep its attributes before MESSAGE-INTEGRITY and
///          append a valid MESSAGE-INTEGRITY (server password) and FINGERPRINT, so the fuzzer reaches
///          the code behind authentication;
///   bit 1: source address IPv6; bit 2: remote credentials unknown; bit 3: answer 400/401;
///   bits 4-5: deliver the datagram 1-4 times, 20 s apart (nomination, consent, state);
///   bit 6: a 40-byte response buffer (too small for any answer).
/// Invariants: every datagram lands in exactly one counter; every answer parses as STUN, carries the
/// request's transaction ID and a valid FINGERPRINT, is signed with the server password exactly when
/// the request authenticated, and a success maps the source address; selection follows nominations.
@Sendable func fuzzICE(_ data: UnsafeRawBufferPointer) {
    guard let flags = data.first else { return }
    var datagram = UnsafeRawBufferPointer(rebasing: data[1...])
    let signed = UnsafeMutableRawBufferPointer.allocate(byteCount: datagram.count + 64, alignment: 8)
    defer { signed.deallocate() }
    if flags & 1 != 0, let m = try? STUNMessage(parsing: datagram) {
        do {
            var b = try STUNMessageBuilder(into: signed, type: m.type, transactionID: m.transactionID)
            for a in m.attributes {
                if a.type == .messageIntegrity || a.type == .messageIntegritySHA256 || a.type == .fingerprint { break }
                try b.append(a.type, value: a.value)
            }
            try b.appendMessageIntegrity(key: ICEFuzz.localKey)
            try b.appendFingerprint()
            datagram = b.bytes
        } catch {
            // Near the 64 KiB limit the signed copy may not fit: fuzz the original bytes.
        }
    }

    let source = flags & 2 != 0
        ? SocketAddress(ipv6: 0x2001, 0xdb8, 0, 0, 0, 0, 0, 7, port: 50_123)
        : SocketAddress(ipv4: 198, 51, 100, 7, port: 50_123)
    let agent = ICELiteAgent(local: ICEFuzz.local, remote: flags & 4 != 0 ? nil : ICEFuzz.remote, tieBreaker: 1,
                             configuration: .init(unauthenticatedRequests: flags & 8 != 0 ? .respondWithError : .drop))
    let responseSize = flags & 64 != 0 ? 40 : 1500
    let response = UnsafeMutableRawBufferPointer.allocate(byteCount: responseSize, alignment: 8)
    defer { response.deallocate() }

    let deliveries = Int(flags >> 4 & 3) + 1
    for i in 0..<deliveries {
        let now = UInt64(i) * 20 * ICETime.second
        let before = agent.selectedAddress
        let outcome = agent.handle(datagram: datagram, from: source, now: now, response: response)
        if agent.counters.handled != UInt64(i + 1) { fuzzFailure("handled \(agent.counters.handled) after \(i + 1) datagrams") }
        if outcome.nominated && !outcome.authenticated { fuzzFailure("nominated without authentication") }
        if outcome.selectedChanged != (before != agent.selectedAddress) { fuzzFailure("selectedChanged disagrees with selectedAddress") }
        if outcome.selectedChanged && agent.selectedAddress != source { fuzzFailure("selected an address other than the source") }

        let count: Int
        let expectedCode: Int?
        switch outcome.action {
        case .accepted, .drop:
            if outcome.authenticated && outcome.action != .accepted { fuzzFailure("authenticated request dropped: \(outcome.action)") }
            continue
        case .respond(let n):
            count = n
            expectedCode = nil
        case .respondWithError(let code, let n):
            count = n
            expectedCode = code
        }
        if count > responseSize { fuzzFailure("response of \(count) bytes in a \(responseSize)-byte buffer") }
        let answer = UnsafeRawBufferPointer(rebasing: response[0..<count])
        let r: STUNMessage
        do { r = try STUNMessage(parsing: answer) } catch { fuzzFailure("answer does not parse: \(error)") }
        guard let request = try? STUNMessage(parsing: datagram) else { fuzzFailure("answered a datagram that does not parse") }
        if r.transactionID != request.transactionID { fuzzFailure("answer has another transaction ID") }
        if !r.isFingerprintValid { fuzzFailure("answer FINGERPRINT invalid") }
        if r.isMessageIntegrityValid(key: ICEFuzz.localKey) != outcome.authenticated { fuzzFailure("answer signed iff authenticated violated") }
        if let code = expectedCode {
            if r.type != .bindingError || r.errorCode?.code != code { fuzzFailure("error answer is not a \(code)") }
        } else {
            if r.type != .bindingSuccess || r.xorMappedAddress != source { fuzzFailure("success answer does not map the source") }
        }
    }
    _ = agent.state(now: UInt64(deliveries) * 20 * ICETime.second)
    _ = agent.consentExpired(now: UInt64(deliveries) * 20 * ICETime.second)
}
