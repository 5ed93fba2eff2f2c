import PodiumNet
import PodiumWire

// RTCP in both directions and the router's housekeeping timer.
//
//   subscriber ─ NACK ─▶ RetransmissionResponder (RTX or plain) from the producer's PacketBuffer
//              ─ PLI/FIR ─▶ the producer stream's KeyframeRequester (merged, rate-limited)
//              ─ RR ─▶ consumer stats (loss, jitter, RTT against the SRs sent)
//   publisher  ─ SR ─▶ NTP/RTP mapping (consumer SRs) and LSR (our RRs)
//   tick ─▶ NACK / keyframe requests / TWCC feedback to publishers; RR + SR + SDES every reportInterval

extension Router {
    // MARK: Receiving

    func ingestRTCP(_ bytes: UnsafeRawBufferPointer, on peer: RouterPeer) {
        let compound: RTCPCompound
        do { compound = try RTCPCompound(parsing: bytes) } catch {
            peer.counters.malformedRTCP &+= 1
            return
        }
        let now = loop.turnTime.nanoseconds
        var it = compound.makeIterator()
        while true {
            let next: RTCPPacket?
            do { next = try it.next() } catch {
                peer.counters.malformedRTCP &+= 1
                return
            }
            guard let packet = next else { return }
            switch packet {
            case .senderReport(let sr):
                if let route = peer.routes.first(where: { $0.ssrc == sr.ssrc && !$0.isRTX }) {
                    let stream = route.stream
                    stream.receive?.receivedSenderReport(sr, at: UInt64(max(now, 0)))
                    stream.lastSR = (sr.ntpTimestamp, sr.rtpTimestamp, now)
                }
                for block in sr.reportBlocks { handleReportBlock(block, on: peer, now: now) }
            case .receiverReport(let rr):
                for block in rr.reportBlocks { handleReportBlock(block, on: peer, now: now) }
            case .genericNACK(let nack):
                guard let c = consumer(ssrc: nack.mediaSSRC, on: peer) else {
                    peer.counters.unknownSSRCRTCP &+= 1
                    continue
                }
                c.counters.nacksReceived &+= 1
                retransmit(nack, for: c, now: now)
            case .pli(let pli):
                guard let c = consumer(ssrc: pli.mediaSSRC, on: peer) else {
                    peer.counters.unknownSSRCRTCP &+= 1
                    continue
                }
                c.counters.plisReceived &+= 1
                if !c.isPaused { c.producer.streams[c.encodingIndex].requestKeyframe(now: now, router: self) }
            case .fir(let fir):
                for entry in fir.entries {
                    guard let c = consumer(ssrc: entry.ssrc, on: peer) else {
                        peer.counters.unknownSSRCRTCP &+= 1
                        continue
                    }
                    c.counters.firsReceived &+= 1
                    if !c.isPaused { c.producer.streams[c.encodingIndex].requestKeyframe(now: now, router: self) }
                }
            case .bye:
                peer.counters.byesReceived &+= 1
            case .remb:
                peer.counters.rembReceived &+= 1
            case .transportFeedback:
                peer.counters.transportFeedbackReceived &+= 1
            case .sdes, .app, .extendedReport, .unknown:
                break
            }
        }
    }

    @inline(__always)
    func consumer(ssrc: UInt32, on peer: RouterPeer) -> Consumer? {
        let consumers = peer.consumers
        var i = 0
        while i < consumers.count {
            if consumers[i].ssrc == ssrc { return consumers[i] }
            i += 1
        }
        return nil
    }

    /// A subscriber's report on one of its consumers: loss, jitter and RTT (RFC 3550 §6.4.1).
    func handleReportBlock(_ block: ReportBlock, on peer: RouterPeer, now: Int64) {
        guard let c = consumer(ssrc: block.ssrc, on: peer) else { return }
        c.counters.fractionLost = Double(block.fractionLost) / 256
        c.counters.packetsLost = Int64(block.cumulativeLost)
        c.counters.jitter = block.jitter
        guard block.lastSenderReport != 0 else { return }
        for r in c.sentReports where r.compact == block.lastSenderReport && r.at != 0 {
            let dlsr = Int64(block.delaySinceLastSenderReport)
            let dlsrNanoseconds = (dlsr >> 16) * 1_000_000_000 + ((dlsr & 0xFFFF) * 1_000_000_000) >> 16
            let rtt = max(now - r.at - dlsrNanoseconds, 0)
            c.counters.roundTripTimeMilliseconds = Double(rtt) / 1_000_000
            // Why: a NACK repeated within one RTT asks for a repair already on its way.
            c.responder.minimumResendInterval = .nanoseconds(max(rtt, 10_000_000))
            break
        }
    }

