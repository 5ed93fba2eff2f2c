/// RTP header extension URIs (RFC 8285 §5 `a=extmap:<id> <uri>`): the ones Chromium offers and the
/// ones Podium reads or writes. Matching an SDP line is `RTPHeaderExtensionURI(rawValue: uri)`.
///
///     a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
///              │ └─ URI (this enum's raw value)
///              └─── id used in the packets' one- or two-byte elements
public enum RTPHeaderExtensionURI: String, Sendable, CaseIterable, CustomStringConvertible {
    /// MID (RFC 9143 §15.2, RFC 7941): `MediaIDExtension`.
    case mid = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// RtpStreamId (RFC 8852 §3.1): `RTPStreamIDExtension`.
    case rtpStreamID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    /// RepairedRtpStreamId (RFC 8852 §3.2): `RepairedRTPStreamIDExtension`.
    case repairedRTPStreamID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
    /// Client-to-mixer audio level (RFC 6464): `AudioLevelExtension`.
    case audioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    /// Mixer-to-client audio levels (RFC 6465).
    case csrcAudioLevel = "urn:ietf:params:rtp-hdrext:csrc-audio-level"
    /// Transmission time offset (RFC 5450).
    case transmissionTimeOffset = "urn:ietf:params:rtp-hdrext:toffset"
    /// Absolute send time, 6.18 fixed point (webrtc.org): `AbsSendTimeExtension`.
    case absSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    /// Absolute capture time (webrtc.org).
    case absCaptureTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
    /// Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01):
    /// `TransportSequenceNumberExtension`.
    case transportWideCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    /// Transport-wide sequence number with optional feedback request (webrtc.org, version 02).
    case transportWideCC02 = "http://www.webrtc.org/experiments/rtp-hdrext/transport-wide-cc-02"
    /// Coordination of video orientation (3GPP TS 26.114 §7.4.5): `VideoOrientationExtension`.
    case videoOrientation = "urn:3gpp:video-orientation"
    /// Playout delay limits (webrtc.org): `PlayoutDelayExtension`.
    case playoutDelay = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
    /// Video content type, e.g. screenshare (webrtc.org).
    case videoContentType = "http://www.webrtc.org/experiments/rtp-hdrext/video-content-type"
    /// Video timing (webrtc.org).
    case videoTiming = "http://www.webrtc.org/experiments/rtp-hdrext/video-timing"
    /// Color space (webrtc.org).
    case colorSpace = "http://www.webrtc.org/experiments/rtp-hdrext/color-space"
    /// AV1 dependency descriptor (AV1 RTP specification, appendix A).
    case dependencyDescriptor = "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension"
    /// Video layers allocation (webrtc.org).
    case videoLayersAllocation = "http://www.webrtc.org/experiments/rtp-hdrext/video-layers-allocation00"

    public var description: String { rawValue }
}
