// A tiny WHIP/WHEP client (RFC 9725; WHEP works the same way) and a live-bitrate meter.
// Podium is ICE-lite and puts all its candidates in the answer, so the client sends one complete
// offer (no trickle) and never needs PATCH.

/** Waits until ICE gathering completes, or `ms` pass (an ICE-lite server needs no client candidates). */
function gathered(pc, ms = 1500) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    const timer = setTimeout(done, ms);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

export class HTTPError extends Error {
  constructor(status, text) { super(`${status}: ${text.trim()}`); this.status = status; }
}

/**
 * Sends the peer connection's offer to a WHIP or WHEP endpoint and applies the answer.
 * Returns the session: { location, participant, etag }. Throws HTTPError for a non-201 answer.
 */
export async function negotiate(pc, endpoint, { token, participant } = {}) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const headers = { "Content-Type": "application/sdp" };
  if (token) headers["Authorization"] = `Bearer ${token}`;
  if (participant) headers["X-Podium-Participant"] = participant;
  const response = await fetch(endpoint, { method: "POST", headers, body: pc.localDescription.sdp });
  const body = await response.text();
  if (response.status !== 201) throw new HTTPError(response.status, body);
  await pc.setRemoteDescription({ type: "answer", sdp: body });
  return {
    location: new URL(response.headers.get("Location"), new URL(endpoint, location.href)).href,
    participant: response.headers.get("X-Podium-Participant"),
    etag: response.headers.get("ETag"),
    token,
  };
}

/** Ends a session (DELETE on its resource). `keepalive` lets it finish while the page unloads. */
export async function end(session) {
  if (!session) return;
  const headers = session.token ? { Authorization: `Bearer ${session.token}` } : {};
  try { await fetch(session.location, { method: "DELETE", headers, keepalive: true }); } catch (_) { /* page is going */ }
}

/** Samples getStats() every second and calls `report({kbps, frames, width, height, fps})`. */
export function meter(pc, direction, report) {
  let last = null;
  const timer = setInterval(async () => {
    if (pc.connectionState === "closed") { clearInterval(timer); return; }
    const stats = await pc.getStats();
    let bytes = 0, frames = 0, width = 0, height = 0, fps = 0, at = 0;
    stats.forEach((s) => {
      if (s.type !== direction) return;
      at = Math.max(at, s.timestamp);
      bytes += direction === "outbound-rtp" ? (s.bytesSent || 0) : (s.bytesReceived || 0);
      if (s.kind === "video") {
        frames += direction === "outbound-rtp" ? (s.framesEncoded || 0) : (s.framesDecoded || 0);
        if ((s.frameWidth || 0) > width) { width = s.frameWidth; height = s.frameHeight; fps = s.framesPerSecond || 0; }
      }
    });
    if (last && at > last.at) {
      report({ kbps: ((bytes - last.bytes) * 8) / (at - last.at), frames, width, height, fps });
    }
    last = { bytes, at };
  }, 1000);
  return () => clearInterval(timer);
}

export function roomFromPath() {
  return decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "demo");
}
