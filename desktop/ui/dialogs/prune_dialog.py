"""Prune dangling images: first a preview of what would go and about how much it frees, then the
prune itself, then the space reclaimed as the engine reports it. Both steps run as tasks.

Signals of PruneDialog: pruned(object) -- the PruneResult, once the engine has answered.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from desktop.engine.prune import PrunePreview, PruneResult
from desktop.models.formatting import exact_time, human_age, human_size
from desktop.tasks import image_ops
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.task import Task
from desktop.ui.dialogs.prune_base import GONE_COLOUR, PruneDialogBase


def preview_text(preview: PrunePreview) -> str:
    n = len(preview.images)
    if not n:
        return "There are no dangling images: nothing to prune."
    about = "about" if preview.exact else "at most"
    return (f"{n} dangling image{'s' if n != 1 else ''} (untagged, and no container uses "
            f"{'them' if n != 1 else 'it'}). Pruning frees {about} {human_size(preview.estimated_reclaim)}; "
            "the engine reports the exact figure afterwards.")


def result_text(result: PruneResult, preview: PrunePreview | None) -> str:
    text = f"Reclaimed {human_size(result.space_reclaimed)}"
    if preview is not None and preview.images:
        removed = len(result.removed([c.id for c in preview.images]))
        text += f"; removed {removed} of {len(preview.images)} dangling image{'s' if len(preview.images) != 1 else ''}"
    return text + "."


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

    def _preview_task(self, factory) -> Task:
        return Task("Listing dangling images", image_ops.preview_prune, factory, background=True,
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

    def _prune_task(self, factory) -> Task:
        # one request the engine cannot interrupt: no Cancel that would only pretend
        return Task("Pruning dangling images", image_ops.prune_dangling, factory, cancellable=False,
                    action="prune dangling images")

    def _show_result(self, result: PruneResult) -> None:
        self.result = result
        removed = set(result.deleted)
        for n in range(self.images.topLevelItemCount()):
            entry = self.images.topLevelItem(n)
            if self.preview is not None and self.preview.images[n].id in removed:
                entry.setForeground(self.ID, QBrush(GONE_COLOUR))
                entry.setText(self.CREATED, "removed")
        self.status.setText(result_text(result, self.preview))


def confirm_and_prune(parent: QWidget | None, session: EngineSession) -> PruneDialog:
    """Open the prune preview (window-modal, not blocking); it deletes itself when closed."""
    dialog = PruneDialog(session, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.start()
    dialog.open()
    return dialog
