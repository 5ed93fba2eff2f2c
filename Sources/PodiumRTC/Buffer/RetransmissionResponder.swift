import PodiumNet
import PodiumWire

/// The RTX stream a subscriber negotiated for one media stream (RFC 4588 §8: `a=rtpmap:<pt> rtx/…`,
/// `a=fmtp:<pt> apt=…`, `a=ssrc-group:FID <media> <rtx>`).
public struct RTXParameters: Sendable, Equatable {
    public var ssrc: UInt32
    public var payloadType: UInt8
    /// First RTX sequence number (random, RFC 3550 §5.1).
    public var initialSequenceNumber: UInt16

    public init(ssrc: UInt32, payloadType: UInt8, initialSequenceNumber: UInt16 = 0) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.initialSequenceNumber = initialSequenceNumber
    }
}

/// How one subscriber's stream differs from the publisher's: the consumer's rewrite, as constants.
///
/// Why constants and not a mapping function: a closure per packet is banned on the hot path, and
/// between layer switches the consumer's rewrite *is* an offset (subscriber seq = publisher seq +
/// `sequenceOffset`, ts likewise). The consumer updates the offsets when it switches layers or drops
/// a packet to keep its output gapless; NACKs for numbers sent before such a change then map to the
/// wrong publisher packet, which the responder cannot tell. The router avoids that by keeping the
/// responder of the layer being left until its packets are older than the buffer's `maxAge`, or by
/// accepting a few useless retransmissions around a switch (the receiver drops them as duplicates
/// or out of range).
public struct RetransmissionTarget: Sendable {
    /// The media SSRC and payload type the subscriber receives.
    public var ssrc: UInt32
    public var payloadType: UInt8
    /// subscriber seq = publisher seq &+ sequenceOffset.
    public var sequenceOffset: UInt16
    /// subscriber ts = publisher ts &+ timestampOffset.
    public var timestampOffset: UInt32
    /// Publisher's extension ids → the subscriber's (0 drops).
    public var extensionIDs: RTPExtensionIDMap
    /// The subscriber's transport-wide sequence number id (0 when not negotiated): a 2-byte element
    /// is reserved in every retransmission, its offset returned for the transport to fill.
    public var transportCCID: UInt8
    /// RTX when negotiated, else nil: plain retransmission on the media SSRC (RFC 4585 §3.2).
    public var rtx: RTXParameters?

    public init(ssrc: UInt32, payloadType: UInt8, sequenceOffset: UInt16 = 0, timestampOffset: UInt32 = 0,
                extensionIDs: RTPExtensionIDMap = .identity, transportCCID: UInt8 = 0, rtx: RTXParameters? = nil) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.sequenceOffset = sequenceOffset
        self.timestampOffset = timestampOffset
        self.extensionIDs = extensionIDs
        self.transportCCID = transportCCID
        self.rtx = rtx
    }
}

/// Answers one subscriber's NACKs (RFC 4585 §6.2.1) for one stream from the producer's
/// `PacketBuffer`: each lost number (in the subscriber's numbering) maps back to the publisher's,
/// and the packet is written into a caller buffer rewritten for the subscriber, RTX-wrapped (RFC
/// 4588 §4, OSN = the subscriber's number, its own RTX sequence counter) when the subscriber
/// negotiated RTX, else as a plain copy.
///
/// Rate limit: a packet is resent to this subscriber at most once per `minimumResendInterval`
/// (default 10 ms). Why: a receiver repeats a NACK until the repair arrives, so NACKs sent within
/// one round trip ask again for a packet already on its way; answering each would multiply the
/// repair traffic exactly when the path is congested. The owner should set the interval to the
/// subscriber's RTT when it knows it (RR/DLSR, TWCC), keeping 10 ms as the floor. Remembered in a
/// 128-entry table indexed by publisher seq; a collision forgets the older entry (one extra resend
/// at worst).
///
/// Allocates once (the table); per NACK and per packet nothing. One per consumer stream, confined
/// to its worker thread.
public final class RetransmissionResponder {
    public enum Outcome: Sendable, Equatable {
        /// Bytes written; `transportCCOffset` is where the 2-byte transport-wide sequence number goes
        /// (0 when none was reserved).
        case written(count: Int, transportCCOffset: Int)
        /// Not in the buffer (never received or overwritten).
        case missing
        /// In the buffer but older than its `maxAge`.
        case tooOld
        /// Sent to this subscriber less than `minimumResendInterval` ago.
        case rateLimited
        /// The caller's buffer is too small; nothing was sent or remembered.
        case bufferTooSmall
    }

    public struct Counters: Sendable, Equatable {
        public var served = 0
        public var missing = 0
        public var tooOld = 0
        public var rateLimited = 0
        public var bufferTooSmall = 0
        public init() {}
    }

    public static let historySize = 128

    public var target: RetransmissionTarget
    public var minimumResendInterval: Duration {
        get { .nanoseconds(minimumResendNanoseconds) }
        set { minimumResendNanoseconds = newValue.clampedNanoseconds }
    }
    public private(set) var counters = Counters()
    /// The next RTX sequence number (meaningful with RTX).
    public private(set) var nextRTXSequenceNumber: UInt16

