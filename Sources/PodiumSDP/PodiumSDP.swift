/// SDP (RFC 8866) model, parser and serializer for WebRTC (JSEP, RFC 9429).
public enum PodiumSDPModule {}
