#!/usr/bin/env python3
"""aiortc WebRTC peer for Podium interop tests: offers Opus + VP8 over 127.0.0.1.

Protocol (one JSON object per line; stdout carries nothing else, logs go to stderr):
  1. stdout: {"type":"offer","sdp":"..."}       complete offer (ICE gathering finished)
  2. stdin:  {"type":"answer","sdp":"..."}      the answer decides the DTLS role
  3. stdout: {"type":"stats",...}               after --duration seconds of connected media
  on failure, instead: {"type":"error","message":"..."} and a non-zero exit status.

Run with the pyenv `python3` that has aiortc (Tests/Interop/requirements.txt).
"""

import argparse
import asyncio
import fractions
import json
import logging
import os
import signal
import sys
import threading
import time

from peer_protocol import EXIT_TIMEOUT, die, emit, finish_with, start_watchdog, watch_parent

log = logging.getLogger("aiortc_peer")


def read_stdin_line_async(loop):
    """Reads one line from stdin on a daemon thread (never blocks process exit)."""
    future = loop.create_future()

    def reader():
        try:
            line = sys.stdin.readline()
        except Exception as error:  # pragma: no cover - I/O error on stdin
            line = error
        loop.call_soon_threadsafe(lambda: future.done() or future.set_result(line))

    threading.Thread(target=reader, name="stdin-reader", daemon=True).start()
    return future


def restrict_ice_to_loopback():
    """aioice never gathers loopback addresses and has no option for it: replace its lookup."""
    import aioice.ice

    def loopback_only(use_ipv4, use_ipv6):
        return ["127.0.0.1"] if use_ipv4 else []

    aioice.ice.get_host_addresses = loopback_only


