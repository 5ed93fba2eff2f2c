import PodiumCrypto
import PodiumSDP
import PodiumWire

// Server-initiated subscribe: Podium offers one sendonly m-line per track with its own payload
// types and extension ids, and completes the negotiation with the subscriber's answer.
// Renegotiation keeps every m-line in place (RFC 9429 §5.2.2: m-lines are never removed), so
// existing media keeps flowing while a track is added or removed.

/// Payload types and header extension ids Podium uses in its own offers.
public enum PodiumPayloadTypes {
    /// Media and RTX payload types per codec (what Chromium uses where it can, so captures read alike).
    public static func payloadTypes(for codec: PayloadCodec) -> (media: UInt8, rtx: UInt8?) {
        switch codec {
        case .opus: (111, nil)
        case .vp8: (96, 97)
        case .vp9: (98, 99)
        case .h264: (102, 103)
        case .av1: (45, 46)
        }
    }

    /// Fixed ids for the extensions Podium knows (Chromium's numbering); others get free ids.
    static let knownExtensionIDs: [String: UInt8] = [
        SDPExtensionURI.audioLevel: 1, SDPExtensionURI.absSendTime: 2, SDPExtensionURI.transportWideCC: 3,
        SDPExtensionURI.mid: 4, SDPExtensionURI.playoutDelay: 5, SDPExtensionURI.rtpStreamID: 10,
        SDPExtensionURI.repairedRTPStreamID: 11, SDPExtensionURI.dependencyDescriptor: 12,
        SDPExtensionURI.videoOrientation: 13, SDPExtensionURI.transmissionOffset: 14,
    ]

    /// Header extensions Podium offers a subscriber for `kind`, with their ids: the capabilities'
    /// URIs except the ones that make no sense towards a subscriber (rid: it receives one stream;
    /// audio level on video, video extensions on audio).
    static func extensions(for kind: MediaKind, capabilities: MediaCapabilities) -> [SDPExtMap] {
        let audioOnly: Set<String> = [SDPExtensionURI.audioLevel]
        let videoOnly: Set<String> = [SDPExtensionURI.videoOrientation, SDPExtensionURI.playoutDelay,
                                      SDPExtensionURI.dependencyDescriptor, SDPExtensionURI.transmissionOffset]
        let never: Set<String> = [SDPExtensionURI.rtpStreamID, SDPExtensionURI.repairedRTPStreamID]
        var used = Set(knownExtensionIDs.values)
        var out: [SDPExtMap] = []
        var seen = Set<String>()
        for uri in capabilities.headerExtensions where seen.insert(uri).inserted && !never.contains(uri) {
            if kind == .audio && videoOnly.contains(uri) { continue }
            if kind == .video && audioOnly.contains(uri) { continue }
            let id: UInt8
            if let known = knownExtensionIDs[uri] {
                id = known
            } else {
                // Why skip 15: reserved in the one-byte header form (RFC 8285 §4.2).
                guard let free = (UInt8(1)...UInt8(255)).first(where: { $0 != 15 && !used.contains($0) }) else { continue }
                id = free
            }
            used.insert(id)
            out.append(SDPExtMap(id: id, uri: uri))
        }
        return out.sorted { $0.id < $1.id }
    }

    /// The codec Podium offers for `track`: the producer's codec and fmtp with Podium's payload
    /// types, RTX for video, and the feedback Podium handles as a sender.
    static func offeredCodec(for track: OfferableTrack, capabilities: MediaCapabilities) -> NegotiatedCodec {
        let pts = payloadTypes(for: track.codec.codec)
        var parameters = track.codec.parameters.filter { $0.key.lowercased() != "apt" }
        if track.codec.codec == .opus && parameters.isEmpty {
            parameters = [SDPFormatParameter(key: "minptime", value: "10"), SDPFormatParameter(key: "useinbandfec", value: "1")]
        }
        let feedback: RTCPFeedbackSet = track.kind == .audio
            ? capabilities.feedback.intersection(.transportCC)
            : capabilities.feedback
        let channels = track.codec.codec == .opus ? (track.codec.channels ?? 2) : track.codec.channels
        return NegotiatedCodec(codec: track.codec.codec, payloadType: pts.media, clockRate: track.codec.clockRate,
                               channels: channels, parameters: parameters,
                               rtxPayloadType: track.kind == .video ? pts.rtx : nil, feedback: feedback)
    }
}

