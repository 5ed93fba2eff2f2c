import PodiumCrypto
import PodiumSDP
import PodiumWire

// WHEP: answering a subscriber's offer of receiving m-lines. Each accepted m-line is sendonly with
// every codec of its kind that Podium forwards and the client offered, so a producer bound later
// (or after a codec change) still finds a payload type. See Docs/Negotiation.md.

extension SubscriberNegotiation {
    static func makeAnswer<G: RandomNumberGenerator>(
        _ offer: SessionDescription, tracks: [OfferableTrack], local: LocalTransportDescription,
        capabilities: MediaCapabilities, role: AnswerDTLSRole, sessionID: UInt64, using generator: inout G
    ) throws(NegotiationError) -> SubscriberNegotiationResult {
        try Negotiation.checkStructure(offer, role: "offer")
        let remote = try Negotiation.remoteTransport(of: offer, role: "offer")
        let setup = try TransportAnswer.answerSetup(offer: remote.setup, role: role)
        let cname = SSRCAllocator.cname(using: &generator)
        var allocator = SSRCAllocator()

        var media: [MediaDescription] = []
        var slots: [SubscriberSlot] = []
        var rejected: [RejectedMedia] = []
        var bundled: [String] = []
        var boundProducers = Set<Int>()

        for (index, m) in offer.media.enumerated() {
            func reject(_ reason: String) {
                rejected.append(RejectedMedia(index: index, mid: m.mid, reason: reason))
                media.append(Negotiation.rejectedMedia(m))
            }
            if let problem = Negotiation.transportProblem(m, in: offer, acceptedWithoutBundle: !slots.isEmpty) {
                reject(problem)
                continue
            }
            let kind = Negotiation.mediaKind(m)!
            let mid = m.mid!
            let direction = offer.direction(of: m)
            guard direction.receives else {
                reject("the offer's m-line is \(direction.rawValue): a subscriber must receive (recvonly or sendrecv); publish to send")
                continue
            }
            var candidates: [(SDPCodec, PayloadCodec)] = []
            for c in m.codecs { if let p = Negotiation.forwardable(c, kind: kind, capabilities: capabilities) { candidates.append((c, p)) } }
            guard !candidates.isEmpty else {
                let names = Negotiation.offeredNames(m)
                reject("no \(kind) codec Podium forwards (offered: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
                continue
            }
            // Bind the first producer of this kind not bound yet whose codec this m-line can carry.
            var bound: OfferableTrack? = nil
            var boundCodecIndex: Int? = nil
            for track in tracks where track.kind == kind && !boundProducers.contains(track.producerID) {
                if let i = bestMatch(for: track.codec, among: candidates) {
                    bound = track
                    boundCodecIndex = i
                    break
                }
            }
            if let i = boundCodecIndex, i != 0 { candidates.insert(candidates.remove(at: i), at: 0) }
            if candidates.count > NegotiationLimits.maxCodecsPerMLine { candidates.removeLast(candidates.count - NegotiationLimits.maxCodecsPerMLine) }
            let codecs = candidates.map { Negotiation.negotiated($0.0, as: $0.1, in: m, capabilities: capabilities) }
            let extensions = Negotiation.acceptedExtensions(m, in: offer, capabilities: capabilities)
            let ssrc = allocator.next(using: &generator)
            let rtxSSRC = codecs.contains { $0.rtxPayloadType != nil } ? allocator.next(using: &generator) : nil

            var attributes: [SDPAttribute] = [.mid(mid)]
            attributes += Negotiation.transportAttributes(local, setup: setup)
            attributes.append(.direction(.sendonly))
            if let bound { attributes.append(.msid(SDPMSID(streamID: Negotiation.token(bound.streamID), trackID: Negotiation.token(bound.trackID)))) }
            attributes.append(.rtcpMux)
            if m.isRTCPReducedSize { attributes.append(.rtcpReducedSize) }
            for e in extensions { attributes.append(.extmap(e)) }
            var formats: [String] = []
            for (c, offered) in zip(codecs, candidates) {
                let lines = Negotiation.codecLines(c, name: offered.0.name)
                formats += lines.formats
                attributes += lines.attributes
            }
            if let bound {
                attributes += ssrcLines(ssrc: ssrc, rtxSSRC: rtxSSRC, cname: cname, streamID: bound.streamID, trackID: bound.trackID)
                boundProducers.insert(bound.producerID)
            }
            media.append(Negotiation.acceptedMedia(kind: m.kind, proto: m.proto, formats: formats, local: local, attributes: attributes))
            bundled.append(mid)

            var ids: [String: UInt8] = [:]
            for e in extensions { ids[e.uri] = e.id }
            let track = SubscribedTrack(mid: mid, kind: kind, codecs: codecs, headerExtensions: HeaderExtensionIDs(ids),
                                        ssrc: ssrc, rtxSSRC: rtxSSRC, cname: cname, rtcpReducedSize: m.isRTCPReducedSize)
            slots.append(SubscriberSlot(track: track, producerID: bound?.producerID))
        }

        guard !slots.isEmpty else {
            throw NegotiationError("no m-line can be sent to: " + rejected.map(\.description).joined(separator: "; "))
        }
        let answer = try Negotiation.answer(to: offer, media: media, bundled: bundled, sessionID: sessionID)
        return SubscriberNegotiationResult(localDescription: answer, slots: slots, rejected: rejected, remote: remote,
                                           dtlsRole: Negotiation.dtlsRole(for: setup))
    }

    /// The index of the offered codec that carries `producer` (same codec and clock rate; for H.264
    /// the same packetization-mode, preferring the same profile-level-id), if any.
    static func bestMatch(for producer: NegotiatedCodec, among candidates: [(SDPCodec, PayloadCodec)]) -> Int? {
        var found: Int? = nil
        for (i, (c, payload)) in candidates.enumerated() where payload == producer.codec && c.clockRate == producer.clockRate {
            if payload == .h264 {
                // Why: packetization-mode changes the payload format (RFC 6184 §8.1).
                guard (c.parameter("packetization-mode") ?? "0") == (producer.parameter("packetization-mode") ?? "0") else { continue }
                if c.parameter("profile-level-id")?.lowercased() == producer.parameter("profile-level-id")?.lowercased() { return i }
                if found == nil { found = i }
                continue
            }
            return i
        }
        return found
    }

    /// `a=ssrc-group:FID`, then cname and msid for each SSRC (RFC 5576 §4.1; what browsers write).
    static func ssrcLines(ssrc: UInt32, rtxSSRC: UInt32?, cname: String, streamID: String, trackID: String) -> [SDPAttribute] {
        var out: [SDPAttribute] = []
        if let rtxSSRC { out.append(.ssrcGroup(SDPSSRCGroup(semantics: "FID", ssrcs: [ssrc, rtxSSRC]))) }
        for s in [ssrc] + (rtxSSRC.map { [$0] } ?? []) {
            out.append(.ssrc(SDPSSRCAttribute(ssrc: s, attribute: "cname", value: cname)))
            out.append(.ssrc(SDPSSRCAttribute(ssrc: s, attribute: "msid", value: "\(Negotiation.token(streamID)) \(Negotiation.token(trackID))")))
        }
        return out
    }
}
