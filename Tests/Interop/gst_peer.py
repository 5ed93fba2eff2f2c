#!/usr/bin/python3
"""GStreamer webrtcbin peer for Podium interop tests: offers Opus + VP8 over 127.0.0.1.

Run with Debian's /usr/bin/python3 (python3-gi and the GStreamer typelibs are installed for it).

Protocol (one JSON object per line; stdout carries nothing else, logs go to stderr):
  1. stdout: {"type":"offer","sdp":"..."}       complete offer (ICE gathering finished)
  2. stdin:  {"type":"answer","sdp":"..."}      the answer decides the DTLS role
  3. stdout: {"type":"stats",...}               after --duration seconds of connected media
  on failure, instead: {"type":"error","message":"..."} and a non-zero exit status.

Pipelines:
  audiotestsrc is-live=true ! opusenc ! rtpopuspay ! webrtcbin
  videotestsrc is-live=true pattern=ball ! vp8enc deadline=1 ! rtpvp8pay ! webrtcbin
with bundle-policy=max-bundle and no STUN server. libnice never gathers loopback while another
interface is up, so the NiceAgent behind webrtcbin gets 127.0.0.1 as its only local address
(nice_agent_add_local_address through ctypes: Debian has no Nice GObject typelib installed).
"""

import argparse
import ctypes
import json
import os
import random
import re
import signal
import sys
import threading
import time

from peer_protocol import EXIT_TIMEOUT, die, emit, finish_with, start_watchdog, watch_parent

verbose = False


def log(message):
    sys.stderr.write(f"gst_peer {message}\n")
    sys.stderr.flush()


def debug(message):
    if verbose:
        log(f"DEBUG {message}")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--direction", choices=["sendonly", "sendrecv"], default="sendonly",
                   help="direction of both transceivers (default sendonly)")
    p.add_argument("--duration", type=float, default=5.0,
                   help="seconds of media to send once connected (default 5)")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds from start until the connection must be established (default 30)")
    p.add_argument("--no-audio", action="store_true", help="offer no audio track")
    p.add_argument("--no-video", action="store_true", help="offer no video track")
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--audio-pt", type=int, default=111, help="Opus payload type offered (default 111)")
    p.add_argument("--video-pt", type=int, default=96, help="VP8 payload type offered (default 96)")
    p.add_argument("--mid-ext", action="store_true",
                   help="offer and send the mid RTP header extension (id 1); webrtcbin sends no "
                        "header extensions by default, so SSRCs are known only from a=ssrc")
    p.add_argument("--verbose", "-v", action="store_true", help="debug logs (stderr)")
    args = p.parse_args(argv)
    if args.no_audio and args.no_video:
        p.error("at least one of audio and video is needed")
    return args


