import PodiumRTC

/// A participant's role in a room. Issue 8 adds per-participant permissions; for now hosts and
/// presenters may publish, attendees only subscribe.
public enum ParticipantRole: String, Sendable, Hashable, Codable, CaseIterable {
    case host, presenter, attendee

    public var mayPublish: Bool { self != .attendee }
}

/// Identifies a publish or subscribe session (one WebRTC transport) of a participant. Stable text,
/// safe in URLs (the demo server uses it in WHIP/WHEP resource locations).
public struct SessionID: Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// Who a participant is, as events and stats show it.
public struct ParticipantInfo: Sendable, Hashable, Codable {
    /// Unique in the room (`p<n>-<random>`), safe in URLs.
    public var id: String
    /// The display name given to `Room.join`.
    public var name: String
    public var role: ParticipantRole
    public init(id: String, name: String, role: ParticipantRole) {
        self.id = id
        self.name = name
        self.role = role
    }
}

/// A published track, as the room shows it.
public struct TrackInfo: Sendable, Hashable, Codable {
    /// Router-wide producer id.
    public var id: Int
    /// The publishing participant and the session (transport) the track arrives on.
    public var participantID: String
    public var session: SessionID
    public var kind: MediaKind
    /// Codec name (e.g. "VP8", "opus").
    public var codec: String
    /// The publisher's m-line mid.
    public var mid: String
    /// Simulcast RIDs, empty without RID simulcast.
    public var rids: [String]
    public init(id: Int, participantID: String, session: SessionID, kind: MediaKind, codec: String, mid: String, rids: [String]) {
        self.id = id
        self.participantID = participantID
        self.session = session
        self.kind = kind
        self.codec = codec
        self.mid = mid
        self.rids = rids
    }
}

/// What happens in a room, in order, delivered to every `Room.events` stream.
public enum RoomEvent: Sendable, Hashable {
    case participantJoined(ParticipantInfo)
    case participantLeft(ParticipantInfo)
    case trackPublished(TrackInfo)
    case trackUnpublished(TrackInfo)
    /// A session's transport changed state ("new", "connecting", "connected", "failed (…)", "closed").
    case sessionStateChanged(participantID: String, session: SessionID, state: String)
    /// A subscriber started or stopped receiving a track (bound to a slot, paused, producer gone).
    case consumerChanged(participantID: String, session: SessionID, trackID: Int, active: Bool)
    /// A server-initiated subscription needs a new offer/answer round (tracks were added or
    /// removed): send `offer` to the subscriber and pass its answer to `Participant.completeSubscription`.
    case renegotiationNeeded(participantID: String, session: SessionID, offer: String)
    case roomClosed
}
