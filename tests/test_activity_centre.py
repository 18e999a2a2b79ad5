"""The activity centre against the isolated engine: real saves shown with progress, elapsed time
and throughput, a cancel on a frozen engine, a failure with its full text copied and retried, the
finished ones cleared while a running one stays, and the status bar's summary."""

from __future__ import annotations

import os
import tarfile

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow

from desktop.models.activity_model import (DETAIL_ROLE, ELAPSED_ROLE, ENGINE_ROLE, ERROR_ROLE, FRACTION_ROLE,
                                           RETRYABLE_ROLE, THROUGHPUT_ROLE, ActivityModel)
from desktop.tasks import archive_tasks
from desktop.tasks.manager import TaskManager
from desktop.tasks.task import Task, TaskState
from desktop.ui.activity_panel import ActivityPanel, ActivitySummary
from tests.helpers import connected_session, runs_until_released, frozen

pytestmark = pytest.mark.engine




def save_task(session, names, path, retry=True, estimate=None):
    """A real save operation, as the Save action submits it (with the listed sizes as its
    *estimate*), with Retry where it makes sense."""
    def start():
        return session.tasks.submit(Task(f"Saving {', '.join(names)}", archive_tasks.save_images, session.factory,
                                         names, str(path), False, estimate, action="save the images",
                                         engine="test engine", retry=start if retry else None))
    return start()


@pytest.fixture
def centre(qtbot):
    windows = []  # kept referenced: a collected window would take the panel with it

    def make(tasks):
        window = QMainWindow()
        panel = ActivityPanel(tasks, window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, panel)
        summary = ActivitySummary(panel)
        window.statusBar().addPermanentWidget(summary)
        qtbot.addWidget(window)
        window.resize(700, 400)
        window.show()
        windows.append(window)
        return panel, summary
    yield make
    for window in windows:
        window.close()


def ended(model: ActivityModel, *tasks: Task) -> bool:
    """Every task has ended and the centre has heard of it (its end arrives as a queued signal)."""
    return all(t.state.done and not model.is_running(t) for t in tasks)


def row_data(model: ActivityModel, task: Task, role):
    return model.index(model.row_of(task)).data(role)


def test_model_passes_the_model_tester_while_operations_start_progress_and_finish(qtbot, qtmodeltester,
                                                                                   docker_engine, made, tmp_path):
    image = made.image("berth-test/activity:check")
    with connected_session(qtbot, docker_engine) as session:
        model = ActivityModel(session.tasks)
        qtmodeltester.check(model)
        tasks = [save_task(session, [image], tmp_path / f"a{n}.tar") for n in range(3)]
        tasks.append(save_task(session, ["berth-test/activity:missing"], tmp_path / "missing.tar"))
        qtmodeltester.check(model)
        qtbot.waitUntil(lambda: ended(model, *tasks), timeout=30000)
        qtmodeltester.check(model)
        assert model.rowCount() == 4
        assert [model.task_at(r) for r in range(4)] == list(reversed(tasks))  # newest first
        model.clear_finished()
        qtmodeltester.check(model)
        assert model.rowCount() == 0


def test_a_save_is_listed_progressing_with_its_engine_elapsed_time_and_throughput_then_stays(
        qtbot, centre, docker_engine, made, tmp_path):
    image = made.image("berth-test/activity:big", "RUN head -c 40000000 /dev/urandom > /blob")
    with connected_session(qtbot, docker_engine) as session:
        panel, summary = centre(session.tasks)
        model = panel.model
        seen_fractions = []
        model.dataChanged.connect(lambda first, _last, _roles=(): seen_fractions.append(first.data(FRACTION_ROLE)))
        task = save_task(session, [image], tmp_path / "big.tar")
        qtbot.waitUntil(lambda: model.row_of(task) == 0, timeout=5000)
        assert panel.isVisible()
        qtbot.waitUntil(lambda: ended(model, task), timeout=60000)
        assert task.state == TaskState.SUCCEEDED, task.error
        assert any(f is not None and 0 < f < 1 for f in seen_fractions)  # it progressed on the way
        assert row_data(model, task, ENGINE_ROLE) == "test engine"
        assert row_data(model, task, FRACTION_ROLE) == 1.0
        assert row_data(model, task, ELAPSED_ROLE)  # e.g. "Less than a second"
        assert row_data(model, task, THROUGHPUT_ROLE).endswith("B/s")
        assert row_data(model, task, ERROR_ROLE) == ""
        assert summary.text() == "Activity"  # nothing running, nothing failed
        # the success stays listed until cleared
        assert model.row_of(task) == 0
        with tarfile.open(tmp_path / "big.tar") as archive:
            assert "manifest.json" in archive.getnames()
        # the CLI loads what was saved: the tag comes back
        docker_engine.cli("rmi", image)
        docker_engine.cli("load", "-i", str(tmp_path / "big.tar"))
        docker_engine.cli("image", "inspect", image)


