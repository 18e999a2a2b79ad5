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
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import Operation
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import grow_with_content
from desktop.ui.problem_style import mark_problem


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
        mark_problem(self.status, bool(problem))
        ok = problem is None and not (self.task is not None and not self.task.state.done)
        self.rename_button.setEnabled(ok)
        return ok

    def rename(self) -> Task | None:
        if not self.validate():
            return None
        name = self.name_edit.text().strip()
        self.rename_button.setEnabled(False)
        self.task = Operation(self._session, f"Renaming {self.row.name} to {name}", container_tasks.rename_container,
                              self.row.id, name, cancellable=False, action=f"rename {self.row.name}").owned_by(self) \
            .on_success(self._on_renamed).on_failure(self._on_failed).run()
        return self.task

    def _on_renamed(self, name: str) -> None:
        self.renamed.emit(self.row.id, name)
        self.accept()

    def _on_failed(self, error: BerthError) -> None:
        self.status.setText(str(error))
        mark_problem(self.status)
        self.rename_button.setEnabled(True)
