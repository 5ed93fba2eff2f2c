/// Demultiplexing one UDP port by the first byte (RFC 7983 §7, updating RFC 5764 §5.1.2), with
/// RTP and RTCP told apart by the second byte (RFC 5761 §4).
///
///                    +----------------+
///                    |        [0..3] -+--> STUN
///                    |      [16..19] -+--> ZRTP
///    packet -->      |      [20..63] -+--> DTLS
///                    |      [64..79] -+--> TURN channel
///                    |    [128..191] -+--> RTP / RTCP  (second byte 192…223 → RTCP:
///                    +----------------+                 payload type 64…95 with M set)
///
/// Anything else, an empty datagram, or an RTP/RTCP candidate shorter than 2 bytes is `.unknown`.
public enum DatagramKind: UInt8, Sendable, CustomStringConvertible {
    case unknown
    case stun
    case zrtp
    case dtls
    case turnChannel
    case rtp
    case rtcp

    @inlinable
    public init(classifying bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { self = .unknown; return }
        switch first {
        case 0 ... 3: self = .stun
        case 16 ... 19: self = .zrtp
        case 20 ... 63: self = .dtls
        case 64 ... 79: self = .turnChannel
        case 128 ... 191:
            guard bytes.count >= 2 else { self = .unknown; return }
            self = (192 ... 223).contains(bytes[1]) ? .rtcp : .rtp
        default: self = .unknown
        }
    }

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .stun: "STUN"
        case .zrtp: "ZRTP"
        case .dtls: "DTLS"
        case .turnChannel: "TURN channel"
        case .rtp: "RTP"
        case .rtcp: "RTCP"
        }
    }
}