class LoopbackIce:
    """Makes libnice gather 127.0.0.1 only, through the NiceAgent that webrtcbin uses.

    Everything goes through ctypes on the C pointers: reading webrtcbin's `ice-agent` property
    from PyGObject breaks the object's reference count (GstWebRTCNice is created floating and
    PyGObject sinks and later drops that reference), after which webrtcbin crashes on gathering.
    """

    def __init__(self):
        try:
            self.nice = ctypes.CDLL("libnice.so.10")
            self.gobject = ctypes.CDLL("libgobject-2.0.so.0")
        except OSError as error:
            die(f"cannot load libnice/libgobject ({error}); install gstreamer1.0-nice (Tests/Interop/ensure-peers)")
        self.nice.nice_address_new.restype = ctypes.c_void_p
        self.nice.nice_address_set_from_string.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        self.nice.nice_address_set_from_string.restype = ctypes.c_int
        self.nice.nice_agent_add_local_address.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.nice.nice_agent_add_local_address.restype = ctypes.c_int
        self.nice.nice_address_free.argtypes = [ctypes.c_void_p]
        self.gobject.g_object_class_find_property.restype = ctypes.c_void_p
        self.gobject.g_object_class_find_property.argtypes = [ctypes.c_void_p, ctypes.c_char_p]

    @staticmethod
    def gobject_pointer(obj):
        get = ctypes.pythonapi.PyCapsule_GetPointer
        get.restype = ctypes.c_void_p
        get.argtypes = [ctypes.py_object, ctypes.c_char_p]
        return get(obj.__gpointer__, None)

    def has_property(self, pointer, name):
        klass = ctypes.cast(pointer, ctypes.POINTER(ctypes.c_void_p))[0]  # GTypeInstance.g_class
        return bool(self.gobject.g_object_class_find_property(ctypes.c_void_p(klass), name))

    def get_object(self, pointer, name):
        if not self.has_property(pointer, name):
            return None
        out = ctypes.c_void_p()
        # g_object_get returns a new reference, which is kept for the life of the process.
        self.gobject.g_object_get(ctypes.c_void_p(pointer), name, ctypes.byref(out), None)
        return out.value

    def apply(self, webrtc):
        ice = self.get_object(self.gobject_pointer(webrtc), b"ice-agent")
        if not ice:
            die("webrtcbin has no ice-agent (GStreamer older than 1.22?)")
        for name, value in ((b"ice-tcp", 0), (b"ice-udp", 1)):
            if self.has_property(ice, name):
                self.gobject.g_object_set(ctypes.c_void_p(ice), name, ctypes.c_int(value), None)
        agent = self.get_object(ice, b"agent")
        if not agent:
            die("webrtcbin's ICE implementation is not libnice (no 'agent' property)")
        address = self.nice.nice_address_new()
        try:
            if not self.nice.nice_address_set_from_string(address, b"127.0.0.1"):
                die("nice_address_set_from_string(127.0.0.1) failed")
            if not self.nice.nice_agent_add_local_address(agent, address):
                die("nice_agent_add_local_address(127.0.0.1) failed")
        finally:
            self.nice.nice_address_free(address)


def structure_fields(structure):
    return {structure.nth_field_name(i): structure.get_value(structure.nth_field_name(i))
            for i in range(structure.n_fields())}


