import PodiumWire

/// Configuration of one VP8 RTP stream (one simulcast layer).
public struct VP8PacketizerConfiguration: Sendable {
    public var ssrc: UInt32
    public var payloadType: UInt8 = 96
    /// Largest whole RTP packet written (header, extensions, descriptor, data). Browsers use ~1200
    /// so SRTP, UDP, IP and a TURN wrapping still fit a 1280-byte IPv6 MTU.
    public var maxPacketSize: Int = 1200
    public var initialSequenceNumber: UInt16 = 0
    /// 15-bit; the first frame carries this id.
    public var initialPictureID: UInt16 = 0
    /// The first TL0 frame carries this value + 1.
    public var initialTL0PicIndex: UInt8 = 0
    /// Write TL0PICIDX and TID/Y (libwebrtc does when the encoder runs temporal layers).
    public var writesTemporalLayerFields: Bool = true
    public var extensionIDs: RTPHeaderExtensionIDs = .none
    public var mid: String?
    public var rid: String?

    public init(ssrc: UInt32, payloadType: UInt8 = 96, maxPacketSize: Int = 1200, initialSequenceNumber: UInt16 = 0,
                initialPictureID: UInt16 = 0, initialTL0PicIndex: UInt8 = 0, writesTemporalLayerFields: Bool = true,
                extensionIDs: RTPHeaderExtensionIDs = .none, mid: String? = nil, rid: String? = nil) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.maxPacketSize = maxPacketSize
        self.initialSequenceNumber = initialSequenceNumber
        self.initialPictureID = initialPictureID
        self.initialTL0PicIndex = initialTL0PicIndex
        self.writesTemporalLayerFields = writesTemporalLayerFields
        self.extensionIDs = extensionIDs
        self.mid = mid
        self.rid = rid
    }
}

/// One frame being packetized: which packet comes next and the descriptor values every packet of
/// the frame shares. Returned by `VP8Packetizer.startFrame`, advanced by `writeNextPacket`.
public struct VP8FrameCursor: Sendable {
    public let timestamp: UInt32
    public let pictureID: UInt16
    public let tl0PicIndex: UInt8
    public let temporalLayer: UInt8
    public let layerSync: Bool
    public let frameSize: Int
    /// Packets this frame takes.
    public let packetCount: Int
    /// Index of the next packet to write (0 ..< packetCount).
    public private(set) var packetIndex: Int = 0
    /// Frame bytes already written.
    public private(set) var offset: Int = 0
    public var isFinished: Bool { packetIndex >= packetCount }

    init(timestamp: UInt32, pictureID: UInt16, tl0PicIndex: UInt8, temporalLayer: UInt8, layerSync: Bool, frameSize: Int, packetCount: Int) {
        self.timestamp = timestamp
        self.pictureID = pictureID
        self.tl0PicIndex = tl0PicIndex
        self.temporalLayer = temporalLayer
        self.layerSync = layerSync
        self.frameSize = frameSize
        self.packetCount = packetCount
    }

    /// Bytes of frame data packet `index` carries: the frame split into `packetCount` nearly equal
    /// parts (the first `frameSize % packetCount` one byte longer).
    @inlinable func dataCount(ofPacket index: Int) -> Int {
        frameSize / packetCount + (index < frameSize % packetCount ? 1 : 0)
    }

    mutating func advance(by count: Int) {
        offset += count
        packetIndex += 1
    }
}

