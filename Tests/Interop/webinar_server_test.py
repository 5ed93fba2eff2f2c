#!/usr/bin/env python3
"""End-to-end test of the demo webinar server (Examples/WebinarServer) with real WebRTC peers.

Starts the server binary twice on free ports over 127.0.0.1 and checks, with plain HTTP (urllib)
and aiortc peers:
  - WHIP/WHEP request handling: OPTIONS, 401 (bearer token), 404, 409, 413, 415, 400 (garbage SDP,
    SDP without m-lines, 10 000 m-lines) with no room left behind, PATCH 204/412/415/422/404;
  - an aiortc publisher (VP8 + Opus) via WHIP and aiortc viewers via WHEP (1 audio + 2 video
    recvonly m-lines, as the watch page offers) that must decode video frames and receive audio;
  - DELETE of the publisher ends the viewers' tracks (RTCP BYE) or at least their media; DELETE
    twice gives 404; the room closes when its last participant leaves;
  - --whep-wait-seconds: a viewer that arrives first waits for the publisher;
  - Debian's simple-whip-client (GStreamer) publishes via Tests/Interop/whip-client-loopback and an
    aiortc viewer decodes it;
  - when chromium, chromium-driver (Debian) and selenium (PyPI) are installed: headless Chromium runs
    the host page (simulcast camera + screen share) and the watch page (skipped otherwise).

usage: python3 webinar_server_test.py --server PATH-TO-WebinarServer [--viewers N] [--frames N] [-v]
Prints one line per check ("ok - ..." / "FAIL - ...") and "webinar-server: P passed, F failed";
exits 1 if any check failed. Every process it starts is killed on exit; a watchdog ends the test
after --deadline seconds (default 110).
"""

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

log = logging.getLogger("webinar_server_test")
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SDP = {"Content-Type": "application/sdp"}
children = []  # every subprocess.Popen this test starts
browser_groups = []  # process groups of chromedriver and its Chromium (selenium starts them)


# ---------------------------------------------------------------- results and process hygiene

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"ok - {name}", flush=True)
        else:
            self.failed.append(name)
            print(f"FAIL - {name}" + (f": {detail}" if detail else ""), flush=True)
        return condition


def kill_children():
    for child in children:
        if child.poll() is None:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    for group in browser_groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for child in children:
        try:
            child.wait(timeout=5)
        except Exception:
            pass


def start_watchdog(seconds):
    def fire():
        print(f"FAIL - the test did not finish within {seconds:.0f} s (watchdog)", flush=True)
        print("webinar-server: 0 passed, 1 failed", flush=True)
        kill_children()
        os._exit(1)
    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()


def spawn(args, log_path, **kwargs):
    """Starts a process in its own process group (so it and its children can be killed together)."""
    out = open(log_path, "wb")
    child = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True, **kwargs)
    child.log_path = log_path
    children.append(child)
    return child


def tail(path, lines=25):
    try:
        with open(path, "rb") as f:
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Server:
    """One WebinarServer process on a free HTTP port and ephemeral UDP ports, all on 127.0.0.1."""

    def __init__(self, binary, workdir, name, extra):
        self.name = name
        self.log_path = os.path.join(workdir, f"server-{name}.log")
        args = [binary, "--http-address", "127.0.0.1", "--http-port", "0", "--udp-address", "127.0.0.1",
                "--udp-port", "0", "--announced-ip", "127.0.0.1", *extra]
        self.process = spawn(args, self.log_path)
        self.base = None

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = tail(self.log_path, 200)
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", text)
            if match:
                self.base = match.group(1)
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.name} exited with {self.process.returncode}:\n{tail(self.log_path)}")
            time.sleep(0.1)
        raise RuntimeError(f"server {self.name} printed no 'listening on' line within {timeout} s:\n{tail(self.log_path)}")

    def url(self, path):
        return self.base + path


# ---------------------------------------------------------------- HTTP (urllib, in threads)

class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name) if self.headers is not None else None

    def __repr__(self):
        return f"{self.status} {self.body[:300]!r}"


