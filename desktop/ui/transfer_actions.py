"""Pull and Push in the Images view: "Pull…" in its toolbar, the Images menu and the context menu
(always available, Ctrl+Shift+L), "Push…" there and in the image details' header for a tagged
selection (Ctrl+Shift+H). Each opens its dialog window-modal; a pulled image is selected in the
list once it is listed, and "Tag for a registry…" in the Push dialog opens the Tag dialog and
offers the new names for pushing. The registry browser's Pull opens the same dialog, pulling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from desktop.engine.images import NONE
from desktop.tasks.engine_session import EngineSession
from desktop.ui.image_actions import ImageActions

if TYPE_CHECKING:  # the transfer modules (and the registry client) load with the first dialog
    from desktop.engine.distribution import TransferResult


def familiar(reference: str) -> str:
    from desktop.engine.reference import InvalidReference, parse_normalized  # on first use: 24 ms at start

    try:
        return parse_normalized(reference).familiar()
    except InvalidReference:
        return reference


class TransferActions(QObject):
    """Signals: pulled(TransferResult) -- a pull finished; its image is being selected in the list."""

    pulled = Signal(object)

    def __init__(self, window: QWidget, session: EngineSession, images: ImageActions):
        super().__init__(window)
        self._window = window
        self._session = session
        self._images = images
        view = images.view
        self.dialogs: list = []  # the last dialogs opened, for tests and to keep them alive

        def action(name: str, text: str, short: str, tip: str, shortcut: str, slot) -> QAction:
            act = QAction(text, view)
            act.setObjectName(f"images_{name}")
            act.setIconText(short)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            tip += f" ({act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
            act.setToolTip(tip)
            act.setStatusTip(tip)
            act.triggered.connect(slot)
            return act

        self.pull_action = action("pull", "Pull from re&gistry…", "Pull…",
                                  "Pull an image from a registry (docker pull)", "Ctrl+Shift+L", lambda: self.pull())
        self.push_action = action("push", "Pus&h to registry…", "Push…",
                                  "Push the selected image's tags to their registries (docker push)", "Ctrl+Shift+H",
                                  self.push_selected)
        images.add_action(self.pull_action, needs="")
        images.add_action(self.push_action, needs="tagged")
        images.details.add_header_action(self.push_action)

    # --- pull -----------------------------------------------------------------------------------
    def pull(self, reference: str = "", start: bool = False):
        """Open the Pull dialog, with *reference* filled in; *start*: pull it at once (the registry
        browser's one-click Pull), the dialog showing the progress."""
        from desktop.ui.dialogs.pull_dialog import PullDialog  # on first use

        dialog = PullDialog(self._session, reference, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.pulled.connect(self.show_pulled)
        self._keep(dialog)
        dialog.open()
        if start:
            dialog.start_pull()
        return dialog

    def show_pulled(self, result: TransferResult) -> None:
        """Select the pulled image in the list, now or once the listing brings it."""
        self.pulled.emit(result)
        view = self._images.view
        if result.image_id:
            from desktop.ui import tag_actions  # on first use: it brings the tag dialog's modules

            tag_actions.select_when_listed(view, result.image_id, familiar(result.reference))
        else:
            view.select_references([familiar(result.reference)])

    # --- push -----------------------------------------------------------------------------------
    def push_selected(self):
        rows = self._images.view.selected_rows()
        if len(rows) != 1 or rows[0].repository == NONE or rows[0].tag == NONE:
            return None
        return self.push(rows[0])

    def push(self, row):
        from desktop.ui.dialogs.push_dialog import PushDialog  # on first use

        dialog = PushDialog(self._session, row, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.tagRequested.connect(lambda: self._tag_for_registry(dialog, row))
        self._keep(dialog)
        dialog.start()
        dialog.open()
        return dialog

    def _tag_for_registry(self, dialog, row) -> None:
        from desktop.ui import tag_actions

        tag_dialog = tag_actions.tag_image(dialog, self._session, row)
        tag_dialog.tagged.connect(lambda result: dialog.set_tags(list(result.tagged), tick=tuple(result.tagged)))
        self._keep(tag_dialog)

    def _keep(self, dialog) -> None:
        self.dialogs = [d for d in self.dialogs[-4:] if d is not None] + [dialog]
