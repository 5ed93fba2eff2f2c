/// Real media: Opus and VP8 codecs, RTP packetization, IVF/Ogg/WebM containers, synthetic sources.
public enum PodiumMediaModule {}
