import PodiumTestSupport
import PodiumWire
import Testing

@Suite struct PayloadDescriptorTests {
    @Test(arguments: [
        ("VP8", PayloadCodec.vp8), ("vp9", .vp9), ("H264", .h264), ("AV1", .av1), ("opus", .opus), ("OPUS", .opus),
    ])
    func codecFromSDPName(_ name: String, _ codec: PayloadCodec) {
        #expect(PayloadCodec(encodingName: name) == codec)
    }

    @Test func unknownCodecNamesAreNil() {
        for name in ["rtx", "red", "ulpfec", "G722", "PCMU", "", "VP8X"] { #expect(PayloadCodec(encodingName: name) == nil) }
    }

    struct Sample: Sendable, CustomTestStringConvertible {
        var codec: PayloadCodec, hex: String, keyframe: Bool, start: Bool?, tid: UInt8?, sid: UInt8?, headerSize: Int
        var testDescription: String { codec.description }
    }

    static let samples: [Sample] = [
        // VP8 key frame start: X=1 S=1, I=1 M=1 picture id 0x1234, payload header key frame 640x480.
        Sample(codec: .vp8, hex: "90 80 92 34  50 02 00 9d 01 2a 80 02 e0 01", keyframe: true, start: true, tid: nil, sid: nil, headerSize: 4),
        // VP9 non-flexible: I=1 P=0 L=1 B=1 E=1, picture id 7-bit, TID 0 U0 SID 0 D0, TL0PICIDX.
        Sample(codec: .vp9, hex: "ac 05 00 07  ff", keyframe: true, start: true, tid: 0, sid: 0, headerSize: 4),
        // H.264 single NAL: IDR slice (type 5), first_mb_in_slice 0.
        Sample(codec: .h264, hex: "65 88 84 00", keyframe: true, start: true, tid: nil, sid: nil, headerSize: 0),
        // Opus: TOC config 31 (CELT FB 20 ms), code 0, one frame.
        Sample(codec: .opus, hex: "fc ff fe", keyframe: true, start: true, tid: nil, sid: nil, headerSize: 0),
        // AV1: N=1 (new coded video sequence), W=1, one sequence header OBU: starts a frame.
        Sample(codec: .av1, hex: "18 0a 00 00 00", keyframe: true, start: true, tid: nil, sid: nil, headerSize: 1),
        // AV1: Z=1 (first element continues an OBU from the previous packet), W=1: not a frame start.
        Sample(codec: .av1, hex: "90 ff ff ff", keyframe: false, start: false, tid: nil, sid: nil, headerSize: 1),
    ]

    /// One packet per codec: the enum reports what the codec's own type reports.
    @Test(arguments: samples)
    func dispatchesToTheCodec(_ s: Sample) throws {
        try withBytes(hexBytes(s.hex)) { payload in
            let d = try PayloadDescriptor(parsing: payload, codec: s.codec)
            #expect(d.codec == s.codec)
            #expect(d.isKeyframe == s.keyframe)
            #expect(d.isStartOfFrame == s.start)
            #expect(d.temporalLayerID == s.tid)
            #expect(d.spatialLayerID == s.sid)
            #expect(d.payloadHeaderSize == s.headerSize)
        }
    }

    @Test func errorsComeFromTheCodecParser() {
        withBytes([]) { empty in
            for codec in PayloadCodec.allCases {
                #expect(throws: ParseError.self) { try PayloadDescriptor(parsing: empty, codec: codec) }
            }
        }
    }
}
