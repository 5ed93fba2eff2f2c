import Foundation
import Podium
import PodiumTestSupport
import Testing

/// Keeps the README's embedding example compiling and true: the same code, run on real input.
@Suite struct ReadmeExampleTests {
    // From README.md, "Embedding".
    func forward(_ datagram: UnsafeRawBufferPointer, into slot: UnsafeMutableRawBufferPointer,
                 map: RTPExtensionIDMap, seq: UInt16) throws -> Int {
        let packet = try RTPPacket(parsing: datagram)
        let header = RTPHeader(marker: packet.marker, payloadType: 96, sequenceNumber: seq,
                               timestamp: packet.timestamp, ssrc: 0x1234_5678)
        return try packet.copy(into: slot, header: header, extensionIDs: map).count
    }

    @Test func forwardingExampleRewritesTheHeader() throws {
        let packet = hexBytes("""
            90 6f 00 01  00 00 10 00  de ad be ef   // V=2 X=1 PT=111 seq=1 ts=4096 ssrc
            be de 00 01  40 31 00 00                // one-byte ext: id 4 mid "1", padding
            aa bb cc                                // payload
            """)
        var map = RTPExtensionIDMap()
        map[4] = 9
        var slot = [UInt8](repeating: 0, count: 64)
        let n = try withBytes(packet) { datagram in
            try slot.withUnsafeMutableBytes { try forward(datagram, into: $0, map: map, seq: 7) }
        }
        #expect(hexString(slot[0..<n]) == "906000070000100012345678bede000190310000aabbcc")
    }

    @Test func sdpExampleListsSimulcastLayers() throws {
        let sdpText = try String(contentsOf: localFixtures.appendingPathComponent("sdp/chromium-156-publisher-simulcast.sdp"), encoding: .utf8)
        // From README.md, "Embedding".
        let offer = try SessionDescription(parsing: sdpText)
        var lines: [String] = []
        for media in offer.media { lines.append("\(media.mid ?? "-") \(media.kind) \(media.rids.map(\.id))") }
        #expect(lines == ["0 audio []", "1 video [\"q\", \"h\", \"f\"]"])
    }
}
