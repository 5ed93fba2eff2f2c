import CVPX
import PodiumWire

/// A libvpx VP8 decoder, for tests, recording checks and interop assertions.
///
/// Not Sendable: the libvpx context is used from one thread at a time (the owner's).
public final class VP8Decoder {
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    /// Largest keyframe size accepted, in pixels per side.
    public let maxDimension: Int
    /// Pictures decoded so far.
    public private(set) var frameCount = 0

    /// - Parameter maxDimension: keyframes announcing a larger width or height are rejected before
    ///   libvpx sees them. Why: VP8 allows 16383×16383, and libvpx would allocate ~1.6 GB of frame
    ///   buffers for such a (hostile or corrupt) header.
    public init(maxDimension: Int = 4096) throws(MediaError) {
        guard maxDimension > 0 else { throw .invalidArgument("VP8 decoder max dimension \(maxDimension)") }
        self.maxDimension = maxDimension
        context = .allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        var cfg = vpx_codec_dec_cfg_t(threads: 1, w: 0, h: 0)
        let err = podium_vpx_dec_init(context, vpx_codec_vp8_dx(), &cfg, 0)
        guard err == VPX_CODEC_OK else {
            let e = VP8Encoder.error("vpx_codec_dec_init", err, context)
            context.deallocate()
            throw e
        }
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
    }

    /// Decodes one complete VP8 frame; returns the decoded picture size, or (0, 0) when the frame
    /// produced no picture to show (a hidden frame).
    public func decode(_ frame: UnsafeRawBufferPointer) throws(MediaError) -> (width: Int, height: Int) {
        guard let picture = try decodeFrame(frame) else { return (0, 0) }
        return (Int(picture.pointee.d_w), Int(picture.pointee.d_h))
    }

    public func decode(_ frame: [UInt8]) throws(MediaError) -> (width: Int, height: Int) {
        let result: Result<(width: Int, height: Int), MediaError> = frame.withUnsafeBytes { raw in
            do throws(MediaError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Decodes one frame and copies the picture out (nil for a hidden frame).
    public func decodeImage(_ frame: UnsafeRawBufferPointer) throws(MediaError) -> I420Image? {
        guard let picture = try decodeFrame(frame) else { return nil }
        let img = picture.pointee
        var out = I420Image(width: Int(img.d_w), height: Int(img.d_h))
        Self.copyPlane(img.planes.0, Int(img.stride.0), into: &out.y, out.width, out.height)
        Self.copyPlane(img.planes.1, Int(img.stride.1), into: &out.u, out.chromaWidth, out.chromaHeight)
        Self.copyPlane(img.planes.2, Int(img.stride.2), into: &out.v, out.chromaWidth, out.chromaHeight)
        return out
    }

    private static func copyPlane(_ src: UnsafeMutablePointer<UInt8>?, _ stride: Int, into dst: inout [UInt8], _ w: Int, _ h: Int) {
        guard let src else { return }
        dst.withUnsafeMutableBufferPointer { d in
            for row in 0..<h {
                (d.baseAddress! + row * w).update(from: src + row * stride, count: w)
            }
        }
    }

    private func decodeFrame(_ frame: UnsafeRawBufferPointer) throws(MediaError) -> UnsafeMutablePointer<vpx_image_t>? {
        // Why: libvpx treats an empty buffer as "flush", not as a frame.
        guard let base = frame.baseAddress, frame.count > 0 else { throw .corruptFrame("empty VP8 frame") }
        guard frame.count <= Int(UInt32.max) else { throw .invalidArgument("VP8 frame of \(frame.count) bytes") }
        let header: VP8FrameHeader
        do { header = try VP8FrameHeader(parsing: frame) } catch { throw .corruptFrame("VP8 frame header: \(error)") }
        if let d = header.dimensions, Int(d.width) > maxDimension || Int(d.height) > maxDimension || d.width == 0 || d.height == 0 {
            throw .corruptFrame("VP8 keyframe of \(d.width)x\(d.height): limit \(maxDimension)x\(maxDimension)")
        }
        let err = vpx_codec_decode(context, base.assumingMemoryBound(to: UInt8.self), UInt32(frame.count), nil, 0)
        guard err == VPX_CODEC_OK else {
            let e = VP8Encoder.error("vpx_codec_decode", err, context)
            switch err {
            case VPX_CODEC_CORRUPT_FRAME, VPX_CODEC_UNSUP_BITSTREAM, VPX_CODEC_UNSUP_FEATURE, VPX_CODEC_INVALID_PARAM:
                if case let .codec(_, _, _, message) = e { throw .corruptFrame(message) }
                throw e
            default:
                throw e
            }
        }
        var corrupted: Int32 = 0
        if podium_vpx_get_frame_corrupted(context, &corrupted) == VPX_CODEC_OK, corrupted != 0 {
            throw .corruptFrame("libvpx marked the frame corrupt (missing or damaged data)")
        }
        var iterator: vpx_codec_iter_t? = nil
        var last: UnsafeMutablePointer<vpx_image_t>?
        while let picture = vpx_codec_get_frame(context, &iterator) { last = picture }
        if last != nil { frameCount += 1 }
        return last
    }
}
