import COpenSSL

/// SRTP and SRTCP (RFC 3711; AES-GCM per RFC 7714) for one DTLS-SRTP association, in place, on
/// OpenSSL EVP: protects what this endpoint sends with the local master key and unprotects what
/// the peer sends with the remote one.
///
/// SRTP packet (RFC 3711 §3.1):
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+<+
///     |V=2|P|X|  CC   |M|     PT      |       sequence number         | |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
///     |                           timestamp                           | |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
///     |           synchronization source (SSRC) identifier            | |
///     +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+ |
///     |   contributing source (CSRC) identifiers, RTP extension  ...  | |
///   +>+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
///   | |                    payload  ... (incl. RTP padding)           | |
///   +>+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+<+
///   | :          authentication tag (10 or 4 bytes; GCM: 16)          : |
///   | +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
///   +- encrypted portion                       authenticated portion -+
///      (HMAC covers the authenticated portion then the 32-bit ROC; GCM's AAD is the header)
///
/// SRTCP packet (RFC 3711 §3.4; GCM: RFC 7714 §9.1 puts the tag before the index word):
///
///     | RTCP header (8 bytes, clear) | encrypted compound RTCP | E | SRTCP index (31) | tag |
///
/// Threading: an `SRTPContext` is confined to one worker thread, which alone calls its methods;
/// it holds OpenSSL contexts and per-SSRC state mutated without locks. It is `@unchecked Sendable`
/// only so it can be created elsewhere and handed to that thread once.
///
/// Memory: per-SSRC state lives in two fixed tables (sent and received SSRCs) of `maxStreams`
/// entries, allocated at init. A received packet of an unknown SSRC creates its entry only after it
/// authenticates; past `maxStreams` such packets fail with `.streamLimitReached` (call
/// `removeStream` when a stream ends). Nothing is allocated per packet.
///
/// Retransmissions: protecting a sequence number again (NACK answered without RTX) is allowed and
/// produces the same bytes, as libsrtp's `allow_repeat_tx`.
public final class SRTPContext: @unchecked Sendable {
    public let profile: SRTPProfile
    /// Most SSRCs tracked per direction.
    public let maxStreams: Int

    private let rtpOut: SRTPCipher
    private let rtcpOut: SRTPCipher
    private let rtpIn: SRTPCipher
    private let rtcpIn: SRTPCipher
    private let outbound: SRTPStreamTable
    private let inbound: SRTPStreamTable
    private var outboundCount = 0
    private var inboundCount = 0

    /// Keys both directions from DTLS-SRTP master keys.
    public convenience init(profile: SRTPProfile, keys: SRTPMasterKeys, maxStreams: Int = 16) throws(SRTPError) {
        try self.init(profile: profile, local: keys.local, remote: keys.remote, maxStreams: maxStreams)
    }

    /// Keys sending with `local` and receiving with `remote` (the same key for a loop-back).
    public convenience init(profile: SRTPProfile, local: SRTPMasterKey, remote: SRTPMasterKey, maxStreams: Int = 16) throws(SRTPError) {
        guard local.fits(profile), remote.fits(profile) else { throw .invalidKey }
        try self.init(profile: profile,
                      localRTP: SRTPSessionKeys(deriving: local, profile: profile, for: .rtp),
                      localRTCP: SRTPSessionKeys(deriving: local, profile: profile, for: .rtcp),
                      remoteRTP: SRTPSessionKeys(deriving: remote, profile: profile, for: .rtp),
                      remoteRTCP: SRTPSessionKeys(deriving: remote, profile: profile, for: .rtcp),
                      maxStreams: maxStreams)
    }

    /// Keys from session keys directly, below the key derivation (RFC test vectors).
    package init(profile: SRTPProfile, localRTP: SRTPSessionKeys, localRTCP: SRTPSessionKeys,
                 remoteRTP: SRTPSessionKeys, remoteRTCP: SRTPSessionKeys, maxStreams: Int = 16) throws(SRTPError) {
        self.profile = profile
        self.maxStreams = max(1, min(maxStreams, 1 << 16))
        rtpOut = try SRTPCipher(profile: profile, keys: localRTP, kind: .rtp, encrypting: true)
        rtcpOut = try SRTPCipher(profile: profile, keys: localRTCP, kind: .rtcp, encrypting: true)
        rtpIn = try SRTPCipher(profile: profile, keys: remoteRTP, kind: .rtp, encrypting: false)
        rtcpIn = try SRTPCipher(profile: profile, keys: remoteRTCP, kind: .rtcp, encrypting: false)
        outbound = .allocate(capacity: self.maxStreams)
        inbound = .allocate(capacity: self.maxStreams)
    }

