import PodiumCrypto
import PodiumNet
import PodiumRTC
import PodiumSDP

/// One publish or subscribe session: one WebRTC transport attached to the room's router.
/// Loop-confined, owned by `RoomCore`.
final class Session {
    /// One receiving m-line of a subscriber and what is bound to it now.
    struct Slot {
        var track: SubscribedTrack
        var producerID: Int?
        var consumer: Consumer?
        /// The slot's SSRCs carried a consumer before: a new binding takes fresh ones.
        var ssrcUsed = false
    }

    let id: SessionID
    let participantID: String
    let direction: SessionStats.Direction
    let localICE: ICECredentials
    let sdpSessionID: UInt64
    /// Server-initiated subscription (Podium offers); false for WHEP and publishers.
    let serverInitiated: Bool
    var transport: WebRtcTransport?
    var peer: RouterPeer?
    var state = "new"
    var isClosed = false
    /// A final transport state ("closed", "failed (…)") was reported in an event.
    var reportedFinal = false
    /// Publish: the producers of this session, in m-line order.
    var producerIDs: [Int] = []
    /// Subscribe: the session's m-lines.
    var slots: [Slot] = []
    /// Server-initiated: the offer the subscriber answered last, and the one awaiting an answer.
    var completedOffer: SubscriberOffer?
    var pendingOffer: SubscriberOffer?
    /// Tracks changed while an offer was in flight: offer again once it is answered.
    var renegotiationDeferred = false

    init(id: SessionID, participantID: String, direction: SessionStats.Direction, localICE: ICECredentials,
         serverInitiated: Bool = false) {
        self.id = id
        self.participantID = participantID
        self.direction = direction
        self.localICE = localICE
        self.sdpSessionID = Identifiers.sdpSessionID()
        self.serverInitiated = serverInitiated
    }
}

/// A published track as the room keeps it.
struct TrackRecord {
    var info: TrackInfo
    let producer: Producer
}

/// The state of one room, confined to its worker's loop thread: the `Router` (whose delegate it
/// is), participants, sessions and published tracks. `Room` and `Participant` reach it only with
/// `loop.submit`/`execute`; nothing here locks or awaits. That single-thread confinement is the
/// reason `@unchecked Sendable` is sound: the handles carry the reference across threads, only the
/// loop dereferences it.
final class RoomCore: RouterDelegate, @unchecked Sendable {
    let name: String
    let worker: Worker
    let router: Router
    let hub: EventHub
    let configuration: SFU.Configuration

    private var participants: [String: (info: ParticipantInfo, sessions: [SessionID])] = [:]
    private var sessions: [SessionID: Session] = [:]
    private var sessionsByPeer: [Int: Session] = [:]
    private var tracks: [Int: TrackRecord] = [:]
    /// Producer ids in publication order.
    private var trackOrder: [Int] = []
    private(set) var isClosed = false

    /// Call on the worker's loop.
    init(name: String, worker: Worker, hub: EventHub, configuration: SFU.Configuration) {
        self.name = name
        self.worker = worker
        self.hub = hub
        self.configuration = configuration
        router = Router(loop: worker.loop, configuration: configuration.router)
        router.delegate = self
    }

    private var loop: EventLoop { worker.loop }

    // MARK: Participants

    func join(_ info: ParticipantInfo) throws(PodiumError) {
        guard !isClosed else { throw PodiumError(.conflict, "room '\(name)' is closed") }
        participants[info.id] = (info, [])
        hub.emit(.participantJoined(info))
    }

    func leave(_ participantID: String) {
        guard let record = participants[participantID] else { return }
        for id in record.sessions { if let s = sessions[id] { teardown(s, finalState: "closed") } }
        participants[participantID] = nil
        hub.emit(.participantLeft(record.info))
    }

    private func requireParticipant(_ id: String) throws(PodiumError) -> ParticipantInfo {
        guard !isClosed else { throw PodiumError(.conflict, "room '\(name)' is closed") }
        guard let record = participants[id] else {
            throw PodiumError(.notFound, "participant \(id) is not in room '\(name)' (it left, or the room closed)")
        }
        return record.info
    }

    /// Sessions one participant may hold at once (each is a transport on the worker's endpoint):
    /// bounds what one misbehaving client can take.
    static let maxSessionsPerParticipant = 32

    private func requireSessionRoom(_ participantID: String) throws(PodiumError) {
        let count = participants[participantID]?.sessions.count ?? 0
        guard count < Self.maxSessionsPerParticipant else {
            throw PodiumError(.tooLarge, "participant \(participantID) already has \(count) open sessions; close some first")
        }
    }

