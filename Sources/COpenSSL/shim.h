#ifndef PODIUM_COPENSSL_SHIM_H
#define PODIUM_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/ec.h>
#include <openssl/bio.h>

// Why: several OpenSSL entry points are macros or take variadic/struct-literal arguments that Swift
// does not import; wrap the ones Podium needs here as static inline functions.
static inline int podium_EVP_CIPHER_CTX_set_gcm_ivlen(EVP_CIPHER_CTX *ctx, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, len, NULL);
}
static inline int podium_EVP_CIPHER_CTX_get_gcm_tag(EVP_CIPHER_CTX *ctx, int len, void *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, len, tag);
}
static inline int podium_EVP_CIPHER_CTX_set_gcm_tag(EVP_CIPHER_CTX *ctx, int len, void *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, len, tag);
}
static inline long podium_SSL_CTX_set_options(SSL_CTX *ctx, long opts) { return (long)SSL_CTX_set_options(ctx, (uint64_t)opts); }
static inline long podium_SSL_set_mtu(SSL *ssl, long mtu) { return SSL_ctrl(ssl, SSL_CTRL_SET_MTU, mtu, NULL); }
static inline long podium_DTLS_set_link_mtu(SSL *ssl, long mtu) { return SSL_ctrl(ssl, DTLS_CTRL_SET_LINK_MTU, mtu, NULL); }
static inline long podium_BIO_set_mem_eof_return(BIO *b, long v) { return BIO_ctrl(b, BIO_C_SET_BUF_MEM_EOF_RETURN, v, NULL); }
static inline long podium_BIO_ctrl_pending(BIO *b) { return (long)BIO_ctrl_pending(b); }
// Why: in OpenSSL 3.0, EVP_MAC_init and EVP_DigestInit_ex duplicate a provider context (2 mallocs)
// for every message; SRTP authenticates every packet, so HMAC-SHA1 there runs on SHA_CTX states
// precomputed from the key (RFC 2104), copied per message: no allocation.
#include <openssl/sha.h>
#include <string.h>
typedef struct { SHA_CTX inner; SHA_CTX outer; SHA_CTX work; } podium_hmac_sha1_t;
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
static inline void podium_hmac_sha1_setkey(podium_hmac_sha1_t *h, const void *key, size_t len) {
    unsigned char block[64] = {0}, pad[64];
    if (len > 64) { SHA1((const unsigned char *)key, len, block); } else if (len > 0) { memcpy(block, key, len); }
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
    SHA1_Init(&h->inner); SHA1_Update(&h->inner, pad, 64);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
    SHA1_Init(&h->outer); SHA1_Update(&h->outer, pad, 64);
    h->work = h->inner;
    OPENSSL_cleanse(block, sizeof block); OPENSSL_cleanse(pad, sizeof pad);
}
static inline void podium_hmac_sha1_begin(podium_hmac_sha1_t *h) { h->work = h->inner; }
static inline void podium_hmac_sha1_update(podium_hmac_sha1_t *h, const void *data, size_t len) { SHA1_Update(&h->work, data, len); }
/// Writes the 20-byte MAC of everything passed to update since begin.
static inline void podium_hmac_sha1_final(podium_hmac_sha1_t *h, unsigned char *out20) {
    unsigned char inner[20];
    SHA1_Final(inner, &h->work);
    h->work = h->outer;
    SHA1_Update(&h->work, inner, 20);
    SHA1_Final(out20, &h->work);
}
static inline void podium_hmac_sha1_clear(podium_hmac_sha1_t *h) { OPENSSL_cleanse(h, sizeof *h); }
#pragma clang diagnostic pop
// DTLS (Sources/PodiumCrypto/DTLS): macros and variadic calls the DTLS session and certificates use.
#include <openssl/srtp.h>
#include <sys/time.h>
static inline long podium_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_min_proto_version(ctx, v); }
static inline long podium_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_max_proto_version(ctx, v); }
static inline long podium_SSL_CTX_set_session_cache_off(SSL_CTX *ctx) { return SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); }
static inline long podium_SSL_CTX_set_read_ahead(SSL_CTX *ctx, long yes) { return SSL_CTX_set_read_ahead(ctx, yes); }
/// Why: SSL_OP_* are 64-bit shifts Swift does not import. No tickets (no resumption in WebRTC), no
/// MTU probing (the caller states the MTU), no renegotiation, the server's SRTP/cipher order wins.
static inline long podium_SSL_OP_DTLS_DEFAULTS(void) {
    return (long)(SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}
static inline long podium_SSL_set_options(SSL *ssl, long opts) { return (long)SSL_set_options(ssl, (uint64_t)opts); }
static inline long podium_DTLSv1_get_timeout(SSL *ssl, long *sec, long *usec) {
    struct timeval tv = {0, 0};
    long r = DTLSv1_get_timeout(ssl, &tv);
    *sec = (long)tv.tv_sec; *usec = (long)tv.tv_usec;
    return r;
}
static inline long podium_DTLSv1_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }
static inline void podium_BIO_set_retry_read(BIO *b) { BIO_set_retry_read(b); }
static inline void podium_BIO_clear_retry_flags(BIO *b) { BIO_clear_retry_flags(b); }
static inline EVP_PKEY *podium_EVP_EC_gen_P256(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); }
#endif
