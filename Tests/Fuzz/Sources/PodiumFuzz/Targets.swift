import Podium

/// Every fuzz target, by name. Each target parses hostile bytes; a parse that succeeds must write back
/// and parse again to the same thing (round trip), and nothing may trap. One line per parser.
let fuzzTargets: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
    "byte-reader": fuzzByteReader,
    "rtp": fuzzRTP, "rtp-extensions": fuzzRTPExtensions,
    "rtx": fuzzRTX,
    "rtcp": fuzzRTCP, "twcc": fuzzTWCC,
    "sdp": fuzzSDP,
    "negotiation": fuzzNegotiation,
    "stun": fuzzSTUN,
    "ice": fuzzICE,
    "srtp-unprotect": fuzzSRTPUnprotect,
    "dtls": fuzzDTLS,
    "vp8": fuzzVP8, "h264": fuzzH264, "opus": fuzzOpus,
    "vp9": fuzzVP9, "av1": fuzzAV1, "dependency-descriptor": fuzzDependencyDescriptor,
    "ivf": fuzzIVF, "ogg": fuzzOgg, "webm": fuzzWebM,
    "vp8-depacketizer": fuzzVP8Depacketizer, "opus-depacketizer": fuzzOpusDepacketizer,
    "vp8-decoder": fuzzVP8Decoder, "opus-decoder": fuzzOpusDecoder,
    "router": fuzzRouter,
]

@Sendable func fuzzByteReader(_ data: UnsafeRawBufferPointer) {
    var r = ByteReader(data)
    while !r.isAtEnd {
        guard let n = try? r.readUInt8() else { fuzzFailure("readUInt8 failed before end") }
        _ = try? r.readBytes(Int(n))
    }
}
