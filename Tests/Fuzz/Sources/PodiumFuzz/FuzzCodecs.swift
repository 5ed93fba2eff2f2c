import Podium

// Fuzz targets for the VP8, H.264 and Opus payload descriptors.

/// Copies `data` into a fresh, exactly sized mutable buffer for `body`.
private func withCopy<R>(_ data: UnsafeRawBufferPointer, extra: Int = 0, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count + extra, 1), alignment: 1)
    defer { copy.deallocate() }
    if data.count > 0 { copy.copyMemory(from: data) }
    return body(UnsafeMutableRawBufferPointer(rebasing: copy[0..<data.count + extra]))
}

@Sendable func fuzzVP8(_ data: UnsafeRawBufferPointer) {
    guard let d = try? VP8PayloadDescriptor(parsing: data) else { return }
    _ = d.description
    let size = d.payloadHeaderSize
    guard size >= 1, size <= 6, size < data.count else { fuzzFailure("VP8 descriptor size \(size) of \(data.count)") }

    // Write the descriptor in front of the same bitstream: it must parse to the same thing.
    withCopy(data, extra: 8) { out in
        guard let n = try? d.write(into: out), n == size else { fuzzFailure("VP8 write size") }
        let rest = data.count - size
        if rest > 0 { (out.baseAddress! + n).copyMemory(from: data.baseAddress! + size, byteCount: rest) }
        guard let again = try? VP8PayloadDescriptor(parsing: UnsafeRawBufferPointer(rebasing: out[0..<n + rest])) else {
            fuzzFailure("VP8 written descriptor does not parse")
        }
        if again != d { fuzzFailure("VP8 round trip: \(d) != \(again)") }
    }

    // The frame header writes back to the exact bytes it came from.
    if let h = d.frameHeader {
        withCopy(data) { out in
            guard let n = try? h.write(into: out), n == h.encodedSize else { fuzzFailure("VP8 frame header write") }
            for i in 0..<n where out[i] != data[size + i] { fuzzFailure("VP8 frame header byte \(i)") }
        }
    }

    // Rewrite picture id, TL0PICIDX and KEYIDX in a copy; re-parse; everything else unchanged.
    let newID = UInt16(data[data.count - 1]) << 8 | UInt16(data[0])
    let newTL0 = data[data.count - 1] ^ 0x5A
    let newKey = data[0] &+ 7
    withCopy(data) { out in
        let wrotePID = d.rewritePictureID(newID, in: out)
        let wroteTL0 = d.rewriteTL0PicIndex(newTL0, in: out)
        let wroteKey = d.rewriteKeyIndex(newKey, in: out)
        if wrotePID != (d.pictureID != nil) || wroteTL0 != (d.tl0PicIndex != nil) || wroteKey != (d.keyIndex != nil) {
            fuzzFailure("VP8 rewrite reported the wrong fields")
        }
        for i in size..<data.count where out[i] != data[i] { fuzzFailure("VP8 rewrite touched the bitstream") }
        guard let again = try? VP8PayloadDescriptor(parsing: UnsafeRawBufferPointer(out)) else {
            fuzzFailure("VP8 rewritten descriptor does not parse")
        }
        var expected = d
        if d.pictureID != nil {
            expected.pictureID = newID & d.pictureIDMask
            if d.canHold(pictureID: newID) != (newID & ~d.pictureIDMask == 0) { fuzzFailure("VP8 canHold") }
        }
        if d.tl0PicIndex != nil { expected.tl0PicIndex = newTL0 }
        if d.keyIndex != nil { expected.keyIndex = newKey & 0x1F }
        if again != expected { fuzzFailure("VP8 rewrite: \(expected) != \(again)") }
    }
}