/// VP8 RTP packetizer (RFC 7741 §4): splits one encoded frame into RTP packets no larger than
/// `maxPacketSize`.
///
///     | RTP header | extensions | X=1 S PID=0 | I L T | M picture id (15) | TL0PICIDX | TID Y | frame bytes… |
///
/// - Every packet carries the extended descriptor with a 15-bit picture id (incremented per frame,
///   wrapping at 0x7FFF), and, when `writesTemporalLayerFields`, TL0PICIDX (incremented on each
///   TID 0 frame, which carries the new value) and TID/Y from the frame.
/// - S=1 on the first packet (the frame is one partition: PID 0), marker on the last; all packets
///   share the RTP timestamp; sequence numbers continue across frames.
/// - The frame is split into equal parts (as libwebrtc does), so no packet is a tiny tail, and a
///   frame's packets are equal-sized datagrams, the shape UDP GSO can send in one call.
///
/// Caller-buffer use allocates nothing per packet:
///
///     var cursor = try packetizer.startFrame(size: frame.count, timestamp: ts, temporalLayer: 0, layerSync: false)
///     while !cursor.isFinished { let n = try packetizer.writeNextPacket(&cursor, frame: frame, now: t, into: buffer); send(buffer[..<n]) }
///
/// Not thread-safe: one thread drives a packetizer.
public final class VP8Packetizer {
    public let configuration: VP8PacketizerConfiguration
    public private(set) var nextSequenceNumber: UInt16
    /// The picture id the next frame gets.
    public private(set) var nextPictureID: UInt16
    /// The TL0PICIDX of the last TID 0 frame.
    public private(set) var tl0PicIndex: UInt8
    private let extensions: RTPHeaderExtensionWriter
    /// Bytes of frame data one packet carries at most.
    public let maxDataPerPacket: Int
    private let descriptorSize: Int
    private let ownedBuffer: UnsafeMutableRawBufferPointer

    /// Smallest room for frame data per packet: with equal split, every packet then holds at least 10
    /// bytes, so the first packet carries the whole VP8 key frame header (RFC 7741 §4.3).
    public static let minimumDataPerPacket = 20

    /// - Parameter transportSequence: the transport's shared counter, needed when the transport-wide
    ///   sequence extension is configured.
    public init(_ configuration: VP8PacketizerConfiguration, transportSequence: TransportSequenceNumberCounter? = nil) throws(RTPPacketizerError) {
        self.configuration = configuration
        extensions = try RTPHeaderExtensionWriter(ids: configuration.extensionIDs, mid: configuration.mid, rid: configuration.rid,
                                                  repair: false, audioLevel: false, counter: transportSequence)
        guard configuration.payloadType < 128 else { throw .invalidConfiguration("payload type \(configuration.payloadType) is not 0…127") }
        descriptorSize = configuration.writesTemporalLayerFields ? 6 : 4
        maxDataPerPacket = configuration.maxPacketSize - RTPPacket.fixedHeaderSize - extensions.blockSize - descriptorSize
        guard maxDataPerPacket >= Self.minimumDataPerPacket, configuration.maxPacketSize <= RTPPacket.maxSize else {
            throw .invalidConfiguration("maxPacketSize \(configuration.maxPacketSize) leaves \(maxDataPerPacket) bytes for VP8 data; need at least \(Self.minimumDataPerPacket) (and at most 65535 in all)")
        }
        nextSequenceNumber = configuration.initialSequenceNumber
        nextPictureID = configuration.initialPictureID & 0x7FFF
        tl0PicIndex = configuration.initialTL0PicIndex
        ownedBuffer = .allocate(byteCount: configuration.maxPacketSize, alignment: 16)
    }

    deinit { ownedBuffer.deallocate() }

    /// Packets a frame of `size` bytes takes.
    public func packetCount(forFrameSize size: Int) -> Int { max(1, (size + maxDataPerPacket - 1) / maxDataPerPacket) }

    /// Starts a frame: assigns its picture id and TL0PICIDX. Then call `writeNextPacket` until the
    /// cursor is finished, passing the same frame bytes each time.
    public func startFrame(size: Int, timestamp: UInt32, temporalLayer: UInt8 = 0, layerSync: Bool = false) throws(RTPPacketizerError) -> VP8FrameCursor {
        guard size > 0 else { throw .emptyFrame }
        let pictureID = nextPictureID
        nextPictureID = (nextPictureID &+ 1) & 0x7FFF
        if temporalLayer == 0 { tl0PicIndex &+= 1 }
        return VP8FrameCursor(timestamp: timestamp, pictureID: pictureID, tl0PicIndex: tl0PicIndex, temporalLayer: temporalLayer & 0x03,
                              layerSync: layerSync, frameSize: size, packetCount: packetCount(forFrameSize: size))
    }

