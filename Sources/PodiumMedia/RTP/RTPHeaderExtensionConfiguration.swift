import PodiumWire

/// Which RFC 8285 ids a sender uses for the header extensions it writes (`nil` = not negotiated,
/// not written). Ids 1…14 keep every element in the one-byte form (RFC 8285 §4.2).
public struct RTPHeaderExtensionIDs: Sendable, Equatable {
    /// `urn:ietf:params:rtp-hdrext:sdes:mid` (RFC 9143).
    public var mid: UInt8?
    /// `urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id` (RFC 8852).
    public var rid: UInt8?
    /// `urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id` (RFC 8852), on RTX packets.
    public var repairedRID: UInt8?
    /// `http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time`.
    public var absSendTime: UInt8?
    /// `…draft-holmer-rmcat-transport-wide-cc-extensions-01`.
    public var transportWideSequence: UInt8?
    /// `urn:ietf:params:rtp-hdrext:ssrc-audio-level` (RFC 6464), audio only.
    public var audioLevel: UInt8?

    public init(mid: UInt8? = nil, rid: UInt8? = nil, repairedRID: UInt8? = nil, absSendTime: UInt8? = nil,
                transportWideSequence: UInt8? = nil, audioLevel: UInt8? = nil) {
        self.mid = mid
        self.rid = rid
        self.repairedRID = repairedRID
        self.absSendTime = absSendTime
        self.transportWideSequence = transportWideSequence
        self.audioLevel = audioLevel
    }

    /// No header extensions.
    public static let none = RTPHeaderExtensionIDs()

    /// The ids Chromium offers (see `../shared/fixtures/sdp/chromium-156-publisher-simulcast.sdp`):
    /// audio level 1, abs-send-time 2, transport-wide cc 3, mid 4, rid 10, repaired-rid 11.
    public static let chromium = RTPHeaderExtensionIDs(mid: 4, rid: 10, repairedRID: 11, absSendTime: 2,
                                                       transportWideSequence: 3, audioLevel: 1)

    /// The ids that are set, for validation.
    var all: [UInt8] { [mid, rid, repairedRID, absSendTime, transportWideSequence, audioLevel].compactMap { $0 } }
}

/// The transport-wide sequence number counter (transport-wide-cc-01): one per transport (5-tuple),
/// shared by every stream sent on it, so the receiver's feedback covers all of them in one order.
///
/// Not thread-safe: confined to the thread that sends on the transport.
public final class TransportSequenceNumberCounter {
    public private(set) var next: UInt16
    public init(start: UInt16 = 1) { next = start }
    /// Returns the next number and advances (wrapping at 65535).
    @inline(__always) public func take() -> UInt16 {
        defer { next &+= 1 }
        return next
    }
}

/// Errors from configuring or running a packetizer.
public enum RTPPacketizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration value cannot work (says which and why).
    case invalidConfiguration(String)
    /// A frame with no bytes.
    case emptyFrame
    /// An Opus packet that breaks RFC 6716 §3.4, or longer than one RTP packet can carry.
    case invalidFrame(String)
    /// The caller's buffer is smaller than the packet.
    case bufferTooSmall(needed: Int, available: Int)
    /// `writeNextPacket` was called on a cursor whose frame is finished.
    case frameFinished

    public var description: String {
        switch self {
        case .invalidConfiguration(let why): "invalid packetizer configuration: \(why)"
        case .emptyFrame: "empty frame: nothing to packetize"
        case .invalidFrame(let why): "invalid frame: \(why)"
        case .bufferTooSmall(let needed, let available): "packet buffer too small: need \(needed) bytes, have \(available)"
        case .frameFinished: "every packet of this frame is already written"
        }
    }
}

/// Writes the header extensions a browser puts on every packet of one stream: fixed values (mid,
/// rid or repaired-rid) kept in an owned scratch buffer, per-packet values (abs-send-time,
/// transport-wide seq, audio level) written into the same scratch just before each packet.
///
/// Why a scratch buffer: `RTPExtensionList` borrows its values, so they need storage that outlives
/// the list; allocating it once keeps the per-packet path allocation-free.
final class RTPHeaderExtensionWriter {
    private let ids: RTPHeaderExtensionIDs
    private let scratch: UnsafeMutableRawBufferPointer
    private let midCount: Int
    private let ridCount: Int
    /// rid written under the repaired-rid id (RTX streams).
    private let ridIsRepair: Bool
    let counter: TransportSequenceNumberCounter?
    private let withAudioLevel: Bool
    /// Size of the extension block every packet carries (constant for the stream).
    private(set) var blockSize: Int

    private static let midAt = 0, ridAt = 16, absAt = 32, twccAt = 36, levelAt = 40, scratchSize = 48

    /// - Parameters:
    ///   - repair: this is an RTX stream: `rid` goes out under `repairedRID`.
    init(ids: RTPHeaderExtensionIDs, mid: String?, rid: String?, repair: Bool, audioLevel: Bool,
         counter: TransportSequenceNumberCounter?) throws(RTPPacketizerError) {
        for id in ids.all where id == 0 || id == 15 {
            throw .invalidConfiguration("header extension id \(id): ids are 1…14 (0 is padding, 15 is reserved)")
        }
        if Set(ids.all).count != ids.all.count { throw .invalidConfiguration("header extension ids must differ: \(ids)") }
        var midToken: RTPExtensionToken?
        if let mid, ids.mid != nil {
            guard let t = RTPExtensionToken(mid, syntax: .token) else { throw .invalidConfiguration("mid \"\(mid)\" is not a 1…16 character token") }
            midToken = t
        }
        var ridToken: RTPExtensionToken?
        if let rid, (repair ? ids.repairedRID : ids.rid) != nil {
            guard let t = RTPExtensionToken(rid, syntax: .ridID) else { throw .invalidConfiguration("rid \"\(rid)\" is not 1…16 of A-Z a-z 0-9 - _") }
            ridToken = t
        }
        if ids.transportWideSequence != nil && counter == nil {
            throw .invalidConfiguration("transport-wide sequence numbers need a TransportSequenceNumberCounter")
        }
        self.ids = ids
        self.ridIsRepair = repair
        self.counter = ids.transportWideSequence != nil ? counter : nil
        self.withAudioLevel = audioLevel && ids.audioLevel != nil
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.scratchSize, alignment: 8)
        scratch.initializeMemory(as: UInt8.self, repeating: 0)
        self.scratch = scratch
        midCount = midToken.map { (try? $0.write(into: UnsafeMutableRawBufferPointer(rebasing: scratch[Self.midAt ..< Self.midAt + 16]))) ?? 0 } ?? 0
        ridCount = ridToken.map { (try? $0.write(into: UnsafeMutableRawBufferPointer(rebasing: scratch[Self.ridAt ..< Self.ridAt + 16]))) ?? 0 } ?? 0
        blockSize = 0
        blockSize = makeList(absSendTime: 0, audioLevel: AudioLevelExtension(voiceActivity: false, level: 127), consumeSequence: false).blockSize
    }

    deinit { scratch.deallocate() }

    /// The elements for the next packet. Takes a transport-wide sequence number when
    /// `consumeSequence` (call once per packet actually sent).
    func makeList(absSendTime nanoseconds: UInt64, audioLevel: AudioLevelExtension?, consumeSequence: Bool = true) -> RTPExtensionList {
        var list = RTPExtensionList()
        let base = UnsafeRawBufferPointer(scratch)
        // Why `try?`: ids were validated in init and there are at most 6 elements, so append cannot fail.
        if let id = ids.mid, midCount > 0 {
            try? list.append(id: id, value: UnsafeRawBufferPointer(rebasing: base[Self.midAt ..< Self.midAt + midCount]))
        }
        if let id = ridIsRepair ? ids.repairedRID : ids.rid, ridCount > 0 {
            try? list.append(id: id, value: UnsafeRawBufferPointer(rebasing: base[Self.ridAt ..< Self.ridAt + ridCount]))
        }
        if let id = ids.absSendTime {
            scratch.storeBigEndianUInt24(AbsSendTimeExtension(nanoseconds: nanoseconds).rawValue, at: Self.absAt)
            try? list.append(id: id, value: UnsafeRawBufferPointer(rebasing: base[Self.absAt ..< Self.absAt + 3]))
        }
        if let id = ids.transportWideSequence, let counter {
            scratch.storeBigEndian(consumeSequence ? counter.take() : counter.next, at: Self.twccAt)
            try? list.append(id: id, value: UnsafeRawBufferPointer(rebasing: base[Self.twccAt ..< Self.twccAt + 2]))
        }
        if let id = ids.audioLevel, withAudioLevel {
            let level = audioLevel ?? AudioLevelExtension(voiceActivity: false, level: 127)
            scratch[Self.levelAt] = (level.voiceActivity ? 0x80 : 0) | level.level & 0x7F
            try? list.append(id: id, value: UnsafeRawBufferPointer(rebasing: base[Self.levelAt ..< Self.levelAt + 1]))
        }
        return list
    }
}
