"""Models behind the Details pane: the image's tags, its layers (``docker history``) and the
containers that use it. Each is a KeyedTableModel, so a refresh of the same image changes rows in
place and a view keeps its selection."""

from __future__ import annotations

import re
from typing import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication, QPalette

from desktop.engine.image_details import MISSING, HistoryLayer
from desktop.engine.images import short_id
from desktop.models.formatting import exact_time, human_age, human_size
from desktop.models.keyed_table import Column, KeyedTableModel

FRACTION_ROLE = Qt.ItemDataRole.UserRole + 10  # float 0..1: this layer's size over the biggest one's
EMPTY_ROLE = Qt.ItemDataRole.UserRole + 11  # bool: a metadata-only step (0 bytes)

_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
_SHELL = re.compile(r"^/bin/sh -c\s+")
_BUILD_ARGS = re.compile(r"^\|\d+(?:\s+\S+=\S*)*\s+(?=/bin/sh -c)")


def instruction(created_by: str) -> str:
    """The Dockerfile line behind a history step, as a person wrote it:
    '/bin/sh -c #(nop)  CMD ["x"]' -> 'CMD ["x"]', '/bin/sh -c make' -> 'RUN make'.
    Anything else (exec-form RUN, BuildKit's own wording) is shown as the engine recorded it."""
    text = _BUILD_ARGS.sub("", created_by.strip())
    if _NOP.match(text):
        return _NOP.sub("", text)
    if _SHELL.match(text):
        return "RUN " + _SHELL.sub("", text)
    return text


class TagsModel(KeyedTableModel):
    """One row per 'repo:tag' of the image; the tooltip gives that repository's digest."""

    columns = (
        Column("Tag", lambda t: t.reference, lambda t: t.reference.lower(),
               tooltip=lambda t: f"{t.repository}@{t.digest}" if t.digest else "no registry digest (not pushed or pulled)"),
    )

    def references(self) -> list[str]:
        return [t.reference for t in self.rows()]


class LayersModel(KeyedTableModel):
    """``docker history`` as a table; FRACTION_ROLE drives the size bars, EMPTY_ROLE the dimming.

    SORT_ROLE of the Created column is the layer's position, so sorting by it (descending) is the
    CLI's order even when steps share a timestamp."""

    SIZE, CREATED_BY, CREATED, ID = range(4)
    columns = (
        Column("Size", lambda r: "empty layer" if r.empty else human_size(r.size), lambda r: (r.size, r.position),
               tooltip=lambda r: f"{r.size:,} bytes" + (" — this step changed only metadata" if r.empty else ""),
               align_right=True),
        Column("Created by", lambda r: instruction(r.created_by), lambda r: instruction(r.created_by).lower(),
               tooltip=lambda r: r.created_by + (f"\n\n{r.comment}" if r.comment else "")),
        Column("Created", lambda r: human_age(r.created), lambda r: r.position, tooltip=lambda r: exact_time(r.created)),
        Column("Image", lambda r: MISSING if r.missing else short_id(r.id), lambda r: r.id,
               tooltip=lambda r: ("built elsewhere: only its content is here, not the intermediate image"
                                  if r.missing else r.id)),
    )

    def __init__(self, parent=None):
        super().__init__(parent)
        self._biggest = 0

    @property
    def biggest(self) -> int:
        return self._biggest

    def total_size(self) -> int:
        return sum(r.size for r in self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self.columns):
            return None
        row: HistoryLayer = self._rows[index.row()]
        if role == FRACTION_ROLE:
            return row.size / self._biggest if self._biggest else 0.0
        if role == EMPTY_ROLE:
            return row.empty
        if role == Qt.ItemDataRole.ForegroundRole and row.empty:
            return QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return super().data(index, role)

    def apply(self, new_rows: Sequence[HistoryLayer]) -> None:
        super().apply(new_rows)
        biggest = max((r.size for r in self._rows), default=0)
        if biggest != self._biggest:
            self._biggest = biggest
            if self._rows:  # every bar is relative to the biggest layer: all of them change
                self.dataChanged.emit(self.index(0, self.SIZE), self.index(len(self._rows) - 1, self.SIZE),
                                      [FRACTION_ROLE])

    def clear(self) -> None:
        super().clear()
        self._biggest = 0


class UsedByModel(KeyedTableModel):
    """The containers created from the image, as ``docker ps -a`` words their state."""

    NAME, STATUS, IMAGE, ID = range(4)
    columns = (
        Column("Name", lambda c: c.name, lambda c: c.name.lower(), tooltip=lambda c: c.id),
        Column("Status", lambda c: c.status, lambda c: (c.state != "running", c.state, c.status)),
        Column("Created from", lambda c: c.image, lambda c: c.image.lower()),
        Column("Container ID", lambda c: c.short_id, tooltip=lambda c: c.id),
    )
