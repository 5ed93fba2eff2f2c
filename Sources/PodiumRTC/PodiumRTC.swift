/// The engine: WebRtcTransport (ICE-lite, DTLS, SRTP), and later Router, Producer, Consumer.
public enum PodiumRTCModule {}
