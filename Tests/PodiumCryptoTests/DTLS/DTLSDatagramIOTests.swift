import Testing
@testable import PodiumCrypto

/// The datagram queue under the custom BIO: packing records into MTU-sized datagrams, datagram
/// boundaries between calls, and the fixed bound when the caller does not drain.
@Suite struct DTLSDatagramIOTests {
    private static func record(_ byte: UInt8, _ count: Int) -> [UInt8] { [UInt8](repeating: byte, count: count) }

    private static func drained(_ io: DTLSDatagramIO) -> [[UInt8]] {
        var out: [[UInt8]] = []
        io.drain { out.append(Array($0)) }
        return out
    }

    @Test func recordsOfOneCallShareADatagramUpToTheMTU() {
        let io = DTLSDatagramIO(mtu: 300)
        for (byte, count) in [(1, 100), (2, 150), (3, 100)] as [(UInt8, Int)] {
            #expect(Self.record(byte, count).withUnsafeBytes { io.enqueue($0) })
        }
        // 100 + 150 fit in 300; the third record would exceed it and starts a new datagram.
        let datagrams = Self.drained(io)
        #expect(datagrams.map(\.count) == [250, 100])
        #expect(datagrams[0] == Self.record(1, 100) + Self.record(2, 150))
        #expect(io.datagramsOut == 2 && io.bytesOut == 350)
        #expect(Self.drained(io).isEmpty)
    }

    @Test func closeDatagramSeparatesCalls() {
        let io = DTLSDatagramIO(mtu: 1200)
        _ = Self.record(1, 10).withUnsafeBytes { io.enqueue($0) }
        io.closeDatagram()
        _ = Self.record(2, 10).withUnsafeBytes { io.enqueue($0) }
        #expect(Self.drained(io).map(\.first) == [1, 2])
    }

    @Test func queueIsBoundedAndOversizedRecordsAreDropped() {
        let io = DTLSDatagramIO(mtu: 256, slotCapacity: 16)
        for i in 0..<20 {
            #expect(Self.record(UInt8(i), 256).withUnsafeBytes { io.enqueue($0) } == (i < 16))
        }
        #expect(!Self.record(0, 257).withUnsafeBytes { io.enqueue($0) })
        #expect(io.droppedOutgoing == 5)
        let datagrams = Self.drained(io)
        #expect(datagrams.count == 16)
        #expect(datagrams.allSatisfy { $0.count == 256 })
        #expect(datagrams.map(\.first) == (0..<16).map { UInt8($0) })
        // Room again after draining.
        #expect(Self.record(9, 10).withUnsafeBytes { io.enqueue($0) })
    }

    @Test func looksLikeDTLS() {
        let valid: [UInt8] = [22, 0xFE, 0xFD] + [UInt8](repeating: 0, count: 10)
        #expect(valid.withUnsafeBytes { DTLSSession.looksLikeDTLS($0) })
        #expect(!Array(valid.prefix(12)).withUnsafeBytes { DTLSSession.looksLikeDTLS($0) })
        for first: UInt8 in [0, 1, 19, 26, 63, 128, 255] {
            let d = [first] + valid.dropFirst()
            #expect(!d.withUnsafeBytes { DTLSSession.looksLikeDTLS($0) })
        }
        let wrongVersion: [UInt8] = [22, 0x03, 0x03] + [UInt8](repeating: 0, count: 10)
        #expect(!wrongVersion.withUnsafeBytes { DTLSSession.looksLikeDTLS($0) })
    }
}
