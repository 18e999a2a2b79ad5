"""Copy files out of or into a container (``docker cp``): a path in the container, a local
path chosen with a file dialog or typed, and the copy as a task with progress and Cancel.

Signals of CopyDialog: copied(str) -- where the copy landed (local path or container path).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from desktop.engine.containers import ContainerRow
from desktop.engine.errors import BerthError
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.task import Task

OUT, IN = "out", "in"
PROBLEM_COLOUR = "#c0392b"


class CopyDialog(QDialog):
    copied = Signal(str)

    def __init__(self, session: EngineSession, row: ContainerRow, direction: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("copyDialog")
        self.direction = direction
        self.row = row
        self._session = session
        self.task: Task | None = None
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
        self.status = QLabel()
        self.status.setObjectName("copyStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox()
        self.copy_button = self.buttons.addButton("&Copy", QDialogButtonBox.ButtonRole.AcceptRole)
        self.copy_button.setObjectName("copyButton")
        self.copy_button.setDefault(True)
        self.copy_button.clicked.connect(self.copy)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        form = QFormLayout()
        if outwards:
            form.addRow("&From (container):", self.container_edit)
            form.addRow("&To (local folder):", local)
        else:
            form.addRow("&From (local):", local)
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
        ok = bool(inside and local) and not problem and not (self.task is not None and not self.task.state.done)
        self._set_status(problem, problem=True)
        self.copy_button.setEnabled(ok)
        return ok

    def _set_status(self, text: str, problem: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {PROBLEM_COLOUR}" if problem and text else "")

    def copy(self) -> Task | None:
        if not self.validate():
            return None
        factory = self._session.factory
        if self._session.state != CONNECTED or factory is None:
            self._set_status("Not connected to the Docker engine.", problem=True)
            return None
        inside, local = self.container_edit.text().strip(), self.local_edit.text().strip()
        if self.direction == OUT:
            task = Task(f"Copying {inside} from {self.row.name}", container_tasks.copy_from_container, factory,
                        self.row.id, inside, local, action=f"copy {inside} from {self.row.name}")
        else:
            task = Task(f"Copying {os.path.basename(local)} into {self.row.name}", container_tasks.copy_into_container,
                        factory, self.row.id, local, inside, action=f"copy into {self.row.name}")
        task.signals.succeeded.connect(self._on_copied)
        task.signals.failed.connect(self._on_failed)
        self.task = task
        self.copy_button.setEnabled(False)
        self._set_status("Copying…")
        self._session.tasks.submit(task)
        return task

    def _on_copied(self, where: str) -> None:
        self.copied.emit(where)
        self.accept()

    def _on_failed(self, error: BerthError) -> None:
        self._set_status(str(error), problem=True)
        self.copy_button.setEnabled(True)
