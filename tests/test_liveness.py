"""An engine that stops answering while its connection stays open (half-open TCP, a stuck SSH
tunnel) is noticed and reconnected to: a TCP proxy between Berth and the isolated engine is told
to stop forwarding without closing anything."""

from __future__ import annotations

import socket
import threading

import pytest

from desktop.engine import liveness
from desktop.engine.connection import Endpoint
from desktop.engine.errors import EngineUnavailable
from desktop.tasks.engine_session import CONNECTED, DISCONNECTED, EngineSession
from desktop.tasks.manager import TaskManager

pytestmark = pytest.mark.engine


class StallingProxy:
    """127.0.0.1:PORT -> the engine's unix socket. ``stall()`` stops forwarding in both
    directions (bytes already read are held back, the sockets stay open); ``resume()`` goes on.
    Counts the ``/_ping`` requests it forwarded."""

    def __init__(self, unix_path: str):
        self.unix_path = unix_path
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self.closed = False
        self.pings = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def host(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def stall(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.closed = True
        self.flowing.set()
        with self._lock:
            sockets = [self.listener, *self._sockets]
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.unix_path)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, requests: bool) -> None:
        while True:
            self.flowing.wait()
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.flowing.wait()  # read while flowing, then stalled: hold it back
            if self.closed:
                return
            if requests:
                self.pings += data.count(b"/_ping")
            try:
                target.sendall(data)
            except OSError:
                return


@pytest.fixture
def proxy(docker_engine):
    proxy = StallingProxy(docker_engine.socket_path)
    yield proxy
    proxy.close()


@pytest.fixture
def tasks(qapp):
    manager = TaskManager()
    yield manager
    assert manager.shutdown(10000)


def test_default_notices_a_silent_engine_within_about_30_seconds():
    assert EngineSession.ping_interval == liveness.PING_INTERVAL
    assert 2 * liveness.PING_INTERVAL <= 30  # one interval to the next ping, one for it to time out
    assert liveness.KEEPALIVE_IDLE + liveness.KEEPALIVE_INTERVAL * liveness.KEEPALIVE_COUNT <= 30


def test_stalled_connection_is_noticed_and_reconnected(qtbot, tasks, proxy):
    session = EngineSession(tasks, [Endpoint(proxy.host, "user")])
    session.ping_interval = 1.5  # each ping may take 1.5 s: room for a loaded machine
    drops: list = []
    session.disconnected.connect(drops.append)
    session.start()
    qtbot.waitUntil(lambda: session.state == CONNECTED, timeout=15000)

    # pings flow while the engine answers, and a healthy engine is never dropped
    qtbot.waitUntil(lambda: proxy.pings >= 2, timeout=10000)
    assert session.state == CONNECTED and drops == []

    proxy.stall()
    qtbot.waitUntil(lambda: session.state == DISCONNECTED, timeout=10000)  # within 2 x 1.5 s
    error = drops[0]
    assert isinstance(error, EngineUnavailable)
    assert str(error) == "The Docker engine stopped answering (it did not answer a ping within 1.5 s)."
    assert session.last_error is error

    proxy.resume()
    qtbot.waitUntil(lambda: session.state == CONNECTED, timeout=30000)
    pings = proxy.pings
    qtbot.waitUntil(lambda: proxy.pings > pings, timeout=10000)  # and it watches again
    session.stop()


def test_heartbeat_reports_the_first_silence_once_and_stops():
    calls: list[str] = []
    done = threading.Event()
    answers = iter([True, True])

    def ping():
        return next(answers)  # then StopIteration: a ping that fails

    def on_silence(reason):
        calls.append(reason)
        done.set()

    heartbeat = liveness.Heartbeat(ping, 0.01, on_silence).start()
    assert done.wait(5)
    heartbeat._thread.join(5)
    assert not heartbeat._thread.is_alive() and len(calls) == 1
    assert calls[0] == heartbeat.reason and calls[0].startswith("The Docker engine stopped answering (a ping failed")
    with pytest.raises(ValueError):
        liveness.Heartbeat(ping, 0, on_silence)


def test_a_ping_that_never_returns_is_silence_too():
    """A transport without read timeouts (the SDK's ssh client) must not hide a silent engine."""
    release = threading.Event()
    reasons: list[str] = []
    done = threading.Event()
    heartbeat = liveness.Heartbeat(release.wait, 0.05, lambda reason: (reasons.append(reason), done.set())).start()
    try:
        assert done.wait(5)
        assert reasons == ["The Docker engine stopped answering (it did not answer a ping within 0.05 s)."]
    finally:
        heartbeat.stop()
        release.set()


def test_keepalive_only_on_tcp():
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        assert liveness.enable_keepalive(tcp)
        assert tcp.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == liveness.KEEPALIVE_IDLE
        assert not liveness.enable_keepalive(unix) and not liveness.enable_keepalive(None)
    finally:
        tcp.close()
        unix.close()


def test_the_event_streams_tcp_socket_is_found_and_kept_alive(proxy):
    from desktop.engine.connection import open_client

    client = open_client(Endpoint(proxy.host, "user"), "1.41", None)
    try:
        stream = client.api.events(decode=True)
        try:
            sock = liveness.stream_socket(stream._response)
            assert sock is not None and sock.family == socket.AF_INET
            assert liveness.enable_keepalive(sock) and sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        finally:
            stream.close()
    finally:
        client.close()