    /// Answers a subscriber's generic NACK from the producer stream's buffer.
    func retransmit(_ nack: GenericNACK, for c: Consumer, now: Int64) {
        guard c.started, !c.isPaused, c.peer.isConnected else { return }
        let stream = c.producer.streams[c.encodingIndex]
        let peer = c.peer
        let time = MonotonicTime(nanoseconds: now)
        for seq in nack.lostSequenceNumbers {
            // Why: numbers before the start point map to packets this subscriber never had.
            guard Int16(bitPattern: (seq &- c.sequenceOffset) &- c.startSequence) >= 0 else { continue }
            guard let slot = peer.transport.reserveRTP() else { return }
            guard case .written(let count, let offset) = c.responder.retransmit(seq, from: stream.buffer, now: time, into: slot) else { continue }
            if offset != 0 { slot.storeBigEndian(peer.transportSequence, at: offset) }
            if peer.transport.commitRTP(length: count) {
                if offset != 0 { peer.transportSequence &+= 1 }
                c.counters.retransmissionsSent &+= 1
            }
        }
    }

    func peerChangedState(_ peer: RouterPeer, _ state: WebRtcTransportState) {
        let wasConnected = peer.isConnected
        peer.isConnected = state == .connected
        if peer.isConnected && !wasConnected {
            // Consumers created before the transport connected dropped their keyframe: ask again.
            let now = nowNanoseconds
            for c in peer.consumers where c.isVideo && !c.isPaused && !c.started {
                c.producer.streams[c.encodingIndex].requestKeyframe(now: now, router: self)
            }
        }
        delegate?.router(self, peer: peer, didChangeState: state)
    }

    // MARK: Sending

