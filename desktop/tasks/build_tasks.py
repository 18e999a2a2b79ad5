"""Work functions behind the build dialog, and the pipe that carries the build's log lines from
the worker to the GUI thread.

Signals of BuildEventPipe: ready() -- events are waiting; ``take()`` them on the GUI thread.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from desktop.engine import build as engine_build
from desktop.engine.build import BuildEvent, BuildRequest, BuildResult, ContextInfo
from desktop.engine.connection import ClientFactory
from desktop.engine.atomic_file import atomic_write, disk_error
from desktop.tasks.task import TaskContext


class BuildEventPipe(QObject):
    """Batches events without a timer: the worker appends, and only the first append after a
    ``take()`` emits ``ready``, so a burst of thousands of lines costs the GUI thread one queued
    signal per batch rather than one per line. Create it on the GUI thread."""

    ready = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Lock()
        self._items: list[BuildEvent] = []

    def put(self, event: BuildEvent) -> None:  # any thread
        with self._lock:
            self._items.append(event)
            first = len(self._items) == 1
        if first:
            self.ready.emit()

    def take(self) -> list[BuildEvent]:  # GUI thread
        with self._lock:
            items, self._items = self._items, []
        return items


def build(ctx: TaskContext, factory: ClientFactory, request: BuildRequest,
          pipe: BuildEventPipe | None = None) -> BuildResult:
    """Build on a private client without a timeout (a step may run for an hour), closed after."""
    ctx.raise_if_cancelled()
    with factory.private_client() as client:
        return engine_build.build_image(
            client, request, token=ctx.token, on_event=pipe.put if pipe is not None else None,
            on_progress=lambda done, total, text: ctx.progress(done, total, text))


def check_context(ctx: TaskContext, context_dir: str, dockerfile: str) -> ContextInfo:
    """Look at the context folder and Dockerfile off the GUI thread (it may be a slow mount)."""
    ctx.raise_if_cancelled()
    return engine_build.check_context(context_dir, dockerfile)


def save_text(ctx: TaskContext, path: str, text: str) -> str:
    """Write *text* to *path* (UTF-8) whole or not at all: a failed save leaves an existing file
    as it was. Returns the path."""
    ctx.raise_if_cancelled()
    data = text.encode("utf-8", "replace")
    try:
        with atomic_write(path, "the log") as f:
            f.write(data)
            ctx.raise_if_cancelled()
    except OSError as exc:
        raise disk_error(exc, path, "the log") from exc
    return path
