"""Prune dangling images: first a preview of what would go and about how much it frees, then the
prune of exactly those images, then what became of each and the space reclaimed. Both steps run
as tasks.

Signals of PruneDialog: pruned(object) -- the PruneResult, once the prune ended (also when cancelled).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from desktop.engine.images import short_id
from desktop.engine.prune import PrunePreview, PruneResult
from desktop.models.formatting import exact_time, human_age, human_size
from desktop.tasks import image_ops
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.ui.dialogs.prune_base import GONE_COLOUR, PruneDialogBase
from desktop.ui.problem_style import PROBLEM_COLOUR


def preview_text(preview: PrunePreview) -> str:
    n = len(preview.images)
    if not n:
        return "There are no dangling images: nothing to prune."
    about = "about" if preview.exact else "at most"
    return (f"{n} dangling image{'s' if n != 1 else ''} (untagged, and no container uses "
            f"{'them' if n != 1 else 'it'}). Pruning removes exactly {'these' if n != 1 else 'this one'} and frees "
            f"{about} {human_size(preview.estimated_reclaim)}.")


def result_text(result: PruneResult, preview: PrunePreview | None) -> str:
    text = ("Cancelled. " if result.cancelled else "") + \
        f"Reclaimed {'' if result.exact else 'at most '}{human_size(result.space_reclaimed)}"
    if preview is not None and preview.images:
        removed = len(result.removed([c.id for c in preview.images]))
        text += f"; removed {removed} of {len(preview.images)} dangling image{'s' if len(preview.images) != 1 else ''}"
    text += "."
    stayed = [o for o in result.problems if not result.cancelled or "cancelled" not in o.message]
    if stayed:
        text += " " + " ".join(f"{o.short_id} {o.message}." for o in stayed)
    if result.appeared:
        n = len(result.appeared)
        ids = ", ".join(short_id(i) for i in result.appeared[:4]) + (" and more" if n > 4 else "")
        text += (f" {n} dangling image{'s' if n != 1 else ''} appeared after the preview and "
                 f"{'were' if n != 1 else 'was'} left alone ({ids}): check again to prune "
                 f"{'them' if n != 1 else 'it'}.")
    return text


class PruneDialog(PruneDialogBase):
    ID, CREATED, SIZE, FREES = range(4)

    def __init__(self, session: EngineSession, parent: QWidget | None = None):
        table = QTreeWidget()
        super().__init__(session, table, "prune", parent)
        self.images = table
        self.setWindowTitle("Prune dangling images")
        self.resize(560, 340)
        self.preview: PrunePreview | None = None
        self.result: PruneResult | None = None
        self._reports: list[PruneResult] = []

        self.images.setObjectName("pruneImages")
        self.images.setHeaderLabels(["Image ID", "Created", "Size", "Frees"])
        self.images.setRootIsDecorated(False)
        self.images.header().setStretchLastSection(False)
        self.images.header().setSectionResizeMode(self.CREATED, QHeaderView.ResizeMode.Stretch)
        self.images.headerItem().setToolTip(
            self.FREES, "Its own layers and the untagged parents that go with it; layers shared with "
                        "other dangling images count in the total only")
        self.cancel_button.setObjectName("pruneCancel")
        self.cancel_button.setFocus()

    def _preview_operation(self) -> Operation:
        return Operation(self._session, "Listing dangling images", image_ops.preview_prune, kind=HOUSEKEEPING,
                         action="list the dangling images")

    def set_preview(self, preview: PrunePreview) -> None:
        self.preview = preview
        self.images.clear()
        for candidate in preview.images:
            entry = QTreeWidgetItem(self.images, [candidate.short_id, human_age(candidate.created),
                                                  human_size(candidate.size), human_size(candidate.frees)])
            entry.setToolTip(self.ID, "\n".join((candidate.id,) + candidate.digests))
            entry.setToolTip(self.CREATED, exact_time(candidate.created))
            for column in (self.SIZE, self.FREES):
                entry.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.images.resizeColumnToContents(self.ID)
        self.status.setText(preview_text(preview))
        self.prune_button.setEnabled(bool(preview.images))

    def _prune_operation(self) -> Operation:
        self._reports = []  # the worker leaves a cancelled prune's result here
        return Operation(self._session, "Pruning dangling images", image_ops.prune_listed, self.preview,
                         report_to=self._reports, action="prune dangling images")

    def _show_cancelled(self) -> None:
        if not self._reports:
            super()._show_cancelled()
            return
        self._show_result(self._reports[-1])
        self.pruned.emit(self._reports[-1])

    def _show_result(self, result: PruneResult) -> None:
        self.result = result
        outcomes = {o.id: o for o in result.outcomes}
        for n in range(self.images.topLevelItemCount()):
            entry = self.images.topLevelItem(n)
            outcome = outcomes.get(self.preview.images[n].id) if self.preview is not None else None
            if outcome is None:
                continue
            entry.setText(self.CREATED, outcome.message)
            entry.setToolTip(self.CREATED, outcome.message)
            entry.setForeground(self.ID, QBrush(GONE_COLOUR if outcome.removed else PROBLEM_COLOUR))
        self.status.setText(result_text(result, self.preview))


def confirm_and_prune(parent: QWidget | None, session: EngineSession) -> PruneDialog:
    """Open the prune preview (window-modal, not blocking); it deletes itself when closed."""
    dialog = PruneDialog(session, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.start()
    dialog.open()
    return dialog
