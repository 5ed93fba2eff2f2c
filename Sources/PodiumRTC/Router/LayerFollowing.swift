import PodiumNet

// Following simulcast layers until issue 5's bandwidth-driven allocator exists: each video
// consumer forwards the highest encoding that is arriving, up to its maximum. Why at all: a
// browser starts its top simulcast layer only after its own ramp-up (10–30 s) and drops layers under
// congestion; a consumer pinned to a silent layer would show nothing.
//
// Up-switches keep forwarding the current encoding until a keyframe of the target arrives (a
// keyframe is requested at once); switching away from an encoding that stopped, or before the
// consumer forwarded anything, happens at once (there is nothing to keep). Either way the
// consumer restarts on the target's keyframe with its sequence numbers gapless and its timestamps
// advanced by wall time (`Router.start`), so the subscriber's decoder sees one stream.

extension Producer {
    /// The highest encoding at most `maxIndex` that received media within `Router.layerInactiveAfter`;
    /// if none at most `maxIndex` does, the lowest one that does; nil when nothing arrives.
    func bestActiveEncoding(atMost maxIndex: Int, now: Int64) -> Int? {
        var lowestActive: Int?
        var best: Int?
        for s in streams where s.isActive(now: now) {
            if lowestActive == nil { lowestActive = s.index }
            if s.index <= maxIndex { best = s.index }
        }
        return best ?? lowestActive
    }
}

extension ProducerStream {
    func isActive(now: Int64) -> Bool {
        lastPacketAt != 0 && now - lastPacketAt < Router.layerInactiveAfter
    }
}

extension Router {
    /// An encoding with no packet for this long counts as stopped (at 30 fps a layer sends
    /// several packets per 100 ms; browsers pause a layer for seconds, not milliseconds).
    static let layerInactiveAfter: Int64 = 1_000_000_000
    /// How often the router re-checks which encodings arrive.
    static let layerCheckInterval: Int64 = 200_000_000

    func followActiveLayers(now: Int64) {
        for producer in producers where producer.streams.count > 1 && producer.track.kind == .video {
            for c in producer.consumers where !c.isPaused && !c.removed {
                guard let target = producer.bestActiveEncoding(atMost: c.maxEncodingIndex, now: now) else { continue }
                let current = producer.streams[c.encodingIndex]
                if target == c.encodingIndex {
                    cancelPendingSwitch(c)
                } else if !c.started || !current.isActive(now: now) {
                    // Nothing to keep forwarding: move now and wait for the target's keyframe.
                    cancelPendingSwitch(c)
                    current.consumers.removeAll { $0 === c }
                    c.encodingIndex = target
                    c.started = false
                    producer.streams[target].consumers.append(c)
                    producer.streams[target].requestKeyframe(now: now, router: self)
                    c.counters.layerSwitches &+= 1
                } else if c.pendingEncodingIndex != target {
                    cancelPendingSwitch(c)
                    c.pendingEncodingIndex = target
                    producer.streams[target].consumers.append(c)
                    producer.streams[target].requestKeyframe(now: now, router: self)
                }
            }
        }
    }

    func cancelPendingSwitch(_ c: Consumer) {
        guard let pending = c.pendingEncodingIndex else { return }
        c.pendingEncodingIndex = nil
        c.producer.streams[pending].consumers.removeAll { $0 === c }
    }

    /// A keyframe of the pending encoding arrived: leave the current one and restart on it.
    func completeSwitch(_ c: Consumer, to stream: ProducerStream) {
        c.producer.streams[c.encodingIndex].consumers.removeAll { $0 === c }
        c.encodingIndex = stream.index
        c.pendingEncodingIndex = nil
        c.started = false
        c.counters.layerSwitches &+= 1
    }
}
