#ifndef PODIUM_CVPX_SHIM_H
#define PODIUM_CVPX_SHIM_H
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

// Why: vpx_codec_enc_init / vpx_codec_dec_init and the ABI version constants are macros.
static inline vpx_codec_err_t podium_vpx_enc_init(vpx_codec_ctx_t *ctx, vpx_codec_iface_t *iface,
                                                  const vpx_codec_enc_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_enc_init(ctx, iface, cfg, flags);
}
static inline vpx_codec_err_t podium_vpx_dec_init(vpx_codec_ctx_t *ctx, vpx_codec_iface_t *iface,
                                                  const vpx_codec_dec_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_dec_init(ctx, iface, cfg, flags);
}
static inline int podium_vpx_encoder_abi_version(void) { return VPX_ENCODER_ABI_VERSION; }
static inline vpx_codec_err_t podium_vpx_set_cpuused(vpx_codec_ctx_t *ctx, int v) { return vpx_codec_control(ctx, VP8E_SET_CPUUSED, v); }
static inline vpx_codec_err_t podium_vpx_set_temporal_layer_id(vpx_codec_ctx_t *ctx, int v) { return vpx_codec_control(ctx, VP8E_SET_TEMPORAL_LAYER_ID, v); }
// Added by the codecs helper (PodiumMedia/Codecs): more controls (vpx_codec_control is a type-checking
// macro over the variadic vpx_codec_control_), and the decoder's corruption flag.
static inline vpx_codec_err_t podium_vpx_set_static_threshold(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP8E_SET_STATIC_THRESHOLD, v); }
static inline vpx_codec_err_t podium_vpx_set_noise_sensitivity(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP8E_SET_NOISE_SENSITIVITY, v); }
static inline vpx_codec_err_t podium_vpx_set_token_partitions(vpx_codec_ctx_t *ctx, int v) { return vpx_codec_control(ctx, VP8E_SET_TOKEN_PARTITIONS, v); }
static inline vpx_codec_err_t podium_vpx_set_max_intra_bitrate_pct(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, v); }
static inline vpx_codec_err_t podium_vpx_get_frame_corrupted(vpx_codec_ctx_t *ctx, int *v) { return vpx_codec_control(ctx, VP8D_GET_FRAME_CORRUPTED, v); }
#endif
