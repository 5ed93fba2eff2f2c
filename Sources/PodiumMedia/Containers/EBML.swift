/// EBML (RFC 8794), the binary format under Matroska and WebM (RFC 9559).
///
/// An element is `ID | size | data`. Both the ID and the size are variable-length integers: the
/// count of leading zero bits in the first byte, plus one, is the length; the marker bit is part of
/// an ID but not of a size.
///
///     1xxx xxxx                         1 byte   (sizes 0 ... 2^7 - 2)
///     01xx xxxx  xxxx xxxx              2 bytes  (sizes 0 ... 2^14 - 2)
///     ...
///     0000 0001  xxxx xxxx × 7          8 bytes
///
/// A size whose value bits are all ones means "unknown": the element runs until an element that
/// cannot be its child (Chromium's MediaRecorder writes Segment and Cluster that way).
public enum EBMLID {
    public static let ebml: UInt32 = 0x1A45_DFA3
    public static let ebmlVersion: UInt32 = 0x4286
    public static let ebmlReadVersion: UInt32 = 0x42F7
    public static let ebmlMaxIDLength: UInt32 = 0x42F2
    public static let ebmlMaxSizeLength: UInt32 = 0x42F3
    public static let docType: UInt32 = 0x4282
    public static let docTypeVersion: UInt32 = 0x4287
    public static let docTypeReadVersion: UInt32 = 0x4285
    public static let void: UInt32 = 0xEC
    public static let crc32: UInt32 = 0xBF

    public static let segment: UInt32 = 0x1853_8067
    public static let seekHead: UInt32 = 0x114D_9B74
    public static let seek: UInt32 = 0x4DBB
    public static let seekID: UInt32 = 0x53AB
    public static let seekPosition: UInt32 = 0x53AC
    public static let info: UInt32 = 0x1549_A966
    public static let timecodeScale: UInt32 = 0x2A_D7B1
    public static let duration: UInt32 = 0x4489
    public static let muxingApp: UInt32 = 0x4D80
    public static let writingApp: UInt32 = 0x5741
    public static let tracks: UInt32 = 0x1654_AE6B
    public static let trackEntry: UInt32 = 0xAE
    public static let trackNumber: UInt32 = 0xD7
    public static let trackUID: UInt32 = 0x73C5
    public static let trackType: UInt32 = 0x83
    public static let flagLacing: UInt32 = 0x9C
    public static let language: UInt32 = 0x22_B59C
    public static let codecID: UInt32 = 0x86
    public static let codecPrivate: UInt32 = 0x63A2
    public static let codecDelay: UInt32 = 0x56AA
    public static let seekPreRoll: UInt32 = 0x56BB
    public static let defaultDuration: UInt32 = 0x23_E383
    public static let video: UInt32 = 0xE0
    public static let pixelWidth: UInt32 = 0xB0
    public static let pixelHeight: UInt32 = 0xBA
    public static let audio: UInt32 = 0xE1
    public static let samplingFrequency: UInt32 = 0xB5
    public static let channels: UInt32 = 0x9F
    public static let cluster: UInt32 = 0x1F43_B675
    public static let timecode: UInt32 = 0xE7
    public static let position: UInt32 = 0xA7
    public static let prevSize: UInt32 = 0xAB
    public static let silentTracks: UInt32 = 0x5854
    public static let simpleBlock: UInt32 = 0xA3
    public static let blockGroup: UInt32 = 0xA0
    public static let block: UInt32 = 0xA1
    public static let encryptedBlock: UInt32 = 0xAF
    public static let blockDuration: UInt32 = 0x9B
    public static let referenceBlock: UInt32 = 0xFB
    public static let cues: UInt32 = 0x1C53_BB6B
    public static let cuePoint: UInt32 = 0xBB
    public static let cueTime: UInt32 = 0xB3
    public static let cueTrackPositions: UInt32 = 0xB7
    public static let cueTrack: UInt32 = 0xF7
    public static let cueClusterPosition: UInt32 = 0xF1
    public static let tags: UInt32 = 0x1254_C367
    public static let chapters: UInt32 = 0x1043_A770
    public static let attachments: UInt32 = 0x1941_A469
}

/// Decoding of EBML variable-length integers and element payloads over in-memory bytes.
enum EBML {
    static let unknownSize = UInt64.max

    /// Length of a variable-length integer from its first byte (0 if the first byte is 0).
    @inline(__always)
    static func vintLength(_ first: UInt8) -> Int { first == 0 ? 0 : first.leadingZeroBitCount + 1 }

    /// Reads an element ID (1...4 bytes, marker kept) at `o`.
    static func readID(_ b: UnsafeRawBufferPointer, _ o: inout Int, base: Int64) throws(ContainerError) -> UInt32 {
        guard o < b.count else { throw ContainerError(.truncated, at: base + Int64(o), "EBML element ID") }
        let n = vintLength(b[o])
        guard n >= 1, n <= 4 else { throw ContainerError(.malformed, at: base + Int64(o), "EBML element ID longer than 4 bytes") }
        guard o + n <= b.count else { throw ContainerError(.truncated, at: base + Int64(o), "EBML element ID") }
        var v: UInt32 = 0
        for i in 0..<n { v = v << 8 | UInt32(b[o + i]) }
        o += n
        return v
    }