def make_tracks(av, np, MediaStreamTrack, VideoStreamTrack, width, height, fps):
    """Synthetic sources: a 440 Hz tone (20 ms frames, 48 kHz) and a moving bar (changing frames)."""

    class ToneTrack(MediaStreamTrack):
        kind = "audio"

        def __init__(self, frequency=440.0, sample_rate=48000, ptime=0.02):
            super().__init__()
            self.frequency = frequency
            self.sample_rate = sample_rate
            self.samples = int(sample_rate * ptime)
            self.start = None
            self.pts = 0

        async def recv(self):
            if self.readyState != "live":
                from aiortc.mediastreams import MediaStreamError
                raise MediaStreamError
            if self.start is None:
                self.start = time.monotonic()
            else:
                wait = self.start + self.pts / self.sample_rate - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            t = (np.arange(self.samples) + self.pts) / self.sample_rate
            pcm = (np.sin(2 * np.pi * self.frequency * t) * 8000).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = self.sample_rate
            frame.pts = self.pts
            frame.time_base = fractions.Fraction(1, self.sample_rate)
            self.pts += self.samples
            return frame

    class MovingBarTrack(VideoStreamTrack):
        kind = "video"

        def __init__(self):
            super().__init__()
            self.index = 0

        async def recv(self):
            pts, time_base = await self.next_timestamp()
            # I420 layout as one (h*3/2, w) plane array: Y, then U, then V.
            image = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
            image[:height, :] = 40
            x = (self.index * 4) % width
            image[:height, x:x + width // 8] = 235
            image[: height, :] += np.uint8(self.index % 16)
            self.index += 1
            frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
            frame.pts = pts
            frame.time_base = time_base
            return frame

    return ToneTrack(), MovingBarTrack()


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
    p.add_argument("--no-rtx", action="store_true", help="do not offer RTX for VP8")
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--verbose", "-v", action="store_true", help="debug logs (stderr)")
    args = p.parse_args(argv)
    if args.no_audio and args.no_video:
        p.error("at least one of audio and video is needed")
    if args.width % 2 or args.height % 2:
        p.error("width and height must be even")
    return args


async def run(args):
    import av
    import numpy as np
    from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection,
                        RTCRtpSender, RTCSessionDescription, VideoStreamTrack)

    restrict_ice_to_loopback()
    started = time.monotonic()
    loop = asyncio.get_running_loop()

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    connected = loop.create_future()

    @pc.on("connectionstatechange")
    def on_state():
        log.info("connection state: %s (ice %s)", pc.connectionState, pc.iceConnectionState)
        if pc.connectionState == "connected" and not connected.done():
            connected.set_result(True)
        elif pc.connectionState in ("failed", "closed") and not connected.done():
            connected.set_exception(RuntimeError(f"connection {pc.connectionState} before it was established"))

    sinks = []

    @pc.on("track")
    def on_track(track):
        # With sendrecv, received frames must be consumed: aiortc queues decoded frames unboundedly.
        async def drain():
            try:
                while True:
                    await track.recv()
            except Exception:
                pass
        sinks.append(asyncio.ensure_future(drain()))

    audio, video = make_tracks(av, np, MediaStreamTrack, VideoStreamTrack, args.width, args.height, 30)
    transceivers = {}
    if not args.no_audio:
        t = pc.addTransceiver(audio, direction=args.direction)
        opus = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType.lower() == "audio/opus"]
        if not opus:
            raise RuntimeError("aiortc offers no Opus codec")
        t.setCodecPreferences(opus)
        transceivers["audio"] = t
    if not args.no_video:
        t = pc.addTransceiver(video, direction=args.direction)
        caps = RTCRtpSender.getCapabilities("video").codecs
        vp8 = [c for c in caps if c.mimeType.lower() == "video/vp8"]
        if not vp8:
            raise RuntimeError("aiortc offers no VP8 codec")
        rtx = [] if args.no_rtx else [c for c in caps if c.mimeType.lower() == "video/rtx"]
        t.setCodecPreferences(vp8 + rtx)
        transceivers["video"] = t

    # setLocalDescription gathers all candidates before it returns: the offer is complete.
    await pc.setLocalDescription(await pc.createOffer())
    emit({"type": "offer", "sdp": pc.localDescription.sdp})
    log.info("offer sent; waiting for the answer on stdin")

    remaining = args.timeout - (time.monotonic() - started)
    try:
        line = await asyncio.wait_for(read_stdin_line_async(loop), max(remaining, 0.1))
    except asyncio.TimeoutError:
        die(f"no answer on stdin within {args.timeout:.0f} s", EXIT_TIMEOUT)
    if isinstance(line, Exception):
        die(f"reading the answer from stdin failed: {line}")
    if not line:
        die("stdin closed before an answer line arrived")
    try:
        message = json.loads(line)
    except ValueError as error:
        die(f"the answer line is not JSON ({error}): {line[:200]!r}")
    if not isinstance(message, dict) or message.get("type") != "answer" or not isinstance(message.get("sdp"), str):
        die(f'expected {{"type":"answer","sdp":"..."}} on stdin, got: {line[:200]!r}')
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
    except Exception as error:
        die(f"aiortc rejected the answer: {type(error).__name__}: {error}")

    remaining = args.timeout - (time.monotonic() - started)
    try:
        await asyncio.wait_for(connected, max(remaining, 0.1))
    except asyncio.TimeoutError:
        die(f"not connected within {args.timeout:.0f} s (ice {pc.iceConnectionState}, "
            f"connection {pc.connectionState})", EXIT_TIMEOUT)
    except RuntimeError as error:
        die(f"{error} (ice {pc.iceConnectionState})")
    log.info("connected after %.2f s; sending media for %.1f s", time.monotonic() - started, args.duration)

    await asyncio.sleep(args.duration)

    report = await pc.getStats()
    packets_sent, packets_received = {}, {}
    for s in report.values():
        if s.type == "outbound-rtp":
            packets_sent[str(s.ssrc)] = s.packetsSent
        elif s.type == "inbound-rtp":
            packets_received[str(s.ssrc)] = s.packetsReceived

    stats = {"type": "stats", "connected": pc.connectionState == "connected"}
    any_transceiver = next(iter(transceivers.values()))
    dtls = any_transceiver.sender.transport
    stats["dtlsRole"] = dtls._role  # "client" (we sent ClientHello, answer said passive) or "server"
    for kind, t in transceivers.items():
        stats[f"{kind}Ssrc"] = t.sender._ssrc
        codecs = [c for c in t._codecs if c.mimeType.lower() != f"{kind}/rtx"]
        stats[f"{kind}PayloadType"] = codecs[0].payloadType if codecs else None
        stats[f"{kind}Codec"] = codecs[0].mimeType if codecs else None
    stats["packetsSent"] = packets_sent
    if args.direction == "sendrecv":
        stats["packetsReceived"] = packets_received
    stats["iceState"] = pc.iceConnectionState
    stats["dtlsState"] = dtls.state
    finish_with(stats)

    for task in sinks:
        task.cancel()
    try:
        await asyncio.wait_for(pc.close(), 3)
    except Exception:
        pass


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="aiortc_peer %(levelname)s %(message)s")
    if not args.verbose:
        for noisy in ("aioice", "aiortc"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    watch_parent()
    signal.signal(signal.SIGTERM, lambda *_: die("terminated by SIGTERM"))
    start_watchdog(args.timeout + args.duration + 10, "the peer")
    try:
        import aiortc  # noqa: F401  (clear message when the wrong python3 runs this)
    except ImportError as error:
        die(f"cannot import aiortc with {sys.executable} ({error}); run Tests/Interop/ensure-peers")
    try:
        asyncio.run(run(args))
    except SystemExit:
        raise
    except BaseException as error:  # anything unexpected still ends with an error line
        die(f"{type(error).__name__}: {error}")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