extension SubscriberNegotiation {
    static func makeOffer<G: RandomNumberGenerator>(
        tracks: [OfferableTrack], local: LocalTransportDescription, capabilities: MediaCapabilities,
        previous: SubscriberOffer?, sessionID: UInt64, using generator: inout G
    ) -> SubscriberOffer {
        let byProducer = Dictionary(tracks.map { ($0.producerID, $0) }, uniquingKeysWith: { first, _ in first })
        var allocator = SSRCAllocator(avoiding: Set(previous?.slots.flatMap { [$0.track.ssrc] + ($0.track.rtxSSRC.map { [$0] } ?? []) } ?? []))
        let cname = previous?.slots.first?.track.cname ?? SSRCAllocator.cname(using: &generator)
        var media: [MediaDescription] = []
        var slots: [SubscriberSlot] = []
        var placed = Set<Int>()
        var usedMids = Set<String>()

        for m in previous?.offer.media ?? [] {
            if let mid = m.mid { usedMids.insert(mid) }
            // Kept: the slot of a track still present, unchanged (mid, SSRCs, payload types).
            if !m.isRejected, let mid = m.mid, let slot = previous?.slots.first(where: { $0.track.mid == mid }),
               let producerID = slot.producerID, let track = byProducer[producerID], !placed.contains(producerID),
               track.kind == slot.track.kind, slot.track.codec(matching: track.codec) != nil {
                media.append(offerMedia(slot.track, track: track, local: local))
                slots.append(slot)
                placed.insert(producerID)
            } else {
                media.append(Negotiation.rejectedMedia(m))
            }
        }
        var nextMid = previous?.offer.media.count ?? 0
        for track in tracks where !placed.contains(track.producerID) {
            while usedMids.contains(String(nextMid)) { nextMid += 1 }
            let mid = String(nextMid)
            usedMids.insert(mid)
            nextMid += 1
            let codec = PodiumPayloadTypes.offeredCodec(for: track, capabilities: capabilities)
            var ids: [String: UInt8] = [:]
            for e in PodiumPayloadTypes.extensions(for: track.kind, capabilities: capabilities) { ids[e.uri] = e.id }
            let ssrc = allocator.next(using: &generator)
            let rtxSSRC = codec.rtxPayloadType != nil ? allocator.next(using: &generator) : nil
            let subscribed = SubscribedTrack(mid: mid, kind: track.kind, codecs: [codec], headerExtensions: HeaderExtensionIDs(ids),
                                             ssrc: ssrc, rtxSSRC: rtxSSRC, cname: cname, rtcpReducedSize: true)
            media.append(offerMedia(subscribed, track: track, local: local))
            slots.append(SubscriberSlot(track: subscribed, producerID: track.producerID))
            placed.insert(track.producerID)
        }

        let version = (previous?.sessionVersion ?? 0) + 1
        let id = previous?.sessionID ?? sessionID
        let bundled = media.filter { !$0.isRejected }.compactMap(\.mid)
        let twoByte = slots.contains { $0.track.headerExtensions.byURI.values.contains { $0 > 14 } }
        let description = SessionDescription(origin: SDPOrigin(username: "podium", sessionID: id, sessionVersion: version),
                                             sessionName: "-",
                                             attributes: Negotiation.sessionAttributes(bundled: bundled, extmapAllowMixed: twoByte),
                                             media: media)
        return SubscriberOffer(offer: description, slots: slots, sessionID: id, sessionVersion: version)
    }

    /// One sendonly m-line of Podium's offer for a bound slot.
    static func offerMedia(_ slot: SubscribedTrack, track: OfferableTrack, local: LocalTransportDescription) -> MediaDescription {
        var attributes: [SDPAttribute] = [.mid(slot.mid)]
        attributes += Negotiation.transportAttributes(local, setup: .actpass)
        attributes.append(.direction(.sendonly))
        attributes.append(.msid(SDPMSID(streamID: Negotiation.token(track.streamID), trackID: Negotiation.token(track.trackID))))
        attributes.append(.rtcpMux)
        if slot.rtcpReducedSize { attributes.append(.rtcpReducedSize) }
        for (uri, id) in slot.headerExtensions.byURI.sorted(by: { $0.value < $1.value }) { attributes.append(.extmap(SDPExtMap(id: id, uri: uri))) }
        var formats: [String] = []
        for c in slot.codecs {
            let lines = Negotiation.codecLines(c, name: c.codec.description)
            formats += lines.formats
            attributes += lines.attributes
        }
        let rtx = slot.codecs.contains { $0.rtxPayloadType != nil } ? slot.rtxSSRC : nil
        attributes += ssrcLines(ssrc: slot.ssrc, rtxSSRC: rtx, cname: slot.cname, streamID: track.streamID, trackID: track.trackID)
        return Negotiation.acceptedMedia(kind: slot.kind == .audio ? .audio : .video, proto: "UDP/TLS/RTP/SAVPF", formats: formats,
                                         local: local, attributes: attributes)
    }

