"""What both prune dialogs share: a list filled by a preview operation, a Prune button that runs the
prune as a second one (listed in the activity centre), and a status line that ends in the result or
the error. Subclasses say which operations run and how their answers fill the list.

Signals of PruneDialogBase: pruned(object) -- whatever the prune task answered, once it has.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QLayout, QPushButton, QTreeWidget, QVBoxLayout,
                               QWidget)

from desktop.engine.errors import BerthError
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import Operation
from desktop.tasks.task import Task
from desktop.ui.problem_style import mark_problem

GONE_COLOUR = QColor("#7f8c8d")


class PruneDialogBase(QDialog):
    pruned = Signal(object)

    def __init__(self, session: EngineSession, table: QTreeWidget, name: str, parent: QWidget | None = None):
        """`name` prefixes the object names: <name>Dialog, <name>Status, <name>Button."""
        super().__init__(parent)
        self.setObjectName(f"{name}Dialog")
        self._session = session
        self.preview_task: Task | None = None
        self.prune_task: Task | None = None

        self.status = QLabel("Checking…")
        self.status.setObjectName(f"{name}Status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox()
        self.prune_button = QPushButton("&Prune")
        self.prune_button.setObjectName(f"{name}Button")
        self.prune_button.setAutoDefault(False)
        self.prune_button.setEnabled(False)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.prune_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.cancel_button.setDefault(True)
        self.prune_button.clicked.connect(self.start_prune)
        self.cancel_button.clicked.connect(self._on_cancel)

        box = QVBoxLayout(self)
        box.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows with the wrapped status
        box.addWidget(table, 1)
        box.addWidget(self.status)
        box.addWidget(self.buttons)

    def _preview_operation(self) -> Operation:
        """The listing of what a prune would remove (HOUSEKEEPING)."""
        raise NotImplementedError

    def _prune_operation(self) -> Operation:
        """The prune itself (a USER operation)."""
        raise NotImplementedError

    def _nothing_to_prune(self) -> bool:
        return False

    def set_preview(self, preview) -> None:
        raise NotImplementedError

    def _show_result(self, result) -> None:
        """Mark in the list and the status line what the prune did."""
        raise NotImplementedError

    def start(self) -> None:
        """List what a prune would remove, in a worker; the dialog says Checking… meanwhile."""
        self.preview_task = self._preview_operation().owned_by(self) \
            .on_success(self.set_preview).on_failure(self._show_error).run()

    def start_prune(self) -> None:
        if self.prune_task is not None or self._nothing_to_prune():
            return
        self.prune_button.setEnabled(False)
        self.status.setText("Pruning…")
        self.prune_task = self._prune_operation().owned_by(self) \
            .on_success(self.set_result).on_failure(self._show_error).on_cancel(self._on_cancelled).run()

    def set_result(self, result) -> None:
        self._show_result(result)
        self._finish()
        self.pruned.emit(result)

    def _show_error(self, error: BerthError) -> None:
        self.status.setText(str(error))
        mark_problem(self.status)
        self.prune_button.setEnabled(False)
        if self.prune_task is not None:
            self._finish()

    def _on_cancel(self) -> None:
        """Cancel ends a prune under way (the dialog stays to say what went); else it closes."""
        task = self.prune_task
        if task is not None and not task.state.done and task.cancellable:
            task.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling…")
            return
        self.reject()

    def _on_cancelled(self) -> None:
        self._finish()
        self._show_cancelled()

    def _show_cancelled(self) -> None:
        """Say what a cancelled prune did; subclasses with a report show it."""
        self.status.setText("Cancelled. What was removed before the cancel is gone; the rest stays.")

    def _finish(self) -> None:
        self.prune_button.setVisible(False)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("&Close")
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()

    def reject(self) -> None:
        if self.preview_task is not None and not self.preview_task.state.done:
            self.preview_task.cancel()
        super().reject()  # a prune under way goes on, listed in the activity panel
