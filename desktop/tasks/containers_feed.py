"""The containers list kept live from the event payloads themselves.

A container event says enough to show the new state at once (``engine/container_events.py``).
The containers it touched are then listed again by id, a few hundred milliseconds after the
burst goes quiet (at most every few seconds while it lasts): that fills in what events do not
carry, such as the engine's status wording and the ports bound at start. Listing everything is
kept for when the stream (re)opens, an option changes or the user refreshes.

When 100 containers start at once this turns dozens of listings of the whole engine into a few
small ones, and keeps worker threads from holding the GIL the GUI thread needs.

Answers can overtake events: a listing that started before an event may not show it. Events
received since a listing started are applied again on top of its answer, in order; they are
idempotent, so doing so is always safe.

Times: a start or a death carries its own time (the engine's clock), which becomes the row's
status anchor on this machine's clock: the engine's clock is read as ahead or behind by the
smallest gap seen between an event's time and its arrival (delivery only ever adds to it) when
that gap is over a second; below, it is latency and the clocks are taken to agree.
Rows on screen whose wording is coarse ("Up About an hour") are inspected once
(``refine_anchors``) for the exact instant; nothing is polled.

The feed is a controller: it knows the rows only through ``ContainerRows`` (the containers model
is one), so its throttling and rechecks can be driven with a stand-in session and plain rows.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Iterable, Protocol, Sequence

from PySide6.QtCore import QTimer

from desktop.engine.container_events import COMPLETE, event_seconds, is_removal, row_after
from desktop.engine.containers import ContainerRow, anchors_by_inspect
from desktop.engine.events import EngineEvent
from desktop.tasks import loaders
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.live_feed import LiveFeed
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task

UP_STATES = ("running", "paused", "restarting")


class ContainerRows(Protocol):
    """What the feed needs of the rows it keeps (``models/containers_model.py`` has it all)."""

    def apply(self, rows: Sequence[ContainerRow]) -> None: ...  # a whole listing
    def update_rows(self, rows: Sequence[ContainerRow], removed_keys: Iterable[str] = ()) -> None: ...
    def row_for_key(self, key: str) -> int: ...  # -1 when absent
    def row_at(self, row: int) -> ContainerRow: ...
    def note_signal(self, container_id: str, signal: str, at: float) -> None: ...
    def set_exact_anchors(self, anchors: dict[str, float]) -> None: ...


def is_relevant(event: EngineEvent) -> bool:
    # exec_create/exec_start/exec_die (a shell in a container) change nothing the list shows
    return event.type == "container" and not event.base_action.startswith("exec_")


class ContainersFeed(LiveFeed):
    SETTLE_MS = 300  # recheck once events have been quiet this long...
    NEW_ROW_MS = 50  # ...or this long when a container is not in the list yet
    MAX_WAIT_S = 3.0  # ...or this long after the first unchecked event, whichever comes first
    MAX_RECHECK = 200  # beyond this many containers, one full listing is the cheaper question
    REPLAY_MARGIN_S = 0.5  # events received this long before a listing began are replayed too
    COARSE_S = 1.0  # an anchor less certain than this is worth one inspect when on screen
    SKEW_S = 1.0  # a gap between the clocks below this is delivery latency, not another clock
    MAX_REFINE = 48  # containers inspected in one go (the rows on screen)

    def __init__(self, session: EngineSession, model: ContainerRows, parent=None,
                 load=loaders.load_containers, load_some=loaders.load_some_containers):
        """*load* lists every container and *load_some* those of some ids (work functions, like
        ``loaders``'s; a test may give others)."""
        super().__init__(session, "Listing containers", load, model.apply, is_relevant, parent=parent)
        self._load_some = load_some
        self.options["all_containers"] = True
        self._model = model
        self._recent: deque[tuple[float, EngineEvent]] = deque()
        self._unchecked: set[str] = set()
        self._first_unchecked = 0.0
        self._recheck_task: Task | None = None
        self._recheck_started = 0.0
        self._last_recheck_s = 0.0
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(self.SETTLE_MS)
        self._settle.timeout.connect(self._recheck)
        self.clock_offset: float | None = None  # local minus engine clock, as events show it
        self._refine_task: Task | None = None
        self._refined: set[tuple[str, str]] = set()  # (id, status kind) inspected already

    # --- events ---------------------------------------------------------------------------
    def _on_event(self, event: EngineEvent) -> None:
        if not self._relevant(event):
            return
        if not self.loaded_once:
            super()._on_event(event)  # no rows to patch yet: the first listing will tell
            return
        self._forget_replayed()
        self._learn_clock(event)
        self._recent.append((time.monotonic(), event))
        action = event.base_action
        if action == "kill":
            self._model.note_signal(event.actor_id, event.attributes.get("signal", ""), self.local_time(event))
        # a new container or a health status cannot be patched: ask the engine for it
        if not self._patch(event) or action not in COMPLETE:
            self._mark_unchecked(event.actor_id)

    # --- clock ----------------------------------------------------------------------------
    def _learn_clock(self, event: EngineEvent) -> None:
        engine_time = event_seconds(event)
        if engine_time:
            gap = time.time() - engine_time
            if self.clock_offset is None or gap < self.clock_offset:
                self.clock_offset = gap

    @property
    def skew(self) -> float:
        """Seconds to add to the engine's clock to read this machine's (0 when they agree)."""
        offset = self.clock_offset or 0.0
        return offset if abs(offset) >= self.SKEW_S else 0.0

    def local_time(self, event: EngineEvent) -> float:
        """When *event* happened, on this machine's clock."""
        engine_time = event_seconds(event)
        if not engine_time:
            return time.time()
        return engine_time + self.skew

    # --- exact times ----------------------------------------------------------------------
    def refine_anchors(self, rows: list[ContainerRow]) -> None:
        """Inspect, once each and in one background task, those of *rows* (the rows on screen)
        whose status anchor is coarse, so their wording is exact from then on."""
        if self._refine_task is not None or self._session.state != CONNECTED:
            return
        wanted = []
        for row in rows:
            low, high = row.anchor
            words = row.status.split(" ", 1)[0]
            if high and high - low > self.COARSE_S and (row.id, words) not in self._refined:
                self._refined.add((row.id, words))
                wanted.append(row)
            if len(wanted) >= self.MAX_REFINE:
                break
        if not wanted:
            return
        self._refine_task = Operation(self._session, "Reading start times", _inspect_anchors, wanted,
                                      kind=HOUSEKEEPING, action="read the containers' start times").owned_by(self) \
            .on_success(self._on_refined).on_finish(lambda: setattr(self, "_refine_task", None)).run()

    def _on_refined(self, anchors: dict[str, float]) -> None:
        if self._session.state == CONNECTED:
            skew = self.skew
            self._model.set_exact_anchors({i: t + skew for i, t in anchors.items()})

    def _patch(self, event: EngineEvent) -> bool:
        """Show what *event* says at once; False when only a listing can tell."""
        if is_removal(event):
            self._model.update_rows((), [event.actor_id])
            return True
        index = self._model.row_for_key(event.actor_id)
        new = row_after(self._model.row_at(index) if index >= 0 else None, event, self.local_time(event))
        if new is None:
            return False
        if not self.options.get("all_containers", True) and new.state not in UP_STATES:
            self._model.update_rows((), [new.id])  # `docker ps` shows running ones only
        else:
            self._model.update_rows([new])
        return True

    def _replay(self, since: float, ids: set[str] | None = None) -> None:
        for received, event in list(self._recent):
            if received >= since and (ids is None or event.actor_id in ids):
                self._patch(event)

    def _forget_replayed(self) -> None:
        """Drop events no answer under way can predate."""
        starts = [t for t, busy in ((self._started, self.busy), (self._recheck_started, self._recheck_task))
                  if busy]
        horizon = (min(starts) if starts else time.monotonic()) - self.REPLAY_MARGIN_S
        while self._recent and self._recent[0][0] < horizon:
            self._recent.popleft()

    # --- rechecks -------------------------------------------------------------------------
    def _mark_unchecked(self, container_id: str) -> None:
        now = time.monotonic()
        if not self._unchecked:
            self._first_unchecked = now
        self._unchecked.add(container_id)
        if self._model.row_for_key(container_id) < 0:
            # a container the list lacks (just created): show it soon, but no sooner than twice
            # what the last recheck took, so a slow engine is not asked faster than it answers
            self._settle.setInterval(min(self.SETTLE_MS, max(self.NEW_ROW_MS, int(2000 * self._last_recheck_s))))
        elif not self._settle.isActive():
            self._settle.setInterval(self.SETTLE_MS)
        if now - self._first_unchecked < self.MAX_WAIT_S or not self._settle.isActive():
            self._settle.start()

    def _recheck(self) -> None:
        if not self._unchecked or self._session.state != CONNECTED:
            return
        if self._recheck_task is not None:
            return  # again when the one under way is done
        if len(self._unchecked) > self.MAX_RECHECK:
            self._unchecked.clear()
            self.refresh()
            return
        ids = sorted(self._unchecked)
        self._unchecked.clear()
        self._recheck_started = time.monotonic()
        self._recheck_task = Operation(self._session, "Checking containers", self._load_some, ids,
                                       kind=HOUSEKEEPING, all_containers=self.options.get("all_containers", True)) \
            .owned_by(self).on_success(lambda rows: self._on_rechecked(ids, rows)).on_failure(self._on_failed) \
            .on_finish(self._on_recheck_finished).run()

    def _on_rechecked(self, ids: list[str], rows) -> None:
        if self._session.state != CONNECTED:
            return
        self._last_recheck_s = time.monotonic() - self._recheck_started
        found = {row.id for row in rows}
        self._model.update_rows(rows, [i for i in ids if i not in found])
        self._replay(self._recheck_started - self.REPLAY_MARGIN_S, set(ids))
        self.loaded.emit()

    def _on_recheck_finished(self) -> None:
        self._recheck_task = None
        self._forget_replayed()
        if self._unchecked and not self._settle.isActive():
            self._settle.start()

    # --- full listings --------------------------------------------------------------------
    def _on_loaded(self, rows) -> None:
        super()._on_loaded(rows)
        if self._session.state == CONNECTED:
            self._replay(self._started - self.REPLAY_MARGIN_S)

    def _on_finished(self) -> None:
        super()._on_finished()
        self._forget_replayed()

    def _on_disconnected(self, error) -> None:
        super()._on_disconnected(error)
        self._settle.stop()
        self._unchecked.clear()
        self._recent.clear()
        self._refined.clear()
        self.clock_offset = None  # another engine may keep another time


def _inspect_anchors(ctx, factory, rows: list[ContainerRow]) -> dict[str, float]:
    """Task body (a worker thread): the exact anchors of *rows* by inspecting each."""
    ctx.raise_if_cancelled()
    return anchors_by_inspect(factory.client(), rows)
