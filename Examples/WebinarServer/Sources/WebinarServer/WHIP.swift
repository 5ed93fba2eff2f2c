import Foundation
import HTTPTypes
import Hummingbird
import Podium

/// WHIP (RFC 9725) ingest and WHEP playback over Podium's API. A WHIP POST joins the room as a
/// host (creating the room) and publishes; a WHEP POST joins as an attendee and subscribes. The
/// answer's Location names the session; DELETE on it ends the session.
struct MediaEndpoints: Sendable {
    let sfu: SFU
    let sessions: Sessions
    let options: Options
    let log: Log

    func register(on router: Hummingbird.Router<BasicRequestContext>) {
        router.post("whip/:room") { request, context in await publish(request, context) }
        router.post("whep/:room") { request, context in await subscribe(request, context) }
        for kind in [Resource.Kind.whip, .whep] {
            router.delete("\(kind.rawValue)/:room/:session") { request, context in await delete(kind, request, context) }
            router.patch("\(kind.rawValue)/:room/:session") { request, context in await patch(kind, request, context) }
            // RFC 9725 §4.2: the resource answers only OPTIONS, PATCH and DELETE.
            for method in [HTTPRequest.Method.get, .post, .put] {
                router.on("\(kind.rawValue)/:room/:session", method: method) { _, _ in
                    Response.text(.methodNotAllowed, "a \(kind.rawValue.uppercased()) session accepts PATCH and DELETE",
                                  headers: [.allow: "OPTIONS, PATCH, DELETE"])
                }
            }
        }
    }

    // MARK: WHIP

    private func publish(_ request: Request, _ context: BasicRequestContext) async -> Response {
        var request = request
        do throws(Refusal) {
            try authorize(request)
            let name = try roomName(context)
            let offer = try await request.text(expecting: MediaTypes.sdp, limit: options.maxBodyBytes)
            let ufrag = try validate(offer)
            let room = try await openRoom(name)
            let participant = try await publisher(in: room, request: request)
            let publication: Publication
            do {
                publication = try await participant.publish(offer: offer)
            } catch {
                await sessions.release(participant)
                throw Refusal(error)
            }
            let resource = Resource(kind: .whip, room: name, session: publication.session,
                                    participant: participant, iceUfrag: ufrag)
            await sessions.add(resource)
            log.info("WHIP \(resource.location): \(participant.name) publishes \(publication.tracks.map { "\($0.kind)/\($0.codec)" }.joined(separator: ", "))"
                     + (publication.rejected.isEmpty ? "" : "; rejected: \(publication.rejected.joined(separator: "; "))"))
            return .sdp(.created, publication.answer, headers: created(resource, participant))
        } catch {
            return error.response
        }
    }

    /// The participant that publishes: a new host, or the one named by `X-Podium-Participant`
    /// (the host page's screen share is a second WHIP session of the same participant).
    private func publisher(in room: Room, request: Request) async throws(Refusal) -> Participant {
        if let id = request.headers[.podiumParticipant] ?? request.uri.queryParameters["participant"].map(String.init) {
            guard let participant = room.participant(id) else {
                throw Refusal(.notFound, "participant \(id) is not in room \(room.name)")
            }
            guard participant.role.mayPublish else {
                throw Refusal(.forbidden, "participant \(id) is an attendee and may not publish")
            }
            return participant
        }
        do {
            return try await room.join(.host, name: "host-\(UInt16.random(in: 0...UInt16.max))")
        } catch {
            throw Refusal(error)
        }
    }

    // MARK: WHEP

    private func subscribe(_ request: Request, _ context: BasicRequestContext) async -> Response {
        var request = request
        do throws(Refusal) {
            let name = try roomName(context)
            let offer = try await request.text(expecting: MediaTypes.sdp, limit: options.maxBodyBytes)
            let ufrag = try validate(offer)
            guard let room = sfu.room(name) else {
                throw Refusal(.notFound, "room \(name) does not exist: a host creates it by publishing (WHIP POST /whip/\(name))")
            }
            try await waitForTracks(in: room)
            let participant: Participant
            do {
                participant = try await room.join(.attendee, name: "viewer-\(UInt16.random(in: 0...UInt16.max))")
            } catch {
                throw Refusal(error)
            }
            await sessions.watch(room)
            let subscription: Subscription
            do {
                subscription = try await participant.subscribe(offer: offer)
            } catch {
                await sessions.release(participant)
                throw Refusal(error)
            }
            let resource = Resource(kind: .whep, room: name, session: subscription.session,
                                    participant: participant, iceUfrag: ufrag)
            await sessions.add(resource)
            log.info("WHEP \(resource.location): \(participant.name) watches \(subscription.tracks.count) track(s)")
            return .sdp(.created, subscription.sdp, headers: created(resource, participant))
        } catch {
            return error.response
        }
    }

