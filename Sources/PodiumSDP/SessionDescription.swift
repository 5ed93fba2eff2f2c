/// A session description (RFC 8866 §5) as WebRTC uses it (JSEP, RFC 9429; unified plan: one media
/// section per track, RFC 9429 §5.2.1).
///
///     v=0
///     o=- 4237717916049234015 2 IN IP4 127.0.0.1
///     s=-
///     t=0 0
///     a=group:BUNDLE 0 1            ← session attributes, in order
///     m=audio 9 UDP/TLS/RTP/SAVPF 111 ...
///     a=mid:0                       ← media attributes, in order
///     m=video 9 UDP/TLS/RTP/SAVPF 96 97
///     ...
///
/// `init(parsing:)` checks the limits of `SDPLimits` and the grammar of every typed attribute and
/// keeps every other line as written; `description` serializes with CRLF line ends, reproducing
/// the parsed lines in order. Values are normalized where the grammar allows runs of spaces.
public struct SessionDescription: Sendable, Hashable, CustomStringConvertible {
    public var origin: SDPOrigin
    public var sessionName: String
    public var information: String?
    public var uri: String?
    public var emails: [String]
    public var phones: [String]
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]
    public var timings: [SDPTiming]
    public var timeZones: String?
    public var encryptionKey: String?
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    public init(origin: SDPOrigin, sessionName: String = "-", information: String? = nil, uri: String? = nil,
                emails: [String] = [], phones: [String] = [], connection: SDPConnection? = nil,
                bandwidths: [SDPBandwidth] = [], timings: [SDPTiming] = [SDPTiming()], timeZones: String? = nil,
                encryptionKey: String? = nil, attributes: [SDPAttribute] = [], media: [MediaDescription] = []) {
        self.origin = origin
        self.sessionName = sessionName
        self.information = information
        self.uri = uri
        self.emails = emails
        self.phones = phones
        self.connection = connection
        self.bandwidths = bandwidths
        self.timings = timings
        self.timeZones = timeZones
        self.encryptionKey = encryptionKey
        self.attributes = attributes
        self.media = media
    }

    // MARK: Session-level attributes

    public var groups: [SDPGroup] { attributes.compactMap { if case .group(let g) = $0 { g } else { nil } } }
    /// The first BUNDLE group (RFC 9143).
    public var bundleGroup: SDPGroup? { groups.first { $0.isBundle } }
    public var isICELite: Bool { attributes.contains(.iceLite) }
    public var isExtmapAllowMixed: Bool { attributes.contains(.extmapAllowMixed) }
    public var iceUfrag: String? { attributes.lazy.compactMap { if case .iceUfrag(let u) = $0 { u } else { nil } }.first }
    public var icePwd: String? { attributes.lazy.compactMap { if case .icePwd(let p) = $0 { p } else { nil } }.first }
    public var iceOptions: [String] { attributes.flatMap { a -> [String] in if case .iceOptions(let o) = a { o } else { [] } } }
    public var fingerprints: [SDPFingerprint] { attributes.compactMap { if case .fingerprint(let f) = $0 { f } else { nil } } }
    public var setup: SDPSetup? { attributes.lazy.compactMap { if case .setup(let s) = $0 { s } else { nil } }.first }
    public var direction: SDPDirection? { attributes.lazy.compactMap { if case .direction(let d) = $0 { d } else { nil } }.first }
    public var headerExtensions: [SDPExtMap] { attributes.compactMap { if case .extmap(let e) = $0 { e } else { nil } } }

    // MARK: Media-level values with the session-level fallback (RFC 8839 §5.4, RFC 8842 §5.1)

    public func media(mid: String) -> MediaDescription? { media.first { $0.mid == mid } }
    public func iceUfrag(of m: MediaDescription) -> String? { m.iceUfrag ?? iceUfrag }
    public func icePwd(of m: MediaDescription) -> String? { m.icePwd ?? icePwd }
    public func fingerprints(of m: MediaDescription) -> [SDPFingerprint] { m.fingerprints.isEmpty ? fingerprints : m.fingerprints }
    public func setup(of m: MediaDescription) -> SDPSetup? { m.setup ?? setup }
    /// The media direction, else the session direction, else sendrecv (RFC 8866 §6.7).
    public func direction(of m: MediaDescription) -> SDPDirection { m.direction ?? direction ?? .sendrecv }
    /// Whether the media section is in the first BUNDLE group.
    public func isBundled(_ m: MediaDescription) -> Bool {
        guard let mid = m.mid, let group = bundleGroup else { return false }
        return group.mids.contains(mid)
    }

    // MARK: Serialization

    /// The description with CRLF line ends (RFC 8866 §5), lines in RFC order, attributes in order.
    public var description: String {
        var out = ""
        out.reserveCapacity(4096)
        func line(_ type: String, _ value: String) { out += type; out += value; out += "\r\n" }
        line("v=", "0")
        line("o=", origin.lineValue)
        line("s=", sessionName)
        if let information { line("i=", information) }
        if let uri { line("u=", uri) }
        for e in emails { line("e=", e) }
        for p in phones { line("p=", p) }
        if let connection { line("c=", connection.lineValue) }
        for b in bandwidths { line("b=", b.lineValue) }
        for t in timings {
            line("t=", "\(t.start) \(t.stop)")
            for r in t.repeats { line("r=", r) }
        }
        if let timeZones { line("z=", timeZones) }
        if let encryptionKey { line("k=", encryptionKey) }
        for a in attributes { out += a.description; out += "\r\n" }
        for m in media {
            var mline = "\(m.kind.rawValue) \(m.port)"
            if let n = m.portCount { mline += "/\(n)" }
            mline += " \(m.proto)"
            for f in m.formats { mline += " \(f)" }
            line("m=", mline)
            if let i = m.information { line("i=", i) }
            for c in m.connections { line("c=", c.lineValue) }
            for b in m.bandwidths { line("b=", b.lineValue) }
            if let k = m.encryptionKey { line("k=", k) }
            for a in m.attributes { out += a.description; out += "\r\n" }
        }
        return out
    }
}
