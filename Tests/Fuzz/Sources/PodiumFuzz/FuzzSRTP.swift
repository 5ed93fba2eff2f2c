import Podium

/// Fixed keys for the `srtp-unprotect` target; Tests/Fuzz/Corpus/srtp-unprotect seeds are protected
/// with them (key byte i = i, salt byte i = 0xA0 + i), so mutations start from valid packets.
enum SRTPFuzzKeys {
    static func key(_ profile: SRTPProfile) -> SRTPMasterKey {
        SRTPMasterKey(key: (0..<profile.masterKeyLength).map { UInt8($0) },
                      salt: (0..<profile.masterSaltLength).map { 0xA0 &+ UInt8($0) })
    }

    /// Loop-back contexts (local key = remote key), one per profile, kept across inputs.
    static let receivers: [SRTPContext] = SRTPProfile.allCases.map {
        try! SRTPContext(profile: $0, local: key($0), remote: key($0), maxStreams: 64)
    }
}

/// First byte: bits 0-1 profile (allCases order), bits 2-3 mode. The rest is the packet.
///   mode 0: unprotect as SRTP; mode 1: unprotect as SRTCP (must never trap or overread; a success
///           returns a length inside the input);
///   mode 2/3: treat the rest as plaintext RTP/RTCP: protect with a fresh context, unprotect with
///           another fresh one, and require the original bytes back.
@Sendable func fuzzSRTPUnprotect(_ data: UnsafeRawBufferPointer) {
    guard let selector = data.first else { return }
    let profileIndex = Int(selector & 3)
    let profile = SRTPProfile.allCases[profileIndex]
    let packet = UnsafeRawBufferPointer(rebasing: data[1...])
    // Exactly sized copies, so AddressSanitizer catches a read or write one byte past the end.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(packet.count, 1), alignment: 1)
    defer { buffer.deallocate() }
    if !packet.isEmpty { buffer.copyMemory(from: packet) }
    let exact = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<packet.count])

    switch (selector >> 2) & 3 {
    case 0:
        if let n = try? SRTPFuzzKeys.receivers[profileIndex].unprotectRTP(exact) {
            if n < 12 || n != packet.count - profile.rtpAuthTagLength { fuzzFailure("SRTP plaintext length \(n) of \(packet.count)") }
        }
    case 1:
        if let n = try? SRTPFuzzKeys.receivers[profileIndex].unprotectRTCP(exact) {
            let most = packet.count - profile.rtcpOverhead
            if n < 8 || n != most { fuzzFailure("SRTCP plaintext length \(n) of \(packet.count)") }
        }
    default:
        let isRTCP = selector & 4 != 0
        guard let sender = try? SRTPContext(profile: profile, local: SRTPFuzzKeys.key(profile), remote: SRTPFuzzKeys.key(profile)),
              let receiver = try? SRTPContext(profile: profile, local: SRTPFuzzKeys.key(profile), remote: SRTPFuzzKeys.key(profile))
        else { fuzzFailure("context creation failed") }
        let room = packet.count + SRTPProfile.maxOverhead
        let work = UnsafeMutableRawBufferPointer.allocate(byteCount: room, alignment: 1)
        defer { work.deallocate() }
        if !packet.isEmpty { work.copyMemory(from: packet) }
        let protectedLength: Int
        do {
            protectedLength = isRTCP ? try sender.protectRTCP(work, length: packet.count) : try sender.protectRTP(work, length: packet.count)
        } catch {
            return // not RTP/RTCP-shaped
        }
        let expected = packet.count + (isRTCP ? profile.rtcpOverhead : profile.rtpOverhead)
        if protectedLength != expected { fuzzFailure("protected length \(protectedLength), expected \(expected)") }
        let srtp = UnsafeMutableRawBufferPointer(rebasing: work[0..<protectedLength])
        let n: Int
        do {
            n = isRTCP ? try receiver.unprotectRTCP(srtp) : try receiver.unprotectRTP(srtp)
        } catch {
            fuzzFailure("round trip failed: \(error)")
        }
        if n != packet.count || !work[0..<n].elementsEqual(packet) { fuzzFailure("round trip changed the packet") }
    }
}
