"""Copy files out of or into a container (``docker cp``): a path in the container, a local
path chosen with a file dialog or typed, and the copy as a task with progress and Cancel.

Copying out never replaces what the local folder holds without asking: a quick first task asks
the engine the copy's name; when that name exists, a question lists it (Replace / Cancel) before
the copy starts. The copy itself refuses any existing name it was not told to replace (a name
only the archive could tell, or one that appeared meanwhile), and the question comes then.

Signals of CopyDialog: copied(str) -- where the copy landed (local path or container path).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit,
                               QMessageBox, QPushButton, QVBoxLayout, QWidget)

from desktop.engine.archive import shown_name
from desktop.engine.containers import ContainerRow
from desktop.engine.errors import BerthError
from desktop.engine.file_copy import IN, OUT, CopyConflict, CopyPlan  # noqa: F401 - IN: the dialog's directions
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import buddy_label
from desktop.ui.dialogs.task_form import TaskFormDialog

_LISTED = 12  # names shown in the replace question; the rest are counted


class CopyDialog(TaskFormDialog):
    copied = Signal(str)

    def __init__(self, session: EngineSession, row: ContainerRow, direction: str, parent: QWidget | None = None):
        super().__init__(session, "copy", parent)
        self.direction = direction
        self.row = row
        self.question: QMessageBox | None = None  # the open "replace?" question, if any
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
        # the row is a layout: addRow cannot make the buddy itself
        local_label = buddy_label("&To (local folder):" if outwards else "&From (local):", self.local_edit)
        if outwards:
            form.addRow("&From (container):", self.container_edit)
            form.addRow(local_label, local)
        else:
            form.addRow(local_label, local)
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
        inside, local = self.container_edit.text().strip(), self.local_edit.text().strip()
        if self.direction == OUT:
            plan = Operation(self._session, f"Looking at {inside} in {self.row.name}",
                             container_tasks.plan_copy_from_container, self.row.id, inside, local,
                             kind=HOUSEKEEPING, action=f"copy {inside} from {self.row.name}")
            return self._run(plan, self.copy_button, "Copying…", self._on_planned)
        copy = Operation(self._session, f"Copying {os.path.basename(local)} into {self.row.name}",
                         container_tasks.copy_into_container, self.row.id, local, inside,
                         action=f"copy into {self.row.name}")
        return self._run(copy, self.copy_button, "Copying…", self._on_copied)

    def _on_planned(self, plan: CopyPlan) -> None:
        if not self.isVisible():
            return  # closed while the engine was asked: the copy is not wanted any more
        if plan.conflicts:
            self._ask_replace(plan.destination, plan.conflicts)
        else:
            self._copy_out(())

    def _copy_out(self, replace: tuple[str, ...]) -> Task:
        inside, local = self.container_edit.text().strip(), self.local_edit.text().strip()
        copy = Operation(self._session, f"Copying {inside} from {self.row.name}", container_tasks.copy_from_container,
                         self.row.id, inside, local, replace=tuple(replace), action=f"copy {inside} from {self.row.name}")
        return self._run(copy, self.copy_button, "Copying…", self._on_copied)

    def _on_failed(self, error: BerthError) -> None:
        if isinstance(error, CopyConflict) and self.isVisible():
            self._ask_replace(error.destination, error.names)
            return
        super()._on_failed(error)

    def _ask_replace(self, destination: str, names: list[str]) -> None:
        """Replace / Cancel for *names* in *destination*; nothing is touched until Replace."""
        listed = "\n".join(f"    {shown_name(n)}" for n in names[:_LISTED])
        if len(names) > _LISTED:
            listed += f"\n    … and {len(names) - _LISTED} more"
        one = len(names) == 1
        box = QMessageBox(QMessageBox.Icon.Question, "Replace existing files?",
                          f"{destination} already has {'this' if one else 'these'}:\n{listed}", parent=self)
        box.setObjectName("copyReplaceQuestion")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(f"Replace {'it' if one else 'them'} with the copy from {self.row.name}? "
                               f"What is there now will be deleted.")
        replace = box.addButton("&Replace", QMessageBox.ButtonRole.DestructiveRole)
        replace.setObjectName("copyReplaceButton")
        keep = box.addButton(QMessageBox.StandardButton.Cancel)
        keep.setObjectName("copyKeepButton")
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.question = box

        def answered(_result: int) -> None:
            self.question = None
            if box.clickedButton() is replace:
                self._copy_out(tuple(names))
            else:
                self._set_status(f"Nothing was copied: {destination} is as it was.")
                self.copy_button.setEnabled(True)

        box.finished.connect(answered)
        box.open()

    def _on_copied(self, where: str) -> None:
        self.copied.emit(where)
        self.accept()
