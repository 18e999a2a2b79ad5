"""Rename a container: the new name is checked as the engine checks names while it is typed, and
a clash (the name is taken) comes back from the engine into the dialog.

Signals of RenameDialog: renamed(str, str) -- container id, new name.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.engine.containers import ContainerRow
from desktop.engine.errors import BerthError
from desktop.engine.run_spec import name_problem
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import grow_with_content
from desktop.ui.lifetime import while_alive

PROBLEM_COLOUR = "#c0392b"


class RenameDialog(QDialog):
    renamed = Signal(str, str)

    def __init__(self, session: EngineSession, row: ContainerRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("renameDialog")
        self.setWindowTitle(f"Rename {row.name}")
        self._session = session
        self.row = row
        self.task: Task | None = None
        self.name_edit = QLineEdit(row.name)
        self.name_edit.setObjectName("renameName")
        self.name_edit.selectAll()
        self.name_edit.textChanged.connect(self.validate)
        self.status = QLabel()
        self.status.setObjectName("renameStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox()
        self.rename_button = self.buttons.addButton("&Rename", QDialogButtonBox.ButtonRole.AcceptRole)
        self.rename_button.setObjectName("renameButton")
        self.rename_button.setDefault(True)
        self.rename_button.clicked.connect(self.rename)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow("New &name:", self.name_edit)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        grow_with_content(self)
        self.validate()

    def validate(self, *_args) -> bool:
        name = self.name_edit.text().strip()
        problem = name_problem(name) if name else "Type a new name."
        if name == self.row.name:
            problem = ""
        self.status.setText(problem or "")
        self.status.setStyleSheet(f"color: {PROBLEM_COLOUR}" if problem else "")
        ok = problem is None and not (self.task is not None and not self.task.state.done)
        self.rename_button.setEnabled(ok)
        return ok

    def rename(self) -> Task | None:
        if not self.validate():
            return None
        factory = self._session.factory
        if self._session.state != CONNECTED or factory is None:
            self.status.setText("Not connected to the Docker engine.")
            return None
        name = self.name_edit.text().strip()
        task = Task(f"Renaming {self.row.name} to {name}", container_tasks.rename_container, factory, self.row.id,
                    name, cancellable=False, action=f"rename {self.row.name}")
        task.signals.succeeded.connect(while_alive(self, lambda new: (self.renamed.emit(self.row.id, new), self.accept())))
        task.signals.failed.connect(self._on_failed)
        self.task = task
        self.rename_button.setEnabled(False)
        self._session.tasks.submit(task)
        return task

    def _on_failed(self, error: BerthError) -> None:
        self.status.setText(str(error))
        self.status.setStyleSheet(f"color: {PROBLEM_COLOUR}")
        self.rename_button.setEnabled(True)
