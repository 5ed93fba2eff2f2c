import Foundation
import Hummingbird
import NIOCore

/// The web pages: plain HTML, CSS and JS files shipped as package resources (no build step),
/// read once at start and served from memory.
struct Pages: Sendable {
    private struct File: Sendable {
        var bytes: ByteBuffer
        var contentType: String
    }

    private let files: [String: File]

    /// Loads every file of the `Public` resource folder.
    init() throws {
        guard let folder = Bundle.module.url(forResource: "Public", withExtension: nil) else {
            throw OptionError("the Public resource folder is missing from the WebinarServer bundle")
        }
        var files: [String: File] = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        for name in names where !name.hasPrefix(".") {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            files[name] = File(bytes: ByteBuffer(bytes: data), contentType: Self.contentType(of: name))
        }
        self.files = files
    }

    private static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last ?? "" {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        default: "application/octet-stream"
        }
    }

    private func serve(_ name: String) -> Response {
        guard let file = files[name] else { return .text(.notFound, "no file \(name)") }
        return Response(status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-cache"],
                        body: .init(byteBuffer: file.bytes))
    }

    func register(on router: Hummingbird.Router<BasicRequestContext>) {
        router.get("/") { _, _ in serve("index.html") }
        router.get("host/:room") { _, context in
            MediaEndpoints.isValidName(context.parameters.get("room") ?? "") ? serve("host.html") : .text(.badRequest, "room names use 1–64 letters, digits, '-' or '_'")
        }
        router.get("watch/:room") { _, context in
            MediaEndpoints.isValidName(context.parameters.get("room") ?? "") ? serve("watch.html") : .text(.badRequest, "room names use 1–64 letters, digits, '-' or '_'")
        }
        router.get("static/:file") { _, context in serve(context.parameters.get("file") ?? "") }
    }
}
