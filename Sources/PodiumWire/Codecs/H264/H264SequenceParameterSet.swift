/// H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1), parsed up to the picture size; the VUI
/// and everything after it are not read.
///
///     67            NAL header (type 7)
///     profile_idc   u(8)
///     constraint_set0..5_flag u(1) x6, reserved_zero_2bits u(2)
///     level_idc     u(8)
///     seq_parameter_set_id ue(v)
///     [high profiles: chroma_format_idc ue(v), separate_colour_plane_flag, bit depths ue(v) x2,
///      qpprime_y_zero_transform_bypass_flag, seq_scaling_matrix_present_flag + scaling lists]
///     log2_max_frame_num_minus4 ue(v), pic_order_cnt_type ue(v) + its fields,
///     max_num_ref_frames ue(v), gaps_in_frame_num_value_allowed_flag u(1),
///     pic_width_in_mbs_minus1 ue(v), pic_height_in_map_units_minus1 ue(v),
///     frame_mbs_only_flag u(1) [mb_adaptive_frame_field_flag], direct_8x8_inference_flag u(1),
///     frame_cropping_flag u(1) [left, right, top, bottom ue(v)], vui_parameters_present_flag u(1) ...
///
/// The bytes are read through `H264BitReader`, which drops emulation-prevention bytes on the fly.
/// Width and height are the cropped output size (§7.4.2.1.1, equations 7-19 to 7-22).
public struct H264SequenceParameterSet: Sendable, Equatable, CustomStringConvertible {
    public var profileIDC: UInt8
    /// constraint_set0_flag (bit 7) … constraint_set5_flag (bit 2) and the two reserved bits.
    public var constraintFlags: UInt8
    public var levelIDC: UInt8
    public var id: UInt8
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    public var chromaFormatIDC: UInt8
    public var separateColourPlane: Bool
    public var bitDepthLuma: UInt8
    public var bitDepthChroma: UInt8
    public var frameMBsOnly: Bool
    public var width: Int
    public var height: Int

    /// Largest pic_width_in_mbs / frame height in MBs accepted (H.264 level 6.2 allows ~1055 MBs).
    public static let maximumMacroblocks = 2048

    /// Constrained Baseline (profile 66 with constraint_set1) as WebRTC's `42e0xx`/`42c0xx` names it.
    public var isConstrainedBaseline: Bool { profileIDC == 66 && constraintFlags & 0x40 != 0 }

