"""A filterable, sortable table page with an empty state; Images and Containers build on it.

It also remembers its table's sort column, order and column widths (``save_state`` /
``restore_state`` with QSettings), selects rows that an action produced once a listing brings them
(``select_when_listed``: a run's container, a build's, tag's or load's images), and after rows
are untagged or removed it selects the row that took their place (``select_neighbour_when_gone``)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QItemSelectionModel, QObject, QSettings, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QStackedLayout, QTableView, QToolBar, QVBoxLayout, QWidget)

from desktop.models.keyed_table import FILTER_ROLE, KeyedTableModel
from desktop.tasks.live_feed import LiveFeed

SELECT_WAIT_MS = 10_000  # how long a wanted row is waited for before giving up



def list_table(name: str, model, widths: dict[int, int],
               selection: QAbstractItemView.SelectionMode = QAbstractItemView.SelectionMode.ExtendedSelection,
               ) -> QTableView:
    """A table of rows in Berth's list style: whole rows selected, no grid, one line per row,
    columns of the given widths that the user may resize, the last one stretching."""
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(selection)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    for column, width in widths.items():
        header.resizeSection(column, width)
    return table

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
        # Esc empties the filter (a second Esc, or Esc on an empty one, goes back to the table)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.filter_edit, activated=self.clear_filter,
                  context=Qt.ShortcutContext.WidgetShortcut)
        self.toggle = QCheckBox(self.toggle_text)
        self.toggle.setObjectName(f"{name}Toggle")
        self.toggle.setToolTip(self.toggle_tip)
        self.toggle.setVisible(bool(self.toggle_option))
        self.toggle.toggled.connect(lambda on: feed.set_option(self.toggle_option, on))
        self.count_label = QLabel()
        self.count_label.setObjectName(f"{name}Count")

        self.table = list_table(f"{name}Table", self.proxy, widths)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(sort_column, Qt.SortOrder.DescendingOrder)

        self._pending_selection: _PendingSelection | None = None

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
        box = QVBoxLayout(self)
        box.addLayout(top)
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

    def make_toolbar(self) -> QToolBar:
        """The view's toolbar of actions, above the filter, text beside no icons (as Containers')."""
        toolbar = QToolBar()
        toolbar.setObjectName(f"{self.objectName().removesuffix('View')}Toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.layout().insertWidget(0, toolbar)
        return toolbar

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def clear_filter(self) -> None:
        if self.filter_edit.text():
            self.filter_edit.clear()
        else:
            self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # --- remembered layout ---------------------------------------------------------------
    def save_state(self, settings: QSettings) -> None:
        """Keep the sort column and order and the column widths for the next start."""
        settings.setValue(f"{self.objectName()}/header", self.table.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> bool:
        """Put back what ``save_state`` kept; False (and nothing changed) when there is nothing
        or it does not fit these columns."""
        state = settings.value(f"{self.objectName()}/header")
        header = self.table.horizontalHeader()
        if state is None or not header.restoreState(state):
            return False
        # restoreState moves the sort indicator without sorting: sort as it says
        self.table.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())
        return True

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

    def row_names(self, row) -> set:
        """The names ``select_when_listed`` finds *row* by: its key here; Images adds its
        reference and id."""
        return {row.key}

    def select_when_listed(self, wanted: str | Iterable, timeout_ms: int = SELECT_WAIT_MS,
                           fallback: Iterable = ()) -> bool:
        """Select the rows named by *wanted* (a name or several; see ``row_names``) now, or as soon as a listing brings
        them: an action's result (a run, a build, a load) arrives before the event that lists it.
        Waiting ends once every wanted name is selected, when the user selects something else, or
        after *timeout_ms*; then the rows named by *fallback* are selected if none of *wanted*
        ever was. A newer call replaces the waiting of an older one. True when all were selected
        at once."""
        if self._pending_selection is not None:
            self._pending_selection.stop()
        pending = _PendingSelection(self, wanted, fallback, timeout_ms)
        if pending.try_select():
            return True
        self._pending_selection = pending
        return False

    @property
    def selection_pending(self) -> bool:
        """A ``select_when_listed`` is still waiting for its rows."""
        return self._pending_selection is not None

    def selection_models(self) -> list[QItemSelectionModel]:
        """Where the user's selection lives (the table; the Containers view adds its tree)."""
        return [self.table.selectionModel()]

    def selected_rows(self) -> list:
        return [self.model.row_at(self.proxy.mapToSource(i).row())
                for i in self.table.selectionModel().selectedRows()]

    def selection_anchor(self) -> tuple[list, int]:
        """The keys of the selected rows and the table row of the topmost one (-1: none), taken
        before they are untagged or removed, for ``select_neighbour_when_gone``."""
        indexes = self.table.selectionModel().selectedRows()
        keys = [self.model.row_at(self.proxy.mapToSource(i).row()).key for i in indexes]
        return keys, min((i.row() for i in indexes), default=-1)

    def select_neighbour_when_gone(self, anchor: tuple[list, int], timeout_ms: int = 15000) -> None:
        """Once a listing from the engine no longer has the rows of *anchor*, select the row that
        took the first one's place (the next row, or the last when they were at the end) and keep
        the focus in the table, unless something else was selected meanwhile."""
        keys, row = anchor
        if keys and row >= 0:
            _NeighbourSelection(self, keys, row, timeout_ms)

    def select_table_row(self, row: int, focus: bool = True) -> None:
        index = self.proxy.index(row, 0)
        if not index.isValid():
            return
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        if focus:
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)


