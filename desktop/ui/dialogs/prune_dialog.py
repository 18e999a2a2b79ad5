"""Prune dangling images: first a preview of what would go and about how much it frees, then the
prune itself, then the space reclaimed as the engine reports it. Both steps run as tasks.

Signals of PruneDialog: pruned(object) -- the PruneResult, once the engine has answered.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QPushButton, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from desktop.engine.errors import BerthError
from desktop.engine.prune import PrunePreview, PruneResult
from desktop.models.formatting import exact_time, human_age, human_size
from desktop.tasks import image_ops
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.task import Task

PROBLEM_COLOUR = QColor("#c0392b")
GONE_COLOUR = QColor("#7f8c8d")


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


class PruneDialog(QDialog):
    pruned = Signal(object)
    ID, CREATED, SIZE, FREES = range(4)

    def __init__(self, session: EngineSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pruneDialog")
        self.setWindowTitle("Prune dangling images")
        self.resize(560, 340)
        self._session = session
        self.preview: PrunePreview | None = None
        self.result: PruneResult | None = None
        self.preview_task: Task | None = None
        self.prune_task: Task | None = None

        self.status = QLabel("Checking…")
        self.status.setObjectName("pruneStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.images = QTreeWidget()
        self.images.setObjectName("pruneImages")
        self.images.setHeaderLabels(["Image ID", "Created", "Size", "Frees"])
        self.images.setRootIsDecorated(False)
        self.images.header().setStretchLastSection(False)
        self.images.header().setSectionResizeMode(self.CREATED, QHeaderView.ResizeMode.Stretch)
        self.images.headerItem().setToolTip(
            self.FREES, "Its own layers and the untagged parents that go with it; layers shared with "
                        "other dangling images count in the total only")

        self.buttons = QDialogButtonBox()
        self.prune_button = QPushButton("&Prune")
        self.prune_button.setObjectName("pruneButton")
        self.prune_button.setAutoDefault(False)
        self.prune_button.setEnabled(False)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("pruneCancel")
        self.buttons.addButton(self.prune_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.cancel_button.setDefault(True)
        self.prune_button.clicked.connect(self.start_prune)
        self.cancel_button.clicked.connect(self.reject)

        box = QVBoxLayout(self)
        box.addWidget(self.images, 1)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        self.cancel_button.setFocus()

    def start(self) -> None:
        """List what a prune would remove, in a worker; the dialog says Checking… meanwhile."""
        factory = self._session.factory
        if self._session.state != CONNECTED or factory is None:
            self._show_error(BerthError("Not connected to the Docker engine."))
            return
        task = Task("Listing dangling images", image_ops.preview_prune, factory, background=True,
                    action="list the dangling images")
        task.signals.succeeded.connect(self.set_preview)
        task.signals.failed.connect(self._show_error)
        self.preview_task = task
        self._session.tasks.submit(task)

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

    def start_prune(self) -> None:
        factory = self._session.factory
        if self.prune_task is not None:
            return
        if self._session.state != CONNECTED or factory is None:
            self._show_error(BerthError("Not connected to the Docker engine."))
            return
        # one request the engine cannot interrupt: no Cancel that would only pretend
        task = Task("Pruning dangling images", image_ops.prune_dangling, factory, cancellable=False,
                    action="prune dangling images")
        task.signals.succeeded.connect(self.set_result)
        task.signals.failed.connect(self._show_error)
        self.prune_task = task
        self.prune_button.setEnabled(False)
        self.status.setText("Pruning…")
        self._session.tasks.submit(task)

    def set_result(self, result: PruneResult) -> None:
        self.result = result
        removed = set(result.deleted)
        for n in range(self.images.topLevelItemCount()):
            entry = self.images.topLevelItem(n)
            if self.preview is not None and self.preview.images[n].id in removed:
                entry.setForeground(self.ID, QBrush(GONE_COLOUR))
                entry.setText(self.CREATED, "removed")
        self.status.setText(result_text(result, self.preview))
        self._finish()
        self.pruned.emit(result)

    def _show_error(self, error: BerthError) -> None:
        self.status.setText(str(error))
        self.status.setStyleSheet(f"color: {PROBLEM_COLOUR.name()}")
        self.prune_button.setEnabled(False)
        if self.prune_task is not None:
            self._finish()

    def _finish(self) -> None:
        self.prune_button.setVisible(False)
        self.cancel_button.setText("&Close")
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()

    def reject(self) -> None:
        if self.preview_task is not None and not self.preview_task.state.done:
            self.preview_task.cancel()
        super().reject()  # a prune under way goes on, listed in the activity panel


def confirm_and_prune(parent: QWidget | None, session: EngineSession) -> PruneDialog:
    """Open the prune preview (window-modal, not blocking); it deletes itself when closed."""
    dialog = PruneDialog(session, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.start()
    dialog.open()
    return dialog
