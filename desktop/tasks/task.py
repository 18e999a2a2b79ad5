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

    def progress(self, done: float = 0, total: float | None = None, text: str = "", *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_emit < self.MIN_INTERVAL and (total is None or done < total):
            return
        self._last_emit = now
        self._task._emit_progress(Progress(done, total, text))

    def raise_if_cancelled(self) -> None:
        self.token.raise_if_cancelled()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled


class Task(QRunnable):
    def __init__(self, title: str, fn: Callable[..., Any], *args: Any, cancellable: bool = True,
                 background: bool = False, action: str = "", **kwargs: Any):
        """*background* tasks (event watchers) are not listed in the activity panel.
        *action* words the failure message ("save images" -> "Could not save images: ...")."""
        super().__init__()
        self.setAutoDelete(False)  # Python keeps the reference; the manager drops it when done
        self.id = next(_ids)
        self.title = title
        self.cancellable = cancellable
        self.background = background
        self.action = action
        self.token = CancelToken()
        self.signals = TaskSignals()
        self.state = TaskState.QUEUED
        self.last_progress = Progress()
        self.result: Any = None
        self.error: BerthError | None = None
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._done = threading.Event()

    # --- called on the GUI thread ---------------------------------------------------------
    def cancel(self) -> None:
        if self.cancellable and not self.state.done:
            self.token.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work function has returned (tests and shutdown only)."""
        return self._done.wait(timeout)

    # --- called on the worker thread ------------------------------------------------------
    def _emit_progress(self, progress: Progress) -> None:
        self.last_progress = progress
        self.signals.progress.emit(progress)

    def run(self) -> None:  # QRunnable entry point, on a pool thread
        signals = self.signals
        try:
            if self.token.cancelled:
                raise Cancelled()
            self.state = TaskState.RUNNING
            signals.stateChanged.emit()
            result = self._fn(TaskContext(self), *self._args, **self._kwargs)
            if self.token.cancelled:
                raise Cancelled()
        except Cancelled:
            self.state = TaskState.CANCELLED
            signals.stateChanged.emit()
            signals.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the GUI as a message
            if self.token.cancelled:
                self.state = TaskState.CANCELLED
                signals.stateChanged.emit()
                signals.cancelled.emit()
            else:
                error = translate(exc, self.action)
                if not isinstance(exc, BerthError):
                    log.debug("task %s failed:\n%s", self.title, traceback.format_exc())
                self.error = error
                self.state = TaskState.FAILED
                signals.stateChanged.emit()
                signals.failed.emit(error)
        else:
            self.result = result
            self.state = TaskState.SUCCEEDED
            signals.stateChanged.emit()
            signals.succeeded.emit(result)
        finally:
            self._done.set()
            signals.finished.emit()
