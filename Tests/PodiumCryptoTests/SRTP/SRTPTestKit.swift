import PodiumWire
import PodiumCrypto

/// Helpers shared by the SRTP test suites: deterministic randomness, packet builders, and
/// protect/unprotect over `[UInt8]` with exactly-sized buffers (so ASan sees an overread).
enum SRTPTestKit {
    /// The same packets on every run.
    typealias Random = SplitMix64

    static func masterKey(_ profile: SRTPProfile, seed: UInt64) -> SRTPMasterKey {
        var r = Random(seed: seed)
        return SRTPMasterKey(key: r.bytes(profile.masterKeyLength), salt: r.bytes(profile.masterSaltLength))
    }

    /// An RTP packet (RFC 3550 §5.1) with optional CSRCs, a header extension and padding (the
    /// padding count is included in `payload`'s length budget: `padding` bytes are appended).
    static func rtp(seq: UInt16, timestamp: UInt32 = 0x1234_5678, ssrc: UInt32, payloadType: UInt8 = 96,
                    marker: Bool = false, csrcs: [UInt32] = [], extensionWords: [UInt32]? = nil,
                    payload: [UInt8], padding: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        let first = 0x80 | (padding > 0 ? 0x20 : 0) | (extensionWords != nil ? 0x10 : 0) | UInt8(csrcs.count)
        out.append(first)
        out.append((marker ? 0x80 : 0) | payloadType)
        append16(&out, seq)
        append32(&out, timestamp)
        append32(&out, ssrc)
        for c in csrcs { append32(&out, c) }
        if let words = extensionWords {
            append16(&out, 0xBEDE)
            append16(&out, UInt16(words.count))
            for w in words { append32(&out, w) }
        }
        out += payload
        if padding > 0 {
            out += [UInt8](repeating: 0, count: padding - 1)
            out.append(UInt8(padding))
        }
        return out
    }

    /// A random RTP packet shape: CSRCs, extension, padding, payload size.
    static func randomRTP(_ r: inout Random, seq: UInt16, ssrc: UInt32, maxPayload: Int = 300) -> [UInt8] {
        let csrcs = (0..<r.below(4)).map { _ in UInt32(truncatingIfNeeded: r.next()) }
        let ext: [UInt32]? = r.below(2) == 0 ? nil : (0..<r.below(4)).map { _ in UInt32(truncatingIfNeeded: r.next()) }
        let padding = r.below(4) == 0 ? 1 + r.below(16) : 0
        return rtp(seq: seq, timestamp: UInt32(truncatingIfNeeded: r.next()), ssrc: ssrc, marker: r.below(2) == 0,
                   csrcs: csrcs, extensionWords: ext, payload: r.bytes(r.below(maxPayload + 1)), padding: padding)
    }

    /// A compound RTCP packet: a sender report (RFC 3550 §6.4.1) from `ssrc` then an SDES CNAME.
    static func rtcp(ssrc: UInt32, _ r: inout Random) -> [UInt8] {
        var out: [UInt8] = [0x80, 200, 0x00, 0x06]
        append32(&out, ssrc)
        out += r.bytes(20)
        let cname = Array("podium-\(r.below(1000))".utf8)
        var sdes: [UInt8] = []
        append32(&sdes, ssrc)
        sdes += [1, UInt8(cname.count)] + cname + [0]
        while sdes.count % 4 != 0 { sdes.append(0) }
        out += [0x81, 202]
        append16(&out, UInt16(sdes.count / 4))
        out += sdes
        return out
    }

    static func append16(_ out: inout [UInt8], _ v: UInt16) { out += [UInt8(v >> 8), UInt8(truncatingIfNeeded: v)] }
    static func append32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    /// Runs a protect call over `packet` in a buffer with room for the largest overhead.
    static func protect(_ packet: [UInt8], room: Int = SRTPProfile.maxOverhead,
                        _ body: (UnsafeMutableRawBufferPointer, Int) throws -> Int) throws -> [UInt8] {
        var buffer = packet + [UInt8](repeating: 0, count: room)
        let n = try buffer.withUnsafeMutableBytes { try body($0, packet.count) }
        return Array(buffer[..<n])
    }

    /// Runs an unprotect call over an exactly-sized copy of `packet`.
    static func unprotect(_ packet: [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> [UInt8] {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(packet.count, 1), alignment: 1)
        defer { p.deallocate() }
        p.copyBytes(from: packet)
        let n = try body(UnsafeMutableRawBufferPointer(rebasing: p[0..<packet.count]))
        return Array(p[0..<n])
    }

    /// The error an unprotect call throws, or nil if it succeeded.
    static func unprotectError(_ packet: [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(SRTPError) -> Int) -> SRTPError? {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(packet.count, 1), alignment: 1)
        defer { p.deallocate() }
        p.copyBytes(from: packet)
        do {
            _ = try body(UnsafeMutableRawBufferPointer(rebasing: p[0..<packet.count]))
            return nil
        } catch {
            return error
        }
    }
}
