#!/usr/bin/python3
# Prints the SDP offer of a GStreamer webrtcbin publisher sending VP8 + Opus, as GStreamer writes it.
# Produced Tests/Fixtures/sdp/gstreamer-1.22-webrtcbin-publisher.sdp (Debian 12, GStreamer 1.22).
#
# Re-run (needs Debian's Python for `gi`):
#   apt-get install -y gstreamer1.0-plugins-bad gstreamer1.0-nice gstreamer1.0-plugins-good \
#       gstreamer1.0-plugins-base python3-gi gir1.2-gst-plugins-bad-1.0 gir1.2-gstreamer-1.0 gstreamer1.0-libav
#   /usr/bin/python3 Tests/Fixtures/sdp/capture-gstreamer-offer.py > Tests/Fixtures/sdp/gstreamer-1.22-webrtcbin-publisher.sdp
#
# The offer is taken after ICE gathering completes, so it carries the host candidates of the
# machine it ran on (as a WHIP client such as simple-whip-client sends it). webrtcbin 1.22 now and
# then answers create-offer with an error on the first try; the script then exits 1: run it again.
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402,F401

SOURCES = [
    "videotestsrc is-live=true pattern=ball ! videoconvert ! queue ! vp8enc deadline=1 target-bitrate=500000"
    " ! rtpvp8pay picture-id-mode=15-bit ! capsfilter caps=\"application/x-rtp,media=video,encoding-name=VP8,payload=96\"",
    "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! queue ! opusenc"
    " ! rtpopuspay ! capsfilter caps=\"application/x-rtp,media=audio,encoding-name=OPUS,payload=111\"",
]


def main() -> int:
    Gst.init(None)
    loop = GLib.MainLoop()
    result = {}
    pipeline = Gst.Pipeline.new("publisher")
    webrtc = Gst.ElementFactory.make("webrtcbin", "send")
    webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)

    def on_new_transceiver(_element, transceiver):
        # A publisher: send only, with NACK/RTX (webrtcbin then offers rtx with apt=).
        transceiver.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        transceiver.set_property("do-nack", True)

    def print_and_quit():
        desc = webrtc.get_property("local-description")
        if desc is None or "sdp" in result:
            return False
        result["sdp"] = desc.sdp.as_text()
        loop.quit()
        return False

    def on_gathering_state(element, _pspec):
        if element.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(print_and_quit)

    def on_offer_created(promise, element, _data):
        promise.wait()
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        if offer is None:
            print("create-offer failed: %s" % reply.to_string(), file=sys.stderr)
            return
        element.emit("set-local-description", offer, Gst.Promise.new())

    def on_negotiation_needed(element):
        promise = Gst.Promise.new_with_change_func(on_offer_created, element, None)
        element.emit("create-offer", None, promise)

    webrtc.connect("on-new-transceiver", on_new_transceiver)
    webrtc.connect("on-negotiation-needed", on_negotiation_needed)
    webrtc.connect("notify::ice-gathering-state", on_gathering_state)
    pipeline.add(webrtc)
    for branch in SOURCES:
        source = Gst.parse_bin_from_description(branch, True)
        pipeline.add(source)
        source.link(webrtc)

    pipeline.set_state(Gst.State.PLAYING)
    GLib.timeout_add_seconds(10, lambda: (loop.quit(), False)[1])  # bounded: never hang
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    if "sdp" not in result:
        print("no offer within 10 s", file=sys.stderr)
        return 1
    sys.stdout.write(result["sdp"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
