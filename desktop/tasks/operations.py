"""Operations: one small object per user action, in the spirit of Anki's ``aqt.operations``.

    Operation(session, "Tagging image 1a2b3c", tag_tasks.apply_tags, image_id, tags,
              action="tag the image").owned_by(dialog).on_success(dialog.done).on_failure(dialog.show_error).run()

An operation knows its title, the engine session it belongs to, its kind and the work function
``fn(ctx, factory, *args)``, which runs on a worker thread and never touches widgets. Its callbacks
run on the GUI thread and are dropped when the widget that owns them is gone, so a closed dialog is
never called back. Every site goes through here, so the checks and the failure policy live in one
place:

- not connected: the operation fails at once with a sentence, through the same path as any failure;
- ``USER`` operations are listed in the activity centre, which keeps the full error of a failure
  (a dialog the user waits on may also show it inline with ``on_failure``);
- ``HOUSEKEEPING`` work (listings, checks) stays out of the centre while it works, and reaches it
  only if it fails and nobody handles the failure: nothing fails silently;
- ``STREAM`` work (events, logs, stats, a shell) runs on the stream threads, never on the threads
  one-shot work needs; its items reach the GUI thread in batches through ``on_items``. It ends when
  cancelled, by the engine function closing its response.
"""

from __future__ import annotations

import enum
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, Qt

from desktop.engine.errors import EngineUnavailable
from desktop.tasks.stream import ItemPipe
from desktop.tasks.task import Task, TaskContext


class Kind(enum.Enum):
    USER = "user"
    HOUSEKEEPING = "housekeeping"
    STREAM = "stream"


USER, HOUSEKEEPING, STREAM = Kind.USER, Kind.HOUSEKEEPING, Kind.STREAM

NOT_CONNECTED = "Not connected to the Docker engine. Berth connects again by itself when it answers."


def _not_connected(ctx: TaskContext, *_args: Any, **_kwargs: Any) -> None:
    raise EngineUnavailable(NOT_CONNECTED)


class _Relay(QObject):
    """The callbacks of every operation one owner started, held by a single child of the owner:
    when the owner goes, Qt drops every connection to it. Nothing is created or deleted per
    operation, so an owner that starts operation after operation (a feed listing at every burst
    of events, a pane following one log after another) collects nothing, and no deferred deletion
    can race with the owner's own."""

    NAME = "berthOperationRelay"

    @classmethod
    def of(cls, owner: QObject) -> "_Relay":
        relay = owner.findChild(cls, cls.NAME, Qt.FindChildOption.FindDirectChildrenOnly)
        return relay if relay is not None else cls(owner)

    def __init__(self, owner: QObject):
        super().__init__(owner)
        self.setObjectName(self.NAME)
        self._callbacks: dict[object, dict[str, Callable]] = {}  # a task's signals -> its callbacks

    def add(self, signals, callbacks: dict[str, Callable]) -> None:
        self._callbacks[signals] = dict(callbacks)
        for name in ("succeeded", "failed", "progress", "cancelled", "finished"):
            getattr(signals, name).connect(getattr(self, f"on_{name}"))

    def pending(self) -> int:
        """Operations whose end has not arrived yet (tests)."""
        return len(self._callbacks)

    def _call(self, name: str, *args: Any) -> None:
        callback = self._callbacks.get(self.sender(), {}).get(name)
        if callback is not None:
            callback(*args)

    def on_succeeded(self, result: Any) -> None:
        self._call("succeeded", result)

    def on_failed(self, error: Any) -> None:
        self._call("failed", error)

    def on_progress(self, progress: Any) -> None:
        self._call("progress", progress)

    def on_cancelled(self) -> None:
        self._call("cancelled")

    def on_finished(self) -> None:  # always the last signal of a task
        callback = self._callbacks.pop(self.sender(), {}).get("finished")
        if callback is not None:
            callback()


