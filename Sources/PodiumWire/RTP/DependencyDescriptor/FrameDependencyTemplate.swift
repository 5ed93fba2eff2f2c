/// Per-frame dependency values of the Dependency Descriptor (AV1 RTP spec Appendix A.8.3, A.8.4):
/// decode target indications, frame diffs and chain diffs, in fixed inline storage.
///
///     DTI (2 bits per decode target)   0 = not present, 1 = discardable, 2 = switch, 3 = required
///     fdiff                            frame_number − referenced frame_number (1…4096)
///     chain fdiff                      frame_number − previous frame in that chain (0 = none)

/// How a frame matters to one decode target (AV1 RTP spec Table A.1).
public enum DecodeTargetIndication: UInt8, Sendable, CustomStringConvertible {
    case notPresent = 0
    case discardable = 1
    /// A switch indication: a decoder can start decoding this target at this frame.
    case `switch` = 2
    case required = 3

    public var description: String {
        switch self {
        case .notPresent: "-"
        case .discardable: "D"
        case .switch: "S"
        case .required: "R"
        }
    }
}

/// Up to 32 decode target indications, two bits each, decode target 0 in the low bits.
public struct DecodeTargetIndications: Sendable, Hashable, RandomAccessCollection, CustomStringConvertible {
    public static let capacity = 32
    @usableFromInline var packed: UInt64
    @usableFromInline var length: UInt8

    public init() {
        packed = 0
        length = 0
    }

    /// From a libwebrtc-style string such as `"-DS"` (test and builder convenience).
    public init?(_ text: String) {
        self.init()
        for c in text {
            let dti: DecodeTargetIndication
            switch c {
            case "-": dti = .notPresent
            case "D": dti = .discardable
            case "S": dti = .switch
            case "R": dti = .required
            default: return nil
            }
            guard append(dti) else { return nil }
        }
    }

    @discardableResult
    public mutating func append(_ dti: DecodeTargetIndication) -> Bool {
        if Int(length) == Self.capacity { return false }
        packed |= UInt64(dti.rawValue) << (2 * UInt64(length))
        length += 1
        return true
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { Int(length) }
    @inlinable
    public subscript(position: Int) -> DecodeTargetIndication {
        precondition(position >= 0 && position < Int(length), "decode target out of range")
        return DecodeTargetIndication(rawValue: UInt8(truncatingIfNeeded: packed >> (2 * UInt64(position))) & 3)!
    }

    public var description: String { map(\.description).joined() }
}

/// Up to `capacity` frame diffs (template diffs are 1…16, custom ones up to 4096).
public struct FrameDiffs: Sendable, Equatable, RandomAccessCollection, CustomStringConvertible {
    public static let capacity = 8
    @usableFromInline var storage: InlineArray<8, UInt16>
    @usableFromInline var length: UInt8

    public init() {
        storage = .init(repeating: 0)
        length = 0
    }

    public init?(_ values: [Int]) {
        self.init()
        for v in values { guard v >= 1, v <= 4096, append(UInt16(v)) else { return nil } }
    }

    @discardableResult
    public mutating func append(_ diff: UInt16) -> Bool {
        if Int(length) == Self.capacity { return false }
        storage[Int(length)] = diff
        length += 1
        return true
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { Int(length) }
    @inlinable public subscript(position: Int) -> Int {
        precondition(position >= 0 && position < Int(length), "frame diff out of range")
        return Int(storage[position])
    }

    public static func == (a: FrameDiffs, b: FrameDiffs) -> Bool { a.elementsEqual(b) }
    public var description: String { "[" + map(String.init).joined(separator: ",") + "]" }
}

/// One chain diff per chain (up to 32; template chain diffs are 0…15, custom ones 0…255).
public struct ChainDiffs: Sendable, Equatable, RandomAccessCollection, CustomStringConvertible {
    public static let capacity = 32
    @usableFromInline var storage: InlineArray<32, UInt8>
    @usableFromInline var length: UInt8

    public init() {
        storage = .init(repeating: 0)
        length = 0
    }

    public init?(_ values: [Int]) {
        self.init()
        for v in values { guard v >= 0, v <= 255, append(UInt8(v)) else { return nil } }
    }

    @discardableResult
    public mutating func append(_ diff: UInt8) -> Bool {
        if Int(length) == Self.capacity { return false }
        storage[Int(length)] = diff
        length += 1
        return true
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { Int(length) }
    @inlinable public subscript(position: Int) -> Int {
        precondition(position >= 0 && position < Int(length), "chain out of range")
        return Int(storage[position])
    }

    public static func == (a: ChainDiffs, b: ChainDiffs) -> Bool { a.elementsEqual(b) }
    public var description: String { "[" + map(String.init).joined(separator: ",") + "]" }
}

/// A frame dependency template (AV1 RTP spec A.8.3): the layer a frame belongs to and its
/// dependencies, shared by reference (`frame_dependency_template_id`) across packets.
public struct FrameDependencyTemplate: Sendable, Equatable, CustomStringConvertible {
    public var spatialID: Int
    public var temporalID: Int
    public var decodeTargetIndications: DecodeTargetIndications
    public var frameDiffs: FrameDiffs
    public var chainDiffs: ChainDiffs

    public init(spatialID: Int, temporalID: Int, decodeTargetIndications: DecodeTargetIndications,
                frameDiffs: FrameDiffs = FrameDiffs(), chainDiffs: ChainDiffs = ChainDiffs()) {
        self.spatialID = spatialID
        self.temporalID = temporalID
        self.decodeTargetIndications = decodeTargetIndications
        self.frameDiffs = frameDiffs
        self.chainDiffs = chainDiffs
    }

    public var description: String {
        "S\(spatialID)T\(temporalID) dtis=\(decodeTargetIndications) fdiffs=\(frameDiffs) chains=\(chainDiffs)"
    }
}

/// Maximum render resolution of a spatial layer (AV1 RTP spec A.8.3 render_resolutions).
public struct RenderResolution: Sendable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
    public var description: String { "\(width)x\(height)" }
}
