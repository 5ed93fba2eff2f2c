#ifndef PODIUM_CSRTP_SHIM_H
#define PODIUM_CSRTP_SHIM_H
#include <srtp2/srtp.h>

// Why: srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 is a macro, not imported into Swift.
static inline void podium_srtp_policy_aes_cm_128_hmac_sha1_80(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_rtp_default(p);
}
static inline void podium_srtp_policy_aes_cm_128_hmac_sha1_32(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(p);
}
static inline void podium_srtp_policy_aes_gcm_128_16_auth(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(p);
}
#endif
