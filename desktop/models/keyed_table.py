"""A table model over plain rows with a ``key``; ``apply(rows)`` turns a fresh listing into the
minimal row removals, changes and inserts, so views keep selection and scroll position.

The model sorts itself (``sort()``), with Python's sort over precomputed keys: a
QSortFilterProxyModel sorting 5,000 rows calls back into Python for every comparison and
stalls the GUI thread for over 100 ms; this takes a few milliseconds."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.models.formatting import exact_time, human_age

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
FILTER_ROLE = Qt.ItemDataRole.UserRole + 3


class Column:
    def __init__(self, title: str, display: Callable[[Any], str], sort: Callable[[Any], Any] | None = None,
                 tooltip: Callable[[Any], str] | None = None, align_right: bool = False):
        self.title = title
        self.display = display
        self.sort = sort or display
        self.tooltip = tooltip
        self.align_right = align_right


class AgeColumn(Column):
    """A relative time ("3 minutes ago") measured against the model's clock, so every row is
    worded against the same instant however late each one is repainted."""

    def __init__(self, title: str, attr: str):
        super().__init__(title, lambda r: human_age(getattr(r, attr)), lambda r: getattr(r, attr),
                         tooltip=lambda r: exact_time(getattr(r, attr)))
        self.attr = attr


class KeyedTableModel(QAbstractTableModel):
    columns: Sequence[Column] = ()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[Any] = []
        self._index: dict[Any, int] = {}
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self.now = time.time()  # the instant relative ages are worded against

    # --- Qt API ---------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.columns):
            return self.columns[section].title
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self.columns):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if isinstance(column, AgeColumn):
                return human_age(getattr(row, column.attr), now=self.now)
            return column.display(row)
        if role == SORT_ROLE:
            return column.sort(row)
        if role == ROW_ROLE:
            return row
        if role == FILTER_ROLE:
            return self.filter_text(row)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = column if 0 <= column < len(self.columns) else -1
        self._sort_order = order
        self._resort()

    def _sort_key(self, row: Any):
        key = self.columns[self._sort_column].sort(row)
        return (key, str(row.key))  # ties broken by key: a stable, repeatable order

    def _resort(self) -> None:
        """Reorder rows as a layout change: persistent indexes (selection) follow their rows."""
        if self._sort_column < 0 or len(self._rows) < 2:
            return
        reverse = self._sort_order == Qt.SortOrder.DescendingOrder
        new_rows = sorted(self._rows, key=self._sort_key, reverse=reverse)
        if all(a is b for a, b in zip(new_rows, self._rows)):
            return
        self.layoutAboutToBeChanged.emit()
        old_rows = self._rows
        self._rows = new_rows
        self._index = {row.key: i for i, row in enumerate(new_rows)}
        old_persistent = self.persistentIndexList()
        new_persistent = []
        for idx in old_persistent:
            row = self._index.get(old_rows[idx.row()].key, -1) if 0 <= idx.row() < len(old_rows) else -1
            new_persistent.append(self.index(row, idx.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(old_persistent, new_persistent)
        self.layoutChanged.emit()

    # --- plain API ------------------------------------------------------------------------
    def filter_text(self, row: Any) -> str:
        """Lower-case text the filter box matches against; subclasses choose the fields."""
        return " ".join(c.display(row) for c in self.columns).lower()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def row_for_key(self, key: Any) -> int:
        return self._index.get(key, -1)

    def apply(self, new_rows: Sequence[Any]) -> None:
        """Make the model hold exactly *new_rows*, by the fewest row signals."""
        self.now = time.time()
        fresh = {}
        for row in new_rows:
            fresh.setdefault(row.key, row)
        # 1. removals
        self._remove_at([i for i, row in enumerate(self._rows) if row.key not in fresh])
        # 2. changes in place
        last_col = len(self.columns) - 1
        changed = []
        for i, row in enumerate(self._rows):
            new = fresh[row.key]
            if new is not row and vars(new) != vars(row):
                self._rows[i] = new
                changed.append(i)
        if len(changed) > 8:
            # a burst (100 containers starting): one signal for the span costs the views one pass,
            # where one signal per row costs a pass each
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], last_col))
        else:
            for i in changed:
                self.dataChanged.emit(self.index(i, 0), self.index(i, last_col))
        # 3. inserts in one block, already in sort order; then one layout change puts them in place
        added = [row for key, row in fresh.items() if key not in self._index]
        if self._sort_column >= 0:
            added.sort(key=self._sort_key, reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
        self._append(added)
        self._resort()

    def _remove_at(self, indexes: list[int]) -> None:
        """Remove the rows at these ascending indexes, as contiguous ranges from the bottom up."""
        if not indexes:
            return
        ranges: list[list[int]] = []
        for i in indexes:
            if ranges and ranges[-1][1] == i - 1:
                ranges[-1][1] = i
            else:
                ranges.append([i, i])
        for first, last in reversed(ranges):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            self.endRemoveRows()
        self._index = {row.key: i for i, row in enumerate(self._rows)}

    def _append(self, rows: list[Any]) -> None:
        """Insert *rows* in one block at the end."""
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        for offset, row in enumerate(rows):
            self._index[row.key] = first + offset
        self.endInsertRows()

    def update_rows(self, rows: Sequence[Any], removed_keys: Iterable[Any] = ()) -> None:
        """Change, add or remove just these rows (an event's patch, a listing of a few keys); the
        others stay as they are. Re-sorts only when a sort key moved."""
        resort = False
        self._remove_at(sorted(self._index[k] for k in set(removed_keys) if k in self._index))
        last_col = len(self.columns) - 1
        added = []
        for new in rows:
            i = self._index.get(new.key, -1)
            if i < 0:
                added.append(new)
                continue
            old = self._rows[i]
            if new is old or vars(new) == vars(old):
                continue
            self._rows[i] = new
            self.dataChanged.emit(self.index(i, 0), self.index(i, last_col))
            if self._sort_column >= 0 and self._sort_key(new) != self._sort_key(old):
                resort = True
        self._append(added)
        if resort or added:
            self._resort()

    def touch_column(self, column: int) -> None:
        """Repaint one column (relative times such as "3 minutes ago" age without new data)."""
        self.now = time.time()
        if self._rows:
            self.dataChanged.emit(self.index(0, column), self.index(len(self._rows) - 1, column),
                                  [Qt.ItemDataRole.DisplayRole])

    def clear(self) -> None:
        if self._rows:
            self.beginRemoveRows(QModelIndex(), 0, len(self._rows) - 1)
            self._rows.clear()
            self._index.clear()
            self.endRemoveRows()

