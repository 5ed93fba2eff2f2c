/// Per-SSRC SRTP state (RFC 3711 §3.2.3): rollover counter and highest sequence number (kept
/// together as the highest 48-bit packet index), the replay windows (§3.3.2), and the SRTCP index.
struct SRTPStreamState {
    var ssrc: UInt32 = 0
    var isOccupied = false
    var hasRTP = false
    var hasRTCP = false
    /// Highest SRTP packet index sent or authenticated: ROC << 16 | highest seq.
    var rtpIndex: Int64 = 0
    /// Bit k set: index `rtpIndex - k` was received (inbound only).
    var rtpWindow: UInt128 = 0
    /// Outbound: the next SRTCP index to send. Inbound: the highest authenticated.
    var rtcpIndex: Int64 = 0
    var rtcpWindow: UInt128 = 0
}

/// Replay protection and index estimation, shared by SRTP and SRTCP.
enum SRTPReplay {
    /// Packets older than this many indices below the highest are rejected (libsrtp's default).
    static let windowSize: Int64 = 128

    /// The packet index of `seq` given the highest index so far (RFC 3711 §3.3.1, Appendix A).
    /// Negative when the guess is before index 0.
    @inline(__always)
    static func estimate(seq: UInt16, highest: Int64) -> Int64 {
        let roc = highest >> 16
        let last = highest & 0xFFFF
        let s = Int64(seq)
        var v = roc
        if last < 0x8000 {
            if s - last > 0x8000 { v = roc - 1 }
        } else if last - 0x8000 > s {
            v = roc + 1
        }
        return v << 16 | s
    }

    /// Throws if `index` was seen or is older than the window.
    @inline(__always)
    static func check(_ index: Int64, highest: Int64, window: UInt128) throws(SRTPError) {
        let delta = index - highest
        if delta > 0 { return }
        if -delta >= windowSize { throw .tooOld }
        if window & (1 << UInt128(-delta)) != 0 { throw .replayed }
    }

    /// Records an authenticated `index`.
    @inline(__always)
    static func record(_ index: Int64, highest: inout Int64, window: inout UInt128) {
        let delta = index - highest
        if delta > 0 {
            window = delta >= windowSize ? 1 : (window << UInt128(delta)) | 1
            highest = index
        } else {
            window |= 1 << UInt128(-delta)
        }
    }
}

/// Fixed-capacity open-addressing table (linear probing, backward-shift deletion) of SSRC →
/// `SRTPStreamState`. Slots are allocated once: a peer cannot grow it; past `capacity` streams,
/// `insert` fails and the caller reports `SRTPError.streamLimitReached`.
struct SRTPStreamTable {
    let slots: UnsafeMutablePointer<SRTPStreamState>
    let mask: Int
    let capacity: Int

    /// Allocates room for `capacity` streams (at most 50% load). Free with `deallocate()`.
    static func allocate(capacity: Int) -> SRTPStreamTable {
        var size = 8
        while size < 2 * capacity { size <<= 1 }
        let slots = UnsafeMutablePointer<SRTPStreamState>.allocate(capacity: size)
        slots.initialize(repeating: SRTPStreamState(), count: size)
        return SRTPStreamTable(slots: slots, mask: size - 1, capacity: capacity)
    }

    func deallocate() {
        slots.deinitialize(count: mask + 1)
        slots.deallocate()
    }

    @inline(__always)
    private func home(_ ssrc: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt32(ssrc) &* 0x9E37_79B1) >> 16) & mask
    }

    /// The slot of `ssrc`, or nil.
    @inline(__always)
    func find(_ ssrc: UInt32) -> Int? {
        var i = home(ssrc)
        for _ in 0...mask {
            let slot = slots[i]
            if !slot.isOccupied { return nil }
            if slot.ssrc == ssrc { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Adds `ssrc` (absent) when fewer than `capacity` streams exist; `count` is the owner's.
    func insert(_ ssrc: UInt32, count: inout Int) -> Int? {
        guard count < capacity else { return nil }
        var i = home(ssrc)
        for _ in 0...mask {
            if !slots[i].isOccupied {
                slots[i] = SRTPStreamState(ssrc: ssrc, isOccupied: true)
                count += 1
                return i
            }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Forgets `ssrc`; returns whether it was present.
    func remove(_ ssrc: UInt32, count: inout Int) -> Bool {
        guard var hole = find(ssrc) else { return false }
        slots[hole] = SRTPStreamState()
        count -= 1
        var i = (hole + 1) & mask
        while slots[i].isOccupied {
            // Why: backward-shift deletion keeps every entry reachable from its home slot without
            // tombstones, so a churn of SSRCs never degrades lookups.
            let h = home(slots[i].ssrc)
            if (i - h) & mask >= (i - hole) & mask {
                slots[hole] = slots[i]
                slots[i] = SRTPStreamState()
                hole = i
            }
            i = (i + 1) & mask
        }
        return true
    }
}
