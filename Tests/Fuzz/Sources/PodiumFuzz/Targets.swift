import Podium

/// Every fuzz target, by name. Each target parses hostile bytes; a parse that succeeds must write back
/// and parse again to the same thing (round trip), and nothing may trap. One line per parser.
let fuzzTargets: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
    "byte-reader": fuzzByteReader,
]

@Sendable func fuzzByteReader(_ data: UnsafeRawBufferPointer) {
    var r = ByteReader(data)
    while !r.isAtEnd {
        guard let n = try? r.readUInt8() else { fuzzFailure("readUInt8 failed before end") }
        _ = try? r.readBytes(Int(n))
    }
}
