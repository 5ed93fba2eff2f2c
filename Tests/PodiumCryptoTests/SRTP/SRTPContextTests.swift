import Testing
import PodiumCrypto
import PodiumTestSupport

/// `SRTPContext` on hostile and edge input: tampering, truncation, replay, stream limits, buffer
/// room; plus the profile table and the DTLS keying material split.
@Suite struct SRTPContextTests {
    private static func pair(_ profile: SRTPProfile, maxStreams: Int = 32) throws -> (sender: SRTPContext, receiver: SRTPContext) {
        let key = SRTPTestKit.masterKey(profile, seed: 1)
        let other = SRTPTestKit.masterKey(profile, seed: 2)
        return (try SRTPContext(profile: profile, local: key, remote: other, maxStreams: maxStreams),
                try SRTPContext(profile: profile, local: other, remote: key, maxStreams: maxStreams))
    }

    // MARK: Profiles and keys

    @Test func profileTable() {
        // RFC 5764 §4.1.2, RFC 7714 §14.2: id, name, key, salt, RTP tag, RTCP tag.
        let table: [(SRTPProfile, UInt16, String, Int, Int, Int, Int)] = [
            (.aes128CmHmacSha1_80, 0x0001, "SRTP_AES128_CM_HMAC_SHA1_80", 16, 14, 10, 10),
            (.aes128CmHmacSha1_32, 0x0002, "SRTP_AES128_CM_HMAC_SHA1_32", 16, 14, 4, 10),
            (.aeadAes128Gcm, 0x0007, "SRTP_AEAD_AES_128_GCM", 16, 12, 16, 16),
            (.aeadAes256Gcm, 0x0008, "SRTP_AEAD_AES_256_GCM", 32, 12, 16, 16),
        ]
        for (profile, id, name, key, salt, rtpTag, rtcpTag) in table {
            #expect(profile.rawValue == id)
            #expect(SRTPProfile(rawValue: id) == profile)
            #expect(profile.name == name)
            #expect(SRTPProfile(name: name) == profile)
            #expect(SRTPProfile(name: profile.openSSLName) == profile)
            #expect(profile.masterKeyLength == key)
            #expect(profile.masterSaltLength == salt)
            #expect(profile.keyingMaterialLength == 2 * (key + salt))
            #expect(profile.rtpAuthTagLength == rtpTag)
            #expect(profile.rtcpAuthTagLength == rtcpTag)
            #expect(profile.rtcpOverhead <= SRTPProfile.maxOverhead)
        }
        #expect(SRTPProfile.aes128CmHmacSha1_80.openSSLName == "SRTP_AES128_CM_SHA1_80")
        #expect(SRTPProfile(name: "SRTP_NULL_SHA1_80") == nil)
        #expect(SRTPProfile(rawValue: 0x0005) == nil)
    }

    @Test(arguments: SRTPProfile.allCases)
    func keyingMaterialSplit(profile: SRTPProfile) throws {
        let k = profile.masterKeyLength
        let s = profile.masterSaltLength
        let material = (0..<profile.keyingMaterialLength).map { UInt8($0) }
        let client = try SRTPMasterKeys(keyingMaterial: material, profile: profile, role: .client)
        let server = try SRTPMasterKeys(keyingMaterial: material, profile: profile, role: .server)
        // client_write_key | server_write_key | client_write_salt | server_write_salt
        #expect(client.local.key == (0..<k).map { UInt8($0) })
        #expect(client.remote.key == (k..<2 * k).map { UInt8($0) })
        #expect(client.local.salt == (2 * k..<2 * k + s).map { UInt8($0) })
        #expect(client.remote.salt == (2 * k + s..<2 * k + 2 * s).map { UInt8($0) })
        #expect(server.local == client.remote)
        #expect(server.remote == client.local)
        #expect(throws: SRTPError.invalidKey) { try SRTPMasterKeys(keyingMaterial: material.dropLast(), profile: profile, role: .client) }
    }

    @Test func rejectsKeysOfTheWrongProfile() {
        let cm = SRTPTestKit.masterKey(.aes128CmHmacSha1_80, seed: 3)
        #expect(throws: SRTPError.invalidKey) { try SRTPContext(profile: .aeadAes256Gcm, local: cm, remote: cm) }
        #expect(throws: SRTPError.invalidKey) { try LibSRTPSession(profile: .aeadAes128Gcm, local: cm, remote: cm) }
    }

    // MARK: Tampering and truncation

