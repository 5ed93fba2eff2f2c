/// AV1 OBU header (AV1 bitstream spec §5.3.2, §5.3.3) and OBU types (§6.2.2).
///
///      0 1 2 3 4 5 6 7
///     +-+-+-+-+-+-+-+-+
///     |F| type  |X|S|-|  F = forbidden (0), X = extension flag, S = obu_has_size_field
///     +-+-+-+-+-+-+-+-+
///     | T | S |  -  |    extension (X=1): temporal_id (3), spatial_id (2), reserved (3)
///     +-+-+-+-+-+-+-+-+
///
/// (In the extension byte temporal_id is the top 3 bits and spatial_id the next 2.)
public struct AV1OBUHeader: Sendable, Hashable, CustomStringConvertible {
    public var type: AV1OBUType
    /// obu_has_size_field: an leb128 size follows the header (the RTP format recommends 0).
    public var hasSizeField: Bool
    /// temporal_id and spatial_id when the extension byte is present.
    public var temporalID: UInt8?
    public var spatialID: UInt8?

    public init(type: AV1OBUType, hasSizeField: Bool = false, temporalID: UInt8? = nil, spatialID: UInt8? = nil) {
        self.type = type
        self.hasSizeField = hasSizeField
        let ext = temporalID != nil || spatialID != nil
        self.temporalID = ext ? (temporalID ?? 0) & 7 : nil
        self.spatialID = ext ? (spatialID ?? 0) & 3 : nil
    }

    /// Parses the header at `offset` of `bytes`.
    public init(parsing bytes: UnsafeRawBufferPointer, at offset: Int = 0) throws(ParseError) {
        var r = ByteReader(bytes, offset: offset)
        let b0 = try r.readUInt8("OBU header")
        if b0 & 0x80 != 0 { throw ParseError(.malformed, at: offset, "OBU forbidden bit set") }
        type = AV1OBUType(rawValue: (b0 >> 3) & 0x0F)
        hasSizeField = b0 & 0x02 != 0
        if b0 & 0x04 != 0 {
            let e = try r.readUInt8("OBU extension header")
            temporalID = e >> 5
            spatialID = (e >> 3) & 0x03
        } else {
            temporalID = nil
            spatialID = nil
        }
    }

    public var hasExtension: Bool { temporalID != nil }
    public var encodedSize: Int { hasExtension ? 2 : 1 }

    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(BufferTooSmall) -> Int {
        var w = ByteWriter(buffer)
        try w.require(encodedSize)
        try w.write(type.rawValue << 3 | (hasExtension ? 0x04 : 0) | (hasSizeField ? 0x02 : 0))
        if let temporalID { try w.write((temporalID & 7) << 5 | ((spatialID ?? 0) & 3) << 3) }
        return w.offset
    }

    public var description: String {
        var s = "OBU(\(type)"
        if let temporalID, let spatialID { s += " S\(spatialID)T\(temporalID)" }
        if hasSizeField { s += " sized" }
        return s + ")"
    }
}

/// obu_type (AV1 §6.2.2). Reserved values are kept as they are.
public struct AV1OBUType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

    public static let sequenceHeader = AV1OBUType(rawValue: 1)
    public static let temporalDelimiter = AV1OBUType(rawValue: 2)
    public static let frameHeader = AV1OBUType(rawValue: 3)
    public static let tileGroup = AV1OBUType(rawValue: 4)
    public static let metadata = AV1OBUType(rawValue: 5)
    public static let frame = AV1OBUType(rawValue: 6)
    public static let redundantFrameHeader = AV1OBUType(rawValue: 7)
    public static let tileList = AV1OBUType(rawValue: 8)
    public static let padding = AV1OBUType(rawValue: 15)

    public var description: String {
        switch rawValue {
        case 1: "sequenceHeader"
        case 2: "temporalDelimiter"
        case 3: "frameHeader"
        case 4: "tileGroup"
        case 5: "metadata"
        case 6: "frame"
        case 7: "redundantFrameHeader"
        case 8: "tileList"
        case 15: "padding"
        default: "reserved(\(rawValue))"
        }
    }
}

/// frame_type (AV1 §6.8.2).
public enum AV1FrameType: UInt8, Sendable {
    case key = 0
    case inter = 1
    case intraOnly = 2
    case `switch` = 3
}