    /// Reads a size (or a SimpleBlock track number): 1...8 bytes, marker removed; all ones →
    /// `unknownSize`.
    static func readSize(_ b: UnsafeRawBufferPointer, _ o: inout Int, base: Int64) throws(ContainerError) -> UInt64 {
        guard o < b.count else { throw ContainerError(.truncated, at: base + Int64(o), "EBML element size") }
        let n = vintLength(b[o])
        guard n >= 1 else { throw ContainerError(.malformed, at: base + Int64(o), "EBML size longer than 8 bytes") }
        guard o + n <= b.count else { throw ContainerError(.truncated, at: base + Int64(o), "EBML element size") }
        var v = UInt64(b[o]) & (0xFF >> UInt64(n))
        var allOnes = v == (0xFF >> UInt64(n))
        for i in 1..<max(n, 1) {
            v = v << 8 | UInt64(b[o + i])
            if b[o + i] != 0xFF { allOnes = false }
        }
        o += n
        return allOnes ? unknownSize : v
    }

    static func uint(_ b: ArraySlice<UInt8>, at offset: Int64) throws(ContainerError) -> UInt64 {
        guard b.count <= 8 else { throw ContainerError(.malformed, at: offset, "EBML unsigned integer longer than 8 bytes") }
        return b.reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func float(_ b: ArraySlice<UInt8>, at offset: Int64) throws(ContainerError) -> Double {
        let raw = b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        switch b.count {
        case 0: return 0
        case 4: return Double(Float(bitPattern: UInt32(raw)))
        case 8: return Double(bitPattern: raw)
        default: throw ContainerError(.malformed, at: offset, "EBML float of \(b.count) bytes (must be 0, 4 or 8)")
        }
    }

    static func string(_ b: ArraySlice<UInt8>) -> String {
        let end = b.firstIndex(of: 0) ?? b.endIndex
        return String(decoding: b[b.startIndex..<end], as: UTF8.self)
    }

    /// Calls `body(id, payload, payloadOffset)` for each child element of an in-memory master
    /// element's payload. Children must lie inside the payload; unknown sizes are refused here.
    static func children(_ payload: ArraySlice<UInt8>, base: Int64,
                         _ body: (UInt32, ArraySlice<UInt8>, Int64) throws(ContainerError) -> Void) throws(ContainerError) {
        var failure: ContainerError?
        var items: [(UInt32, Range<Int>)] = []
        payload.withUnsafeBytes { b in
            do throws(ContainerError) {
                var o = 0
                while o < b.count {
                    let start = o
                    let id = try readID(b, &o, base: base)
                    let size = try readSize(b, &o, base: base)
                    guard size != unknownSize else {
                        throw ContainerError(.unsupported, at: base + Int64(start), "EBML unknown size inside a sized element")
                    }
                    guard size <= UInt64(b.count - o) else {
                        throw ContainerError(.malformed, at: base + Int64(start), "EBML element larger than its parent")
                    }
                    items.append((id, o..<o + Int(size)))
                    o += Int(size)
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        for (id, r) in items {
            let s = payload.startIndex
            try body(id, payload[s + r.lowerBound..<s + r.upperBound], base + Int64(r.lowerBound))
        }
    }
}

/// Builds EBML elements into a byte array (header, tracks, cues, a cluster's body).
struct EBMLWriter {
    var bytes: [UInt8] = []

    static func idBytes(_ id: UInt32) -> [UInt8] {
        let n = id > 0xFF_FFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1
        return (0..<n).reversed().map { UInt8(truncatingIfNeeded: id >> (8 * UInt32($0))) }
    }

    /// The shortest size encoding of `value` (or `length` bytes when given).
    static func sizeBytes(_ value: UInt64, length: Int? = nil) -> [UInt8] {
        var n = 1
        while n < 8 && value >= (UInt64(1) << (7 * UInt64(n))) - 1 { n += 1 }
        if let length { n = max(n, length) }
        var out = (0..<n).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        out[0] |= UInt8(0x80 >> (n - 1))
        return out
    }

    mutating func id(_ id: UInt32) { bytes += Self.idBytes(id) }
    mutating func size(_ v: UInt64, length: Int? = nil) { bytes += Self.sizeBytes(v, length: length) }

    mutating func uint(_ id: UInt32, _ v: UInt64, length: Int? = nil) {
        var n = 1
        while n < 8 && v >> (8 * UInt64(n)) != 0 { n += 1 }
        if let length { n = max(n, length) }
        self.id(id)
        size(UInt64(n))
        for i in (0..<n).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    mutating func float(_ id: UInt32, _ v: Double) {
        self.id(id)
        size(8)
        let raw = v.bitPattern
        for i in (0..<8).reversed() { bytes.append(UInt8(truncatingIfNeeded: raw >> (8 * UInt64(i)))) }
    }

    mutating func string(_ id: UInt32, _ s: String) { binary(id, Array(s.utf8)) }

    mutating func binary(_ id: UInt32, _ b: [UInt8]) {
        self.id(id)
        size(UInt64(b.count))
        bytes += b
    }

    mutating func master(_ id: UInt32, _ build: (inout EBMLWriter) -> Void) {
        var child = EBMLWriter()
        build(&child)
        binary(id, child.bytes)
    }
}
