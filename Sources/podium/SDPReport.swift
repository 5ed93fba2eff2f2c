import PodiumSDP

/// The human-readable report of `podium sdp inspect`.
enum SDPReport {
    static func render(_ sdp: SessionDescription) -> String {
        var out: [String] = []
        let o = sdp.origin
        out.append("Session: \(o.username) \(o.sessionID) version \(o.sessionVersion), \(sdp.media.count) media section\(sdp.media.count == 1 ? "" : "s")")
        if sdp.groups.isEmpty {
            out.append("BUNDLE: none")
        } else {
            for g in sdp.groups { out.append("\(g.semantics == "BUNDLE" ? "BUNDLE" : "Group \(g.semantics)"): \(g.mids.joined(separator: " "))") }
        }
        var ice: [String] = []
        ice.append(sdp.isICELite ? "lite" : "full")
        if let u = sdp.iceUfrag { ice.append("ufrag=\(u)") }
        if let p = sdp.icePwd { ice.append("pwd=\(p)") }
        if !sdp.iceOptions.isEmpty { ice.append("options=\(sdp.iceOptions.joined(separator: ","))") }
        out.append("ICE (session): " + ice.joined(separator: " "))
        var dtls: [String] = []
        if let s = sdp.setup { dtls.append("setup=\(s.rawValue)") }
        dtls += sdp.fingerprints.map { "fingerprint=\($0.algorithm) \($0.hex)" }
        out.append("DTLS (session): " + (dtls.isEmpty ? "-" : dtls.joined(separator: " ")))
        if sdp.isExtmapAllowMixed { out.append("extmap-allow-mixed: yes") }
        if let d = sdp.direction { out.append("Direction (session): \(d.rawValue)") }

        for (index, m) in sdp.media.enumerated() {
            out.append("")
            var head = "[\(index)] mid=\(m.mid ?? "-") \(m.kind.rawValue) \(sdp.direction(of: m).rawValue)"
            head += " port=\(m.port) \(m.proto)"
            if sdp.isBundled(m) { head += " bundled" }
            if m.hasAttribute("bundle-only") { head += " bundle-only" }
            if m.isRejected { head += " rejected" }
            out.append(head)
            var mICE: [String] = []
            if let u = sdp.iceUfrag(of: m) { mICE.append("ufrag=\(u)") }
            if let p = sdp.icePwd(of: m) { mICE.append("pwd=\(p)") }
            let options = m.iceOptions.isEmpty ? sdp.iceOptions : m.iceOptions
            if !options.isEmpty { mICE.append("options=\(options.joined(separator: ","))") }
            if m.hasEndOfCandidates { mICE.append("end-of-candidates") }
            out.append("  ICE: " + (mICE.isEmpty ? "-" : mICE.joined(separator: " ")))
            var mDTLS: [String] = []
            if let s = sdp.setup(of: m) { mDTLS.append("setup=\(s.rawValue)") }
            mDTLS += sdp.fingerprints(of: m).map { "fingerprint=\($0.algorithm) \($0.hex)" }
            out.append("  DTLS: " + (mDTLS.isEmpty ? "-" : mDTLS.joined(separator: " ")))
            var rtcp: [String] = []
            if m.isRTCPMux { rtcp.append("mux") }
            if m.isRTCPMuxOnly { rtcp.append("mux-only") }
            if m.isRTCPReducedSize { rtcp.append("rsize") }
            if !m.rtcpXR.isEmpty { rtcp.append("xr=" + m.rtcpXR.map(\.description).joined(separator: ",")) }
            if !rtcp.isEmpty { out.append("  RTCP: " + rtcp.joined(separator: " ")) }
            if let msid = m.msid { out.append("  msid: \(msid)") }
            if let port = m.sctpPort { out.append("  SCTP: port=\(port)" + (m.maxMessageSize.map { " max-message-size=\($0)" } ?? "")) }

            let codecs = m.codecs
            if !codecs.isEmpty {
                out.append("  Codecs:")
                for c in codecs {
                    var line = "    \(c.description)"
                    if let rtx = c.rtxPayloadType { line += " rtx=\(rtx)" }
                    if let apt = c.associatedPayloadType { line += " apt=\(apt)" }
                    let params = c.parameters.filter { !(c.isRTX && $0.key.lowercased() == "apt") }
                    if !params.isEmpty { line += " fmtp=" + params.map(\.description).joined(separator: ";") }
                    if !c.feedback.isEmpty { line += " rtcp-fb=[" + c.feedback.map(\.description).joined(separator: ", ") + "]" }
                    out.append(line)
                }
            }
            if !m.headerExtensions.isEmpty {
                out.append("  Header extensions:")
                for e in m.headerExtensions { out.append("    \(e.description)") }
            }
            if !m.simulcastLayers.isEmpty {
                out.append("  Simulcast layers:")
                for l in m.simulcastLayers {
                    var line = "    rid=\(l.rid) \(l.direction.rawValue)\(l.isPaused ? " paused" : "") stream=\(l.streamIndex)"
                    if let r = l.restrictions, !r.parameterText.isEmpty { line += " " + r.parameterText }
                    if l.restrictions == nil { line += " (no a=rid)" }
                    out.append(line)
                }
            } else if !m.rids.isEmpty {
                out.append("  RIDs:")
                for r in m.rids { out.append("    \(r)") }
            }
            if !m.ssrcs.isEmpty {
                out.append("  SSRCs:")
                for ssrc in m.ssrcs {
                    let attrs = m.ssrcAttributes.filter { $0.ssrc == ssrc }.map { a in a.value.map { "\(a.attribute)=\($0)" } ?? a.attribute }
                    out.append("    \(ssrc) " + attrs.joined(separator: " "))
                }
            }
            for g in m.ssrcGroups { out.append("  SSRC group: \(g)") }
            if !m.candidates.isEmpty {
                out.append("  Candidates:")
                for c in m.candidates {
                    var line = "    \(c.type.rawValue) \(c.transport.lowercased()) \(c.address) \(c.port) priority=\(c.priority) component=\(c.component) foundation=\(c.foundation)"
                    if let a = c.relatedAddress { line += " raddr=\(a)" }
                    if let p = c.relatedPort { line += " rport=\(p)" }
                    if let t = c.tcpType { line += " tcptype=\(t)" }
                    out.append(line)
                }
            }
        }
        return out.joined(separator: "\n") + "\n"
    }
}
