"""Cancellation without Qt: a worker checks the token between steps, and a blocking stream
registers a callback (usually its ``close``) so cancelling from another thread unblocks it."""

from __future__ import annotations

import socket
import threading
import warnings
from typing import Callable

import requests

from desktop.engine.errors import Cancelled


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], object]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a close() racing with the stream's own end is harmless
                pass

    def on_cancel(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Run *callback* on cancel (at once if already cancelled); returns an unregister function."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)

                def unregister() -> None:
                    with self._lock:
                        if callback in self._callbacks:
                            self._callbacks.remove(callback)

                return unregister
        callback()
        return lambda: None

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, timeout: float) -> bool:
        """Sleep up to *timeout* seconds, waking early on cancel; True when cancelled."""
        return self._event.wait(timeout)


def cancel_by_shutdown(api, method: str, url: str, params: dict, token: CancelToken | None) -> Callable[[], None]:
    """Open now the connection the coming request will use, and shut its socket down when
    *token* is cancelled: that wakes a thread blocked in sending the archive or in waiting for
    the engine (an engine preparing a big save answers only after many seconds). Returns the
    function that unregisters the callback."""
    if token is None:
        return lambda: None
    try:
        # the SDK's unix-socket adapter keeps one pool per full URL, query string included
        request = requests.Request(method, url, params=params).prepare()
        adapter = api.get_adapter(request.url)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # requests' HTTPAdapter.get_connection
            if hasattr(adapter, "get_connection_with_tls_context"):
                pool = adapter.get_connection_with_tls_context(request, api.verify, cert=api.cert)
            else:
                pool = adapter.get_connection(request.url)
        conn = pool._get_conn()
        if getattr(conn, "sock", None) is None:
            conn.connect()
        sock = conn.sock
        pool._put_conn(conn)
    except Exception:  # noqa: BLE001 - then cancel acts between chunks only
        return lambda: None

    def shutdown() -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass

    return token.on_cancel(shutdown)
