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
/// Creates an HMAC-SHA1 EVP_MAC_CTX keyed with `key` (NULL on failure).
static inline EVP_MAC_CTX *podium_hmac_sha1_new(const void *key, size_t keylen) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!mac) return NULL;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (!ctx) return NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(ctx, (const unsigned char *)key, keylen, params)) { EVP_MAC_CTX_free(ctx); return NULL; }
    return ctx;
}
/// Restarts a keyed HMAC context for a new message, keeping its key.
static inline int podium_hmac_reinit(EVP_MAC_CTX *ctx) { return EVP_MAC_init(ctx, NULL, 0, NULL); }
static inline long podium_SSL_CTX_set_options(SSL_CTX *ctx, long opts) { return (long)SSL_CTX_set_options(ctx, (uint64_t)opts); }
static inline long podium_SSL_set_mtu(SSL *ssl, long mtu) { return SSL_ctrl(ssl, SSL_CTRL_SET_MTU, mtu, NULL); }
static inline long podium_DTLS_set_link_mtu(SSL *ssl, long mtu) { return SSL_ctrl(ssl, DTLS_CTRL_SET_LINK_MTU, mtu, NULL); }
static inline long podium_BIO_set_mem_eof_return(BIO *b, long v) { return BIO_ctrl(b, BIO_C_SET_BUF_MEM_EOF_RETURN, v, NULL); }
static inline long podium_BIO_ctrl_pending(BIO *b) { return (long)BIO_ctrl_pending(b); }
#endif
