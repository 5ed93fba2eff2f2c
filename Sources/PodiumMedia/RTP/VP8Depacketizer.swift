import PodiumWire

/// Why a packet given to a depacketizer was rejected.
public enum DepacketizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a valid RTP packet.
    case rtp(ParseError)
    /// The payload descriptor (VP8) or Opus packet (RFC 6716 §3.4) is malformed.
    case payload(ParseError)
    /// A payload type other than the configured one.
    case unexpectedPayloadType(UInt8)
    /// An SSRC other than the stream's.
    case unexpectedSSRC(UInt32)
    /// The codec payload is longer than the assembler's `maxPacketPayload`.
    case payloadTooLarge(Int)

    public var description: String {
        switch self {
        case .rtp(let e): "invalid RTP packet: \(e)"
        case .payload(let e): "invalid payload: \(e)"
        case .unexpectedPayloadType(let pt): "unexpected payload type \(pt)"
        case .unexpectedSSRC(let ssrc): "unexpected SSRC \(ssrc)"
        case .payloadTooLarge(let n): "payload of \(n) bytes exceeds the per-packet limit"
        }
    }
}

/// VP8 RTP depacketizer (RFC 7741 §4) for one stream (one SSRC): parses each packet with PodiumWire
/// (`RTPPacket`, `VP8PayloadDescriptor`), strips the descriptor and hands the VP8 bytes to a
/// `FrameAssembler`. A frame starts at S=1 with PID=0; it is a keyframe when the P bit of the VP8
/// payload header (RFC 7741 §4.3) in that packet is 0.
///
///     let result = try depacketizer.insert(packetBytes)
///     while let event = depacketizer.poll() { … .frame / .gap / .discarded … }
///
/// Not thread-safe; allocates only in `init`.
public final class VP8Depacketizer {
    public let assembler: FrameAssembler
    /// Accept only this payload type (nil: any).
    public let payloadType: UInt8?
    /// The stream's SSRC: fixed here, or taken from the first valid packet when nil.
    public private(set) var ssrc: UInt32?
    public private(set) var rejectedPackets = 0

    public init(ssrc: UInt32? = nil, payloadType: UInt8? = nil, limits: FrameAssemblerLimits = .init()) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        assembler = FrameAssembler(limits: limits)
    }

    /// Parses one RTP packet and stores its VP8 data. Malformed packets throw and change nothing.
    @discardableResult
    public func insert(_ bytes: UnsafeRawBufferPointer) throws(DepacketizerError) -> FrameAssemblerInsertResult {
        let packet: RTPPacket
        do { packet = try RTPPacket(parsing: bytes) } catch { rejectedPackets += 1; throw .rtp(error) }
        if let payloadType, packet.payloadType != payloadType { rejectedPackets += 1; throw .unexpectedPayloadType(packet.payloadType) }
        if let ssrc, packet.ssrc != ssrc { rejectedPackets += 1; throw .unexpectedSSRC(packet.ssrc) }
        if packet.payloadCount == 0 {
            // Why: padding-only packets (bandwidth probes) take a sequence number but carry no VP8.
            ssrc = packet.ssrc
            return assembler.insertPadding(sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp)
        }
        let payload = packet.payload
        let descriptor: VP8PayloadDescriptor
        do { descriptor = try VP8PayloadDescriptor(parsing: payload) } catch { rejectedPackets += 1; throw .payload(error) }
        let data = UnsafeRawBufferPointer(rebasing: payload[descriptor.payloadHeaderSize...])
        guard data.count <= assembler.limits.maxPacketPayload else { rejectedPackets += 1; throw .payloadTooLarge(data.count) }
        ssrc = packet.ssrc
        return assembler.insert(sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, marker: packet.marker,
                                isFrameStart: descriptor.isStartOfFrame, isKeyframe: descriptor.isKeyframe, payload: data)
    }

    /// The next assembled frame, gap or discard (see `FrameAssembler.poll`).
    public func poll() -> FrameAssemblerEvent? { assembler.poll() }

    /// The stream ended: deliver or drop what is held.
    public func finish() { assembler.finish() }
}
