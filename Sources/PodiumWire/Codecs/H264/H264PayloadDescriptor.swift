/// What an H.264 RTP payload (RFC 6184 §5) carries, found without copying: the packetization
/// (single NAL unit §5.6, STAP-A §5.7.1, FU-A §5.8), the NAL unit types inside (SPS, PPS, IDR) and,
/// when an SPS is present in the packet, its profile, level and picture size.
///
/// Single NAL unit packet (types 1-23):   STAP-A (type 24):
///     +-+-+-+-+-+-+-+-+----------------      +-+-+-+-+-+-+-+-+-------------+-----------+----
///     |F|NRI|  Type   | NAL unit payload     |F|NRI|  24     | NALU 1 size | NALU 1    | ...
///     +-+-+-+-+-+-+-+-+----------------      +-+-+-+-+-+-+-+-+-- 16 bits --+-----------+----
///
/// FU-A (type 28):
///     +---------------+---------------+------------
///     |F|NRI|  28     |S|E|R|  Type   | FU payload (a fragment of the NAL unit, header removed)
///     +---------------+---------------+------------
///       FU indicator      FU header     NAL header = F|NRI of the indicator + Type of the FU header
///
/// STAP-B, MTAP16, MTAP24 and FU-B (interleaved mode) are reported as `.unsupported`, as are the
/// undefined types 0, 30 and 31: WebRTC uses packetization-mode 1 (non-interleaved) only.
public struct H264PayloadDescriptor: Sendable, Equatable, CustomStringConvertible {
    public enum Packetization: Sendable, Equatable { case singleNALUnit, stapA, fuA }

    public var packetization: Packetization
    /// The payload's first byte: the NAL unit header, or the STAP-A or FU indicator.
    public var indicator: H264NALUnitHeader
    /// The header of the (first) NAL unit carried; for FU-A, the reconstructed header.
    public var nalUnitHeader: H264NALUnitHeader
    /// FU-A: S bit. True for the other packetizations, which start their NAL units.
    public var isFragmentStart: Bool
    /// FU-A: E bit. True for the other packetizations, which end their NAL units.
    public var isFragmentEnd: Bool
    /// NAL units in a STAP-A; 1 otherwise.
    public var nalUnitCount: Int
    public var hasSPS: Bool
    public var hasPPS: Bool
    /// A coded slice of an IDR picture (type 5), in any fragment of an FU-A.
    public var hasIDR: Bool
    /// The first SPS of a single NAL unit or STAP-A packet (fragmented SPSs are not parsed).
    public var sps: H264SequenceParameterSet?
    /// Whether this packet begins an access unit (see `init(parsing:)`).
    public var isStartOfFrame: Bool

    /// An IDR slice, or an SPS with a PPS (what a decoder needs to start) is in this packet.
    @inlinable public var isKeyframe: Bool { hasIDR || (hasSPS && hasPPS) }

    /// Bytes of RTP packetization before NAL unit data: 0 (single NAL unit: the NAL unit starts the
    /// payload), 1 (STAP-A header; each unit then has a 2-byte size) or 2 (FU indicator and header).
    public var payloadHeaderSize: Int {
        switch packetization {
        case .singleNALUnit: 0
        case .stapA: 1
        case .fuA: 2
        }
    }

    /// Parses an RTP payload. `isStartOfFrame` is true when the packet begins a NAL unit that begins
    /// an access unit (H.264 §7.4.1.2.3): an AUD, SEI, SPS, PPS or types 14-18, or a slice whose
    /// `first_mb_in_slice` is 0. Why: libwebrtc marks every STAP-A and single NAL unit as a frame
    /// start, which is wrong for the second slice of a multi-slice frame.
    public init(parsing payload: UnsafeRawBufferPointer) throws(ParseError) {
        guard let first = payload.first else { throw ParseError(.truncated, at: 0, "H.264 payload") }
        indicator = H264NALUnitHeader(first)
        nalUnitHeader = indicator
        isFragmentStart = true
        isFragmentEnd = true
        nalUnitCount = 1
        hasSPS = false
        hasPPS = false
        hasIDR = false
        sps = nil
        isStartOfFrame = false
        let type = indicator.type
        switch type {
        case 1...23:
            packetization = .singleNALUnit
            try note(unit: payload, at: 0)
            isStartOfFrame = Self.startsAccessUnit(payload, at: 0, type: type)
        case H264NALUnitHeader.Kind.stapA:
            packetization = .stapA
            var offset = 1
            var count = 0
            while offset < payload.count {
                let unit = try Self.nextAggregatedUnit(payload, offset: &offset)
                if count == 0 {
                    nalUnitHeader = H264NALUnitHeader(unit[0])
                    isStartOfFrame = Self.startsAccessUnit(unit, at: 0, type: nalUnitHeader.type)
                }
                try note(unit: unit, at: offset - unit.count)
                count += 1
            }
            if count == 0 { throw ParseError(.malformed, at: 1, "STAP-A without NAL units") }
            nalUnitCount = count
        case H264NALUnitHeader.Kind.fuA:
            packetization = .fuA
            guard payload.count >= 2 else { throw ParseError(.truncated, at: 1, "FU-A header") }
            let fu = payload[1]
            isFragmentStart = fu & 0x80 != 0
            isFragmentEnd = fu & 0x40 != 0
            if isFragmentStart && isFragmentEnd {
                throw ParseError(.malformed, at: 1, "FU-A with both start and end bits (RFC 6184 §5.8)")
            }
            let inner = fu & 0x1F
            guard (1...23).contains(inner) else { throw ParseError(.malformed, at: 1, "FU-A fragmented NAL unit type") }
            nalUnitHeader = H264NALUnitHeader(first & 0xE0 | inner)
            hasSPS = inner == H264NALUnitHeader.Kind.sps
            hasPPS = inner == H264NALUnitHeader.Kind.pps
            hasIDR = inner == H264NALUnitHeader.Kind.sliceIDR
            // The FU payload of a start fragment begins right after the (removed) NAL header,
            // so the slice header is read from offset 2 as if a header byte sat at offset 1.
            isStartOfFrame = isFragmentStart && Self.startsAccessUnit(payload, at: 1, type: inner)
        case H264NALUnitHeader.Kind.stapB, H264NALUnitHeader.Kind.mtap16, H264NALUnitHeader.Kind.mtap24,
             H264NALUnitHeader.Kind.fuB:
            throw ParseError(.unsupported, at: 0, "H.264 interleaved packetization (STAP-B, MTAP, FU-B)")
        default:
            throw ParseError(.unsupported, at: 0, "H.264 undefined NAL unit type (0, 30, 31)")
        }
    }