class _NeighbourSelection(QObject):
    """Waits for the listing without the removed rows, then selects their neighbour."""

    def __init__(self, page: ListPage, keys: list, row: int, timeout_ms: int):
        super().__init__(page)
        self._page = page
        self._keys = keys
        self._row = row
        page.feed.loaded.connect(self._check)
        QTimer.singleShot(timeout_ms, self, self._stop)
        self._check()

    def _check(self) -> None:
        page = self._page
        if any(page.model.row_for_key(k) >= 0 for k in self._keys):
            return  # not gone yet (or not all: then the rest stay selected)
        count = page.proxy.rowCount()
        if count and not page.table.selectionModel().selectedRows():
            page.select_table_row(min(self._row, count - 1))
        self._stop()

    def _stop(self) -> None:
        try:
            self._page.feed.loaded.disconnect(self._check)
        except (RuntimeError, TypeError):
            pass
        self.deleteLater()


class _PendingSelection(QObject):
    """The rows ``ListPage.select_when_listed`` waits for: tried after every listing, given up
    after a while or when the user selects something else."""

    def __init__(self, page: ListPage, wanted, fallback, timeout_ms: int):
        super().__init__(page)
        self._page = page
        self._wanted = {wanted} if isinstance(wanted, str) else {w for w in wanted if w}
        self._fallback = {fallback} if isinstance(fallback, str) else {f for f in fallback if f}
        self._found_any = False
        self._selecting = False
        self.active = True
        page.feed.loaded.connect(self._on_listed)
        for model in page.selection_models():
            model.selectionChanged.connect(self._on_selection_changed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._expire)
        self._timer.start(timeout_ms)

    def try_select(self) -> bool:
        """Select what is listed of the wanted rows; True (and done) once all of them are."""
        if not self.active:
            return False
        if self._select(self._wanted) == self._wanted:
            self.stop()
            return True
        return False

    def _select(self, names: set) -> set:
        """Select the rows with any of *names*; the names found."""
        page = self._page
        keys, found = [], set()
        for row in page.model.rows():
            hit = page.row_names(row) & names
            if hit:
                keys.append(row.key)
                found |= hit
        if keys:
            self._found_any = True
            self._selecting = True
            try:
                page.select_keys(keys)
            finally:
                self._selecting = False
        return found

    def _on_listed(self, *_args) -> None:
        self.try_select()

    def _on_selection_changed(self, selected, _deselected) -> None:
        # a row removed under the selection only deselects: that is the listing, not the user
        if not self._selecting and not selected.isEmpty():
            self.stop()

    def _expire(self) -> None:
        if self.active and not self._found_any and self._fallback:
            self._select(self._fallback)  # e.g. the tag moved on meanwhile: its image will do
        self.stop()

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        self._timer.stop()
        page = self._page
        if page._pending_selection is self:
            page._pending_selection = None
        try:
            page.feed.loaded.disconnect(self._on_listed)
        except (RuntimeError, TypeError):
            pass
        for model in page.selection_models():
            try:
                model.selectionChanged.disconnect(self._on_selection_changed)
            except (RuntimeError, TypeError):
                pass
        self.deleteLater()
