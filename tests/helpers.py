"""Helpers shared by test modules: a connected session, recent names in a scratch file, the images
and containers one test makes, and ``docker images`` as the oracle for a repository's tags."""

from __future__ import annotations

import itertools
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QSettings

from desktop.engine.connection import Endpoint
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui.recent_names import RecentNames

_builds = itertools.count(1)


@contextmanager
def connected_session(qtbot, engine) -> Iterator[EngineSession]:
    """A session connected to *engine*; stopped, with its tasks shut down, on leaving."""
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
    session.start()
    qtbot.waitUntil(lambda: session.state == CONNECTED, timeout=20000)
    yield session
    session.stop()
    assert tasks.shutdown(10000)


def recent_names(tmp_path: Path) -> RecentNames:
    return RecentNames(QSettings(str(tmp_path / "recent.ini"), QSettings.Format.IniFormat))


class Made:
    """Images and containers of one test; ``remove()`` takes them away again."""

    def __init__(self, engine):
        self.engine = engine
        self.images: list[str] = []
        self.containers: list[str] = []

    def image(self, tag: str, *lines: str) -> str:
        """A new busybox image tagged *tag* (a label makes its id unique), with extra Dockerfile *lines*."""
        image_id = self.engine.build_busybox_image(tag, [f"LABEL berth.test.build={tag}-{next(_builds)}", *lines])
        self.images.append(image_id)
        return image_id

    def container(self, name: str, image: str) -> str:
        self.containers.append(name)
        self.engine.cli("create", "--name", name, image, "true")
        return name

    def remove(self) -> None:
        for name in self.containers:
            self.engine.cli("rm", "-f", name, check=False)
        for image_id in reversed(self.images):
            self.engine.cli("rmi", "-f", image_id, check=False)


READING = ("unix_stream_read_generic",)  # the kernel's wait channel of a thread reading a unix socket
IN_SOCKET = READING + ("sock_alloc_send_pskb", "unix_stream_sendmsg", "wait_woken", "unix_wait_for_peer")


def run_until_blocked(fn, ready: threading.Event | None = None,
                      waits: tuple[str, ...] = READING) -> tuple[threading.Thread, dict]:
    """Run *fn* in a thread and return once that thread sleeps in a socket call (its wait channel in
    /proc is one of *waits*), after *ready* is set when given: (thread, outcome), where outcome gets
    "value" or "error" when *fn* ends. For cancels that must reach a request an engine never answers."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if ready is not None:
        assert ready.wait(30), outcome
    deadline = time.monotonic() + 30
    wchan = f"/proc/self/task/{thread.native_id}/wchan"
    while thread.is_alive() and time.monotonic() < deadline:
        with open(wchan) as f:
            if f.read().strip() in waits:
                break
        thread.join(0.01)  # the wait channel has no notification: look again shortly
    assert thread.is_alive(), outcome
    return thread, outcome


def runs_until_released(ctx, *args) -> str:
    """Task work that stays running until its last argument (a threading.Event) is set, or it is
    cancelled: an operation that is still under way while a test looks."""
    release = args[-1]
    while not release.is_set():
        if ctx.token.wait(0.05):
            return "cancelled"
    return "released"


def cli_tags(engine, repo: str) -> dict[str, str]:
    """tag -> full image id, for one repository, as ``docker images`` lists it."""
    out = engine.cli("images", repo, "--no-trunc", "--format", "{{json .}}").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    return {r["Tag"]: r["ID"] for r in rows}


def _process_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        return fh.read().rsplit(b")", 1)[1].split()[0].decode()


@contextmanager
def frozen(engine):
    """*engine*'s dockerd (or a pid) stopped by SIGSTOP inside: requests go out, nothing comes
    back. Always continued on leaving, however the test ends."""
    pid = engine if isinstance(engine, int) else engine.pid
    assert pid, "the engine runs"
    os.kill(pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 10
        while _process_state(pid) != "T" and time.monotonic() < deadline:
            os.sched_yield()
        assert _process_state(pid) == "T"
        yield pid
    finally:
        os.kill(pid, signal.SIGCONT)