    /// Flipping any bit of any byte of a protected packet makes unprotect fail; afterwards the
    /// intact packet still passes (failures leave no state behind).
    @Test(arguments: SRTPProfile.allCases)
    func everyTamperedRTPByteIsRejected(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        let plain = SRTPTestKit.rtp(seq: 65_535, ssrc: 0xABCD, csrcs: [1, 2], extensionWords: [0x1020_3040], payload: Array(0..<48), padding: 3)
        let protected = try SRTPTestKit.protect(plain) { try sender.protectRTP($0, length: $1) }
        let headerLength = 12 + 8 + 8
        for position in 0..<protected.count {
            for bit in [0x01, 0x10, 0x80] as [UInt8] {
                var forged = protected
                forged[position] ^= bit
                let error = SRTPTestKit.unprotectError(forged) { b throws(SRTPError) in try receiver.unprotectRTP(b) }
                #expect(error != nil, "byte \(position) bit \(bit)")
                if position >= headerLength || (position >= 2 && position < 12) {
                    #expect(error == .authenticationFailed, "byte \(position) bit \(bit)")
                }
            }
        }
        #expect(try SRTPTestKit.unprotect(protected) { try receiver.unprotectRTP($0) } == plain)
    }

    @Test(arguments: SRTPProfile.allCases)
    func everyTamperedRTCPByteIsRejected(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        var r = SRTPTestKit.Random(seed: 4)
        let plain = SRTPTestKit.rtcp(ssrc: 0x1234, &r)
        let protected = try SRTPTestKit.protect(plain) { try sender.protectRTCP($0, length: $1) }
        for position in 0..<protected.count {
            for bit in [0x01, 0x80] as [UInt8] {
                var forged = protected
                forged[position] ^= bit
                let error = SRTPTestKit.unprotectError(forged) { b throws(SRTPError) in try receiver.unprotectRTCP(b) }
                let expected: SRTPError = position == 0 && bit == 0x80 ? .malformed : .authenticationFailed
                #expect(error == expected, "byte \(position) bit \(bit)")
            }
        }
        #expect(try SRTPTestKit.unprotect(protected) { try receiver.unprotectRTCP($0) } == plain)
    }

    @Test(arguments: SRTPProfile.allCases)
    func everyTruncationIsRejected(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        var r = SRTPTestKit.Random(seed: 5)
        let rtp = SRTPTestKit.rtp(seq: 9, ssrc: 5, csrcs: [7], extensionWords: [1, 2], payload: r.bytes(30))
        let srtp = try SRTPTestKit.protect(rtp) { try sender.protectRTP($0, length: $1) }
        for n in 0..<srtp.count {
            let error = SRTPTestKit.unprotectError(Array(srtp[0..<n])) { b throws(SRTPError) in try receiver.unprotectRTP(b) }
            #expect(error == .truncated || error == .authenticationFailed, "length \(n): \(String(describing: error))")
        }
        let rtcp = SRTPTestKit.rtcp(ssrc: 5, &r)
        let srtcp = try SRTPTestKit.protect(rtcp) { try sender.protectRTCP($0, length: $1) }
        for n in 0..<srtcp.count {
            let error = SRTPTestKit.unprotectError(Array(srtcp[0..<n])) { b throws(SRTPError) in try receiver.unprotectRTCP(b) }
            #expect(error == .truncated || error == .authenticationFailed, "length \(n): \(String(describing: error))")
        }
        #expect(try SRTPTestKit.unprotect(srtp) { try receiver.unprotectRTP($0) } == rtp)
        #expect(try SRTPTestKit.unprotect(srtcp) { try receiver.unprotectRTCP($0) } == rtcp)
    }

