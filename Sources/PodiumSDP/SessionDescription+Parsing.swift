/// Line-by-line parser for `SessionDescription` (RFC 8866 §5: `<type>=<value>` lines, CRLF or LF).
extension SessionDescription {
    /// Parses a description. Throws `SDPError` with the 1-based line number for every limit of
    /// `SDPLimits`, for lines out of place, and for typed attributes that break their grammar.
    public init(parsing text: String) throws(SDPError) {
        let bytes = text.utf8
        guard bytes.count <= SDPLimits.maxBytes else {
            throw SDPError(.tooLarge, "the description is \(bytes.count) bytes; at most \(SDPLimits.maxBytes) are accepted")
        }
        var state = ParseState()
        var lineNumber = 0
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(raw)
            if line.utf8.last == UInt8(ascii: "\r") { line = Substring(line.utf8.dropLast()) }
            if line.isEmpty { continue }
            do {
                try state.consume(line)
            } catch {
                var e = error
                e.line = lineNumber
                e.detail += " (in \"\(line.sdpExcerpt)\")"
                throw e
            }
        }
        self = try state.finish()
    }
}

private struct ParseState {
    var sawVersion = false
    var origin: SDPOrigin?
    var sessionName: String?
    var information: String?
    var uri: String?
    var emails: [String] = []
    var phones: [String] = []
    var connection: SDPConnection?
    var bandwidths: [SDPBandwidth] = []
    var timings: [SDPTiming] = []
    var timeZones: String?
    var encryptionKey: String?
    var attributes: [SDPAttribute] = []
    var media: [MediaDescription] = []

    var inMedia = false
    var linesInSection = 0
    var mids: Set<String> = []
    var sectionHasMID = false
    var sectionExtensionIDs: Set<UInt8> = []
    var sessionExtensionIDs: Set<UInt8> = []
    var sectionRTPMaps: Set<UInt8> = []
    var sectionIsRTP = false

    mutating func consume(_ line: Substring) throws(SDPError) {
        let u = line.utf8
        for c in u where c < 0x20 || c == 0x7F {
            throw SDPError(.malformed, "control character 0x\(String(c, radix: 16)) in a line")
        }
        guard u.count >= 2, let type = u.first, type >= UInt8(ascii: "a"), type <= UInt8(ascii: "z"),
              u[u.index(after: u.startIndex)] == UInt8(ascii: "=") else {
            throw SDPError(.malformed, "a line must be '<letter>=<value>'")
        }
        let value = Substring(u.dropFirst(2))
        linesInSection += 1
        if linesInSection > SDPLimits.maxLinesPerSection {
            throw SDPError(.tooManyLines, "more than \(SDPLimits.maxLinesPerSection) lines in one section")
        }
        if !sawVersion {
            guard type == UInt8(ascii: "v") else { throw SDPError(.missingLine, "the description must start with v=0") }
            guard value == "0" else { throw SDPError(.malformed, "v= must be 0") }
            sawVersion = true
            return
        }
        let letter = Character(Unicode.Scalar(type))
        if inMedia {
            try consumeMedia(letter, value)
        } else {
            try consumeSession(letter, value)
        }
    }

    mutating func consumeSession(_ type: Character, _ value: Substring) throws(SDPError) {
        func once<T>(_ slot: T?, _ name: String) throws(SDPError) {
            if slot != nil { throw SDPError(.unexpectedLine, "\(name)= appears twice") }
        }
        switch type {
        case "v": throw SDPError(.unexpectedLine, "v= appears twice")
        case "o": try once(origin, "o"); origin = try SDPOrigin(value: value)
        case "s": try once(sessionName, "s"); sessionName = String(value)
        case "i": try once(information, "i"); information = String(value)
        case "u": try once(uri, "u"); uri = String(value)
        case "e": emails.append(String(value))
        case "p": phones.append(String(value))
        case "c": try once(connection, "c"); connection = try SDPConnection(words: value.sdpWords, field: "c=")
        case "b": bandwidths.append(try SDPBandwidth(value: value))
        case "t": timings.append(try SDPTiming(value: value))
        case "r":
            guard !timings.isEmpty else { throw SDPError(.unexpectedLine, "r= must follow a t= line") }
            timings[timings.count - 1].repeats.append(String(value))
        case "z": try once(timeZones, "z"); timeZones = String(value)
        case "k": try once(encryptionKey, "k"); encryptionKey = String(value)
        case "a":
            let a = try SDPAttribute(parsing: value, payloadTypesTyped: false)
            if case .extmap(let e) = a, !sessionExtensionIDs.insert(e.id).inserted {
                throw SDPError(.invalidExtensionID, "a=extmap id \(e.id) is used twice at the session level")
            }
            attributes.append(a)
        case "m": try startMedia(value)
        default: throw SDPError(.unexpectedLine, "unknown line type \(type)=")
        }
    }

