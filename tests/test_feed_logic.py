"""The feeds' own logic, driven by a stand-in session (the session's signals and a real TaskManager,
no Docker): how bursts of events become few listings, how a listing asked for while one is under
way becomes exactly one more, and how events that overtake an answer are applied again on top of
it. ``tests/test_containers_feed.py`` shows the same feed against the real engine."""

from __future__ import annotations

import threading

import pytest

from desktop.engine.containers import ContainerRow
from desktop.engine.events import EngineEvent
from desktop.tasks.containers_feed import ContainersFeed
from desktop.tasks.live_feed import LiveFeed
from tests.stand_in import session  # noqa: F401 - a fixture


class RowStore:
    """Plain rows in a list: what ContainersFeed needs of the containers model."""

    def __init__(self):
        self.rows: list[ContainerRow] = []
        self.signals: list[tuple[str, str]] = []

    def apply(self, rows) -> None:
        self.rows = list(rows)

    def update_rows(self, rows, removed_keys=()) -> None:
        gone = set(removed_keys)
        by_id = {r.id: r for r in rows}
        kept = [by_id.pop(r.id, r) for r in self.rows if r.id not in gone]
        self.rows = kept + list(by_id.values())

    def row_for_key(self, key: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.id == key), -1)

    def row_at(self, index: int) -> ContainerRow:
        return self.rows[index]

    def note_signal(self, container_id: str, signal: str, at: float) -> None:
        self.signals.append((container_id, signal))

    def set_exact_anchors(self, anchors: dict[str, float]) -> None:
        pass

    def state_of(self, container_id: str) -> str | None:
        index = self.row_for_key(container_id)
        return self.rows[index].state if index >= 0 else None


def row(cid: str, state: str = "created", status: str = "Created") -> ContainerRow:
    return ContainerRow(id=cid, name=f"name-{cid}", image="busybox", image_id="sha256:" + "0" * 64,
                        command="sh", state=state, status=status, created=0)


def event(cid: str, action: str, kind: str = "container") -> EngineEvent:
    return EngineEvent(kind, action, cid)


class Engine:
    """The containers the stand-in engine has, and every question the feed asked of it. A gate,
    when closed, holds the answers, as a slow engine would."""

    def __init__(self):
        self.rows: dict[str, ContainerRow] = {}
        self.full: list[dict] = []
        self.some: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()

    def load(self, ctx, factory, **options) -> list[ContainerRow]:
        with self._lock:
            self.full.append(options)
            answer = list(self.rows.values())
        assert self.gate.wait(10)
        return answer

    def load_some(self, ctx, factory, ids, all_containers=True) -> list[ContainerRow]:
        with self._lock:
            self.some.append(list(ids))
            answer = [self.rows[i] for i in ids if i in self.rows]  # read now, answered later
        assert self.gate.wait(10)
        return answer


def idle(feed: LiveFeed) -> bool:
    """Nothing under way and nothing scheduled."""
    return not feed.busy and not feed._throttle.isActive()


def test_a_burst_of_events_is_one_listing_and_a_refresh_during_one_is_one_more(qtbot, session):
    engine = Engine()
    applied = []
    feed = LiveFeed(session, "Listing things", engine.load, applied.append, lambda e: e.type == "image")
    session.eventsOpened.emit()
    qtbot.waitUntil(lambda: feed.loaded_once and idle(feed), timeout=5000)
    assert len(engine.full) == 1 and len(applied) == 1

    for i in range(200):  # a burst, all delivered before the GUI thread gets back to its loop
        session.eventReceived.emit(event(f"sha{i}", "tag", kind="image"))
    session.eventReceived.emit(event("c1", "start"))  # not relevant to this feed
    qtbot.waitUntil(lambda: len(applied) == 2 and idle(feed), timeout=5000)
    assert len(engine.full) == 2  # one listing for the whole burst

    engine.gate.clear()  # a listing that takes a while...
    feed.refresh()
    qtbot.waitUntil(lambda: len(engine.full) == 3, timeout=5000)
    assert feed.busy
    feed.refresh()  # ...asked for again, three times, while it runs
    feed.refresh()
    feed.set_option("all", True)
    assert len(engine.full) == 3
    engine.gate.set()
    qtbot.waitUntil(lambda: len(applied) == 4 and idle(feed), timeout=5000)
    assert len(engine.full) == 4  # the answer under way may be stale: exactly one more listing
    assert engine.full[-1] == {"all": True}


