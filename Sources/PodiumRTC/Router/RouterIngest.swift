import PodiumNet
import PodiumWire

// Ingest and fan-out: the per-packet path. Nothing here allocates (see Docs/Router.md).
//
//   decrypted RTP ─▶ parse view ─▶ SSRC route (learned from mid/rid/PT once) ─▶ test loss hook
//     ─▶ TWCC record ─▶ RTX unwrap in place ─▶ stats, buffer, NACK list, keyframe detection
//     ─▶ for each consumer of the encoding: reserve send slot, copy + rewrite, protect, queue

extension Router {
    func ingestRTP(_ bytes: UnsafeMutableRawBufferPointer, on peer: RouterPeer) {
        var packet: RTPPacket
        do { packet = try RTPPacket(parsing: UnsafeRawBufferPointer(bytes)) } catch {
            peer.counters.malformedRTP &+= 1
            return
        }
        let now = loop.turnTime.nanoseconds
        let route = self.route(of: packet, on: peer)
        if let route, configuration.ingestLossRate > 0, lossRandom.unit() < configuration.ingestLossRate {
            route.stream.counters.testDropped &+= 1
            return
        }
        if let twcc = peer.twcc, peer.twccExtensionID != 0, let v = packet.extension(id: peer.twccExtensionID), v.count == 2 {
            twcc.record(sequence: v.loadBigEndianUInt16(at: 0), now: UInt64(max(now, 0)))
        }
        guard let route else {
            peer.counters.unroutableRTP &+= 1
            return
        }
        let stream = route.stream
        var isRetransmission = false
        if route.isRTX {
            guard packet.payloadCount >= 2 else {
                // Why first: browsers probe bandwidth with padding-only RTX, also before any media.
                peer.counters.rtxPadding &+= 1
                return
            }
            guard let mediaSSRC = stream.ssrc, let rtxPT = stream.rtxPayloadType, packet.payloadType == rtxPT else {
                stream.producer.unroutable &+= 1
                return
            }
            let length: Int
            do { length = try RTX.unwrapInPlace(bytes, originalSSRC: mediaSSRC, originalPayloadType: stream.payloadType) } catch {
                peer.counters.malformedRTP &+= 1
                return
            }
            do { packet = try RTPPacket(parsing: UnsafeRawBufferPointer(rebasing: bytes[0 ..< length])) } catch {
                peer.counters.malformedRTP &+= 1
                return
            }
            isRetransmission = true
            stream.counters.retransmissionsReceived &+= 1
        } else if packet.payloadType != stream.payloadType {
            // RED, FEC or a codec Podium did not accept on this m-line.
            stream.producer.unroutable &+= 1
            return
        }
        receive(packet, on: stream, isRetransmission: isRetransmission, now: now)
    }

    /// The producer stream `packet` belongs to: by SSRC, else learned from its header extensions
    /// (mid + rid / repaired-rid), else by payload type when that is unambiguous on the peer.
    @inline(__always)
    func route(of packet: RTPPacket, on peer: RouterPeer) -> SSRCRoute? {
        let ssrc = packet.ssrc
        // Why an index loop: `for … in` goes through IndexingIterator, which allocates per call
        // in unoptimized builds (measured: RouterAllocationTests).
        let routes = peer.routes
        var i = 0
        while i < routes.count {
            if routes[i].ssrc == ssrc { return routes[i] }
            i += 1
        }
        return learnRoute(of: packet, on: peer)
    }

