import Testing
import PodiumTestSupport
@testable import PodiumWire

@Suite struct RTPRewriteTests {
    static let video = RTPPacketTests.chromiumVideo
    static let videoPayload = "90 80 80 01 10 02 00 9d 01 2a 80 02 e0 01"

    /// Runs `body` over a mutable copy of `bytes` and returns the bytes afterwards.
    static func mutating(_ bytes: [UInt8], _ body: (inout MutableRTPPacket) throws -> Void) throws -> [UInt8] {
        var copy = bytes
        try copy.withUnsafeMutableBytes { buf in
            var p = try MutableRTPPacket(parsing: buf)
            try body(&p)
            // The view must stay consistent with the bytes.
            let reparsed = try RTPPacket(parsing: UnsafeRawBufferPointer(buf))
            #expect(reparsed.extensions.map(\.id) == p.packet.extensions.map(\.id))
        }
        return copy
    }

    static func map(_ pairs: [(UInt8, UInt8)]) -> RTPExtensionIDMap {
        var m = RTPExtensionIDMap()
        for (from, to) in pairs { m[from] = to }
        return m
    }

    // MARK: In place

    @Test func setsHeaderFieldsInPlace() throws {
        let out = try Self.mutating(Self.video) { p in
            p.sequenceNumber = 0x0102
            p.timestamp = 0x0a0b_0c0d
            p.ssrc = 0xcafe_babe
            p.payloadType = 100
            #expect(!p.marker)
            p.marker = true
            #expect(p.payloadType == 100 && p.marker && p.sequenceNumber == 0x0102)
        }
        #expect(hexString(out[..<12]) == "90e401020a0b0c0dcafebabe")
        #expect(out[12...] == Self.video[12...])
    }

    @Test func setHeaderWritesAllFields() throws {
        let out = try Self.mutating(Self.video) { p in
            p.setHeader(RTPHeader(marker: true, payloadType: 0x7f, sequenceNumber: 0xffff, timestamp: 1, ssrc: 2))
        }
        #expect(hexString(out[..<12]) == "90ffffff0000000100000002")
    }

    @Test func remapsIDsAndDropsUnnegotiatedInPlace() throws {
        let out = try Self.mutating(Self.video) { p in
            let ok = p.remapExtensionIDs(Self.map([(2, 5), (3, 1), (4, 4)]))   // 10 (rid) dropped
            #expect(ok)
            #expect(p.packet.extensions.map(\.id) == [5, 1, 4])
            #expect(p.packet.extension(id: 10) == nil)
        }
        #expect(hexString(out[16 ..< 28]) == "52c52d1f" + "1101a4" + "4031" + "0000" + "00")
    }

    @Test func inPlaceRemapRefusesIDsAbove14InOneByteForm() throws {
        let out = try Self.mutating(Self.video) { p in
            let ok = p.remapExtensionIDs(Self.map([(2, 20), (3, 3), (4, 4), (10, 10)]))
            #expect(!ok)
            #expect(p.packet.extensions.map(\.id) == [2, 3, 4, 10])
        }
        #expect(out == Self.video)
    }

    @Test func inPlaceRemapInTwoByteForm() throws {
        let out = try Self.mutating(RFC8285ExtensionTests.twoByteExample) { p in
            let ok = p.remapExtensionIDs(Self.map([(1, 200), (3, 15)]))   // 2 dropped
            #expect(ok)
            #expect(p.packet.extensions.map(\.id) == [200, 15])
        }
        #expect(hexString(out[16 ..< 28]) == "c800" + "000000" + "00" + "0f04c1c2c3c4")
    }

