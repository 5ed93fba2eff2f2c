import Testing
import PodiumTestSupport
@testable import PodiumWire

/// AV1 RTP payloads (AOMedia "RTP Payload Format For AV1" §4.4) with OBU headers (AV1 §5.3) and the
/// start of uncompressed_header() (AV1 §5.9.2). Vectors are laid out field by field from the specs.
@Suite struct AV1PayloadTests {
    /// First packet of a coded video sequence: sequence header + key frame, W=2.
    private static let keyPacket = """
        28                            // Z=0 Y=0 W=2 N=1
        0b                            // element 1 length 11
        08                            // OBU_SEQUENCE_HEADER, no extension, no size field
        00 00 00 02 af ff 9b 5f 30 08 // sequence header payload (10 bytes)
        30                            // OBU_FRAME (last element: no length)
        10                            // show_existing_frame=0 frame_type=KEY show_frame=1
        a5 b6 c7                      // rest of the frame
        """
    /// L3T3 delta frame: one OBU_FRAME with extension (temporal 2, spatial 1), W=1.
    private static let svcDelta = """
        10                            // Z=0 Y=0 W=1 N=0
        34                            // OBU_FRAME, extension flag
        48                            // temporal_id=2 spatial_id=1
        30                            // show_existing_frame=0 frame_type=INTER
        01 02
        """
    /// W=0: every element, the last one included, has a length (§4.4).
    private static let lengthEveryElement = """
        00                            // Z=0 Y=0 W=0 N=0
        02 28 01                      // OBU_METADATA, 1 byte
        03 30 10 ff                   // OBU_FRAME, key frame_type (no N: a key frame mid-sequence)
        """
    /// A fragment in the middle of an OBU: continues from the previous packet and into the next.
    private static let middleFragment = """
        c0                            // Z=1 Y=1 W=0
        04 de ad be ef                // continuation bytes, no OBU header
        """
    /// OBU with obu_has_size_field=1: frame_type follows the obu_size.
    private static let sizedOBU = """
        10                            // W=1
        32                            // OBU_FRAME, has_size_field
        02                            // obu_size 2
        10 ff                         // KEY
        """
    /// A frame header showing an existing frame: its type is decoder state, not in the packet.
    private static let showExisting = """
        10
        18                            // OBU_FRAME_HEADER
        80                            // show_existing_frame=1
        """

    private static func parse(_ hex: String) throws -> (AV1Payload, [AV1OBUElement], [UInt8]) {
        let bytes = hexBytes(hex)
        return try withBytes(bytes) { b in
            let p = try AV1Payload(parsing: b)
            let elements = Array(p.elements)
            // The views die with the buffer: copy what the tests look at.
            return (p, elements.map { e in AV1OBUElement(bytes: UnsafeRawBufferPointer(start: nil, count: 0), offset: e.offset, isContinuation: e.isContinuation, continuesInNextPacket: e.continuesInNextPacket, header: e.header) }, elements.flatMap { Array($0.bytes) })
        }
    }

    private static func parseError(_ bytes: [UInt8]) -> ParseError? {
        withBytes(bytes) { b -> ParseError? in
            do throws(ParseError) { _ = try AV1Payload(parsing: b); return nil } catch { return error }
        }
    }

    @Test func keyPacketWithSequenceHeader() throws {
        let (p, e, _) = try Self.parse(Self.keyPacket)
        #expect(p.aggregationHeader == AV1AggregationHeader(elementCount: 2, startsNewCodedVideoSequence: true))
        #expect(p.elementCount == 2 && e.count == 2)
        #expect(e[0].header == AV1OBUHeader(type: .sequenceHeader) && e[0].offset == 2)
        #expect(e[1].header == AV1OBUHeader(type: .frame) && e[1].offset == 13)
        #expect(p.containsSequenceHeader && p.frameType == .key && p.isKeyframe)
        #expect(p.firstOBUType == .sequenceHeader && p.isStartOfFrame == true && p.isEndOfFrame == nil)
        #expect(p.temporalLayerID == nil && p.spatialLayerID == nil && p.payloadHeaderSize == 1)
    }

