"""Before loading: what each archive holds, what loading would change on the engine, and what
cannot be loaded and why. The user ticks the archives to load and confirms, or cancels.

Warnings name both images when a tag would move from one image to another, say which images are
on the engine already (nothing to do) and which are built for another OS or CPU (they load but do
not run natively). Plain file-system archives are offered for import as a new image.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QPushButton, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from desktop.engine import archive
from desktop.engine.image_archive import MOVES, ImagePreview, describe_move
from desktop.engine.images import short_id
from desktop.models.formatting import human_size
from desktop.tasks.archive_tasks import ArchivePlan
from desktop.ui.dialogs.dialog_layout import grow_with_content
from desktop.ui.problem_style import PROBLEM_COLOUR, mark_problem

WARNING_COLOUR = QColor("#b9770e")
QUIET_COLOUR = QColor("#7f8c8d")

_FORMAT_NAMES = {archive.FORMAT_DOCKER: "Docker image archive", archive.FORMAT_OCI: "OCI image layout",
                 archive.FORMAT_ROOTFS: "plain file system"}


def describe_archive(plan: ArchivePlan) -> str:
    """One line for the archive's row: its kind, or why it cannot be loaded."""
    if plan.error:
        return plan.error
    preview = plan.preview
    contents = preview.contents
    kind = _FORMAT_NAMES.get(contents.format, contents.format)
    if contents.compression != archive.NONE:
        kind += f", {contents.compression}-compressed"
    if preview.problem:
        return preview.problem
    if contents.format == archive.FORMAT_ROOTFS:
        return f"A {kind}, no image inside: it can be imported as a new image (you name it next)."
    count = len(contents.images)
    text = f"{kind[0].upper()}{kind[1:]} with {count} image{'s' if count != 1 else ''}"
    if preview.nothing_to_do:
        text += " — all on the engine already, nothing to do"
    return text


def describe_image(item: ImagePreview, engine_platform: str) -> str:
    notes = []
    if item.nothing_to_do:
        notes.append("Already on the engine with these tags — nothing to do")
    elif item.on_engine:
        notes.append("Image already on the engine; only tags change")
    else:
        notes.append("New image")
    for change in item.tags:
        if change.status == MOVES:
            notes.append(f"moves {change.tag} from image {short_id(change.current_id)}")
    if item.foreign_platform:
        notes.append(f"built for {item.image.platform}, will not run natively on {engine_platform}")
    return "; ".join(notes)


def image_label(item: ImagePreview) -> str:
    if item.image.tags:
        return ", ".join(item.image.tags)
    digest = item.image.config_digest
    return f"untagged image {short_id(digest)}" if digest else "untagged image"


class LoadPreviewDialog(QDialog):
    """Shows the plans; after ``accepted`` :meth:`selected_plans` says which archives to load."""

    def __init__(self, plans: list[ArchivePlan], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("loadPreviewDialog")
        self.setWindowTitle("Load image archives")
        self.resize(760, 420)
        self.plans = list(plans)
        self._entries: list[tuple[QTreeWidgetItem, ArchivePlan]] = []

        self.heading = QLabel()
        self.heading.setObjectName("loadHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)

        self.items = QTreeWidget()
        self.items.setObjectName("loadItems")
        self.items.setHeaderLabels(["Archive / image", "Size", "Platform", "What happens"])
        self.items.setWordWrap(True)
        header = self.items.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 260)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.warnings = QLabel()
        self.warnings.setObjectName("loadWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warnings.setStyleSheet(f"color: {WARNING_COLOUR.name()}")

        self.problems = QLabel()
        self.problems.setObjectName("loadProblems")
        self.problems.setWordWrap(True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        mark_problem(self.problems)

        self.buttons = QDialogButtonBox()
        self.load_button = QPushButton("&Load")
        self.load_button.setObjectName("loadButton")
        self.buttons.addButton(self.load_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("loadCancel")
        self.load_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)

        box = QVBoxLayout(self)
        box.addWidget(self.heading)
        box.addWidget(self.items, 1)
        box.addWidget(self.warnings)
        box.addWidget(self.problems)
        box.addWidget(self.buttons)
        grow_with_content(self)

        self._fill()
        self.items.itemChanged.connect(lambda *_: self._update())
        self._update()

    def _fill(self) -> None:
        warnings, problems = [], []
        for plan in self.plans:
            preview = plan.preview
            size = human_size(preview.contents.file_size) if preview is not None else ""
            top = QTreeWidgetItem(self.items, [plan.name, size, "", describe_archive(plan)])
            top.setToolTip(0, plan.path)
            top.setToolTip(3, describe_archive(plan))
            if plan.loadable or (plan.rootfs and not (preview and preview.problem)):
                wanted = not (preview is not None and preview.nothing_to_do)
                top.setFlags(top.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                top.setCheckState(0, Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
            else:
                top.setFlags(top.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
                top.setForeground(3, QBrush(PROBLEM_COLOUR))
                problems.append(describe_archive(plan))
            self._entries.append((top, plan))
            if preview is None:
                continue
            for image in preview.images:
                child = QTreeWidgetItem(top, [image_label(image), human_size(image.image.size), image.image.platform,
                                              describe_image(image, preview.engine_platform)])
                child.setToolTip(0, image.image.config_digest)
                child.setToolTip(3, describe_image(image, preview.engine_platform))
                if image.nothing_to_do:
                    for column in range(4):
                        child.setForeground(column, QBrush(QUIET_COLOUR))
                elif image.foreign_platform or any(t.status == MOVES for t in image.tags):
                    child.setForeground(3, QBrush(WARNING_COLOUR))
            for change in preview.moves:
                warnings.append(f"{plan.name}: {describe_move(change)}")
            for image in preview.foreign:
                warnings.append(f"{plan.name}: {image_label(image)} is built for {image.image.platform}; it will load "
                                f"but will not run natively on this engine ({preview.engine_platform}).")
            top.setExpanded(True)
        self.warnings.setText("\n".join(warnings))
        self.warnings.setVisible(bool(warnings))
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))

    def selected_plans(self) -> list[ArchivePlan]:
        return [plan for item, plan in self._entries
                if (plan.loadable or plan.rootfs) and item.checkState(0) == Qt.CheckState.Checked]

    def entry_for(self, path: str) -> QTreeWidgetItem | None:
        return next((item for item, plan in self._entries if plan.path == path), None)

    def _update(self) -> None:
        selected = self.selected_plans()
        images = sum(len(p.preview.images) for p in selected if p.loadable)
        imports = sum(1 for p in selected if p.rootfs)
        archives = len(self.plans)
        if not any(p.loadable or p.rootfs for p in self.plans):
            self.heading.setText("Nothing here can be loaded" if archives != 1 else "This file cannot be loaded")
        elif not selected:
            self.heading.setText("Tick the archives to load")
        else:
            parts = []
            if images:
                parts.append(f"load {images} image{'s' if images != 1 else ''}")
            if imports:
                parts.append(f"import {imports} file system{'s' if imports != 1 else ''} as new image"
                             f"{'s' if imports != 1 else ''}")
            text = " and ".join(parts) or "load the selected archives"
            self.heading.setText(text[0].upper() + text[1:] + "?")
        self.load_button.setEnabled(bool(selected))
        self.load_button.setText("&Import…" if selected and not images else "&Load")

