import Testing
import PodiumTestSupport
@testable import PodiumWire

/// `RTPPacket.copy(into:…appending:value:…)`: the router's rewrite, which writes the subscriber's
/// mid and transport-wide sequence number into every forwarded packet.
@Suite struct RTPCopyAppendingTests {
    static let video = RTPPacketTests.chromiumVideo
    static let header = RTPHeader(marker: true, payloadType: 100, sequenceNumber: 0x1234, timestamp: 0x0102_0304, ssrc: 0xAABB_CCDD)

    static func map(_ pairs: [(UInt8, UInt8)]) -> RTPExtensionIDMap {
        var m = RTPExtensionIDMap()
        for (from, to) in pairs { m[from] = to }
        return m
    }

    static func copy(map: RTPExtensionIDMap, mid: [UInt8], midID: UInt8, transportCCID: UInt8, seq: UInt16 = 0xfffe) throws -> [UInt8] {
        try withBytes(video) { src in
            let p = try RTPPacket(parsing: src)
            var out = [UInt8](repeating: 0xEE, count: 200)
            let n = try out.withUnsafeMutableBytes { dst in
                try mid.withUnsafeBytes { value in
                    try p.copy(into: dst, header: header, extensionIDs: map, appending: midID, value: value,
                               transportCCID: transportCCID, transportSequenceNumber: seq)
                }
            }
            return Array(out[0 ..< n])
        }
    }

    @Test func appendsMidAndTransportSequenceInOneByteForm() throws {
        // abs-send-time 2 → 5 kept; publisher mid 4, rid 10, transport-cc 3 dropped.
        let out = try Self.copy(map: Self.map([(2, 5)]), mid: Array("v1".utf8), midID: 9, transportCCID: 7)
        #expect(hexString(out[0 ..< 12]) == "90e412340102030" + "4aabbccdd")
        #expect(hexString(out[12 ..< 28]) == "bede0003" + "52c52d1f" + "917631" + "71fffe" + "0000")
        #expect(hexString(out[28...]) == "90808001" + "1002009d012a8002e001")
        let parsed = try withBytes(out) { b in
            let p = try RTPPacket(parsing: b)
            return (p.extensions.map(\.id), p.extension(id: 9).map(Array.init), p.payloadCount)
        }
        #expect(parsed.0 == [5, 9, 7])
        #expect(parsed.1 == Array("v1".utf8))
        #expect(parsed.2 == 14)
    }

    @Test func appendedElementReplacesAMappedOneWithItsID() throws {
        // The publisher's mid (4) maps to the subscriber's mid id: the router's value wins.
        let out = try Self.copy(map: Self.map([(4, 9)]), mid: Array("a0".utf8), midID: 9, transportCCID: 0)
        let ids = try withBytes(out) { b in
            let p = try RTPPacket(parsing: b)
            return (p.extensions.map(\.id), p.extension(id: 9).map(Array.init))
        }
        #expect(ids.0 == [9])
        #expect(ids.1 == Array("a0".utf8))
    }

    @Test func longValueSwitchesToTwoByteForm() throws {
        let mid = Array("a-mid-of-twenty-byte".utf8)
        #expect(mid.count == 20)
        let out = try Self.copy(map: Self.map([(2, 5)]), mid: mid, midID: 9, transportCCID: 7, seq: 0x0102)
        // 5 + 22 + 4 = 31 element bytes → 32 → block of 36.
        #expect(hexString(out[12 ..< 16]) == "10000008")
        let parsed = try withBytes(out) { b in
            let p = try RTPPacket(parsing: b)
            return (p.extensionForm, p.extensions.map(\.id), p.extension(id: 9).map(Array.init), p.extension(id: 7).map(Array.init))
        }
        #expect(parsed.0 == .twoByte)
        #expect(parsed.1 == [5, 9, 7])
        #expect(parsed.2 == mid)
        #expect(parsed.3 == [0x01, 0x02])
        #expect(out.count == 12 + 36 + 14)
    }

    @Test func noAppendedElementMatchesThePlainCopy() throws {
        let map = Self.map([(2, 5), (4, 1)])
        let appended = try Self.copy(map: map, mid: [], midID: 0, transportCCID: 7, seq: 42)
        let plain = try withBytes(Self.video) { src in
            let p = try RTPPacket(parsing: src)
            var out = [UInt8](repeating: 0, count: 200)
            let n = try out.withUnsafeMutableBytes {
                try p.copy(into: $0, header: Self.header, extensionIDs: map, transportCCID: 7, transportSequenceNumber: 42)
            }
            return Array(out[0 ..< n])
        }
        #expect(appended == plain)
    }

    @Test func onlyTheAppendedElementStillMakesABlock() throws {
        let out = try Self.copy(map: RTPExtensionIDMap(), mid: Array("1".utf8), midID: 3, transportCCID: 0)
        #expect(hexString(out[12 ..< 20]) == "bede0001" + "3031" + "0000")
    }

    @Test func tooSmallBufferThrows() throws {
        try withBytes(Self.video) { src in
            let p = try RTPPacket(parsing: src)
            var out = [UInt8](repeating: 0, count: 30)
            let mid = Array("v1".utf8)
            #expect(throws: BufferTooSmall.self) {
                _ = try out.withUnsafeMutableBytes { dst in
                    try mid.withUnsafeBytes { v in
                        try p.copy(into: dst, header: Self.header, extensionIDs: .identity, appending: 9, value: v, reservingExtension: 7, length: 2)
                    }
                }
            }
        }
    }
}
