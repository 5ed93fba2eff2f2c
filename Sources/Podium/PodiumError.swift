/// Why an API call failed, worded to say what to fix. `kind` tells an HTTP front end which status
/// to answer (the demo server maps it: badRequest 400, forbidden 403, notFound 404, conflict 409,
/// tooLarge 413, unavailable 503).
public struct PodiumError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The request is malformed: bad SDP, an offer Podium cannot answer, a bad argument.
        case badRequest
        /// The participant's role or permissions do not allow it.
        case forbidden
        /// No such room, participant or session.
        case notFound
        /// The state does not allow it now: room exists, nothing published yet, session closed.
        case conflict
        /// A body or count over a configured limit.
        case tooLarge
        /// The SFU is shutting down or a worker is gone.
        case unavailable
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