def http_sync(method, url, body=None, headers=None, timeout=15):
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.headers, response.read().decode(errors="replace"))
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers, error.read().decode(errors="replace"))
    except (ConnectionError, OSError) as error:
        return Reply(-1, None, f"{type(error).__name__}: {error}")


async def http(method, url, body=None, headers=None, timeout=15):
    return await asyncio.to_thread(http_sync, method, url, body, headers, timeout)


async def rooms(server):
    reply = await http("GET", server.url("/api/rooms"))
    return {room["name"]: room for room in json.loads(reply.body)} if reply.status == 200 else {}


async def wait_until(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(interval)
    return await predicate()


# ---------------------------------------------------------------- aiortc peers

def aiortc_modules():
    import av
    import numpy as np
    from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCRtpSender,
                        RTCSessionDescription, VideoStreamTrack)
    from aiortc_peer import make_tracks, restrict_ice_to_loopback
    restrict_ice_to_loopback()
    return dict(av=av, np=np, MediaStreamTrack=MediaStreamTrack, RTCConfiguration=RTCConfiguration,
                RTCPeerConnection=RTCPeerConnection, RTCRtpSender=RTCRtpSender,
                RTCSessionDescription=RTCSessionDescription, VideoStreamTrack=VideoStreamTrack,
                make_tracks=make_tracks)


class Publisher:
    """aiortc publisher: Opus tone + VP8 moving bar (Tests/Interop/aiortc_peer.py's sources)."""

    def __init__(self, m):
        self.m = m
        self.pc = m["RTCPeerConnection"](m["RTCConfiguration"](iceServers=[]))
        audio, video = m["make_tracks"](m["av"], m["np"], m["MediaStreamTrack"], m["VideoStreamTrack"], 320, 240, 30)
        caps = m["RTCRtpSender"].getCapabilities
        t = self.pc.addTransceiver(audio, direction="sendonly")
        t.setCodecPreferences([c for c in caps("audio").codecs if c.mimeType.lower() == "audio/opus"])
        t = self.pc.addTransceiver(video, direction="sendonly")
        t.setCodecPreferences([c for c in caps("video").codecs if c.mimeType.lower() in ("video/vp8", "video/rtx")])

    async def offer(self):
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answer(self, sdp):
        await self.pc.setRemoteDescription(self.m["RTCSessionDescription"](sdp=sdp, type="answer"))

    async def close(self):
        await self.pc.close()


class Viewer:
    """aiortc WHEP viewer: 1 audio + 2 video recvonly m-lines; counts decoded frames per kind."""

    def __init__(self, m, name):
        self.m, self.name = m, name
        self.pc = m["RTCPeerConnection"](m["RTCConfiguration"](iceServers=[]))
        self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("video", direction="recvonly")
        self.frames = {"audio": 0, "video": 0}
        self.first_video_at = None
        self.last_video_at = None
        self.ended = {"audio": False, "video": False}
        self.tasks = []
        self.location = None

        @self.pc.on("track")
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self._drain(track)))

    async def _drain(self, track):
        # aiortc queues decoded frames without bound: always consume them.
        try:
            while True:
                await track.recv()
                self.frames[track.kind] += 1
                if track.kind == "video":
                    now = time.monotonic()
                    self.first_video_at = self.first_video_at or now
                    self.last_video_at = now
        except Exception:  # MediaStreamError: the track ended (RTCP BYE or close)
            if self.frames[track.kind] > 0:
                self.ended[track.kind] = True

    async def offer(self):
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answer(self, sdp):
        await self.pc.setRemoteDescription(self.m["RTCSessionDescription"](sdp=sdp, type="answer"))

    async def close(self):
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


async def subscribe(server, room, viewer):
    reply = await http("POST", server.url(f"/whep/{room}"), await viewer.offer(), SDP)
    if reply.status == 201:
        viewer.location = reply.header("Location")
        await viewer.answer(reply.body)
    return reply


# ---------------------------------------------------------------- the checks

