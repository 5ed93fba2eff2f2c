import Podium

// Fuzz target for RTX (RFC 4588 §4): unwrap hostile bytes as an RTX packet; when that works, the
// original wraps back to the input (without padding), in-place unwrap agrees, short buffers fail,
// and the forwarding form carries the same OSN and payload.

private func withRTXScratch<R>(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 1)
    defer { buffer.deallocate() }
    return body(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
}

@Sendable func fuzzRTX(_ data: UnsafeRawBufferPointer) {
    guard let rtx = try? RTPPacket(parsing: data) else {
        withRTXScratch(data.count + 2) { out in
            if (try? RTX.unwrap(bytes: data, originalSSRC: 1, originalPayloadType: 96, into: out)) != nil { fuzzFailure("RTX unwrap of non-RTP succeeded") }
        }
        return
    }
    let ssrc = ~rtx.ssrc
    let pt = (rtx.payloadType &+ 1) & 0x7F
    withRTXScratch(data.count) { out in
        let n: Int
        do {
            n = try RTX.unwrap(rtx, originalSSRC: ssrc, originalPayloadType: pt, into: out)
        } catch {
            if rtx.payloadCount >= 2 { fuzzFailure("RTX unwrap failed with an OSN present: \(error)") }
            return
        }
        if n != rtx.payloadOffset + rtx.payloadCount - 2 { fuzzFailure("RTX unwrapped size") }
        let unwrapped = UnsafeRawBufferPointer(rebasing: out[0..<n])

        // In place gives the same bytes.
        withRTXScratch(data.count) { copy in
            copy.copyMemory(from: data)
            guard let m = try? RTX.unwrapInPlace(copy, originalSSRC: ssrc, originalPayloadType: pt), m == n,
                  UnsafeRawBufferPointer(rebasing: copy[0..<m]).elementsEqual(unwrapped) else { fuzzFailure("RTX in-place unwrap differs") }
        }
        // One byte short fails.
        if n > 0, (try? RTX.unwrap(rtx, originalSSRC: ssrc, originalPayloadType: pt, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<n - 1]))) != nil {
            fuzzFailure("RTX unwrap into a short buffer succeeded")
        }
        guard let original = try? RTPPacket(parsing: unwrapped) else { fuzzFailure("RTX unwrapped packet does not parse") }
        if original.ssrc != ssrc || original.payloadType != pt || original.sequenceNumber != rtx.bytes.loadBigEndianUInt16(at: rtx.payloadOffset)
            || original.hasPadding || original.marker != rtx.marker || original.timestamp != rtx.timestamp { fuzzFailure("RTX unwrapped header") }

        // Wrapping again reproduces the input without its padding.
        withRTXScratch(RTX.wrappedSize(of: original)) { again in
            guard let w = try? RTX.wrap(original, ssrc: rtx.ssrc, payloadType: rtx.payloadType, sequenceNumber: rtx.sequenceNumber, into: again),
                  w == rtx.payloadOffset + rtx.payloadCount else { fuzzFailure("RTX wrap size") }
            if again[0] != data[0] & ~0x20 || !UnsafeRawBufferPointer(rebasing: again[1..<w]).elementsEqual(UnsafeRawBufferPointer(rebasing: data[1..<w])) {
                fuzzFailure("RTX wrap(unwrap(x)) != x without padding")
            }
            if w > 0, (try? RTX.wrap(original, ssrc: 1, payloadType: 1, sequenceNumber: 1, into: UnsafeMutableRawBufferPointer(rebasing: again[0..<w - 1]))) != nil {
                fuzzFailure("RTX wrap into a short buffer succeeded")
            }
        }

        // The forwarding form over an identity map.
        let header = RTPHeader(marker: original.marker, payloadType: 97, sequenceNumber: 9, timestamp: 10, ssrc: 11)
        let osn = original.sequenceNumber &+ 1
        // Why: one more element than the parser indexes would not parse back.
        let reserved: UInt8 = original.extensionCount < RTPPacket.maxExtensions ? 3 : 0
        let length = reserved == 0 ? 0 : 2
        withRTXScratch(RTX.requiredCapacity(of: original, extensionIDs: .identity, reservingExtension: reserved, length: length)) { fwd in
            guard let r = try? RTX.wrap(original, header: header, originalSequenceNumber: osn, extensionIDs: .identity,
                                        reservingExtension: reserved, length: length, into: fwd),
                  let p = try? RTPPacket(parsing: UnsafeRawBufferPointer(rebasing: fwd[0..<r.count])) else { fuzzFailure("RTX forwarding wrap") }
            guard p.header == header, !p.hasPadding, (try? RTX.originalSequenceNumber(of: p)) == osn,
                  let payload = try? RTX.originalPayload(of: p), payload.elementsEqual(original.payload) else { fuzzFailure("RTX forwarding wrap content") }
        }
    }
}