    private func register(_ session: Session) {
        sessions[session.id] = session
        participants[session.participantID]?.sessions.append(session.id)
        if let peer = session.peer { sessionsByPeer[peer.id] = session }
    }

    // MARK: Publish

    func publish(participantID: String, offer: SessionDescription) throws(PodiumError) -> Publication {
        let info = try requireParticipant(participantID)
        guard info.role.mayPublish else {
            throw PodiumError(.forbidden, "participant \(participantID) is an attendee; only hosts and presenters may publish")
        }
        try requireSessionRoom(participantID)
        let localICE = ICECredentials.random()
        let session = Session(id: SessionID(Identifiers.random()), participantID: participantID, direction: .publish, localICE: localICE)
        let answer: PublisherAnswer
        do {
            answer = try PublisherNegotiation.answer(offer, local: worker.localDescription(ice: localICE),
                                                     capabilities: configuration.capabilities, sessionID: session.sdpSessionID)
        } catch {
            throw PodiumError(.badRequest, "cannot answer the offer: \(error)")
        }
        let transport = try makeTransport(session, remote: answer.remote, dtlsRole: answer.dtlsRole)
        let peer = router.attach(transport)
        session.transport = transport
        session.peer = peer
        register(session)

        var rejected = answer.rejected.map(\.description)
        var published: [TrackRecord] = []
        for track in answer.tracks {
            do {
                let producer = try router.addProducer(track, on: peer)
                let record = TrackRecord(info: TrackInfo(id: producer.id, participantID: participantID, session: session.id,
                                                         kind: track.kind, codec: track.codec.codec.description, mid: track.mid,
                                                         rids: track.encodings.compactMap(\.rid)), producer: producer)
                tracks[producer.id] = record
                trackOrder.append(producer.id)
                session.producerIDs.append(producer.id)
                published.append(record)
            } catch {
                rejected.append("mid \(track.mid): \(error)")
            }
        }
        guard !published.isEmpty else {
            teardown(session, finalState: "closed")
            throw PodiumError(.badRequest, "no track of the offer can be forwarded: \(rejected.joined(separator: "; "))")
        }
        for record in published { hub.emit(.trackPublished(record.info)) }
        offerNewTracksToSubscribers()
        return Publication(session: session.id, answer: answer.answer.description, tracks: published.map(\.info), rejected: rejected)
    }

    private func makeTransport(_ session: Session, remote: RemoteTransportDescription, dtlsRole: DTLSSession.Role) throws(PodiumError) -> WebRtcTransport {
        do {
            return try worker.makeTransport(localICE: session.localICE, remote: remote, dtlsRole: dtlsRole,
                                            connectTimeout: configuration.connectTimeout)
        } catch {
            switch error {
            case .endpointFull: throw PodiumError(.unavailable, "worker \(worker.index) is full: \(error)")
            case .invalidState: throw PodiumError(.conflict, "\(error)")
            case .iceCredentials, .dtls: throw PodiumError(.badRequest, "\(error)")
            }
        }
    }

    /// New tracks reach every subscriber: WHEP sessions get them on free compatible m-lines,
    /// server-initiated ones one renegotiation.
    private func offerNewTracksToSubscribers() {
        for session in sessions.values where session.direction == .subscribe && !session.isClosed {
            if session.serverInitiated {
                renegotiate(session)
            } else {
                bindFreeSlots(session)
            }
        }
    }

    /// Binds the session's unbound m-lines to compatible tracks it does not receive yet, oldest
    /// track first.
    private func bindFreeSlots(_ session: Session) {
        guard let peer = session.peer, !session.isClosed else { return }
        for i in session.slots.indices where session.slots[i].producerID == nil {
            let slot = session.slots[i]
            let taken = Set(session.slots.compactMap(\.producerID))
            guard let id = trackOrder.first(where: { id in
                guard !taken.contains(id), let t = tracks[id], t.info.kind == slot.track.kind else { return false }
                return slot.track.codec(matching: t.producer.track.codec) != nil
            }), let record = tracks[id] else { continue }
            bind(session, slot: i, to: record, peer: peer)
        }
    }