async def check_requests(r, server):
    """Bad and unusual requests against the token server (no media)."""
    reply = await http("OPTIONS", server.url("/whip/opts"))
    r.check("OPTIONS /whip/{room} → 204 with Accept-Post: application/sdp",
            reply.status == 204 and reply.header("Accept-Post") == "application/sdp", repr(reply))

    m = aiortc_modules()
    probe = Publisher(m)
    offer = await probe.offer()
    await probe.close()

    reply = await http("POST", server.url("/whip/bad"), offer, SDP)
    r.check("WHIP without the bearer token → 401", reply.status == 401, repr(reply))
    reply = await http("POST", server.url("/whip/bad"), offer, {**SDP, "Authorization": "Bearer nope"})
    r.check("WHIP with a wrong bearer token → 401", reply.status == 401, repr(reply))
    reply = await http("POST", server.url("/whep/no-such-room"), offer.replace("sendonly", "recvonly"), SDP)
    r.check("WHEP to an unknown room → 404", reply.status == 404, repr(reply))
    reply = await http("POST", server.url("/whip/bad"), offer, {**AUTH, "Content-Type": "text/plain"})
    r.check("WHIP with Content-Type text/plain → 415", reply.status == 415, repr(reply))
    reply = await http("POST", server.url("/whip/bad"), offer, AUTH)
    r.check("WHIP without Content-Type → 415", reply.status in (400, 415), repr(reply))
    huge = offer + "a=x-padding:" + "x" * 200_000 + "\r\n"
    reply = await http("POST", server.url("/whip/bad"), huge, {**SDP, **AUTH})
    r.check("WHIP with a 200 kB body (limit 64 KiB) → 413", reply.status == 413, repr(reply))
    reply = await http("POST", server.url("/whip/bad"), "hello, I am not SDP\r\n", {**SDP, **AUTH})
    r.check("WHIP with garbage SDP → 400 with the parse error", reply.status == 400 and len(reply.body.strip()) > 10, repr(reply))
    headless = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    reply = await http("POST", server.url("/whip/bad"), headless, {**SDP, **AUTH})
    r.check("WHIP with SDP that has no m-line → 400", reply.status == 400, repr(reply))
    contradictory = offer.replace("a=sendonly", "a=recvonly")
    reply = await http("POST", server.url("/whip/bad"), contradictory, {**SDP, **AUTH})
    r.check("WHIP with a recvonly offer (nothing to publish) → 4xx", 400 <= reply.status < 500, repr(reply))
    reply = await http("POST", server.url("/whip/bad%20room"), offer, {**SDP, **AUTH})
    r.check("WHIP to an invalid room name → 400", reply.status == 400, repr(reply))
    left = await rooms(server)
    r.check("bad requests leave no room behind", "bad" not in left, f"rooms: {sorted(left)}")

    reply = await http("DELETE", server.url("/whip/bad/nosuchsession"), None, AUTH)
    r.check("DELETE of an unknown WHIP session → 404", reply.status == 404, repr(reply))
    reply = await http("PATCH", server.url("/whip/bad/nosuchsession"), "a=end-of-candidates\r\n",
                       {**AUTH, "Content-Type": "application/trickle-ice-sdpfrag"})
    r.check("PATCH of an unknown WHIP session → 404", reply.status == 404, repr(reply))