class Operation:
    def __init__(self, session, title: str, fn: Callable[..., Any], *args: Any, kind: Kind = USER,
                 action: str = "", cancellable: bool = True, retryable: bool = False, needs_engine: bool = True,
                 **kwargs: Any):
        """*session* is the EngineSession the work is for (its factory is passed to *fn* after the
        context when *needs_engine*); *action* words a failure ("save the images" -> "Could not
        save the images: ..."); *retryable* offers Retry in the activity centre."""
        self.session = session
        self.title = title
        self.kind = kind
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._action = action
        self._cancellable = cancellable
        self._retryable = retryable
        self._needs_engine = needs_engine
        self._owner: QObject | None = None
        self._callbacks: dict[str, Callable] = {}
        self.task: Task | None = None

    # --- configuring (each returns the operation, to chain) -------------------------------------
    def owned_by(self, owner: QObject | None) -> "Operation":
        """Drop the callbacks once *owner* (usually the widget that asked) is deleted."""
        self._owner = owner
        return self

    def on_success(self, callback: Callable[[Any], Any]) -> "Operation":
        self._callbacks["succeeded"] = callback
        return self

    def on_failure(self, callback: Callable[[Any], Any]) -> "Operation":
        """Show the error where the user waits for it too; the activity centre keeps it anyway."""
        self._callbacks["failed"] = callback
        return self

    def on_progress(self, callback: Callable[[Any], Any]) -> "Operation":
        self._callbacks["progress"] = callback
        return self

    def on_cancel(self, callback: Callable[[], Any]) -> "Operation":
        self._callbacks["cancelled"] = callback
        return self

    def on_finish(self, callback: Callable[[], Any]) -> "Operation":
        """Called last, however the work ended."""
        self._callbacks["finished"] = callback
        return self

    def on_items(self, callback: Callable[[list], Any]) -> "Operation":
        """For streams: *callback* gets the items the work function passed to its ``emit``
        keyword, in batches, on the GUI thread."""
        self._callbacks["items"] = callback
        return self

    # --- running -------------------------------------------------------------------------------
    def run(self) -> Task:
        """Start the work; returns its task (already failed if there is no engine to talk to)."""
        session = self.session
        factory = getattr(session, "factory", None)
        args: tuple = self._args
        fn = self._fn
        if self._needs_engine:
            if factory is None or getattr(session, "state", None) != "connected":
                fn = _not_connected
            args = (factory, *args)
        kwargs = dict(self._kwargs)
        pipe = None
        if "items" in self._callbacks:
            # parentless and kept by the task: the worker may still put after the owner has gone
            pipe = ItemPipe(self._guarded(self._callbacks["items"]))
            kwargs["emit"] = pipe.put
        info = getattr(session, "info", None)
        task = Task(self.title, fn, *args, cancellable=self._cancellable, background=self.kind is not USER,
                    action=self._action, engine=info.display_name if info is not None else "",
                    retry=self._again if self._retryable else None, **kwargs)
        task.kind = self.kind.value
        task.report_failure = self.kind is HOUSEKEEPING and "failed" not in self._callbacks
        signals = task.signals
        if pipe is not None:
            task.pipe = pipe
            signals.finished.connect(pipe.flush)  # the last items are delivered before the end is
            signals.finished.connect(pipe.deleteLater)
        names = ("succeeded", "failed", "progress", "cancelled", "finished")
        if self._owner is not None:  # Qt drops the connections when the owner is deleted
            _Relay.of(self._owner).add(signals, self._callbacks)
        else:
            for name in names:
                callback = self._callbacks.get(name)
                if callback is not None:
                    getattr(signals, name).connect(callback)
        self.task = task
        session.tasks.submit(task, stream=self.kind is STREAM)
        return task

    def _again(self) -> Task:
        return Operation(self.session, self.title, self._fn, *self._args, kind=self.kind, action=self._action,
                         cancellable=self._cancellable, retryable=self._retryable, needs_engine=self._needs_engine,
                         **self._kwargs)._with_callbacks(self._owner, self._callbacks).run()

    def _with_callbacks(self, owner: QObject | None, callbacks: dict[str, Callable]) -> "Operation":
        if owner is None or shiboken6.isValid(owner):  # a retry after its dialog closed: no callbacks
            self._owner = owner
            self._callbacks = dict(callbacks)
        return self

    def _guarded(self, callback: Callable) -> Callable:
        """A plain function that calls *callback* only while the owner exists."""
        owner = self._owner
        if owner is None:
            return callback
        return lambda *args: callback(*args) if shiboken6.isValid(owner) else None