def test_an_answer_that_arrives_after_the_engine_went_is_not_applied(qtbot, session):
    engine = Engine()
    applied = []
    feed = LiveFeed(session, "Listing things", engine.load, applied.append, lambda e: True)
    engine.gate.clear()
    feed.refresh()
    qtbot.waitUntil(lambda: len(engine.full) == 1, timeout=5000)
    session.drop()
    engine.gate.set()
    qtbot.waitUntil(lambda: not feed.busy, timeout=5000)
    assert applied == [] and not feed.loaded_once

    feed.refresh()  # not connected: nothing is asked
    session.eventReceived.emit(event("x", "tag"))  # a late event: its throttled refresh asks nothing
    qtbot.waitUntil(lambda: idle(feed), timeout=5000)
    assert len(engine.full) == 1 and applied == []


@pytest.fixture
def containers(qtbot, session):
    engine = Engine()
    engine.rows = {"a": row("a"), "b": row("b")}
    store = RowStore()
    feed = ContainersFeed(session, store, load=engine.load, load_some=engine.load_some)
    session.eventsOpened.emit()
    qtbot.waitUntil(lambda: feed.loaded_once and not feed.busy, timeout=5000)
    assert {r.id for r in store.rows} == {"a", "b"}
    yield engine, store, feed
    feed.deleteLater()


def test_container_events_show_at_once_and_a_burst_is_rechecked_once_by_id(qtbot, containers, session):
    engine, store, feed = containers
    engine.rows = {"a": row("a", "running", "Up 1 second"), "b": row("b", "running", "Up 1 second")}
    for _ in range(20):
        session.eventReceived.emit(event("a", "start"))
        session.eventReceived.emit(event("b", "start"))
    # what the events say shows before the engine is asked anything
    assert store.state_of("a") == store.state_of("b") == "running"
    assert store.rows[store.row_for_key("a")].status == "Up Less than a second"
    qtbot.waitUntil(lambda: bool(engine.some) and feed._recheck_task is None, timeout=5000)
    assert engine.some == [["a", "b"]] and len(engine.full) == 1  # one small listing, no full one
    assert store.rows[store.row_for_key("a")].status == "Up 1 second"  # the engine's own wording

    session.eventReceived.emit(event("a", "kill"))
    assert store.signals == [("a", "")]
    session.eventReceived.emit(event("a", "destroy"))  # a removal needs no question
    assert store.state_of("a") is None
    engine.rows.pop("a")

    engine.rows["new"] = row("new")
    session.eventReceived.emit(event("new", "create"))  # not in the list: only the engine can say
    assert store.state_of("new") is None
    qtbot.waitUntil(lambda: store.state_of("new") == "created", timeout=5000)
    assert engine.some[-1] == ["new"] and len(engine.full) == 1
    session.eventReceived.emit(event("b", "exec_start: sh"))  # a shell in it changes nothing listed
    assert feed._unchecked == set()


def test_many_unknown_containers_are_one_full_listing_instead(qtbot, containers, session):
    engine, store, feed = containers
    feed.MAX_RECHECK = 3
    for i in range(5):
        engine.rows[f"n{i}"] = row(f"n{i}")
        session.eventReceived.emit(event(f"n{i}", "create"))
    qtbot.waitUntil(lambda: len(store.rows) == 7 and not feed.busy, timeout=5000)
    assert len(engine.full) == 2 and engine.some == []


def test_an_event_that_overtakes_a_recheck_is_applied_again_on_its_answer(qtbot, containers, session):
    engine, store, feed = containers
    engine.rows["b"] = row("b", "paused", "Up 2 seconds (Paused)")
    seen = []
    feed.loaded.connect(lambda: seen.append(store.state_of("b")))
    engine.gate.clear()
    session.eventReceived.emit(event("b", "pause"))
    assert store.state_of("b") == "paused"
    qtbot.waitUntil(lambda: len(engine.some) == 1, timeout=5000)  # its answer says "paused"...
    engine.rows["b"] = row("b", "running", "Up 2 seconds")
    session.eventReceived.emit(event("b", "unpause"))  # ...but the container was resumed since
    assert store.state_of("b") == "running"
    engine.gate.set()
    qtbot.waitUntil(lambda: len(seen) == 2 and feed._recheck_task is None, timeout=5000)
    assert seen == ["running", "running"]  # never back to paused, not even for one answer
    assert engine.some == [["b"], ["b"]]


def test_a_dropped_connection_forgets_what_was_pending(qtbot, containers, session):
    engine, store, feed = containers
    session.eventReceived.emit(event("b", "start"))
    assert feed._settle.isActive()
    session.drop()
    assert not feed._settle.isActive() and feed._unchecked == set()
    session.eventReceived.emit(event("b", "die"))  # a late event: no engine to ask about it
    qtbot.waitUntil(lambda: not feed._settle.isActive(), timeout=5000)
    assert engine.some == [] and len(engine.full) == 1 and not feed.busy