    /// Writes the cursor's next packet into `buffer` and returns its length.
    ///
    /// - Parameters:
    ///   - frame: the whole frame (the same bytes for every packet of the frame).
    ///   - now: the sender's clock in nanoseconds, for abs-send-time.
    public func writeNextPacket(_ cursor: inout VP8FrameCursor, frame: UnsafeRawBufferPointer, now: UInt64,
                                into buffer: UnsafeMutableRawBufferPointer) throws(RTPPacketizerError) -> Int {
        guard !cursor.isFinished else { throw .frameFinished }
        precondition(frame.count == cursor.frameSize, "frame bytes differ from the size the cursor was started with")
        let index = cursor.packetIndex
        let count = cursor.dataCount(ofPacket: index)
        let total = RTPPacket.fixedHeaderSize + extensions.blockSize + descriptorSize + count
        guard total <= buffer.count else { throw .bufferTooSmall(needed: total, available: buffer.count) }

        let last = index == cursor.packetCount - 1
        let header = RTPHeader(marker: last, payloadType: configuration.payloadType, sequenceNumber: nextSequenceNumber,
                               timestamp: cursor.timestamp, ssrc: configuration.ssrc)
        let list = extensions.makeList(absSendTime: now, audioLevel: nil)
        let headerSize: Int
        do {
            headerSize = try RTPPacket.write(header: header, extensions: list, payload: UnsafeRawBufferPointer(start: nil, count: 0), into: buffer)
        } catch {
            throw .bufferTooSmall(needed: error.needed, available: error.available)
        }
        // Descriptor (RFC 7741 §4.2), written directly: 6 fixed bytes, no optional-field logic per packet.
        var o = headerSize
        buffer[o] = 0x80 | (index == 0 ? 0x10 : 0)  // X, S on the first packet, PID 0
        buffer[o + 1] = configuration.writesTemporalLayerFields ? 0xE0 : 0x80  // I, L, T
        buffer.storeBigEndian(0x8000 | cursor.pictureID, at: o + 2)  // M=1: 15-bit picture id
        o += 4
        if configuration.writesTemporalLayerFields {
            buffer[o] = cursor.tl0PicIndex
            buffer[o + 1] = cursor.temporalLayer << 6 | (cursor.layerSync ? 0x20 : 0)
            o += 2
        }
        (buffer.baseAddress! + o).copyMemory(from: frame.baseAddress! + cursor.offset, byteCount: count)
        cursor.advance(by: count)
        nextSequenceNumber &+= 1
        return o + count
    }

    /// Packetizes a whole frame into the packetizer's own buffer and hands each packet to `sink`.
    /// Returns the number of packets sent.
    @discardableResult
    public func packetize(_ frame: UnsafeRawBufferPointer, timestamp: UInt32, temporalLayer: UInt8 = 0, layerSync: Bool = false,
                          now: UInt64, to sink: some RTPPacketSink) throws(RTPPacketizerError) -> Int {
        var cursor = try startFrame(size: frame.count, timestamp: timestamp, temporalLayer: temporalLayer, layerSync: layerSync)
        while !cursor.isFinished {
            let n = try writeNextPacket(&cursor, frame: frame, now: now, into: ownedBuffer)
            sink.send(rtp: UnsafeRawBufferPointer(rebasing: ownedBuffer[0 ..< n]))
        }
        return cursor.packetCount
    }

    /// Packetizes an encoder's frame (its timestamp, TID and Y bit) to `sink`.
    @discardableResult
    public func packetize(_ frame: EncodedVideoFrame, now: UInt64, to sink: some RTPPacketSink) throws(RTPPacketizerError) -> Int {
        var result: Result<Int, RTPPacketizerError> = .success(0)
        frame.data.withUnsafeBytes { bytes in
            do throws(RTPPacketizerError) {
                result = .success(try packetize(bytes, timestamp: frame.rtpTimestamp, temporalLayer: frame.temporalLayer,
                                                layerSync: frame.layerSync, now: now, to: sink))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }
}
