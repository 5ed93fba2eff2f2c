import Hummingbird
import Podium

/// Read-only JSON about rooms, for the index page and for operators.
struct RoomAPI: Sendable {
    let sfu: SFU

    struct RoomSummary: Codable, Sendable {
        var name: String
        var participants: [ParticipantInfo]
        var tracks: [TrackInfo]
    }

    func register(on router: Hummingbird.Router<BasicRequestContext>) {
        router.get("api/rooms") { _, _ in
            var summaries: [RoomSummary] = []
            for room in sfu.rooms().sorted(by: { $0.name < $1.name }) {
                summaries.append(RoomSummary(name: room.name, participants: room.participants(), tracks: await room.tracks()))
            }
            return Response.json(summaries)
        }
        router.get("api/rooms/:room/stats") { _, context in
            let name = context.parameters.get("room") ?? ""
            guard let room = sfu.room(name) else {
                return Response.text(.notFound, "room \(name.prefix(80)) does not exist")
            }
            return Response.json(await room.stats())
        }
        router.get("api/stats") { _, _ in Response.json(await sfu.stats()) }
    }
}
