#!/usr/bin/env python3
"""aiortc WebRTC peer for Podium interop tests: offers Opus + VP8 over 127.0.0.1.

Protocol of the default mode, `--mode send` (one JSON object per line; stdout carries nothing else,
logs go to stderr):
  1. stdout: {"type":"offer","sdp":"..."}       complete offer (ICE gathering finished)
  2. stdin:  {"type":"answer","sdp":"..."}      the answer decides the DTLS role
  3. stdout: {"type":"stats",...}               after --duration seconds of connected media
  on failure, instead: {"type":"error","message":"..."} and a non-zero exit status.
`--mode publish` (a WHIP-style publisher that runs until told to stop) and `--mode view` (one or
more WHEP-style recvonly viewers that decode and measure) are described in README.md.

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


COUNTER_BITS = 16
COUNTER_BLOCK = 16  # pixels per bit block: a whole VP8 macroblock, so the bits survive encoding


def draw_frame_counter(np, image, width, height, counter):
    """Writes `counter` (16 bits) into the top-left luma as black/white 16x16 blocks, MSB first,
    with its complement in the row of blocks below: a viewer reads the frame number back from
    the decoded picture and the complement tells a real counter from a picture without one."""
    if width < COUNTER_BITS * COUNTER_BLOCK or height < 2 * COUNTER_BLOCK:
        return
    b = COUNTER_BLOCK
    for i in range(COUNTER_BITS):
        bit = (counter >> (COUNTER_BITS - 1 - i)) & 1
        image[0:b, i * b:(i + 1) * b] = 235 if bit else 16
        image[b:2 * b, i * b:(i + 1) * b] = 16 if bit else 235


def read_frame_counter(np, frame):
    """The counter `draw_frame_counter` wrote, read from a decoded frame; None if there is none."""
    b = COUNTER_BLOCK
    if frame.width < COUNTER_BITS * b or frame.height < 2 * b:
        return None
    plane = frame.planes[0]
    luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
    # The middle 4x4 pixels of each block: away from the block edges that encoding smears.
    c0, c1 = b // 2 - 2, b // 2 + 2
    top = luma[c0:c1, :COUNTER_BITS * b].reshape(4, COUNTER_BITS, b)[:, :, c0:c1].mean(axis=(0, 2))
    low = luma[b + c0:b + c1, :COUNTER_BITS * b].reshape(4, COUNTER_BITS, b)[:, :, c0:c1].mean(axis=(0, 2))
    bits, check = top > 128, low > 128
    if (bits == check).any():
        return None
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value


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
            draw_frame_counter(np, image, width, height, self.index)
            self.index += 1
            frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
            frame.pts = pts
            frame.time_base = time_base
            return frame

    return ToneTrack(), MovingBarTrack()


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=["send", "publish", "view"], default="send",
                   help="send: offer, send for --duration, report (default); publish: send until "
                        "told to stop; view: --count recvonly viewers that decode and measure")
    p.add_argument("--direction", choices=["sendonly", "sendrecv"], default="sendonly",
                   help="direction of both transceivers (default sendonly; --mode send only)")
    p.add_argument("--duration", type=float, default=None,
                   help="send: seconds of media to send once connected (default 5); publish/view: "
                        "the longest run once connected before stopping by itself (default 60)")
    p.add_argument("--count", type=int, default=1, help="view: number of viewers (peer connections)")
    p.add_argument("--pli-interval-ms", type=float, default=0,
                   help="view: each viewer also sends a PLI this often once it has a video SSRC")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds from start until the connection must be established (default 30)")
    p.add_argument("--no-audio", action="store_true", help="offer no audio track")
    p.add_argument("--no-video", action="store_true", help="offer no video track")
    p.add_argument("--no-rtx", action="store_true", help="do not offer RTX for VP8")
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--verbose", "-v", action="store_true", help="debug logs (stderr)")
    args = p.parse_args(argv)
    if args.duration is None:
        args.duration = 5.0 if args.mode == "send" else 60.0
    if args.count < 1 or (args.count > 1 and args.mode != "view"):
        p.error("--count is for --mode view, and at least 1")
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

# ---------------------------------------------------------------------------------------------
# --mode publish and --mode view: long-running peers driven by commands on stdin (README.md).


class Commands:
    """Protocol lines from stdin, read on a daemon thread (never blocks process exit)."""

    def __init__(self, loop):
        self.queue = asyncio.Queue()

        def reader():
            while True:
                try:
                    line = sys.stdin.readline()
                except Exception:  # pragma: no cover - I/O error on stdin
                    line = ""
                loop.call_soon_threadsafe(self.queue.put_nowait, line)
                if not line:
                    return

        threading.Thread(target=reader, name="stdin-reader", daemon=True).start()

    async def next(self, timeout):
        """The next command as a dict, or None when `timeout` seconds pass first. Dies on EOF or a
        line that is not a JSON object with a "type"."""
        try:
            line = await asyncio.wait_for(self.queue.get(), max(timeout, 0.01))
        except asyncio.TimeoutError:
            return None
        if not line:
            die("stdin closed (the test is gone?) before a stop command")
        try:
            message = json.loads(line)
        except ValueError as error:
            die(f"the command line is not JSON ({error}): {line[:200]!r}")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            die(f'expected {{"type":...}} on stdin, got: {line[:200]!r}')
        return message


def connection_future(pc, loop, log_name):
    """A future set when `pc` connects, failed when it fails or closes first."""
    connected = loop.create_future()

    @pc.on("connectionstatechange")
    def on_state():
        log.info("%s: connection state %s (ice %s)", log_name, pc.connectionState, pc.iceConnectionState)
        if pc.connectionState == "connected" and not connected.done():
            connected.set_result(True)
        elif pc.connectionState in ("failed", "closed") and not connected.done():
            connected.set_exception(RuntimeError(f"connection {pc.connectionState} before it was established"))

    return connected


def count_sender_feedback(sender, counts):
    """Counts the keyframe requests and NACKs aiortc's sender gets, then lets it handle them."""
    from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RTCP_RTPFB_NACK, RtcpPsfbPacket, RtcpRtpfbPacket
    original = sender._handle_rtcp_packet
    times = counts.setdefault("keyframeRequestTimes", [])

    async def handle(packet):
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
            counts["plisReceived" if packet.fmt == RTCP_PSFB_PLI else "firsReceived"] += 1
            times.append(round(time.time(), 3))
            del times[:-50]
        elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            counts["nackPacketsReceived"] += 1
            counts["nackedSequences"] += len(packet.lost)
        await original(packet)

    sender._handle_rtcp_packet = handle