    /// Parses a whole NAL unit: header byte (type 7) then the SPS RBSP.
    public init(parsing nalUnit: UnsafeRawBufferPointer) throws(ParseError) {
        guard let header = nalUnit.first else { throw ParseError(.truncated, at: 0, "SPS NAL header") }
        guard header & 0x1F == H264NALUnitHeader.Kind.sps else { throw ParseError(.malformed, at: 0, "not an SPS NAL unit") }
        var r = H264BitReader(nalUnit, offset: 1)
        profileIDC = UInt8(try r.readBits(8))
        constraintFlags = UInt8(try r.readBits(8))
        levelIDC = UInt8(try r.readBits(8))
        id = UInt8(try r.readUE(max: 31, "SPS seq_parameter_set_id"))
        chromaFormatIDC = 1
        separateColourPlane = false
        bitDepthLuma = 8
        bitDepthChroma = 8
        switch profileIDC {
        case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
            chromaFormatIDC = UInt8(try r.readUE(max: 3, "SPS chroma_format_idc"))
            if chromaFormatIDC == 3 { separateColourPlane = try r.readFlag() }
            bitDepthLuma = UInt8(try r.readUE(max: 6, "SPS bit_depth_luma_minus8")) + 8
            bitDepthChroma = UInt8(try r.readUE(max: 6, "SPS bit_depth_chroma_minus8")) + 8
            _ = try r.readFlag()  // qpprime_y_zero_transform_bypass_flag
            if try r.readFlag() {  // seq_scaling_matrix_present_flag
                let lists = chromaFormatIDC == 3 ? 12 : 8
                for i in 0..<lists {
                    if try r.readFlag() { try Self.skipScalingList(&r, size: i < 6 ? 16 : 64) }
                }
            }
        default:
            break
        }
        _ = try r.readUE(max: 12, "SPS log2_max_frame_num_minus4")
        switch try r.readUE(max: 2, "SPS pic_order_cnt_type") {
        case 0:
            _ = try r.readUE(max: 12, "SPS log2_max_pic_order_cnt_lsb_minus4")
        case 1:
            _ = try r.readFlag()  // delta_pic_order_always_zero_flag
            _ = try r.readSE()    // offset_for_non_ref_pic
            _ = try r.readSE()    // offset_for_top_to_bottom_field
            let cycle = try r.readUE(max: 255, "SPS num_ref_frames_in_pic_order_cnt_cycle")
            for _ in 0..<cycle { _ = try r.readSE() }
        default:
            break
        }
        _ = try r.readUE(max: 32, "SPS max_num_ref_frames")
        _ = try r.readFlag()  // gaps_in_frame_num_value_allowed_flag
        let limit = UInt32(Self.maximumMacroblocks)
        let widthOffset = r.byteOffset
        let widthMBs = Int(try r.readUE()) + 1
        if widthMBs > limit { throw ParseError(.limitExceeded, at: widthOffset, "SPS pic_width_in_mbs") }
        let heightOffset = r.byteOffset
        let heightMapUnits = Int(try r.readUE()) + 1
        frameMBsOnly = try r.readFlag()
        let frameHeightMBs = (frameMBsOnly ? 1 : 2) * heightMapUnits
        if frameHeightMBs > limit { throw ParseError(.limitExceeded, at: heightOffset, "SPS pic_height_in_map_units") }
        if !frameMBsOnly { _ = try r.readFlag() }  // mb_adaptive_frame_field_flag
        _ = try r.readFlag()  // direct_8x8_inference_flag
        var w = widthMBs * 16
        var h = frameHeightMBs * 16
        let cropOffset = r.byteOffset
        if try r.readFlag() {  // frame_cropping_flag
            let left = Int(try r.readUE()), right = Int(try r.readUE())
            let top = Int(try r.readUE()), bottom = Int(try r.readUE())
            // Why: ChromaArrayType is 0 for monochrome and for separately coded 4:4:4 planes.
            let chromaArrayType = separateColourPlane ? 0 : Int(chromaFormatIDC)
            let subWidthC = chromaArrayType == 1 || chromaArrayType == 2 ? 2 : 1
            let subHeightC = chromaArrayType == 1 ? 2 : 1
            let cropUnitX = chromaArrayType == 0 ? 1 : subWidthC
            let cropUnitY = (chromaArrayType == 0 ? 1 : subHeightC) * (frameMBsOnly ? 1 : 2)
            // Each offset is < 2^32, so the products and sums cannot overflow Int.
            w -= (left + right) * cropUnitX
            h -= (top + bottom) * cropUnitY
            if w <= 0 || h <= 0 { throw ParseError(.malformed, at: cropOffset, "SPS frame cropping exceeds the picture") }
        }
        width = w
        height = h
    }

    /// scaling_list() (§7.3.2.1.1.1): read and discard `size` delta_scale values until one ends it.
    private static func skipScalingList(_ r: inout H264BitReader, size: Int) throws(ParseError) {
        var lastScale: Int32 = 8
        var nextScale: Int32 = 8
        for _ in 0..<size {
            if nextScale != 0 {
                let at = r.byteOffset
                let delta = try r.readSE()
                if delta < -128 || delta > 127 { throw ParseError(.malformed, at: at, "SPS delta_scale") }
                nextScale = (lastScale + delta + 256) % 256
            }
            if nextScale != 0 { lastScale = nextScale }
        }
    }

    public var description: String {
        "SPS(id=\(id) profile=\(profileIDC) constraints=0x\(String(constraintFlags, radix: 16)) level=\(levelIDC) \(width)x\(height)\(frameMBsOnly ? "" : " interlaced") chroma=\(chromaFormatIDC))"
    }
}
