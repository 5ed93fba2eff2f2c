/// Writers for the H.264 RTP packetization headers (RFC 6184 §5.7.1 STAP-A, §5.8 FU-A), for a
/// payloader that fills caller-owned packet buffers.
///
///     STAP-A: |F|NRI| 24 | size 1 (16 bits) | NAL unit 1 | size 2 | NAL unit 2 | ...
///     FU-A:   |F|NRI| 28 |S|E|R| type | fragment ...
public enum H264PayloadWriter {
    /// Writes the FU indicator and FU header for a fragment of the NAL unit whose header is `nal`.
    public static func writeFUAHeader(
        for nal: H264NALUnitHeader, start: Bool, end: Bool, into buffer: UnsafeMutableRawBufferPointer
    ) throws(BufferTooSmall) -> Int {
        precondition(!(start && end), "a NAL unit that fits one packet is sent whole, not as an FU-A")
        var w = ByteWriter(buffer)
        try w.require(2)
        try w.write(nal.byte & 0xE0 | H264NALUnitHeader.Kind.fuA)
        try w.write((start ? 0x80 : 0) | (end ? 0x40 : 0) | nal.type)
        return w.offset
    }

    /// Aggregates NAL units into a STAP-A in `buffer`. The STAP-A header carries the highest NRI and
    /// the OR of the F bits of the units (RFC 6184 §5.7).
    public struct STAPA {
        public let buffer: UnsafeMutableRawBufferPointer
        private var writer: ByteWriter
        public private(set) var count = 0

        public init(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) {
            self.buffer = buffer
            self.writer = ByteWriter(buffer)
            try writer.write(H264NALUnitHeader.Kind.stapA)
        }

        /// Bytes written so far.
        public var encodedSize: Int { writer.offset }

        public mutating func append(_ nalUnit: UnsafeRawBufferPointer) throws(BufferTooSmall) {
            precondition(!nalUnit.isEmpty && nalUnit.count <= 0xFFFF, "STAP-A units are 1...65535 bytes")
            try writer.require(2 + nalUnit.count)
            try writer.write(UInt16(nalUnit.count))
            try writer.write(bytes: nalUnit)
            let h = nalUnit[0]
            let f = (buffer[0] | h) & 0x80
            let nri = max(buffer[0] & 0x60, h & 0x60)
            buffer[0] = f | nri | H264NALUnitHeader.Kind.stapA
            count += 1
        }
    }
}
