"""Cancellation without Qt: a worker checks the token between steps, and a blocking stream
registers a callback (usually its ``close``) so cancelling from another thread unblocks it.

A request waiting on an engine that does not answer (stopped, frozen, a network that dropped)
checks nothing: ``shutdown_on_cancel`` shuts down the socket of every request a client makes
while it is active, so cancel wakes them at once (``cancel_by_shutdown`` is the same for work
that cannot keep it in one ``with`` block).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Callable, Iterator

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


def cancel_by_shutdown(api, token: CancelToken | None) -> Callable[[], None]:
    """``shutdown_on_cancel`` from now until the returned function is called, for work whose
    requests outlive one block (a load hands its response on to be read). Returns that function."""
    if token is None:
        return lambda: None
    stack = contextlib.ExitStack()
    stack.enter_context(shutdown_on_cancel(api, token))
    return stack.close


def shut_socket(sock) -> None:
    """Wake whoever blocks on *sock*: shut it down (the fd stays theirs to close). The SDK's SSH
    "socket" is an ssh process behind pipes: closing it ends the process, which ends the read."""
    try:
        if getattr(sock, "proc", None) is not None:  # docker.transport.sshconn.SSHSocket
            sock.close()
        else:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, AttributeError, ValueError):  # already closed, or never connected
        pass


@contextlib.contextmanager
def shutdown_on_cancel(api, token: CancelToken | None) -> Iterator[None]:
    """While inside, a cancel of *token* shuts down the socket of every request *api* (an SDK
    APIClient) has under way or makes later, so a thread blocked on an engine that never answers
    raises at once instead of waiting for a timeout (or forever: long operations have none).

    Works for every transport (unix socket, tcp, TLS, ssh) by watching the connections the
    client's pools hand out; nothing is changed after leaving. Use it on a client that only
    this operation uses (``ClientFactory.private_client`` or a thread's own client): cancel must
    not break someone else's request.
    """
    if token is None:
        yield
        return
    shutdown = getattr(api, "shutdown", None)
    if shutdown is not None:  # local_json.LocalApi: its requests, and any later, end at once
        unregister = token.on_cancel(shutdown)
        try:
            yield
        finally:
            unregister()
        return
    lock = threading.Lock()
    conns: list = []  # connections taken for a request while inside
    patched: list[tuple[object, str]] = []  # (object, attribute) to restore on leaving

    def shut(conn) -> None:
        sock = getattr(conn, "sock", None)
        if sock is not None:
            shut_socket(sock)

    def watch_conn(conn) -> None:
        with lock:
            if conn not in conns:
                conns.append(conn)
                connect = conn.connect

                def connect_then_check(*args, **kwargs):
                    result = connect(*args, **kwargs)
                    if token.cancelled:  # cancelled while connecting: the callback found no socket
                        shut(conn)
                    return result

                conn.connect = connect_then_check
                patched.append((conn, "connect"))
        if token.cancelled:
            shut(conn)

    def watch_pool(pool):
        with lock:
            if getattr(pool, "_berth_watched", False):
                return pool
            get_conn = pool._get_conn

            def get_conn_watched(*args, **kwargs):
                conn = get_conn(*args, **kwargs)
                watch_conn(conn)
                return conn

            pool._get_conn = get_conn_watched
            pool._berth_watched = True
            patched.extend([(pool, "_get_conn"), (pool, "_berth_watched")])
        return pool

    for adapter in list(getattr(api, "adapters", {}).values()):
        for name in ("get_connection_with_tls_context", "get_connection"):
            original = getattr(adapter, name, None)
            if original is None:
                continue

            def wrapped(*args, _original=original, **kwargs):
                return watch_pool(_original(*args, **kwargs))

            setattr(adapter, name, wrapped)
            patched.append((adapter, name))

    def on_cancel() -> None:
        with lock:
            taken = list(conns)
        for conn in taken:
            shut(conn)

    unregister = token.on_cancel(on_cancel)
    try:
        yield
    finally:
        unregister()
        with lock:
            for obj, name in reversed(patched):
                try:
                    delattr(obj, name)  # back to the class's own method
                except AttributeError:
                    pass
            patched.clear()