    func learnRoute(of packet: RTPPacket, on peer: RouterPeer) -> SSRCRoute? {
        let ssrc = packet.ssrc
        let pt = packet.payloadType
        // 1. mid (+ rid / repaired-rid) header extensions: what browsers and aiortc send.
        for producer in peer.producers {
            let ids = producer.track.headerExtensions
            guard ids.mid != 0, let mid = packet.extension(id: ids.mid) else { continue }
            guard Self.equal(mid, producer.midBytes) else { continue }
            if ids.rid != 0, let rid = packet.extension(id: ids.rid) {
                guard let s = producer.streams.first(where: { Self.equal(rid, $0.ridBytes) }) else {
                    producer.unroutable &+= 1
                    return nil
                }
                return assign(ssrc, to: s, rtx: false, on: peer)
            }
            if ids.repairedRID != 0, let rid = packet.extension(id: ids.repairedRID) {
                guard let s = producer.streams.first(where: { Self.equal(rid, $0.ridBytes) }) else {
                    producer.unroutable &+= 1
                    return nil
                }
                return assign(ssrc, to: s, rtx: true, on: peer)
            }
            // Without rid: the first encoding whose SSRC (or RTX SSRC) is not known yet.
            if pt == producer.track.codec.payloadType, let s = producer.streams.first(where: { $0.ssrc == nil }) {
                return assign(ssrc, to: s, rtx: false, on: peer)
            }
            if pt == producer.track.codec.rtxPayloadType, let s = producer.streams.first(where: { $0.rtxSSRC == nil }) {
                return assign(ssrc, to: s, rtx: true, on: peer)
            }
            producer.unroutable &+= 1
            return nil
        }
        // 2. Announced SSRCs are routed at addProducer. 3. The payload type, when one producer uses it.
        var found: (ProducerStream, Bool)?
        var matches = 0
        for producer in peer.producers {
            if pt == producer.track.codec.payloadType {
                matches += 1
                if let s = producer.streams.first(where: { $0.ssrc == nil }) { found = (s, false) }
            } else if pt == producer.track.codec.rtxPayloadType {
                matches += 1
                if let s = producer.streams.first(where: { $0.rtxSSRC == nil }) { found = (s, true) }
            }
        }
        guard matches == 1, let (stream, rtx) = found else { return nil }
        return assign(ssrc, to: stream, rtx: rtx, on: peer)
    }

    /// Routes `ssrc` to `stream` on `peer`, replacing the stream's previous SSRC of that kind.
    @discardableResult
    func assign(_ ssrc: UInt32, to stream: ProducerStream, rtx: Bool, on peer: RouterPeer) -> SSRCRoute {
        // Why remove first: the publisher changed the SSRC of this stream (or another stream had it).
        let old = rtx ? stream.rtxSSRC : stream.ssrc
        peer.routes.removeAll { $0.ssrc == ssrc || ($0.stream === stream && $0.isRTX == rtx && $0.ssrc == old) }
        let route = SSRCRoute(ssrc: ssrc, stream: stream, isRTX: rtx)
        peer.routes.append(route)
        if rtx {
            stream.rtxSSRC = ssrc
        } else {
            stream.setSSRC(ssrc)
            if peer.twcc?.mediaSSRC == 0 { peer.twcc?.mediaSSRC = ssrc }
            if stream.keyframeWanted {
                stream.keyframeWanted = false
                stream.requestKeyframe(now: nowNanoseconds, router: self)
            }
        }
        return route
    }

    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var i = 0
        while i < a.count {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }

    /// A media packet (or one recovered from RTX) of `stream`.
    @inline(__always)
    func receive(_ packet: RTPPacket, on stream: ProducerStream, isRetransmission: Bool, now: Int64) {
        let seq = packet.sequenceNumber
        let unow = UInt64(max(now, 0))
        stream.counters.packets &+= 1
        stream.counters.bytes &+= UInt64(packet.bytes.count)
        stream.receive?.received(sequenceNumber: seq, rtpTimestamp: packet.timestamp, size: packet.bytes.count, at: unow)
        switch stream.buffer.store(packet, now: MonotonicTime(nanoseconds: now)) {
        case .duplicate, .tooOld, .malformed: return
        case .stored, .storedAfterReset, .tooLarge: break
        }
        var keyframeStart = true
        if stream.isVideo {
            keyframeStart = false
            if let d = try? PayloadDescriptor(parsing: packet.payload, codec: stream.codec), d.isKeyframe {
                keyframeStart = d.isStartOfFrame ?? true
            }
            if keyframeStart {
                stream.counters.keyframesReceived &+= 1
                stream.keyframe?.keyframeReceived(now: unow)
            }
        } else if stream.audioLevelID != 0, let v = packet.extension(id: stream.audioLevelID), v.count >= 1 {
            stream.producer.audioLevel = (v[0] & 0x7F, v[0] & 0x80 != 0)
        }
        if let nack = stream.nack {
            if nack.received(sequenceNumber: seq, keyframeStart: stream.isVideo && keyframeStart, now: unow) == .keyframeNeeded {
                stream.requestKeyframe(now: now, router: self)
            }
        }
        stream.lastPacketAt = now
        let consumers = stream.consumers
        var i = 0
        while i < consumers.count {
            let c = consumers[i]
            i += 1
            if c.encodingIndex != stream.index {
                // A switch to this encoding is pending: it happens at this encoding's keyframe.
                guard c.pendingEncodingIndex == stream.index, keyframeStart, stream.isVideo else { continue }
                completeSwitch(c, to: stream)
            }
            if forward(packet, to: c, keyframeStart: keyframeStart, now: now), let highest = stream.buffer.highestSequenceNumber,
               Int16(bitPattern: highest &- seq) > 0 {
                replay(stream, to: c, after: seq, through: highest, now: now)
            }
        }
        _ = isRetransmission
    }

