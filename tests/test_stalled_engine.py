"""Cancel and quit while the engine does not answer: a dockerd frozen with SIGSTOP (an engine of
this module's own, so the shared one never freezes) accepts nothing and answers nothing, like an engine
behind a network that dropped. A request already sent must still end at once on cancel, and
quitting must not hang on a worker that cannot be cancelled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.engine import container_ops
from tests.engine_fixtures import IsolatedEngine
from desktop.tasks import container_tasks
from desktop.tasks.task import Task, TaskState
from tests.helpers import connected_session, frozen

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parent.parent
CANCEL_WITHIN_S = 3  # a cut socket ends the request at once; this only allows for a loaded machine




def waiting_connections(engine) -> int:
    """Connections made to the engine's socket that the frozen dockerd never accepted: a request
    is on its way and can only end by being cut."""
    out = engine.netns_exec("ss", "-xlH", "src", engine.socket_path).stdout.split()
    return int(out[2]) if len(out) > 2 and out[0] == "u_str" else 0


def _cancel_and_time(qtbot, task: Task) -> float:
    started = time.monotonic()
    task.cancel()
    qtbot.waitUntil(lambda: task.state.done, timeout=CANCEL_WITHIN_S * 1000)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def own_engine(engine_prerequisites):
    """One engine for this module to freeze (starting one per test costs seconds each)."""
    engine = IsolatedEngine(registry=False).start()
    try:
        yield engine
    finally:
        if engine.pid:
            os.kill(engine.pid, signal.SIGCONT)
        engine.stop()


@pytest.fixture
def running(own_engine, request):
    """Two running busybox containers of this test (KILL stops them at once); removed after."""
    image = own_engine.ensure_busybox_base()
    names = []
    for n in (1, 2):
        name = f"stall-{request.node.name[:30].strip('_')}-{n}".replace("[", "-").replace("]", "")
        own_engine.cli("run", "-d", "--name", name, "--stop-signal", "KILL", image, "sleep", "600")
        names.append(name)
    yield names
    own_engine.cli("rm", "-f", *names, f"{names[0]}-new", check=False)


def test_commit_is_cancelled_on_a_frozen_engine(qtbot, own_engine, running):
    with connected_session(qtbot, own_engine) as session:
        task = Task("Commit", container_tasks.commit_container, session.factory, running[0], "berth-test/frozen", "",
                    "", "", True)
        with frozen(own_engine):
            before = waiting_connections(own_engine)
            session.tasks.submit(task)
            qtbot.waitUntil(lambda: waiting_connections(own_engine) > before, timeout=10000)
            assert task.state == TaskState.RUNNING  # sent, and the engine cannot answer
            took = _cancel_and_time(qtbot, task)
        assert task.state == TaskState.CANCELLED and took < CANCEL_WITHIN_S


@pytest.mark.parametrize("action, options", [("stop", {"timeout": 30}), ("kill", {}), ("restart", {"timeout": 1})])
def test_container_actions_are_cancelled_on_a_frozen_engine(qtbot, own_engine, running, action, options):
    targets = [container_ops.Target(name, name) for name in running]
    with connected_session(qtbot, own_engine) as session:
        task = Task(action, container_tasks.container_action, session.factory, action, targets, **options)
        with frozen(own_engine):
            before = waiting_connections(own_engine)
            session.tasks.submit(task)
            qtbot.waitUntil(lambda: waiting_connections(own_engine) >= before + 2, timeout=10000)  # both at once
            took = _cancel_and_time(qtbot, task)
        assert task.state == TaskState.CANCELLED and took < CANCEL_WITHIN_S
    state = own_engine.cli("inspect", "--format", "{{.State.Status}}", running[0]).stdout.strip()
    assert state in ("running", "exited")  # the engine is whole again: it answers once continued


def test_rename_is_cancelled_on_a_frozen_engine(qtbot, own_engine, running):
    with connected_session(qtbot, own_engine) as session:
        task = Task("Rename", container_tasks.rename_container, session.factory, running[0], running[0] + "-new")
        with frozen(own_engine):
            session.tasks.submit(task)
            qtbot.waitUntil(lambda: task.state == TaskState.RUNNING, timeout=10000)
            took = _cancel_and_time(qtbot, task)
        assert task.state == TaskState.CANCELLED and took < CANCEL_WITHIN_S


def test_a_shell_opening_on_a_frozen_engine_is_cancelled_and_leaves_nothing_open(qtbot, own_engine, running):
    with connected_session(qtbot, own_engine) as session:
        shell = container_tasks.new_shell(session.factory, running[0], 24, 80)
        task = Task("Shell", container_tasks.run_shell, session.factory, shell, lambda data: None)
        with frozen(own_engine):
            before = waiting_connections(own_engine)
            session.tasks.submit(task)
            qtbot.waitUntil(lambda: waiting_connections(own_engine) > before, timeout=10000)  # exec_create sent
            took = _cancel_and_time(qtbot, task)
        assert task.state == TaskState.CANCELLED and took < CANCEL_WITHIN_S
        assert shell.closed and shell._socket is None


def test_a_cancel_while_the_shell_is_handed_over_closes_its_connection(qtbot, docker_engine, busybox_image):
    """The open/cancel race: the cancel comes after the engine answered the exec start and
    before the shell took the connection. The hijacked socket must be closed, not left open."""
    name = f"race-{os.getpid()}"
    docker_engine.cli("run", "-d", "--name", name, "--stop-signal", "KILL", busybox_image, "sleep", "600")
    try:
        with connected_session(qtbot, docker_engine) as session:
            shell = container_tasks.new_shell(session.factory, name, 24, 80)
            task = Task("Shell", container_tasks.run_shell, session.factory, shell, lambda data: None)
            hijacked = []

            def cancel_when_answered(api):
                post = api._post_json

                def post_then_cancel(*args, **kwargs):
                    response = post(*args, **kwargs)
                    if "/start" in args[0]:
                        hijacked.append(response)
                        task.cancel()  # as if the user closed the tab right now
                    return response

                api._post_json = post_then_cancel

            make = shell._new_client
            shell._new_client = lambda: _tap(make(), cancel_when_answered)
            session.tasks.submit(task)
            qtbot.waitUntil(lambda: task.state.done, timeout=10000)
            assert task.state == TaskState.CANCELLED and hijacked
            assert hijacked[0].raw.closed  # the hijacked connection is closed
            assert shell._socket is not None and shell._socket.fileno() == -1
    finally:
        docker_engine.cli("rm", "-f", name, check=False)


def _tap(client, patch):
    patch(client.api)
    return client


QUIT_SCRIPT = r"""
import sys, threading
import docker
from PySide6.QtCore import QObject, QTimer, Signal
import desktop.app as berth
from desktop.tasks.manager import TaskManager
from desktop.tasks.task import Task, TaskState

