import Podium

// Fuzz targets for RTP packets (parse, walk, in-place rewrite, copy-and-rewrite, build) and the
// RTP header extension value codecs.

private func withScratch<R>(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 1)
    defer { buffer.deallocate() }
    return body(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
}

private func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    a.count == b.count && a.elementsEqual(b)
}

@Sendable func fuzzRTP(_ data: UnsafeRawBufferPointer) {
    guard let p = try? RTPPacket(parsing: data) else { return }
    _ = p.description

    // Walk: every range lies inside the packet, in order.
    if p.payloadOffset + p.payloadCount + p.paddingCount != data.count { fuzzFailure("RTP ranges do not add up") }
    if p.payloadOffset < 12 + 4 * p.csrcCount { fuzzFailure("RTP payload overlaps the header") }
    for i in 0..<p.csrcCount { _ = p.csrc(at: i) }
    var previousEnd = p.payloadOffset - p.extensionData.count
    for e in p.extensions {
        if e.id == 0 { fuzzFailure("RTP element with id 0") }
        if e.valueOffset < previousEnd || e.valueOffset + e.value.count > p.payloadOffset { fuzzFailure("RTP element out of block") }
        if p.extensionForm == .oneByte && (e.id > 14 || e.value.isEmpty || e.value.count > 16) { fuzzFailure("RTP one-byte element shape") }
        previousEnd = e.valueOffset + e.value.count
        guard let first = p.extension(id: e.id) else { fuzzFailure("RTP lookup lost an element") }
        if first.baseAddress! > e.value.baseAddress! { fuzzFailure("RTP lookup is not the first element") }
    }

    // Round trip.
    withScratch(p.encodedSize) { out in
        guard (try? p.write(into: out)) == data.count, same(UnsafeRawBufferPointer(out), data) else { fuzzFailure("RTP write") }
    }

    // Copy-and-rewrite with a map and a reservation derived from the input.
    let salt = data[data.count - 1]
    var map = RTPExtensionIDMap()
    for id in 1...255 where (id &+ Int(salt)) % 3 != 0 { map[UInt8(id)] = UInt8(truncatingIfNeeded: id &* 7 &+ Int(salt)) }
    let reservedID = salt % 5 == 0 ? 0 : UInt8(truncatingIfNeeded: Int(salt) &* 13) | 1
    let reservedLength = reservedID == 0 ? 0 : Int(salt % 20)
    let header = RTPHeader(marker: salt & 1 == 0, payloadType: salt & 0x7F, sequenceNumber: UInt16(salt) &* 257,
                           timestamp: UInt32(salt) &* 0x0101_0101, ssrc: ~UInt32(salt))
    let size = p.copiedSize(extensionIDs: map, reservingExtension: reservedID, length: reservedLength)
    withScratch(size + 3) { out in
        if (try? p.copy(into: UnsafeMutableRawBufferPointer(rebasing: out[0..<size - 1]), header: header, extensionIDs: map,
                        reservingExtension: reservedID, length: reservedLength)) != nil {
            fuzzFailure("RTP copy into a short buffer succeeded")
        }
        guard let r = try? p.copy(into: out, header: header, extensionIDs: map, reservingExtension: reservedID, length: reservedLength),
              r.count == size else { fuzzFailure("RTP copy size") }
        if reservedID != 0 {
            for i in 0..<reservedLength { out[r.reservedValueOffset + i] = UInt8(truncatingIfNeeded: i) ^ salt }
        }
        var expectedCount = reservedID == 0 ? 0 : 1
        for e in p.extensions where map[e.id] != 0 && map[e.id] != reservedID { expectedCount += 1 }
        let copied: RTPPacket
        do throws(ParseError) {
            copied = try RTPPacket(parsing: UnsafeRawBufferPointer(rebasing: out[0..<size]))
        } catch {
            if expectedCount > RTPPacket.maxExtensions && error.kind == .limitExceeded { return }
            fuzzFailure("RTP copy does not parse: \(error)")
        }
        if copied.header != header { fuzzFailure("RTP copy header") }
        if !same(copied.payload, p.payload) || copied.paddingCount != p.paddingCount || !same(copied.csrcBytes, p.csrcBytes) {
            fuzzFailure("RTP copy payload/padding/CSRCs")
        }
        if copied.extensionCount != expectedCount { fuzzFailure("RTP copy element count \(copied.extensionCount) != \(expectedCount)") }
        var j = 0
        for e in p.extensions where map[e.id] != 0 && map[e.id] != reservedID {
            let c = copied.extensionElement(at: j)
            if c.id != map[e.id] || !same(c.value, e.value) { fuzzFailure("RTP copy element \(j)") }
            j += 1
        }
        if reservedID != 0 {
            let c = copied.extensionElement(at: j)
            if c.id != reservedID || c.value.count != reservedLength || c.valueOffset != r.reservedValueOffset { fuzzFailure("RTP copy reserved element") }
        }
    }

    // In place: header fields and id remapping on a copy; the view must match a fresh parse.
    withScratch(data.count) { out in
        out.copyMemory(from: data)
        guard var m = try? MutableRTPPacket(parsing: out) else { fuzzFailure("RTP copy of a valid packet does not parse") }
        m.setHeader(header)
        let remapped = m.remapExtensionIDs(map)
        m.removeExtension(id: salt)
        guard let again = try? RTPPacket(parsing: UnsafeRawBufferPointer(out)) else { fuzzFailure("RTP in-place rewrite broke the packet") }
        if again.header != header || !same(again.payload, p.payload) || again.paddingCount != p.paddingCount { fuzzFailure("RTP in-place header") }
        if again.extensionCount != m.packet.extensionCount { fuzzFailure("RTP in-place view diverged") }
        for i in 0..<again.extensionCount {
            let a = again.extensionElement(at: i), b = m.packet.extensionElement(at: i)
            if a.id != b.id || a.valueOffset != b.valueOffset || a.value.count != b.value.count { fuzzFailure("RTP in-place element \(i)") }
        }
        if !remapped && p.extensionForm != .oneByte { fuzzFailure("RTP two-byte remap refused") }
    }

    // Build the same packet from its parts: the builder's output parses back to the same parts.
    var list = RTPExtensionList()
    for e in p.extensions { try? list.append(id: e.id, value: e.value) }
    let csrcs = (0..<p.csrcCount).map { p.csrc(at: $0) }
    let padding = p.paddingCount
    let built = RTPPacket.encodedSize(csrcCount: csrcs.count, extensions: list, payloadCount: p.payloadCount, paddingCount: padding)
    withScratch(built) { out in
        let n = csrcs.withUnsafeBufferPointer { c in
            try? RTPPacket.write(header: p.header, csrcs: c, extensions: list, payload: p.payload, paddingCount: padding, into: out)
        }
        guard n == built, let b = try? RTPPacket(parsing: UnsafeRawBufferPointer(out)) else { fuzzFailure("RTP build") }
        if b.header != p.header || !same(b.payload, p.payload) || b.paddingCount != padding || !same(b.csrcBytes, p.csrcBytes) {
            fuzzFailure("RTP build fields")
        }
        if b.extensionCount != list.count { fuzzFailure("RTP build element count") }
        for i in 0..<list.count where b.extensionElement(at: i).id != list.id(at: i) || !same(b.extensionElement(at: i).value, list.value(at: i)) {
            fuzzFailure("RTP build element \(i)")
        }
    }
}

