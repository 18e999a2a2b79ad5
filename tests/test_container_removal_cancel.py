"""Cancel reaches a container removal the engine never answers (dockerd frozen with SIGSTOP on
an engine of the test's own), instead of waiting out the request."""

from __future__ import annotations

import time

import docker
import pytest

from desktop.engine import container_ops
from desktop.engine.cancel import CancelToken
from desktop.engine.errors import Cancelled
from tests.helpers import run_until_blocked, frozen

pytestmark = pytest.mark.engine


def test_cancel_ends_a_container_removal_on_a_stalled_engine(fresh_engine):
    image = fresh_engine.ensure_busybox_base()
    names = [f"frozen-rm-{n}" for n in (1, 2)]
    for name in names:
        fresh_engine.cli("create", "--name", name, image, "true")
    ids = {name: fresh_engine.cli("inspect", "-f", "{{.Id}}", name).stdout.strip() for name in names}
    targets = [container_ops.Target(ids[name], name) for name in names]
    probe = docker.DockerClient(base_url=fresh_engine.docker_host, version="auto", timeout=30)
    version = probe.api.api_version  # asked now: with "auto" a new client would ask the frozen engine
    probe.close()

    def new_client():  # as ClientFactory.new_client makes them: the version known, no timeout
        return docker.DockerClient(base_url=fresh_engine.docker_host, version=version, timeout=None)

    token = CancelToken()
    with frozen(fresh_engine):
        thread, outcome = run_until_blocked(
            lambda: container_ops.apply_action(new_client, "remove", targets, parallel=1, token=token))
        started = time.monotonic()
        token.cancel()
        thread.join(10)
        assert not thread.is_alive(), "the cancel did not reach the removal the engine never answers"
        assert time.monotonic() - started < 5
    assert isinstance(outcome.get("error"), Cancelled), outcome
    # what the cancel left is said container by container, not lost
    assert str(outcome["error"]) == ("Cancelled: removed 0 of 2 containers; 1 was cut short (it may or may not "
                                     "be done); 1 was not started"), str(outcome["error"])
    # the second was never asked for: the CLI still lists it
    listed = fresh_engine.cli("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert names[1] in listed


def test_a_cancelled_task_keeps_what_its_work_said_for_the_activity_centre(qtbot):
    from desktop.models.activity_model import detail
    from desktop.tasks.manager import TaskManager
    from desktop.tasks.task import Task, TaskState

    def work(ctx):
        raise Cancelled(container_ops.cancelled_summary("stop", 3, [container_ops.Outcome("a", "a", True, "stopped")]))

    tasks = TaskManager()
    task = Task("Stopping 3 containers", work)
    with qtbot.waitSignal(task.signals.finished, timeout=5000):
        tasks.submit(task)
    assert task.state == TaskState.CANCELLED
    assert detail(task) == "Cancelled: stopped 1 of 3 containers; 2 were not started"
    plain = Task("Listing", lambda ctx: (_ for _ in ()).throw(Cancelled()))
    with qtbot.waitSignal(plain.signals.finished, timeout=5000):
        tasks.submit(plain)
    assert detail(plain) == "Cancelled"
    assert tasks.shutdown(5000)
