"""What the Pull and Push dialogs show while a transfer runs: one row per layer (its state in
words and a bar) and an overall bar weighted by the layers' sizes, fed by the operation's
streamed layer states."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QProgressBar, QTableView, QVBoxLayout, QWidget

from desktop.engine.distribution import LayerState
from desktop.models.formatting import human_size
from desktop.models.layer_progress_model import LAYER, PROGRESS, STATE, LayerProgressModel
from desktop.ui.size_bar_delegate import SizeBarDelegate


class TransferProgressPanel(QWidget):
    def __init__(self, name: str, parent: QWidget | None = None):
        """*name* prefixes the object names: <name>Layers, <name>Overall, <name>Summary."""
        super().__init__(parent)
        self.model = LayerProgressModel(self)
        self.table = QTableView()
        self.table.setObjectName(f"{name}Layers")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(PROGRESS, SizeBarDelegate(self.table))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        # fixed widths: ResizeToContents would measure every row again at each progress update
        header.setSectionResizeMode(LAYER, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(LAYER, self.table.fontMetrics().horizontalAdvance("0" * 12) + 24)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(PROGRESS, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(PROGRESS, 110)
        self.table.setMinimumHeight(150)
        self.overall = QProgressBar()
        self.overall.setObjectName(f"{name}Overall")
        self.overall.setRange(0, 0)  # busy until a layer has a size
        self.summary = QLabel()
        self.summary.setObjectName(f"{name}Summary")
        self.summary.setWordWrap(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.table, 1)
        box.addWidget(self.overall)
        box.addWidget(self.summary)

    def reset(self) -> None:
        self.model.clear()
        self.overall.setRange(0, 0)
        self.summary.clear()

    def apply(self, layers: list[LayerState]) -> None:
        """A batch of layer states from the transfer's stream."""
        self.model.apply(layers)
        fraction = self.model.overall()
        rows = self.model.layers()
        if fraction is None:
            self.overall.setRange(0, 0)
        else:
            self.overall.setRange(0, 1000)
            self.overall.setValue(round(fraction * 1000))
        finished = sum(1 for layer in rows if layer.finished)
        total = self.model.bytes_total()
        size = f" · {human_size(total)} in all" if total else ""
        self.summary.setText(f"{finished} of {len(rows)} layers done{size}")

    def finish(self) -> None:
        """The transfer succeeded: the bar full, whatever the last items said."""
        self.overall.setRange(0, 1000)
        self.overall.setValue(1000)

    def stop(self) -> None:
        """The transfer ended without success: no busy bar left running, and no empty table when
        it failed before any layer was named."""
        if self.overall.maximum() == 0:
            self.overall.setRange(0, 1000)
            self.overall.setValue(0)
        if not self.model.rowCount():
            self.setVisible(False)
