"""Prune stopped containers: first the list of what would go (created, exited and dead
containers) with the space each frees, then the removal of exactly those, then what happened.
A container started since the preview is refused by the engine and reported, not killed.

Signals of PruneContainersDialog: pruned(object) -- (OpsReport, bytes freed).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from desktop.engine.container_ops import OpsReport, PruneCandidate
from desktop.models.formatting import exact_time, human_age, human_size
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.ui.dialogs.prune_base import GONE_COLOUR, PruneDialogBase
from desktop.ui.problem_style import PROBLEM_COLOUR


class PruneContainersDialog(PruneDialogBase):
    NAME, STATUS, CREATED, SIZE = range(4)

    def __init__(self, session: EngineSession, parent: QWidget | None = None):
        table = QTreeWidget()
        super().__init__(session, table, "pruneContainers", parent)
        self.list = table
        self.setWindowTitle("Prune stopped containers")
        self.resize(600, 360)
        self.candidates: list[PruneCandidate] | None = None
        self.list.setObjectName("pruneContainersList")
        self.list.setHeaderLabels(["Name", "Status", "Created", "Frees"])
        self.list.setRootIsDecorated(False)
        self.list.header().setSectionResizeMode(self.STATUS, QHeaderView.ResizeMode.Stretch)

    def _preview_operation(self) -> Operation:
        return Operation(self._session, "Listing stopped containers", container_tasks.preview_prune,
                         kind=HOUSEKEEPING, action="list the stopped containers")

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

    def _nothing_to_prune(self) -> bool:
        return not self.candidates

    def _prune_operation(self) -> Operation:
        return Operation(self._session, f"Pruning {len(self.candidates)} stopped containers", container_tasks.prune,
                         list(self.candidates), action="prune stopped containers")

    def _show_result(self, answer: tuple[OpsReport, int]) -> None:
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