    /// Records the type of one complete NAL unit; parses the first SPS.
    private mutating func note(unit: UnsafeRawBufferPointer, at offset: Int) throws(ParseError) {
        switch unit[0] & 0x1F {
        case H264NALUnitHeader.Kind.sps:
            hasSPS = true
            if sps == nil {
                do throws(ParseError) {
                    sps = try H264SequenceParameterSet(parsing: unit)
                } catch {
                    throw ParseError(error.kind, at: offset + error.offset, error.detail)
                }
            }
        case H264NALUnitHeader.Kind.pps: hasPPS = true
        case H264NALUnitHeader.Kind.sliceIDR: hasIDR = true
        default: break
        }
    }

    /// Reads one STAP-A unit (16-bit size + NAL unit) at `offset`, advancing past it.
    static func nextAggregatedUnit(_ payload: UnsafeRawBufferPointer, offset: inout Int) throws(ParseError) -> UnsafeRawBufferPointer {
        var r = ByteReader(payload, offset: offset)
        let size = Int(try r.readUInt16("STAP-A NAL unit size"))
        if size == 0 { throw ParseError(.malformed, at: offset, "STAP-A zero-size NAL unit") }
        let unit = try r.readBytes(size, "STAP-A NAL unit")
        let type = unit[0] & 0x1F
        if type == 0 || type > 23 { throw ParseError(.malformed, at: offset + 2, "STAP-A aggregated NAL unit type") }
        offset = r.offset
        return unit
    }

    /// Whether the NAL unit whose header byte is at `at` (or would be, for an FU-A) starts an
    /// access unit. A slice header cut short counts as not starting one.
    static func startsAccessUnit(_ bytes: UnsafeRawBufferPointer, at: Int, type: UInt8) -> Bool {
        switch type {
        case 6, 7, 8, 9, 14...18:
            return true
        case 1, 2, 5:
            var r = H264BitReader(bytes, offset: at + 1)
            return (try? r.readUE()) == 0
        default:
            return false
        }
    }

    /// The NAL units of a STAP-A payload, in order (validated first: `init(parsing:)` throws what
    /// `H264PayloadDescriptor` would). For a single NAL unit packet, that unit.
    public struct NALUnits: Sequence, IteratorProtocol {
        public let payload: UnsafeRawBufferPointer
        private var offset: Int
        private let isAggregate: Bool

        public init(parsing payload: UnsafeRawBufferPointer) throws(ParseError) {
            let d = try H264PayloadDescriptor(parsing: payload)
            guard d.packetization != .fuA else { throw ParseError(.unsupported, at: 0, "FU-A carries a fragment, not NAL units") }
            self.payload = payload
            self.isAggregate = d.packetization == .stapA
            self.offset = isAggregate ? 1 : 0
        }

        public mutating func next() -> UnsafeRawBufferPointer? {
            guard offset < payload.count else { return nil }
            guard isAggregate else {
                offset = payload.count
                return payload
            }
            return try? H264PayloadDescriptor.nextAggregatedUnit(payload, offset: &offset)
        }
    }

    public var description: String {
        var s = "H264(\(packetization)"
        switch packetization {
        case .singleNALUnit: s += " type=\(nalUnitHeader.type)"
        case .stapA: s += " units=\(nalUnitCount) first=\(nalUnitHeader.type)"
        case .fuA: s += " type=\(nalUnitHeader.type)\(isFragmentStart ? " S" : "")\(isFragmentEnd ? " E" : "")"
        }
        if hasSPS { s += " SPS" }
        if hasPPS { s += " PPS" }
        if hasIDR { s += " IDR" }
        if let sps { s += " \(sps.width)x\(sps.height)" }
        if isStartOfFrame { s += " start" }
        return s + ")"
    }
}