async def check_media(r, server, viewers, min_frames):
    """aiortc publisher → WHIP; aiortc viewers ← WHEP; PATCH; DELETE; cleanup."""
    m = aiortc_modules()
    room = "webinar"
    publisher = Publisher(m)
    reply = await http("POST", server.url(f"/whip/{room}"), await publisher.offer(), {**SDP, **AUTH})
    ok = r.check("aiortc WHIP publish → 201 with an SDP answer, Location and ETag",
                 reply.status == 201 and reply.header("Content-Type", ) == "application/sdp"
                 and (reply.header("Location") or "").startswith(f"/whip/{room}/") and reply.header("ETag")
                 and reply.body.startswith("v=0"), repr(reply))
    if not ok:
        await publisher.close()
        return
    whip_location, etag = reply.header("Location"), reply.header("ETag")
    answer = reply.body

    await publisher.answer(answer)
    published = await wait_until(lambda: _tracks_in(server, room, 2), 10)
    r.check("publisher connects; /api/rooms lists its audio and video tracks", published,
            json.dumps((await rooms(server)).get(room)))

    # Trickle ICE PATCH (RFC 9725 §4.3.1): accepted and ignored by the ICE-lite server.
    fragment = "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" \
               "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\na=end-of-candidates\r\n"
    ufrag = re.search(r"a=ice-ufrag:(\S+)", publisher.pc.localDescription.sdp).group(1)
    pwd = re.search(r"a=ice-pwd:(\S+)", publisher.pc.localDescription.sdp).group(1)
    trickle = {**AUTH, "Content-Type": "application/trickle-ice-sdpfrag"}
    reply = await http("PATCH", server.url(whip_location), fragment.format(ufrag, pwd), {**trickle, "If-Match": etag})
    r.check("PATCH trickle candidates with If-Match → 204", reply.status == 204, repr(reply))
    reply = await http("PATCH", server.url(whip_location), fragment.format(ufrag, pwd), {**trickle, "If-Match": '"stale"'})
    r.check("PATCH with a stale If-Match → 412", reply.status == 412, repr(reply))
    reply = await http("PATCH", server.url(whip_location), fragment.format("newufrag", "newpassword0123456789ab"), trickle)
    r.check("PATCH with a new ice-ufrag (ICE restart, unsupported) → 422", reply.status == 422, repr(reply))
    reply = await http("PATCH", server.url(whip_location), fragment.format(ufrag, pwd), {**AUTH, "Content-Type": "application/sdp"})
    r.check("PATCH with Content-Type application/sdp → 415", reply.status == 415, repr(reply))

    # A publisher's offer sent to WHEP: nothing to receive; refused, and the viewer does not stay.
    before = len((await rooms(server))[room]["participants"])
    reply = await http("POST", server.url(f"/whep/{room}"), publisher.pc.localDescription.sdp, SDP)
    after = len((await rooms(server))[room]["participants"])
    r.check("WHEP with a sendonly (publisher's) offer → 400, no participant left behind",
            reply.status == 400 and after == before, f"{reply!r}; participants {before} → {after}")

    # Viewers.
    group = [Viewer(m, f"viewer{i}") for i in range(viewers)]
    replies = await asyncio.gather(*(subscribe(server, room, v) for v in group))
    r.check(f"{viewers} aiortc WHEP viewers → 201 each",
            all(x.status == 201 and (x.header("Location") or "").startswith(f"/whep/{room}/") for x in replies),
            "; ".join(repr(x) for x in replies))
    started = time.monotonic()

    async def decoded():
        return all(v.frames["video"] >= min_frames and v.frames["audio"] > 0 for v in group)
    ok = await wait_until(decoded, 12, 0.2)
    counts = ", ".join(f"{v.name}: {v.frames['video']} video / {v.frames['audio']} audio" for v in group)
    r.check(f"each viewer decodes ≥ {min_frames} video frames and receives audio within 12 s", ok,
            counts + f" after {time.monotonic() - started:.1f} s")
    firsts = [v.first_video_at - started for v in group if v.first_video_at]
    if firsts:
        print(f"# join to first decoded frame: {min(firsts):.2f}–{max(firsts):.2f} s ({counts})", flush=True)

    reply = await http("GET", server.url(f"/api/rooms/{room}/stats"))
    try:
        stats = json.loads(reply.body)
        r.check("GET /api/rooms/{room}/stats → JSON with the room's participants",
                reply.status == 200 and stats.get("name") == room and len(stats.get("participants", [])) == viewers + 1,
                reply.body[:300])
    except ValueError:
        r.check("GET /api/rooms/{room}/stats → JSON", False, repr(reply))

    # The publisher leaves: viewers' tracks end (RTCP BYE) or at least their video stops.
    reply = await http("DELETE", server.url(whip_location), None, AUTH)
    r.check("DELETE of the WHIP session → 200", reply.status == 200, repr(reply))
    deleted_at = time.monotonic()
    reply = await http("DELETE", server.url(whip_location), None, AUTH)
    r.check("second DELETE of the WHIP session → 404", reply.status == 404, repr(reply))

    async def tracks_ended():
        return all(v.ended["video"] for v in group)
    ended = await wait_until(tracks_ended, 5, 0.2)
    if ended:
        r.check("publisher DELETE ends every viewer's video track (RTCP BYE)", True)
    else:
        await asyncio.sleep(1.5)
        stalled = all(v.last_video_at is None or v.last_video_at < time.monotonic() - 1.0 for v in group)
        gone = not await _tracks_in(server, room, 1)
        r.check("publisher DELETE stops the viewers' video and unpublishes its tracks (no BYE seen)",
                stalled and gone, f"video still flowing={not stalled}, tracks still listed={not gone}")
        print("# note: viewers' tracks did not end within 5 s of the DELETE (no RTCP BYE handled by aiortc)", flush=True)
    await publisher.close()

    # The room still exists (the viewers are in it) but has nothing published: 409.
    late = Viewer(m, "late")
    reply = await subscribe(server, room, late)
    r.check("WHEP to a room whose publisher left (viewers remain) → 409", reply.status == 409, repr(reply))
    if reply.status == 201:
        await http("DELETE", server.url(late.location))
    await late.close()

    for v in group:
        reply = await http("DELETE", server.url(v.location))
        r.check(f"DELETE of {v.name}'s WHEP session → 200, again → 404",
                reply.status == 200 and (await http("DELETE", server.url(v.location))).status == 404, repr(reply))
        await v.close()
    closed = await wait_until(lambda: _room_absent(server, room), 5)
    r.check("the room closes when its last participant leaves", closed, json.dumps((await rooms(server)).get(room)))


