"""Commit a container to a new image (``docker commit``): repository and tag checked as typed
with the engine's own grammar, a message and an author; the commit runs in a task.

Signals of CommitDialog: committed(object) -- the CommitResult once the image exists.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from desktop.engine.commit import CommitResult, commit_problem
from desktop.engine.containers import ContainerRow
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import Operation
from desktop.tasks.task import Task
from desktop.ui.dialogs.task_form import TaskFormDialog


class CommitDialog(TaskFormDialog):
    committed = Signal(object)

    def __init__(self, session: EngineSession, row: ContainerRow, parent: QWidget | None = None):
        super().__init__(session, "commit", parent)
        self.setWindowTitle(f"Commit {row.name} to an image")
        self.resize(480, 260)
        self.row = row
        self.result: CommitResult | None = None
        self.repository_edit = QLineEdit()
        self.repository_edit.setObjectName("commitRepository")
        self.repository_edit.setPlaceholderText("e.g. myapp or registry.example.com:5000/team/app")
        self.tag_edit = QLineEdit()
        self.tag_edit.setObjectName("commitTag")
        self.tag_edit.setPlaceholderText("latest")
        self.message_edit = QLineEdit()
        self.message_edit.setObjectName("commitMessage")
        self.author_edit = QLineEdit()
        self.author_edit.setObjectName("commitAuthor")
        self.author_edit.setPlaceholderText("e.g. Jane Doe <jane@example.com>")
        self.pause_box = QCheckBox("Pause the container while committing (consistent files)")
        self.pause_box.setObjectName("commitPause")
        self.pause_box.setChecked(True)
        self.buttons = QDialogButtonBox()
        self.commit_button = self.buttons.addButton("&Commit", QDialogButtonBox.ButtonRole.AcceptRole)
        self.commit_button.setObjectName("commitButton")
        self.commit_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        self.commit_button.clicked.connect(self.commit)
        for edit in (self.repository_edit, self.tag_edit):
            edit.textChanged.connect(self.validate)
        form = QFormLayout()
        form.addRow("&Repository:", self.repository_edit)
        form.addRow("&Tag:", self.tag_edit)
        form.addRow("&Message:", self.message_edit)
        form.addRow("&Author:", self.author_edit)
        form.addRow("", self.pause_box)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.status)
        box.addStretch(1)
        box.addWidget(self.buttons)
        self.validate()

    def validate(self, *_args) -> bool:
        problem = commit_problem(self.repository_edit.text(), self.tag_edit.text())
        typed = bool(self.repository_edit.text().strip() or self.tag_edit.text().strip())
        self._set_status(problem if problem and typed else "", problem=True)
        self.commit_button.setEnabled(problem is None and not self._busy())
        return problem is None

    def commit(self) -> Task | None:
        if not self.validate():
            return None
        repository, tag = self.repository_edit.text().strip(), self.tag_edit.text().strip()
        operation = Operation(self._session, f"Committing {self.row.name} to {repository}:{tag or 'latest'}",
                              container_tasks.commit_container, self.row.id, repository, tag, self.message_edit.text(),
                              self.author_edit.text(), self.pause_box.isChecked(), cancellable=False,
                              action=f"commit {self.row.name}")
        return self._run(operation, self.commit_button, "Committing…", self._on_committed)

    def _on_committed(self, result: CommitResult) -> None:
        self.result = result
        self.committed.emit(result)
        self.accept()
