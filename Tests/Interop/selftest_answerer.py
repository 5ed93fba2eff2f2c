#!/usr/bin/env python3
"""Self-test answerer: plays Podium's side of the interop protocol with aiortc.

Spawns a peer script (the command after `--`) with pipes, exactly as the Swift tests do:
reads its offer line, answers with aiortc (DTLS role chosen by --setup), writes the answer
line to its stdin, receives and counts media, reads its stats line and compares.

  python3 selftest_answerer.py [--setup active|passive] [--duration S] [--timeout S] -- CMD ARG...

Prints one JSON result line on stdout and exits 0 when media flowed on every SSRC the peer
reports, with received counts close to the sent counts; exits 1 otherwise.
Run with the pyenv `python3` that has aiortc; the peer command chooses its own interpreter.
"""

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time

log = logging.getLogger("answerer")
child = None


def kill_child():
    global child
    if child is not None and child.poll() is None:
        try:
            child.terminate()
            try:
                child.wait(2)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(2)
        except Exception:
            pass


def finish(result, ok):
    kill_child()
    result["ok"] = ok
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if ok else 1)


def fail(message, **extra):
    log.error("%s", message)
    finish({"type": "result", "error": message, **extra}, False)


def restrict_ice_to_loopback():
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []


def allow_rsa_dtls_servers():
    """aiortc's DTLS client offers only ECDHE-ECDSA suites, but GStreamer's DTLS certificate is
    RSA: as client (answer a=setup:active) against gst_peer.py it fails with "no shared cipher".
    Add the ECDHE-RSA suites so the self-test can exercise gst_peer.py as DTLS server."""
    from aiortc.rtcdtlstransport import RTCCertificate
    original = RTCCertificate._create_ssl_context

    def create_ssl_context(self, srtp_profiles):
        ctx = original(self, srtp_profiles)
        ctx.set_cipher_list(b"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:"
                            b"ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:"
                            b"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA")
        return ctx

    RTCCertificate._create_ssl_context = create_ssl_context


class LineReader:
    """Reads the child's stdout lines on a daemon thread into an asyncio queue."""

    def __init__(self, loop, stream):
        self.queue = asyncio.Queue()
        def pump():
            for raw in iter(stream.readline, b""):
                loop.call_soon_threadsafe(self.queue.put_nowait, raw.decode("utf-8", "replace"))
            loop.call_soon_threadsafe(self.queue.put_nowait, None)
        threading.Thread(target=pump, daemon=True).start()

    async def next_json(self, timeout, what):
        try:
            line = await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            fail(f"peer sent no {what} line within {timeout:.0f} s")
        if line is None:
            code = child.poll() if child else None
            fail(f"peer closed stdout before its {what} line (exit status {code})")
        try:
            return json.loads(line)
        except ValueError:
            fail(f"peer wrote a non-JSON line to stdout instead of its {what}: {line[:200]!r}")


