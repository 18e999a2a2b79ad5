"""One unit of background work.

A Task wraps a plain function ``fn(ctx, *args, **kwargs)``. The function runs on a pool thread,
may call ``ctx.progress(...)`` and must let ``ctx.token`` cancel it. Its return value arrives in
``succeeded``; a BerthError (or anything else, translated) arrives in ``failed``; a cancel arrives
in ``cancelled``. ``finished`` always comes last. Signals live on a QObject created on the
caller's (GUI) thread, so every emit from the worker is delivered queued on the GUI thread.

Signals of TaskSignals: progress(Progress), succeeded(object), failed(BerthError), cancelled(),
finished(), stateChanged().
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, Signal

from desktop.engine.cancel import CancelToken
from desktop.engine.errors import BerthError, Cancelled, translate

log = logging.getLogger(__name__)
_ids = itertools.count(1)


class TaskState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def done(self) -> bool:
        return self in (TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED)


@dataclass(frozen=True)
class Progress:
    done: float = 0
    total: float | None = None  # None: indeterminate
    text: str = ""
    unit: str = ""  # "bytes" when done/total count bytes: the activity centre shows a throughput

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))


class TaskSignals(QObject):
    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()
    stateChanged = Signal()


class TaskContext:
    """What the work function sees: a cancel token and a throttled progress reporter."""

    MIN_INTERVAL = 0.05  # at most ~20 progress updates a second reach the GUI thread

    def __init__(self, task: "Task"):
        self._task = task
        self.token: CancelToken = task.token
        self._last_emit = 0.0

    def progress(self, done: float = 0, total: float | None = None, text: str = "", *, force: bool = False,
                 unit: str = "") -> None:
        now = time.monotonic()
        if not force and now - self._last_emit < self.MIN_INTERVAL and (total is None or done < total):
            return
        self._last_emit = now
        self._task._emit_progress(Progress(done, total, text, unit))

    def raise_if_cancelled(self) -> None:
        self.token.raise_if_cancelled()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled


class Task(QRunnable):
    def __init__(self, title: str, fn: Callable[..., Any], *args: Any, cancellable: bool = True,
                 background: bool = False, action: str = "", engine: str = "",
                 retry: Callable[[], "Task | None"] | None = None, **kwargs: Any):
        """*background* tasks (event watchers) are not listed in the activity centre.
        *action* words the failure message ("save images" -> "Could not save images: ...").
        *engine* names the engine the work is for; *retry*, where retrying makes sense, starts
        the same work again and returns its new task."""
        super().__init__()
        self.setAutoDelete(False)  # Python keeps the reference; the manager drops it when done
        self.id = next(_ids)
        self.title = title
        self.cancellable = cancellable
        self.background = background
        self.action = action
        self.engine = engine
        self.retry = retry
        self.kind = "housekeeping" if background else "user"  # or "stream"; set by the operation
        self.report_failure = False  # a background failure nobody handles goes to the activity centre
        self.pipe = None  # a stream's item pipe, kept alive as long as the task
        # the manager's batched change feed (any thread): one GUI wake-up for many tasks' changes,
        # so whoever follows every task (the activity centre) needs no connection per task
        self.notify: Callable[["Task"], None] | None = None
        self.ended: Callable[["Task"], None] | None = None  # the manager's, called after the last signal
        self.token = CancelToken()
        self.signals = TaskSignals()
        self.state = TaskState.QUEUED
        self.last_progress = Progress()
        self.result: Any = None
        self.error: BerthError | None = None
        self.cancel_note = ""  # a cancelled work's own account of what it did first
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._done = threading.Event()
        self.created_at = time.monotonic()
        self.started_at: float | None = None
        self.finished_at: float | None = None

    def elapsed(self, now: float | None = None) -> float:
        """Seconds the work has run (so far, or in all once finished); 0 while queued."""
        if self.started_at is None:
            return 0.0
        end = self.finished_at if self.finished_at is not None else (now if now is not None else time.monotonic())
        return max(0.0, end - self.started_at)

    # --- called on the GUI thread ---------------------------------------------------------
    def cancel(self) -> None:
        if self.cancellable and not self.state.done:
            self.token.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work function has returned (tests and shutdown only)."""
        return self._done.wait(timeout)

    # --- called on the worker thread ------------------------------------------------------
    def _changed(self) -> None:
        if self.notify is not None:
            self.notify(self)

    def _emit_progress(self, progress: Progress) -> None:
        self.last_progress = progress
        self.signals.progress.emit(progress)
        self._changed()

    def _end(self, state: TaskState) -> None:
        self.finished_at = time.monotonic()
        self.state = state
        self.signals.stateChanged.emit()

    def run(self) -> None:  # QRunnable entry point, on a pool thread
        signals = self.signals
        try:
            if self.token.cancelled:
                raise Cancelled()
            self.started_at = time.monotonic()
            self.state = TaskState.RUNNING
            signals.stateChanged.emit()
            self._changed()
            result = self._fn(TaskContext(self), *self._args, **self._kwargs)
            if self.token.cancelled:
                raise Cancelled()
        except Cancelled as exc:
            if str(exc) != Cancelled().message:
                self.cancel_note = str(exc)  # what was done before the cancel, when the work says
            self._end(TaskState.CANCELLED)
            signals.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the GUI as a message
            if self.token.cancelled:
                self._end(TaskState.CANCELLED)
                signals.cancelled.emit()
            else:
                error = translate(exc, self.action)
                if not isinstance(exc, BerthError):
                    log.debug("task %s failed:\n%s", self.title, traceback.format_exc())
                self.error = error
                self._end(TaskState.FAILED)
                signals.failed.emit(error)
        else:
            self.result = result
            self._end(TaskState.SUCCEEDED)
            signals.succeeded.emit(result)
        finally:
            self._done.set()
            signals.finished.emit()
            self._changed()  # after every signal of the task: its end is the last change
            if self.ended is not None:
                self.ended(self)