    @Test func svcDeltaLayerIDs() throws {
        let (p, e, _) = try Self.parse(Self.svcDelta)
        #expect(e.count == 1 && e[0].header == AV1OBUHeader(type: .frame, temporalID: 2, spatialID: 1))
        #expect(p.temporalLayerID == 2 && p.spatialLayerID == 1)
        #expect(p.frameType == .inter && !p.isKeyframe && !p.containsSequenceHeader)
    }

    @Test func lengthOnEveryElementWhenWIsZero() throws {
        let (p, e, data) = try Self.parse(Self.lengthEveryElement)
        #expect(p.elementCount == 2 && e.map(\.offset) == [2, 5])
        #expect(e.map { $0.header?.type } == [.metadata, .frame])
        #expect(data == [0x28, 0x01, 0x30, 0x10, 0xFF])
        #expect(p.isKeyframe && !p.aggregationHeader.startsNewCodedVideoSequence && p.isStartOfFrame == nil)
    }

    @Test func continuationFragment() throws {
        let (p, e, data) = try Self.parse(Self.middleFragment)
        #expect(e.count == 1 && e[0].isContinuation && e[0].continuesInNextPacket && e[0].header == nil)
        #expect(data == [0xDE, 0xAD, 0xBE, 0xEF])
        #expect(p.isStartOfFrame == false && p.isEndOfFrame == false && !p.isKeyframe && p.firstOBUType == nil)
    }

    @Test func frameTypeAfterSizeFieldAndShowExisting() throws {
        #expect(try Self.parse(Self.sizedOBU).0.frameType == .key)
        let (p, _, _) = try Self.parse(Self.showExisting)
        #expect(p.frameType == nil && !p.isKeyframe && p.isStartOfFrame == true)
    }

    @Test(arguments: [keyPacket, svcDelta, lengthEveryElement, middleFragment, sizedOBU, showExisting])
    func rebuiltWithLengthsParsesTheSame(hex: String) throws {
        let bytes = hexBytes(hex)
        try withBytes(bytes) { b in
            let p = try AV1Payload(parsing: b)
            var header = p.aggregationHeader
            header.elementCount = 0
            var out = [UInt8](repeating: 0, count: bytes.count + 4 * p.elementCount)
            let size = try out.withUnsafeMutableBytes { o in
                var at = try header.write(into: o)
                for e in p.elements {
                    at += try LEB128.write(UInt32(e.bytes.count), into: o, at: at)
                    UnsafeMutableRawBufferPointer(rebasing: o[at..<at + e.bytes.count]).copyMemory(from: e.bytes)
                    at += e.bytes.count
                }
                return at
            }
            try withBytes(Array(out.prefix(size))) { b2 in
                let q = try AV1Payload(parsing: b2)
                #expect(q.elementCount == p.elementCount && q.frameType == p.frameType && q.isKeyframe == p.isKeyframe)
                #expect(q.temporalLayerID == p.temporalLayerID && q.containsSequenceHeader == p.containsSequenceHeader)
                #expect(zip(q.elements, p.elements).allSatisfy { $0.bytes.elementsEqual($1.bytes) && $0.header == $1.header })
            }
            var copy = [UInt8](repeating: 0, count: p.encodedSize)
            #expect(try copy.withUnsafeMutableBytes { try p.write(into: $0) } == bytes.count)
            #expect(copy == bytes)
        }
    }

    /// Every prefix fails except those that end inside a last element without a length (W=1…3) or
    /// on an element boundary (W=0): those are shorter valid packets.
    @Test(arguments: [(keyPacket, 14), (svcDelta, 3), (lengthEveryElement, 99), (sizedOBU, 5)])
    func truncatedAtEveryLength(hex: String, validFrom: Int) {
        let bytes = hexBytes(hex)
        for n in 0..<bytes.count {
            let error = Self.parseError(Array(bytes.prefix(n)))
            if n == 0 {
                #expect(error == ParseError(.truncated, at: 0, "AV1 aggregation header"))
            } else if n == 1 {
                #expect(error == ParseError(.malformed, at: 1, "AV1 packet without OBU elements"))
            } else if n >= validFrom || (hex == Self.lengthEveryElement && n == 4) {
                #expect(error == nil, "length \(n)")
            } else {
                #expect(error?.kind == .truncated, "length \(n)")
            }
        }
    }

