"""Noticing an engine that stopped answering while its connection stays open.

The event stream can be silent for hours on an idle engine, so silence proves nothing; and a
half-open TCP or SSH connection (a laptop that slept, a NAT that forgot the flow, a frozen
engine) never ends the read. So while connected Berth asks ``/_ping`` every ``PING_INTERVAL``
seconds on a connection of its own, each ping allowed as long again: a dead engine is noticed
within ``2 * PING_INTERVAL`` seconds. TCP keepalive on the stream's socket is a second, free
guard where the peer's kernel is gone too.
"""

from __future__ import annotations

import socket
import threading
from typing import Callable

from desktop.engine.errors import describe_connection_failure, requests_errors

PING_INTERVAL = 10.0  # seconds between pings while connected, and how long one may take

# TCP keepalive on the event stream: first probe after this many idle seconds, then one every
# KEEPALIVE_INTERVAL, KEEPALIVE_COUNT unanswered probes end the connection (10 + 3 * 5 = 25 s)
KEEPALIVE_IDLE = 10
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 3


class Heartbeat:
    """Calls *ping* every *interval* seconds; the first ping that raises, or that has not
    returned after *interval* seconds, calls *on_silence* once with a sentence saying why, and
    the heartbeat ends. ``stop`` ends it early. Each ping runs on a short-lived thread of its own
    and is timed here, so even a transport whose reads have no timeout (the SDK's ssh client) is
    caught; give the ping's client a timeout too, so a stuck ping ends by itself."""

    def __init__(self, ping: Callable[[], object], interval: float, on_silence: Callable[[str], None]):
        if interval <= 0:
            raise ValueError("the ping interval must be positive")
        self._ping = ping
        self.interval = interval
        self._on_silence = on_silence
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="engine-heartbeat", daemon=True)
        self.reason = ""  # why the engine was declared silent ("" while it answers)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop pinging; a ping under way is not waited for."""
        self._stopped.set()

    def _ping_once(self) -> BaseException | None:
        """None when the engine answered in time, else what went wrong."""
        answered = threading.Event()
        failure: list[BaseException] = []

        def ping() -> None:
            try:
                self._ping()
            except BaseException as exc:  # noqa: BLE001 - any failure means no answer
                failure.append(exc)
            finally:
                answered.set()

        threading.Thread(target=ping, name="engine-ping", daemon=True).start()
        if not answered.wait(self.interval):
            return TimeoutError()
        return failure[0] if failure else None

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            exc = self._ping_once()
            if exc is None:
                continue
            if self._stopped.is_set():
                return
            if isinstance(exc, (TimeoutError, *requests_errors("Timeout"))):
                why = f"it did not answer a ping within {self.interval:g} s"
            else:
                why = f"a ping failed: {describe_connection_failure(exc)}"
            self.reason = f"The Docker engine stopped answering ({why})."
            self._on_silence(self.reason)
            return


def stream_socket(response) -> socket.socket | None:
    """The plain socket under a streamed requests *response*, or None (SSH channels, TLS wrappers
    that hide it)."""
    fp = getattr(getattr(getattr(response, "raw", None), "_fp", None), "fp", None)
    raw = getattr(fp, "raw", fp)
    sock = getattr(raw, "_sock", None) or getattr(raw, "sock", None)
    sock = getattr(sock, "socket", sock)  # pyopenssl's WrappedSocket
    return sock if isinstance(sock, socket.socket) else None


def enable_keepalive(sock: socket.socket | None) -> bool:
    """Turn on TCP keepalive with short timers on *sock* when it is TCP; True when it was."""
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", KEEPALIVE_IDLE), ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL),
                            ("TCP_KEEPCNT", KEEPALIVE_COUNT)):
            option = getattr(socket, name, None)
            if option is not None:  # Linux, recent macOS and Windows; elsewhere the system's timers
                sock.setsockopt(socket.IPPROTO_TCP, option, value)
    except OSError:
        return False
    return True
