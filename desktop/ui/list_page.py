"""A filterable, sortable table page with an empty state; Images and Containers build on it."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QStackedLayout, QTableView, QVBoxLayout, QWidget)

from desktop.models.keyed_table import FILTER_ROLE, KeyedTableModel
from desktop.models.live_feed import LiveFeed


class RowFilterProxy(QSortFilterProxyModel):
    """Filters on the model's chosen text fields; sorting is passed to the source model, which
    sorts far faster than a proxy calling back into Python for every comparison."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setDynamicSortFilter(True)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)


class ListPage(QWidget):
    noun = "items"
    empty_text = "Nothing here yet."
    filter_hint = "Filter"
    toggle_text = ""
    toggle_tip = ""
    toggle_option = ""

    def __init__(self, model: KeyedTableModel, feed: LiveFeed, name: str, widths: dict[int, int],
                 sort_column: int, parent=None, age_column: int = -1):
        super().__init__(parent)
        self.setObjectName(f"{name}View")
        self.model = model
        self.feed = feed
        self.proxy = RowFilterProxy(self)
        self.proxy.setSourceModel(model)

        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName(f"{name}Filter")
        self.filter_edit.setPlaceholderText(f"{self.filter_hint}  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.filter_edit.textChanged.connect(self._update_empty)
        self.toggle = QCheckBox(self.toggle_text)
        self.toggle.setObjectName(f"{name}Toggle")
        self.toggle.setToolTip(self.toggle_tip)
        self.toggle.setVisible(bool(self.toggle_option))
        self.toggle.toggled.connect(lambda on: feed.set_option(self.toggle_option, on))
        self.count_label = QLabel()
        self.count_label.setObjectName(f"{name}Count")

        self.table = QTableView()
        self.table.setObjectName(f"{name}Table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(sort_column, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in widths.items():
            header.resizeSection(column, width)

        self.empty = QLabel()
        self.empty.setObjectName(f"{name}Empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self._stack = QStackedLayout()
        self._stack.addWidget(self.table)
        self._stack.addWidget(self.empty)

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.toggle)
        top.addWidget(self.count_label)
        self.toolbar = QHBoxLayout()  # a row under the filter for view-specific widgets
        self.toolbar.setContentsMargins(0, 0, 0, 0)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addLayout(self.toolbar)
        box.addLayout(self._stack, 1)

        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.focus_filter)
        for signal in (model.rowsInserted, model.rowsRemoved):
            signal.connect(self._update_empty)
        feed.loaded.connect(self._update_empty)
        feed.failed.connect(self._on_failed)
        self._update_empty()
        if age_column >= 0:
            # one repaint of the age column every 10 s keeps "N minutes ago" true on every row
            self._ages = QTimer(self)
            self._ages.setInterval(10_000)
            self._ages.timeout.connect(lambda: model.touch_column(age_column))
            self._ages.start()

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def _on_failed(self, error) -> None:
        if not self.model.rowCount():
            self.empty.setText(f"Could not list {self.noun}: {error}")
            self._stack.setCurrentWidget(self.empty)

    def _update_empty(self, *_args) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        if not self.feed.loaded_once:
            self.empty.setText(f"Loading {self.noun}…")
        elif total == 0:
            self.empty.setText(self.empty_text)
        elif shown == 0:
            self.empty.setText(f"No {self.noun} match “{self.filter_edit.text()}”.")
        self._stack.setCurrentWidget(self.table if shown else self.empty)
        noun = self.noun if total != 1 else self.noun.rstrip("s")
        self.count_label.setText(f"{shown} of {total} {self.noun}" if shown != total else f"{total} {noun}")

    def select_keys(self, keys, focus: bool = True) -> int:
        """Select the rows with these model keys (e.g. the images a load produced); scroll to the
        first. Returns how many were found (a filter hiding them is cleared first)."""
        rows = [r for r in (self.model.row_for_key(k) for k in keys) if r >= 0]
        if rows and self.filter_edit.text():
            shown = [self.proxy.mapFromSource(self.model.index(r, 0)).isValid() for r in rows]
            if not all(shown):
                self.filter_edit.clear()
        selection = self.table.selectionModel()
        selection.clearSelection()
        first = None
        for r in rows:
            index = self.proxy.mapFromSource(self.model.index(r, 0))
            if index.isValid():
                selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
                first = first or index
        if first is not None:
            selection.setCurrentIndex(first, selection.SelectionFlag.NoUpdate)
            self.table.scrollTo(first)
            if focus:
                self.table.setFocus()
        return len(rows)

    def selected_rows(self) -> list:
        return [self.model.row_at(self.proxy.mapToSource(i).row())
                for i in self.table.selectionModel().selectedRows()]
