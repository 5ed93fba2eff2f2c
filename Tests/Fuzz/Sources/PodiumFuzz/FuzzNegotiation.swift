import Podium

/// JSEP negotiation over hostile SDP: text → `SessionDescription` → a publisher answer, a WHEP
/// subscriber answer (two producers to bind) and `apply` as the answer to a fixed Podium offer.
/// Nothing may trap, and every description negotiation produces must parse again to itself (it goes
/// to a real peer).
private let fuzzLocal = LocalTransportDescription(
    iceUfrag: "podiumUF", icePwd: "podiumPasswordPodium1234",
    fingerprint: SDPFingerprint(algorithm: "sha-256", bytes: Array(0..<32)),
    candidates: [(ip: "127.0.0.1", port: 40000), (ip: "::1", port: 40000)])

private let fuzzTracks = [
    OfferableTrack(producerID: 1, kind: .audio, codec: NegotiatedCodec(codec: .opus, payloadType: 111, clockRate: 48000, channels: 2),
                   streamID: "s", trackID: "a"),
    OfferableTrack(producerID: 2, kind: .video,
                   codec: NegotiatedCodec(codec: .h264, payloadType: 102, clockRate: 90000,
                                          parameters: [SDPFormatParameter(key: "packetization-mode", value: "1")]),
                   streamID: "s", trackID: "v"),
]

private let fuzzOffer = SubscriberNegotiation.offer(tracks: fuzzTracks, local: fuzzLocal, sessionID: 1)

private func checkReparses(_ description: SessionDescription, _ what: String, _ input: String) {
    let text = description.description
    guard let reparsed = try? SessionDescription(parsing: text) else {
        fuzzFailure("\(what) does not parse\n--- input\n\(input)\n--- \(what)\n\(text)")
    }
    if reparsed != description { fuzzFailure("\(what) does not parse to itself\n--- input\n\(input)\n--- \(what)\n\(text)") }
}

@Sendable func fuzzNegotiation(_ data: UnsafeRawBufferPointer) {
    let text = String(decoding: data, as: UTF8.self)
    guard let sdp = try? SessionDescription(parsing: text) else { return }
    if let answer = try? PublisherNegotiation.answer(sdp, local: fuzzLocal, sessionID: 1) {
        checkReparses(answer.answer, "publisher answer", text)
        if answer.tracks.isEmpty || answer.tracks.contains(where: { $0.encodings.isEmpty }) {
            fuzzFailure("publisher answer without tracks or encodings\n--- input\n\(text)")
        }
    }
    if let result = try? SubscriberNegotiation.answer(sdp, tracks: fuzzTracks, local: fuzzLocal, sessionID: 1) {
        checkReparses(result.localDescription, "subscriber answer", text)
        let ssrcs = result.slots.flatMap { [$0.track.ssrc] + ($0.track.rtxSSRC.map { [$0] } ?? []) }
        if Set(ssrcs).count != ssrcs.count { fuzzFailure("subscriber SSRCs are not unique\n--- input\n\(text)") }
        let bound = result.slots.compactMap(\.producerID)
        if Set(bound).count != bound.count { fuzzFailure("a producer is bound twice\n--- input\n\(text)") }
    }
    _ = try? SubscriberNegotiation.apply(answer: sdp, to: fuzzOffer)
}
