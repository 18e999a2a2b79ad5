"""One row per layer of a pull or push, updated row by row as the engine reports each layer.

The model takes batches of ``LayerState`` (the items a transfer operation streams); within a
batch only the last state of each layer counts, so a burst of byte counts costs one
``dataChanged`` per layer. A layer first named is appended, never re-sorted, so the rows stay in
the order the engine listed them and a selection survives. ``overall()`` weighs each layer by its
size, as the engine's own bar does not.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.engine.distribution import (DOWNLOADED, DOWNLOADING, EXISTS, EXTRACTING, MOUNTED, PUSHING, RETRYING,
                                         COMPLETE, LayerState, overall_fraction)
from desktop.models.formatting import human_size
from desktop.models.image_details_models import FRACTION_ROLE  # the role the size-bar delegate paints

LAYER_ROLE = Qt.ItemDataRole.UserRole + 2

LAYER, STATE, PROGRESS = 0, 1, 2


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def describe(layer: LayerState) -> str:
    """A layer's state in words: 'pushing 1.2MB of 3.4MB', 'mounted from team/base', 'already exists'…"""
    state = layer.state
    if state in (DOWNLOADING, EXTRACTING, PUSHING):
        of = f" {human_size(layer.current)} of {human_size(layer.total)}" if layer.total else ""
        return f"{state}{of}"
    if state == MOUNTED:
        return _lower_first(layer.text) if layer.text else "mounted"
    if state == RETRYING:
        return f"{_lower_first(layer.text)} (the registry did not answer)"
    if state == EXISTS:
        return "already exists"
    if state == DOWNLOADED:
        return "downloaded"
    if state == COMPLETE and layer.text == "Pushed":
        return "pushed"
    return state


class LayerProgressModel(QAbstractTableModel):
    HEADERS = ("Layer", "State", "Progress")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[LayerState] = []
        self._index: dict[str, int] = {}

    # --- Qt API ---------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        layer = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == LAYER:
                return layer.id
            if column == STATE:
                return describe(layer)
            if column == PROGRESS:
                if layer.finished:
                    return human_size(layer.size) if layer.size else ""
                return f"{round(layer.fraction * 100)} %" if layer.total else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{layer.id}: {layer.text}"
        if role == FRACTION_ROLE:
            return layer.fraction if column == PROGRESS else None
        if role == LAYER_ROLE:
            return layer
        if role == Qt.ItemDataRole.TextAlignmentRole and column == PROGRESS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # --- feeding --------------------------------------------------------------------------
    def apply(self, layers: list[LayerState]) -> None:
        """Take a batch of layer states (oldest first): new layers are appended, known ones change
        in place, each row at most once per batch."""
        latest: dict[str, LayerState] = {}
        for layer in layers:
            if isinstance(layer, LayerState):
                latest[layer.id] = layer
        new = [layer for key, layer in latest.items() if key not in self._index]
        for key, layer in latest.items():
            row = self._index.get(key)
            if row is not None and self._rows[row] != layer:
                self._rows[row] = layer
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for offset, layer in enumerate(new):
                self._index[layer.id] = first + offset
                self._rows.append(layer)
            self.endInsertRows()

    def clear(self) -> None:
        if self._rows:
            self.beginRemoveRows(QModelIndex(), 0, len(self._rows) - 1)
            self._rows.clear()
            self._index.clear()
            self.endRemoveRows()

    # --- reading --------------------------------------------------------------------------
    def layers(self) -> list[LayerState]:
        return list(self._rows)

    def layer(self, layer_id: str) -> LayerState | None:
        row = self._index.get(layer_id)
        return self._rows[row] if row is not None else None

    def overall(self) -> float | None:
        """The transfer's progress 0..1, weighted by layer size (``distribution.overall_fraction``)."""
        return overall_fraction(self._rows)

    def bytes_total(self) -> int:
        return sum(layer.size for layer in self._rows)