def test_a_failed_save_keeps_its_full_error_which_can_be_copied_and_retried(qtbot, centre, docker_engine, made,
                                                                            tmp_path):
    made.image("berth-test/activity:source")
    with connected_session(qtbot, docker_engine) as session:
        panel, summary = centre(session.tasks)
        model = panel.model
        target = tmp_path / "later.tar"
        failed = save_task(session, ["berth-test/activity:later"], target)
        qtbot.waitUntil(lambda: ended(model, failed), timeout=20000)
        assert failed.state == TaskState.FAILED
        error = row_data(model, failed, ERROR_ROLE)
        assert error == str(failed.error) and "berth-test/activity:later" in error
        assert row_data(model, failed, DETAIL_ROLE) == f"Failed: {failed.error}"
        assert row_data(model, failed, RETRYABLE_ROLE) is True
        assert summary.text() == "Activity: 1 failed"
        assert not target.exists()

        panel.select_task(failed)
        assert panel.retry_action.isEnabled() and panel.copy_action.isEnabled()
        assert not panel.cancel_action.isEnabled()
        QTest.mouseClick(panel.buttons["copy"], Qt.MouseButton.LeftButton)
        assert QGuiApplication.clipboard().text() == f"{failed.title}: {failed.error}"

        docker_engine.cli("tag", "berth-test/activity:source", "berth-test/activity:later")
        made.images.append("berth-test/activity:later")
        QTest.mouseClick(panel.buttons["retry"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=5000)
        retried = model.task_at(0)
        assert retried is not failed and retried.title == failed.title
        qtbot.waitUntil(lambda: ended(model, retried), timeout=30000)
        assert retried.state == TaskState.SUCCEEDED, retried.error
        assert target.exists()
        assert model.task_at(1) is failed and failed.state == TaskState.FAILED  # the failure stays as it ended


def test_clear_takes_the_finished_and_keeps_the_running_and_the_summary_follows(qtbot, centre, docker_engine,
                                                                                made, tmp_path):
    import threading

    image = made.image("berth-test/activity:clear")
    with connected_session(qtbot, docker_engine) as session:
        panel, summary = centre(session.tasks)
        model = panel.model
        release = threading.Event()
        waiting = session.tasks.submit(Task("Waiting for the others", runs_until_released, release))
        qtbot.waitUntil(lambda: waiting.state == TaskState.RUNNING, timeout=5000)
        assert summary.text() == "Activity: 1 running"
        done = save_task(session, [image], tmp_path / "c.tar")
        failed = save_task(session, ["berth-test/activity:nope"], tmp_path / "nope.tar")
        qtbot.waitUntil(lambda: ended(model, done, failed), timeout=30000)
        assert summary.text() == "Activity: 1 running · 1 failed"
        assert panel.clear_action.isEnabled()
        QTest.mouseClick(panel.buttons["clear"], Qt.MouseButton.LeftButton)
        assert model.tasks() == [waiting]
        assert summary.text() == "Activity: 1 running"
        panel.select_task(waiting)
        assert panel.cancel_action.isEnabled() and not panel.retry_action.isEnabled()
        QTest.mouseClick(panel.buttons["cancel"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: ended(model, waiting), timeout=5000)
        assert waiting.state == TaskState.CANCELLED
        assert row_data(model, waiting, DETAIL_ROLE) == "Cancelled"
        assert summary.text() == "Activity"


def test_finished_operations_are_kept_up_to_a_bound_the_oldest_going_first(qtbot):
    tasks = TaskManager()
    model = ActivityModel(tasks)
    model.MAX_FINISHED = 3
    started = [tasks.submit(Task(f"op {n}", lambda ctx: None)) for n in range(5)]
    qtbot.waitUntil(lambda: ended(model, *started) and model.rowCount() == 3, timeout=5000)
    assert [t.title for t in model.tasks()] == ["op 4", "op 3", "op 2"]
    assert tasks.shutdown(5000)


def test_cancel_in_the_centre_reaches_a_save_the_frozen_engine_never_answers(qtbot, centre, fresh_engine, tmp_path):
    fresh_engine.ensure_busybox_base()
    fresh_engine.build_busybox_image("berth-test/frozen:1", [])
    with connected_session(qtbot, fresh_engine) as session:
        panel, summary = centre(session.tasks)
        with frozen(fresh_engine):
            task = save_task(session, ["berth-test/frozen:1"], tmp_path / "frozen.tar", estimate=1_000_000)
            qtbot.waitUntil(lambda: task.state == TaskState.RUNNING, timeout=5000)
            panel.select_task(task)
            assert summary.text().startswith("Activity: 1 running")
            assert panel.cancel_action.isEnabled()
            QTest.mouseClick(panel.buttons["cancel"], Qt.MouseButton.LeftButton)
            assert task.token.cancelled
            qtbot.waitUntil(lambda: ended(panel.model, task), timeout=20000)
        assert task.state == TaskState.CANCELLED
        assert row_data(panel.model, task, RETRYABLE_ROLE) is True
        assert not (tmp_path / "frozen.tar").exists()
        assert [p for p in os.listdir(tmp_path) if p.endswith(".part")] == []