    @Test func badLengthsAndHeaders() {
        #expect(Self.parseError(hexBytes("00 05 30 10")) == ParseError(.truncated, at: 2, "AV1 OBU element length past the end"))
        #expect(Self.parseError(hexBytes("30 02 30 10 01 30")) == ParseError(.truncated, at: 6, "AV1 fewer elements than W"))
        #expect(Self.parseError(hexBytes("00 00 02 30 10")) == ParseError(.malformed, at: 2, "AV1 empty OBU element"))
        #expect(Self.parseError(hexBytes("10 b0 10")) == ParseError(.malformed, at: 0, "OBU forbidden bit set"))
        #expect(Self.parseError(hexBytes("10 34")) == ParseError(.truncated, at: 1, "OBU extension header"))
        #expect(Self.parseError(hexBytes("00 ff ff ff ff ff ff ff ff 01 30")) == ParseError(.malformed, at: 1, "leb128 longer than 8 bytes"))
        #expect(Self.parseError(hexBytes("00 ff ff ff ff 1f 30")) == ParseError(.limitExceeded, at: 1, "leb128 value exceeds 2^32-1"))
        #expect(Self.parseError(hexBytes("00 80")) == ParseError(.truncated, at: 2, "leb128"))
        #expect(Self.parseError(hexBytes("00 03 32 05 10")) == ParseError(.truncated, at: 2, "AV1 obu_size past the OBU element"))
        // A fragment that continues in the next packet may announce more than it holds.
        #expect(Self.parseError(hexBytes("40 03 32 05 10")) == nil)
    }

    @Test(arguments: [(UInt32(0), "00"), (127, "7f"), (128, "8001"), (300, "ac02"), (16383, "ff7f"), (16384, "808001"), (UInt32.max, "ffffffff0f")])
    func leb128(value: UInt32, hex: String) throws {
        var out = [UInt8](repeating: 0, count: 8)
        let n = try out.withUnsafeMutableBytes { try LEB128.write(value, into: $0, at: 0) }
        #expect(hexString(out.prefix(n)) == hex && n == LEB128.encodedSize(value))
        let back = try withBytes(hexBytes(hex)) { try LEB128.read($0, at: 0) }
        #expect(back.value == value && back.length == n)
    }

    @Test func leb128AcceptsPaddedEncodingUpToEightBytes() throws {
        let r = try withBytes(hexBytes("80 80 80 80 80 80 80 00")) { try LEB128.read($0, at: 0) }
        #expect(r.value == 0 && r.length == 8)
        var tiny = [UInt8](repeating: 0, count: 1)
        #expect(throws: BufferTooSmall.self) { _ = try tiny.withUnsafeMutableBytes { try LEB128.write(128, into: $0, at: 0) } }
    }

    @Test func obuHeaderRoundTrip() throws {
        for h in [AV1OBUHeader(type: .frame), AV1OBUHeader(type: .sequenceHeader, hasSizeField: true),
                  AV1OBUHeader(type: .tileGroup, temporalID: 7, spatialID: 3), AV1OBUHeader(type: AV1OBUType(rawValue: 12))] {
            var out = [UInt8](repeating: 0, count: h.encodedSize)
            #expect(try out.withUnsafeMutableBytes { try h.write(into: $0) } == h.encodedSize)
            #expect(try withBytes(out) { try AV1OBUHeader(parsing: $0) } == h)
        }
        #expect(AV1AggregationHeader(byte: 0xF8) == AV1AggregationHeader(firstElementIsContinuation: true, lastElementContinues: true, elementCount: 3, startsNewCodedVideoSequence: true))
        #expect(AV1AggregationHeader(byte: 0xF8).byte == 0xF8)
    }
}
