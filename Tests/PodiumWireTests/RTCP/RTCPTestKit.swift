import Testing
import PodiumTestSupport
@testable import PodiumWire

/// Helpers shared by the RTCP suites (namespaced to stay clear of other helpers' names).
enum RTCPTestKit {
    /// The kind of `ParseError` the body throws, or nil when it succeeds.
    static func errorKind(_ body: () throws(ParseError) -> Void) -> ParseError.Kind? {
        do {
            try body()
            return nil
        } catch {
            return error.kind
        }
    }

    /// Parses `bytes` as one packet, writes it back and returns the written bytes (nil on failure).
    static func rewrite(_ bytes: [UInt8]) throws -> [UInt8] {
        try withBytes(bytes) { buf in
            let packet = try RTCPPacket(parsing: buf)
            #expect(packet.encodedSize == bytes.count)
            var out = [UInt8](repeating: 0xEE, count: packet.encodedSize)
            let n = try out.withUnsafeMutableBytes { try packet.write(into: $0) }
            #expect(n == packet.encodedSize)
            // A buffer one byte short must be refused without writing past it.
            if n > 0 {
                var short = [UInt8](repeating: 0, count: n - 1)
                #expect(throws: BufferTooSmall.self) { try short.withUnsafeMutableBytes { try packet.write(into: $0) } }
            }
            return out
        }
    }

    /// Every strict prefix of `bytes` must fail to parse as a compound, with `.truncated` (except
    /// prefixes ending on a packet boundary of a compound, listed in `except`).
    static func expectTruncatedPrefixesFail(_ bytes: [UInt8], except: Set<Int> = [], sourceLocation: SourceLocation = #_sourceLocation) {
        for length in 0..<bytes.count where !except.contains(length) {
            let kind = withBytes(Array(bytes[0..<length])) { buf in
                errorKind { () throws(ParseError) in
                    let compound = try RTCPCompound(parsing: buf)
                    var it = compound.makeIterator()
                    while try it.next() != nil {}
                }
            }
            #expect(kind == .truncated, "prefix of \(length) bytes", sourceLocation: sourceLocation)
        }
    }

    /// Parses a whole datagram into packets and hands them to `body` while the bytes are alive.
    static func withPackets<R>(_ bytes: [UInt8], _ body: ([RTCPPacket]) throws -> R) throws -> R {
        try withBytes(bytes) { buf in
            let compound = try RTCPCompound(parsing: buf)
            var packets: [RTCPPacket] = []
            var it = compound.makeIterator()
            while let p = try it.next() { packets.append(p) }
            #expect(packets.count == compound.count)
            return try body(packets)
        }
    }

    /// Writes packets back to back with the compound writer.
    static func writeCompound(_ packets: [RTCPPacket]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: packets.reduce(0) { $0 + $1.encodedSize })
        let n = try out.withUnsafeMutableBytes { raw in
            try packets.withUnsafeBufferPointer { try RTCPCompoundWriter.write($0, into: raw) }
        }
        #expect(n == out.count)
        return out
    }

    static func bytes(_ p: UnsafeRawBufferPointer) -> [UInt8] { Array(p) }
    static func text(_ p: UnsafeRawBufferPointer) -> String { String(decoding: p, as: UTF8.self) }
}
