"""The connection over time, against real engines: present, absent, dying and coming back."""

import pytest

from desktop.engine.connection import Endpoint
from desktop.engine.errors import EngineUnavailable
from desktop.tasks.engine_session import CONNECTED, DISCONNECTED, EngineSession
from desktop.tasks.manager import TaskManager

pytestmark = pytest.mark.engine


@pytest.fixture
def tasks(qapp):
    manager = TaskManager()
    yield manager
    assert manager.shutdown(10000)


def make_session(tasks, host):
    session = EngineSession(tasks, [Endpoint(host, "user")])
    return session


def test_connects_and_reports_the_engine(qtbot, tasks, docker_engine):
    session = make_session(tasks, docker_engine.docker_host)
    with qtbot.waitSignal(session.connected, timeout=15000) as blocker:
        session.start()
    info = blocker.args[0]
    cli_version = docker_engine.cli("version", "--format", "{{.Server.Version}}").stdout.strip()
    cli_api = docker_engine.cli("version", "--format", "{{.Server.APIVersion}}").stdout.strip()
    assert info.version == cli_version
    assert info.api_version == cli_api  # this SDK speaks newer APIs: negotiated down to the engine's
    assert info.os == "linux" and info.arch
    assert session.state == CONNECTED and session.factory is not None
    session.stop()


def test_reconnect_while_connected_keeps_one_watch(qtbot, tasks, docker_engine, busybox_image, unique_repo):
    session = make_session(tasks, docker_engine.docker_host)
    with qtbot.waitSignal(session.connected, timeout=15000):
        session.start()
    old_factory = session.factory
    with qtbot.waitSignal(session.eventsOpened, timeout=15000):
        session.connect_now()  # Engine > Reconnect
    assert session.state == CONNECTED and session.factory is not old_factory
    watches = lambda: [t for t in tasks.running() if t.title == "Watching engine events"]  # noqa: E731
    qtbot.waitUntil(lambda: len(watches()) == 1, timeout=10000)
    heard = []
    session.eventReceived.connect(lambda e: heard.append(e) if e.type == "image" and e.action == "tag" else None)
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:once")
    try:
        qtbot.waitUntil(lambda: len(heard) >= 1, timeout=10000)
        docker_engine.cli("tag", busybox_image, f"{unique_repo}:twice")  # a second event marks the end of the first
        qtbot.waitUntil(lambda: len(heard) >= 2, timeout=10000)
        assert len(heard) == 2, heard  # each heard once: the old watch is gone
    finally:
        docker_engine.cli("rmi", f"{unique_repo}:once", f"{unique_repo}:twice", check=False)
    session.stop()


def test_absent_engine_is_reported_and_retried(qtbot, tasks, tmp_path):
    session = make_session(tasks, f"unix://{tmp_path}/docker.sock")
    with qtbot.waitSignal(session.disconnected, timeout=15000) as blocker:
        session.start()
    error = blocker.args[0]
    assert isinstance(error, EngineUnavailable)
    assert [a.endpoint.host for a in error.attempts] == [f"unix://{tmp_path}/docker.sock"]
    assert "socket does not exist" in error.attempts[0].reason
    assert session.state == DISCONNECTED
    assert session.retry_in_ms() > 0  # it will try again by itself
    with qtbot.waitSignal(session.disconnected, timeout=15000):
        pass  # ...and it does
    session.stop()
    assert session.retry_in_ms() == -1


def test_engine_dying_and_coming_back(qtbot, tasks, fresh_engine):
    session = make_session(tasks, fresh_engine.docker_host)
    with qtbot.waitSignal(session.eventsOpened, timeout=15000):
        session.start()
    with qtbot.waitSignal(session.disconnected, timeout=30000) as blocker:
        fresh_engine.kill_engine()
    assert "Lost contact with the Docker engine" in str(blocker.args[0]) or blocker.args[0].attempts
    assert session.state != CONNECTED
    with qtbot.waitSignal(session.connected, timeout=60000):
        fresh_engine.start_engine()
    assert session.state == CONNECTED
    session.stop()


def test_events_arrive_on_the_gui_thread(qtbot, tasks, docker_engine, busybox_image, unique_repo):
    session = make_session(tasks, docker_engine.docker_host)
    with qtbot.waitSignal(session.eventsOpened, timeout=15000):
        session.start()

    def is_our_tag(event):
        return event.type == "image" and event.action == "tag" and unique_repo in event.attributes.get("name", "")

    with qtbot.waitSignal(session.eventReceived, timeout=15000, check_params_cb=is_our_tag):
        docker_engine.cli("tag", busybox_image, f"{unique_repo}:evt")

    # only what Berth shows is streamed: a network's events (before the tag below) never arrive
    types = []
    session.eventReceived.connect(lambda event: types.append(event.type))
    network = unique_repo.replace("/", "-")
    docker_engine.cli("network", "create", network)
    docker_engine.cli("network", "rm", network)
    with qtbot.waitSignal(session.eventReceived, timeout=15000, check_params_cb=is_our_tag):
        docker_engine.cli("tag", busybox_image, f"{unique_repo}:evt2")
    assert "network" not in types and "image" in types
    session.stop()
