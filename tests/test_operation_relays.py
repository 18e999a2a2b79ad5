"""An operation owned by a widget reaches it through a small relay that is the widget's child; the
relay goes once the work has finished, so an owner that starts operation after operation (a feed
listing at every burst of events, a pane following one log after another) does not collect them,
and every callback, the last one included, still runs. No Docker: a stand-in session."""

from __future__ import annotations

from PySide6.QtCore import QObject

from desktop.tasks.operations import HOUSEKEEPING, Operation
from tests.stand_in import session  # noqa: F401 - a fixture


def _answer(ctx, factory, value):
    return value


def test_relays_go_when_their_work_is_done_and_every_callback_ran(qtbot, session):
    owner = QObject()
    results, finished = [], []
    tasks = [Operation(session, f"Answering {i}", _answer, i, kind=HOUSEKEEPING).owned_by(owner)
             .on_success(results.append).on_finish(lambda: finished.append(1)).run() for i in range(30)]
    assert len(owner.children()) == 30
    qtbot.waitUntil(lambda: len(finished) == 30, timeout=5000)
    assert sorted(results) == list(range(30)) and all(t.result == i for i, t in enumerate(tasks))
    qtbot.waitUntil(lambda: owner.children() == [], timeout=5000)  # deleted later, but deleted