    private var minimumResendNanoseconds: Int64 = 10_000_000
    /// Per entry: publisher seq of the last resend, and its time (+1 so 0 means never).
    private let sentSequence: UnsafeMutableBufferPointer<UInt16>
    private let sentAt: UnsafeMutableBufferPointer<Int64>

    public init(target: RetransmissionTarget) {
        self.target = target
        nextRTXSequenceNumber = target.rtx?.initialSequenceNumber ?? 0
        sentSequence = .allocate(capacity: Self.historySize)
        sentSequence.initialize(repeating: 0)
        sentAt = .allocate(capacity: Self.historySize)
        sentAt.initialize(repeating: 0)
    }

    deinit {
        sentSequence.deallocate()
        sentAt.deallocate()
    }

    /// Capacity a buffer needs to hold any retransmission of packets up to `slotSize` bytes: the
    /// OSN, a rebuilt extension block that may grow (one-byte → two-byte form, +1 byte per
    /// element, padding to the word) and the reserved transport-wide element.
    public static func requiredBufferSize(slotSize: Int) -> Int { slotSize + 2 + RTPPacket.maxExtensions + 4 + 4 + 4 }

    /// Retransmits the packet the subscriber numbers `sequenceNumber` into `buffer`.
    public func retransmit(_ sequenceNumber: UInt16, from packets: PacketBuffer, now: MonotonicTime,
                           into buffer: UnsafeMutableRawBufferPointer) -> Outcome {
        let t = target
        let publisherSeq = sequenceNumber &- t.sequenceOffset
        let bytes: UnsafeRawBufferPointer
        switch packets.lookup(publisherSeq, now: now) {
        case .found(let b): bytes = b
        case .missing:
            counters.missing += 1
            return .missing
        case .expired:
            counters.tooOld += 1
            return .tooOld
        }
        let h = Int(publisherSeq) & (Self.historySize - 1)
        if sentAt[h] != 0, sentSequence[h] == publisherSeq, now.nanoseconds &- (sentAt[h] &- 1) < minimumResendNanoseconds {
            counters.rateLimited += 1
            return .rateLimited
        }
        // Why a parse per retransmission: the ring keeps bytes only; NACKed packets are few.
        guard let original = try? RTPPacket(parsing: bytes) else {
            counters.missing += 1
            return .missing
        }
        let result: RTPCopyResult
        do throws(BufferTooSmall) {
            if let rtx = t.rtx {
                let header = RTPHeader(marker: original.marker, payloadType: rtx.payloadType, sequenceNumber: nextRTXSequenceNumber,
                                       timestamp: original.timestamp &+ t.timestampOffset, ssrc: rtx.ssrc)
                result = try RTX.wrap(original, header: header, originalSequenceNumber: sequenceNumber, extensionIDs: t.extensionIDs,
                                      reservingExtension: t.transportCCID, length: t.transportCCID == 0 ? 0 : 2, into: buffer)
                nextRTXSequenceNumber &+= 1
            } else {
                let header = RTPHeader(marker: original.marker, payloadType: t.payloadType, sequenceNumber: sequenceNumber,
                                       timestamp: original.timestamp &+ t.timestampOffset, ssrc: t.ssrc)
                result = try original.copy(into: buffer, header: header, extensionIDs: t.extensionIDs,
                                           reservingExtension: t.transportCCID, length: t.transportCCID == 0 ? 0 : 2)
            }
        } catch {
            counters.bufferTooSmall += 1
            return .bufferTooSmall
        }
        sentSequence[h] = publisherSeq
        sentAt[h] = now.nanoseconds &+ 1
        counters.served += 1
        return .written(count: result.count, transportCCOffset: result.reservedValueOffset)
    }

    /// Answers every number `nack` marks lost (PID, then BLP bits), writing the retransmissions into
    /// consecutive slots of `slotSize` bytes in `output` and their lengths into `lengths` (and the
    /// transport-wide offsets into `transportCCOffsets` when given). Returns how many were written;
    /// stops when the slots run out. The caller checks `nack.mediaSSRC` is this subscriber stream's.
    public func respond(to nack: GenericNACK, from packets: PacketBuffer, now: MonotonicTime,
                        into output: UnsafeMutableRawBufferPointer, slotSize: Int, lengths: UnsafeMutableBufferPointer<Int>,
                        transportCCOffsets: UnsafeMutableBufferPointer<Int>? = nil) -> Int {
        precondition(slotSize > 0, "slotSize must be positive")
        let slotCount = min(output.count / slotSize, lengths.count, transportCCOffsets?.count ?? Int.max)
        var written = 0
        for seq in nack.lostSequenceNumbers {
            guard written < slotCount else { break }
            let slot = UnsafeMutableRawBufferPointer(rebasing: output[written * slotSize ..< (written + 1) * slotSize])
            if case .written(let count, let offset) = retransmit(seq, from: packets, now: now, into: slot) {
                lengths[written] = count
                transportCCOffsets?[written] = offset
                written += 1
            }
        }
        return written
    }
}
