import PodiumCrypto
import PodiumSDP
import PodiumWire

// Answering a publisher (RFC 9429 §5.3 with Podium's choices): one codec per m-line, recvonly,
// simulcast by RID or SSRC group. See Docs/Negotiation.md.

extension PublisherNegotiation {
    static func makeAnswer(_ offer: SessionDescription, local: LocalTransportDescription, capabilities: MediaCapabilities,
                           role: AnswerDTLSRole, sessionID: UInt64) throws(NegotiationError) -> PublisherAnswer {
        try Negotiation.checkStructure(offer, role: "offer")
        let remote = try Negotiation.remoteTransport(of: offer, role: "offer")
        let setup = try TransportAnswer.answerSetup(offer: remote.setup, role: role)

        var media: [MediaDescription] = []
        var tracks: [PublishedTrack] = []
        var rejected: [RejectedMedia] = []
        var bundled: [String] = []
        var offeredCodecs: [String] = []
        var codecProblemsOnly = true

        for (index, m) in offer.media.enumerated() {
            func reject(_ reason: String) {
                rejected.append(RejectedMedia(index: index, mid: m.mid, reason: reason))
                media.append(Negotiation.rejectedMedia(m))
            }
            if let problem = Negotiation.transportProblem(m, in: offer, acceptedWithoutBundle: !tracks.isEmpty) {
                codecProblemsOnly = false
                reject(problem)
                continue
            }
            let kind = Negotiation.mediaKind(m)!
            let mid = m.mid!
            let direction = offer.direction(of: m)
            guard direction.sends else {
                codecProblemsOnly = false
                reject("the offer's m-line is \(direction.rawValue): a publisher must send (sendonly or sendrecv); subscribe to receive")
                continue
            }
            for name in Negotiation.offeredNames(m) where !offeredCodecs.contains(name) { offeredCodecs.append(name) }
            guard let (sdpCodec, payload) = chooseCodec(m, kind: kind, capabilities: capabilities) else {
                let names = Negotiation.offeredNames(m)
                reject("no \(kind) codec Podium forwards (offered: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
                continue
            }
            let codec = Negotiation.negotiated(sdpCodec, as: payload, in: m, capabilities: capabilities)
            let extensions = Negotiation.acceptedExtensions(m, in: offer, capabilities: capabilities)
            let layers = try encodings(m, index: index)

            var attributes: [SDPAttribute] = [.mid(mid)]
            attributes += Negotiation.transportAttributes(local, setup: setup)
            attributes.append(.direction(.recvonly))
            attributes.append(.rtcpMux)
            if m.isRTCPReducedSize { attributes.append(.rtcpReducedSize) }
            for e in extensions { attributes.append(.extmap(e)) }
            let lines = Negotiation.codecLines(codec, name: sdpCodec.name)
            attributes += lines.attributes
            if let simulcast = layers.simulcast {
                for stream in simulcast.send { for alt in stream { attributes.append(.rid(SDPRID(id: alt.rid, direction: .recv))) } }
                attributes.append(.simulcast(SDPSimulcast(receive: simulcast.send)))
            }
            media.append(Negotiation.acceptedMedia(kind: m.kind, proto: m.proto, formats: lines.formats, local: local,
                                                   attributes: attributes))
            bundled.append(mid)

            var ids: [String: UInt8] = [:]
            for e in extensions { ids[e.uri] = e.id }
            let msid = m.msid ?? ssrcMSID(m, ssrc: layers.encodings.first?.ssrc)
            tracks.append(PublishedTrack(mid: mid, kind: kind, codec: codec, headerExtensions: HeaderExtensionIDs(ids),
                                         encodings: layers.encodings, rtcpReducedSize: m.isRTCPReducedSize,
                                         streamID: msid?.streamID, trackID: msid?.trackID))
        }

        guard !tracks.isEmpty else {
            if codecProblemsOnly {
                throw NegotiationError("no m-line has a codec Podium forwards (offered: \(offeredCodecs.isEmpty ? "none" : offeredCodecs.joined(separator: ", ")); Podium forwards \((capabilities.audioCodecs + capabilities.videoCodecs).map(\.description).joined(separator: ", ")))")
            }
            throw NegotiationError("no m-line can be received: " + rejected.map(\.description).joined(separator: "; "))
        }
        let answer = try Negotiation.answer(to: offer, media: media, bundled: bundled, sessionID: sessionID)
        return PublisherAnswer(answer: answer, tracks: tracks, rejected: rejected, remote: remote,
                               dtlsRole: Negotiation.dtlsRole(for: setup))
    }

    /// The first codec in the offer's order that Podium forwards; for H.264 the offered mode-1
    /// codec with the most widely decodable profile (constrained baseline first).
    static func chooseCodec(_ m: MediaDescription, kind: MediaKind, capabilities: MediaCapabilities) -> (SDPCodec, PayloadCodec)? {
        let candidates = m.codecs.compactMap { c in Negotiation.forwardable(c, kind: kind, capabilities: capabilities).map { (c, $0) } }
        guard let first = candidates.first else { return nil }
        guard first.1 == .h264 else { return first }
        var best = first
        for c in candidates where c.1 == .h264 && Negotiation.h264ProfileRank(c.0) < Negotiation.h264ProfileRank(best.0) { best = c }
        return best
    }

    /// The encodings of a sending m-line: RID simulcast (`a=simulcast:send`), SSRC simulcast
    /// (`a=ssrc-group:SIM`), one announced SSRC, or one stream learned from its first packet.
    static func encodings(_ m: MediaDescription, index: Int) throws(NegotiationError) -> (encodings: [PublishedEncoding], simulcast: SDPSimulcast?) {
        let label = Negotiation.label(index, m)
        if let simulcast = m.simulcast, !simulcast.send.isEmpty {
            guard simulcast.send.count <= NegotiationLimits.maxSimulcastStreams else {
                throw NegotiationError("\(label) a=simulcast:send has \(simulcast.send.count) streams; Podium takes at most \(NegotiationLimits.maxSimulcastStreams)")
            }
            let alternatives = simulcast.send.reduce(0) { $0 + $1.count }
            guard alternatives <= 2 * NegotiationLimits.maxSimulcastStreams else {
                throw NegotiationError("\(label) a=simulcast:send lists \(alternatives) rids; Podium takes at most \(2 * NegotiationLimits.maxSimulcastStreams)")
            }
            let sendRIDs = Set(m.rids.filter { $0.direction == .send }.map(\.id))
            var seen = Set<String>()
            var out: [PublishedEncoding] = []
            for stream in simulcast.send {
                for alt in stream {
                    guard sendRIDs.contains(alt.rid) else {
                        throw NegotiationError("\(label) a=simulcast:send lists rid '\(alt.rid)' without an a=rid:\(alt.rid) send line")
                    }
                    guard seen.insert(alt.rid).inserted else {
                        throw NegotiationError("\(label) a=simulcast:send lists rid '\(alt.rid)' twice")
                    }
                }
                // Why the first alternative: RFC 8853 §5.3.1 lets the sender pick any; the first is
                // what it prefers, and the router learns the real one from the rid extension anyway.
                guard let preferred = stream.first else { throw NegotiationError("\(label) a=simulcast:send has an empty stream") }
                out.append(PublishedEncoding(rid: preferred.rid))
            }
            return (out, SDPSimulcast(send: simulcast.send))
        }
        let groups = m.ssrcGroups
        if let sim = groups.first(where: { $0.semantics == "SIM" }) {
            guard sim.ssrcs.count <= NegotiationLimits.maxSimulcastStreams else {
                throw NegotiationError("\(label) a=ssrc-group:SIM has \(sim.ssrcs.count) SSRCs; Podium takes at most \(NegotiationLimits.maxSimulcastStreams)")
            }
            guard Set(sim.ssrcs).count == sim.ssrcs.count else { throw NegotiationError("\(label) a=ssrc-group:SIM repeats an SSRC") }
            return (sim.ssrcs.map { PublishedEncoding(ssrc: $0, rtxSSRC: m.rtxSSRC(for: $0)) }, nil)
        }
        // The media SSRC is the first one that is not the repair SSRC of an FID or FEC group.
        let repair = Set(groups.filter { ($0.semantics == "FID" || $0.semantics.hasPrefix("FEC")) && $0.ssrcs.count >= 2 }
            .flatMap { $0.ssrcs.dropFirst() })
        if let media = m.ssrcs.first(where: { !repair.contains($0) }) {
            return ([PublishedEncoding(ssrc: media, rtxSSRC: m.rtxSSRC(for: media))], nil)
        }
        return ([PublishedEncoding()], nil)
    }

    /// `a=ssrc:<ssrc> msid:<stream> <track>` (Plan B style, GStreamer) when there is no a=msid.
    static func ssrcMSID(_ m: MediaDescription, ssrc: UInt32?) -> SDPMSID? {
        let lines = m.ssrcAttributes.filter { $0.attribute == "msid" && (ssrc == nil || $0.ssrc == ssrc) }
        guard let value = lines.first?.value else { return nil }
        let words = value.split(separator: " ", omittingEmptySubsequences: true)
        guard let stream = words.first else { return nil }
        return SDPMSID(streamID: String(stream), trackID: words.count > 1 ? String(words[1]) : nil)
    }
}
