import Podium

/// A WHIP or WHEP resource: the HTTP side of one Podium session.
struct Resource: Sendable {
    enum Kind: String, Sendable { case whip, whep }
    var kind: Kind
    var room: String
    var session: SessionID
    var participant: Participant
    /// The offer's ICE username fragment, to tell a trickle PATCH from an ICE restart.
    var iceUfrag: String?
    /// Bumped on every accepted PATCH; sent as the ETag (RFC 9725 §4.3.1).
    var revision: Int = 1

    var location: String { "/\(kind.rawValue)/\(room)/\(session.rawValue)" }
    var etag: String { "\"\(session.rawValue)-\(revision)\"" }
}

/// Which WHIP/WHEP resources exist, so DELETE and PATCH find their session and a second DELETE
/// answers 404. Also ends participants with no session left and rooms with no participant left,
/// so an abandoned page or a failed POST leaves nothing behind.
actor Sessions {
    private var resources: [String: Resource] = [:]  // key: "kind/room/session"
    private var watchedRooms: Set<ObjectIdentifier> = []
    private let sfu: SFU
    private let log: Log

    init(sfu: SFU, log: Log) {
        self.sfu = sfu
        self.log = log
    }

    private static func key(_ kind: Resource.Kind, _ room: String, _ session: String) -> String {
        "\(kind.rawValue)/\(room)/\(session)"
    }

    func add(_ resource: Resource) {
        resources[Self.key(resource.kind, resource.room, resource.session.rawValue)] = resource
    }

    func find(_ kind: Resource.Kind, room: String, session: String) -> Resource? {
        resources[Self.key(kind, room, session)]
    }

    /// Records an accepted PATCH and returns the resource with its new ETag.
    func bump(_ kind: Resource.Kind, room: String, session: String) -> Resource? {
        let key = Self.key(kind, room, session)
        resources[key]?.revision += 1
        return resources[key]
    }

    /// Removes the resource (first caller wins, so a concurrent second DELETE gets nil → 404).
    func take(_ kind: Resource.Kind, room: String, session: String) -> Resource? {
        resources.removeValue(forKey: Self.key(kind, room, session))
    }

    /// Number of resources a participant still has.
    func count(of participant: Participant) -> Int {
        resources.values.reduce(0) { $0 + ($1.participant === participant ? 1 : 0) }
    }

    /// The session of a participant ended (DELETE, failed transport, failed POST): the participant
    /// leaves once it has no resource left, and the room closes once it has no participant left.
    func release(_ participant: Participant) async {
        guard count(of: participant) == 0 else { return }
        await participant.leave()
        let room = participant.room
        if room.participants().isEmpty, sfu.room(room.name) === room {
            log.info("room \(room.name): last participant left, closing it")
            await room.close()
        }
    }

    /// Removes resources whose transport ended without a DELETE (a closed tab, consent expiry).
    func sessionEnded(room: String, session: SessionID) async {
        for kind in [Resource.Kind.whip, .whep] {
            if let resource = take(kind, room: room, session: session.rawValue) {
                log.info("\(resource.location): transport ended without DELETE, removed")
                await release(resource.participant)
            }
        }
    }

    /// Starts logging a room's events once (the first POST that sees the room).
    func watch(_ room: Room) {
        guard watchedRooms.insert(ObjectIdentifier(room)).inserted else { return }
        let events = room.events
        let name = room.name
        Task { [log] in
            for await event in events {
                switch event {
                case .participantJoined(let p): log.info("room \(name): \(p.role.rawValue) \(p.name) joined")
                case .participantLeft(let p): log.info("room \(name): \(p.role.rawValue) \(p.name) left")
                case .trackPublished(let t):
                    log.info("room \(name): \(t.kind) track \(t.id) published (\(t.codec)\(t.rids.isEmpty ? "" : ", rids \(t.rids.joined(separator: "/"))"))")
                case .trackUnpublished(let t): log.info("room \(name): track \(t.id) unpublished")
                case .sessionStateChanged(_, let session, let state):
                    log.info("room \(name): session \(session) \(state)")
                    if state.hasPrefix("failed") || state.hasPrefix("closed") {
                        await self.sessionEnded(room: name, session: session)
                    }
                case .consumerChanged, .renegotiationNeeded: break
                case .roomClosed: log.info("room \(name): closed")
                }
            }
            self.forget(room: ObjectIdentifier(room))
        }
    }

    private func forget(room: ObjectIdentifier) {
        watchedRooms.remove(room)
    }
}
