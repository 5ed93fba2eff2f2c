import Testing
import PodiumTestSupport
import PodiumRTC
import PodiumWire

/// Keyframe request merging and rate limiting towards a publisher (virtual time, ns).
@Suite struct KeyframeRequesterTests {
    static let ms: UInt64 = 1_000_000
    static let t0: UInt64 = 1_000 * ms
    static let mediaSSRC: UInt32 = 0x1234_5678

    static func requester(form: KeyframeRequestForm = .pli, interval: UInt64 = 500 * ms) -> KeyframeRequester {
        KeyframeRequester(mediaSSRC: mediaSSRC,
                          configuration: .init(minInterval: interval, form: form, senderSSRC: 0xCAFE_0001))
    }

    /// `#require` for a request returned by a mutating call (the macro cannot take one).
    static func req(_ request: KeyframeRequest?, sourceLocation: SourceLocation = #_sourceLocation) throws -> KeyframeRequest {
        try #require(request, sourceLocation: sourceLocation)
    }

    /// Writes the request and returns its bytes.
    static func bytes(_ request: KeyframeRequest) throws -> [UInt8] {
        var out = [UInt8](repeating: 0xEE, count: 64)
        let n = try out.withUnsafeMutableBytes { (raw) throws(BufferTooSmall) in try request.write(into: raw) }
        #expect(n == request.encodedSize)
        return Array(out[0..<n])
    }

    @Test func hundredRequestsInTenMillisecondsSendOnePLI() throws {
        var r = Self.requester()
        var sent: [KeyframeRequest] = []
        for i in 0..<100 {
            if let req = r.request(now: Self.t0 + UInt64(i) * Self.ms / 10) { sent.append(req) }
        }
        #expect(sent.count == 1)
        #expect(sent.first?.form == .pli && sent.first?.isRepeat == false)
        #expect(r.counters.requested == 100 && r.counters.sent == 1 && r.counters.merged == 99)
        #expect(r.isAwaitingKeyframe && !r.isPending)
        // Nothing more until the repeat deadline (2 × interval).
        #expect(r.nextDeadline == Self.t0 + 1000 * Self.ms)
        #expect(r.poll(now: Self.t0 + 999 * Self.ms) == nil)
    }