    deinit {
        outbound.deallocate()
        inbound.deallocate()
    }

    /// SSRCs currently tracked: sent, received.
    public var streamCounts: (outbound: Int, inbound: Int) { (outboundCount, inboundCount) }

    /// Forgets the state of `ssrc` in both directions (its stream ended).
    public func removeStream(ssrc: UInt32) {
        _ = outbound.remove(ssrc, count: &outboundCount)
        _ = inbound.remove(ssrc, count: &inboundCount)
    }

    // MARK: SRTP

    /// Protects the plaintext RTP packet in `buffer[0..<length]` in place: encrypts the payload and
    /// appends the tag. `buffer` needs `profile.rtpOverhead` bytes of room after `length`.
    /// Returns the SRTP packet length.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        guard length >= 0, length <= buffer.count, let base = buffer.baseAddress else { throw .truncated }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let headerLength = try Self.rtpHeaderLength(p, length)
        let needed = length + profile.rtpOverhead
        guard needed <= buffer.count else { throw .bufferTooSmall(needed: needed, available: buffer.count) }
        let ssrc = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let seq = UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        guard let slot = outbound.find(ssrc) ?? outbound.insert(ssrc, count: &outboundCount) else { throw .streamLimitReached }
        let state = outbound.slots + slot
        let index: Int64
        if state.pointee.hasRTP {
            index = SRTPReplay.estimate(seq: seq, highest: state.pointee.rtpIndex)
            guard index >= 0 else { throw .tooOld }
            guard index < 1 << 48 else { throw .indexExhausted }
            if index > state.pointee.rtpIndex { state.pointee.rtpIndex = index }
        } else {
            index = Int64(seq)
            state.pointee.rtpIndex = index
            state.pointee.hasRTP = true
        }
        return try rtpOut.protectRTP(p, headerLength: headerLength, length: length, ssrc: ssrc, index: UInt64(index))
    }

    /// Unprotects the SRTP packet filling `buffer` in place: authenticates (constant time), checks
    /// replay, decrypts. Returns the RTP packet length (the tag is dropped). On an error the packet
    /// must be dropped; its bytes may have changed.
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer) throws(SRTPError) -> Int {
        let length = buffer.count
        guard let base = buffer.baseAddress else { throw .truncated }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let tagLength = profile.rtpAuthTagLength
        guard length >= 12 + tagLength else { throw .truncated }
        let headerLength = try Self.rtpHeaderLength(p, length - tagLength)
        let ssrc = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let seq = UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let slot = inbound.find(ssrc)
        let index: Int64
        if let slot, inbound.slots[slot].hasRTP {
            let state = inbound.slots + slot
            index = SRTPReplay.estimate(seq: seq, highest: state.pointee.rtpIndex)
            guard index >= 0 else { throw .tooOld }
            guard index < 1 << 48 else { throw .indexExhausted }
            try SRTPReplay.check(index, highest: state.pointee.rtpIndex, window: state.pointee.rtpWindow)
        } else {
            guard slot != nil || inboundCount < maxStreams else { throw .streamLimitReached }
            index = Int64(seq)
        }
        let plainLength = try rtpIn.unprotectRTP(p, headerLength: headerLength, length: length, ssrc: ssrc, index: UInt64(index))
        guard let target = slot ?? inbound.insert(ssrc, count: &inboundCount) else { throw .streamLimitReached }
        let state = inbound.slots + target
        if state.pointee.hasRTP {
            SRTPReplay.record(index, highest: &state.pointee.rtpIndex, window: &state.pointee.rtpWindow)
        } else {
            state.pointee.hasRTP = true
            state.pointee.rtpIndex = index
            state.pointee.rtpWindow = 1
        }
        return plainLength
    }

    // MARK: SRTCP

    /// Protects the compound RTCP packet in `buffer[0..<length]` in place: encrypts after the first
    /// 8 bytes, appends E=1 + the SRTCP index and the tag. `buffer` needs `profile.rtcpOverhead`
    /// bytes of room after `length`. Returns the SRTCP packet length.
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        guard length >= 8, length <= buffer.count, let base = buffer.baseAddress else { throw .truncated }
        guard base.load(as: UInt8.self) >> 6 == 2 else { throw .malformed }
        let needed = length + profile.rtcpOverhead
        guard needed <= buffer.count else { throw .bufferTooSmall(needed: needed, available: buffer.count) }
        let ssrc = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard let slot = outbound.find(ssrc) ?? outbound.insert(ssrc, count: &outboundCount) else { throw .streamLimitReached }
        let state = outbound.slots + slot
        let index = state.pointee.rtcpIndex
        guard index <= 0x7FFF_FFFF else { throw .indexExhausted }
        state.pointee.rtcpIndex = index + 1
        return try rtcpOut.protectRTCP(base.assumingMemoryBound(to: UInt8.self), length: length, ssrc: ssrc, index: UInt32(index))
    }

    /// Unprotects the SRTCP packet filling `buffer` in place; returns the compound RTCP length.
    /// Packets with E=0 (authenticated, not encrypted) are accepted too.
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer) throws(SRTPError) -> Int {
        let length = buffer.count
        guard let base = buffer.baseAddress, length >= 8 + profile.rtcpOverhead else { throw .truncated }
        guard base.load(as: UInt8.self) >> 6 == 2 else { throw .malformed }
        let ssrc = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let wordOffset = profile.isAEAD ? length - 4 : length - profile.rtcpAuthTagLength - 4
        let word = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: wordOffset, as: UInt32.self))
        let index = Int64(word & 0x7FFF_FFFF)
        let slot = inbound.find(ssrc)
        if let slot, inbound.slots[slot].hasRTCP {
            try SRTPReplay.check(index, highest: inbound.slots[slot].rtcpIndex, window: inbound.slots[slot].rtcpWindow)
        } else {
            guard slot != nil || inboundCount < maxStreams else { throw .streamLimitReached }
        }
        let plainLength = try rtcpIn.unprotectRTCP(base.assumingMemoryBound(to: UInt8.self), length: length, ssrc: ssrc,
                                                   encrypted: word & 0x8000_0000 != 0, index: UInt32(index))
        guard let target = slot ?? inbound.insert(ssrc, count: &inboundCount) else { throw .streamLimitReached }
        let state = inbound.slots + target
        if state.pointee.hasRTCP {
            SRTPReplay.record(index, highest: &state.pointee.rtcpIndex, window: &state.pointee.rtcpWindow)
        } else {
            state.pointee.hasRTCP = true
            state.pointee.rtcpIndex = index
            state.pointee.rtcpWindow = 1
        }
        return plainLength
    }

    /// Sets the next SRTCP index sent for `ssrc` (tests replaying RFC vectors; libsrtp starts at 1).
    package func setNextSRTCPIndex(_ index: UInt32, ssrc: UInt32) throws(SRTPError) {
        guard let slot = outbound.find(ssrc) ?? outbound.insert(ssrc, count: &outboundCount) else { throw .streamLimitReached }
        outbound.slots[slot].rtcpIndex = Int64(index & 0x7FFF_FFFF)
    }

    // MARK: Header

    /// Length of the RTP header (fixed part, CSRCs, extension) within `length` bytes.
    @inline(__always)
    static func rtpHeaderLength(_ p: UnsafePointer<UInt8>, _ length: Int) throws(SRTPError) -> Int {
        guard length >= 12 else { throw .truncated }
        let first = p[0]
        guard first >> 6 == 2 else { throw .malformed }
        var headerLength = 12 + 4 * Int(first & 0x0F)
        if first & 0x10 != 0 {
            guard length >= headerLength + 4 else { throw .truncated }
            let words = Int(p[headerLength + 2]) << 8 | Int(p[headerLength + 3])
            headerLength += 4 + 4 * words
        }
        guard length >= headerLength else { throw .truncated }
        return headerLength
    }
}
