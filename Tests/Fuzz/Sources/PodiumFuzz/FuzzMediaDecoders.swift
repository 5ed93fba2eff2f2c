import PodiumMedia

// Fuzz targets for the libvpx and libopus decoder wrappers: hostile frames must give a typed error
// (or a picture within the configured limits), never a trap or a huge allocation.

@Sendable func fuzzVP8Decoder(_ data: UnsafeRawBufferPointer) {
    guard let decoder = try? VP8Decoder(maxDimension: 1024) else { fuzzFailure("VP8Decoder init") }
    // The whole input as one frame, then its second half as the next frame on the same decoder
    // (a delta frame after a keyframe that may or may not have decoded).
    for frame in [data, UnsafeRawBufferPointer(rebasing: data[(data.count / 2)...])] {
        if let size = try? decoder.decode(frame), size.width > 1024 || size.height > 1024 {
            fuzzFailure("VP8 picture \(size.width)x\(size.height) beyond the 1024 limit")
        }
    }
}

@Sendable func fuzzOpusDecoder(_ data: UnsafeRawBufferPointer) {
    guard let decoder = try? OpusDecoder(channels: data.first.map { Int($0 & 1) + 1 } ?? 1) else { fuzzFailure("OpusDecoder init") }
    for fec in [false, true] {
        if let n = try? decoder.decode(data, fec: fec), n > 5760 { fuzzFailure("Opus decoded \(n) samples") }
    }
    if let n = try? decoder.decode(nil as UnsafeRawBufferPointer?), n != 960 { fuzzFailure("Opus PLC gave \(n) samples") }
}
