"""An idle Berth stays cheap: the containers' usage sampler and the status tick slow down while the
window is not the active one and stop while it is minimised, against the isolated engine."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QWidget

from desktop.engine import stats
from desktop.engine.cancel import CancelToken
from desktop.engine.connection import Endpoint, open_client
from desktop.engine.errors import Cancelled
from desktop.ui import containers_view
from desktop.ui.window_attention import ACTIVE, HIDDEN, INACTIVE
from tests.window_fixture import make_window  # noqa: F401 - the fixture


@pytest.fixture
def running(docker_engine, busybox_image, unique_repo):
    name = unique_repo.replace("/", "-")
    cid = docker_engine.cli("run", "-d", "--name", name, busybox_image, "sleep", "600").stdout.strip()
    yield cid
    docker_engine.cli("rm", "-f", name)


def test_a_shorter_period_starts_the_next_round_at_once(docker_engine, running, qtbot):
    """A container new in view gets its first CPU % without waiting a whole period, and coming
    back to the window does not wait out the slow period for fresh figures."""
    sampler = stats.StatsSampler(lambda: open_client(Endpoint(docker_engine.docker_host, "user")), period=600)
    sampler.set_wanted([running])
    rounds, token, ended = [], CancelToken(), []

    def work():
        try:
            sampler.run(token, rounds.append)
        except Cancelled:
            ended.append(True)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        # the first round only primes CPU %; the second follows within a second or two, not 10 minutes
        qtbot.waitUntil(lambda: bool(rounds), timeout=15000)
        assert list(rounds[0]) == [running]
        rounds.clear()
        sampler.set_period(600)  # the same or longer: no extra round
        qtbot.wait(2500)
        assert rounds == []  # now it waits the period out
        sampler.set_period(0.5)
        qtbot.waitUntil(lambda: bool(rounds), timeout=10000)
        assert list(rounds[0]) == [running] and sampler.period == 0.5
    finally:
        token.cancel()
        thread.join(10)
    assert ended == [True] and not thread.is_alive()


def test_the_sampler_slows_when_the_window_is_inactive_and_stops_when_minimised(qtbot, make_window,
                                                                                docker_engine, running):
    window, session = make_window(docker_engine.docker_host)
    session.start()
    view = window.workspace.containers_view
    pane = window.workspace.container_details  # its header ("Up 5 seconds") ticks by the same rule
    window.sidebar.setCurrentRow(1)
    window.activateWindow()
    qtbot.waitUntil(lambda: view.attention.state == ACTIVE and view.sampler_task is not None, timeout=20000)
    task = view.sampler_task
    assert view.sampler.period == containers_view.SAMPLE_PERIOD_S[ACTIVE] == 5.0
    assert view._status_timer.interval() == containers_view.STATUS_TICK_MS == 1000
    qtbot.waitUntil(lambda: view.model.usage(running) is not None, timeout=20000)  # it measures
    assert pane.isVisible() and pane._header_timer.isActive() and pane._header_timer.interval() == 1000

    other = QWidget()  # another window takes the focus (as another app would)
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: view.attention.state == INACTIVE, timeout=5000)
    assert view.sampler_task is task and not task.state.done  # the same sampler, less often
    assert view.sampler.period == containers_view.SAMPLE_PERIOD_S[INACTIVE] == 15.0
    assert view._status_timer.isActive() and view._status_timer.interval() == 10_000
    assert pane._header_timer.isActive() and pane._header_timer.interval() == 10_000

    window.activateWindow()
    qtbot.waitUntil(lambda: view.attention.state == ACTIVE, timeout=5000)
    assert view.sampler_task is task and view.sampler.period == 5.0
    assert view._status_timer.interval() == 1000 and pane._header_timer.interval() == 1000

    window.showMinimized()
    qtbot.waitUntil(lambda: view.attention.state == HIDDEN, timeout=5000)
    qtbot.waitUntil(lambda: task.state.done and view.sampler_task is None, timeout=10000)  # the sampler stopped
    assert view.sampler_task is None and view.model.usage(running) is None
    assert not view._status_timer.isActive() and not pane._header_timer.isActive()

    window.showNormal()
    window.activateWindow()
    qtbot.waitUntil(lambda: view.attention.state == ACTIVE and view.sampler_task is not None, timeout=5000)
    assert view.sampler_task is not task and view.sampler.period == 5.0 and view._status_timer.isActive()
    qtbot.waitUntil(lambda: view.model.usage(running) is not None, timeout=20000)  # measuring again


def test_the_images_view_samples_nothing(qtbot, make_window, docker_engine, running):
    window, session = make_window(docker_engine.docker_host)
    session.start()
    view = window.workspace.containers_view
    qtbot.waitUntil(lambda: session.state == "connected", timeout=20000)
    window.sidebar.setCurrentRow(1)
    qtbot.waitUntil(lambda: view.sampler_task is not None, timeout=5000)
    task = view.sampler_task
    window.sidebar.setCurrentRow(0)
    qtbot.waitUntil(lambda: task.state.done and view.sampler_task is None, timeout=10000)
    assert view.attention.state == HIDDEN and view.sampler_task is None and not view._status_timer.isActive()
