import Testing
import PodiumTestSupport
@testable import PodiumWire

@Suite struct RTXTests {
    static let video = RTPPacketTests.chromiumVideo

    /// `video` as RTX: ssrc 0x3c000001, pt 97, RTX seq 0x0102.
    static let videoRTX = hexBytes("""
        90 61 01 02   // V=2 P=0 X=1 CC=0 | M=0 PT=97 | RTX seq=258
        00 0b b8 a0   // timestamp (original)
        3c 00 00 01   // RTX SSRC
        be de 00 03   // extension block, verbatim
        22 c5 2d 1f
        31 01 a4
        40 31
        a0 68
        00
        1a 2b         // OSN = 6699
        90 80 80 01   // original payload
        10 02 00 9d 01 2a 80 02 e0 01
        """)

    /// CSRCs, marker and 4 bytes of padding.
    static let paddedWithCSRC = hexBytes("""
        a2 e0 00 07   // V=2 P=1 X=0 CC=2 | M=1 PT=96 | seq=7
        00 00 00 64   // timestamp=100
        00 00 00 0a   // SSRC=10
        00 00 00 01   // CSRC 1
        00 00 00 02   // CSRC 2
        de ad be ef   // payload
        00 00 00 04   // padding, count 4
        """)

    static func withOutput<R>(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
        defer { buffer.deallocate() }
        return try body(buffer)
    }

    static func wrap(_ bytes: [UInt8], ssrc: UInt32, pt: UInt8, seq: UInt16) throws -> [UInt8] {
        try withBytes(bytes) { raw in
            let p = try RTPPacket(parsing: raw)
            return try withOutput(1500) { out in
                let n = try RTX.wrap(p, ssrc: ssrc, payloadType: pt, sequenceNumber: seq, into: out)
                #expect(n == RTX.wrappedSize(of: p))
                return Array(out[0 ..< n])
            }
        }
    }

    static func unwrap(_ bytes: [UInt8], ssrc: UInt32, pt: UInt8) throws -> [UInt8] {
        try withBytes(bytes) { raw in
            try withOutput(1500) { out in
                let n = try RTX.unwrap(bytes: raw, originalSSRC: ssrc, originalPayloadType: pt, into: out)
                return Array(out[0 ..< n])
            }
        }
    }

    static func unwrapInPlace(_ bytes: [UInt8], ssrc: UInt32, pt: UInt8) throws -> [UInt8] {
        var copy = bytes
        let n = try copy.withUnsafeMutableBytes { buf in try RTX.unwrapInPlace(buf, originalSSRC: ssrc, originalPayloadType: pt) }
        return Array(copy[0 ..< n])
    }

    @Test func wrapKeepsHeaderAndExtensionsAndPrependsOSN() throws {
        let rtx = try Self.wrap(Self.video, ssrc: 0x3c00_0001, pt: 97, seq: 0x0102)
        #expect(hexString(rtx) == hexString(Self.videoRTX))
        try withBytes(rtx) { raw in
            let p = try RTPPacket(parsing: raw)
            #expect(try RTX.originalSequenceNumber(of: p) == 6699)
            #expect(hexString(try RTX.originalPayload(of: p)) == "9080800110 02009d012a8002e001".replacingOccurrences(of: " ", with: ""))
            #expect(p.extension(id: 10).map { Array($0) } == [0x68])
        }
    }

    @Test func unwrapRestoresTheOriginalByteExact() throws {
        #expect(try Self.unwrap(Self.videoRTX, ssrc: 0x3a5c_12f0, pt: 96) == Self.video)
        #expect(try Self.unwrapInPlace(Self.videoRTX, ssrc: 0x3a5c_12f0, pt: 96) == Self.video)
    }

    @Test func roundTripOverManySequenceNumbersAndMarker() throws {
        var marked = Self.video
        marked[1] |= 0x80
        for seq: UInt16 in [0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff] {
            marked[2] = UInt8(seq >> 8)
            marked[3] = UInt8(seq & 0xff)
            let rtx = try Self.wrap(marked, ssrc: 5, pt: 127, seq: ~seq)
            #expect(rtx[1] == 0x80 | 127)
            #expect(try Self.unwrap(rtx, ssrc: 0x3a5c_12f0, pt: 96) == marked)
        }
    }