host = sys.argv[1]
app = berth.create_application()


def frozen_request(ctx):
    # a request that knows nothing of cancel, on a client without a timeout
    docker.APIClient(base_url=host, version="1.41", timeout=None).version()


class Go(QObject):
    go = Signal()


relay = Go()


def on_go():
    [tasks] = TaskManager.live()
    task = tasks.submit(Task("Asking a frozen engine", frozen_request, cancellable=False))

    def quit_when_running():
        if task.state == TaskState.RUNNING:
            print("quitting", flush=True)
            app.quit()
        else:
            QTimer.singleShot(20, quit_when_running)

    quit_when_running()


relay.go.connect(on_go)
threading.Thread(target=lambda: (sys.stdin.readline(), relay.go.emit()), daemon=True).start()
sys.exit(berth.main(["--new-instance", "-H", host]))
"""


def test_quitting_does_not_hang_on_a_worker_stuck_on_a_frozen_engine(own_engine, tmp_path):
    from desktop.app import SHUTDOWN_MS

    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    env.update(PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen", BERTH_READY_FILE="-",
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_RUNTIME_DIR="")
    berth = subprocess.Popen([sys.executable, "-c", QUIT_SCRIPT, own_engine.docker_host], cwd=tmp_path, env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert berth.stdout.readline().startswith("berth-ready"), berth.stderr.read()  # connected, listed
        with frozen(own_engine):
            berth.stdin.write("go\n")
            berth.stdin.flush()
            assert berth.stdout.readline().strip() == "quitting"
            started = time.monotonic()
            try:
                out, err = berth.communicate(timeout=SHUTDOWN_MS / 1000 + 10)
            except subprocess.TimeoutExpired:
                pytest.fail("Berth hung on quitting with a worker stuck on the frozen engine")
            took = time.monotonic() - started
    finally:
        berth.kill()
        berth.communicate()
    assert berth.returncode == 0, err
    assert took < SHUTDOWN_MS / 1000 + 5
    assert "Asking a frozen engine" in err and "did not stop" in err


def test_shutdown_on_cancel_cuts_requests_only_while_inside_and_leaves_the_client_as_it_was(docker_engine):
    import docker

    from desktop.engine.cancel import CancelToken, shutdown_on_cancel

    client = docker.APIClient(base_url=docker_engine.docker_host, version="1.41", timeout=30)
    try:
        client.version()  # a connection in the pool already, reused below
        adapters = list(client.adapters.values())
        token = CancelToken()
        token.cancel()
        with shutdown_on_cancel(client, token):
            with pytest.raises(Exception):
                client.version()  # cut at once, reused connection or new
            with pytest.raises(Exception):
                client.version()
        assert all("get_connection" not in vars(a) and "get_connection_with_tls_context" not in vars(a)
                   for a in adapters)
        assert client.version()["ApiVersion"]  # nothing left behind: the client works as before
        with shutdown_on_cancel(client, CancelToken()):
            assert client.version()["ApiVersion"]  # no cancel, no harm
        with shutdown_on_cancel(client, None):
            assert client.ping()
    finally:
        client.close()
