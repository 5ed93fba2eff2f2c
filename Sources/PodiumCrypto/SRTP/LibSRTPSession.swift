import CSRTP

/// SRTP/SRTCP through the system libsrtp2: the independent reference `SRTPContext` is tested
/// against, and an optional backend with the same method shapes. Debian builds libsrtp2 on NSS,
/// which is several times slower than `SRTPContext` and degrades with many sessions
/// (../shared/tools/limits), so it is not the default.
///
/// One libsrtp session per direction (libsrtp allows one wildcard SSRC template per session):
/// `ssrc_any_outbound` keyed with the local master key (retransmissions allowed), and
/// `ssrc_any_inbound` keyed with the remote one; replay window 128 like `SRTPContext`.
///
/// Threading: confined to one worker thread like `SRTPContext` (`@unchecked Sendable` only to hand
/// it over once). `srtp_init` runs once per process, thread-safely, on first use.
public final class LibSRTPSession: @unchecked Sendable {
    public let profile: SRTPProfile
    private let outbound: srtp_t
    private let inbound: srtp_t

    private static let initStatus: UInt32 = srtp_init().rawValue

    public convenience init(profile: SRTPProfile, keys: SRTPMasterKeys) throws(SRTPError) {
        try self.init(profile: profile, local: keys.local, remote: keys.remote)
    }

    public init(profile: SRTPProfile, local: SRTPMasterKey, remote: SRTPMasterKey) throws(SRTPError) {
        guard Self.initStatus == srtp_err_status_ok.rawValue else { throw .libsrtp(Int32(Self.initStatus)) }
        guard local.fits(profile), remote.fits(profile) else { throw .invalidKey }
        self.profile = profile
        outbound = try Self.create(profile: profile, key: local, type: ssrc_any_outbound)
        do {
            inbound = try Self.create(profile: profile, key: remote, type: ssrc_any_inbound)
        } catch {
            srtp_dealloc(outbound)
            throw error
        }
    }

    deinit {
        srtp_dealloc(outbound)
        srtp_dealloc(inbound)
    }

    private static func create(profile: SRTPProfile, key: SRTPMasterKey, type: srtp_ssrc_type_t) throws(SRTPError) -> srtp_t {
        var policy = srtp_policy_t()
        switch profile {
        case .aes128CmHmacSha1_80:
            podium_srtp_policy_aes_cm_128_hmac_sha1_80(&policy.rtp)
            podium_srtp_policy_aes_cm_128_hmac_sha1_80(&policy.rtcp)
        case .aes128CmHmacSha1_32:
            podium_srtp_policy_aes_cm_128_hmac_sha1_32(&policy.rtp)
            // Why: SRTCP keeps the 80-bit tag under this profile (RFC 5764 §4.1.2).
            podium_srtp_policy_aes_cm_128_hmac_sha1_80(&policy.rtcp)
        case .aeadAes128Gcm:
            podium_srtp_policy_aes_gcm_128_16_auth(&policy.rtp)
            podium_srtp_policy_aes_gcm_128_16_auth(&policy.rtcp)
        case .aeadAes256Gcm:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = type
        policy.ssrc.value = 0
        policy.window_size = 128
        policy.allow_repeat_tx = 1
        var material = key.key + key.salt
        var session: srtp_t?
        let status = material.withUnsafeMutableBufferPointer { bytes in
            policy.key = bytes.baseAddress
            return srtp_create(&session, &policy)
        }
        for i in material.indices { material[i] = 0 }
        guard status == srtp_err_status_ok, let session else { throw .libsrtp(Int32(status.rawValue)) }
        return session
    }

    /// As `SRTPContext.protectRTP`: `buffer` needs `profile.rtpOverhead` bytes after `length`.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(buffer, length: length, overhead: profile.rtpOverhead, minimum: 12) { srtp_protect(outbound, $0, $1) }
    }

    /// As `SRTPContext.unprotectRTP`.
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer) throws(SRTPError) -> Int {
        try run(buffer, length: buffer.count, overhead: 0, minimum: 12) { srtp_unprotect(inbound, $0, $1) }
    }

    /// As `SRTPContext.protectRTCP`: `buffer` needs `profile.rtcpOverhead` bytes after `length`.
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(buffer, length: length, overhead: profile.rtcpOverhead, minimum: 8) { srtp_protect_rtcp(outbound, $0, $1) }
    }

    /// As `SRTPContext.unprotectRTCP`.
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer) throws(SRTPError) -> Int {
        try run(buffer, length: buffer.count, overhead: 0, minimum: 8) { srtp_unprotect_rtcp(inbound, $0, $1) }
    }

    @inline(__always)
    private func run(_ buffer: UnsafeMutableRawBufferPointer, length: Int, overhead: Int, minimum: Int,
                     _ call: (UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t) throws(SRTPError) -> Int {
        guard length >= minimum, length <= buffer.count, length <= Int(Int32.max), let base = buffer.baseAddress else { throw .truncated }
        let needed = length + overhead
        guard needed <= buffer.count else { throw .bufferTooSmall(needed: needed, available: buffer.count) }
        var n = Int32(length)
        let status = call(base, &n)
        switch status {
        case srtp_err_status_ok: return Int(n)
        case srtp_err_status_auth_fail: throw .authenticationFailed
        case srtp_err_status_replay_fail: throw .replayed
        case srtp_err_status_replay_old: throw .tooOld
        case srtp_err_status_bad_param, srtp_err_status_parse_err: throw .malformed
        case srtp_err_status_key_expired: throw .indexExhausted
        default: throw .libsrtp(Int32(status.rawValue))
        }
    }
}
