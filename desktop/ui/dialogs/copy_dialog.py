"""Copy files out of or into a container (``docker cp``): a path in the container, a local
path chosen with a file dialog or typed, and the copy as a task with progress and Cancel.

Signals of CopyDialog: copied(str) -- where the copy landed (local path or container path).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from desktop.engine.containers import ContainerRow
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import buddy_label
from desktop.ui.dialogs.task_form import TaskFormDialog

OUT, IN = "out", "in"


class CopyDialog(TaskFormDialog):
    copied = Signal(str)

    def __init__(self, session: EngineSession, row: ContainerRow, direction: str, parent: QWidget | None = None):
        super().__init__(session, "copy", parent)
        self.direction = direction
        self.row = row
        outwards = direction == OUT
        self.setWindowTitle(f"Copy from {row.name}" if outwards else f"Copy into {row.name}")
        self.container_edit = QLineEdit("/" if not outwards else "")
        self.container_edit.setObjectName("copyContainerPath")
        self.container_edit.setPlaceholderText("/path/in/the/container" if outwards else "/existing/folder")
        self.local_edit = QLineEdit(os.path.expanduser("~") if outwards else "")
        self.local_edit.setObjectName("copyLocalPath")
        self.local_edit.setPlaceholderText("local folder to copy into" if outwards else "local file or folder")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        local = QHBoxLayout()
        local.addWidget(self.local_edit, 1)
        local.addWidget(browse)
        self.buttons = QDialogButtonBox()
        self.copy_button = self.buttons.addButton("&Copy", QDialogButtonBox.ButtonRole.AcceptRole)
        self.copy_button.setObjectName("copyButton")
        self.copy_button.setDefault(True)
        self.copy_button.clicked.connect(self.copy)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        form = QFormLayout()
        if outwards:
            form.addRow("&From (container):", self.container_edit)
            form.addRow(buddy_label("&To (local folder):", self.local_edit), local)
        else:
            form.addRow(buddy_label("&From (local):", self.local_edit), local)
            form.addRow("&To (container folder):", self.container_edit)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        for edit in (self.container_edit, self.local_edit):
            edit.textChanged.connect(self.validate)
        self.validate()

    def _browse(self) -> None:
        if self.direction == OUT:
            path = QFileDialog.getExistingDirectory(self, "Copy into which folder?", self.local_edit.text())
        else:
            path, _filter = QFileDialog.getOpenFileName(self, "Copy which file?", self.local_edit.text())
        if path:
            self.local_edit.setText(path)

    def validate(self, *_args) -> bool:
        inside, local = self.container_edit.text().strip(), self.local_edit.text().strip()
        problem = ""
        if inside and not inside.startswith("/"):
            problem = "The path in the container must be absolute (start with '/')."
        ok = bool(inside and local) and not problem and not self._busy()
        self._set_status(problem, problem=True)
        self.copy_button.setEnabled(ok)
        return ok

    def copy(self) -> Task | None:
        if not self.validate():
            return None
        factory = self._factory()
        if factory is None:
            return None
        inside, local = self.container_edit.text().strip(), self.local_edit.text().strip()
        if self.direction == OUT:
            task = Task(f"Copying {inside} from {self.row.name}", container_tasks.copy_from_container, factory,
                        self.row.id, inside, local, action=f"copy {inside} from {self.row.name}")
        else:
            task = Task(f"Copying {os.path.basename(local)} into {self.row.name}", container_tasks.copy_into_container,
                        factory, self.row.id, local, inside, action=f"copy into {self.row.name}")
        return self._submit(task, self.copy_button, "Copying…", self._on_copied)

    def _on_copied(self, where: str) -> None:
        self.copied.emit(where)
        self.accept()
