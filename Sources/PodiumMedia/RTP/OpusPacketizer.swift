import PodiumWire

/// Configuration of one Opus RTP stream.
public struct OpusPacketizerConfiguration: Sendable {
    public var ssrc: UInt32
    public var payloadType: UInt8 = 111
    public var initialSequenceNumber: UInt16 = 0
    /// Added to every frame's timestamp (RFC 3550 §5.1 wants a random start).
    public var timestampOffset: UInt32 = 0
    public var maxPacketSize: Int = 1200
    /// Send DTX packets (TOC only, RFC 7587 §3.3) instead of skipping them. libwebrtc suppresses
    /// most of them; the timestamp still advances, so the receiver sees the silence as a jump.
    public var sendsDTXPackets: Bool = false
    public var extensionIDs: RTPHeaderExtensionIDs = .none
    public var mid: String?

    public init(ssrc: UInt32, payloadType: UInt8 = 111, initialSequenceNumber: UInt16 = 0, timestampOffset: UInt32 = 0,
                maxPacketSize: Int = 1200, sendsDTXPackets: Bool = false, extensionIDs: RTPHeaderExtensionIDs = .none, mid: String? = nil) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.initialSequenceNumber = initialSequenceNumber
        self.timestampOffset = timestampOffset
        self.maxPacketSize = maxPacketSize
        self.sendsDTXPackets = sendsDTXPackets
        self.extensionIDs = extensionIDs
        self.mid = mid
    }
}

/// Opus RTP packetizer (RFC 7587 §4): one Opus packet per RTP packet, no payload header, 48 kHz
/// timestamps whatever the coded bandwidth. The marker is set on the first packet of a talkspurt
/// (RFC 7587 §4.1, RFC 3551 §4.1): the stream's first packet and the first after DTX silence.
/// The audio level extension (RFC 6464) carries the frame's level and voice activity.
///
/// Not thread-safe; allocates only in `init`.
public final class OpusPacketizer {
    public let configuration: OpusPacketizerConfiguration
    public private(set) var nextSequenceNumber: UInt16
    private var inSilence = true
    private let extensions: RTPHeaderExtensionWriter
    private let ownedBuffer: UnsafeMutableRawBufferPointer

    public init(_ configuration: OpusPacketizerConfiguration, transportSequence: TransportSequenceNumberCounter? = nil) throws(RTPPacketizerError) {
        self.configuration = configuration
        guard configuration.payloadType < 128 else { throw .invalidConfiguration("payload type \(configuration.payloadType) is not 0…127") }
        extensions = try RTPHeaderExtensionWriter(ids: configuration.extensionIDs, mid: configuration.mid, rid: nil, repair: false,
                                                  audioLevel: true, counter: transportSequence)
        guard configuration.maxPacketSize >= RTPPacket.fixedHeaderSize + extensions.blockSize + 1, configuration.maxPacketSize <= RTPPacket.maxSize else {
            throw .invalidConfiguration("maxPacketSize \(configuration.maxPacketSize) cannot hold a header and one byte of Opus")
        }
        nextSequenceNumber = configuration.initialSequenceNumber
        ownedBuffer = .allocate(byteCount: configuration.maxPacketSize, alignment: 16)
    }

    deinit { ownedBuffer.deallocate() }

    /// Writes one Opus packet as an RTP packet into `buffer`; returns its length, or nil when the
    /// packet is DTX and `sendsDTXPackets` is off (nothing written, no sequence number used).
    ///
    /// - Parameters:
    ///   - timestamp: the frame's 48 kHz timestamp (before `timestampOffset`).
    ///   - now: the sender's clock in nanoseconds, for abs-send-time.
    public func write(_ opus: UnsafeRawBufferPointer, timestamp: UInt32, audioLevel: AudioLevelExtension, now: UInt64,
                      into buffer: UnsafeMutableRawBufferPointer) throws(RTPPacketizerError) -> Int? {
        let descriptor: OpusPayloadDescriptor
        do { descriptor = try OpusPayloadDescriptor(parsing: opus) } catch { throw .invalidFrame("Opus packet: \(error)") }
        if descriptor.isDTX {
            inSilence = true
            if !configuration.sendsDTXPackets { return nil }
        }
        let total = RTPPacket.fixedHeaderSize + extensions.blockSize + opus.count
        guard total <= configuration.maxPacketSize else { throw .invalidFrame("Opus packet of \(opus.count) bytes exceeds maxPacketSize") }
        guard total <= buffer.count else { throw .bufferTooSmall(needed: total, available: buffer.count) }
        let marker = inSilence && !descriptor.isDTX
        if !descriptor.isDTX { inSilence = false }
        let header = RTPHeader(marker: marker, payloadType: configuration.payloadType, sequenceNumber: nextSequenceNumber,
                               timestamp: timestamp &+ configuration.timestampOffset, ssrc: configuration.ssrc)
        let n: Int
        do {
            n = try RTPPacket.write(header: header, extensions: extensions.makeList(absSendTime: now, audioLevel: audioLevel),
                                    payload: opus, into: buffer)
        } catch {
            throw .bufferTooSmall(needed: error.needed, available: error.available)
        }
        nextSequenceNumber &+= 1
        return n
    }