@Sendable func fuzzH264(_ data: UnsafeRawBufferPointer) {
    guard let d = try? H264PayloadDescriptor(parsing: data) else { return }
    _ = d.description
    if let sps = d.sps {
        _ = sps.description
        if sps.width <= 0 || sps.height <= 0 || sps.width > 32768 || sps.height > 32768 { fuzzFailure("H.264 SPS size") }
    }
    if d.isKeyframe != (d.hasIDR || (d.hasSPS && d.hasPPS)) { fuzzFailure("H.264 keyframe flags") }

    switch d.packetization {
    case .singleNALUnit, .stapA:
        guard let units = try? H264PayloadDescriptor.NALUnits(parsing: data) else { fuzzFailure("H.264 NALUnits rejected a parsed payload") }
        var count = 0
        var total = 0
        withCopy(data, extra: 4) { out in
            // Rebuild a STAP-A from the units (or wrap a single unit in one): same units back.
            guard var stap = try? H264PayloadWriter.STAPA(into: out) else { fuzzFailure("H.264 STAP-A init") }
            for unit in units {
                if unit.isEmpty || unit.count > 0xFFFF { fuzzFailure("H.264 unit size") }
                count += 1
                total += unit.count
                do throws(BufferTooSmall) { try stap.append(unit) } catch { fuzzFailure("H.264 STAP-A append: \(error)") }
            }
            guard let again = try? H264PayloadDescriptor(parsing: UnsafeRawBufferPointer(rebasing: out[0..<stap.encodedSize])) else {
                fuzzFailure("H.264 rebuilt STAP-A does not parse")
            }
            if again.hasSPS != d.hasSPS || again.hasPPS != d.hasPPS || again.hasIDR != d.hasIDR
                || again.sps != d.sps || again.nalUnitCount != count || again.nalUnitHeader != d.nalUnitHeader
                || again.isStartOfFrame != d.isStartOfFrame {
                fuzzFailure("H.264 STAP-A round trip: \(d) != \(again)")
            }
        }
        if count != d.nalUnitCount { fuzzFailure("H.264 unit count \(count) != \(d.nalUnitCount)") }
        let expected = d.packetization == .stapA ? data.count - 1 - 2 * count : data.count
        if total != expected { fuzzFailure("H.264 units do not cover the payload") }
    case .fuA:
        if d.isFragmentStart && d.isFragmentEnd { fuzzFailure("H.264 FU-A with S and E") }
        withCopy(data) { out in
            guard let n = try? H264PayloadWriter.writeFUAHeader(for: d.nalUnitHeader, start: d.isFragmentStart, end: d.isFragmentEnd, into: out),
                  n == 2 else { fuzzFailure("H.264 FU-A header write") }
            if out[0] != data[0] || out[1] != data[1] & 0xDF { fuzzFailure("H.264 FU-A header bytes") }
            guard let again = try? H264PayloadDescriptor(parsing: UnsafeRawBufferPointer(out)), again == d else {
                fuzzFailure("H.264 FU-A round trip")
            }
        }
    }
}

@Sendable func fuzzOpus(_ data: UnsafeRawBufferPointer) {
    guard let d = try? OpusPayloadDescriptor(parsing: data) else { return }
    _ = d.description
    _ = d.toc.description
    if d.frameCount < 1 || d.frameCount > 48 || d.durationSamples > OpusPayloadDescriptor.maximumDurationSamples {
        fuzzFailure("Opus frame count \(d.frameCount)")
    }
    if d.frameDataOffset > d.frameDataEnd || d.frameDataEnd > data.count { fuzzFailure("Opus frame data bounds") }
    var count = 0
    var total = 0
    var largest = 0
    for frame in d.frames(in: data) {
        if frame.count > OpusPayloadDescriptor.maximumFrameSize { fuzzFailure("Opus frame size") }
        count += 1
        total += frame.count
        largest = max(largest, frame.count)
    }
    if count != d.frameCount { fuzzFailure("Opus frames \(count) != \(d.frameCount)") }
    if largest != d.largestFrameSize { fuzzFailure("Opus largest frame \(largest) != \(d.largestFrameSize)") }
    // The frames exactly fill the data area, except for VBR length bytes in front.
    let lengthBytes = d.frameDataEnd - d.frameDataOffset - total
    if lengthBytes != 0 { fuzzFailure("Opus frames cover \(total) of \(d.frameDataEnd - d.frameDataOffset) bytes") }
    if d.isDTX != (largest <= 1) { fuzzFailure("Opus DTX") }
}
