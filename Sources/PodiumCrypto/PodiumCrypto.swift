import COpenSSL
/// DTLS, SRTP/SRTCP on OpenSSL EVP, HMAC for STUN.
public enum PodiumCryptoModule {}
