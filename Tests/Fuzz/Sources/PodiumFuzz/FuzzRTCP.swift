import Podium

/// RTCP compound walk: every packet that parses is walked, written back, and parses again to an equal
/// packet; the written size matches `encodedSize`.
@Sendable func fuzzRTCP(_ data: UnsafeRawBufferPointer) {
    guard let compound = try? RTCPCompound(parsing: data) else { return }
    _ = try? compound.validateCompoundRules()
    var it = compound.makeIterator()
    var seen = 0
    while true {
        let packet: RTCPPacket
        do {
            guard let p = try it.next() else { break }
            packet = p
        } catch { break }
        seen += 1
        if seen > compound.count { fuzzFailure("more packets than counted") }
        walkRTCP(packet)
        let size = packet.encodedSize
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 4)
        defer { out.deallocate() }
        let exact = UnsafeMutableRawBufferPointer(rebasing: out[0..<size])
        guard let written = try? packet.write(into: exact) else { fuzzFailure("write failed: \(packet)") }
        if written != size { fuzzFailure("wrote \(written) of \(size): \(packet)") }
        if size > 0, (try? packet.write(into: UnsafeMutableRawBufferPointer(rebasing: out[0..<(size - 1)]))) != nil {
            fuzzFailure("write into a short buffer succeeded")
        }
        let again: RTCPPacket
        do { again = try RTCPPacket(parsing: UnsafeRawBufferPointer(exact)) } catch {
            fuzzFailure("re-parse failed: \(error) for \(packet)")
        }
        if again != packet { fuzzFailure("round trip changed \(packet) into \(again)") }
    }
}

/// Touches every field an iterator exposes.
func walkRTCP(_ packet: RTCPPacket) {
    var sink = 0
    switch packet {
    case .senderReport(let sr): for b in sr.reportBlocks { sink &+= Int(b.cumulativeLost) }
    case .receiverReport(let rr): for b in rr.reportBlocks { sink &+= Int(b.jitter) }
    case .sdes(let sdes): for chunk in sdes.chunks { for item in chunk.items { sink &+= item.value.count } }
    case .bye(let bye): sink &+= bye.ssrcs.count + (bye.reason?.count ?? 0)
    case .genericNACK(let nack): for seq in nack.lostSequenceNumbers { sink &+= Int(seq) }
    case .transportFeedback(let fb):
        var n = 0
        for status in fb.packets { sink &+= Int(status.deltaTicks); n += 1 }
        if n != Int(fb.packetStatusCount) { fuzzFailure("TWCC iterated \(n) of \(fb.packetStatusCount)") }
    case .fir(let fir): for e in fir.entries { sink &+= Int(e.sequenceNumber) }
    case .remb(let remb): sink &+= Int(truncatingIfNeeded: remb.bitrate) &+ remb.ssrcs.count
    case .extendedReport(let xr): for block in xr.blocks { sink &+= block.encodedSize }
    case .app, .pli, .unknown: break
    }
    if sink == 0x7fff_ffff_ffff { _ = packet.description }
    _ = packet.description
}

/// Transport-cc feedback: parse, iterate every status, rebuild with the builder from the statuses and
/// arrival times, and check the rebuilt packet means the same.
@Sendable func fuzzTWCC(_ data: UnsafeRawBufferPointer) {
    guard let fb = try? TransportCCFeedback(parsing: data) else { return }
    let count = Int(fb.packetStatusCount)
    let capacity = 20 + 4 * count + 8
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 4)
    defer { out.deallocate() }
    var builder = TransportCCFeedbackBuilder(senderSSRC: fb.senderSSRC, mediaSSRC: fb.mediaSSRC, baseSequence: fb.baseSequence,
                                             referenceTime: fb.referenceTime, feedbackPacketCount: fb.feedbackPacketCount, buffer: out)
    var n = 0
    for status in fb.packets {
        n += 1
        if status.isReceived != (status.arrivalMicros != nil) { fuzzFailure("arrival without reception") }
        if !builder.add(sequence: status.sequence, arrivalMicros: status.arrivalMicros) {
            fuzzFailure("builder refused status \(n) of \(fb): \(status)")
        }
    }
    if n != count { fuzzFailure("iterated \(n) of \(count)") }
    guard let size = builder.finish() else { fuzzFailure("builder produced nothing for \(fb)") }
    let rebuilt: TransportCCFeedback
    do { rebuilt = try TransportCCFeedback(parsing: UnsafeRawBufferPointer(rebasing: out[0..<size])) } catch {
        fuzzFailure("rebuilt feedback does not parse: \(error)")
    }
    if rebuilt != fb { fuzzFailure("rebuilt \(rebuilt) differs from \(fb)") }
    // Write-back of the parsed view reproduces a packet equal to it.
    let back = UnsafeMutableRawBufferPointer.allocate(byteCount: fb.encodedSize, alignment: 4)
    defer { back.deallocate() }
    guard let w = try? fb.write(into: back), w == fb.encodedSize else { fuzzFailure("write-back failed") }
    guard let reparsed = try? TransportCCFeedback(parsing: UnsafeRawBufferPointer(back)), reparsed == fb else {
        fuzzFailure("write-back does not parse equal")
    }
}
