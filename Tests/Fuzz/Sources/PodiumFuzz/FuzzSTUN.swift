import Podium

private let stunFuzzKey = HMACSHA1(password: "VOkJxbRl1RmTxUk/WvJxBt")

/// STUN (RFC 8489): parse; walk every attribute and typed accessor; check FINGERPRINT and
/// MESSAGE-INTEGRITY without trapping; rebuild the same attributes raw (must reproduce the bytes) and
/// rebuild the typed attributes with fresh MESSAGE-INTEGRITY and FINGERPRINT (must parse, verify and
/// say the same).
@Sendable func fuzzSTUN(_ data: UnsafeRawBufferPointer) {
    guard let m = try? STUNMessage(parsing: data) else { return }
    if !STUNMessage.looksLikeSTUN(data) { fuzzFailure("parsed but looksLikeSTUN is false") }

    var end = STUNMessage.headerSize
    for a in m.attributes {
        if a.offset != end { fuzzFailure("attribute at \(a.offset), expected \(end)") }
        end = a.offset + 4 + (a.value.count + 3) & ~3
        if end > data.count { fuzzFailure("attribute past end") }
    }
    if end != data.count { fuzzFailure("iteration stopped at \(end) of \(data.count)") }
    for t in m.unknownComprehensionRequired where t.isUnderstood || !t.isComprehensionRequired {
        fuzzFailure("reported \(t) as unknown comprehension-required")
    }
    var unknown = m.unknownComprehensionRequired
    if m.hasUnknownComprehensionRequired != (unknown.next() != nil) {
        fuzzFailure("hasUnknownComprehensionRequired disagrees with the iterator")
    }
    _ = m.description
    _ = m.isFingerprintValid
    _ = m.isMessageIntegrityValid(key: stunFuzzKey)
    if let f = m.fingerprintOffset, f + 8 != data.count { fuzzFailure("FINGERPRINT not last") }

    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count + 64, alignment: 8)
    defer { buffer.deallocate() }

    // Raw rebuild: every attribute with its original padding bytes.
    do {
        var b = try STUNMessageBuilder(into: buffer, type: m.type, transactionID: m.transactionID)
        for a in m.attributes {
            let at = try b.appendAttribute(a.type, length: a.value.count)
            let padded = (a.value.count + 3) & ~3
            UnsafeMutableRawBufferPointer(rebasing: buffer[at..<at + padded])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: data[a.offset + 4..<a.offset + 4 + padded]))
        }
        if !b.bytes.elementsEqual(data) { fuzzFailure("raw rebuild differs") }
    } catch {
        fuzzFailure("raw rebuild: \(error)")
    }

    // Typed rebuild.
    do {
        var b = try STUNMessageBuilder(into: buffer, type: m.type, transactionID: m.transactionID)
        if let v = m.username { try b.appendUsername(v) }
        if let v = m.software { try b.appendSoftware(v) }
        if let v = m.realm { try b.append(.realm, value: v) }
        if let v = m.nonce { try b.append(.nonce, value: v) }
        if let v = m.priority { try b.appendPriority(v) }
        if m.hasUseCandidate { try b.appendUseCandidate() }
        if let v = m.iceControlling { try b.appendICEControlling(v) }
        if let v = m.iceControlled { try b.appendICEControlled(v) }
        if let v = m.xorMappedAddress { try b.appendXORMappedAddress(v) }
        if let v = m.mappedAddress { try b.appendMappedAddress(v) }
        if let e = m.errorCode { try b.appendErrorCode(e.code, reason: e.reason) }
        if let list = m.unknownAttributes {
            var at = try b.appendAttribute(.unknownAttributes, length: 2 * list.count)
            for t in list {
                buffer.storeBigEndian(t.rawValue, at: at)
                at += 2
            }
        }
        try b.appendMessageIntegrity(key: stunFuzzKey)
        try b.appendFingerprint()

        let r: STUNMessage
        do { r = try STUNMessage(parsing: b.bytes) } catch { fuzzFailure("typed rebuild does not parse: \(error)") }
        if r.type != m.type || r.transactionID != m.transactionID { fuzzFailure("header changed") }
        if !r.isFingerprintValid { fuzzFailure("rebuilt FINGERPRINT invalid") }
        if !r.isMessageIntegrityValid(key: stunFuzzKey) { fuzzFailure("rebuilt MESSAGE-INTEGRITY invalid") }
        if r.hasUnknownComprehensionRequired { fuzzFailure("typed rebuild has unknown attributes") }
        func same(_ x: UnsafeRawBufferPointer?, _ y: UnsafeRawBufferPointer?) -> Bool {
            switch (x, y) {
            case (nil, nil): true
            case let (x?, y?): x.elementsEqual(y)
            default: false
            }
        }
        guard same(r.username, m.username), same(r.software, m.software), same(r.realm, m.realm), same(r.nonce, m.nonce),
              r.priority == m.priority, r.hasUseCandidate == m.hasUseCandidate,
              r.iceControlling == m.iceControlling, r.iceControlled == m.iceControlled,
              r.xorMappedAddress == m.xorMappedAddress, r.mappedAddress == m.mappedAddress,
              r.errorCode?.code == m.errorCode?.code, same(r.errorCode?.reason, m.errorCode?.reason),
              r.unknownAttributes.map(Array.init) == m.unknownAttributes.map(Array.init)
        else { fuzzFailure("typed rebuild differs:\n\(m)\n\(r)") }
    } catch {
        // Only a message near the 64 KiB limit can outgrow its buffer (+64 bytes) when MESSAGE-INTEGRITY
        // and FINGERPRINT are added.
        if data.count + 32 < STUNMessageBuilder.maxSize { fuzzFailure("typed rebuild: \(error)") }
    }
}

