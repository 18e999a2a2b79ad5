"""The engine session's own work: its connect and watch tasks say which engine they are for, and
the event watcher is a stream (on the stream threads) whose events and "opened" arrive through one
item pipe, in order."""

from __future__ import annotations

import pytest

from desktop.engine.connection import Endpoint
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.manager import TaskManager

pytestmark = pytest.mark.engine


def test_connect_and_watch_name_their_engine_and_the_watch_streams_events(qtbot, docker_engine, busybox_image,
                                                                           unique_repo):
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(docker_engine.docker_host, "user")])
    added, heard = [], []
    tasks.on_task_added(added.append)
    session.eventsOpened.connect(lambda: heard.append("opened"))
    session.eventReceived.connect(lambda e: heard.append((e.type, e.base_action, e.attributes.get("name", ""))))
    try:
        session.start()
        qtbot.waitUntil(lambda: session.state == CONNECTED and "opened" in heard, timeout=20000)
        connect, watch = added
        assert connect.title == "Connecting to the Docker engine" and connect.engine == docker_engine.docker_host
        assert watch.title == "Watching engine events" and watch.kind == "stream"
        assert watch.engine == session.info.display_name == docker_engine.docker_host
        qtbot.waitUntil(lambda: tasks.pool.activeThreadCount() == 0, timeout=5000)
        assert tasks.stream_pool.activeThreadCount() == 1  # the watch holds a stream thread, no one-shot one

        docker_engine.cli("tag", busybox_image, f"{unique_repo}:one")
        docker_engine.cli("tag", busybox_image, f"{unique_repo}:two")
        tags = [f"{unique_repo}:one", f"{unique_repo}:two"]
        qtbot.waitUntil(lambda: [h[2] for h in heard if h != "opened" and h[1] == "tag"][-2:] == tags,
                        timeout=10000)
        assert heard[0] == "opened" and heard.count("opened") == 1  # opened once, before any event
    finally:
        session.stop()
        assert tasks.shutdown(10000)
        docker_engine.cli("rmi", *[f"{unique_repo}:{t}" for t in ("one", "two")], check=False)
