import PodiumCrypto
import PodiumSDP
import PodiumWire

// The public negotiation API: signatures are the contract between negotiation, the router and the
// `Podium` API layer (changing one needs the lead's agreement). The work is in
// PublisherNegotiation.swift, SubscriberAnswer.swift and SubscriberOfferBuilder.swift; shared pieces
// in NegotiationSupport.swift. Docs/Negotiation.md explains the choices.

/// What Podium accepts and offers.
public struct MediaCapabilities: Sendable, Hashable {
    /// Audio codecs Podium forwards.
    public var audioCodecs: [PayloadCodec]
    /// Video codecs Podium forwards. For a publisher m-line Podium takes the first codec *of the
    /// offer's order* that is in this list (the offerer's preference).
    public var videoCodecs: [PayloadCodec]
    /// Header extension URIs Podium negotiates (with publishers and subscribers).
    public var headerExtensions: [String]
    /// RTCP feedback Podium negotiates.
    public var feedback: RTCPFeedbackSet

    public init(audioCodecs: [PayloadCodec] = [.opus], videoCodecs: [PayloadCodec] = [.vp8, .vp9, .h264, .av1],
                headerExtensions: [String] = MediaCapabilities.defaultHeaderExtensions,
                feedback: RTCPFeedbackSet = [.nack, .pli, .fir, .transportCC, .remb]) {
        self.audioCodecs = audioCodecs
        self.videoCodecs = videoCodecs
        self.headerExtensions = headerExtensions
        self.feedback = feedback
    }

    public static let defaultHeaderExtensions: [String] = [
        SDPExtensionURI.mid, SDPExtensionURI.rtpStreamID, SDPExtensionURI.repairedRTPStreamID,
        SDPExtensionURI.audioLevel, SDPExtensionURI.absSendTime, SDPExtensionURI.transportWideCC,
        SDPExtensionURI.videoOrientation, SDPExtensionURI.playoutDelay, SDPExtensionURI.dependencyDescriptor,
    ]

    public static let `default` = MediaCapabilities()
}

/// An m-line Podium rejected (port 0), and why, for stats and logs.
public struct RejectedMedia: Sendable, Hashable, CustomStringConvertible {
    /// Index of the m-line in the offer.
    public var index: Int
    public var mid: String?
    public var reason: String
    public init(index: Int, mid: String?, reason: String) {
        self.index = index
        self.mid = mid
        self.reason = reason
    }
    public var description: String { "m-line \(index)\(mid.map { " (mid \($0))" } ?? ""): \(reason)" }
}

/// The result of answering a publisher's offer.
public struct PublisherAnswer: Sendable {
    public var answer: SessionDescription
    /// One per accepted m-line, in m-line order.
    public var tracks: [PublishedTrack]
    public var rejected: [RejectedMedia]
    /// The publisher's ICE credentials, fingerprints and setup.
    public var remote: RemoteTransportDescription
    /// Podium's DTLS role, as the answer's a=setup says.
    public var dtlsRole: DTLSSession.Role

    public init(answer: SessionDescription, tracks: [PublishedTrack], rejected: [RejectedMedia],
                remote: RemoteTransportDescription, dtlsRole: DTLSSession.Role) {
        self.answer = answer
        self.tracks = tracks
        self.rejected = rejected
        self.remote = remote
        self.dtlsRole = dtlsRole
    }
}

/// Answers publishers' offers (WHIP, `Participant.publish(offer:)`).
public enum PublisherNegotiation {
    /// Accepts, per m-line that sends: one codec Podium forwards (with its RTX), the feedback and
    /// header extensions in `capabilities`, simulcast by RID (`a=simulcast:recv` in the answer) or
    /// by SSRC group; answers `recvonly`. Rejects other m-lines (port 0) with a reason. Throws when
    /// nothing can be received or the offer is unusable (no ICE credentials, no fingerprint, no
    /// mid, not BUNDLE-able), saying which m-line is wrong.
    public static func answer(_ offer: SessionDescription, local: LocalTransportDescription,
                              capabilities: MediaCapabilities = .default, role: AnswerDTLSRole = .automatic,
                              sessionID: UInt64) throws(NegotiationError) -> PublisherAnswer {
        try makeAnswer(offer, local: local, capabilities: capabilities, role: role, sessionID: sessionID)
    }
}

/// A producer as subscriber negotiation sees it.
public struct OfferableTrack: Sendable, Hashable {
    /// The producer's id (router-wide).
    public var producerID: Int
    public var kind: MediaKind
    /// The producer's codec (publisher payload types; only `codec`, clock rate, channels and
    /// parameters matter to subscribers).
    public var codec: NegotiatedCodec
    /// `a=msid` stream and track ids to announce (so players group audio with video).
    public var streamID: String
    public var trackID: String

