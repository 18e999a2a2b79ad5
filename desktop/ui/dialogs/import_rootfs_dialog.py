"""Name the new image for a plain file-system archive (``docker import``): repository and tag,
checked as they are typed, with a warning when the name already belongs to another image."""

from __future__ import annotations

import os
import re

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from desktop.engine.archive import ArchiveError
from desktop.engine.image_archive import check_import_name
from desktop.engine.images import short_id
from desktop.tasks.archive_tasks import ArchivePlan
from desktop.ui.dialogs.dialog_layout import grow_with_content
from desktop.ui.problem_style import mark_problem

WARNING_COLOUR = "#b9770e"


def suggested_repository(path: str) -> str:
    """'Ubuntu Root FS.tar.gz' -> 'ubuntu-root-fs': a valid name to start from."""
    name = os.path.basename(path)
    for suffix in (".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tar.zstd", ".tgz", ".txz", ".tbz2", ".tar"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return name or "imported"


class ImportRootfsDialog(QDialog):
    """After ``accepted``, :attr:`reference` is the validated 'repo:tag' and :meth:`names` the parts."""

    def __init__(self, plan: ArchivePlan, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("importRootfsDialog")
        self.setWindowTitle("Import a file system as an image")
        self.resize(480, 200)
        self.plan = plan
        self.reference = ""
        existing = plan.preview.existing_tags if plan.preview is not None else {}
        self._existing = existing

        self.intro = QLabel(f"{plan.name} holds a plain file system, not a saved image. Berth can import it as a "
                            "new single-layer image (like 'docker import'). Name the image:")
        self.intro.setWordWrap(True)
        self.repository_edit = QLineEdit(suggested_repository(plan.path))
        self.repository_edit.setObjectName("importRepository")
        self.repository_edit.setPlaceholderText("for example myapp or registry.example.com/team/app")
        self.tag_edit = QLineEdit("latest")
        self.tag_edit.setObjectName("importTag")
        self.message = QLabel()
        self.message.setObjectName("importMessage")
        self.message.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Repository:", self.repository_edit)
        form.addRow("&Tag:", self.tag_edit)

        self.buttons = QDialogButtonBox()
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("importButton")
        self.import_button.setDefault(True)
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("importCancel")
        self.import_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)

        box = QVBoxLayout(self)
        box.addWidget(self.intro)
        box.addLayout(form)
        box.addWidget(self.message)
        box.addWidget(self.buttons)
        grow_with_content(self)
        self.repository_edit.textChanged.connect(self._validate)
        self.tag_edit.textChanged.connect(self._validate)
        self._validate()
        self.repository_edit.selectAll()
        self.repository_edit.setFocus()

    def names(self) -> tuple[str, str]:
        return self.repository_edit.text().strip(), self.tag_edit.text().strip() or "latest"

    def _validate(self) -> None:
        try:
            reference = check_import_name(*self.names())
        except ArchiveError as exc:
            self.reference = ""
            self.message.setText(str(exc))
            mark_problem(self.message)
            self.import_button.setEnabled(False)
            return
        self.reference = reference
        current = self._existing.get(reference)
        if current:
            self.message.setText(f"{reference} now names image {short_id(current)}; importing moves the tag to the "
                                 "new image.")
            self.message.setStyleSheet(f"color: {WARNING_COLOUR}")
        else:
            self.message.setText(f"The new image will be {reference}.")
            self.message.setStyleSheet("")
        self.import_button.setEnabled(True)

    def accept(self) -> None:
        if self.reference:
            super().accept()
