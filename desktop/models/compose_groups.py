"""The containers list grouped by compose project (the ``com.docker.compose.project`` label): a
two-level tree over the flat (filtered, sorted) containers model. A project is one row with its
containers under it; a container outside any project stays at the top level.

Groups and containers keep the source's order (a group sits where its first container would), so
sorting by a column sorts groups by their best member. Every change of the source's rows becomes
a layout change here with persistent indexes carried over, so selection and expanded groups
survive refreshes. Data of container rows is the source's own.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from desktop.engine.containers import ContainerRow
from desktop.models.keyed_table import ROW_ROLE, SORT_ROLE

GROUP_ROLE = Qt.ItemDataRole.UserRole + 30  # str: the project of a group row ("" for containers)
MEMBERS_ROLE = Qt.ItemDataRole.UserRole + 31  # list[ContainerRow]: a group's containers, or [the row]

_TOP = 0  # internal id of top-level indexes; children carry their group's top row + 1


def group_status(members: list[ContainerRow]) -> str:
    running = sum(1 for m in members if m.state == "running")
    paused = sum(1 for m in members if m.state == "paused")
    stopped = len(members) - running - paused
    parts = [f"{running} running"] if running else []
    if paused:
        parts.append(f"{paused} paused")
    if stopped:
        parts.append(f"{stopped} stopped")
    return ", ".join(parts) or "empty"


class ComposeGroupsModel(QAbstractItemModel):
    def __init__(self, source, name_column: int = 0, status_column: int = 3, parent=None):
        super().__init__(parent)
        self._source = source
        self._name_column = name_column
        self._status_column = status_column
        # top level: ("group", project) or ("row", source_row); groups: project -> source rows
        self._top: list[tuple[str, object]] = []
        self._groups: dict[str, list[int]] = {}
        self._where: dict[int, tuple[int, int]] = {}  # source row -> (top row, child row or -1)
        self._key_rows: dict = {}  # container key -> source row
        self._snapshot: list | None = None
        self._following = True
        self._rebuild()
        for about in (source.rowsAboutToBeInserted, source.rowsAboutToBeRemoved, source.rowsAboutToBeMoved):
            about.connect(self._about_to_change)
        source.layoutAboutToBeChanged.connect(self._about_to_change)
        for done in (source.rowsInserted, source.rowsRemoved, source.rowsMoved, source.layoutChanged):
            done.connect(self._changed)
        source.modelAboutToBeReset.connect(self.beginResetModel)
        source.modelReset.connect(self._reset)
        source.dataChanged.connect(self._data_changed)
        source.headerDataChanged.connect(self.headerDataChanged)

    # --- structure ----------------------------------------------------------------------------
    def _source_row(self, row: int) -> ContainerRow:
        return self._source.index(row, 0).data(ROW_ROLE)

    def _rebuild(self) -> None:
        top: list[tuple[str, object]] = []
        groups: dict[str, list[int]] = {}
        keys: dict = {}
        for source_row in range(self._source.rowCount()):
            row = self._source_row(source_row)
            if row is not None:
                keys[row.key] = source_row
            project = row.compose_project if row is not None else ""
            if project:
                if project not in groups:
                    groups[project] = []
                    top.append(("group", project))
                groups[project].append(source_row)
            else:
                top.append(("row", source_row))
        where: dict[int, tuple[int, int]] = {}
        for top_row, (kind, value) in enumerate(top):
            if kind == "row":
                where[value] = (top_row, -1)  # type: ignore[index]
            else:
                for child, source_row in enumerate(groups[value]):  # type: ignore[index]
                    where[source_row] = (top_row, child)
        self._top, self._groups, self._where, self._key_rows = top, groups, where, keys

    def _identity(self, index: QModelIndex) -> tuple:
        """What an index stands for, independent of positions: ('group', project) or ('row', key)."""
        if not index.isValid():
            return ("none",)
        if index.internalId() == _TOP:
            kind, value = self._top[index.row()]
            if kind == "group":
                return ("group", value)
            row = self._source_row(value)  # type: ignore[arg-type]
            return ("row", row.key if row is not None else None)
        project = self._top[index.internalId() - 1][1]
        row = self._source_row(self._groups[project][index.row()])  # type: ignore[index]
        return ("row", row.key if row is not None else None)

    def _index_of(self, identity: tuple, column: int) -> QModelIndex:
        if identity[0] == "group":
            for top_row, (kind, value) in enumerate(self._top):
                if kind == "group" and value == identity[1]:
                    return self.createIndex(top_row, column, _TOP)
            return QModelIndex()
        if identity[0] == "row" and identity[1] in self._key_rows:
            return self.index_for_source_row(self._key_rows[identity[1]], column)
        return QModelIndex()

    def _about_to_change(self, *_args) -> None:
        if self._snapshot is not None:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        self._snapshot = [(index, self._identity(index)) for index in persistent]

    def _changed(self, *_args) -> None:
        if self._snapshot is None:  # a change without its warning: behave as if warned
            self._about_to_change()
        snapshot, self._snapshot = self._snapshot or [], None
        self._rebuild()
        old = [index for index, _ in snapshot]
        new = [self._index_of(identity, index.column()) for index, identity in snapshot]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def _reset(self) -> None:
        self._snapshot = None
        self._rebuild()
        self.endResetModel()

    def set_following(self, following: bool) -> None:
        """Whether changed cells are passed on. The tree over this model is hidden unless the
        list is grouped, and a hidden QTreeView still sizes its first row on every change (a
        dozen data() calls a second while statuses age, most of the idle Containers view's CPU).
        Rows added, removed and moved are always passed on; back on, every cell is said changed."""
        if following == self._following:
            return
        self._following = following
        if following and self._top:
            last = self.columnCount() - 1
            self._data_changed(self._source.index(0, 0), self._source.index(self._source.rowCount() - 1, last))

    def _data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles=()) -> None:
        if self._snapshot is not None or not self._following:
            return  # a layout change is under way (its end refreshes everything), or nobody looks
        first_column, last_column = top_left.column(), bottom_right.column()
        if bottom_right.row() - top_left.row() > 50:  # a whole column (ages): a few ranges say it
            if self._top:
                self.dataChanged.emit(self.createIndex(0, first_column, _TOP),
                                      self.createIndex(len(self._top) - 1, last_column, _TOP), roles)
            for top_row, (kind, value) in enumerate(self._top):
                if kind == "group":
                    self.dataChanged.emit(self.createIndex(0, first_column, top_row + 1),
                                          self.createIndex(len(self._groups[value]) - 1, last_column, top_row + 1),
                                          roles)
            return
        touched_groups = set()
        for source_row in range(top_left.row(), bottom_right.row() + 1):
            place = self._where.get(source_row)
            if place is None:
                continue
            top_row, child = place
            internal = _TOP if child < 0 else top_row + 1
            row = top_row if child < 0 else child
            self.dataChanged.emit(self.createIndex(row, first_column, internal),
                                  self.createIndex(row, last_column, internal), roles)
            if child >= 0:
                touched_groups.add(top_row)
        last = self.columnCount() - 1
        for top_row in touched_groups:  # a member changed: the group's summary may have too
            self.dataChanged.emit(self.createIndex(top_row, 0, _TOP), self.createIndex(top_row, last, _TOP))

    # --- Qt -------------------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:
        if column < 0 or column >= self.columnCount() or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _TOP) if row < len(self._top) else QModelIndex()
        if parent.internalId() != _TOP or parent.row() >= len(self._top):
            return QModelIndex()
        kind, value = self._top[parent.row()]
        if kind != "group" or row >= len(self._groups[value]):  # type: ignore[index]
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index=QModelIndex()):  # type: ignore[override]
        if not index.isValid() or index.internalId() == _TOP:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _TOP)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self._top)
        if parent.column() > 0 or parent.internalId() != _TOP or parent.row() >= len(self._top):
            return 0
        kind, value = self._top[parent.row()]
        return len(self._groups[value]) if kind == "group" else 0  # type: ignore[index]

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return self._source.columnCount()

    def hasChildren(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return self.rowCount(parent) > 0

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        return self._source.headerData(section, orientation, role)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._source.sort(column, order)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        source = self.map_to_source(index)
        if source.isValid():
            if role == MEMBERS_ROLE:
                row = source.data(ROW_ROLE)
                return [row] if row is not None else []
            if role == GROUP_ROLE:
                return ""
            return source.data(role)
        if index.internalId() != _TOP or index.row() >= len(self._top):
            return None
        project = self._top[index.row()][1]
        if role == GROUP_ROLE:
            return project
        members = [self._source_row(r) for r in self._groups[project]]  # type: ignore[index]
        members = [m for m in members if m is not None]
        if role == MEMBERS_ROLE:
            return members
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self._name_column:
                return f"{project} ({len(members)})"
            if column == self._status_column:
                return group_status(members)
            return ""
        if role == SORT_ROLE:
            return project
        if role == Qt.ItemDataRole.FontRole and column == self._name_column:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and column == self._name_column:
            return f"Compose project {project}: " + ", ".join(m.name for m in members)
        return None

    # --- mapping ------------------------------------------------------------------------------
    def map_to_source(self, index: QModelIndex | QPersistentModelIndex) -> QModelIndex:
        """The source index of a container row; invalid for a group row."""
        if not index.isValid():
            return QModelIndex()
        if index.internalId() == _TOP:
            if index.row() >= len(self._top):
                return QModelIndex()
            kind, value = self._top[index.row()]
            return self._source.index(value, index.column()) if kind == "row" else QModelIndex()
        top_row = index.internalId() - 1
        if top_row >= len(self._top):
            return QModelIndex()
        project = self._top[top_row][1]
        members = self._groups.get(project, [])  # type: ignore[arg-type]
        if index.row() >= len(members):
            return QModelIndex()
        return self._source.index(members[index.row()], index.column())

    def index_for_source_row(self, source_row: int, column: int = 0) -> QModelIndex:
        place = self._where.get(source_row)
        if place is None:
            return QModelIndex()
        top_row, child = place
        if child < 0:
            return self.createIndex(top_row, column, _TOP)
        return self.createIndex(child, column, top_row + 1)

    def index_for_key(self, key, column: int = 0) -> QModelIndex:
        source_row = self._key_rows.get(key, -1)
        return self.index_for_source_row(source_row, column) if source_row >= 0 else QModelIndex()

    def group_index(self, project: str, column: int = 0) -> QModelIndex:
        return self._index_of(("group", project), column)

    def projects(self) -> list[str]:
        return [value for kind, value in self._top if kind == "group"]  # type: ignore[misc]