    static func applyAnswer(_ answer: SessionDescription, to offer: SubscriberOffer) throws(NegotiationError) -> SubscriberNegotiationResult {
        try Negotiation.checkStructure(answer, role: "answer")
        let offered = offer.offer.media
        guard answer.media.count == offered.count else {
            throw NegotiationError("the answer has \(answer.media.count) m-lines; the offer had \(offered.count) (one answer m-line per offered m-line, in order)")
        }
        for (i, (a, o)) in zip(answer.media, offered).enumerated() {
            if let am = a.mid, let om = o.mid, am != om {
                throw NegotiationError("\(Negotiation.label(i, a)) has mid '\(am)'; the offer's m-line \(i) has mid '\(om)'")
            }
            if a.kind != o.kind {
                throw NegotiationError("\(Negotiation.label(i, a)) answers the offer's \(o.kind.rawValue) m-line \(i)")
            }
        }
        let remote = try Negotiation.remoteTransport(of: answer, role: "answer")
        let role: DTLSSession.Role
        switch remote.setup {
        case .active: role = .server
        case .passive: role = .client
        default: throw NegotiationError("the answer's a=setup:\(remote.setup.rawValue) must be active or passive (the offer was actpass)")
        }

        var slots: [SubscriberSlot] = []
        var rejected: [RejectedMedia] = []
        for slot in offer.slots {
            guard let index = offered.firstIndex(where: { $0.mid == slot.track.mid }) else { continue }
            let a = answer.media[index]
            func reject(_ reason: String) { rejected.append(RejectedMedia(index: index, mid: slot.track.mid, reason: reason)) }
            if a.isRejected { reject("the subscriber rejected it (port 0)"); continue }
            let direction = answer.direction(of: a)
            guard direction.receives else { reject("the subscriber answered \(direction.rawValue); it must receive"); continue }
            guard a.isRTCPMux || a.isRTCPMuxOnly else { reject("the answer has no a=rtcp-mux"); continue }

            var codecs: [NegotiatedCodec] = []
            for c in slot.track.codecs {
                guard let ac = a.codec(payloadType: c.payloadType), PayloadCodec(encodingName: ac.name) == c.codec,
                      ac.clockRate == c.clockRate else { continue }
                var kept = c
                kept.feedback = c.feedback.intersection(Negotiation.feedback(of: ac))
                if let rtx = c.rtxPayloadType, a.codec(payloadType: rtx)?.isRTX != true { kept.rtxPayloadType = nil }
                codecs.append(kept)
            }
            guard !codecs.isEmpty else { reject("the answer accepted none of the offered codecs"); continue }
            var ids: [String: UInt8] = [:]
            let answered = a.headerExtensions + answer.headerExtensions
            for (uri, _) in slot.track.headerExtensions.byURI {
                // Why the answer's id: it is what the subscriber parses (RFC 8285 §6 asks it to
                // keep the offered id, but the answer is the one that binds).
                if let e = answered.first(where: { $0.uri == uri && $0.direction != .inactive }) { ids[uri] = e.id }
            }
            var track = slot.track
            track.codecs = codecs
            track.headerExtensions = HeaderExtensionIDs(ids)
            if !codecs.contains(where: { $0.rtxPayloadType != nil }) { track.rtxSSRC = nil }
            track.rtcpReducedSize = a.isRTCPReducedSize
            slots.append(SubscriberSlot(track: track, producerID: slot.producerID))
        }
        return SubscriberNegotiationResult(localDescription: offer.offer, slots: slots, rejected: rejected, remote: remote, dtlsRole: role)
    }
}

extension SubscriberOffer {
    /// This offer as completed by `result` (from `SubscriberNegotiation.apply(answer:to:)`): the
    /// slots the answer kept, with what it accepted. Pass it as `previous` to the next
    /// `SubscriberNegotiation.offer`, so m-lines the subscriber rejected stay rejected (JSEP: a
    /// rejected m-line is not revived) and the codecs stay those the subscriber took.
    public func completed(by result: SubscriberNegotiationResult) -> SubscriberOffer {
        SubscriberOffer(offer: offer, slots: result.slots, sessionID: sessionID, sessionVersion: sessionVersion)
    }
}