    mutating func consumeMedia(_ type: Character, _ value: Substring) throws(SDPError) {
        let i = media.count - 1
        switch type {
        case "m": try startMedia(value)
        case "i":
            if media[i].information != nil { throw SDPError(.unexpectedLine, "i= appears twice in a media section") }
            media[i].information = String(value)
        case "c":
            try sdpRequireListSize(media[i].connections.count + 1, "c= lines of a media section")
            media[i].connections.append(try SDPConnection(words: value.sdpWords, field: "c="))
        case "b": media[i].bandwidths.append(try SDPBandwidth(value: value))
        case "k":
            if media[i].encryptionKey != nil { throw SDPError(.unexpectedLine, "k= appears twice in a media section") }
            media[i].encryptionKey = String(value)
        case "a":
            let a = try SDPAttribute(parsing: value, payloadTypesTyped: sectionIsRTP)
            switch a {
            case .mid(let mid):
                if sectionHasMID { throw SDPError(.duplicateMID, "a media section has two a=mid lines") }
                if !mids.insert(mid).inserted { throw SDPError(.duplicateMID, "mid '\(mid.sdpExcerpt)' is used by two media sections") }
                sectionHasMID = true
            case .extmap(let e):
                if !sectionExtensionIDs.insert(e.id).inserted {
                    throw SDPError(.invalidExtensionID, "a=extmap id \(e.id) is used twice in one media section")
                }
            case .rtpmap(let m):
                if !sectionRTPMaps.insert(m.payloadType).inserted {
                    throw SDPError(.duplicatePayloadType, "payload type \(m.payloadType) has two a=rtpmap lines")
                }
            default: break
            }
            media[i].attributes.append(a)
        case "v", "o", "s", "u", "e", "p", "t", "r", "z":
            throw SDPError(.unexpectedLine, "\(type)= is a session-level line; it cannot follow m=")
        default: throw SDPError(.unexpectedLine, "unknown line type \(type)=")
        }
    }

    mutating func startMedia(_ value: Substring) throws(SDPError) {
        guard media.count < SDPLimits.maxMediaSections else {
            throw SDPError(.tooManyMediaSections, "more than \(SDPLimits.maxMediaSections) media sections")
        }
        let w = value.sdpWords
        guard w.count >= 3 else { throw SDPError(.malformed, "m= needs '<media> <port>[/<count>] <proto> <fmt>...'") }
        try sdpRequireListSize(w.count - 3, "m= formats")
        let kind = SDPMediaKind(rawValue: try sdpRequireToken(w[0], "m= media type", maxLength: 32))
        let port: UInt16, portCount: UInt16?
        if let (p, n) = w[1].sdpSplitOnce(UInt8(ascii: "/")) {
            port = try sdpRequireNumber(p, UInt16(0)...UInt16.max, "m= port")
            portCount = try sdpRequireNumber(n, UInt16(1)...UInt16.max, "m= number of ports")
        } else {
            port = try sdpRequireNumber(w[1], UInt16(0)...UInt16.max, "m= port")
            portCount = nil
        }
        let proto = try sdpRequireToken(w[2], "m= proto", maxLength: 64)
        var formats: [String] = []
        if MediaDescription.isRTP(proto: proto) {
            var seen = Set<UInt8>()
            for f in w.dropFirst(3) {
                let pt = try sdpRequirePayloadType(f)
                guard seen.insert(pt).inserted else { throw SDPError(.duplicatePayloadType, "payload type \(pt) is listed twice on the m= line") }
                formats.append(String(pt))
            }
        } else {
            for f in w.dropFirst(3) { formats.append(try sdpRequireToken(f, "m= format", maxLength: 64)) }
        }
        media.append(MediaDescription(kind: kind, port: port, portCount: portCount, proto: proto, formats: formats))
        inMedia = true
        sectionIsRTP = MediaDescription.isRTP(proto: proto)
        linesInSection = 1
        sectionHasMID = false
        sectionExtensionIDs = []
        sectionRTPMaps = []
    }

    func finish() throws(SDPError) -> SessionDescription {
        guard sawVersion else { throw SDPError(.missingLine, "the description is empty; it must start with v=0") }
        guard let origin else { throw SDPError(.missingLine, "the description has no o= line") }
        guard let sessionName else { throw SDPError(.missingLine, "the description has no s= line") }
        guard !timings.isEmpty else { throw SDPError(.missingLine, "the description has no t= line") }
        return SessionDescription(origin: origin, sessionName: sessionName, information: information, uri: uri,
                                  emails: emails, phones: phones, connection: connection, bandwidths: bandwidths,
                                  timings: timings, timeZones: timeZones, encryptionKey: encryptionKey,
                                  attributes: attributes, media: media)
    }
}