    /// A consumer started on a keyframe that arrived late (repaired, reordered): the packets after
    /// it that arrived earlier were dropped while it waited, so send them now from the buffer.
    func replay(_ stream: ProducerStream, to c: Consumer, after start: UInt16, through highest: UInt16, now: Int64) {
        let time = MonotonicTime(nanoseconds: now)
        var s = start &+ 1
        var n = 0
        while Int16(bitPattern: highest &- s) >= 0 && n < 512 {
            if let bytes = stream.buffer.packet(sequenceNumber: s, now: time), let p = try? RTPPacket(parsing: bytes) {
                _ = forward(p, to: c, keyframeStart: false, now: now)
            }
            s &+= 1
            n += 1
        }
    }

    /// Copies `packet` into the subscriber's send batch, rewritten for it. True when the consumer
    /// started with this packet.
    @inline(__always) @discardableResult
    func forward(_ packet: RTPPacket, to c: Consumer, keyframeStart: Bool, now: Int64) -> Bool {
        guard !c.isPaused, c.peer.isConnected else { return false }
        let seq = packet.sequenceNumber
        var startedNow = false
        if !c.started {
            guard keyframeStart || !c.isVideo else {
                c.counters.droppedWaitingForKeyframe &+= 1
                return false
            }
            start(c, at: seq, timestamp: packet.timestamp, now: now)
            startedNow = true
        } else if Int16(bitPattern: seq &- c.startSequence) < 0 {
            // Before the start point (a late or repaired packet): the subscriber never numbered it.
            return false
        }
        let peer = c.peer
        guard let slot = peer.transport.reserveRTP() else { return startedNow }
        let outSeq = seq &+ c.sequenceOffset
        let outTimestamp = packet.timestamp &+ c.timestampOffset
        let header = RTPHeader(marker: packet.marker, payloadType: c.payloadType, sequenceNumber: outSeq, timestamp: outTimestamp, ssrc: c.ssrc)
        let count: Int
        do {
            count = try packet.copy(into: slot, header: header, extensionIDs: c.extensionIDs, appending: c.midID, value: c.midValue,
                                    transportCCID: c.transportCCID, transportSequenceNumber: peer.transportSequence)
        } catch {
            return startedNow
        }
        guard peer.transport.commitRTP(length: count) else { return startedNow }
        if c.transportCCID != 0 { peer.transportSequence &+= 1 }
        if !c.hasSent || Int16(bitPattern: outSeq &- c.lastSequence) > 0 {
            c.lastSequence = outSeq
            c.lastTimestamp = outTimestamp
            c.lastSentAt = now
            c.hasSent = true
        }
        c.counters.packetsSent &+= 1
        c.counters.bytesSent &+= UInt64(count)
        c.packetCount &+= 1
        c.octetCount &+= UInt32(truncatingIfNeeded: packet.payloadCount)
        return startedNow
    }

    /// Sets the consumer's offsets so its output continues where it left off (or starts fresh).
    func start(_ c: Consumer, at seq: UInt16, timestamp: UInt32, now: Int64) {
        let outSeq: UInt16
        let outTimestamp: UInt32
        if c.hasSent {
            outSeq = c.lastSequence &+ 1
            // Why elapsed wall time: the receiver's jitter buffer expects timestamps to advance with
            // real time across the pause; at least one tick so the frame is new.
            let elapsed = UInt64(max(now - c.lastSentAt, 0))
            let ticks = (elapsed / 1_000_000_000) &* UInt64(c.clockRate) &+ (elapsed % 1_000_000_000) * UInt64(c.clockRate) / 1_000_000_000
            outTimestamp = c.lastTimestamp &+ UInt32(truncatingIfNeeded: max(ticks, 1))
        } else {
            outSeq = c.lastSequence
            outTimestamp = c.lastTimestamp
        }
        c.sequenceOffset = outSeq &- seq
        c.timestampOffset = outTimestamp &- timestamp
        c.startSequence = seq
        c.started = true
        c.responder.target.sequenceOffset = c.sequenceOffset
        c.responder.target.timestampOffset = c.timestampOffset
    }
}