    @Test func writtenPLIParsesBack() throws {
        var r = Self.requester()
        let req = try Self.req(r.request(now: Self.t0))
        let bytes = try Self.bytes(req)
        #expect(bytes == hexBytes("""
            81 ce 00 02  // V=2 P=0 FMT=1 PT=PSFB=206 length=2
            ca fe 00 01  // SSRC of packet sender
            12 34 56 78  // SSRC of media source
            """))
        try withBytes(bytes) { buf in
            let pli = try PictureLossIndication(parsing: buf)
            #expect(pli.senderSSRC == 0xCAFE_0001 && pli.mediaSSRC == Self.mediaSSRC)
        }
    }

    @Test func intervalIsRespectedAndQuietRequestSentAtItsEnd() throws {
        var r = Self.requester()
        #expect(r.request(now: Self.t0) != nil)
        r.keyframeReceived(now: Self.t0 + 50 * Self.ms)
        #expect(!r.isAwaitingKeyframe && r.nextDeadline == nil)
        // A new consumer 100 ms later: held back, not dropped.
        #expect(r.request(now: Self.t0 + 100 * Self.ms) == nil)
        #expect(r.isPending && r.counters.deferred == 1)
        #expect(r.request(now: Self.t0 + 200 * Self.ms) == nil)
        #expect(r.nextDeadline == Self.t0 + 500 * Self.ms)
        #expect(r.poll(now: Self.t0 + 499 * Self.ms) == nil)
        let req = try Self.req(r.poll(now: Self.t0 + 500 * Self.ms))
        #expect(!req.isRepeat)
        #expect(r.counters.sent == 2 && r.counters.merged == 1 && r.counters.requested == 3)
        // The next one again waits a full interval from this send.
        r.keyframeReceived(now: Self.t0 + 520 * Self.ms)
        #expect(r.request(now: Self.t0 + 900 * Self.ms) == nil)
        #expect(r.nextDeadline == Self.t0 + 1000 * Self.ms)
    }

    @Test func sendsAreNeverCloserThanTheInterval() {
        // Random requests and keyframes over 20 s: consecutive sends at least minInterval apart.
        var r = Self.requester(interval: 300 * Self.ms)
        var state: UInt64 = 7
        var lastSend: UInt64? = nil
        var sends = 0
        var now = Self.t0
        for _ in 0..<4000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            now += (state >> 40) % (10 * Self.ms)
            var out: KeyframeRequest? = nil
            switch (state >> 20) % 4 {
            case 0: out = r.request(now: now)
            case 1: if (state >> 8) % 8 == 0 { r.keyframeReceived(now: now) }
            default: out = r.poll(now: now)
            }
            if out != nil {
                if let lastSend { #expect(now - lastSend >= 300 * Self.ms) }
                lastSend = now
                sends += 1
            }
        }
        #expect(sends > 10)
        #expect(r.counters.sent == sends)
    }

    @Test func keyframeSatisfiesPendingRequests() {
        var r = Self.requester()
        _ = r.request(now: Self.t0)
        r.keyframeReceived(now: Self.t0 + 10 * Self.ms)
        _ = r.request(now: Self.t0 + 100 * Self.ms)
        #expect(r.isPending)
        // The publisher sends a keyframe of its own (or for another reason) before the interval ends.
        r.keyframeReceived(now: Self.t0 + 200 * Self.ms)
        #expect(!r.isPending && r.nextDeadline == nil)
        #expect(r.poll(now: Self.t0 + 2000 * Self.ms) == nil)
        #expect(r.counters.sent == 1 && r.counters.satisfied == 2 && r.counters.keyframesReceived == 2)
    }

    @Test func repeatsWhenNoKeyframeArrives() throws {
        var r = KeyframeRequester(mediaSSRC: Self.mediaSSRC,
                                  configuration: .init(minInterval: 500 * Self.ms, maxRepeats: 2, form: .pli))
        #expect(r.request(now: Self.t0) != nil)
        #expect(r.poll(now: Self.t0 + 999 * Self.ms) == nil)
        let again = try Self.req(r.poll(now: Self.t0 + 1000 * Self.ms))
        #expect(again.isRepeat)
        #expect(r.nextDeadline == Self.t0 + 2000 * Self.ms)
        let second = try Self.req(r.poll(now: Self.t0 + 2000 * Self.ms))
        #expect(second.isRepeat)
        // After maxRepeats the request is abandoned; a new consumer request starts over.
        #expect(r.poll(now: Self.t0 + 3000 * Self.ms) == nil)
        #expect(!r.isAwaitingKeyframe && r.nextDeadline == nil)
        #expect(r.counters.sent == 3 && r.counters.repeated == 2 && r.counters.abandoned == 1)
        let fresh = try Self.req(r.request(now: Self.t0 + 3100 * Self.ms))
        #expect(!fresh.isRepeat)
    }

    @Test func firSequenceIncrementsPerNewRequestNotPerRepeat() throws {
        var r = Self.requester(form: .fir)
        var seqs: [UInt8] = []
        func firSeq(_ req: KeyframeRequest?) throws -> UInt8 {
            let req = try #require(req)
            let bytes = try Self.bytes(req)
            return try withBytes(bytes) { buf in
                let fir = try FullIntraRequest(parsing: buf)
                #expect(fir.senderSSRC == 0xCAFE_0001 && fir.mediaSSRC == 0)
                #expect(fir.entries.count == 1 && fir.entries[0].ssrc == Self.mediaSSRC)
                return fir.entries[0].sequenceNumber
            }
        }
        seqs.append(try firSeq(r.request(now: Self.t0)))                  // new: 0
        seqs.append(try firSeq(r.poll(now: Self.t0 + 1000 * Self.ms)))     // repeat: 0
        _ = r.request(now: Self.t0 + 1100 * Self.ms)                       // merged into the awaiting one
        r.keyframeReceived(now: Self.t0 + 1200 * Self.ms)
        seqs.append(try firSeq(r.request(now: Self.t0 + 1600 * Self.ms)))  // new: 1
        seqs.append(try firSeq(r.poll(now: Self.t0 + 2600 * Self.ms)))     // repeat: 1
        r.keyframeReceived(now: Self.t0 + 2700 * Self.ms)
        seqs.append(try firSeq(r.request(now: Self.t0 + 3200 * Self.ms)))  // new: 2
        #expect(seqs == [0, 0, 1, 1, 2])
    }

    @Test func firSequenceWrapsAt256() throws {
        var r = Self.requester(form: .fir)
        var now = Self.t0
        var last: UInt8 = 0
        for i in 0..<300 {
            let req = try Self.req(r.request(now: now))
            #expect(req.firSequence == UInt8(truncatingIfNeeded: i))
            last = req.firSequence
            r.keyframeReceived(now: now + Self.ms)
            now += 500 * Self.ms
        }
        #expect(last == UInt8(299 % 256))
    }

    @Test func writtenFIRBytes() throws {
        var r = Self.requester(form: .fir)
        let bytes = try Self.bytes(try Self.req(r.request(now: Self.t0)))
        #expect(bytes == hexBytes("""
            84 ce 00 04  // V=2 P=0 FMT=4 PT=PSFB=206 length=4
            ca fe 00 01  // SSRC of packet sender
            00 00 00 00  // SSRC of media source (unused, RFC 5104 §4.3.1.2)
            12 34 56 78  // FCI: SSRC
            00 00 00 00  // FCI: seq nr. 0, reserved
            """))
        // Too small a buffer is an error, not a trap.
        var small = [UInt8](repeating: 0, count: 19)
        let failed = small.withUnsafeMutableBytes { raw in
            do { _ = try KeyframeRequest(form: .fir, senderSSRC: 1, mediaSSRC: 2, firSequence: 0, isRepeat: false).write(into: raw); return false }
            catch { return true }
        }
        #expect(failed)
    }

    @Test func writesAfterAReceiverReportInACompound() throws {
        var r = Self.requester()
        let req = try Self.req(r.request(now: Self.t0))
        var out = [UInt8](repeating: 0, count: 64)
        let n = try out.withUnsafeMutableBytes { (raw) throws(BufferTooSmall) -> Int in
            var w = ByteWriter(raw)
            try ReceiverReport(ssrc: 0xCAFE_0001).write(to: &w)
            try req.write(to: &w)
            return w.offset
        }
        try withBytes(Array(out[0..<n])) { buf in
            let compound = try RTCPCompound(parsing: buf)
            try compound.validateCompoundRules()
            var it = compound.makeIterator()
            guard case .receiverReport = try it.next() else { Issue.record("first is not RR"); return }
            guard case .pli(let pli) = try it.next() else { Issue.record("second is not PLI"); return }
            #expect(pli.mediaSSRC == Self.mediaSSRC)
        }
    }

    @Test func configurationClampsTheInterval() {
        #expect(KeyframeRequester.Configuration(minInterval: 10 * Self.ms).minInterval == 300 * Self.ms)
        #expect(KeyframeRequester.Configuration(minInterval: 5000 * Self.ms).minInterval == 1000 * Self.ms)
        let c = KeyframeRequester.Configuration(minInterval: 400 * Self.ms, repeatAfter: 100 * Self.ms)
        #expect(c.repeatAfter == 400 * Self.ms)
        #expect(KeyframeRequester.Configuration().repeatAfter == 1000 * Self.ms)
        #expect(KeyframeRequestForm(negotiatedPLI: true, negotiatedFIR: true) == .pli)
        #expect(KeyframeRequestForm(negotiatedPLI: false, negotiatedFIR: true) == .fir)
        #expect(KeyframeRequestForm(negotiatedPLI: false, negotiatedFIR: false) == nil)
    }
}