    /// Sends feedback written by `body` (into the buffer it gets; returns the bytes written) to a
    /// publisher peer: after an empty RR (compound, RFC 3550 §6.1) unless the peer negotiated
    /// reduced-size RTCP (RFC 5506).
    func sendFeedback(to peer: RouterPeer, _ body: (UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int) {
        guard peer.isConnected else { return }
        var prefix = 0
        if !peer.publisherReducedSize {
            guard let n = try? ReceiverReport(ssrc: peer.rtcpSSRC).write(into: rtcpScratch) else { return }
            prefix = n
        }
        guard let n = try? body(UnsafeMutableRawBufferPointer(rebasing: rtcpScratch[prefix...])), n > 0 else { return }
        if peer.transport.sendRTCP(UnsafeRawBufferPointer(rebasing: rtcpScratch[0 ..< prefix + n])) { peer.counters.rtcpSent &+= 1 }
    }

    func sendKeyframeRequest(_ request: KeyframeRequest, for stream: ProducerStream) {
        stream.counters.keyframeRequestsSent &+= 1
        sendFeedback(to: stream.producer.peer) { (buffer) throws(BufferTooSmall) in try request.write(into: buffer) }
    }

    /// RTCP BYE for a consumer whose producer went away (after an RR: compound).
    func sendBye(for c: Consumer) {
        let peer = c.peer
        guard peer.isConnected else { return }
        var w = ByteWriter(rtcpScratch)
        do {
            try ReceiverReport(ssrc: c.ssrc).write(to: &w)
            try w.write(UInt8(0x81))
            try w.write(RTCPPacketType.bye)
            try w.write(UInt16(1))
            try w.write(c.ssrc)
        } catch {
            return
        }
        if peer.transport.sendRTCP(UnsafeRawBufferPointer(rebasing: rtcpScratch[0 ..< w.offset])) { peer.counters.rtcpSent &+= 1 }
    }

    /// An SDES packet with one chunk: `ssrc` and its CNAME (RFC 3550 §6.5).
    static func writeSDES(ssrc: UInt32, cname: String, to w: inout ByteWriter) throws(BufferTooSmall) {
        let count = min(cname.utf8.count, 255)
        let chunk = (4 + 2 + count + 1 + 3) & ~3
        try w.write(UInt8(0x81))
        try w.write(RTCPPacketType.sdes)
        try w.write(UInt16(chunk / 4))
        try w.write(ssrc)
        try w.write(SDESItem.cname)
        try w.write(UInt8(count))
        for byte in cname.utf8.prefix(count) { try w.write(byte) }
        try w.writeZeros(chunk - 6 - count)
    }

    // MARK: Timer

    func startTimer() {
        guard tickTimer == nil, !isClosed else { return }
        tickTimer = loop.schedule(after: configuration.tickInterval) { [weak self] in
            guard let self else { return }
            self.tickTimer = nil
            self.tick(now: MonotonicTime.now().nanoseconds)
            self.startTimer()
        }
    }

    /// NACKs, keyframe requests and TWCC feedback due to publishers; reports every `reportInterval`.
    func tick(now: Int64) {
        let unow = UInt64(max(now, 0))
        for producer in producers {
            for stream in producer.streams {
                if let nack = stream.nack, let ssrc = stream.ssrc {
                    let n = nack.pollNACK(now: unow, rtt: nil, into: nackScratch)
                    if n > 0 {
                        stream.counters.nackPacketsSent &+= UInt64(n)
                        let lost = UnsafeBufferPointer(rebasing: nackScratch[0 ..< n])
                        let sender = producer.peer.rtcpSSRC
                        sendFeedback(to: producer.peer) { (buffer) throws(BufferTooSmall) in
                            try GenericNACK.write(senderSSRC: sender, mediaSSRC: ssrc, lost: lost, into: buffer)
                        }
                    }
                }
                if stream.keyframe != nil, let request = stream.keyframe!.poll(now: unow) {
                    sendKeyframeRequest(request, for: stream)
                }
            }
        }
        for peer in peers {
            guard let twcc = peer.twcc, peer.isConnected, twcc.isDue(now: unow) else { continue }
            // Why a bound: each call continues where the previous packet ended; 16 packets cover any backlog.
            var more = true
            var packets = 0
            while more && packets < 16 {
                packets += 1
                more = false
                sendFeedback(to: peer) { (buffer) throws(BufferTooSmall) in
                    guard let n = try twcc.buildFeedback(into: buffer, now: unow) else { return 0 }
                    more = true
                    return n
                }
            }
        }
        if now - lastLayerCheckAt >= Self.layerCheckInterval {
            lastLayerCheckAt = now
            followActiveLayers(now: now)
        }
        if now - lastReportAt >= configuration.reportInterval.clampedNanoseconds {
            lastReportAt = now
            sendReports(now: now)
        }
    }

    /// RR (+ SDES) to each publisher peer, SR (+ SDES) for each started consumer.
    func sendReports(now: Int64) {
        let unow = UInt64(max(now, 0))
        for peer in peers where peer.isConnected && !peer.producers.isEmpty {
            var blocks = 0
            for producer in peer.producers {
                for stream in producer.streams where blocks < blockScratch.count {
                    if let block = stream.receive?.makeReportBlock(now: unow) {
                        blockScratch[blocks] = block
                        blocks += 1
                    }
                }
            }
            var w = ByteWriter(rtcpScratch)
            do {
                try ReceiverReport(ssrc: peer.rtcpSSRC, reportBlocks: RTCPList(UnsafeBufferPointer(rebasing: blockScratch[0 ..< blocks]))).write(to: &w)
                try Self.writeSDES(ssrc: peer.rtcpSSRC, cname: "podium", to: &w)
            } catch {
                continue
            }
            if peer.transport.sendRTCP(UnsafeRawBufferPointer(rebasing: rtcpScratch[0 ..< w.offset])) { peer.counters.rtcpSent &+= 1 }
        }
        for peer in peers where peer.isConnected {
            for c in peer.consumers where c.started && !c.isPaused {
                let stream = c.producer.streams[c.encodingIndex]
                guard let sr = stream.lastSR else { continue }
                // Extrapolate the publisher's NTP/RTP mapping to now, in the consumer's timestamps.
                let elapsed = UInt64(max(now - sr.at, 0))
                let seconds = elapsed / 1_000_000_000
                let rest = elapsed % 1_000_000_000
                let ntp = sr.ntp &+ (seconds << 32) &+ (rest << 32) / 1_000_000_000
                let ticks = seconds &* UInt64(stream.clockRate) &+ rest * UInt64(stream.clockRate) / 1_000_000_000
                let rtp = sr.rtp &+ UInt32(truncatingIfNeeded: ticks) &+ c.timestampOffset
                var w = ByteWriter(rtcpScratch)
                do {
                    try SenderReport(ssrc: c.ssrc, ntpTimestamp: ntp, rtpTimestamp: rtp, packetCount: c.packetCount, octetCount: c.octetCount).write(to: &w)
                    try Self.writeSDES(ssrc: c.ssrc, cname: c.track.cname, to: &w)
                } catch {
                    continue
                }
                if peer.transport.sendRTCP(UnsafeRawBufferPointer(rebasing: rtcpScratch[0 ..< w.offset])) {
                    peer.counters.rtcpSent &+= 1
                    c.sentReports[c.sentReportIndex] = (UInt32(truncatingIfNeeded: ntp >> 16), now)
                    c.sentReportIndex = (c.sentReportIndex + 1) % c.sentReports.count
                }
            }
        }
    }
}