/// Parses `data` with `parse`; when it succeeds, writes the value back and parses that again.
private func roundTrip<T: Equatable>(_ data: UnsafeRawBufferPointer, _ name: String,
                                     _ parse: (UnsafeRawBufferPointer) throws(ParseError) -> T,
                                     _ write: (T, UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int) {
    guard let v = try? parse(data) else { return }
    withScratch(300) { out in
        guard let n = try? write(v, out) else { fuzzFailure("\(name) write") }
        guard let again = try? parse(UnsafeRawBufferPointer(rebasing: out[0..<n])) else { fuzzFailure("\(name) written value does not parse") }
        if again != v { fuzzFailure("\(name) round trip") }
    }
}

@Sendable func fuzzRTPExtensions(_ data: UnsafeRawBufferPointer) {
    roundTrip(data, "mid", { b throws(ParseError) in try MediaIDExtension(parsing: b) }, { v, o throws(BufferTooSmall) in try v.write(into: o) })
    roundTrip(data, "rid", { b throws(ParseError) in try RTPStreamIDExtension(parsing: b) }, { v, o throws(BufferTooSmall) in try v.write(into: o) })
    roundTrip(data, "repaired-rid", { b throws(ParseError) in try RepairedRTPStreamIDExtension(parsing: b) }, { v, o throws(BufferTooSmall) in try v.write(into: o) })
    roundTrip(data, "abs-send-time", { b throws(ParseError) in try AbsSendTimeExtension(parsing: b) }, { v, o throws(BufferTooSmall) in try v.write(into: o) })
    roundTrip(data, "transport-cc", { b throws(ParseError) in try TransportSequenceNumberExtension(parsing: b) }, { v, o throws(BufferTooSmall) in try v.write(into: o) })
    roundTrip(data, "audio-level", { b throws(ParseError) in try AudioLevelExtension(parsing: b) }, { v, o throws(BufferTooSmall) in try v.write(into: o) })
    roundTrip(data, "video-orientation", { b throws(ParseError) in try VideoOrientationExtension(parsing: b) }, { v, o throws(BufferTooSmall) in try v.write(into: o) })
    roundTrip(data, "playout-delay", { b throws(ParseError) in try PlayoutDelayExtension(parsing: b) }, { v, o throws(BufferTooSmall) in try v.write(into: o) })

    if let t = try? RTPExtensionToken(parsing: data, syntax: .token) {
        if !t.matches(data) || t.count != data.count { fuzzFailure("token matches") }
        _ = t.description
    }
    if data.count >= 3 {
        let a = AbsSendTimeExtension(rawValue: data.loadBigEndianUInt24(at: 0))
        if AbsSendTimeExtension(nanoseconds: a.nanoseconds) != a { fuzzFailure("abs-send-time nanoseconds round trip") }
    }
    if data.count >= 8 {
        // Serial arithmetic and NTP conversions over arbitrary values.
        let x = data.loadBigEndianUInt16(at: 0), y = data.loadBigEndianUInt16(at: 2)
        let d = SerialNumber.distance(from: x, to: y)
        if x != y && SerialNumber.isNewer(x, than: y) == SerialNumber.isNewer(y, than: x) { fuzzFailure("isNewer antisymmetry") }
        if x &+ UInt16(truncatingIfNeeded: d) != y { fuzzFailure("distance") }
        let ntp = NTPTimestamp(rawValue: data.loadBigEndianUInt64(at: 0))
        if ntp.seconds >= UInt32(NTPTimestamp.unixEpochOffset), ntp.seconds < UInt32.max {
            let back = NTPTimestamp(unixNanoseconds: ntp.unixNanoseconds)
            let diff = back.rawValue > ntp.rawValue ? back.rawValue - ntp.rawValue : ntp.rawValue - back.rawValue
            if diff > 3 { fuzzFailure("NTP unix round trip \(ntp.rawValue) → \(back.rawValue)") }
        }
        _ = NTPCompactTimestamp.roundTripTime(arrival: ntp.compact, lastSR: data.loadBigEndianUInt32(at: 2), delaySinceLastSR: data.loadBigEndianUInt32(at: 4))
    }
    _ = DatagramKind(classifying: data)
}