    @Test func malformedHeadersAreTypedErrors() throws {
        let (sender, receiver) = try Self.pair(.aeadAes128Gcm)
        // Version 1; an extension longer than the packet; CSRCs past the end.
        let badVersion = hexBytes("40 60 0001 00000000 00000001") + [UInt8](repeating: 0, count: 20)
        #expect(throws: SRTPError.malformed) { try SRTPTestKit.protect(badVersion) { try sender.protectRTP($0, length: $1) } }
        #expect(SRTPTestKit.unprotectError(badVersion) { b throws(SRTPError) in try receiver.unprotectRTP(b) } == .malformed)
        let longExtension = hexBytes("90 60 0001 00000000 00000001  BEDE 00FF") + [UInt8](repeating: 0, count: 20)
        #expect(throws: SRTPError.truncated) { try SRTPTestKit.protect(longExtension) { try sender.protectRTP($0, length: $1) } }
        #expect(SRTPTestKit.unprotectError(longExtension) { b throws(SRTPError) in try receiver.unprotectRTP(b) } == .truncated)
        let manyCSRCs = hexBytes("8F 60 0001 00000000 00000001") + [UInt8](repeating: 0, count: 40)
        #expect(throws: SRTPError.truncated) { try SRTPTestKit.protect(manyCSRCs) { try sender.protectRTP($0, length: $1) } }
        #expect(SRTPTestKit.unprotectError([]) { b throws(SRTPError) in try receiver.unprotectRTP(b) } == .truncated)
        #expect(SRTPTestKit.unprotectError([]) { b throws(SRTPError) in try receiver.unprotectRTCP(b) } == .truncated)
        #expect(throws: SRTPError.truncated) { try SRTPTestKit.protect([0x80, 200, 0, 1]) { try sender.protectRTCP($0, length: $1) } }
    }

