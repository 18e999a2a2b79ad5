"""Which names go into an image archive, before the file is chosen.

An archive holds an image under exactly the names it is saved by: a tag that is not saved does
not come back when the archive is loaded, even if it named the same image. The dialog lists the
selected tags (ticked) and every other tag of the same images (offered, not ticked, found by a
background task), and says what loading the archive will bring back.

Signals of SaveImagesDialog: chosen(list[str] names, int estimate) -- the names to save and the
summed size of their images, when the person goes on to choose the file.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QLayout, QListWidget, QListWidgetItem,
                               QVBoxLayout, QWidget)

from desktop.engine.errors import BerthError
from desktop.engine.images import NONE, ImageRow, short_id
from desktop.tasks import archive_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task

NAME_ROLE = Qt.ItemDataRole.UserRole
IMAGE_ROLE = Qt.ItemDataRole.UserRole + 1


def _listing(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class SaveImagesDialog(QDialog):
    chosen = Signal(list, int)

    def __init__(self, session: EngineSession, rows: list[ImageRow], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("saveImagesDialog")
        self.setWindowTitle("Save images")
        self._session = session
        self._sizes = {row.id: row.size for row in rows}
        self.tags_task: Task | None = None

        heading = QLabel("Names to save in the archive:")
        self.names = QListWidget()
        self.names.setObjectName("saveNames")
        seen = set()
        for row in rows:
            tagged = row.repository != NONE and row.tag != NONE
            name = f"{row.repository}:{row.tag}" if tagged else row.id
            if name in seen:
                continue
            seen.add(name)
            text = name if tagged else f"image {row.short_id} (untagged: it loads back without a name)"
            self._add(name, row.id, text, checked=True)
        self.status = QLabel("Looking for other tags of these images…")
        self.status.setObjectName("saveStatus")
        self.status.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setObjectName("saveSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox()
        self.choose_button = self.buttons.addButton("Choose &file…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.choose_button.setObjectName("saveChooseFile")
        self.choose_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.choose_button.clicked.connect(self._choose)
        self.cancel_button.clicked.connect(self.reject)
        self.names.itemChanged.connect(self._update)

        box = QVBoxLayout(self)
        box.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows with the wrapped texts
        box.addWidget(heading)
        box.addWidget(self.names, 1)
        box.addWidget(self.status)
        box.addWidget(self.summary)
        box.addWidget(self.buttons)
        self.resize(520, 360)
        self._update()

    def _add(self, name: str, image_id: str, text: str, checked: bool) -> QListWidgetItem:
        item = QListWidgetItem(text, self.names)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setData(NAME_ROLE, name)
        item.setData(IMAGE_ROLE, image_id)
        item.setToolTip(f"{name}\nimage {image_id}")
        return item

    def _items(self) -> list[QListWidgetItem]:
        return [self.names.item(n) for n in range(self.names.count())]

    # --- other tags of the same images -----------------------------------------------------
    def start(self) -> None:
        """Ask the engine for every tag of the selected images (in a worker)."""
        self.tags_task = Operation(self._session, "Listing the tags of the images to save", archive_tasks.tags_of,
                                   list(self._sizes), kind=HOUSEKEEPING,
                                   action="list the tags of the images to save").owned_by(self) \
            .on_success(self.set_tags).on_failure(self.set_error).run()

    def set_tags(self, tags: dict[str, list[str]]) -> None:
        """Offer, unticked, the tags of the selected images that were not selected."""
        present = {item.data(NAME_ROLE) for item in self._items()}
        offered = 0
        self.names.blockSignals(True)
        for image_id, names in tags.items():
            for name in names:
                if name not in present:
                    present.add(name)
                    self._add(name, image_id, f"{name}   (also names image {short_id(image_id)})", checked=False)
                    offered += 1
        self.names.blockSignals(False)
        self.status.setText("Tick the other tags of these images to keep them in the archive as well."
                            if offered else "")
        self.status.setVisible(bool(offered))
        self._update()

    def set_error(self, error: BerthError) -> None:
        self.status.setText(f"Other tags of these images could not be listed: {error}")

    # --- what the archive will hold -----------------------------------------------------------
    def selected_names(self) -> list[str]:
        return [item.data(NAME_ROLE) for item in self._items() if item.checkState() == Qt.CheckState.Checked]

    def left_out(self) -> list[str]:
        """Tags of images that are saved, which the archive will not hold."""
        saved_images = {item.data(IMAGE_ROLE) for item in self._items() if item.checkState() == Qt.CheckState.Checked}
        return [item.data(NAME_ROLE) for item in self._items()
                if item.checkState() != Qt.CheckState.Checked and item.data(IMAGE_ROLE) in saved_images]

    def summary_text(self) -> str:
        names = self.selected_names()
        if not names:
            return "Tick at least one name to save."
        tags = [n for n in names if not n.startswith("sha256:")]
        untagged = len(names) - len(tags)
        images = len({item.data(IMAGE_ROLE) for item in self._items() if item.checkState() == Qt.CheckState.Checked})
        parts = [f"The archive will hold {images} image{'s' if images != 1 else ''}"]
        if tags:
            parts.append(f" under {_listing(tags)}")
        if untagged:
            parts.append(f"{' and' if tags else ''} {untagged} without a name")
        text = "".join(parts) + ". Loading it brings back exactly these names."
        missing = self.left_out()
        if missing:
            text += f" Not in it: {_listing(missing)} (loading will not bring {'them' if len(missing) > 1 else 'it'} back)."
        return text

    def _update(self, *_args) -> None:
        self.summary.setText(self.summary_text())
        self.choose_button.setEnabled(bool(self.selected_names()))

    def _choose(self) -> None:
        names = self.selected_names()
        if not names:
            return
        images = {item.data(IMAGE_ROLE) for item in self._items() if item.checkState() == Qt.CheckState.Checked}
        self.chosen.emit(names, sum(self._sizes.get(i, 0) for i in images))
        self.accept()

    def reject(self) -> None:
        if self.tags_task is not None and not self.tags_task.state.done:
            self.tags_task.cancel()
        super().reject()