async def _tracks_in(server, room, count):
    info = (await rooms(server)).get(room)
    return bool(info) and len(info["tracks"]) >= count


async def _room_absent(server, room):
    return room not in await rooms(server)


async def check_wait(r, server):
    """--whep-wait-seconds: a viewer that arrives before the tracks waits; 10 000 m-lines → 4xx."""
    m = aiortc_modules()
    many = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + \
        "".join(f"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:{i}\r\na=sendonly\r\n" for i in range(10_000))
    reply = await http("POST", server.url("/whip/many"), many, SDP)
    r.check(f"WHIP with 10 000 m-lines ({len(many) // 1024} KiB, under the 1 MiB limit) → 400 or 413",
            reply.status in (400, 413), repr(reply))
    r.check("the 10 000 m-line offer leaves no room behind", "many" not in await rooms(server))

    # A room with a viewer and nothing published: its first publisher left.
    room = "late"
    first = Publisher(m)
    reply = await http("POST", server.url(f"/whip/{room}"), await first.offer(), SDP)
    if not r.check("WHIP publish (wait server) → 201", reply.status == 201, repr(reply)):
        await first.close()
        return
    first_location = reply.header("Location")
    await first.answer(reply.body)
    stayer = Viewer(m, "stayer")
    reply = await subscribe(server, room, stayer)
    r.check("a first viewer joins → 201", reply.status == 201, repr(reply))
    await wait_until(lambda: _async_true(stayer.frames["video"] > 0), 8, 0.2)
    await http("DELETE", server.url(first_location))
    await first.close()
    emptied = await wait_until(lambda: _tracks_absent(server, room), 5)
    r.check("after the publisher's DELETE the room has no tracks but still exists",
            emptied and room in await rooms(server), json.dumps((await rooms(server)).get(room)))
    frames_before = stayer.frames["video"]
    sent_before = await _packets_sent(server, room, stayer.location)

    waiter = Viewer(m, "waiting")
    pending = asyncio.ensure_future(subscribe(server, room, waiter))
    await asyncio.sleep(1.0)
    r.check("WHEP to a room with nothing published waits (--whep-wait-seconds 8)", not pending.done(),
            repr(pending.result()) if pending.done() else "")
    second = Publisher(m)
    reply = await http("POST", server.url(f"/whip/{room}"), await second.offer(), SDP)
    r.check("a new publisher → 201", reply.status == 201, repr(reply))
    second_location = reply.header("Location")
    if reply.status == 201:
        await second.answer(reply.body)
    try:
        reply = await asyncio.wait_for(pending, 12)
    except asyncio.TimeoutError:
        reply = Reply(-1, None, "no answer within 12 s")
    r.check("… and the waiting viewer gets 201 once the new tracks are live", reply.status == 201, repr(reply))
    if reply.status == 201:
        ok = await wait_until(lambda: _async_true(waiter.frames["video"] >= 10), 10, 0.2)
        r.check("the waiting viewer decodes ≥ 10 video frames", ok, f"{waiter.frames}")
        await http("DELETE", server.url(waiter.location))
    # Informational: does the viewer that stayed get the new publisher's video on its free m-lines?
    await asyncio.sleep(1.0)
    sent_after = await _packets_sent(server, room, stayer.location)
    print(f"# note: to the viewer that stayed, Podium sent {sent_after - sent_before} RTP packets after the new publisher "
          f"came; it decoded {stayer.frames['video'] - frames_before} new video frames (aiortc ended its first video "
          f"track on BYE: {stayer.ended['video']}, and decodes nothing more on an ended track)", flush=True)
    for location in (stayer.location, second_location):
        if location:
            await http("DELETE", server.url(location))
    await waiter.close()
    await stayer.close()
    await second.close()


