import Podium

/// SDP (RFC 8866): bytes → UTF-8 text → parse. A description that parses must serialize to text
/// that parses to an equal model and serializes to the same text again; every typed view is walked.
@Sendable func fuzzSDP(_ data: UnsafeRawBufferPointer) {
    let text = String(decoding: data, as: UTF8.self)
    guard let parsed = try? SessionDescription(parsing: text) else { return }
    _ = (parsed.bundleGroup, parsed.iceUfrag, parsed.fingerprints, parsed.setup, parsed.headerExtensions)
    for m in parsed.media {
        _ = (m.mid, m.direction, m.payloadTypes, m.candidates, m.rids, m.ssrcs, m.ssrcGroups, m.rtcpXR)
        for codec in m.codecs { _ = (codec.description, m.rtxPayloadType(for: codec.payloadType)) }
        for layer in m.simulcastLayers { _ = layer.description }
        for e in m.headerExtensions { _ = m.extensionID(for: e.uri) }
    }
    let serialized = parsed.description
    let reparsed: SessionDescription
    do {
        reparsed = try SessionDescription(parsing: serialized)
    } catch {
        fuzzFailure("serialized SDP does not parse: \(error)\n--- input\n\(text)\n--- serialized\n\(serialized)")
    }
    if reparsed != parsed { fuzzFailure("round trip changed the model\n--- serialized\n\(serialized)") }
    if reparsed.description != serialized { fuzzFailure("serialization is not stable\n--- first\n\(serialized)\n--- second\n\(reparsed.description)") }
}
