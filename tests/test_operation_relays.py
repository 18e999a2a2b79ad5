"""Operations owned by a widget reach it through one relay, the widget's child; it forgets each
operation once its work has finished, so an owner that starts operation after operation (a feed
listing at every burst of events, a pane following one log after another) collects nothing, and
every callback, the last one included, still runs. No Docker: a stand-in session."""

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
    [relay] = owner.children()  # one for all thirty
    qtbot.waitUntil(lambda: len(finished) == 30, timeout=5000)
    assert sorted(results) == list(range(30)) and all(t.result == i for i, t in enumerate(tasks))
    assert owner.children() == [relay] and relay.pending() == 0  # nothing kept once the work is done