    @Test(arguments: SRTPProfile.allCases)
    func protectNeedsRoomForTheTag(profile: SRTPProfile) throws {
        let (sender, _) = try Self.pair(profile)
        let plain = SRTPTestKit.rtp(seq: 1, ssrc: 1, payload: [1, 2, 3])
        let room = profile.rtpOverhead - 1
        #expect(throws: SRTPError.bufferTooSmall(needed: plain.count + profile.rtpOverhead, available: plain.count + room)) {
            try SRTPTestKit.protect(plain, room: room) { try sender.protectRTP($0, length: $1) }
        }
        let rtcp: [UInt8] = [0x80, 201, 0, 1, 0, 0, 0, 1]
        #expect(throws: SRTPError.bufferTooSmall(needed: 8 + profile.rtcpOverhead, available: 8 + profile.rtcpOverhead - 1)) {
            try SRTPTestKit.protect(rtcp, room: profile.rtcpOverhead - 1) { try sender.protectRTCP($0, length: $1) }
        }
        #expect(throws: SRTPError.truncated) {
            try SRTPTestKit.protect(plain, room: 0) { buffer, length in try sender.protectRTP(buffer, length: length + 1) }
        }
    }

    // MARK: Replay and index estimation

    @Test(arguments: SRTPProfile.allCases)
    func replayWindow(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        var packets: [[UInt8]] = []
        for seq in 0..<300 {
            let plain = SRTPTestKit.rtp(seq: UInt16(seq), ssrc: 3, payload: [UInt8(seq & 0xFF)])
            packets.append(try SRTPTestKit.protect(plain) { try sender.protectRTP($0, length: $1) })
        }
        func result(_ i: Int) -> SRTPError? {
            SRTPTestKit.unprotectError(packets[i]) { b throws(SRTPError) in try receiver.unprotectRTP(b) }
        }
        #expect(result(200) == nil)
        #expect(result(200) == .replayed)
        #expect(result(199) == nil)       // late but inside the window
        #expect(result(73) == nil)        // 127 behind: the window's oldest slot
        #expect(result(72) == .tooOld)    // 128 behind
        #expect(result(299) == nil)       // a jump forward
        #expect(result(200) == .replayed) // 99 behind, recorded before the jump
        #expect(result(199) == .replayed)
        #expect(result(180) == nil)       // 119 behind, never received
        #expect(result(171) == .tooOld)   // 128 behind
        #expect(result(250) == nil)
        #expect(result(250) == .replayed)
    }

    @Test func roCFollowsTheSenderThroughManyWraps() throws {
        let (sender, receiver) = try Self.pair(.aeadAes128Gcm)
        // 3 wraps, steps of 1000 (below 2^15, so the index estimate keeps up).
        var seq: UInt16 = 60_000
        for _ in 0..<210 {
            let plain = SRTPTestKit.rtp(seq: seq, ssrc: 8, payload: [1, 2, 3, 4])
            let packet = try SRTPTestKit.protect(plain) { try sender.protectRTP($0, length: $1) }
            #expect(try SRTPTestKit.unprotect(packet) { try receiver.unprotectRTP($0) } == plain)
            seq &+= 1000
        }
    }

    @Test func senderRefusesAnIndexBeforeItsFirstPacket() throws {
        let (sender, _) = try Self.pair(.aes128CmHmacSha1_80)
        _ = try SRTPTestKit.protect(SRTPTestKit.rtp(seq: 100, ssrc: 1, payload: [])) { try sender.protectRTP($0, length: $1) }
        // 60 000 is "before" 100 in a ROC of -1.
        #expect(throws: SRTPError.tooOld) {
            try SRTPTestKit.protect(SRTPTestKit.rtp(seq: 60_000, ssrc: 1, payload: [])) { try sender.protectRTP($0, length: $1) }
        }
    }

    // MARK: Stream table

    @Test func streamLimitAndRemoval() throws {
        let (sender, receiver) = try Self.pair(.aeadAes128Gcm, maxStreams: 4)
        func send(_ ssrc: UInt32, _ seq: UInt16) throws -> [UInt8] {
            try SRTPTestKit.protect(SRTPTestKit.rtp(seq: seq, ssrc: ssrc, payload: [9])) { try sender.protectRTP($0, length: $1) }
        }
        for ssrc in 1...4 as ClosedRange<UInt32> {
            #expect(SRTPTestKit.unprotectError(try send(ssrc, 1)) { b throws(SRTPError) in try receiver.unprotectRTP(b) } == nil)
        }
        #expect(throws: SRTPError.streamLimitReached) { try send(5, 1) }
        sender.removeStream(ssrc: 1)
        let fifth = try send(5, 1)
        #expect(SRTPTestKit.unprotectError(fifth) { b throws(SRTPError) in try receiver.unprotectRTP(b) } == .streamLimitReached)
        #expect(receiver.streamCounts.inbound == 4)
        receiver.removeStream(ssrc: 2)
        #expect(SRTPTestKit.unprotectError(fifth) { b throws(SRTPError) in try receiver.unprotectRTP(b) } == nil)
        #expect(receiver.streamCounts.inbound == 4)
    }

    /// Forged packets with fresh SSRCs never reach the table: only authenticated streams are kept.
    @Test func forgedPacketsDoNotConsumeStreams() throws {
        let (_, receiver) = try Self.pair(.aes128CmHmacSha1_80, maxStreams: 2)
        var r = SRTPTestKit.Random(seed: 6)
        for i in 0..<2000 {
            var forged = SRTPTestKit.rtp(seq: UInt16(i), ssrc: UInt32(truncatingIfNeeded: r.next()), payload: r.bytes(40))
            forged += r.bytes(10)
            #expect(SRTPTestKit.unprotectError(forged) { b throws(SRTPError) in try receiver.unprotectRTP(b) } == .authenticationFailed)
            var rtcp = SRTPTestKit.rtcp(ssrc: UInt32(truncatingIfNeeded: r.next()), &r)
            rtcp += r.bytes(14)
            #expect(SRTPTestKit.unprotectError(rtcp) { b throws(SRTPError) in try receiver.unprotectRTCP(b) } == .authenticationFailed)
        }
        #expect(receiver.streamCounts.inbound == 0)
    }

    /// Random inserts and removals against a model set: a lost or duplicated entry shows in the count
    /// (a lost entry would be inserted again on the next packet).
    @Test func streamTableMatchesAModel() throws {
        let context = try SRTPContext(profile: .aeadAes128Gcm, local: SRTPTestKit.masterKey(.aeadAes128Gcm, seed: 1),
                                      remote: SRTPTestKit.masterKey(.aeadAes128Gcm, seed: 2), maxStreams: 24)
        var r = SRTPTestKit.Random(seed: 13)
        var model = Set<UInt32>()
        // SSRCs that share low bits, to force long probe runs and wrap-around of the slot array.
        let pool = (0..<48).map { UInt32($0) << 20 | 0x5 }
        var seqs = [UInt32: UInt16]()
        for _ in 0..<20_000 {
            let ssrc = pool[r.below(pool.count)]
            if r.below(3) == 0 {
                context.removeStream(ssrc: ssrc)
                model.remove(ssrc)
            } else {
                let seq = seqs[ssrc, default: 0]
                seqs[ssrc] = seq &+ 1
                do {
                    _ = try SRTPTestKit.protect(SRTPTestKit.rtp(seq: seq, ssrc: ssrc, payload: [])) { try context.protectRTP($0, length: $1) }
                    model.insert(ssrc)
                } catch SRTPError.streamLimitReached {
                    #expect(model.count == 24 && !model.contains(ssrc))
                } catch SRTPError.tooOld {
                    // A removed then re-added stream restarted at a later seq; the model keeps going.
                    model.insert(ssrc)
                }
            }
            #expect(context.streamCounts.outbound == model.count)
            if context.streamCounts.outbound != model.count { return }
        }
    }
}