    @Test func paddingIsDroppedBothWays() throws {
        let rtx = try Self.wrap(Self.paddedWithCSRC, ssrc: 11, pt: 97, seq: 1)
        #expect(hexString(rtx) == hexString(hexBytes("""
            82 e1 00 01   // P cleared, CC=2 | M=1 PT=97 | seq=1
            00 00 00 64
            00 00 00 0b
            00 00 00 01
            00 00 00 02
            00 07         // OSN
            de ad be ef
            """)))
        let unpadded = Array(Self.paddedWithCSRC[0 ..< 24]).enumerated().map { $0.offset == 0 ? $0.element & ~0x20 : $0.element }
        #expect(try Self.unwrap(rtx, ssrc: 10, pt: 96) == unpadded)

        // A padded RTX packet (the sender's own padding) unwraps without it.
        var paddedRTX = rtx
        paddedRTX[0] |= 0x20
        paddedRTX += [0, 0, 3]
        #expect(try Self.unwrap(paddedRTX, ssrc: 10, pt: 96) == unpadded)
        #expect(try Self.unwrapInPlace(paddedRTX, ssrc: 10, pt: 96) == unpadded)
    }

    @Test func emptyOriginalPayloadCarriesOnlyTheOSN() throws {
        let header = Array(Self.paddedWithCSRC[0 ..< 20]).enumerated().map { $0.offset == 0 ? $0.element & ~0x20 : $0.element }
        let rtx = try Self.wrap(header, ssrc: 11, pt: 97, seq: 1)
        #expect(rtx.count == 22 && rtx[20] == 0 && rtx[21] == 7)
        #expect(try Self.unwrap(rtx, ssrc: 10, pt: 96) == header)
    }

    @Test(arguments: [0, 1])
    func payloadShorterThanTheOSNIsATypedError(payloadBytes: Int) throws {
        let rtx = Array(Self.videoRTX[0 ..< 28 + payloadBytes])
        let truncated = ParseError(.truncated, at: 28, "RTX original sequence number")
        #expect(throws: RTXError.malformed(truncated)) { try Self.unwrap(rtx, ssrc: 1, pt: 96) }
        #expect(throws: truncated) { try Self.unwrapInPlace(rtx, ssrc: 1, pt: 96) }
        try withBytes(rtx) { raw in
            let p = try RTPPacket(parsing: raw)
            #expect(throws: truncated) { try RTX.originalSequenceNumber(of: p) }
            #expect(throws: truncated) { try RTX.originalPayload(of: p) }
        }
        // In-place leaves the bytes alone on error.
        var copy = rtx
        _ = try? copy.withUnsafeMutableBytes { try RTX.unwrapInPlace($0, originalSSRC: 1, originalPayloadType: 1) }
        #expect(copy == rtx)
    }

    @Test func paddingThatLeavesLessThanTheOSNIsAnError() throws {
        // 2 payload bytes, both padding: the OSN is gone.
        let rtx = hexBytes("a0 61 00 01  00 00 00 00  00 00 00 01  00 02")
        #expect(throws: RTXError.malformed(ParseError(.truncated, at: 12, "RTX original sequence number"))) {
            try Self.unwrap(rtx, ssrc: 1, pt: 96)
        }
    }

    @Test func notRTPIsMalformed() throws {
        #expect(throws: RTXError.malformed(ParseError(.truncated, at: 0, "RTP fixed header"))) {
            try Self.unwrap([0x80, 0x61, 0, 1], ssrc: 1, pt: 96)
        }
        withBytes(Array(Self.video[0 ..< 20])) { raw in
            Self.withOutput(64) { out in
                _ = #expect(throws: RTXError.self) { try RTX.wrap(bytes: raw, ssrc: 1, payloadType: 97, sequenceNumber: 0, into: out) }
            }
        }
    }

    @Test func shortBuffersAreTypedErrors() throws {
        try withBytes(Self.video) { raw in
            let p = try RTPPacket(parsing: raw)
            Self.withOutput(RTX.wrappedSize(of: p) - 1) { out in
                _ = #expect(throws: BufferTooSmall(needed: Self.video.count + 2, available: Self.video.count + 1)) {
                    try RTX.wrap(p, ssrc: 1, payloadType: 97, sequenceNumber: 0, into: out)
                }
            }
        }
        withBytes(Self.videoRTX) { raw in
            Self.withOutput(Self.video.count - 1) { out in
                _ = #expect(throws: RTXError.bufferTooSmall(BufferTooSmall(needed: Self.video.count, available: Self.video.count - 1))) {
                    try RTX.unwrap(bytes: raw, originalSSRC: 1, originalPayloadType: 96, into: out)
                }
            }
        }
    }

    @Test func forwardingFormMapsIdsReservesTransportCCAndUsesTheGivenOSN() throws {
        var map = RTPExtensionIDMap()
        map[2] = 2   // abs-send-time kept
        map[4] = 9   // mid moved
        // 3 (publisher transport-cc) and 10 (rid) dropped.
        let header = RTPHeader(marker: true, payloadType: 97, sequenceNumber: 40, timestamp: 1234, ssrc: 77)
        try withBytes(Self.video) { raw in
            let p = try RTPPacket(parsing: raw)
            try Self.withOutput(RTX.requiredCapacity(of: p, extensionIDs: map, reservingExtension: 5, length: 2)) { out in
                let r = try RTX.wrap(p, header: header, originalSequenceNumber: 0xbeef, extensionIDs: map,
                                     reservingExtension: 5, length: 2, into: out)
                out.storeBigEndian(UInt16(0x0a0b), at: r.reservedValueOffset)
                let rtx = try RTPPacket(parsing: UnsafeRawBufferPointer(rebasing: out[0 ..< r.count]))
                #expect(rtx.header == header && !rtx.hasPadding)
                #expect(rtx.extensions.map(\.id) == [2, 9, 5])
                #expect(rtx.extension(id: 5).map { Array($0) } == [0x0a, 0x0b])
                #expect(try RTX.originalSequenceNumber(of: rtx) == 0xbeef)
                #expect(try RTX.originalPayload(of: rtx).elementsEqual(p.payload))
            }
        }
    }

    @Test func forwardingFormDropsPaddingEvenWhenItIsLargerThanTheOSN() throws {
        let header = RTPHeader(payloadType: 97, sequenceNumber: 1, timestamp: 2, ssrc: 3)
        try withBytes(Self.paddedWithCSRC) { raw in
            let p = try RTPPacket(parsing: raw)
            let capacity = RTX.requiredCapacity(of: p, extensionIDs: .identity)
            #expect(capacity == Self.paddedWithCSRC.count)  // the intermediate copy, with padding
            try Self.withOutput(capacity) { out in
                let r = try RTX.wrap(p, header: header, originalSequenceNumber: 7, extensionIDs: .identity, into: out)
                #expect(r.count == 20 + 2 + 4 && r.reservedValueOffset == 0)
                #expect(hexString(out[0 ..< r.count]) == "8261000100000002000000030000000100000002" + "0007" + "deadbeef")
            }
        }
    }

    @Test func senderFormWritesItsOwnExtensionsAndKeepsCSRCs() throws {
        var list = RTPExtensionList()
        let mid: [UInt8] = [0x31]
        try mid.withUnsafeBytes { m in
            try list.append(id: 4, value: m)
            let header = RTPHeader(marker: true, payloadType: 97, sequenceNumber: 9, timestamp: 100, ssrc: 11)
            try withBytes(Self.paddedWithCSRC) { raw in
                let p = try RTPPacket(parsing: raw)
                let size = RTX.wrappedSize(of: p, extensions: list)
                try Self.withOutput(size) { out in
                    let n = try RTX.wrap(p, header: header, extensions: list, into: out)
                    #expect(n == size)
                    let rtx = try RTPPacket(parsing: UnsafeRawBufferPointer(rebasing: out[0 ..< n]))
                    #expect(rtx.csrcCount == 2 && rtx.csrc(at: 0) == 1 && rtx.csrc(at: 1) == 2)
                    #expect(rtx.extension(id: 4).map { Array($0) } == mid)
                    #expect(try RTX.originalSequenceNumber(of: rtx) == 7)
                    #expect(hexString(try RTX.originalPayload(of: rtx)) == "deadbeef")
                    #expect(throws: BufferTooSmall.self) {
                        try RTX.wrap(p, header: header, extensions: list, into: UnsafeMutableRawBufferPointer(rebasing: out[0 ..< n - 1]))
                    }
                }
            }
        }
    }
}
