/// RTP payload type mapping (RFC 8866 §6.6), format parameters (§6.15) and feedback (RFC 4585 §4.2).
///
///     a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
///     a=fmtp:<payload type> <format specific parameters>
///     a=rtcp-fb:<payload type | *> <type> [<parameter>...]
///
///     a=rtpmap:111 opus/48000/2
///     a=fmtp:111 minptime=10;useinbandfec=1
///     a=rtcp-fb:96 nack pli
public struct SDPRTPMap: Sendable, Hashable {
    public var payloadType: UInt8
    /// As written ("VP8", "opus", "rtx"); compare case-insensitively (RFC 8866 §6.6).
    public var encodingName: String
    public var clockRate: UInt32
    /// Encoding parameters: the channel count for audio; nil when absent.
    public var channels: UInt16?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: UInt16? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard words.count == 2 else {
            throw SDPError(.malformed, "a=rtpmap needs '<payload type> <encoding>/<clock rate>[/<channels>]'")
        }
        payloadType = try sdpRequirePayloadType(words[0])
        let parts = words[1].sdpSplit(UInt8(ascii: "/"))
        guard parts.count == 2 || parts.count == 3 else {
            throw SDPError(.malformed, "a=rtpmap encoding '\(words[1].sdpExcerpt)' must be '<name>/<clock rate>[/<channels>]'")
        }
        encodingName = try sdpRequireToken(parts[0], "a=rtpmap encoding name", maxLength: 64)
        clockRate = try sdpRequireNumber(parts[1], UInt32(1)...UInt32.max, "a=rtpmap clock rate")
        channels = parts.count == 3 ? try sdpRequireNumber(parts[2], UInt16(1)...UInt16.max, "a=rtpmap channels") : nil
    }

    public var attributeValue: String {
        "\(payloadType) \(encodingName)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}

/// Format parameters of one payload type (RFC 8866 §6.15). The text is kept as written (it is
/// format-specific); `parameters` reads it as the usual `key=value;key=value` list.
public struct SDPFormatParameters: Sendable, Hashable {
    public var payloadType: UInt8
    /// The parameters as written after the payload type, e.g. "minptime=10;useinbandfec=1".
    public var text: String

    public init(payloadType: UInt8, text: String) {
        self.payloadType = payloadType
        self.text = text
    }

    /// Builds the text from ordered parameters, joined with ";".
    public init(payloadType: UInt8, parameters: [SDPFormatParameter]) {
        self.payloadType = payloadType
        self.text = parameters.map(\.description).joined(separator: ";")
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let trimmed = value.sdpTrimmed
        let (pt, rest) = trimmed.sdpSplitOnce(UInt8(ascii: " ")) ?? (trimmed, Substring())
        payloadType = try sdpRequirePayloadType(pt)
        text = String(rest.sdpTrimmed)
        // Why: apt (RFC 4588 §8.1) links RTX to its codec; a wrong value would silently unlink it.
        if text.utf8.count >= 4, text.lowercased().contains("apt="), let apt = parameter("apt"), sdpNumber(Substring(apt), UInt8(0)...127) == nil {
            throw SDPError(.invalidPayloadType, "a=fmtp apt '\(apt.sdpExcerpt)' is not a payload type in 0...127")
        }
    }

    /// The `;`-separated parameters, trimmed, split at the first `=` (a piece without `=` has a
    /// nil value, e.g. RED's "111/111").
    public var parameters: [SDPFormatParameter] {
        Substring(text).sdpSplit(UInt8(ascii: ";")).compactMap { piece in
            let p = piece.sdpTrimmed
            if p.isEmpty { return nil }
            if let (k, v) = p.sdpSplitOnce(UInt8(ascii: "=")) {
                return SDPFormatParameter(key: String(k.sdpTrimmed), value: String(v.sdpTrimmed))
            }
            return SDPFormatParameter(key: String(p), value: nil)
        }
    }

    /// The value of a parameter; keys compare case-insensitively (RFC 8866 §6.15 leaves case to
    /// the format, and the common ones are case-insensitive).
    public func parameter(_ key: String) -> String? {
        let k = key.lowercased()
        return parameters.first { $0.key.lowercased() == k }?.value
    }

    public var attributeValue: String { text.isEmpty ? "\(payloadType)" : "\(payloadType) \(text)" }
}

/// One `key=value` (or bare `key`) of an a=fmtp line.
public struct SDPFormatParameter: Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var value: String?
    public init(key: String, value: String?) { self.key = key; self.value = value }
    public var description: String { value.map { "\(key)=\($0)" } ?? key }
}