    @discardableResult
    private func bind(_ session: Session, slot i: Int, to record: TrackRecord, peer: RouterPeer) -> String? {
        if session.slots[i].ssrcUsed {
            // Why fresh SSRCs: the subscriber's SRTP replay window and jitter buffer remember the
            // old stream's sequence numbers (and it got a BYE for it); a new SSRC starts clean,
            // and the receiver maps it to the m-line by the mid header extension (RFC 8843 §9.2).
            var taken = Set(session.slots.flatMap { [$0.track.ssrc] + ($0.track.rtxSSRC.map { [$0] } ?? []) })
            session.slots[i].track.ssrc = Self.freshSSRC(avoiding: &taken)
            if session.slots[i].track.rtxSSRC != nil { session.slots[i].track.rtxSSRC = Self.freshSSRC(avoiding: &taken) }
        }
        do {
            let consumer = try router.addConsumer(of: record.producer, on: peer, track: session.slots[i].track)
            session.slots[i].producerID = record.info.id
            session.slots[i].consumer = consumer
            session.slots[i].ssrcUsed = true
            hub.emit(.consumerChanged(participantID: session.participantID, session: session.id, trackID: record.info.id, active: true))
            return nil
        } catch {
            return "mid \(session.slots[i].track.mid): \(error)"
        }
    }

    private static func freshSSRC(avoiding taken: inout Set<UInt32>) -> UInt32 {
        while true {
            let ssrc = UInt32.random(in: 1...UInt32.max)
            if taken.insert(ssrc).inserted { return ssrc }
        }
    }

    // MARK: Subscribe

    private var offerableTracks: [OfferableTrack] {
        trackOrder.compactMap { id in
            guard let t = tracks[id] else { return nil }
            return OfferableTrack(producerID: id, kind: t.info.kind, codec: t.producer.track.codec,
                                  streamID: t.info.session.rawValue, trackID: "\(t.info.session.rawValue)-\(id)")
        }
    }

    /// WHEP: answers the subscriber's offer.
    func subscribe(participantID: String, offer: SessionDescription) throws(PodiumError) -> Subscription {
        _ = try requireParticipant(participantID)
        try requireSessionRoom(participantID)
        let localICE = ICECredentials.random()
        let session = Session(id: SessionID(Identifiers.random()), participantID: participantID, direction: .subscribe, localICE: localICE)
        let result: SubscriberNegotiationResult
        do {
            result = try SubscriberNegotiation.answer(offer, tracks: offerableTracks, local: worker.localDescription(ice: localICE),
                                                      capabilities: configuration.capabilities, sessionID: session.sdpSessionID)
        } catch {
            throw PodiumError(.badRequest, "cannot answer the offer: \(error)")
        }
        let transport = try makeTransport(session, remote: result.remote, dtlsRole: result.dtlsRole)
        let peer = router.attach(transport)
        session.transport = transport
        session.peer = peer
        session.slots = result.slots.map { Session.Slot(track: $0.track, producerID: nil, consumer: nil) }
        register(session)
        var rejected = result.rejected.map(\.description)
        for (i, slot) in result.slots.enumerated() {
            guard let id = slot.producerID, let record = tracks[id] else { continue }
            if let failure = bind(session, slot: i, to: record, peer: peer) { rejected.append(failure) }
        }
        return Subscription(session: session.id, sdp: result.localDescription.description, isOffer: false,
                            tracks: boundTracks(session), rejected: rejected)
    }

    /// Server-initiated: Podium's offer of every track.
    func subscribeOffer(participantID: String) throws(PodiumError) -> Subscription {
        _ = try requireParticipant(participantID)
        try requireSessionRoom(participantID)
        let available = offerableTracks
        guard !available.isEmpty else {
            throw PodiumError(.conflict, "room '\(name)' has no published track to offer yet; subscribe after one is published, or offer receivers (WHEP)")
        }
        let session = Session(id: SessionID(Identifiers.random()), participantID: participantID, direction: .subscribe,
                              localICE: .random(), serverInitiated: true)
        let offer = SubscriberNegotiation.offer(tracks: available, local: worker.localDescription(ice: session.localICE),
                                                capabilities: configuration.capabilities, sessionID: session.sdpSessionID)
        session.pendingOffer = offer
        register(session)
        let infos = offer.slots.compactMap { $0.producerID.flatMap { tracks[$0]?.info } }
        return Subscription(session: session.id, sdp: offer.offer.description, isOffer: true, tracks: infos, rejected: [])
    }

    /// Offers the room's current tracks again. Why one offer at a time (JSEP, RFC 8829 §4.1.8):
    /// an answer must match the offer it answers, so while one is in flight the next waits.
    private func renegotiate(_ session: Session) {
        guard !session.isClosed else { return }
        if session.pendingOffer != nil {
            session.renegotiationDeferred = true
            return
        }
        guard let base = session.completedOffer else { return }
        let offer = SubscriberNegotiation.offer(tracks: offerableTracks, local: worker.localDescription(ice: session.localICE),
                                                capabilities: configuration.capabilities, previous: base, sessionID: session.sdpSessionID)
        session.pendingOffer = offer
        hub.emit(.renegotiationNeeded(participantID: session.participantID, session: session.id, offer: offer.offer.description))
    }