    /// Packetizes an encoder frame (its timestamp and audio level) to `sink`. Returns whether a
    /// packet was sent (false for a suppressed DTX packet).
    @discardableResult
    public func packetize(_ frame: EncodedAudioFrame, now: UInt64, to sink: some RTPPacketSink) throws(RTPPacketizerError) -> Bool {
        var result: Result<Int?, RTPPacketizerError> = .success(nil)
        let level = AudioLevelExtension(voiceActivity: frame.voiceActivity, level: frame.audioLevel)
        frame.data.withUnsafeBytes { bytes in
            do throws(RTPPacketizerError) {
                result = .success(try write(bytes, timestamp: frame.rtpTimestamp, audioLevel: level, now: now, into: ownedBuffer))
            } catch {
                result = .failure(error)
            }
        }
        guard let n = try result.get() else { return false }
        sink.send(rtp: UnsafeRawBufferPointer(rebasing: ownedBuffer[0 ..< n]))
        return true
    }
}

/// One Opus packet out of the depacketizer. `payload` points into the bytes given to
/// `depacketize` and is valid as long as they are.
public struct DepacketizedOpusPacket {
    public let payload: UnsafeRawBufferPointer
    public let sequenceNumber: UInt16
    public let timestamp: UInt32
    /// Start of a talkspurt.
    public let marker: Bool
    /// Packets missing right before this one (run loss concealment or FEC for them); at most
    /// `OpusDepacketizer.maxReportedLoss`.
    public let lostBefore: Int
    /// Samples per channel at 48 kHz (from the TOC).
    public let durationSamples: Int
    public let isDTX: Bool
    /// RFC 6464 level, when the extension id is configured and present.
    public let audioLevel: AudioLevelExtension?
}

/// Opus RTP depacketizer (RFC 7587) for one stream: validates the RTP packet and the Opus packet
/// (RFC 6716 §3.4 rules R1–R7, via `OpusPayloadDescriptor`) and reports loss by sequence number.
///
/// Why no reordering: an Opus packet stands alone, so a reordered packet is simply late; it is
/// reported as `nil` (counted in `latePackets`) and the caller has already concealed it. A jitter
/// buffer, where wanted, sits above this.
public final class OpusDepacketizer {
    public let payloadType: UInt8?
    public let audioLevelID: UInt8?
    public private(set) var ssrc: UInt32?
    public private(set) var packetsReceived = 0
    public private(set) var packetsLost = 0
    public private(set) var latePackets = 0
    public private(set) var rejectedPackets = 0
    private var unwrapper = SequenceNumberUnwrapper()
    private var highest: Int64?
    private var pendingLoss = 0

    /// Largest loss reported at once; a bigger jump is a restart, not a loss to conceal.
    public static let maxReportedLoss = 1000

    public init(ssrc: UInt32? = nil, payloadType: UInt8? = nil, audioLevelID: UInt8? = nil) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.audioLevelID = audioLevelID
    }

    /// The Opus packet in `bytes`, or nil when it is a duplicate, late or padding-only.
    public func depacketize(_ bytes: UnsafeRawBufferPointer) throws(DepacketizerError) -> DepacketizedOpusPacket? {
        let packet: RTPPacket
        do { packet = try RTPPacket(parsing: bytes) } catch { rejectedPackets += 1; throw .rtp(error) }
        if let payloadType, packet.payloadType != payloadType { rejectedPackets += 1; throw .unexpectedPayloadType(packet.payloadType) }
        if let ssrc, packet.ssrc != ssrc { rejectedPackets += 1; throw .unexpectedSSRC(packet.ssrc) }
        let descriptor: OpusPayloadDescriptor?
        if packet.payloadCount == 0 {
            descriptor = nil
        } else {
            do { descriptor = try OpusPayloadDescriptor(parsing: packet.payload) } catch { rejectedPackets += 1; throw .payload(error) }
        }
        ssrc = packet.ssrc
        let s = unwrapper.unwrap(packet.sequenceNumber)
        if let h = highest {
            if s <= h { latePackets += 1; return nil }
            pendingLoss = min(pendingLoss + Int(min(s - h - 1, Int64(Self.maxReportedLoss))), Self.maxReportedLoss)
        }
        highest = s
        // Why carry the loss: a padding-only packet has no audio to report it with.
        guard let descriptor else { return nil }
        let lost = pendingLoss
        pendingLoss = 0
        packetsLost += lost
        packetsReceived += 1
        var level: AudioLevelExtension?
        if let id = audioLevelID, let value = packet.extension(id: id) { level = try? AudioLevelExtension(parsing: value) }
        return DepacketizedOpusPacket(payload: packet.payload, sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp,
                                      marker: packet.marker, lostBefore: lost, durationSamples: descriptor.durationSamples,
                                      isDTX: descriptor.isDTX, audioLevel: level)
    }
}