    public init(producerID: Int, kind: MediaKind, codec: NegotiatedCodec, streamID: String, trackID: String) {
        self.producerID = producerID
        self.kind = kind
        self.codec = codec
        self.streamID = streamID
        self.trackID = trackID
    }
}

/// One of a subscriber's m-lines after negotiation, with the producer bound to it.
public struct SubscriberSlot: Sendable, Hashable {
    public var track: SubscribedTrack
    /// nil: the m-line has no producer yet (WHEP offered more receivers than there are tracks);
    /// the owner binds one later, and the subscriber learns the SSRC from the mid extension.
    public var producerID: Int?
    public init(track: SubscribedTrack, producerID: Int?) {
        self.track = track
        self.producerID = producerID
    }
}

/// The result of a subscriber negotiation (an answer to its offer, or its answer to Podium's offer).
public struct SubscriberNegotiationResult: Sendable {
    /// Podium's SDP: the answer (WHEP) or the offer that was answered.
    public var localDescription: SessionDescription
    public var slots: [SubscriberSlot]
    public var rejected: [RejectedMedia]
    public var remote: RemoteTransportDescription
    public var dtlsRole: DTLSSession.Role

    public init(localDescription: SessionDescription, slots: [SubscriberSlot], rejected: [RejectedMedia],
                remote: RemoteTransportDescription, dtlsRole: DTLSSession.Role) {
        self.localDescription = localDescription
        self.slots = slots
        self.rejected = rejected
        self.remote = remote
        self.dtlsRole = dtlsRole
    }
}

/// A server-initiated offer waiting for the subscriber's answer; also the state a renegotiation
/// starts from.
public struct SubscriberOffer: Sendable {
    public var offer: SessionDescription
    /// One per m-line of `offer` that is not rejected, in order (Podium's payload types and ids).
    public var slots: [SubscriberSlot]
    public var sessionID: UInt64
    public var sessionVersion: UInt64

    public init(offer: SessionDescription, slots: [SubscriberSlot], sessionID: UInt64, sessionVersion: UInt64) {
        self.offer = offer
        self.slots = slots
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
    }
}

/// Subscriber negotiation in both directions.
public enum SubscriberNegotiation {
    /// WHEP: answers a client's offer of receiving m-lines (`recvonly` or `sendrecv`). Binds
    /// `tracks` to the m-lines in order, by kind and codec (each track at most once); an m-line
    /// with no track left is accepted unbound (`sendonly`, no SSRC) if its kind has a codec in
    /// `capabilities`. Bound m-lines announce `a=ssrc` (cname, msid) and RTX with
    /// `a=ssrc-group:FID`. Throws like `PublisherNegotiation.answer`.
    public static func answer(_ offer: SessionDescription, tracks: [OfferableTrack], local: LocalTransportDescription,
                              capabilities: MediaCapabilities = .default, role: AnswerDTLSRole = .automatic,
                              sessionID: UInt64) throws(NegotiationError) -> SubscriberNegotiationResult {
        var generator = SystemRandomNumberGenerator()
        return try makeAnswer(offer, tracks: tracks, local: local, capabilities: capabilities, role: role,
                              sessionID: sessionID, using: &generator)
    }

    /// Server-initiated: an offer with one `sendonly` m-line per track (`a=setup:actpass`).
    /// With `previous` (renegotiation): m-lines of tracks still present keep their mid, SSRCs and
    /// payload types in place; m-lines of tracks gone are rejected (port 0) in place; new tracks
    /// get new m-lines at the end with new mids. The session id stays, the version increments.
    public static func offer(tracks: [OfferableTrack], local: LocalTransportDescription,
                             capabilities: MediaCapabilities = .default, previous: SubscriberOffer? = nil,
                             sessionID: UInt64) -> SubscriberOffer {
        var generator = SystemRandomNumberGenerator()
        return makeOffer(tracks: tracks, local: local, capabilities: capabilities, previous: previous, sessionID: sessionID,
                         using: &generator)
    }

    /// Completes `offer` with the subscriber's answer: keeps only the codecs, feedback and header
    /// extensions the answer accepted; slots whose m-line the answer rejected are dropped. Throws
    /// when the answer does not match the offer (m-line count, mids) or lacks ICE/DTLS.
    public static func apply(answer: SessionDescription, to offer: SubscriberOffer) throws(NegotiationError) -> SubscriberNegotiationResult {
        try applyAnswer(answer, to: offer)
    }
}
