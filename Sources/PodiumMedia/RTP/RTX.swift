import PodiumWire

/// The packets a sender keeps for retransmission: a ring of `capacity` fixed slots indexed by
/// `sequence & (capacity − 1)`. Packetizers write straight into `slot(for:)`, the sender sends
/// from the slot and `commit`s it, so keeping history costs no copy.
///
/// Memory: `capacity × slotSize`, allocated once. Not thread-safe.
public final class RTPPacketHistory {
    public let capacity: Int
    public let slotSize: Int
    private let storage: UnsafeMutableRawBufferPointer
    private let lengths: UnsafeMutablePointer<Int32>
    /// Sequence number held per slot (valid when length > 0).
    private let sequences: UnsafeMutablePointer<UInt16>

    public init(capacity: Int = 512, slotSize: Int = 1200) {
        precondition(capacity >= 1 && capacity & (capacity - 1) == 0 && capacity <= 65536, "capacity must be a power of two, 1…65536")
        precondition(slotSize >= RTPPacket.fixedHeaderSize, "slotSize below an RTP header")
        self.capacity = capacity
        self.slotSize = slotSize
        storage = .allocate(byteCount: capacity * slotSize, alignment: 16)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
        sequences = .allocate(capacity: capacity)
        sequences.initialize(repeating: 0, count: capacity)
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
        sequences.deallocate()
    }

    @inline(__always) private func index(_ sequenceNumber: UInt16) -> Int { Int(sequenceNumber) & (capacity - 1) }

    /// The slot the packet with `sequenceNumber` goes into (forgets what it held).
    public func slot(for sequenceNumber: UInt16) -> UnsafeMutableRawBufferPointer {
        let i = index(sequenceNumber)
        lengths[i] = 0
        return UnsafeMutableRawBufferPointer(rebasing: storage[i * slotSize ..< (i + 1) * slotSize])
    }

    /// Marks the slot of `sequenceNumber` as holding a packet of `length` bytes.
    public func commit(_ sequenceNumber: UInt16, length: Int) {
        precondition(length > 0 && length <= slotSize, "packet length outside the slot")
        let i = index(sequenceNumber)
        lengths[i] = Int32(length)
        sequences[i] = sequenceNumber
    }

    /// The stored packet with `sequenceNumber`, or nil when it was never stored or was overwritten.
    public func packet(_ sequenceNumber: UInt16) -> UnsafeRawBufferPointer? {
        let i = index(sequenceNumber)
        guard lengths[i] > 0, sequences[i] == sequenceNumber else { return nil }
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[i * slotSize ..< i * slotSize + Int(lengths[i])])
    }
}

/// Configuration of an RTX stream (RFC 4588) repairing one media stream.
public struct RTXConfiguration: Sendable {
    public var ssrc: UInt32
    public var payloadType: UInt8 = 97
    public var initialSequenceNumber: UInt16 = 0
    public var extensionIDs: RTPHeaderExtensionIDs = .none
    public var mid: String?
    /// The rid of the repaired stream, sent as repaired-rid (RFC 8852 §3.2).
    public var repairedRID: String?

    public init(ssrc: UInt32, payloadType: UInt8 = 97, initialSequenceNumber: UInt16 = 0, extensionIDs: RTPHeaderExtensionIDs = .none,
                mid: String? = nil, repairedRID: String? = nil) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.initialSequenceNumber = initialSequenceNumber
        self.extensionIDs = extensionIDs
        self.mid = mid
        self.repairedRID = repairedRID
    }
}

/// Writes RTX packets (RFC 4588 §4): the original packet's payload behind a 2-byte original
/// sequence number (OSN), on the RTX stream's own SSRC, payload type and sequence numbers, with
/// the original timestamp and marker. Header extensions are the RTX stream's own (mid,
/// repaired-rid, fresh abs-send-time and transport-wide seq), not copies of the original's.
///
///     | RTP header (RTX ssrc, pt, seq; original ts, M) | extensions | OSN (16) | original payload |
public final class RTXPacketizer {
    public let configuration: RTXConfiguration
    public private(set) var nextSequenceNumber: UInt16
    private let extensions: RTPHeaderExtensionWriter

    public init(_ configuration: RTXConfiguration, transportSequence: TransportSequenceNumberCounter? = nil) throws(RTPPacketizerError) {
        self.configuration = configuration
        guard configuration.payloadType < 128 else { throw .invalidConfiguration("payload type \(configuration.payloadType) is not 0…127") }
        extensions = try RTPHeaderExtensionWriter(ids: configuration.extensionIDs, mid: configuration.mid, rid: configuration.repairedRID,
                                                  repair: true, audioLevel: false, counter: transportSequence)
        nextSequenceNumber = configuration.initialSequenceNumber
    }

    /// Bytes the RTX packet for `original` takes.
    public func encodedSize(of original: RTPPacket) -> Int {
        RTPPacket.fixedHeaderSize + original.csrcCount * 4 + extensions.blockSize + RTX.originalSequenceNumberSize + original.payloadCount
    }

    /// Writes the RTX packet for `original` into `buffer`; returns its length. The framing is
    /// PodiumWire's `RTX.wrap(_:header:extensions:into:)`.
    public func write(original: RTPPacket, now: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(RTPPacketizerError) -> Int {
        // Why check first: making the extension list takes a transport-wide sequence number.
        let total = encodedSize(of: original)
        guard total <= buffer.count else { throw .bufferTooSmall(needed: total, available: buffer.count) }
        let header = RTPHeader(marker: original.marker, payloadType: configuration.payloadType, sequenceNumber: nextSequenceNumber,
                               timestamp: original.timestamp, ssrc: configuration.ssrc)
        let n: Int
        do {
            n = try RTX.wrap(original, header: header, extensions: extensions.makeList(absSendTime: now, audioLevel: nil), into: buffer)
        } catch {
            throw .bufferTooSmall(needed: error.needed, available: error.available)
        }
        nextSequenceNumber &+= 1
        return n
    }
}

/// Reading RTX packets (RFC 4588 §4); PodiumWire's `RTX` has the full unwrap (into a buffer or in
/// place).
public enum RTXPayload {
    /// The original sequence number and payload carried by an RTX packet's payload.
    public static func unwrap(_ rtx: RTPPacket) throws(ParseError) -> (originalSequenceNumber: UInt16, payload: UnsafeRawBufferPointer) {
        (try RTX.originalSequenceNumber(of: rtx), try RTX.originalPayload(of: rtx))
    }
}
