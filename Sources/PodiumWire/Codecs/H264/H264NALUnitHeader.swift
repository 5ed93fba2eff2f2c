/// H.264 NAL unit header (RFC 6184 §1.3, §5.3; ITU-T H.264 §7.3.1), the first byte of every NAL
/// unit and of every RTP payload (where types 24–29 name RTP packetization structures).
///
///     +---------------+
///     |0|1|2|3|4|5|6|7|
///     +-+-+-+-+-+-+-+-+
///     |F|NRI|  Type   |
///     +---------------+
///
/// F: forbidden_zero_bit (1 = the unit may contain errors), NRI: nal_ref_idc, Type: nal_unit_type.
public struct H264NALUnitHeader: Sendable, Equatable, CustomStringConvertible {
    public var byte: UInt8

    @inlinable public init(_ byte: UInt8) { self.byte = byte }

    public init(forbiddenBit: Bool = false, nri: UInt8, type: UInt8) {
        self.byte = (forbiddenBit ? 0x80 : 0) | (nri & 0x03) << 5 | type & 0x1F
    }

    @inlinable public var forbiddenBit: Bool { byte & 0x80 != 0 }
    @inlinable public var nri: UInt8 { (byte >> 5) & 0x03 }
    @inlinable public var type: UInt8 { byte & 0x1F }

    /// NAL unit types used by Podium (H.264 Table 7-1, RFC 6184 Table 1).
    public enum Kind {
        public static let sliceNonIDR: UInt8 = 1
        public static let sliceDataPartitionA: UInt8 = 2
        public static let sliceIDR: UInt8 = 5
        public static let sei: UInt8 = 6
        public static let sps: UInt8 = 7
        public static let pps: UInt8 = 8
        public static let accessUnitDelimiter: UInt8 = 9
        public static let stapA: UInt8 = 24
        public static let stapB: UInt8 = 25
        public static let mtap16: UInt8 = 26
        public static let mtap24: UInt8 = 27
        public static let fuA: UInt8 = 28
        public static let fuB: UInt8 = 29
    }

    public var description: String { "NAL(type=\(type) nri=\(nri)\(forbiddenBit ? " F" : ""))" }
}