def synthetic_tracks():
    """A 440 Hz-ish tone and changing video frames, for sending media back to a sendrecv peer."""
    import fractions
    import av
    import numpy as np
    from aiortc import AudioStreamTrack, VideoStreamTrack

    class Tone(AudioStreamTrack):
        async def recv(self):
            frame = await super().recv()  # silence with correct pacing and timestamps
            t = (np.arange(frame.samples) + frame.pts) / frame.sample_rate
            pcm = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).reshape(1, -1)
            tone = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            tone.sample_rate, tone.pts = frame.sample_rate, frame.pts
            tone.time_base = fractions.Fraction(1, frame.sample_rate)
            return tone

    class Frames(VideoStreamTrack):
        count = 0

        async def recv(self):
            pts, time_base = await self.next_timestamp()
            self.count += 1
            image = np.full((240 * 3 // 2, 320), (self.count * 3) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
            frame.pts, frame.time_base = pts, time_base
            return frame

    return [Tone(), Frames()]


MIDS_SEEN = {}


def record_mid_header_extensions():
    """Notes the mid RTP header extension value seen per SSRC (None: packets without it)."""
    from aiortc.rtcrtpreceiver import RTCRtpReceiver
    original = RTCRtpReceiver._handle_rtp_packet

    async def handle(self, packet, arrival_time_ms):
        if MIDS_SEEN.get(str(packet.ssrc)) is None:
            MIDS_SEEN[str(packet.ssrc)] = packet.extensions.mid
        return await original(self, packet, arrival_time_ms)

    RTCRtpReceiver._handle_rtp_packet = handle


def offered_setup(sdp):
    m = re.search(r"^a=setup:(\w+)", sdp, re.M)
    return m.group(1) if m else None


async def run(args):
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    restrict_ice_to_loopback()
    record_mid_header_extensions()
    if not args.ecdsa_only:
        allow_rsa_dtls_servers()
    loop = asyncio.get_running_loop()
    global child
    log.info("spawning peer: %s", " ".join(args.command))
    child = subprocess.Popen(args.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    lines = LineReader(loop, child.stdout)

    offer = await lines.next_json(args.timeout, "offer")
    if offer.get("type") == "error":
        fail(f"peer failed before offering: {offer.get('message')}")
    if offer.get("type") != "offer" or not isinstance(offer.get("sdp"), str):
        fail(f"expected an offer line, got {str(offer)[:200]}")
    if offered_setup(offer["sdp"]) != "actpass":
        fail(f"offer has a=setup:{offered_setup(offer['sdp'])}, expected actpass")
    candidates = re.findall(r"^a=candidate:.*$", offer["sdp"], re.M)
    bad = [c for c in candidates if " 127.0.0.1 " not in c]
    if not candidates or bad:
        fail(f"offer must carry only 127.0.0.1 candidates; got {candidates}")

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    received_tracks = []
    connected = loop.create_future()

    @pc.on("connectionstatechange")
    def on_state():
        log.info("connection state: %s", pc.connectionState)
        if pc.connectionState == "connected" and not connected.done():
            connected.set_result(True)

    @pc.on("track")
    def on_track(track):
        received_tracks.append(track.kind)
        async def drain():  # consume frames: aiortc would queue them without bound
            try:
                while True:
                    await track.recv()
            except Exception:
                pass
        asyncio.ensure_future(drain())

    my_senders = {}
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        if args.send:
            for track in synthetic_tracks():
                my_senders[track.kind] = pc.addTrack(track)
        answer = await pc.createAnswer()
    except Exception as error:
        fail(f"aiortc could not answer the offer: {type(error).__name__}: {error}", offer=offer["sdp"])
    sdp = answer.sdp
    if args.setup == "passive":
        # aiortc always answers active; it takes the role from the SDP given to setLocalDescription.
        sdp = re.sub(r"^a=setup:active", "a=setup:passive", sdp, flags=re.M)
    await pc.setLocalDescription(RTCSessionDescription(sdp=sdp, type="answer"))
    final_answer = pc.localDescription.sdp
    if args.ice_lite:
        # Podium is ICE-lite: check the peer accepts a lite answer (aiortc still runs full ICE,
        # which a lite-aware controlling peer tolerates).
        final_answer = re.sub(r"^(t=.*\r?\n)", r"\1a=ice-lite\r\n", final_answer, count=1, flags=re.M)
    if args.break_ice:
        # Point the answer's candidates at the discard port: the peer must give up with an error
        # line once its --timeout expires. aiortc itself is closed so it cannot rescue ICE.
        final_answer = re.sub(r"^(a=candidate:\S+ \d+ \S+ \d+ \S+) \d+ ", r"\1 9 ", final_answer, flags=re.M)
        await pc.close()
    if args.sha256_only:
        final_answer = re.sub(r"^a=fingerprint:sha-(384|512) .*\r?\n", "", final_answer, flags=re.M)
    child.stdin.write((json.dumps({"type": "answer", "sdp": final_answer}) + "\n").encode())
    child.stdin.flush()
    log.info("answer sent (setup %s)", offered_setup(final_answer))

    stats = await lines.next_json(args.timeout + args.duration + 10, "stats")
    if args.break_ice:
        code = await loop.run_in_executor(None, lambda: child.wait(10))
        ok = stats.get("type") == "error" and "not connected" in str(stats.get("message")) and code != 0
        finish({"type": "result", "expected": "timeout error", "peerLine": stats, "peerExit": code}, ok)
    report = await pc.getStats()
    received = {str(s.ssrc): s.packetsReceived for s in report.values() if s.type == "inbound-rtp"}
    problems = []
    if stats.get("type") != "stats":
        fail(f"peer reported: {stats}", received=received)
    if not stats.get("connected"):
        problems.append("peer says it is not connected")
    expected_role = "server" if args.setup == "active" else "client"
    if stats.get("dtlsRole") != expected_role:
        problems.append(f"peer dtlsRole {stats.get('dtlsRole')}, expected {expected_role}")
    if stats.get("dtlsState") not in ("connected",):
        problems.append(f"peer dtlsState {stats.get('dtlsState')}")
    sent = stats.get("packetsSent") or {}
    offered_kinds = [k for k in ("audio", "video") if re.search(rf"^m={k} ", offer["sdp"], re.M)]
    for kind in offered_kinds:
        ssrc = stats.get(f"{kind}Ssrc")
        if ssrc is None:
            problems.append(f"peer reports no {kind}Ssrc")
            continue
        n_sent = sent.get(str(ssrc), 0)
        n_recv = received.get(str(ssrc), 0)
        if n_sent <= 0:
            problems.append(f"{kind} ssrc {ssrc}: peer sent no packets")
        if n_recv <= 0:
            problems.append(f"{kind} ssrc {ssrc}: no packets received")
        elif n_recv < 0.9 * n_sent - 5:
            problems.append(f"{kind} ssrc {ssrc}: received {n_recv} of {n_sent}")
        pts = re.findall(rf"^m={kind} \d+ \S+ (\d+)", final_answer, re.M)
        if pts and stats.get(f"{kind}PayloadType") != int(pts[0]):
            problems.append(f"{kind} payload type {stats.get(f'{kind}PayloadType')} != answered {pts[0]}")

    if args.expect_mid:
        for kind in offered_kinds:
            ssrc = str(stats.get(f"{kind}Ssrc"))
            if not MIDS_SEEN.get(ssrc):
                problems.append(f"{kind} ssrc {ssrc}: packets carry no mid header extension")
    if args.send:
        got = stats.get("packetsReceived")
        if got is None:
            problems.append("peer reports no packetsReceived (was it run with --direction sendrecv?)")
        else:
            for kind, sender in my_senders.items():
                if got.get(str(sender._ssrc), 0) <= 0:
                    problems.append(f"peer received no {kind} packets on ssrc {sender._ssrc} (has {got})")

    # The peer exits by itself after its stats line.
    try:
        await asyncio.wait_for(loop.run_in_executor(None, child.wait), 10)
    except asyncio.TimeoutError:
        problems.append("peer did not exit within 10 s after its stats line")
    if child.returncode not in (0, None):
        problems.append(f"peer exit status {child.returncode}")
    try:
        await asyncio.wait_for(pc.close(), 3)
    except Exception:
        pass
    finish({"type": "result", "setup": args.setup, "peerStats": stats, "received": received,
            "midHeaderExtension": MIDS_SEEN, "problems": problems}, not problems)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--setup", choices=["active", "passive"], default="active",
                   help="a=setup of the answer (active: we are the DTLS client; default)")
    p.add_argument("--duration", type=float, default=5.0, help="the peer's --duration (for timeouts)")
    p.add_argument("--timeout", type=float, default=30.0, help="the peer's --timeout (for timeouts)")
    p.add_argument("--ecdsa-only", action="store_true",
                   help="keep aiortc's own DTLS cipher list (ECDSA only; fails against GStreamer as "
                        "DTLS server)")
    p.add_argument("--send", action="store_true",
                   help="send audio+video back (run the peer with --direction sendrecv) and check "
                        "the peer's packetsReceived")
    p.add_argument("--break-ice", action="store_true",
                   help="answer with unusable candidates and expect the peer's timeout error")
    p.add_argument("--expect-mid", action="store_true",
                   help="require the mid RTP header extension on the peer's packets")
    p.add_argument("--ice-lite", action="store_true", help="mark the answer a=ice-lite, as Podium's")
    p.add_argument("--sha256-only", action="store_true",
                   help="send only the sha-256 fingerprint (aiortc lists sha-256, -384 and -512)")
    p.add_argument("--verbose", "-v", action="store_true")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- peer command and arguments")
    args = p.parse_args()
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        p.error("give the peer command after --")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="answerer %(levelname)s %(message)s")
    for noisy in ("aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    parent = os.getppid()

    def watch_parent():  # die with the selftest script or an interrupted terminal
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                fail("parent process died")

    threading.Thread(target=watch_parent, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: fail("terminated by SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: fail("interrupted"))
    watchdog = threading.Timer(2 * args.timeout + args.duration + 30,
                               lambda: fail("hard timeout of the self-test answerer"))
    watchdog.daemon = True
    watchdog.start()
    try:
        asyncio.run(run(args))
    except BaseException as error:
        fail(f"{type(error).__name__}: {error}")


if __name__ == "__main__":
    main()
