"""Listings are applied as row diffs: persistent indexes (selection) survive a refresh."""

from dataclasses import dataclass

from PySide6.QtCore import QPersistentModelIndex

from desktop.models.keyed_table import Column, KeyedTableModel, SORT_ROLE


@dataclass(frozen=True)
class Row:
    key: str
    value: int


class Model(KeyedTableModel):
    columns = (Column("Key", lambda r: r.key), Column("Value", lambda r: str(r.value), lambda r: r.value))


def test_apply_is_incremental(qtmodeltester):
    model = Model()
    qtmodeltester.check(model)
    model.apply([Row("a", 1), Row("b", 2), Row("c", 3), Row("d", 4)])
    qtmodeltester.check(model)
    kept = QPersistentModelIndex(model.index(2, 0))  # "c"
    signals = []
    model.modelReset.connect(lambda: signals.append("reset"))
    model.rowsRemoved.connect(lambda _p, first, last: signals.append(("removed", first, last)))
    model.rowsInserted.connect(lambda _p, first, last: signals.append(("inserted", first, last)))
    model.dataChanged.connect(lambda tl, br: signals.append(("changed", tl.row())))

    model.apply([Row("c", 30), Row("d", 4), Row("e", 5), Row("f", 6)])

    assert "reset" not in signals
    assert signals == [("removed", 0, 1), ("changed", 0), ("inserted", 2, 3)]
    assert kept.isValid() and kept.row() == 0 and kept.data() == "c"
    assert [(r.key, r.value) for r in model.rows()] == [("c", 30), ("d", 4), ("e", 5), ("f", 6)]
    assert model.index(0, 1).data(SORT_ROLE) == 30
    assert model.row_for_key("e") == 2
    qtmodeltester.check(model)


def test_noop_apply_emits_nothing(qtbot):
    model = Model()
    model.apply([Row("a", 1)])
    with qtbot.assertNotEmitted(model.dataChanged), qtbot.assertNotEmitted(model.rowsInserted), \
            qtbot.assertNotEmitted(model.rowsRemoved):
        model.apply([Row("a", 1)])


def test_model_sorts_itself_and_keeps_selection(qtmodeltester):
    from PySide6.QtCore import Qt

    model = Model()
    model.apply([Row("a", 3), Row("b", 1), Row("c", 2)])
    kept = QPersistentModelIndex(model.index(0, 0))  # "a"
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert [r.key for r in model.rows()] == ["a", "c", "b"]
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert [r.key for r in model.rows()] == ["b", "c", "a"]
    assert kept.row() == 2 and kept.data() == "a"
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.apply([Row("a", 3), Row("b", 1), Row("c", 2), Row("d", 0), Row("e", 5)])  # new rows land in order
    assert [r.key for r in model.rows()] == ["d", "b", "c", "a", "e"]
    model.apply([Row("a", -1), Row("b", 1), Row("c", 2), Row("d", 0), Row("e", 5)])  # a changed sort value moves
    assert [r.key for r in model.rows()] == ["a", "d", "b", "c", "e"]
    assert kept.row() == 0 and kept.data() == "a"
    assert resets == []
    qtmodeltester.check(model)


def test_touch_column_repaints_only_that_column(qtbot):
    model = Model()
    model.apply([Row("a", 1), Row("b", 2)])
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.touch_column(1)
    top_left, bottom_right = blocker.args[0], blocker.args[1]
    assert (top_left.row(), top_left.column(), bottom_right.row(), bottom_right.column()) == (0, 1, 1, 1)


def test_ages_are_worded_against_one_instant():
    from desktop.models.keyed_table import AgeColumn

    @dataclass(frozen=True)
    class Aged:
        key: str
        created: int

    class AgedModel(KeyedTableModel):
        columns = (AgeColumn("Created", "created"),)

    model = AgedModel()
    model.apply([Aged("a", 1000), Aged("b", 1000)])
    model.now = 1000 + 125
    assert [model.index(i, 0).data() for i in range(2)] == ["2 minutes ago", "2 minutes ago"]
    model.now = 1000 + 3 * 3600
    assert model.index(1, 0).data() == "3 hours ago"


def test_many_changes_are_one_signal(qtbot):
    model = Model()
    model.apply([Row(f"k{i:02}", i) for i in range(40)])
    spans = []
    model.dataChanged.connect(lambda tl, br: spans.append((tl.row(), br.row())))
    model.apply([Row(f"k{i:02}", i + 100 if i % 3 == 0 else i) for i in range(40)])
    assert spans == [(0, 39)]
    assert model.index(3, 1).data() == "103" and model.index(4, 1).data() == "4"


def test_update_rows_touches_only_those_rows(qtmodeltester):
    from PySide6.QtCore import Qt

    model = Model()
    model.apply([Row("a", 1), Row("b", 2), Row("c", 3), Row("d", 4)])
    model.sort(1, Qt.SortOrder.AscendingOrder)
    kept = QPersistentModelIndex(model.index(3, 0))  # "d"
    signals = []
    model.rowsRemoved.connect(lambda _p, first, last: signals.append(("removed", first, last)))
    model.rowsInserted.connect(lambda _p, first, last: signals.append(("inserted", first, last)))
    model.dataChanged.connect(lambda tl, br: signals.append(("changed", tl.row(), br.row())))
    model.layoutChanged.connect(lambda: signals.append("layout"))

    model.update_rows([Row("b", 2)])  # the same values: nothing to say
    assert signals == []
    model.update_rows([Row("b", 2.5)])  # a change that keeps its place: one row, no re-sort
    assert signals == [("changed", 1, 1)]
    signals.clear()
    model.update_rows([Row("a", 10), Row("e", 0)], removed_keys=["c", "gone"])
    assert signals[:3] == [("removed", 2, 2), ("changed", 0, 0), ("inserted", 3, 3)] and signals[3] == "layout"
    assert [(r.key, r.value) for r in model.rows()] == [("e", 0), ("b", 2.5), ("d", 4), ("a", 10)]
    assert kept.isValid() and kept.data() == "d" and model.row_for_key("a") == 3
    qtmodeltester.check(model)