    /// Applies the subscriber's answer to the pending offer: creates the transport the first time,
    /// keeps consumers whose m-line still carries the same track, adds the new ones, removes the rest.
    func completeSubscription(participantID: String, session id: SessionID, answer: SessionDescription) throws(PodiumError) {
        _ = try requireParticipant(participantID)
        guard let session = sessions[id], session.participantID == participantID, !session.isClosed else {
            throw PodiumError(.notFound, "participant \(participantID) has no open session \(id)")
        }
        guard session.serverInitiated, let pending = session.pendingOffer else {
            throw PodiumError(.conflict, "session \(id) has no Podium offer waiting for an answer")
        }
        let result: SubscriberNegotiationResult
        do {
            result = try SubscriberNegotiation.apply(answer: answer, to: pending)
        } catch {
            throw PodiumError(.badRequest, "the answer does not fit Podium's offer: \(error)")
        }
        let peer: RouterPeer
        if let existing = session.peer {
            peer = existing
        } else {
            let transport = try makeTransport(session, remote: result.remote, dtlsRole: result.dtlsRole)
            peer = router.attach(transport)
            session.transport = transport
            session.peer = peer
            sessionsByPeer[peer.id] = session
        }
        session.pendingOffer = nil
        session.completedOffer = pending.completed(by: result)
        var next: [Session.Slot] = result.slots.map { Session.Slot(track: $0.track, producerID: $0.producerID, consumer: nil) }
        var kept = Set<ObjectIdentifier>()
        for i in next.indices {
            guard let want = next[i].producerID else { continue }
            if let old = session.slots.first(where: { $0.track.mid == next[i].track.mid && $0.producerID == want }),
               let consumer = old.consumer {
                next[i].consumer = consumer
                kept.insert(ObjectIdentifier(consumer))
            }
        }
        for old in session.slots {
            guard let consumer = old.consumer, !kept.contains(ObjectIdentifier(consumer)) else { continue }
            router.removeConsumer(consumer)
            if let pid = old.producerID {
                hub.emit(.consumerChanged(participantID: participantID, session: id, trackID: pid, active: false))
            }
        }
        session.slots = next
        for i in session.slots.indices where session.slots[i].consumer == nil {
            guard let want = session.slots[i].producerID else { continue }
            session.slots[i].producerID = nil
            if let record = tracks[want] { bind(session, slot: i, to: record, peer: peer) }
        }
        if session.renegotiationDeferred {
            session.renegotiationDeferred = false
            renegotiate(session)
        }
    }

    private func boundTracks(_ session: Session) -> [TrackInfo] {
        session.slots.compactMap { $0.producerID.flatMap { tracks[$0]?.info } }
    }

    // MARK: Closing

    func unpublish(participantID: String, trackID: Int) throws(PodiumError) {
        guard let record = tracks[trackID], record.info.participantID == participantID else {
            throw PodiumError(.notFound, "participant \(participantID) publishes no track \(trackID)")
        }
        trackOrder.removeAll { $0 == trackID }
        router.removeProducer(record.producer)
        producerRemoved(trackID)
    }

    func close(participantID: String, session id: SessionID) throws(PodiumError) {
        guard let session = sessions[id], session.participantID == participantID, !session.isClosed else {
            throw PodiumError(.notFound, "participant \(participantID) has no open session \(id) (unknown or already closed)")
        }
        teardown(session, finalState: "closed")
    }

    /// Ends a session: its tracks are unpublished (subscribers get BYE) or its consumers stopped,
    /// and its transport is closed. Idempotent.
    private func teardown(_ session: Session, finalState: String) {
        guard !session.isClosed else { return }
        session.isClosed = true
        sessions[session.id] = nil
        if let peer = session.peer { sessionsByPeer[peer.id] = nil }
        participants[session.participantID]?.sessions.removeAll { $0 == session.id }
        // Why first: freed subscriber m-lines must not be rebound to this session's other tracks.
        trackOrder.removeAll { session.producerIDs.contains($0) }
        for id in session.producerIDs {
            if let record = tracks[id] { router.removeProducer(record.producer) }
            producerRemoved(id)
        }
        for slot in session.slots {
            if let consumer = slot.consumer { router.removeConsumer(consumer) }
        }
        session.slots = []
        if let peer = session.peer {
            router.detach(peer)
        } else {
            session.transport?.close()
        }
        if !session.reportedFinal {
            session.reportedFinal = true
            session.state = finalState
            hub.emit(.sessionStateChanged(participantID: session.participantID, session: session.id, state: finalState))
        }
        session.transport = nil
        session.peer = nil
    }

