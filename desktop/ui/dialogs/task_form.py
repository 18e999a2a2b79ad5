"""A form dialog whose one action runs as an operation: a status line under the form that says what
is happening or what is wrong, and the action button off while the work runs and on again if it
fails. The failure shows here and stays in the activity centre (a USER operation)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QDialog, QLabel, QWidget

from desktop.engine.errors import BerthError
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import Operation
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import grow_with_content
from desktop.ui.problem_style import mark_problem


class TaskFormDialog(QDialog):
    def __init__(self, session: EngineSession, name: str, parent: QWidget | None = None):
        """`name` prefixes the object names: <name>Dialog, <name>Status."""
        super().__init__(parent)
        self.setObjectName(f"{name}Dialog")
        self._session = session
        self.task: Task | None = None
        self._action_button: QAbstractButton | None = None
        self.status = QLabel()
        self.status.setObjectName(f"{name}Status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        grow_with_content(self)  # the status can be a long error

    def _busy(self) -> bool:
        return self.task is not None and not self.task.state.done

    def _set_status(self, text: str, problem: bool = False) -> None:
        self.status.setText(text)
        mark_problem(self.status, problem and bool(text))

    def _run(self, operation: Operation, button: QAbstractButton, busy_text: str, on_success) -> Task:
        """Run *operation* as the dialog's action: *button* off and *busy_text* shown meanwhile,
        *on_success* with its answer, a failure in the status line with the button on again."""
        self._action_button = button
        button.setEnabled(False)
        self._set_status(busy_text)
        self.task = operation.owned_by(self).on_success(on_success).on_failure(self._on_failed).run()
        return self.task

    def _on_failed(self, error: BerthError) -> None:
        self._set_status(str(error), problem=True)
        if self._action_button is not None:
            self._action_button.setEnabled(True)
