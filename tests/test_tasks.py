"""The worker pool: results, failures and cancels arrive as signals on the GUI thread."""

import threading

import pytest
from PySide6.QtCore import QThread

from desktop.engine.errors import BerthError, EngineError
from desktop.tasks import Task, TaskManager, TaskState


@pytest.fixture
def manager(qapp):
    manager = TaskManager()
    yield manager
    assert manager.shutdown(5000)


def test_result_arrives_on_gui_thread(qtbot, manager):
    seen = {}

    def work(ctx, a, b):
        seen["worker_thread"] = QThread.currentThread()
        return a + b

    task = Task("add", work, 2, 3)
    received = []
    task.signals.succeeded.connect(lambda value: received.append((value, QThread.currentThread())))
    with qtbot.waitSignal(manager.taskFinished, timeout=5000):
        manager.submit(task)
    assert received == [(5, qapp_thread())]
    assert seen["worker_thread"] is not qapp_thread()
    assert task.state is TaskState.SUCCEEDED
    assert manager.running() == []


def qapp_thread():
    from PySide6.QtWidgets import QApplication
    return QApplication.instance().thread()


def test_exceptions_become_readable_errors(qtbot, manager):
    def work(ctx):
        raise FileNotFoundError(2, "No such file or directory", "/nope/image.tar")

    task = Task("load", work, action="load /nope/image.tar")
    with qtbot.waitSignal(task.signals.failed, timeout=5000) as blocker:
        manager.submit(task)
    error = blocker.args[0]
    assert isinstance(error, BerthError)
    assert str(error) == "Could not load /nope/image.tar: No such file or directory (/nope/image.tar)"
    assert task.state is TaskState.FAILED


def test_berth_errors_pass_through_unchanged(qtbot, manager):
    original = EngineError("image is in use by container abc")
    task = Task("remove", lambda ctx: (_ for _ in ()).throw(original))
    with qtbot.waitSignal(task.signals.failed, timeout=5000) as blocker:
        manager.submit(task)
    assert blocker.args[0] is original


def test_cancel_unblocks_a_waiting_worker(qtbot, manager):
    started = threading.Event()
    closed = threading.Event()

    def work(ctx):
        ctx.token.on_cancel(closed.set)  # what a stream's close() would do
        started.set()
        while not ctx.token.wait(0.01):
            pass
        return "should not be delivered"

    task = Task("follow", work)
    succeeded = []
    task.signals.succeeded.connect(succeeded.append)
    manager.submit(task)
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert [t.title for t in manager.running()] == ["follow"]
    with qtbot.waitSignal(task.signals.cancelled, timeout=5000):
        task.cancel()
    assert closed.is_set()
    assert succeeded == []
    assert task.state is TaskState.CANCELLED


def test_progress_is_reported_and_throttled(qtbot, manager):
    def work(ctx):
        for i in range(1, 100001):
            ctx.progress(i, 100000, f"{i} bytes")
        return "done"

    task = Task("copy", work)
    updates = []
    task.signals.progress.connect(updates.append)
    with qtbot.waitSignal(task.signals.finished, timeout=10000):
        manager.submit(task)
    assert updates, "no progress arrived"
    assert len(updates) < 1000  # throttled, not one signal per call
    assert updates[-1].done == 100000 and updates[-1].fraction == 1.0  # the final value always arrives


def test_manager_reports_added_and_finished(qtbot, manager):
    added, finished = [], []
    manager.on_task_added(added.append)
    manager.taskFinished.connect(finished.append)
    task = Task("noop", lambda ctx: None)
    with qtbot.waitSignal(manager.taskFinished, timeout=5000):
        manager.submit(task)
    assert added == [task] and finished == [task]
    assert list(manager.recent) == [task]