/// RTCP feedback capability (RFC 4585 §4.2), for one payload type or all (`*`).
public struct SDPRTCPFeedback: Sendable, Hashable, CustomStringConvertible {
    /// nil for the wildcard `*`.
    public var payloadType: UInt8?
    /// "nack", "ccm", "goog-remb", "transport-cc", "trr-int"…
    public var type: String
    /// "pli" in "nack pli", "fir" in "ccm fir"; words joined with one space.
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    init(attributeValue value: Substring) throws(SDPError) {
        let words = value.sdpWords
        guard words.count >= 2 else { throw SDPError(.malformed, "a=rtcp-fb needs '<payload type|*> <type> [<parameter>]'") }
        try sdpRequireListSize(words.count, "a=rtcp-fb")
        payloadType = words[0] == "*" ? nil : try sdpRequirePayloadType(words[0])
        type = try sdpRequireToken(words[1], "a=rtcp-fb type", maxLength: 64)
        parameter = words.count > 2 ? words[2...].joined(separator: " ") : nil
    }

    public var attributeValue: String {
        (payloadType.map(String.init) ?? "*") + " " + description
    }

    /// "nack pli", "transport-cc".
    public var description: String { parameter.map { "\(type) \($0)" } ?? type }
}

/// A codec offered in a media section: its rtpmap (or static payload type, RFC 3551), fmtp and
/// rtcp-fb lines gathered under one payload type. A view built from the attributes.
public struct SDPCodec: Sendable, Hashable, CustomStringConvertible {
    public var payloadType: UInt8
    public var name: String
    public var clockRate: UInt32
    public var channels: UInt16?
    /// From a=fmtp, in order; empty without one.
    public var parameters: [SDPFormatParameter]
    /// From a=rtcp-fb for this payload type, then the wildcard (`*`) ones.
    public var feedback: [SDPRTCPFeedback]
    /// For an RTX codec: the payload type it repairs (fmtp `apt`, RFC 4588 §8.1).
    public var associatedPayloadType: UInt8?
    /// For a media codec: the RTX payload type whose `apt` points at it.
    public var rtxPayloadType: UInt8?

    public init(payloadType: UInt8, name: String, clockRate: UInt32, channels: UInt16? = nil,
                parameters: [SDPFormatParameter] = [], feedback: [SDPRTCPFeedback] = [],
                associatedPayloadType: UInt8? = nil, rtxPayloadType: UInt8? = nil) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.feedback = feedback
        self.associatedPayloadType = associatedPayloadType
        self.rtxPayloadType = rtxPayloadType
    }

    /// Case-insensitive name match ("vp8" matches "VP8").
    public func isNamed(_ other: String) -> Bool { name.lowercased() == other.lowercased() }
    public var isRTX: Bool { isNamed("rtx") }
    /// RED, ULPFEC, FlexFEC, CN, telephone-event: not a media codec of its own.
    public var isAuxiliary: Bool {
        ["rtx", "red", "ulpfec", "cn", "telephone-event"].contains(name.lowercased()) || name.lowercased().hasPrefix("flexfec")
    }

    public func parameter(_ key: String) -> String? {
        let k = key.lowercased()
        return parameters.first { $0.key.lowercased() == k }?.value
    }

    public func hasFeedback(_ type: String, _ parameter: String? = nil) -> Bool {
        feedback.contains { $0.type == type && $0.parameter == parameter }
    }

    /// "96 VP8/90000", "111 opus/48000/2".
    public var description: String {
        "\(payloadType) \(name)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }

    /// Static payload types (RFC 3551 §6, tables 4 and 5) that may be used without an a=rtpmap.
    public static func staticPayloadType(_ pt: UInt8) -> (name: String, clockRate: UInt32, channels: UInt16?)? {
        switch pt {
        case 0: ("PCMU", 8000, nil)
        case 3: ("GSM", 8000, nil)
        case 4: ("G723", 8000, nil)
        case 5: ("DVI4", 8000, nil)
        case 6: ("DVI4", 16000, nil)
        case 7: ("LPC", 8000, nil)
        case 8: ("PCMA", 8000, nil)
        case 9: ("G722", 8000, nil)
        case 10: ("L16", 44100, 2)
        case 11: ("L16", 44100, nil)
        case 12: ("QCELP", 8000, nil)
        case 13: ("CN", 8000, nil)
        case 14: ("MPA", 90000, nil)
        case 15: ("G728", 8000, nil)
        case 16: ("DVI4", 11025, nil)
        case 17: ("DVI4", 22050, nil)
        case 18: ("G729", 8000, nil)
        case 25: ("CelB", 90000, nil)
        case 26: ("JPEG", 90000, nil)
        case 28: ("nv", 90000, nil)
        case 31: ("H261", 90000, nil)
        case 32: ("MPV", 90000, nil)
        case 33: ("MP2T", 90000, nil)
        case 34: ("H263", 90000, nil)
        default: nil
        }
    }
}
