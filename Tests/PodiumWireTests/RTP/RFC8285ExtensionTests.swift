import Testing
import PodiumTestSupport
@testable import PodiumWire

/// The header extension examples of RFC 8285 §4.2 (one-byte) and §4.3 (two-byte), with concrete
/// ids and data, plus the id-15 and padding rules of §4.1–4.2.
@Suite struct RFC8285ExtensionTests {
    static let header = "90 60 00 01  00 00 00 00  00 00 00 01  // V=2 X=1 PT=96 seq=1 ts=0 SSRC=1\n"

    /// RFC 8285 §4.2 figure: ID L=0 data | ID L=1 data data | 0 | 0 | ID L=3 data×4.
    static let oneByteExample = hexBytes(header + """
        be de 00 03   // 0xBEDE, length=3
        10 a1         // ID=1 L=0 (1 byte)
        21 b1 b2      // ID=2 L=1 (2 bytes)
        00 00         // padding
        33 c1 c2 c3 c4 // ID=3 L=3 (4 bytes)
        ee            // payload
        """)

    /// RFC 8285 §4.3 figure: ID L=0 | ID L=1 data | 0 | ID L=4 data×4.
    static let twoByteExample = hexBytes(header + """
        10 00 00 03   // 0x100 appbits=0, length=3
        01 00         // ID=1 L=0 (no data)
        02 01 b1      // ID=2 L=1
        00            // padding
        03 04 c1 c2 c3 c4 // ID=3 L=4
        ee            // payload
        """)

    @Test func oneByteFormExample() throws {
        try withBytes(Self.oneByteExample) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.extensionForm == .oneByte)
            #expect(p.extensionCount == 3)
            #expect(try Array(#require(p.extension(id: 1))) == [0xa1])
            #expect(try Array(#require(p.extension(id: 2))) == [0xb1, 0xb2])
            #expect(try Array(#require(p.extension(id: 3))) == [0xc1, 0xc2, 0xc3, 0xc4])
            #expect(p.extensionElement(at: 2).valueOffset == 24)
            #expect(Array(p.payload) == [0xee])
        }
    }

    @Test func twoByteFormExample() throws {
        try withBytes(Self.twoByteExample) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.extensionForm == .twoByte)
            #expect(p.extensionAppBits == 0)
            #expect(p.extensionCount == 3)
            #expect(try #require(p.extension(id: 1)).isEmpty)
            #expect(try Array(#require(p.extension(id: 2))) == [0xb1])
            #expect(try Array(#require(p.extension(id: 3))) == [0xc1, 0xc2, 0xc3, 0xc4])
            #expect(Array(p.payload) == [0xee])
        }
    }

    @Test func twoByteAppBitsAndLargeIDs() throws {
        let bytes = hexBytes(Self.header + """
            10 0f 00 02   // 0x100, appbits=0xF, length=2
            ff 02 01 02   // ID=255 L=2
            0f 01 09 00   // ID=15 L=1 (legal in two-byte form), padding
            """)
        try withBytes(bytes) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.extensionForm == .twoByte && p.extensionAppBits == 0xF && p.extensionProfile == 0x100F)
            #expect(try Array(#require(p.extension(id: 255))) == [1, 2])
            #expect(try Array(#require(p.extension(id: 15))) == [9])
        }
    }

    /// RFC 8285 §4.2: "If the ID value 15 is encountered, its length field should be ignored,
    /// processing of the entire extension should terminate at that point".
    @Test func oneByteID15StopsParsing() throws {
        let bytes = hexBytes(Self.header + """
            be de 00 02
            10 a1         // ID=1 L=0
            f3            // ID=15: stop (L ignored)
            20 b1 00 00 00 // ID=2, never indexed
            """)
        try withBytes(bytes) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.extensionCount == 1)
            #expect(p.extension(id: 1) != nil && p.extension(id: 2) == nil)
        }
    }

    @Test func oneByteIDZeroWithLengthStopsParsing() throws {
        let bytes = hexBytes(Self.header + "be de 00 01  10 a1 05 20")
        try withBytes(bytes) { buf throws in
            #expect(try RTPPacket(parsing: buf).extensionCount == 1)
        }
    }

    @Test func paddingBetweenAndAfterElementsIsSkipped() throws {
        let bytes = hexBytes(Self.header + """
            be de 00 03
            00 00 00      // leading padding
            10 a1         // ID=1
            00 00         // padding
            20 b1         // ID=2
            00 00 00      // trailing padding
            """)
        try withBytes(bytes) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.extensions.map(\.id) == [1, 2])
            #expect(try Array(#require(p.extension(id: 2))) == [0xb1])
        }
    }

    @Test func duplicateIDReturnsFirst() throws {
        let bytes = hexBytes(Self.header + "be de 00 01  10 a1 10 a2")
        try withBytes(bytes) { buf throws in
            let p = try RTPPacket(parsing: buf)
            #expect(p.extensionCount == 2)
            #expect(try Array(#require(p.extension(id: 1))) == [0xa1])
        }
    }

    @Test func examplesRebuildIdenticallyWithTheBuilder() throws {
        // Rebuilding the one-byte example (without the padding the example inserts) from its
        // elements chooses the one-byte form; adding a zero-length element forces two-byte.
        try withBytes(Self.oneByteExample) { buf throws in
            let p = try RTPPacket(parsing: buf)
            var list = RTPExtensionList()
            for e in p.extensions { try list.append(id: e.id, value: e.value) }
            #expect(list.form == .oneByte)
            var out = [UInt8](repeating: 0xAA, count: 64)
            let n = try out.withUnsafeMutableBytes {
                try RTPPacket.write(header: p.header, extensions: list, payload: p.payload, into: $0)
            }
            #expect(hexString(out[..<n]) == hexString(hexBytes(Self.header + """
                be de 00 03  10 a1 21 b1  b2 33 c1 c2  c3 c4 00 00  ee
                """)))
            try list.append(id: 4, value: UnsafeRawBufferPointer(start: nil, count: 0))
            #expect(list.form == .twoByte)
        }
    }
}
