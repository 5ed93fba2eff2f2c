import Testing
import PodiumTestSupport
@testable import PodiumWire

@Test func byteReaderRejectsTruncation() throws {
    let bytes = hexBytes("01 02 03")
    withBytes(bytes) { buf in
        var r = ByteReader(buf)
        #expect(throws: ParseError(.truncated, at: 0, "x")) { try r.readUInt32("x") }
        #expect(try! r.readUInt16() == 0x0102)
        #expect(try! r.readUInt8() == 3)
        #expect(r.isAtEnd)
    }
}
