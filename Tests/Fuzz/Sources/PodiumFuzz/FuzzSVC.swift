import Podium

// Fuzz targets for VP9 descriptors, AV1 payloads and the Dependency Descriptor.

@Sendable func fuzzVP9(_ data: UnsafeRawBufferPointer) {
    guard let d = try? VP9PayloadDescriptor(parsing: data) else { return }
    guard d.payloadHeaderSize < data.count else { fuzzFailure("VP9 descriptor covers the whole payload") }
    _ = d.description
    if let ss = d.scalabilityStructure {
        var groups = 0
        for g in ss.pictureGroups { groups += 1; _ = g.referenceDiffs.count }
        if groups != ss.pictureGroupCount { fuzzFailure("VP9 SS group count") }
        for l in 0..<ss.spatialLayerCount { _ = ss.resolution(spatialLayer: l) }
    }
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: d.encodedSize + 1, alignment: 1)
    defer { out.deallocate() }
    guard let n = try? d.write(into: out), n == d.encodedSize else { fuzzFailure("VP9 write") }
    out[n] = 0xAA
    guard let back = try? VP9PayloadDescriptor(parsing: UnsafeRawBufferPointer(out)) else { fuzzFailure("VP9 reparse") }
    if back != d { fuzzFailure("VP9 round trip: \(d) != \(back)") }
    if d.pictureID != nil {
        d.rewritePictureID(0x7ABC, in: out)
        d.rewriteTL0PicIndex(0x5A, in: out)
        guard let r = try? VP9PayloadDescriptor(parsing: UnsafeRawBufferPointer(out)) else { fuzzFailure("VP9 rewrite reparse") }
        if r.pictureID != (d.hasLongPictureID ? 0x7ABC : 0x3C) || (d.tl0PicIndex != nil && r.tl0PicIndex != 0x5A) {
            fuzzFailure("VP9 rewrite")
        }
    }
}

@Sendable func fuzzAV1(_ data: UnsafeRawBufferPointer) {
    guard let p = try? AV1Payload(parsing: data) else { return }
    _ = p.description
    var header = p.aggregationHeader
    header.elementCount = 0
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count + 5 * p.elementCount + 1, alignment: 1)
    defer { out.deallocate() }
    var at = 1
    out[0] = header.byte
    var count = 0
    for e in p.elements {
        count += 1
        if !e.isContinuation && e.header == nil { fuzzFailure("AV1 element without header") }
        guard let n = try? LEB128.write(UInt32(e.bytes.count), into: out, at: at) else { fuzzFailure("AV1 leb128 write") }
        at += n
        UnsafeMutableRawBufferPointer(rebasing: out[at..<at + e.bytes.count]).copyMemory(from: e.bytes)
        at += e.bytes.count
    }
    if count != p.elementCount { fuzzFailure("AV1 element count") }
    guard let q = try? AV1Payload(parsing: UnsafeRawBufferPointer(rebasing: out[0..<at])) else { fuzzFailure("AV1 reparse") }
    if q.elementCount != p.elementCount || q.frameType != p.frameType || q.isKeyframe != p.isKeyframe
        || q.temporalLayerID != p.temporalLayerID || q.spatialLayerID != p.spatialLayerID
        || q.containsSequenceHeader != p.containsSequenceHeader || q.firstOBUType != p.firstOBUType {
        fuzzFailure("AV1 round trip: \(p) != \(q)")
    }
    if !zip(q.elements, p.elements).allSatisfy({ $0.bytes.elementsEqual($1.bytes) && $0.header == $1.header }) {
        fuzzFailure("AV1 elements differ")
    }
}

/// Input: one length byte, the first extension element (parsed with no structure), then the rest as
/// a second element parsed against whatever structure the first one left.
@Sendable func fuzzDependencyDescriptor(_ data: UnsafeRawBufferPointer) {
    guard let n = data.first else { return }
    let first = UnsafeRawBufferPointer(rebasing: data[1..<min(data.count, 1 + Int(n))])
    let second = UnsafeRawBufferPointer(rebasing: data[min(data.count, 1 + Int(n))...])
    var structure = FrameDependencyStructure()
    for packet in [first, second] {
        let before = structure
        guard let d = try? DependencyDescriptor(parsing: packet, structure: &structure) else {
            if structure != before { fuzzFailure("DD failed parse changed the structure") }
            continue
        }
        if d.attachesStructure { _ = d.description }
        if !d.attachesStructure && structure != before { fuzzFailure("DD structure changed without T") }
        for dt in 0..<structure.decodeTargetCount {
            _ = d.isSwitchPoint(forDecodeTarget: dt)
            _ = structure.layer(ofDecodeTarget: dt)
        }
        let size = d.encodedSize(structure: structure)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
        defer { out.deallocate() }
        guard let written = try? d.write(into: out, structure: structure), written == size else { fuzzFailure("DD write") }
        var again = before
        guard let back = try? DependencyDescriptor(parsing: UnsafeRawBufferPointer(out), structure: &again) else {
            fuzzFailure("DD reparse of \(d)")
        }
        if back != d { fuzzFailure("DD round trip: \(d) != \(back)") }
        if again != structure { fuzzFailure("DD structure round trip") }
        _ = DependencyDescriptor.rewriteFrameNumber(d.frameNumber &+ 1, in: out)
        guard let m = try? DependencyDescriptor.MandatoryFields(parsing: UnsafeRawBufferPointer(out)),
              m.frameNumber == d.frameNumber &+ 1 else { fuzzFailure("DD frame number rewrite") }
    }
}