async def _packets_sent(server, room, location):
    """RTP packets Podium sent on the session behind a WHEP Location (0 if not found)."""
    session = (location or "").rsplit("/", 1)[-1]
    reply = await http("GET", server.url(f"/api/rooms/{room}/stats"))
    try:
        for participant in json.loads(reply.body).get("participants", []):
            for s in participant.get("sessions", []):
                sid = s.get("id")
                sid = sid.get("rawValue") if isinstance(sid, dict) else sid
                if sid == session:
                    return s.get("rtpPacketsSent", 0)
    except (ValueError, AttributeError):
        pass
    return 0


async def _async_true(value):
    return value


async def check_whip_client(r, server, workdir, min_frames):
    """Debian's simple-whip-client publishes; an aiortc viewer decodes."""
    if not shutil.which("whip-client"):
        r.check("simple-whip-client is installed (apt-get install simple-whip-client)", False)
        return
    room = "gstreamer"
    audio = ("audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! queue ! opusenc ! "
             "rtpopuspay pt=100 ! queue ! application/x-rtp,media=audio,encoding-name=OPUS,payload=100")
    video = ("videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 ! "
             "videoconvert ! queue ! vp8enc deadline=1 keyframe-max-dist=60 ! rtpvp8pay pt=96 ! queue ! "
             "application/x-rtp,media=video,encoding-name=VP8,payload=96")
    log_path = os.path.join(workdir, "whip-client.log")
    client = spawn(["bash", os.path.join(HERE, "whip-client-loopback"), "-u", server.url(f"/whip/{room}"),
                    "-t", TOKEN, "-n", "-o", "-A", audio, "-V", video], log_path)
    published = await wait_until(lambda: _tracks_in(server, room, 2), 15, 0.2)
    if not r.check("simple-whip-client publishes audio + video via WHIP (with the loopback shims)", published,
                   f"exit={client.poll()}\n{tail(log_path)}"):
        return
    m = aiortc_modules()
    viewer = Viewer(m, "gst-viewer")
    reply = await subscribe(server, room, viewer)
    if r.check("aiortc WHEP viewer of the simple-whip-client room → 201", reply.status == 201, repr(reply)):
        ok = await wait_until(lambda: _async_true(viewer.frames["video"] >= min_frames and viewer.frames["audio"] > 0), 12, 0.2)
        r.check(f"the viewer decodes ≥ {min_frames} VP8 frames from simple-whip-client and receives audio", ok,
                f"{viewer.frames}")
    # SIGINT makes whip-client send DELETE for its resource before it exits.
    os.killpg(client.pid, signal.SIGINT)
    try:
        await asyncio.to_thread(client.wait, 10)
    except subprocess.TimeoutExpired:
        pass
    gone = await wait_until(lambda: _tracks_absent(server, room), 5, 0.2)
    r.check("simple-whip-client's DELETE on exit unpublishes its tracks", gone, tail(log_path, 8))
    if viewer.location:
        await http("DELETE", server.url(viewer.location))
    await viewer.close()


