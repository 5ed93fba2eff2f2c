import PodiumCrypto
import PodiumNet
import PodiumSDP
import PodiumWire

/// The life of a transport, as its owner sees it.
public enum WebRtcTransportState: Sendable, Hashable, CustomStringConvertible {
    /// Created; no valid ICE check yet.
    case new
    /// ICE nominated a pair; DTLS is handshaking.
    case connecting
    /// DTLS done, SRTP keyed: media flows.
    case connected
    /// ICE, DTLS or consent failed; the reason says which. Final.
    case failed(String)
    /// Closed by the owner or by the peer's close_notify. Final.
    case closed

    public var isFinal: Bool {
        switch self {
        case .failed, .closed: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .new: "new"
        case .connecting: "connecting"
        case .connected: "connected"
        case .failed(let why): "failed (\(why))"
        case .closed: "closed"
        }
    }
}

/// Receives what a transport delivers, on the transport's worker thread. Packet buffers are valid
/// only during the call (they are the worker's receive slots) and may be modified in place.
public protocol WebRtcTransportDelegate: AnyObject {
    func transport(_ transport: WebRtcTransport, didReceiveRTP packet: UnsafeMutableRawBufferPointer)
    func transport(_ transport: WebRtcTransport, didReceiveRTCP packet: UnsafeMutableRawBufferPointer)
    func transport(_ transport: WebRtcTransport, didChangeState state: WebRtcTransportState)
}

/// Counters of one transport. Plain integers, read on the worker (or through `submit`).
public struct WebRtcTransportStats: Sendable, Hashable {
    public var bytesReceived: UInt64 = 0
    public var bytesSent: UInt64 = 0
    public var rtpPacketsReceived: UInt64 = 0
    public var rtcpPacketsReceived: UInt64 = 0
    public var rtpPacketsSent: UInt64 = 0
    public var rtcpPacketsSent: UInt64 = 0
    public var stunRequestsReceived: UInt64 = 0
    public var dtlsDatagramsReceived: UInt64 = 0
    /// SRTP/SRTCP that failed authentication (forged, corrupted, wrong key).
    public var decryptFailures: UInt64 = 0
    /// SRTP/SRTCP replays and packets older than the replay window.
    public var replays: UInt64 = 0
    /// RTP/RTCP received before SRTP keys existed.
    public var mediaBeforeKeys: UInt64 = 0
    /// Datagrams of a kind the transport does not handle (ZRTP, TURN channel data, unknown).
    public var unknownDatagrams: UInt64 = 0
    /// Outgoing packets dropped because the transport was not connected or the packet did not fit.
    public var sendDropped: UInt64 = 0
    /// Round-trip time from the latest RTCP receiver report (ms), when known.
    public var rttMilliseconds: Double?
}
