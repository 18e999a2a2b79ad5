"""The containers model words statuses from anchors (no engine needed: rows as the list endpoint
gives them): one clock for every row, only changed cells signalled, anchors kept across
listings, and the stop countdown."""

import time

import pytest

from desktop.engine.containers import rows_from_api
from desktop.models.containers_model import ContainersModel, Stopping, signal_name, status_text


def item(i, status="Up 5 seconds", state="running"):
    return {"Id": f"{i:064d}", "Names": [f"/c{i}"], "Image": "img", "State": state, "Status": status,
            "Created": 1000}


@pytest.fixture
def model(qapp, qtmodeltester):
    model = ContainersModel()
    yield model
    qtmodeltester.check(model, force_py=True)


def test_rows_listed_at_different_times_are_worded_against_one_clock(model):
    t = time.time()
    first = rows_from_api([item(1, "Up 5 seconds")], (t - 3.2, t - 3.2))  # listed 3.2 s ago...
    second = rows_from_api([item(2, "Up 8 seconds")], (t, t))  # ...and now: the same start
    model.apply(first + second)
    model.now = t
    texts = {r.name: status_text(r, t) for r in model.rows()}
    assert texts == {"c1": "Up 8 seconds", "c2": "Up 8 seconds"}
    assert [model.index(i, model.STATUS).data() for i in range(2)] == ["Up 8 seconds"] * 2
    assert status_text(model.row_at(0), t + 60) == "Up About a minute"


def test_only_cells_whose_words_changed_are_signalled(qtbot, model):
    t = time.time()
    model.apply(rows_from_api([item(1, "Up 17 minutes"), item(2, "Up 1 second")], (t, t)))
    changed = []
    model.dataChanged.connect(lambda a, b, roles: changed.append((a.row(), a.column(), b.column())))
    model.touch_status()
    assert {c[0] for c in changed} == {0, 1}  # first time: both worded
    assert changed[0][1:] == (model.STATUS, model.CREATED)
    changed.clear()
    model.touch_status()
    assert changed == []  # the same instant, give or take: nothing to repaint
    qtbot.waitUntil(lambda: (model.touch_status(), changed)[1] != [], timeout=3000)
    assert {model.row_at(r).name for r, _a, _b in changed} == {"c2"}  # seconds move, minutes not yet


def test_a_later_listing_narrows_the_anchor_and_a_restart_replaces_it(model):
    t = 10_000.0
    model.apply(rows_from_api([item(1, "Up 5 seconds")], (t, t)))  # started in (t-6, t-5]
    assert model.row_at(0).anchor == (t - 6, t - 5)
    model.apply(rows_from_api([item(1, "Up 6 seconds")], (t + 1.5, t + 1.5)))  # (t-5.5, t-4.5]
    assert model.row_at(0).anchor == (t - 5.5, t - 5)
    model.update_rows(rows_from_api([item(1, "Up Less than a second")], (t + 30, t + 30)))  # restarted
    assert model.row_at(0).anchor == (t + 29, t + 30)
    model.set_exact_anchors({model.row_at(0).id: t + 5})  # an inspect from before the restart
    assert model.row_at(0).anchor == (t + 29, t + 30)  # (or another clock): not taken
    model.set_exact_anchors({model.row_at(0).id: t + 29.4, "gone": t})
    assert model.row_at(0).anchor == (t + 29.4, t + 29.4)
    model.update_rows(rows_from_api([item(1, "Created", "created")], (t, t)))
    assert model.row_at(0).anchor == (0.0, 0.0) and model.index(0, model.STATUS).data() == "Created"


def test_the_stop_countdown(model):
    t = time.time()
    model.apply(rows_from_api([item(1)], (t, t)))
    cid = model.row_at(0).id
    model.note_signal(cid, "15", t)  # a kill event for a stop Berth did not ask for: shown as is
    assert model.stopping(cid) is None and model.index(0, model.STATUS).data().startswith("Up ")
    model.mark_stopping([cid], 10)
    assert model.index(0, model.STATUS).data() == "Stopping…"
    model.note_signal(cid, "15", t)
    model.now = t + 2.5
    assert model.index(0, model.STATUS).data() == "Stopping (SIGTERM sent, SIGKILL in 8 s)"
    model.now = t + 10.2
    assert model.index(0, model.STATUS).data() == "Stopping (SIGTERM sent, SIGKILL due)"
    model.note_signal(cid, "9", t + 10.3)
    assert model.index(0, model.STATUS).data() == "Stopping (SIGKILL sent)"
    model.update_rows(rows_from_api([item(1, "Exited (137) Less than a second ago", "exited")], (t, t)))
    assert model.stopping(cid) is None  # it died: the status is the engine's again
    assert model.index(0, model.STATUS).data().startswith("Exited (137) ")


def test_signal_names_and_a_stop_that_ends_without_dying(model):
    assert [signal_name(s) for s in ("15", "9", "2", "SIGINT", "HUP", "64", "")] == [
        "SIGTERM", "SIGKILL", "SIGINT", "SIGINT", "SIGHUP", "signal 64", ""]
    assert Stopping(0, 0.0, "SIGTERM", 5.0).text(5.0) == "Stopping (SIGTERM sent, SIGKILL due)"
    t = time.time()
    model.apply(rows_from_api([item(1)], (t, t)))
    cid = model.row_at(0).id
    model.mark_stopping([cid, "not-listed"], 3)
    model.end_stopping([cid, "not-listed"])  # the stop task ended (it failed): back to the status
    assert model.stopping(cid) is None and model.index(0, model.STATUS).data().startswith("Up ")
    model.mark_stopping([cid], 3)
    model.apply([])  # removed meanwhile: forgotten with the row
    assert model.stopping(cid) is None and model.rowCount() == 0
