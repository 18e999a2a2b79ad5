"""The connection to one engine over time: connect in a worker, watch the event stream while
connected, notice when the engine goes away or stops answering (a ping every ``ping_interval`` s)
and reconnect by itself when it returns.

Signals:
  stateChanged(str)      -- "connecting", "connected" or "disconnected"
  connected(EngineInfo)
  disconnected(object)   -- the BerthError saying why (EngineUnavailable has .attempts)
  eventReceived(EngineEvent) -- every engine event, on the GUI thread
  eventsOpened()         -- the event stream is (re)open: models should re-list once

The watcher is a STREAM operation: its events, and ``OPENED`` when the stream (re)opens, come
through one item pipe in order, so a burst of events costs the GUI thread one wake-up. Events
still in the pipe of a connection that was dropped are not passed on.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.engine import connection
from desktop.engine.cancel import CancelToken, shutdown_on_cancel
from desktop.engine.connection import ClientFactory, EngineInfo, Endpoint
from desktop.engine.errors import BerthError, EngineUnavailable
from desktop.engine.events import watch_events
from desktop.engine.liveness import PING_INTERVAL
from desktop.tasks.manager import TaskManager
from desktop.tasks.operations import STREAM, Operation
from desktop.tasks.stream import OPENED
from desktop.tasks.task import Task, TaskContext

CONNECTING, CONNECTED, DISCONNECTED = "connecting", "connected", "disconnected"


def _connect(ctx: TaskContext, endpoints: list[Endpoint] | None) -> EngineInfo:
    return connection.connect(endpoints if endpoints is not None else connection.candidate_endpoints())


def _endpoints_name(endpoints: list[Endpoint] | None) -> str:
    """The engine a connect attempt is for, as the activity centre names engines."""
    if endpoints is None:
        return "the docker CLI's engine"
    return " or ".join(e.display_name for e in endpoints)


def _watch(ctx: TaskContext, factory: ClientFactory, ping_interval: float, emit) -> None:
    """Every event to *emit*, and ``OPENED`` each time the stream (re)opens."""
    # the pings have a connection of their own: the stream's is busy, and may be the one that hangs
    ended = CancelToken()  # cuts a ping still waiting when the watch ends
    with factory.private_light_client() as client, factory.private_light_client(timeout=ping_interval) as pinger, \
            shutdown_on_cancel(pinger.api, ended):
        try:
            watch_events(client, ctx.token, emit, on_open=lambda: emit(OPENED), ping=pinger.api.ping,
                         ping_interval=ping_interval)
        finally:
            ended.cancel()


class EngineSession(QObject):
    stateChanged = Signal(str)
    connected = Signal(object)
    disconnected = Signal(object)
    eventReceived = Signal(object)
    eventsOpened = Signal()

    RETRY_MS = (1000, 2000, 3000, 5000)  # back off gently while no engine answers
    # while connected, /_ping every this many seconds (each allowed as long): an engine that stops
    # answering over a connection that stays open is noticed within twice this (tests shorten it)
    ping_interval: float = PING_INTERVAL

    def __init__(self, tasks: TaskManager, endpoints: list[Endpoint] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self._endpoints = endpoints  # None: resolve like the CLI at every attempt
        self.state = DISCONNECTED
        self.info: EngineInfo | None = None
        self.factory: ClientFactory | None = None
        self.last_error: BerthError | None = None
        self._connect_task: Task | None = None
        self._watch_task: Task | None = None
        self._failures = 0
        self._stopped = False
        self._generation = 0
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self.connect_now)

    # --- public -------------------------------------------------------------------------
    def start(self) -> None:
        self._stopped = False
        self.connect_now()

    def set_endpoints(self, endpoints: list[Endpoint] | None) -> None:
        """Switch to other endpoints (None: back to the CLI's rules) and connect to them now."""
        self._endpoints = endpoints
        self._drop_connection()
        self._failures = 0
        self.connect_now()

    @property
    def endpoints(self) -> list[Endpoint] | None:
        return self._endpoints

    def retry_in_ms(self) -> int:
        return self._retry.remainingTime() if self._retry.isActive() else -1

    def connect_now(self) -> None:
        if self._stopped or (self._connect_task is not None and not self._connect_task.state.done):
            return
        self._retry.stop()
        if self.factory is not None or self._watch_task is not None:
            self._drop_connection()  # Reconnect while connected: one watch, one set of clients, never two
        self._set_state(CONNECTING)
        generation = self._generation
        task = Task("Connecting to the Docker engine", _connect, self._endpoints, background=True,
                    engine=_endpoints_name(self._endpoints))
        task.signals.succeeded.connect(lambda info, g=generation: self._on_connected(info, g))
        task.signals.failed.connect(lambda err, g=generation: self._on_failed(err, g))
        self._connect_task = task
        self.tasks.submit(task)

    def stop(self) -> None:
        """Stop watching and retrying (application shutdown)."""
        self._stopped = True
        self._retry.stop()
        self._drop_connection()

    # --- internals ------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    def _drop_connection(self) -> None:
        self._generation += 1
        if self._watch_task is not None:
            self._watch_task.token.cancel()
            self._watch_task = None
        if self._connect_task is not None:
            self._connect_task.token.cancel()
            self._connect_task = None
        if self.factory is not None:
            self.factory.close()
            self.factory = None

    def _on_connected(self, info: EngineInfo, generation: int) -> None:
        if generation != self._generation or self._stopped:
            return
        self._failures = 0
        self.info = info
        self.last_error = None
        self.factory = ClientFactory(info)
        # the session's own factory: it is not CONNECTED until the watch is under way
        self._watch_task = Operation(self, "Watching engine events", _watch, self.factory, self.ping_interval,
                                     kind=STREAM, needs_engine=False, action="watch the engine's events") \
            .on_items(lambda items, g=generation: self._on_watched(items, g)) \
            .on_failure(lambda err, g=generation: self._on_failed(err, g)).run()
        self._set_state(CONNECTED)
        self.connected.emit(info)

    def _on_watched(self, items: list, generation: int) -> None:
        for item in items:
            if generation != self._generation:
                return  # that connection was dropped (maybe by a listener): the rest is stale
            if item is OPENED:
                self.eventsOpened.emit()
            else:
                self.eventReceived.emit(item)

    def _on_failed(self, error: BerthError, generation: int) -> None:
        if generation != self._generation or self._stopped:
            return
        self._drop_connection()
        self.info = None
        if not isinstance(error, EngineUnavailable):
            error = EngineUnavailable(str(error))
        self.last_error = error
        # the retry is scheduled before anyone hears of the failure, so they can say when it comes
        delay = self.RETRY_MS[min(self._failures, len(self.RETRY_MS) - 1)]
        self._failures += 1
        self._retry.start(delay)
        self._set_state(DISCONNECTED)
        self.disconnected.emit(error)  # on every attempt: the page refreshes "what was tried"
