"""Owns the thread pools and the list of running tasks, so the activity centre can show them and
shutdown can cancel them.

Signals: tasksChanged(list[Task]) -- tasks that started, progressed or ended, in batches (one GUI
wake-up for many changes, no connection per task); taskFinished(Task). A new task is announced
to the callbacks given to ``on_task_added``, called directly: emitting a Qt signal there releases
the GIL, and while workers are busy the GUI thread then waits a switch interval (up to 5 ms) to
get it back, at every submit."""

from __future__ import annotations

import time
import weakref
from collections import deque
from typing import Callable

import shiboken6
from PySide6.QtCore import QObject, Signal

from desktop.tasks.stream import ItemPipe
from desktop.tasks.task import Task
from desktop.tasks.worker_pool import WorkerPool


_live: "weakref.WeakSet[TaskManager]" = weakref.WeakSet()


class TaskManager(QObject):
    tasksChanged = Signal(list)
    taskFinished = Signal(object)
    _ended = Signal(object)  # emitted by the worker after the task's own last signal

    @staticmethod
    def live() -> list["TaskManager"]:
        """Every manager still alive; the test suite checks none leaves a worker running."""
        return list(_live)

    def __init__(self, parent: QObject | None = None, max_threads: int = 8, max_streams: int = 64):
        super().__init__(parent)
        # One-shot work (listings, a tag, a save) is bounded; it mostly waits on the engine, so a
        # few more threads than cores. Long-lived streams (events, logs, stats, a shell) each hold
        # a thread for as long as they are open, so they get a pool of their own and can never
        # take the threads one-shot work needs.
        self.pool = WorkerPool(max_threads, "berth-work")
        self.stream_pool = WorkerPool(max_streams, "berth-stream")
        self._tasks: dict[int, Task] = {}
        self._added: list[Callable[[], Callable | None]] = []  # each gives its callback, or None once gone
        _live.add(self)
        # Finished tasks stay referenced a while: the worker may still be unwinding run(), and the
        # activity panel shows recent outcomes.
        self.recent: deque[Task] = deque(maxlen=100)
        self._changes = ItemPipe(self._on_changes, self)
        # queued from the worker right after the task's own signals, so taskFinished always comes
        # after the task's succeeded/failed/finished, with no connection per task
        self._ended.connect(self._on_finished)

    def submit(self, task: Task, stream: bool = False) -> Task:
        """Run *task*: on the stream threads when it is a long-lived *stream*."""
        self._tasks[task.id] = task
        task.notify = self._changes.put
        task.ended = self._ended.emit
        for ref in list(self._added):
            callback = ref()
            owner = getattr(callback, "__self__", None)
            if callback is None or (isinstance(owner, QObject) and not shiboken6.isValid(owner)):
                self._added.remove(ref)  # its model is gone
            else:
                callback(task)
        (self.stream_pool if stream else self.pool).start(task)
        return task

    def on_task_added(self, callback: Callable[[Task], object]) -> None:
        """Call *callback(task)* on the GUI thread for every task submitted from now on; a method
        of a QObject only until that object is deleted, as a signal connection would end."""
        try:
            self._added.append(weakref.WeakMethod(callback))
        except TypeError:  # a plain function or a builtin: kept as it is
            self._added.append(lambda: callback)

    def active_threads(self) -> int:
        return self.pool.activeThreadCount() + self.stream_pool.activeThreadCount()

    def wait_for_done(self, timeout_ms: int) -> bool:
        """Wait at most *timeout_ms* in all for both pools' workers; True when all are done."""
        deadline = time.monotonic() + timeout_ms / 1000
        if not self.pool.waitForDone(timeout_ms):
            return False
        return self.stream_pool.waitForDone(max(0, int((deadline - time.monotonic()) * 1000)))

    def _on_changes(self, changed: list[Task]) -> None:
        self.tasksChanged.emit(list(dict.fromkeys(changed)))

    def _on_finished(self, task: Task) -> None:
        if self._tasks.pop(task.id, None) is not None:
            if not task.background:
                self.recent.append(task)
            self.taskFinished.emit(task)

    def running(self) -> list[Task]:
        return list(self._tasks.values())

    def cancel_all(self) -> None:
        for task in list(self._tasks.values()):
            task.token.cancel()  # even non-cancellable ones: the app is going away

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait at most *timeout_ms* for the workers; True when all stopped
        in time. A worker that ignores its cancel (a request no cancel reaches, on an engine that
        stopped answering) is left running (a daemon thread): the application then exits without it
        (desktop/app.py ``leave_now``)."""
        self.cancel_all()
        return self.wait_for_done(timeout_ms)
