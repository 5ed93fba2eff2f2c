import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Podium

/// Writes log lines straight to the file descriptors (no stdio buffering, so a test or a terminal
/// sees each line at once).
struct Log: Sendable {
    var quiet: Bool

    func info(_ message: @autoclosure () -> String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data((message() + "\n").utf8))
    }

    func error(_ message: String) {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    }

    /// Always printed, on standard output: the lines a user (or a test) waits for.
    func announce(_ message: String) {
        FileHandle.standardOutput.write(Data((message + "\n").utf8))
    }
}

extension HTTPField.Name {
    static let acceptPost = Self("Accept-Post")!
    static let acceptPatch = Self("Accept-Patch")!
    static let podiumParticipant = Self("X-Podium-Participant")!
}

enum MediaTypes {
    static let sdp = "application/sdp"
    static let trickle = "application/trickle-ice-sdpfrag"
}

extension Response {
    /// A plain-text response; error bodies say what to fix.
    static func text(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "text/plain; charset=utf-8"
        let body = message.hasSuffix("\n") ? message : message + "\n"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json<T: Encodable>(_ value: T) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            var data = try encoder.encode(value)
            data.append(UInt8(ascii: "\n"))
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        } catch {
            return .text(.internalServerError, "could not encode JSON: \(error)")
        }
    }

    static func sdp(_ status: HTTPResponse.Status, _ sdp: String, headers: HTTPFields) -> Response {
        var headers = headers
        headers[.contentType] = MediaTypes.sdp
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: sdp)))
    }

    static func empty(_ status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        Response(status: status, headers: headers, body: .init())
    }
}

extension PodiumError.Kind {
    /// The HTTP status for an API error (the mapping `PodiumError` documents).
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooLarge: .contentTooLarge
        case .unavailable: .serviceUnavailable
        }
    }
}

extension PodiumError {
    var response: Response { .text(kind.httpStatus, message) }
}

/// A request failed before reaching Podium; carries the response to send.
struct Refusal: Error {
    var response: Response
    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        response = .text(status, message, headers: headers)
    }
}

extension Request {
    /// The media type without parameters, lowercased ("application/sdp; charset=utf-8" → "application/sdp").
    var mediaType: String? {
        headers[.contentType].map {
            $0.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces).lowercased()
        }
    }

    /// The body as UTF-8 text, refusing a wrong content type (415), a body over `limit` (413) and
    /// bytes that are not UTF-8 (400).
    mutating func text(expecting mediaType: String, limit: Int) async throws(Refusal) -> String {
        guard let type = self.mediaType else {
            throw Refusal(.unsupportedMediaType, "Content-Type is missing: send the body as \(mediaType)")
        }
        guard type == mediaType else {
            throw Refusal(.unsupportedMediaType, "Content-Type is \(type): send the body as \(mediaType)")
        }
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw Refusal(.contentTooLarge, "body of \(length) bytes is over the limit of \(limit) bytes")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Refusal(.contentTooLarge, "body is over the limit of \(limit) bytes")
        } catch {
            throw Refusal(.badRequest, "could not read the body: \(error)")
        }
        guard let text = buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes, encoding: .utf8) else {
            throw Refusal(.badRequest, "body is not UTF-8 text")
        }
        return text
    }
}

/// CORS for the WHIP/WHEP endpoints (browser pages on other origins may publish or watch), and the
/// OPTIONS answer RFC 9725 §4.1 describes (`Accept-Post: application/sdp`).
struct CORSAndOptions<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .options {
            var headers: HTTPFields = [:]
            headers[.accessControlAllowOrigin] = "*"
            headers[.accessControlAllowMethods] = "GET, POST, PATCH, DELETE, OPTIONS"
            headers[.accessControlAllowHeaders] = "Authorization, Content-Type, If-Match"
            headers[.accessControlMaxAge] = "600"
            let path = request.uri.path
            if path.hasPrefix("/whip/") || path.hasPrefix("/whep/") {
                let segments = path.split(separator: "/")
                if segments.count == 2 {
                    headers[.acceptPost] = MediaTypes.sdp
                    headers[.allow] = "OPTIONS, POST"
                } else {
                    headers[.acceptPatch] = MediaTypes.trickle
                    headers[.allow] = "OPTIONS, PATCH, DELETE"
                }
            }
            return .empty(.noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = "*"
        response.headers[.accessControlExposeHeaders] = "Location, ETag, Accept-Patch, Accept-Post, Link, X-Podium-Participant"
        return response
    }
}