def main(argv=None):
    global verbose
    args = parse_args(argv if argv is not None else sys.argv[1:])
    verbose = args.verbose
    watch_parent()
    signal.signal(signal.SIGTERM, lambda *_: die("terminated by SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: die("interrupted"))
    start_watchdog(args.timeout + args.duration + 10, "the peer")

    try:
        import gi
        gi.require_version("Gst", "1.0")
        gi.require_version("GstWebRTC", "1.0")
        gi.require_version("GstSdp", "1.0")
        from gi.repository import GLib, Gst, GstSdp, GstWebRTC
    except (ImportError, ValueError) as error:
        die(f"cannot import GStreamer GObject bindings with {sys.executable} ({error}); "
            f"run with /usr/bin/python3 after Tests/Interop/ensure-peers")

    Gst.init(None)
    for element in ("webrtcbin", "nicesrc", "dtlssrtpenc", "srtpenc", "opusenc", "rtpopuspay",
                    "vp8enc", "rtpvp8pay", "audiotestsrc", "videotestsrc"):
        if Gst.ElementFactory.find(element) is None:
            die(f"GStreamer element '{element}' is missing; run Tests/Interop/ensure-peers")

    started = time.monotonic()
    audio_ssrc = random.randint(1, 0xFFFFFFFF)
    video_ssrc = random.randint(1, 0xFFFFFFFF)
    while video_ssrc == audio_ssrc:
        video_ssrc = random.randint(1, 0xFFFFFFFF)

    mid_ext = ",extmap-1=(string)urn:ietf:params:rtp-hdrext:sdes:mid" if args.mid_ext else ""
    parts = ["webrtcbin name=webrtc bundle-policy=max-bundle"]
    if not args.no_audio:
        parts.append(
            "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample "
            "! audio/x-raw,rate=48000,channels=1 ! opusenc ! "
            f"rtpopuspay pt={args.audio_pt} ssrc={audio_ssrc} name=audiopay ! "
            f"application/x-rtp,media=audio,encoding-name=OPUS,payload={args.audio_pt},"
            f"ssrc=(uint){audio_ssrc}{mid_ext} ! webrtc.")
    if not args.no_video:
        parts.append(
            "videotestsrc is-live=true pattern=ball ! "
            f"video/x-raw,width={args.width},height={args.height},framerate=30/1 ! videoconvert ! "
            "vp8enc deadline=1 keyframe-max-dist=60 ! "
            f"rtpvp8pay pt={args.video_pt} ssrc={video_ssrc} picture-id-mode=15-bit name=videopay ! "
            f"application/x-rtp,media=video,encoding-name=VP8,payload={args.video_pt},"
            f"ssrc=(uint){video_ssrc},rtcp-fb-nack-pli=(boolean)true{mid_ext} ! webrtc.")
    description = " ".join(parts)
    debug(f"pipeline: {description}")
    try:
        pipeline = Gst.parse_launch(description)
    except GLib.Error as error:
        die(f"cannot build the pipeline: {error.message}")
    webrtc = pipeline.get_by_name("webrtc")

    # webrtcbin 1.22 puts the extmap from the caps into the offer, and the payloader creates an
    # rtphdrextmid for it, but nobody sets that extension's mid value, so packets carry no mid.
    # Create the extensions here and fill in the mids once the offer has assigned them.
    mid_extensions = {}
    if args.mid_ext:
        from gi.repository import GstRtp  # noqa: F401  (GstRTPHeaderExtension.set_id)

        def on_request_extension(_pay, ext_id, uri, kind):
            if uri != "urn:ietf:params:rtp-hdrext:sdes:mid":
                return None
            extension = Gst.ElementFactory.make("rtphdrextmid")
            if extension is None:
                die("GStreamer element 'rtphdrextmid' is missing (gstreamer1.0-plugins-bad 1.22)")
            extension.set_id(ext_id)
            mid_extensions[kind] = extension
            return extension

        for kind, pay in (("audio", "audiopay"), ("video", "videopay")):
            element = pipeline.get_by_name(pay)
            if element is not None:
                element.connect("request-extension", on_request_extension, kind)
    loopback = LoopbackIce()
    loopback.apply(webrtc)

    loop = GLib.MainLoop()
    state = {"offer_sent": False, "answer": None, "connected": False, "media_started": None,
             "transceivers": {}}

    def on_bus_message(_bus, message):
        if message.type == Gst.MessageType.ERROR:
            error, dbg = message.parse_error()
            die(f"GStreamer error from {message.src.get_name()}: {error.message} ({dbg})")
        elif message.type == Gst.MessageType.WARNING:
            warning, dbg = message.parse_warning()
            log(f"WARNING from {message.src.get_name()}: {warning.message}")
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_bus_message)

    # -- offer ---------------------------------------------------------------------------------
    candidates = {}

    def on_ice_candidate(_webrtc, mline, candidate):
        debug(f"candidate m={mline}: {candidate}")
        candidates.setdefault(mline, []).append(candidate)

    def maybe_send_offer():
        if state["offer_sent"]:
            return
        if webrtc.get_property("ice-gathering-state") != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return
        local = webrtc.get_property("local-description")
        if local is None:
            return
        state["offer_sent"] = True
        sdp = local.sdp.as_text()
        # webrtcbin 1.22 fills the transceivers' mid property only after the answer: take the
        # mids from the offer (one m-section per kind).
        offered_mids = dict(re.findall(r"^m=(\w+) [^\n]*\n(?:(?!m=)[^\n]*\n)*?a=mid:(\S+)",
                                       sdp.replace("\r\n", "\n"), re.M))
        for kind, extension in mid_extensions.items():
            mid = offered_mids.get(kind)
            debug(f"{kind}: mid header extension id {extension.get_id()} = {mid!r}")
            extension.set_property("mid", mid)
        sdp = complete_candidates(sdp, candidates)
        bad = [c for c in re.findall(r"^a=candidate:.*$", sdp, re.M) if " 127.0.0.1 " not in c]
        if bad or "a=candidate:" not in sdp:
            die(f"offer must have only 127.0.0.1 candidates, has: {bad or 'none'}")
        emit({"type": "offer", "sdp": sdp})
        log("offer sent; waiting for the answer on stdin")
        threading.Thread(target=read_answer, daemon=True).start()

    def on_gathering_state(_webrtc, _pspec):
        gathering = webrtc.get_property("ice-gathering-state")
        debug(f"ice gathering: {gathering.value_nick}")
        GLib.idle_add(lambda: maybe_send_offer() and False)

    def on_offer_created(promise, _data):
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply is not None else None
        if offer is None:
            error = reply.get_value("error") if reply is not None and reply.has_field("error") else None
            die(f"webrtcbin could not create an offer: {error}")
        webrtc.emit("set-local-description", offer, Gst.Promise.new())
        GLib.idle_add(lambda: maybe_send_offer() and False)

    def on_negotiation_needed(_webrtc):
        if state["offer_sent"] or state.get("offer_requested"):
            return
        state["offer_requested"] = True
        # Directions must be set before the offer is created.
        for kind, pay in (("audio", "audiopay"), ("video", "videopay")):
            element = pipeline.get_by_name(pay)
            if element is None:
                continue
            peer = element.get_static_pad("src").get_peer()  # capsfilter sink
            sink = peer.get_parent_element().get_static_pad("src").get_peer()  # webrtcbin sink_N
            transceiver = sink.get_property("transceiver")
            transceiver.set_property("direction",
                                     GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY
                                     if args.direction == "sendonly"
                                     else GstWebRTC.WebRTCRTPTransceiverDirection.SENDRECV)
            state["transceivers"][kind] = transceiver
        promise = Gst.Promise.new_with_change_func(on_offer_created, None)
        webrtc.emit("create-offer", None, promise)

    webrtc.connect("on-ice-candidate", on_ice_candidate)
    webrtc.connect("notify::ice-gathering-state", on_gathering_state)
    webrtc.connect("on-negotiation-needed", on_negotiation_needed)

    # -- incoming media (sendrecv): count and discard -------------------------------------------
    def on_pad_added(_webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("async", False)
        sink.set_property("sync", False)
        pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    webrtc.connect("pad-added", on_pad_added)

    # -- answer --------------------------------------------------------------------------------
    def read_answer():
        line = sys.stdin.readline()
        GLib.idle_add(lambda: apply_answer(line) and False)

    def apply_answer(line):
        if not line:
            die("stdin closed before an answer line arrived")
        try:
            message = json.loads(line)
        except ValueError as error:
            die(f"the answer line is not JSON ({error}): {line[:200]!r}")
        if not isinstance(message, dict) or message.get("type") != "answer" \
                or not isinstance(message.get("sdp"), str):
            die(f'expected {{"type":"answer","sdp":"..."}} on stdin, got: {line[:200]!r}')
        sdp_text = message["sdp"]
        result, sdp_message = GstSdp.SDPMessage.new_from_text(sdp_text)
        if result != GstSdp.SDPResult.OK or sdp_message is None:
            die(f"cannot parse the answer SDP ({result})")
        state["answer"] = sdp_text
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp_message)

        def on_remote_set(promise, _data):
            reply = promise.get_reply()
            if reply is not None and reply.has_field("error"):
                die(f"webrtcbin rejected the answer: {reply.get_value('error')}")
            debug("remote description set")

        webrtc.emit("set-remote-description", answer, Gst.Promise.new_with_change_func(on_remote_set, None))
        return False

    # -- connection and stats ------------------------------------------------------------------
    def on_connection_state(_webrtc, _pspec):
        value = webrtc.get_property("connection-state")
        log(f"connection state: {value.value_nick} "
            f"(ice {webrtc.get_property('ice-connection-state').value_nick})")
        if value == GstWebRTC.WebRTCPeerConnectionState.CONNECTED and not state["connected"]:
            state["connected"] = True
            state["media_started"] = time.monotonic()
            log(f"connected after {time.monotonic() - started:.2f} s; sending media for {args.duration:.1f} s")
            GLib.timeout_add(int(args.duration * 1000), lambda: request_stats() and False)
        elif value == GstWebRTC.WebRTCPeerConnectionState.FAILED:
            die(f"connection failed (ice {webrtc.get_property('ice-connection-state').value_nick})")

    webrtc.connect("notify::connection-state", on_connection_state)

    def dtls_info():
        for transceiver in state["transceivers"].values():
            sender = transceiver.get_property("sender")
            transport = sender.get_property("transport") if sender is not None else None
            if transport is not None:
                return ("client" if transport.get_property("client") else "server",
                        transport.get_property("state").value_nick)
        return (None, None)

    def request_stats():
        webrtc.emit("get-stats", None, Gst.Promise.new_with_change_func(on_stats, None))
        return False

    def on_stats(promise, _data):
        reply = promise.get_reply()
        sent, received = {}, {}
        if reply is not None:
            for name, value in structure_fields(reply).items():
                if not isinstance(value, Gst.Structure):
                    continue
                fields = structure_fields(value)
                kind = fields.get("type")
                if kind == GstWebRTC.WebRTCStatsType.OUTBOUND_RTP and "ssrc" in fields:
                    sent[str(fields["ssrc"])] = int(fields.get("packets-sent", 0))
                elif kind == GstWebRTC.WebRTCStatsType.INBOUND_RTP and "ssrc" in fields:
                    # webrtcbin also lists the remote's RTCP-only SSRCs with 0 packets: skip those.
                    count = int(fields.get("packets-received", 0))
                    if count > 0:
                        received[str(fields["ssrc"])] = count
        GLib.idle_add(lambda: report(sent, received) and False)

    def report(sent, received):
        role, dtls_state = dtls_info()
        stats = {"type": "stats",
                 "connected": webrtc.get_property("connection-state")
                 == GstWebRTC.WebRTCPeerConnectionState.CONNECTED,
                 "dtlsRole": role}
        if not args.no_audio:
            stats.update(audioSsrc=audio_ssrc, audioPayloadType=args.audio_pt, audioCodec="audio/opus")
        if not args.no_video:
            stats.update(videoSsrc=video_ssrc, videoPayloadType=args.video_pt, videoCodec="video/VP8")
        stats["packetsSent"] = sent
        if args.direction == "sendrecv":
            stats["packetsReceived"] = received
        stats["iceState"] = webrtc.get_property("ice-connection-state").value_nick
        stats["dtlsState"] = dtls_state
        finish_with(stats)
        loop.quit()
        return False

    def connect_deadline():
        if not state["connected"]:
            ice = webrtc.get_property("ice-connection-state").value_nick
            if state["answer"] is None:
                die(f"no answer on stdin within {args.timeout:.0f} s", EXIT_TIMEOUT)
            die(f"not connected within {args.timeout:.0f} s (ice {ice}, connection "
                f"{webrtc.get_property('connection-state').value_nick})", EXIT_TIMEOUT)
        return False

    GLib.timeout_add(int(args.timeout * 1000), connect_deadline)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        die("the pipeline could not start (set_state PLAYING failed)")
    try:
        loop.run()
    except KeyboardInterrupt:
        die("interrupted")
    # Stopping webrtcbin can block on its streaming threads: give it 3 s, then just exit.
    stopper = threading.Thread(target=lambda: pipeline.set_state(Gst.State.NULL), daemon=True)
    stopper.start()
    stopper.join(3)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def complete_candidates(sdp, candidates):
    """Adds the gathered candidates to the offer's media sections if webrtcbin left them out."""
    if "a=candidate:" in sdp:
        return sdp if "a=end-of-candidates" in sdp else add_end_of_candidates(sdp)
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    out, mline = [], -1

    def flush(index):
        for c in candidates.get(index, []):
            out.append(c if c.startswith("a=") else "a=" + c)
        if index >= 0:
            out.append("a=end-of-candidates")

    for line in lines:
        if line.startswith("m="):
            if mline >= 0:
                flush(mline)
            mline += 1
        out.append(line)
    flush(mline)
    return "\r\n".join(out) + "\r\n"


def add_end_of_candidates(sdp):
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    out, in_media = [], False
    for line in lines:
        if line.startswith("m=") and in_media:
            out.append("a=end-of-candidates")
        in_media = in_media or line.startswith("m=")
        out.append(line)
    if in_media:
        out.append("a=end-of-candidates")
    return "\r\n".join(out) + "\r\n"


if __name__ == "__main__":
    main()