def browser_missing():
    """Why the browser section cannot run here, or None."""
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        return "Debian's chromium and chromium-driver are not installed"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium (PyPI) is not installed"
    return None


def browser_pages(r, server, workdir):
    """Headless Chromium runs the real pages: /host/{room} publishes camera + microphone with three
    simulcast encodings (fake devices), /watch/{room} plays it; then "Share screen" adds a second
    WHIP session that the viewer shows on its second video m-line without renegotiation."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    def chromium(name):
        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--use-fake-device-for-media-stream",
                     "--use-fake-ui-for-media-stream", "--auto-select-desktop-capture-source=Entire screen",
                     "--disable-gpu", "--mute-audio", "--no-first-run", f"--user-data-dir={workdir}/chromium-{name}"):
            options.add_argument(flag)
        options.binary_location = shutil.which("chromium")
        options.page_load_strategy = "none"
        # Its own process group, so that Chromium (chromedriver's child) can be killed with it.
        service = Service(shutil.which("chromedriver"), log_output=os.path.join(workdir, f"chromedriver-{name}.log"),
                          popen_kw={"start_new_session": True})
        driver = webdriver.Chrome(service=service, options=options)
        browser_groups.append(service.process.pid)
        return driver

    def wait(predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return True
            except Exception:
                pass
            time.sleep(0.5)
        return False

    frames = "const v = document.getElementById(arguments[0]); return v ? v.getVideoPlaybackQuality().totalVideoFrames : -1;"
    host = watch = None
    try:
        host = chromium("host")
        host.get(server.url("/host/browser"))
        if not r.check("Chromium: the host page loads", wait(lambda: host.find_element(By.ID, "live").is_enabled(), 20)):
            return
        host.find_element(By.ID, "token").send_keys(TOKEN)
        host.find_element(By.ID, "live").click()
        live = wait(lambda: host.find_element(By.ID, "state").text == "connected", 20)
        r.check("Chromium: /host/{room} publishes camera + microphone with simulcast q/h/f (connected)",
                live and wait(lambda: _rids(server, "browser") == ["q", "h", "f"], 5),
                f"state={host.find_element(By.ID, 'state').text!r} error={host.find_element(By.ID, 'error').text!r} "
                f"rids={_rids(server, 'browser')}")
        watch = chromium("watch")
        watch.get(server.url("/watch/browser"))
        # Why 30 s: Chromium starts its top simulcast layer only after its own bandwidth ramp-up.
        playing = wait(lambda: watch.execute_script(frames, "main") >= 30, 30)
        r.check("Chromium: /watch/{room} plays the camera (≥ 30 frames)", playing,
                f"state={watch.find_element(By.ID, 'state').text!r} rate={watch.find_element(By.ID, 'rate').text!r} "
                f"frames={watch.execute_script(frames, 'main')} error={watch.find_element(By.ID, 'error').text!r}")
        host.find_element(By.ID, "screen").click()
        shared = wait(lambda: watch.execute_script(frames, "screen") >= 10, 20)
        r.check("Chromium: Share screen → the viewer plays it on its second video (≥ 10 frames)", shared,
                f"screen state={host.find_element(By.ID, 'screenState').text!r} "
                f"frames={watch.execute_script(frames, 'screen')} error={host.find_element(By.ID, 'error').text!r}")
        host.find_element(By.ID, "stop").click()
        gone = wait(lambda: "browser" not in json.loads(http_sync("GET", server.url("/api/rooms")).body)
                    or not [t for room in json.loads(http_sync("GET", server.url("/api/rooms")).body)
                            if room["name"] == "browser" for t in room["tracks"]], 10)
        r.check("Chromium: Stop ends both WHIP sessions (no track left)", gone)
    finally:
        for driver in (watch, host):
            if driver:
                try:
                    driver.quit()
                except Exception:
                    pass
        for group in browser_groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _rids(server, room):
    try:
        for info in json.loads(http_sync("GET", server.url("/api/rooms")).body):
            if info["name"] == room:
                return next((t["rids"] for t in info["tracks"] if t["kind"] == "video"), [])
    except ValueError:
        pass
    return []


async def check_browser(r, server, workdir):
    missing = browser_missing()
    if missing:
        if os.environ.get("CI"):
            # In CI the driver script installs the browser: its absence is a failure, not a skip.
            r.check("Chromium and selenium are available for the browser checks", False, missing)
        else:
            print(f"# skip browser: {missing}", flush=True)
        return
    await asyncio.to_thread(browser_pages, r, server, workdir)


async def _tracks_absent(server, room):
    info = (await rooms(server)).get(room)
    return not info or not info["tracks"]


# ---------------------------------------------------------------- main

async def run(args, r):
    import tempfile
    workdir = tempfile.mkdtemp(prefix="webinar-server-test.")
    main = Server(args.server, workdir, "token", ["--token", TOKEN])
    wait = Server(args.server, workdir, "wait", ["--whep-wait-seconds", "8", "--max-body-bytes", str(1 << 20)])
    try:
        try:
            await asyncio.to_thread(main.wait_ready)
            await asyncio.to_thread(wait.wait_ready)
        except RuntimeError as error:
            r.check("both servers start", False, str(error))
            return
        r.check("both servers start and print their URL", True)
        reply = await http("GET", main.url("/"))
        r.check("GET / serves the room list page", reply.status == 200 and "<html" in reply.body, repr(reply))
        reply = await http("GET", main.url("/host/demo"))
        r.check("GET /host/{room} and /watch/{room} serve the pages",
                reply.status == 200 and "getUserMedia" in reply.body
                and "recvonly" in (await http("GET", main.url("/watch/demo"))).body
                and (await http("GET", main.url("/static/podium.js"))).status == 200, repr(reply))

        sections = [("requests", lambda: check_requests(r, main)),
                    ("media", lambda: check_media(r, main, args.viewers, args.frames)),
                    ("wait", lambda: check_wait(r, wait)),
                    ("whip-client", lambda: check_whip_client(r, main, workdir, args.frames)),
                    ("browser", lambda: check_browser(r, main, workdir))]
        for name, section in sections:
            if args.only and name not in args.only:
                continue
            started = time.monotonic()
            try:
                await section()
            except Exception as error:
                log.exception("section %s", name)
                r.check(f"section {name} ran without an exception", False, f"{type(error).__name__}: {error}")
            print(f"# {name}: {time.monotonic() - started:.1f} s", flush=True)

        # Graceful shutdown on SIGTERM.
        main.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(main.process.wait, 10)
        except subprocess.TimeoutExpired:
            code = None
        r.check("SIGTERM shuts the server down cleanly (exit 0)", code == 0, f"exit {code}\n{tail(main.log_path, 10)}")
    finally:
        if r.failed:
            for server in (main, wait):
                print(f"# last lines of the {server.name} server's log ({server.log_path}):\n{tail(server.log_path, 40)}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", required=True, help="path to the built WebinarServer executable")
    p.add_argument("--viewers", type=int, default=2, help="aiortc WHEP viewers in the media check (default 2)")
    p.add_argument("--frames", type=int, default=30, help="video frames each viewer must decode (default 30)")
    p.add_argument("--only", action="append", choices=["requests", "media", "wait", "whip-client", "browser"],
                   help="run only these sections (repeatable)")
    p.add_argument("--deadline", type=float, default=110, help="watchdog, seconds (default 110)")
    p.add_argument("--verbose", "-v", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not args.verbose:
        # aiortc/aioice log expected noise (closed transports) at WARNING/ERROR.
        for name in ("aiortc", "aioice"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    start_watchdog(args.deadline)
    signal.signal(signal.SIGTERM, lambda *_: (kill_children(), os._exit(1)))
    r = Results()
    started = time.monotonic()
    try:
        asyncio.run(run(args, r))
    except KeyboardInterrupt:
        r.check("not interrupted", False)
    finally:
        kill_children()
    print(f"webinar-server: {r.passed} passed, {len(r.failed)} failed ({time.monotonic() - started:.0f} s)", flush=True)
    os._exit(1 if r.failed or r.passed == 0 else 0)


if __name__ == "__main__":
    main()
