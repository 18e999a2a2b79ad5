"""Prune stopped containers: first the list of what would go (created, exited and dead
containers) with the space each frees, then the removal of exactly those, then what happened.
A container started since the preview is refused by the engine and reported, not killed.

Signals of PruneContainersDialog: pruned(object) -- (OpsReport, bytes freed).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QPushButton, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from desktop.engine.container_ops import OpsReport, PruneCandidate
from desktop.engine.errors import BerthError
from desktop.models.formatting import exact_time, human_age, human_size
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.task import Task

PROBLEM_COLOUR = QColor("#c0392b")
GONE_COLOUR = QColor("#7f8c8d")


class PruneContainersDialog(QDialog):
    pruned = Signal(object)
    NAME, STATUS, CREATED, SIZE = range(4)

    def __init__(self, session: EngineSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pruneContainersDialog")
        self.setWindowTitle("Prune stopped containers")
        self.resize(600, 360)
        self._session = session
        self.candidates: list[PruneCandidate] | None = None
        self.preview_task: Task | None = None
        self.prune_task: Task | None = None
        self.status = QLabel("Checking…")
        self.status.setObjectName("pruneContainersStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list = QTreeWidget()
        self.list.setObjectName("pruneContainersList")
        self.list.setHeaderLabels(["Name", "Status", "Created", "Frees"])
        self.list.setRootIsDecorated(False)
        self.list.header().setSectionResizeMode(self.STATUS, QHeaderView.ResizeMode.Stretch)
        self.buttons = QDialogButtonBox()
        self.prune_button = QPushButton("&Prune")
        self.prune_button.setObjectName("pruneContainersButton")
        self.prune_button.setAutoDefault(False)
        self.prune_button.setEnabled(False)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)
        self.buttons.addButton(self.prune_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.prune_button.clicked.connect(self.start_prune)
        self.cancel_button.clicked.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.list, 1)
        box.addWidget(self.status)
        box.addWidget(self.buttons)

    def start(self) -> None:
        factory = self._session.factory
        if self._session.state != CONNECTED or factory is None:
            self._show_error(BerthError("Not connected to the Docker engine."))
            return
        task = Task("Listing stopped containers", container_tasks.preview_prune, factory, background=True,
                    action="list the stopped containers")
        task.signals.succeeded.connect(self.set_preview)
        task.signals.failed.connect(self._show_error)
        self.preview_task = task
        self._session.tasks.submit(task)

    def set_preview(self, candidates: list[PruneCandidate]) -> None:
        self.candidates = candidates
        self.list.clear()
        for candidate in candidates:
            row = candidate.row
            item = QTreeWidgetItem(self.list, [row.name, row.status, human_age(row.created), human_size(candidate.size)])
            item.setToolTip(self.NAME, row.id)
            item.setToolTip(self.CREATED, exact_time(row.created))
            item.setTextAlignment(self.SIZE, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.list.resizeColumnToContents(self.NAME)
        n = len(candidates)
        if n:
            total = sum(c.size for c in candidates)
            self.status.setText(f"{n} stopped container{'s' if n != 1 else ''} will be removed, freeing about "
                                f"{human_size(total)} (their filesystem changes). Running and paused containers stay.")
        else:
            self.status.setText("There are no stopped containers: nothing to prune.")
        self.prune_button.setEnabled(bool(n))

    def start_prune(self) -> None:
        factory = self._session.factory
        if self.prune_task is not None or not self.candidates:
            return
        if self._session.state != CONNECTED or factory is None:
            self._show_error(BerthError("Not connected to the Docker engine."))
            return
        task = Task(f"Pruning {len(self.candidates)} stopped containers", container_tasks.prune, factory,
                    list(self.candidates), action="prune stopped containers")
        task.signals.succeeded.connect(self.set_result)
        task.signals.failed.connect(self._show_error)
        self.prune_task = task
        self.prune_button.setEnabled(False)
        self.status.setText("Pruning…")
        self._session.tasks.submit(task)

    def set_result(self, answer: tuple[OpsReport, int]) -> None:
        report, freed = answer
        outcomes = {o.id: o for o in report.outcomes}
        for n in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(n)
            outcome = outcomes.get(self.candidates[n].row.id) if self.candidates else None
            if outcome is None:
                continue
            if outcome.ok:
                item.setForeground(self.NAME, QBrush(GONE_COLOUR))
                item.setText(self.STATUS, "removed")
            else:
                item.setForeground(self.NAME, QBrush(PROBLEM_COLOUR))
                item.setText(self.STATUS, outcome.message)
        text = f"{report.summary}; freed {human_size(freed)}."
        if report.problems:
            text += " " + " ".join(o.message for o in report.problems)
        self.status.setText(text)
        self._finish()
        self.pruned.emit(answer)

    def _show_error(self, error: BerthError) -> None:
        self.status.setText(str(error))
        self.status.setStyleSheet(f"color: {PROBLEM_COLOUR.name()}")
        self.prune_button.setEnabled(False)
        if self.prune_task is not None:
            self._finish()

    def _finish(self) -> None:
        self.prune_button.setVisible(False)
        self.cancel_button.setText("&Close")
        self.cancel_button.setFocus()

    def reject(self) -> None:
        if self.preview_task is not None and not self.preview_task.state.done:
            self.preview_task.cancel()
        super().reject()