    @Test func overwritesExtensionValueInPlace() throws {
        let out = try Self.mutating(Self.video) { p in
            let seq = hexBytes("12 34")
            seq.withUnsafeBytes { #expect(p.setExtension(id: 3, value: $0)) }
            hexBytes("12 34 56").withUnsafeBytes { #expect(!p.setExtension(id: 3, value: $0)) }
            seq.withUnsafeBytes { #expect(!p.setExtension(id: 9, value: $0)) }
            p.extensionValue(id: 2)?.storeBigEndianUInt24(0x010203, at: 0)
        }
        #expect(hexString(out[16 ..< 28]) == "22010203" + "311234" + "4031" + "a068" + "00")
    }

    @Test func removesExtensionInPlace() throws {
        let out = try Self.mutating(Self.video) { p in
            let first = p.removeExtension(id: 4)
            let second = p.removeExtension(id: 4)
            #expect(first == 1 && second == 0)
            #expect(p.packet.extensions.map(\.id) == [2, 3, 10])
        }
        #expect(hexString(out[16 ..< 28]) == "22c52d1f" + "3101a4" + "0000" + "a068" + "00")
    }

    // MARK: Copy and rewrite

    static let subscriberHeader = RTPHeader(marker: false, payloadType: 98, sequenceNumber: 1000, timestamp: 90_000, ssrc: 0x0102_0304)

    static func copy(_ source: [UInt8], map: RTPExtensionIDMap, reserve id: UInt8 = 0, length: Int = 0, value: [UInt8] = [],
                     header: RTPHeader = subscriberHeader) throws -> [UInt8] {
        try withBytes(source) { src in
            let p = try RTPPacket(parsing: src)
            let size = p.copiedSize(extensionIDs: map, reservingExtension: id, length: length)
            var out = [UInt8](repeating: 0xEE, count: size + 8)
            let r = try out.withUnsafeMutableBytes { dst in
                let r = try p.copy(into: dst, header: header, extensionIDs: map, reservingExtension: id, length: length)
                if id != 0 { (dst.baseAddress! + r.reservedValueOffset).copyMemory(from: value, byteCount: value.count) }
                return r
            }
            #expect(r.count == size)
            #expect(out[size...].allSatisfy { $0 == 0xEE }, "wrote past the reported size")
            return Array(out[..<size])
        }
    }

    @Test func copyRewritesHeaderRemapsAndAppendsTransportCC() throws {
        let out = try Self.copy(Self.video, map: Self.map([(2, 2), (4, 1)]), reserve: 3, length: 2, value: [0x00, 0x07])
        #expect(hexString(out) == hexString(hexBytes("""
            90 62 03 e8   // X=1 | PT=98 | seq=1000
            00 01 5f 90   // ts=90000
            01 02 03 04   // SSRC
            be de 00 03
            22 c5 2d 1f   // abs-send-time kept (id 2)
            10 31         // mid as id 1
            31 00 07      // transport-cc id 3 = 7 (publisher's own transport-cc and rid dropped)
            00 00 00
            """ + "\n" + Self.videoPayload)))
        try withBytes(out) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.header == Self.subscriberHeader)
            #expect(try TransportSequenceNumberExtension(parsing: #require(p.extension(id: 3))).sequenceNumber == 7)
        }
    }

    @Test func copySwitchesToTwoByteFormWhenAnIDNeedsIt() throws {
        let out = try Self.copy(Self.video, map: Self.map([(2, 2), (4, 20)]), reserve: 3, length: 2, value: [0x00, 0x07])
        #expect(hexString(out[12...]) == hexString(hexBytes("""
            10 00 00 03   // two-byte profile, 3 words
            02 03 c5 2d 1f // id=2 L=3
            14 01 31      // id=20 L=1 mid
            03 02 00 07   // id=3 L=2 (12 bytes: no padding needed)
            """ + "\n" + Self.videoPayload)))
    }

    @Test func copyWithEverythingDroppedOmitsTheBlock() throws {
        let out = try Self.copy(Self.video, map: RTPExtensionIDMap())
        #expect(hexString(out) == hexString(hexBytes("80 62 03 e8  00 01 5f 90  01 02 03 04" + Self.videoPayload)))
    }

    @Test func copyKeepsCSRCsAndPadding() throws {
        let source = hexBytes("""
            a1 60 00 05   // V=2 P=1 CC=1 | PT=96 | seq=5
            00 00 00 10   // ts
            00 00 00 20   // SSRC
            00 00 00 30   // CSRC
            aa bb         // payload
            00 02         // 2 padding bytes
            """)
        let out = try Self.copy(source, map: RTPExtensionIDMap(), reserve: 3, length: 2, value: [0xbe, 0xef],
                                header: RTPHeader(marker: true, payloadType: 96, sequenceNumber: 6, timestamp: 0x10, ssrc: 0x40))
        #expect(hexString(out) == hexString(hexBytes("""
            b1 e0 00 06   // V=2 P=1 X=1 CC=1 | M=1 PT=96 | seq=6
            00 00 00 10  00 00 00 40
            00 00 00 30   // CSRC copied
            be de 00 01  31 be ef 00
            aa bb 00 02
            """)))
        try withBytes(out) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.paddingCount == 2 && Array(p.payload) == [0xaa, 0xbb] && p.csrc(at: 0) == 0x30)
        }
    }

    @Test func copyReplacesASourceElementWithTheReservedID() throws {
        let out = try Self.copy(Self.video, map: .identity, reserve: 3, length: 2, value: [0xab, 0xcd])
        try withBytes(out) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.extensions.map(\.id) == [2, 4, 10, 3])
            #expect(try Array(#require(p.extension(id: 3))) == [0xab, 0xcd])
        }
    }

    @Test func copyDropsGenericProfileBlocks() throws {
        let source = hexBytes("90 60 00 01  00 00 00 00  00 00 00 01  ab cd 00 01  01 02 03 04  ff")
        let out = try Self.copy(source, map: .identity)
        #expect(hexString(out) == "806203e800015f9001020304ff")
    }

    @Test func copyTransportCCConvenience() throws {
        try withBytes(Self.video) { src in
            let p = try RTPPacket(parsing: src)
            var out = [UInt8](repeating: 0, count: 128)
            let n = try out.withUnsafeMutableBytes {
                try p.copy(into: $0, header: Self.subscriberHeader, extensionIDs: Self.map([(4, 1)]), transportCCID: 5, transportSequenceNumber: 0xfffe)
            }
            #expect(hexString(out[12 ..< 24]) == "bede0002" + "1031" + "51fffe" + "000000")
            #expect(n == 24 + 14)
        }
    }

    @Test func copyIntoTooSmallBufferThrows() throws {
        try withBytes(Self.video) { src in
            let p = try RTPPacket(parsing: src)
            let needed = p.copiedSize(extensionIDs: .identity, reservingExtension: 3, length: 2)
            var out = [UInt8](repeating: 0, count: needed - 1)
            #expect(throws: BufferTooSmall(needed: needed, available: needed - 1)) {
                _ = try out.withUnsafeMutableBytes { try p.copy(into: $0, header: Self.subscriberHeader, extensionIDs: .identity, reservingExtension: 3, length: 2) }
            }
        }
    }

    // MARK: Builder

    @Test func buildsAPacketWithCSRCsExtensionsAndPadding() throws {
        var list = RTPExtensionList()
        let mid = hexBytes("31")
        let seq = hexBytes("00 2a")
        let payload = hexBytes("de ad be ef 01")
        let csrcs: [UInt32] = [7, 8]
        let out: [UInt8] = try mid.withUnsafeBytes { midBytes in
            try seq.withUnsafeBytes { seqBytes in
                try list.append(id: 4, value: midBytes)
                try list.append(id: 3, value: seqBytes)
                #expect(list.form == .oneByte && list.blockSize == 12)
                let size = RTPPacket.encodedSize(csrcCount: 2, extensions: list, payloadCount: payload.count, paddingCount: 3)
                var out = [UInt8](repeating: 0xEE, count: size)
                let n = try out.withUnsafeMutableBytes { dst in
                    try payload.withUnsafeBytes { p in
                        try csrcs.withUnsafeBufferPointer { c in
                            try RTPPacket.write(header: RTPHeader(marker: true, payloadType: 111, sequenceNumber: 513, timestamp: 48_000, ssrc: 9),
                                                csrcs: c, extensions: list, payload: p, paddingCount: 3, into: dst)
                        }
                    }
                }
                #expect(n == size)
                return out
            }
        }
        #expect(hexString(out) == hexString(hexBytes("""
            b2 ef 02 01   // V=2 P=1 X=1 CC=2 | M=1 PT=111 | seq=513
            00 00 bb 80   // ts=48000
            00 00 00 09   // SSRC
            00 00 00 07  00 00 00 08   // CSRCs
            be de 00 02   // one-byte, 2 words
            40 31  31 00 2a  00 00 00  // mid, transport-cc, padding
            de ad be ef 01
            00 00 03      // padding
            """)))
        try withBytes(out) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.csrcCount == 2 && p.paddingCount == 3 && Array(p.payload) == payload)
            #expect(p.extensions.map(\.id) == [4, 3])
        }
    }

    @Test func builderRejectsBadElementsAndOverflow() throws {
        var list = RTPExtensionList()
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(throws: RTPExtensionList.AppendError.invalidID) { try list.append(id: 0, value: empty) }
        let big = [UInt8](repeating: 1, count: 256)
        _ = big.withUnsafeBytes { b in
            #expect(throws: RTPExtensionList.AppendError.valueTooLong) { try list.append(id: 1, value: b) }
        }
        for i in 1 ... 16 { try list.append(id: UInt8(i), value: empty) }
        #expect(throws: RTPExtensionList.AppendError.full) { try list.append(id: 17, value: empty) }
        #expect(list.form == .twoByte && list.blockSize == 4 + 32)
        var out = [UInt8](repeating: 0, count: 12 + 36 - 1)
        #expect(throws: BufferTooSmall(needed: 48, available: 47)) {
            _ = try out.withUnsafeMutableBytes {
                try RTPPacket.write(header: RTPHeader(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0), extensions: list, payload: empty, into: $0)
            }
        }
    }

    @Test func builderWithoutExtensionsWritesPlainHeader() throws {
        var out = [UInt8](repeating: 0, count: 13)
        let n = try out.withUnsafeMutableBytes { dst in
            try [UInt8(0x42)].withUnsafeBytes { p in
                try RTPPacket.write(header: RTPHeader(payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3), extensions: RTPExtensionList(), payload: p, into: dst)
            }
        }
        #expect(n == 13 && hexString(out) == "80000001000000020000000342")
    }
}
