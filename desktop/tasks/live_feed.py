"""Keeps one model in step with the engine: a listing when the event stream (re)opens, and a
re-listing after relevant events, bursts throttled into one refresh. No polling. A controller, not
a model: it knows the model only by the ``apply`` callable it is given, so a test can drive it
with a stand-in session (``tests/test_feed_logic.py``).

Re-listing (one request) rather than patching from event payloads is deliberate for images:
dockerd 20.10's untag events carry the image id, not the tag that went, so only a listing tells
the truth. Container events do say enough; ``containers_feed.py`` builds on this class for them.

Signals: loaded() after each applied listing, failed(BerthError), busyChanged(bool).
"""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.engine.errors import BerthError
from desktop.engine.events import EngineEvent
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task


class LiveFeed(QObject):
    loaded = Signal()
    failed = Signal(object)
    busyChanged = Signal(bool)

    def __init__(self, session: EngineSession, title: str, load: Callable, apply: Callable,
                 relevant: Callable[[EngineEvent], bool], throttle_ms: int = 50, parent=None):
        super().__init__(parent)
        self._session = session
        self._title = title
        self._load = load  # fn(ctx, factory, **options) -> rows, run in a worker
        self._apply = apply  # fn(rows) on the GUI thread
        self._relevant = relevant
        self.options: dict = {}
        self._task: Task | None = None
        self._dirty = False
        self.loaded_once = False
        self.loaded_at = 0.0  # time.monotonic() of the last applied listing
        self._base_throttle = throttle_ms
        self._started = 0.0
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(throttle_ms)
        self._throttle.timeout.connect(self.refresh)
        session.eventsOpened.connect(self.refresh)
        session.eventReceived.connect(self._on_event)
        session.disconnected.connect(self._on_disconnected)

    @property
    def session(self) -> EngineSession:
        return self._session

    @property
    def busy(self) -> bool:
        return self._task is not None

    def set_option(self, name: str, value) -> None:
        if self.options.get(name) != value:
            self.options[name] = value
            self.refresh()

    def _on_event(self, event: EngineEvent) -> None:
        if self._relevant(event) and not self._throttle.isActive():
            self._throttle.start()

    def _on_disconnected(self, _error) -> None:
        self._throttle.stop()
        self._dirty = False

    def refresh(self) -> None:
        """List now, or right after the listing under way (whose answer may be stale)."""
        if self._session.state != CONNECTED:
            return  # the stream's reopening lists again
        if self._task is not None:
            self._dirty = True
            return
        self._dirty = False
        self._started = time.monotonic()
        self._task = Operation(self._session, self._title, self._load, kind=HOUSEKEEPING, **self.options) \
            .owned_by(self).on_success(self._on_loaded).on_failure(self._on_failed).on_finish(self._on_finished).run()
        self.busyChanged.emit(True)

    def _on_loaded(self, rows) -> None:
        # A burst of events (100 containers starting) must not turn into back-to-back listings:
        # wait at least twice as long as the last listing took (up to a second).
        took_ms = (time.monotonic() - self._started) * 1000
        self._throttle.setInterval(int(max(self._base_throttle, min(1000.0, 2 * took_ms))))
        if self._session.state == CONNECTED:
            self._apply(rows)
            self.loaded_once = True
            self.loaded_at = time.monotonic()
            self.loaded.emit()

    def _on_failed(self, error: BerthError) -> None:
        self.failed.emit(error)

    def _on_finished(self) -> None:
        self._task = None
        self.busyChanged.emit(False)
        if self._dirty:
            self.refresh()
