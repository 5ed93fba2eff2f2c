import PodiumSDP
import PodiumWire

// The data that connects SDP negotiation (`PublisherNegotiation`, `SubscriberNegotiation`) to the
// router: what a publisher's m-line carries (`PublishedTrack`) and what a subscriber's m-line
// accepts (`SubscribedTrack`). Plain values, built off the packet path; the router turns them into
// compact per-packet state (extension id maps, payload type maps) once, when a producer or
// consumer is created.

/// Audio or video (the only kinds the router forwards).
public enum MediaKind: String, Sendable, Hashable, Codable, CustomStringConvertible {
    case audio, video
    public var description: String { rawValue }
}

/// RTCP feedback negotiated for a codec (`a=rtcp-fb`).
public struct RTCPFeedbackSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `nack`: generic NACK (RFC 4585).
    public static let nack = RTCPFeedbackSet(rawValue: 1 << 0)
    /// `nack pli`.
    public static let pli = RTCPFeedbackSet(rawValue: 1 << 1)
    /// `ccm fir` (RFC 5104).
    public static let fir = RTCPFeedbackSet(rawValue: 1 << 2)
    /// `transport-cc`.
    public static let transportCC = RTCPFeedbackSet(rawValue: 1 << 3)
    /// `goog-remb`.
    public static let remb = RTCPFeedbackSet(rawValue: 1 << 4)
}

/// One codec as negotiated on one side of the router (the publisher's or a subscriber's payload
/// types: they differ per peer, the codec does not).
public struct NegotiatedCodec: Sendable, Hashable, CustomStringConvertible {
    public var codec: PayloadCodec
    public var payloadType: UInt8
    public var clockRate: UInt32
    /// Audio channels (Opus: 2).
    public var channels: UInt16?
    /// `a=fmtp` parameters, as offered (e.g. H.264 profile-level-id, packetization-mode).
    public var parameters: [SDPFormatParameter]
    /// The RTX payload type (`apt=` this codec), when RTX was negotiated.
    public var rtxPayloadType: UInt8?
    public var feedback: RTCPFeedbackSet

    public init(codec: PayloadCodec, payloadType: UInt8, clockRate: UInt32, channels: UInt16? = nil,
                parameters: [SDPFormatParameter] = [], rtxPayloadType: UInt8? = nil, feedback: RTCPFeedbackSet = []) {
        self.codec = codec
        self.payloadType = payloadType
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.rtxPayloadType = rtxPayloadType
        self.feedback = feedback
    }

    public func parameter(_ key: String) -> String? {
        parameters.first { $0.key.caseInsensitiveCompare(key) }?.value
    }

    public var description: String {
        "\(codec)/\(clockRate)\(channels.map { "/\($0)" } ?? "") pt \(payloadType)\(rtxPayloadType.map { " rtx \($0)" } ?? "")"
    }
}

extension String {
    fileprivate func caseInsensitiveCompare(_ other: String) -> Bool { lowercased() == other.lowercased() }
}

extension Sequence where Element == SDPFormatParameter {
    fileprivate func first(where key: (SDPFormatParameter) -> Bool) -> SDPFormatParameter? {
        for p in self where key(p) { return p }
        return nil
    }
}

/// Negotiated RTP header extension ids by URI (`SDPExtensionURI`), for one side.
public struct HeaderExtensionIDs: Sendable, Hashable {
    public var byURI: [String: UInt8]
    public init(_ byURI: [String: UInt8] = [:]) { self.byURI = byURI }
    /// The id of `uri`, 0 when not negotiated.
    public subscript(uri: String) -> UInt8 { byURI[uri] ?? 0 }
    public var mid: UInt8 { self[SDPExtensionURI.mid] }
    public var rid: UInt8 { self[SDPExtensionURI.rtpStreamID] }
    public var repairedRID: UInt8 { self[SDPExtensionURI.repairedRTPStreamID] }
    public var audioLevel: UInt8 { self[SDPExtensionURI.audioLevel] }
    public var absSendTime: UInt8 { self[SDPExtensionURI.absSendTime] }
    public var transportCC: UInt8 { self[SDPExtensionURI.transportWideCC] }
}

