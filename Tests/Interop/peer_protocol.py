"""The protocol channel and process hygiene shared by the interop peer scripts.

Both peers (aiortc_peer.py under the pyenv python3, gst_peer.py under Debian's /usr/bin/python3)
import this module from their own folder. It holds what must behave the same in both: one JSON
line per message on stdout, one error line at most, nothing counted as an error once the stats
line is out, and never a lingering process (os._exit, parent watch, hard watchdog).
"""

import json
import os
import sys
import threading
import time

EXIT_ERROR = 1
EXIT_TIMEOUT = 2
_stdout_lock = threading.Lock()
_error_sent = False
_finished = False  # set once the stats line is out: later trouble (shutdown) is not an error
_name = os.path.splitext(os.path.basename(sys.argv[0] or "peer"))[0]


def emit(obj):
    """Writes one JSON line to stdout (the protocol channel) and flushes it."""
    with _stdout_lock:
        sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
        sys.stdout.flush()


def finish_with(stats):
    """Emits the final stats line; from here on the peer only shuts down."""
    global _finished
    emit(stats)
    _finished = True


def die(message, code=EXIT_ERROR):
    """Reports an error on the protocol channel and exits at once.

    os._exit because aiortc's encoder threads, pending asyncio tasks and GStreamer's streaming
    threads would otherwise delay or block interpreter shutdown; a test must never see a
    lingering peer.
    """
    global _error_sent
    if _finished:
        try:
            sys.stderr.write(f"{_name}: after the stats line: {message}\n")
            sys.stderr.flush()
        except Exception:
            pass
        os._exit(0)
    with _stdout_lock:
        if not _error_sent:
            _error_sent = True
            try:
                sys.stdout.write(json.dumps({"type": "error", "message": message}) + "\n")
                sys.stdout.flush()
            except Exception:
                pass
    try:
        sys.stderr.write(f"{_name}: ERROR {message}\n")
        sys.stderr.flush()
    except Exception:
        pass
    os._exit(code)


def watch_parent():
    """Exits when the spawning process dies (we get re-parented), so an aborted test leaves
    nothing behind. Polling instead of PR_SET_PDEATHSIG: that signal fires when the spawning
    *thread* exits, which would kill a peer spawned from a short-lived thread of the test."""
    parent = os.getppid()
    if parent == 1:
        die("parent process is already gone")

    def poll():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                die("parent process died")

    threading.Thread(target=poll, name="parent-watch", daemon=True).start()


def start_watchdog(seconds, what):
    """A hard deadline independent of the event loop (which could be stuck in C code)."""
    def fire():
        die(f"hard timeout: {what} did not finish within {seconds:.0f} s", EXIT_TIMEOUT)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer
