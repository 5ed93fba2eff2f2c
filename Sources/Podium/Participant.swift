import PodiumRTC

/// The answer to a publisher's offer.
public struct Publication: Sendable, Hashable {
    /// The session to close later (the WHIP resource).
    public var session: SessionID
    /// Podium's SDP answer.
    public var answer: String
    /// The tracks published, one per accepted m-line.
    public var tracks: [TrackInfo]
    /// m-lines Podium rejected, with the reason.
    public var rejected: [String]
}

/// A subscribe session: Podium's answer (WHEP: the client offered) or Podium's offer (server-initiated).
public struct Subscription: Sendable, Hashable {
    /// The session to complete or close later (the WHEP resource).
    public var session: SessionID
    /// Podium's SDP: an answer when `isOffer` is false, else an offer awaiting
    /// `Participant.completeSubscription(_:answer:)`.
    public var sdp: String
    /// True for a server-initiated subscription (`sdp` is Podium's offer).
    public var isOffer: Bool
    /// Tracks bound to the session's m-lines now (more are bound as they are published).
    public var tracks: [TrackInfo]
    /// m-lines Podium rejected or could not bind, with the reason.
    public var rejected: [String]
}

/// One participant of a room. Sessions (publish or subscribe) each own one WebRTC transport.
///
/// A Sendable handle like `Room`: its calls are commands to the room's worker.
public final class Participant: Sendable {
    public let id: String
    public let name: String
    public let role: ParticipantRole
    public let room: Room
    let joinOrder: Int

    init(id: String, name: String, role: ParticipantRole, room: Room) {
        self.id = id
        self.name = name
        self.role = role
        self.room = room
        self.joinOrder = Int(id.dropFirst().prefix { $0 != "-" }) ?? 0
    }

    /// The participant as events and stats show it.
    public var info: ParticipantInfo { ParticipantInfo(id: id, name: name, role: role) }

    /// Answers a publisher's offer (WHIP). Its tracks are published to the room at once
    /// (`.trackPublished`; media flows once the transport connects) and reach every subscriber:
    /// WHEP sessions on free compatible m-lines, server-initiated ones by renegotiation.
    ///
    /// Errors: `tooLarge` (offer over `maxSDPBytes`), `badRequest` (the offer does not parse or
    /// cannot be answered; the message says where), `forbidden` for attendees, `notFound` after
    /// `leave()`.
    public func publish(offer: String) async throws(PodiumError) -> Publication {
        let sdp = try parse(offer, what: "offer")
        let id = self.id
        return try await room.run { core throws(PodiumError) in try core.publish(participantID: id, offer: sdp) }
    }

    /// Answers a subscriber's offer of receiving m-lines (WHEP): binds the room's tracks to them,
    /// and later-published tracks to m-lines still free. Errors as for `publish(offer:)`, without
    /// the role check.
    public func subscribe(offer: String) async throws(PodiumError) -> Subscription {
        let sdp = try parse(offer, what: "offer")
        let id = self.id
        return try await room.run { core throws(PodiumError) in try core.subscribe(participantID: id, offer: sdp) }
    }

    /// Server-initiated subscription: Podium offers every track of the room; complete it with the
    /// subscriber's answer. New or removed tracks later raise `.renegotiationNeeded`. `conflict`
    /// when nothing is published yet.
    public func subscribe() async throws(PodiumError) -> Subscription {
        let id = self.id
        return try await room.run { core throws(PodiumError) in try core.subscribeOffer(participantID: id) }
    }

    /// Completes a server-initiated subscription (first offer or a renegotiation) with the answer.
    /// Consumers of m-lines that keep their track keep running. `conflict` when no offer awaits
    /// an answer, `notFound` for an unknown session.
    public func completeSubscription(_ session: SessionID, answer: String) async throws(PodiumError) {
        let sdp = try parse(answer, what: "answer")
        let id = self.id
        try await room.run { core throws(PodiumError) in try core.completeSubscription(participantID: id, session: session, answer: sdp) }
    }

    /// Stops one published track (`.trackUnpublished`; its consumers get RTCP BYE) while the
    /// session stays up, as when a presenter stops sharing the screen. `notFound` when the
    /// participant publishes no track `trackID`.
    public func unpublish(trackID: Int) async throws(PodiumError) {
        let id = self.id
        try await room.run { core throws(PodiumError) in try core.unpublish(participantID: id, trackID: trackID) }
    }

    /// Ends one session (WHIP/WHEP DELETE): unpublishes its tracks (subscribers get BYE) or stops
    /// its consumers, and closes its transport. `notFound` if unknown or already closed.
    public func close(session: SessionID) async throws(PodiumError) {
        let id = self.id
        try await room.run { core throws(PodiumError) in try core.close(participantID: id, session: session) }
    }

    /// Closes every session and leaves the room (`.participantLeft`). Idempotent.
    public func leave() async {
        let id = self.id
        room.removeParticipant(id)
        _ = try? await room.run { core in core.leave(id) }
    }

    /// The participant's open sessions with their counters.
    public func stats() async -> ParticipantStats {
        let id = self.id
        let sessions = (try? await room.run { core in core.stats(of: id) }) ?? []
        return ParticipantStats(info: info, sessions: sessions)
    }

    private func parse(_ text: String, what: String) throws(PodiumError) -> SessionDescription {
        let limit = room.configuration.maxSDPBytes
        guard text.utf8.count <= limit else {
            throw PodiumError(.tooLarge, "the \(what) is \(text.utf8.count) bytes; at most \(limit) are accepted")
        }
        let sdp: SessionDescription
        do {
            sdp = try SessionDescription(parsing: text)
        } catch {
            if error.kind == .tooLarge { throw PodiumError(.tooLarge, "the \(what): \(error)") }
            throw PodiumError(.badRequest, "the \(what) is not valid SDP: \(error)")
        }
        try OfferChecks.validate(sdp, what: what)
        return sdp
    }
}

/// Checks that say plainly what a WebRTC description lacks, before negotiation looks at it.
enum OfferChecks {
    static func validate(_ sdp: SessionDescription, what: String) throws(PodiumError) {
        guard !sdp.media.isEmpty else { throw PodiumError(.badRequest, "the \(what) has no m-line (no media section)") }
        for (i, m) in sdp.media.enumerated() where !m.isRejected {
            guard sdp.iceUfrag(of: m) != nil, sdp.icePwd(of: m) != nil else {
                throw PodiumError(.badRequest, "the \(what) has no ICE credentials (a=ice-ufrag and a=ice-pwd) in m-section \(i + 1)")
            }
            guard !sdp.fingerprints(of: m).isEmpty else {
                throw PodiumError(.badRequest, "the \(what) has no DTLS fingerprint (a=fingerprint) in m-section \(i + 1)")
            }
        }
    }
}