/// One RTP stream of a published track: a simulcast layer, or the only stream.
public struct PublishedEncoding: Sendable, Hashable {
    /// The RID (`a=rid:<rid> send`), nil without RID simulcast.
    public var rid: String?
    /// The media SSRC when the SDP says it (`a=ssrc`, `a=ssrc-group:SIM`); nil when learned from
    /// the first packet (by mid/rid header extensions, or by payload type).
    public var ssrc: UInt32?
    /// The RTX SSRC when the SDP says it (`a=ssrc-group:FID`).
    public var rtxSSRC: UInt32?

    public init(rid: String? = nil, ssrc: UInt32? = nil, rtxSSRC: UInt32? = nil) {
        self.rid = rid
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
    }
}

/// What a publisher's accepted m-line carries: the result of answering its offer.
public struct PublishedTrack: Sendable, Hashable {
    public var mid: String
    public var kind: MediaKind
    /// The codec Podium accepted for this m-line (the publisher's payload types). One per m-line:
    /// every subscriber receives this codec.
    public var codec: NegotiatedCodec
    /// The publisher's header extension ids.
    public var headerExtensions: HeaderExtensionIDs
    /// At least one. With simulcast, in the order of `a=simulcast:send` (by convention lowest
    /// resolution first, as browsers order q;h;f).
    public var encodings: [PublishedEncoding]
    /// `a=rtcp-rsize`: RTCP feedback to this publisher may be sent alone (RFC 5506).
    public var rtcpReducedSize: Bool
    /// `a=msid` stream and track ids, when given.
    public var streamID: String?
    public var trackID: String?

    public init(mid: String, kind: MediaKind, codec: NegotiatedCodec, headerExtensions: HeaderExtensionIDs = .init(),
                encodings: [PublishedEncoding] = [PublishedEncoding()], rtcpReducedSize: Bool = false,
                streamID: String? = nil, trackID: String? = nil) {
        self.mid = mid
        self.kind = kind
        self.codec = codec
        self.headerExtensions = headerExtensions
        self.encodings = encodings
        self.rtcpReducedSize = rtcpReducedSize
        self.streamID = streamID
        self.trackID = trackID
    }

    public var isSimulcast: Bool { encodings.count > 1 }
}

/// What a subscriber's m-line accepts: the result of negotiating one receiving m-line.
public struct SubscribedTrack: Sendable, Hashable {
    public var mid: String
    public var kind: MediaKind
    /// The codecs the subscriber accepts on this m-line (its payload types), in its preference.
    /// A consumer uses the one whose `codec` (and for H.264 packetization-mode) matches the
    /// producer's.
    public var codecs: [NegotiatedCodec]
    /// The subscriber's header extension ids.
    public var headerExtensions: HeaderExtensionIDs
    /// The SSRCs Podium sends with (announced in `a=ssrc` lines when the track is bound at
    /// negotiation time). Chosen by the negotiator, unique per subscriber transport.
    public var ssrc: UInt32
    public var rtxSSRC: UInt32?
    /// The CNAME announced with the SSRCs (`a=ssrc:<ssrc> cname:`), also sent in SDES.
    public var cname: String
    /// `a=rtcp-rsize` negotiated.
    public var rtcpReducedSize: Bool

    public init(mid: String, kind: MediaKind, codecs: [NegotiatedCodec], headerExtensions: HeaderExtensionIDs = .init(),
                ssrc: UInt32, rtxSSRC: UInt32? = nil, cname: String, rtcpReducedSize: Bool = false) {
        self.mid = mid
        self.kind = kind
        self.codecs = codecs
        self.headerExtensions = headerExtensions
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
        self.cname = cname
        self.rtcpReducedSize = rtcpReducedSize
    }

    /// The subscriber's codec that can carry `producer`'s media, if any.
    public func codec(matching producer: NegotiatedCodec) -> NegotiatedCodec? {
        codecs.first { c in
            guard c.codec == producer.codec, c.clockRate == producer.clockRate else { return false }
            if c.codec == .h264 {
                // Why: packetization-mode changes the payload format (RFC 6184 §8.1); a receiver
                // negotiated for mode 0 cannot take FU-A/STAP-A packets of mode 1.
                return (c.parameter("packetization-mode") ?? "0") == (producer.parameter("packetization-mode") ?? "0")
            }
            return true
        }
    }
}