    /// A track is gone (unpublished, or its transport ended): tell the room, free the m-lines it
    /// was bound to and bind them to another track where one fits. Idempotent.
    private func producerRemoved(_ id: Int) {
        guard let record = tracks.removeValue(forKey: id) else { return }
        trackOrder.removeAll { $0 == id }
        hub.emit(.trackUnpublished(record.info))
        for session in sessions.values where session.direction == .subscribe && !session.isClosed {
            var changed = false
            for i in session.slots.indices where session.slots[i].producerID == id {
                session.slots[i].producerID = nil
                session.slots[i].consumer = nil
                changed = true
                hub.emit(.consumerChanged(participantID: session.participantID, session: session.id, trackID: id, active: false))
            }
            if session.serverInitiated {
                // Why also when nothing was bound: the pending offer may name the track.
                renegotiate(session)
            } else if changed {
                bindFreeSlots(session)
            }
        }
        if let publisher = sessions[record.info.session] { publisher.producerIDs.removeAll { $0 == id } }
    }

    func closeRoom() {
        guard !isClosed else { return }
        for (id, _) in participants { leave(id) }
        for session in Array(sessions.values) { teardown(session, finalState: "closed") }
        router.close()
        isClosed = true
        hub.finish()
    }

    // MARK: RouterDelegate

    func router(_ router: Router, peer: RouterPeer, didChangeState state: WebRtcTransportState) {
        guard let session = sessionsByPeer[peer.id], !session.isClosed else { return }
        session.state = state.description
        hub.emit(.sessionStateChanged(participantID: session.participantID, session: session.id, state: state.description))
        if state.isFinal {
            session.reportedFinal = true
            // Why deferred: the router and the transport are in the middle of reporting this;
            // tearing the peer down from inside their callback would re-enter them.
            let box = LoopBound((self, session))
            loop.execute { box.value.0.teardown(box.value.1, finalState: state.description) }
        }
    }

    func router(_ router: Router, didRemoveProducer producer: Producer) {
        producerRemoved(producer.id)
    }

    func router(_ router: Router, consumer: Consumer, didChangePaused paused: Bool) {
        guard let session = sessionsByPeer[consumer.peer.id] else { return }
        // Producer removal is reported by `producerRemoved`; here only pause/resume of a live binding.
        guard !consumer.producer.isClosed, session.slots.contains(where: { $0.consumer === consumer }) else { return }
        hub.emit(.consumerChanged(participantID: session.participantID, session: session.id, trackID: consumer.producer.id, active: !paused))
    }

    // MARK: Queries

    var trackInfos: [TrackInfo] { trackOrder.compactMap { tracks[$0]?.info } }

    var participantCount: Int { participants.count }

    func stats(of participantID: String) -> [SessionStats] {
        (participants[participantID]?.sessions ?? []).compactMap { sessions[$0].map(stats(of:)) }
    }

    func stats(of session: Session) -> SessionStats {
        let t = session.transport?.stats
        var connectMilliseconds: Double?
        if let transport = session.transport, let connectedAt = transport.connectedAt {
            let c = (connectedAt - transport.createdAt).components
            connectMilliseconds = Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
        }
        let producers = session.producerIDs.compactMap { tracks[$0]?.producer.stats }
        let consumers = session.slots.compactMap { $0.consumer?.stats }
        return SessionStats(id: session.id, direction: session.direction, state: session.state,
                            bytesReceived: t?.bytesReceived ?? 0, bytesSent: t?.bytesSent ?? 0,
                            rtpPacketsReceived: t?.rtpPacketsReceived ?? 0, rtpPacketsSent: t?.rtpPacketsSent ?? 0,
                            rtcpPacketsReceived: t?.rtcpPacketsReceived ?? 0, rtcpPacketsSent: t?.rtcpPacketsSent ?? 0,
                            decryptFailures: t?.decryptFailures ?? 0, sendDropped: t?.sendDropped ?? 0,
                            connectMilliseconds: connectMilliseconds, producers: producers, consumers: consumers)
    }

    func roomStats() -> [ParticipantStats] {
        participants.values.sorted { $0.info.id < $1.info.id }.map { ParticipantStats(info: $0.info, sessions: stats(of: $0.info.id)) }
    }
}
