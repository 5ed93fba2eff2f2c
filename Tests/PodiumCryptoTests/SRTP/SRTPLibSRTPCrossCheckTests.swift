import Testing
import PodiumCrypto

/// `SRTPContext` against libsrtp2 (through `LibSRTPSession`), for every profile, RTP and RTCP, in
/// both directions, byte for byte where both are deterministic.
///
///     podium  (local kA, remote kB) ── protect ──▶ peer (local kB, remote kA) unprotects
///     podium  ◀── unprotect ── peer protects
///     twin    (libsrtp, local kA): protects the same plaintext → must equal podium's bytes
@Suite struct SRTPLibSRTPCrossCheckTests {
    private struct Setup {
        let podium: SRTPContext
        let peer: LibSRTPSession
        let twin: LibSRTPSession
        init(_ profile: SRTPProfile, seed: UInt64, maxStreams: Int = 32) throws {
            let a = SRTPTestKit.masterKey(profile, seed: seed)
            let b = SRTPTestKit.masterKey(profile, seed: seed &+ 1)
            podium = try SRTPContext(profile: profile, local: a, remote: b, maxStreams: maxStreams)
            peer = try LibSRTPSession(profile: profile, local: b, remote: a)
            twin = try LibSRTPSession(profile: profile, local: a, remote: b)
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtpBothDirectionsAcrossSequenceWrap(profile: SRTPProfile) throws {
        let s = try Setup(profile, seed: 100 + UInt64(profile.rawValue))
        var r = SRTPTestKit.Random(seed: 7)
        // Three streams: one wraps early, one starts at 0, one starts right before the wrap.
        let streams: [(ssrc: UInt32, first: UInt16)] = [(0x1111_1111, 65_000), (0x2222_2222, 0), (0xCAFE_BABE, 65_535)]
        for step in 0..<700 {
            for (ssrc, first) in streams {
                let seq = first &+ UInt16(step)
                let plain = SRTPTestKit.randomRTP(&r, seq: seq, ssrc: ssrc)
                let ours = try SRTPTestKit.protect(plain) { try s.podium.protectRTP($0, length: $1) }
                let theirs = try SRTPTestKit.protect(plain) { try s.twin.protectRTP($0, length: $1) }
                #expect(ours == theirs, "seq \(seq) ssrc \(ssrc)")
                #expect(ours.count == plain.count + profile.rtpAuthTagLength)
                #expect(try SRTPTestKit.unprotect(ours) { try s.peer.unprotectRTP($0) } == plain)
                let fromPeer = try SRTPTestKit.protect(plain) { try s.peer.protectRTP($0, length: $1) }
                #expect(try SRTPTestKit.unprotect(fromPeer) { try s.podium.unprotectRTP($0) } == plain)
                if ours != theirs { return }
            }
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtcpBothDirections(profile: SRTPProfile) throws {
        let s = try Setup(profile, seed: 200 + UInt64(profile.rawValue))
        var r = SRTPTestKit.Random(seed: 8)
        let ssrcs: [UInt32] = [0x0102_0304, 0xFFFF_FFFF]
        // Why: libsrtp sends SRTCP index 1 first; RFC 3711 §3.4 (and Podium) start at 0.
        for ssrc in ssrcs { try s.podium.setNextSRTCPIndex(1, ssrc: ssrc) }
        for _ in 0..<300 {
            for ssrc in ssrcs {
                let plain = SRTPTestKit.rtcp(ssrc: ssrc, &r)
                let ours = try SRTPTestKit.protect(plain) { try s.podium.protectRTCP($0, length: $1) }
                let theirs = try SRTPTestKit.protect(plain) { try s.twin.protectRTCP($0, length: $1) }
                #expect(ours == theirs)
                #expect(ours.count == plain.count + profile.rtcpOverhead)
                #expect(try SRTPTestKit.unprotect(ours) { try s.peer.unprotectRTCP($0) } == plain)
                let fromPeer = try SRTPTestKit.protect(plain) { try s.peer.protectRTCP($0, length: $1) }
                #expect(try SRTPTestKit.unprotect(fromPeer) { try s.podium.unprotectRTCP($0) } == plain)
                #expect(SRTPTestKit.unprotectError(fromPeer) { b throws(SRTPError) in try s.podium.unprotectRTCP(b) } == .replayed)
                if ours != theirs { return }
            }
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func srtcpStartsAtIndexZero(profile: SRTPProfile) throws {
        let s = try Setup(profile, seed: 250)
        var r = SRTPTestKit.Random(seed: 9)
        let plain = SRTPTestKit.rtcp(ssrc: 42, &r)
        let ours = try SRTPTestKit.protect(plain) { try s.podium.protectRTCP($0, length: $1) }
        let wordOffset = profile.isAEAD ? ours.count - 4 : ours.count - profile.rtcpAuthTagLength - 4
        #expect(Array(ours[wordOffset..<wordOffset + 4]) == [0x80, 0, 0, 0])
        #expect(try SRTPTestKit.unprotect(ours) { try s.peer.unprotectRTCP($0) } == plain)
    }

    /// Packets reordered within the window, across the ROC increment, in both directions; then every
    /// packet again: both implementations reject all replays.
    @Test(arguments: SRTPProfile.allCases)
    func reorderingAcrossWrapAndReplay(profile: SRTPProfile) throws {
        let s = try Setup(profile, seed: 300 + UInt64(profile.rawValue))
        var r = SRTPTestKit.Random(seed: 10)
        let ssrc: UInt32 = 0x5EED_0001
        var plains: [[UInt8]] = []
        var ours: [[UInt8]] = []
        var theirs: [[UInt8]] = []
        for i in 0..<400 {
            let plain = SRTPTestKit.randomRTP(&r, seq: 65_300 &+ UInt16(i), ssrc: ssrc, maxPayload: 64)
            plains.append(plain)
            ours.append(try SRTPTestKit.protect(plain) { try s.podium.protectRTP($0, length: $1) })
            theirs.append(try SRTPTestKit.protect(plain) { try s.peer.protectRTP($0, length: $1) })
        }
        // Shuffle within blocks of 48 (inside the 128 window); the blocks straddle seq 65535 → 0.
        var order = Array(0..<400)
        for start in stride(from: 0, to: 400, by: 48) {
            let end = min(start + 48, 400)
            for i in stride(from: end - 1, to: start, by: -1) {
                let j = start + r.below(i - start + 1)
                order.swapAt(i, j)
            }
        }
        for i in order {
            #expect(try SRTPTestKit.unprotect(ours[i]) { try s.peer.unprotectRTP($0) } == plains[i], "libsrtp, packet \(i)")
            #expect(try SRTPTestKit.unprotect(theirs[i]) { try s.podium.unprotectRTP($0) } == plains[i], "podium, packet \(i)")
        }
        for i in 0..<400 {
            let expected: SRTPError = i >= 400 - 128 ? .replayed : .tooOld
            #expect(SRTPTestKit.unprotectError(theirs[i]) { b throws(SRTPError) in try s.podium.unprotectRTP(b) } == expected, "packet \(i)")
            #expect(throws: SRTPError.self) { try SRTPTestKit.unprotect(ours[i]) { try s.peer.unprotectRTP($0) } }
        }
    }

    /// A retransmission protects to the same bytes, which the receiver already has: replay.
    @Test(arguments: SRTPProfile.allCases)
    func retransmissionProtectsIdentically(profile: SRTPProfile) throws {
        let s = try Setup(profile, seed: 400)
        var r = SRTPTestKit.Random(seed: 11)
        var sent: [[UInt8]] = []
        var plains: [[UInt8]] = []
        for i in 0..<40 {
            let plain = SRTPTestKit.randomRTP(&r, seq: 65_520 &+ UInt16(i), ssrc: 9, maxPayload: 40)
            plains.append(plain)
            sent.append(try SRTPTestKit.protect(plain) { try s.podium.protectRTP($0, length: $1) })
        }
        for (i, packet) in sent.enumerated() {
            #expect(try SRTPTestKit.unprotect(packet) { try s.peer.unprotectRTP($0) } == plains[i])
        }
        // Seq 65 525 (before the wrap) and 3 (after it) again, as a NACK answer without RTX sends them.
        for i in [5, 19] {
            let again = try SRTPTestKit.protect(plains[i]) { try s.podium.protectRTP($0, length: $1) }
            #expect(again == sent[i])
            #expect(throws: SRTPError.replayed) { try SRTPTestKit.unprotect(again) { try s.peer.unprotectRTP($0) } }
        }
    }

    /// DTLS-SRTP keying material split by role: a client and a server interoperate.
    @Test(arguments: SRTPProfile.allCases)
    func dtlsRolesInteroperate(profile: SRTPProfile) throws {
        var r = SRTPTestKit.Random(seed: 12)
        let material = r.bytes(profile.keyingMaterialLength)
        let client = try SRTPContext(profile: profile, keys: SRTPMasterKeys(keyingMaterial: material, profile: profile, role: .client))
        let server = try LibSRTPSession(profile: profile, keys: SRTPMasterKeys(keyingMaterial: material, profile: profile, role: .server))
        let plain = SRTPTestKit.rtp(seq: 1, ssrc: 77, payload: r.bytes(100))
        let toServer = try SRTPTestKit.protect(plain) { try client.protectRTP($0, length: $1) }
        #expect(try SRTPTestKit.unprotect(toServer) { try server.unprotectRTP($0) } == plain)
        let toClient = try SRTPTestKit.protect(plain) { try server.protectRTP($0, length: $1) }
        #expect(try SRTPTestKit.unprotect(toClient) { try client.unprotectRTP($0) } == plain)
    }
}