async def outbound_packets(pc):
    report = await pc.getStats()
    return {str(s.ssrc): s.packetsSent for s in report.values() if s.type == "outbound-rtp"}


async def run_publish(args):
    """WHIP-style publisher: offers, takes the answer, sends the tone and the counting test pattern
    until {"type":"stop"} (or --duration), answering {"type":"report"} on the way."""
    import av
    import numpy as np
    from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack

    restrict_ice_to_loopback()
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    commands = Commands(loop)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    connected = connection_future(pc, loop, "publisher")
    audio, video = make_tracks(av, np, MediaStreamTrack, VideoStreamTrack, args.width, args.height, 30)
    counts = {"plisReceived": 0, "firsReceived": 0, "nackPacketsReceived": 0, "nackedSequences": 0}
    transceivers = {}
    if not args.no_audio:
        t = pc.addTransceiver(audio, direction="sendonly")
        t.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType.lower() == "audio/opus"])
        transceivers["audio"] = t
    if not args.no_video:
        t = pc.addTransceiver(video, direction="sendonly")
        caps = RTCRtpSender.getCapabilities("video").codecs
        rtx = [] if args.no_rtx else [c for c in caps if c.mimeType.lower() == "video/rtx"]
        t.setCodecPreferences([c for c in caps if c.mimeType.lower() == "video/vp8"] + rtx)
        count_sender_feedback(t.sender, counts)
        transceivers["video"] = t

    await pc.setLocalDescription(await pc.createOffer())
    emit({"type": "offer", "sdp": pc.localDescription.sdp})
    message = await commands.next(args.timeout - (time.monotonic() - started))
    if message is None:
        die(f"no answer on stdin within {args.timeout:.0f} s", EXIT_TIMEOUT)
    if message.get("type") != "answer" or not isinstance(message.get("sdp"), str):
        die(f"expected the answer first, got {json.dumps(message)[:200]}")
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
    except Exception as error:
        die(f"aiortc rejected the answer: {type(error).__name__}: {error}")
    try:
        await asyncio.wait_for(connected, max(args.timeout - (time.monotonic() - started), 0.1))
    except asyncio.TimeoutError:
        die(f"not connected within {args.timeout:.0f} s (ice {pc.iceConnectionState}, "
            f"connection {pc.connectionState})", EXIT_TIMEOUT)
    except RuntimeError as error:
        die(f"{error} (ice {pc.iceConnectionState})")
    connected_at = time.monotonic()
    log.info("publisher connected after %.2f s", connected_at - started)

    async def stats(kind):
        out = {"type": kind, "at": round(time.time(), 3), "connected": pc.connectionState == "connected",
               "seconds": round(time.monotonic() - connected_at, 3),
               "framesSent": video.index, "audioFramesSent": audio.pts // audio.samples}
        out.update(counts)
        out["keyframeRequestTimes"] = list(counts.get("keyframeRequestTimes", []))
        for k, t in transceivers.items():
            out[f"{k}Ssrc"] = t.sender._ssrc
        out["packetsSent"] = await outbound_packets(pc)
        return out

    while True:
        message = await commands.next(connected_at + args.duration - time.monotonic())
        if message is None or message["type"] == "stop":
            break
        if message["type"] == "report":
            emit(await stats("report"))
        else:
            die(f"unknown command {message['type']!r} (publish understands report, stop)")
    finish_with(await stats("stats"))
    try:
        await asyncio.wait_for(pc.close(), 3)
    except Exception:
        pass


class Viewer:
    """One recvonly peer connection of --mode view and what it measured."""

    def __init__(self, index, pc):
        self.index = index
        self.pc = pc
        self.video_receiver = None
        self.answered_at = None
        self.connected_at = None
        self.frames = 0
        self.first_frame_at = None
        self.first_packet_at = None
        self.wall_offset = time.time() - time.monotonic()  # to report wall-clock times
        self.last_frame_at = None
        self.longest_gap = 0.0
        self.window_gap = 0.0  # longest gap since the last report with "reset": true
        self.width = self.height = 0
        self.counter_first = self.counter_last = None
        self.counters = set()
        self.counter_backwards = 0
        self.audio_frames = 0
        self.video_ended = self.audio_ended = False
        self.byes = 0
        self.bye_sources = set()
        self.plis_sent = 0
        self.nacks_sent = 0
        self.flood_plis = 0
        self.hooked_routers = set()

    def on_frame(self, frame, counter):
        now = time.monotonic()
        if self.first_frame_at is None:
            self.first_frame_at = now
        else:
            self.longest_gap = max(self.longest_gap, now - self.last_frame_at)
            self.window_gap = max(self.window_gap, now - self.last_frame_at)
        self.last_frame_at = now
        self.frames += 1
        self.width, self.height = frame.width, frame.height
        if counter is not None:
            if self.counter_first is None:
                self.counter_first = counter
            elif counter <= self.counter_last:
                self.counter_backwards += 1
            self.counter_last = counter
            self.counters.add(counter)

    def report(self):
        now = time.monotonic()
        ms = lambda seconds: None if seconds is None else round(seconds * 1000, 1)
        return {
            "id": self.index, "at": round(time.time(), 3), "state": self.pc.connectionState, "connected": self.connected_at is not None,
            "framesDecoded": self.frames, "width": self.width, "height": self.height,
            "firstFrameMs": ms(self.first_frame_at - self.answered_at) if self.first_frame_at and self.answered_at else None,
            "connectMs": ms(self.connected_at - self.answered_at) if self.connected_at and self.answered_at else None,
            "firstPacketMs": ms(self.first_packet_at - self.answered_at) if self.first_packet_at and self.answered_at else None,
            "answeredAt": self.wall(self.answered_at), "connectedAt": self.wall(self.connected_at),
            "firstPacketAt": self.wall(self.first_packet_at), "firstFrameAt": self.wall(self.first_frame_at),
            "longestGapMs": ms(self.longest_gap), "windowLongestGapMs": ms(self.window_gap),
            "sinceLastFrameMs": ms(now - self.last_frame_at) if self.last_frame_at else None,
            "counterFirst": self.counter_first, "counterLast": self.counter_last,
            "countersDistinct": len(self.counters), "counterBackwards": self.counter_backwards,
            "audioFrames": self.audio_frames, "videoEnded": self.video_ended, "audioEnded": self.audio_ended,
            "byeReceived": self.byes, "byeSources": sorted(self.bye_sources),
            "plisSent": self.plis_sent, "floodPlisSent": self.flood_plis, "nackPacketsSent": self.nacks_sent,
        }

    def wall(self, monotonic):
        """A time.monotonic() instant as Unix time (comparable across the peer processes)."""
        return None if monotonic is None else round(monotonic + self.wall_offset, 3)

    def hook_first_packet(self, receiver):
        """Notes when the first video RTP packet arrives, then takes the hook out (no per-packet cost)."""
        original = receiver._handle_rtp_packet

        async def first(packet, arrival_time_ms):
            self.first_packet_at = time.monotonic()
            del receiver._handle_rtp_packet
            await original(packet, arrival_time_ms=arrival_time_ms)

        receiver._handle_rtp_packet = first

    def hook_transport(self, dtls):
        """Counts RTCP BYE on the whole connection (aiortc routes a BYE to a receiver only by an
        SSRC it has already seen; counting before routing also catches BYEs for unknown SSRCs)."""
        from aiortc.rtp import RtcpByePacket
        router = dtls._rtp_router
        if id(router) in self.hooked_routers:
            return
        self.hooked_routers.add(id(router))
        original = router.route_rtcp

        def route(packet):
            if isinstance(packet, RtcpByePacket):
                self.byes += 1
                self.bye_sources.update(packet.sources)
            return original(packet)

        router.route_rtcp = route

    def hook_receiver(self, receiver):
        """Counts the PLIs and NACKs aiortc's own receiver logic sends."""
        send_pli, send_nack = receiver._send_rtcp_pli, receiver._send_rtcp_nack

        async def pli(media_ssrc):
            self.plis_sent += 1
            await send_pli(media_ssrc)

        async def nack(media_ssrc, lost):
            self.nacks_sent += 1
            await send_nack(media_ssrc, lost)

        receiver._send_rtcp_pli, receiver._send_rtcp_nack = pli, nack

    def video_media_ssrc(self):
        """The SSRC of the video media stream seen so far (not RTX: aiortc maps those separately;
        of what is left, the stream with most packets)."""
        r = self.video_receiver
        streams = getattr(r, "_RTCRtpReceiver__remote_streams", {})
        rtx = getattr(r, "_RTCRtpReceiver__rtx_ssrc", {})
        candidates = [(s.packets_received, ssrc) for ssrc, s in streams.items() if ssrc not in rtx]
        return max(candidates)[1] if candidates else None


async def consume(track, viewer, np):
    """Reads every decoded frame (aiortc queues them without bound otherwise) and measures."""
    from aiortc.mediastreams import MediaStreamError
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            break
        except Exception as error:  # pragma: no cover
            log.warning("viewer %d: %s track: %s", viewer.index, track.kind, error)
            break
        if track.kind == "video":
            viewer.on_frame(frame, read_frame_counter(np, frame))
        else:
            viewer.audio_frames += 1
    if track.kind == "video":
        viewer.video_ended = True
    else:
        viewer.audio_ended = True
    log.info("viewer %d: %s track ended", viewer.index, track.kind)


async def pli_flood(viewer, interval):
    """Sends a PLI for the video stream every `interval` seconds (a misbehaving viewer)."""
    while True:
        await asyncio.sleep(interval)
        if viewer.video_receiver is None or viewer.connected_at is None:
            continue
        ssrc = viewer.video_media_ssrc()
        if ssrc is not None:
            viewer.flood_plis += 1
            # The receiver's internal PLI sender (aiortc has no public API for it); the class's
            # method, not the counting wrapper on the instance, which counts aiortc's own PLIs.
            await type(viewer.video_receiver)._send_rtcp_pli(viewer.video_receiver, ssrc)


async def run_view(args):
    """--count WHEP-style viewers (recvonly audio + video) in one process: offers (with ids), takes
    answers, decodes and measures until {"type":"stop"} (or --duration after the last answer)."""
    import numpy as np
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription

    restrict_ice_to_loopback()
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    commands = Commands(loop)
    viewers, tasks = [], []
    opus = [c for c in RTCRtpReceiver.getCapabilities("audio").codecs if c.mimeType.lower() == "audio/opus"]
    vcaps = RTCRtpReceiver.getCapabilities("video").codecs
    vp8 = [c for c in vcaps if c.mimeType.lower() == "video/vp8"]
    rtx = [] if args.no_rtx else [c for c in vcaps if c.mimeType.lower() == "video/rtx"]

    for index in range(args.count):
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        viewer = Viewer(index, pc)
        viewers.append(viewer)
        connected = connection_future(pc, loop, f"viewer {index}")

        def on_connected(future, viewer=viewer):
            if not future.cancelled() and future.exception() is None:
                viewer.connected_at = time.monotonic()
        connected.add_done_callback(on_connected)

        @pc.on("track")
        def on_track(track, viewer=viewer):
            tasks.append(asyncio.ensure_future(consume(track, viewer, np)))

        if not args.no_audio:
            t = pc.addTransceiver("audio", direction="recvonly")
            t.setCodecPreferences(opus)
            viewer.hook_receiver(t.receiver)
        if not args.no_video:
            t = pc.addTransceiver("video", direction="recvonly")
            t.setCodecPreferences(vp8 + rtx)
            viewer.video_receiver = t.receiver
            viewer.hook_receiver(t.receiver)
            viewer.hook_first_packet(t.receiver)
        await pc.setLocalDescription(await pc.createOffer())
        emit({"type": "offer", "id": index, "sdp": pc.localDescription.sdp})
        if args.pli_interval_ms > 0 and not args.no_video:
            tasks.append(asyncio.ensure_future(pli_flood(viewer, args.pli_interval_ms / 1000)))

    pending = set(range(args.count))
    stop_at = None
    while True:
        deadline = started + args.timeout if pending else stop_at
        message = await commands.next(deadline - time.monotonic())
        if message is None:
            if pending:
                die(f"no answer for viewer(s) {sorted(pending)} within {args.timeout:.0f} s", EXIT_TIMEOUT)
            break
        kind = message["type"]
        if kind == "answer":
            index = message.get("id", 0)
            if index not in pending or not isinstance(message.get("sdp"), str):
                die(f"answer for an unknown or already answered viewer id {index!r}")
            viewer = viewers[index]
            try:
                await viewer.pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
            except Exception as error:
                die(f"viewer {index}: aiortc rejected the answer: {type(error).__name__}: {error}")
            viewer.answered_at = time.monotonic()
            for t in viewer.pc.getTransceivers():
                viewer.hook_transport(t.receiver.transport)
            pending.discard(index)
            if not pending:
                stop_at = time.monotonic() + args.duration
        elif kind == "report":
            emit({"type": "report", "viewers": [v.report() for v in viewers]})
            if message.get("reset"):
                for v in viewers:
                    v.window_gap = 0.0
        elif kind == "stop":
            break
        else:
            die(f"unknown command {kind!r} (view understands answer, report, stop)")

    finish_with({"type": "stats", "viewers": [v.report() for v in viewers]})
    for task in tasks:
        task.cancel()
    try:
        await asyncio.wait_for(asyncio.gather(*(v.pc.close() for v in viewers), return_exceptions=True), 3)
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
    runner = {"send": run, "publish": run_publish, "view": run_view}[args.mode]
    try:
        asyncio.run(runner(args))
    except SystemExit:
        raise
    except BaseException as error:  # anything unexpected still ends with an error line
        die(f"{type(error).__name__}: {error}")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