    /// WHEP before anything is published: 409 at once, or after `--whep-wait-seconds`.
    private func waitForTracks(in room: Room) async throws(Refusal) {
        let deadline = ContinuousClock.now + .milliseconds(Int(options.whepWaitSeconds * 1000))
        while await room.tracks().isEmpty {
            guard ContinuousClock.now < deadline else {
                let waited = options.whepWaitSeconds > 0 ? " (waited \(options.whepWaitSeconds) s)" : ""
                throw Refusal(.conflict, "room \(room.name) has nothing published yet\(waited): retry when the host is live",
                              headers: [.retryAfter: "2"])
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: Resources

    private func delete(_ kind: Resource.Kind, _ request: Request, _ context: BasicRequestContext) async -> Response {
        do throws(Refusal) {
            if kind == .whip { try authorize(request) }
            let (room, session) = try resourcePath(context)
            guard let resource = await sessions.take(kind, room: room, session: session) else {
                throw Refusal(.notFound, "no \(kind.rawValue.uppercased()) session /\(kind.rawValue)/\(room)/\(session) (ended or never existed)")
            }
            do {
                try await resource.participant.close(session: resource.session)
            } catch where error.kind == .notFound {
                // The transport ended on its own just before; the resource is gone either way.
            } catch {
                await sessions.release(resource.participant)
                throw Refusal(error)
            }
            await sessions.release(resource.participant)
            log.info("\(kind.rawValue.uppercased()) \(resource.location): deleted")
            return .empty(.ok)
        } catch {
            return error.response
        }
    }

    /// Trickle ICE (RFC 9725 §4.3.1). Podium is ICE-lite and its answer carries all its candidates;
    /// a lite agent learns the client's addresses from its connectivity checks, so trickled client
    /// candidates are accepted and ignored (204). ICE restarts are not supported: 422, as the RFC
    /// asks of a server that supports one of the two.
    private func patch(_ kind: Resource.Kind, _ request: Request, _ context: BasicRequestContext) async -> Response {
        var request = request
        do throws(Refusal) {
            if kind == .whip { try authorize(request) }
            let (room, session) = try resourcePath(context)
            guard let resource = await sessions.find(kind, room: room, session: session) else {
                throw Refusal(.notFound, "no \(kind.rawValue.uppercased()) session /\(kind.rawValue)/\(room)/\(session)")
            }
            let fragment = try await request.text(expecting: MediaTypes.trickle, limit: options.maxBodyBytes)
            if let ifMatch = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces),
               ifMatch != "*", ifMatch != resource.etag {
                throw Refusal(.preconditionFailed, "If-Match \(ifMatch) does not match the session's ETag \(resource.etag)")
            }
            let ufrags = Self.attributeValues("ice-ufrag", in: fragment)
            if let restarted = ufrags.first(where: { $0 != resource.iceUfrag }) {
                throw Refusal(.unprocessableContent,
                              "ICE restart (new ice-ufrag \(restarted)) is not supported: DELETE the session and POST a new offer")
            }
            let updated = await sessions.bump(kind, room: room, session: session) ?? resource
            return .empty(.noContent, headers: [.eTag: updated.etag])
        } catch {
            return error.response
        }
    }

    // MARK: Checks

    private func authorize(_ request: Request) throws(Refusal) {
        guard let token = options.token else { return }
        let expected = "Bearer \(token)"
        guard let given = request.headers[.authorization] else {
            throw Refusal(.unauthorized, "this server needs \"Authorization: Bearer <token>\" to publish",
                          headers: [.wwwAuthenticate: "Bearer"])
        }
        guard given == expected else {
            throw Refusal(.unauthorized, "the bearer token is wrong", headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        }
    }

    private func roomName(_ context: BasicRequestContext) throws(Refusal) -> String {
        let name = context.parameters.get("room") ?? ""
        guard Self.isValidName(name) else {
            throw Refusal(.badRequest, "room name \"\(name.prefix(80))\" is not valid: use 1–64 letters, digits, '-' or '_'")
        }
        return name
    }

    private func resourcePath(_ context: BasicRequestContext) throws(Refusal) -> (String, String) {
        let room = try roomName(context)
        return (room, context.parameters.get("session") ?? "")
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { c in
                (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                    || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
            }
    }

    /// Parses the offer before any room or participant exists, so garbage leaves no state
    /// behind; returns its ICE username fragment.
    private func validate(_ offer: String) throws(Refusal) -> String? {
        let description: SessionDescription
        do {
            description = try SessionDescription(parsing: offer)
        } catch {
            throw Refusal(.badRequest, "the offer is not valid SDP: \(error)")
        }
        guard let first = description.media.first else {
            throw Refusal(.badRequest, "the offer has no m-line: offer at least one audio or video m-section")
        }
        return description.iceUfrag(of: first)
    }

    private func openRoom(_ name: String) async throws(Refusal) -> Room {
        if let room = sfu.room(name) {
            await sessions.watch(room)
            return room
        }
        do {
            let room = try await sfu.createRoom(name)
            log.info("room \(name): created")
            await sessions.watch(room)
            return room
        } catch where error.kind == .conflict {
            // Another POST created it at the same moment.
            if let room = sfu.room(name) { return room }
            throw Refusal(error)
        } catch {
            throw Refusal(error)
        }
    }

    private func created(_ resource: Resource, _ participant: Participant) -> HTTPFields {
        [
            .location: resource.location,
            .eTag: resource.etag,
            .acceptPatch: MediaTypes.trickle,
            .podiumParticipant: participant.id,
        ]
    }

    /// Values of `a=<name>:` lines in an SDP fragment.
    static func attributeValues(_ name: String, in fragment: String) -> [String] {
        let prefix = "a=\(name):"
        return fragment.split(whereSeparator: \.isNewline).compactMap { line in
            line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) : nil
        }
    }
}

extension Refusal {
    init(_ error: PodiumError) {
        self.init(error.kind.httpStatus, error.message)
    }
}
