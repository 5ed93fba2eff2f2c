/// Where packetizers and the synthetic publisher put finished RTP packets.
///
/// Why a class-bound protocol: the owner (a test's in-memory sink, later Podium's client transport)
/// is long-lived and shared; callers take it as a generic parameter (`some RTPPacketSink`) on the
/// per-packet path, so no existential box is created per packet.
public protocol RTPPacketSink: AnyObject {
    /// One complete RTP packet. The bytes are valid only during the call: copy what you keep.
    func send(rtp: UnsafeRawBufferPointer)
}

/// Keeps every packet it is given, in order (for tests and tools; allocates per packet).
public final class InMemoryRTPPacketSink: RTPPacketSink {
    public private(set) var packets: [[UInt8]] = []
    public init() {}
    public func send(rtp: UnsafeRawBufferPointer) { packets.append(Array(rtp)) }
    public func removeAll() { packets.removeAll(keepingCapacity: true) }
}
