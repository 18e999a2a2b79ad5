"""The actions on images and what each one opens: every one is in the Images view's toolbar (the
most used), its context menu and the Images menu, with its shortcut, enabled only when it
applies to the selection. The main window only places the menu; the decisions live in the
dialogs the actions open. After an untag or a removal the row that took the selection's place
is selected, so the keyboard goes on from there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from desktop.engine.images import NONE
from desktop.tasks.engine_session import EngineSession
from desktop.ui.image_details import ImageDetailsPane
from desktop.ui.images_view import ImagesView

if TYPE_CHECKING:
    from desktop.ui import tag_actions


class ImageActions(QObject):
    """Signals: shown_loaded(list[str]) -- a load finished; its references are being selected.
    runRequested(ImageRow) -- Run was chosen for this image (the Containers side opens the dialog)."""

    shown_loaded = Signal(list)
    runRequested = Signal(object)

    def __init__(self, window: QWidget, session: EngineSession, view: ImagesView, details: ImageDetailsPane):
        super().__init__(window)
        self._window = window
        self._session = session
        self.view = view
        self.details = details
        self.dialogs: list = []  # the last dialogs opened, for tests and to keep them alive

        def action(name, text, slot, tip, shortcut=None, context=Qt.ShortcutContext.WidgetWithChildrenShortcut):
            act = QAction(text, view)
            act.setObjectName(f"images_{name}")
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(context)
                view.addAction(act)  # the shortcut works while the Images view has focus
                tip += f" ({act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
            act.setToolTip(tip)
            act.setStatusTip(tip)
            act.triggered.connect(slot)
            return act

        window_wide = Qt.ShortcutContext.WindowShortcut
        self.run_action = action("run", "R&un…", self.run_selected, "Run a container from the selected image")
        self.details_action = action("details", "Show &details", self.show_details,
                                     "Show the details of the selected image", Qt.Key.Key_Return)
        self.copy_id_action = action("copy_id", "Copy image &ID", self.copy_id, "Copy the selected images' IDs")
        self.copy_ref_action = action("copy_ref", "Copy &reference", self.copy_reference,
                                      "Copy the selected names (repository:tag)", "Ctrl+Shift+C")
        self.tag_action = action("tag", "&Tag…", self.tag_selected, "Give the selected image another name", "Ctrl+T")
        self.untag_action = action("untag", "U&ntag", self.untag_selected,
                                   "Remove the selected tag; the image stays while other tags or containers "
                                   "refer to it", "Ctrl+U")
        self.remove_action = action("remove", "&Remove…", self.remove_selected,
                                    "Remove the selected images or tags, after a preview",
                                    QKeySequence.StandardKey.Delete)
        self.save_action = action("save", "&Save to archive…", self.save_selected,
                                  "Save the selected images to a tar archive (docker save)",
                                  QKeySequence.StandardKey.Save, window_wide)
        self.build_action = action("build", "&Build image…", lambda: self.build(),
                                   "Build an image from a Dockerfile", "Ctrl+B", window_wide)
        self.load_action = action("load", "&Load from archives…", self.choose_and_load,
                                  "Load images from tar archives (docker load)", QKeySequence.StandardKey.Open,
                                  window_wide)
        self.prune_action = action("prune", "&Prune dangling images…", self.prune,
                                   "Remove the untagged images nothing uses, after a preview")
        self.refresh_action = action("refresh", "Re&fresh", view.feed.refresh, "List the images again")
        # what each selection-bound action needs: any selection, one row, or one tagged row
        self._needs: dict[QAction, str] = {self.run_action: "one", self.details_action: "any",
                                           self.copy_id_action: "any", self.copy_ref_action: "any",
                                           self.tag_action: "one", self.untag_action: "tagged",
                                           self.save_action: "any", self.remove_action: "any"}
        # actions that other features add (push, pull...) go into these lists before the separators
        self.extra_selection_actions: list[QAction] = []
        self.extra_global_actions: list[QAction] = []

        # the toolbar's words are short (the menus say more): it fits beside the disk usage
        for act, short in ((self.build_action, "Build…"), (self.load_action, "Load…"), (self.save_action, "Save…"),
                           (self.prune_action, "Prune…")):
            act.setIconText(short)
        toolbar = view.toolbar
        for act in (self.run_action, self.tag_action, self.untag_action, self.remove_action, None,
                    self.build_action, self.load_action, self.save_action):
            toolbar.addSeparator() if act is None else toolbar.addAction(act)
        self._toolbar_tail = toolbar.addSeparator()  # actions added later (push, pull) go before it
        toolbar.addAction(self.prune_action)
        toolbar.addAction(self.refresh_action)

        details.add_header_action(self.run_action)
        details.add_header_action(self.tag_action)
        details.untagRequested.connect(self.untag)

        view.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.table.customContextMenuRequested.connect(self._context_menu)
        view.table.doubleClicked.connect(lambda _index: self.show_details())
        view.table.selectionModel().selectionChanged.connect(self._update_enabled)
        # rows removed under the selection (an untag, the CLI) change what applies too
        view.model.rowsRemoved.connect(self._update_enabled)
        view.model.modelReset.connect(self._update_enabled)
        self._update_enabled()

    def add_action(self, act: QAction, needs: str = "any", in_toolbar: bool = True) -> None:
        """Place another feature's action (Push, Pull…) like the others: in the menus and the
        context menu, in the toolbar before Prune, enabled when *needs* holds ('any': a selection,
        'one': one row, 'tagged': one tagged row, '': always)."""
        if needs:
            self.extra_selection_actions.append(act)
            self._needs[act] = needs
        else:
            self.extra_global_actions.append(act)
        if in_toolbar:
            self.view.toolbar.insertAction(self._toolbar_tail, act)
        self._update_enabled()

    def menu_actions(self) -> list[QAction | None]:
        """Every action in menu order; None is a separator."""
        return ([self.run_action, self.details_action, self.copy_id_action, self.copy_ref_action, None,
                 self.tag_action, self.untag_action, self.save_action] + self.extra_selection_actions
                + [self.remove_action, None, self.build_action, self.load_action]
                + self.extra_global_actions + [self.prune_action, self.refresh_action])

    def fill_menu(self, menu: QMenu) -> None:
        for act in self.menu_actions():
            menu.addSeparator() if act is None else menu.addAction(act)

    def context_menu(self) -> QMenu:
        menu = QMenu(self.view)
        menu.setObjectName("imagesMenu")
        self.fill_menu(menu)
        return menu

    def _context_menu(self, pos) -> None:
        table = self.view.table
        index = table.indexAt(pos)
        selection = table.selectionModel()
        if index.isValid() and not selection.isSelected(index):  # a right-click acts on the row under it
            selection.setCurrentIndex(index, selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(table.viewport().mapToGlobal(pos))

    def _update_enabled(self, *_args) -> None:
        rows = self.view.selected_rows()
        applies = {"any": bool(rows), "one": len(rows) == 1,
                   "tagged": len(rows) == 1 and rows[0].repository != NONE and rows[0].tag != NONE}
        for act in self.extra_selection_actions:
            act.setEnabled(bool(rows))
        for act, need in self._needs.items():
            act.setEnabled(applies[need])

    def run_selected(self) -> None:
        rows = self.view.selected_rows()
        if len(rows) == 1:
            self.runRequested.emit(rows[0])

    def show_details(self) -> None:
        rows = self.view.selected_rows()
        if rows:
            self.details.show_image(rows if len(rows) > 1 else rows[0])
            self.details.setVisible(True)

    def copy_id(self) -> None:
        ids = dict.fromkeys(r.id for r in self.view.selected_rows())
        if ids:
            QGuiApplication.clipboard().setText("\n".join(ids))

    def copy_reference(self) -> None:
        refs = [r.reference for r in self.view.selected_rows()]
        if refs:
            QGuiApplication.clipboard().setText("\n".join(refs))

    def remove_selected(self) -> None:
        rows = self.view.selected_rows()
        if rows:
            anchor = self.view.selection_anchor()
            from desktop.ui.dialogs.remove_images_dialog import confirm_and_remove  # on first use

            dialog = confirm_and_remove(self._window, self._session, rows)
            dialog.removalFinished.connect(lambda _report: self.view.select_neighbour_when_gone(anchor))
            self._keep(dialog)

    def prune(self) -> None:
        from desktop.ui.dialogs.prune_dialog import confirm_and_prune  # on first use

        self._keep(confirm_and_prune(self._window, self._session))

    def tag_selected(self) -> None:
        from desktop.ui import tag_actions  # on first use

        rows = self.view.selected_rows()
        if not rows:
            return
        dialog = tag_actions.tag_image(self._window, self._session, rows[0])
        dialog.tagged.connect(lambda result: result.tagged and tag_actions.select_when_listed(
            self.view, result.image_id, result.tagged[0]))
        self._keep(dialog)

    def build(self, context_dir: str | None = None, dockerfile: str | None = None) -> None:
        from desktop.ui import tag_actions  # on first use

        dialog = tag_actions.build_image(self._window, self._session, context_dir, dockerfile)
        dialog.built.connect(lambda result: tag_actions.select_when_listed(
            self.view, result.image_id, result.tags[0] if result.tags else ""))
        self._keep(dialog)

    def save_selected(self) -> None:
        from desktop.ui import archive_actions  # on first use

        rows = self.view.selected_rows()
        if rows:
            self._keep(archive_actions.save_images(self._window, self._session, rows))

    def choose_and_load(self) -> None:
        from desktop.ui import archive_actions  # on first use

        self._keep(archive_actions.choose_and_load(self._window, self._session, on_loaded=self.show_loaded))

    def load(self, paths: list[str]) -> None:
        """Load these archive files (dropped on the window, or passed on the command line)."""
        from desktop.ui import archive_actions  # on first use

        self._keep(archive_actions.load_archives(self._window, self._session, paths, on_loaded=self.show_loaded))

    def show_loaded(self, references: list[str]) -> None:
        self.shown_loaded.emit(list(references))
        self.view.select_references(references)

    def untag_selected(self) -> tag_actions.UntagFlow | None:
        """Remove the selected row's tag."""
        rows = self.view.selected_rows()
        if len(rows) != 1 or rows[0].repository == NONE or rows[0].tag == NONE:
            return None
        return self.untag(rows[0].reference, rows[0].id)

    def untag(self, reference: str, image_id: str | None = None) -> tag_actions.UntagFlow:
        """Remove the tag *reference* of the image (by default the one the Details pane shows).
        When that tag's row is selected, its neighbour is selected once the list drops it."""
        from desktop.ui import tag_actions  # on first use

        anchor = self.view.selection_anchor()
        selected = [r.reference for r in self.view.selected_rows()]
        flow = tag_actions.untag(self._window, self._session, reference,
                                 image_id if image_id is not None else self.details.image_id)
        if reference in selected:
            flow.finished.connect(lambda result: result is not None and self.view.select_neighbour_when_gone(anchor))
        self._keep(flow)
        return flow

    def _keep(self, dialog) -> None:
        self.dialogs = [d for d in self.dialogs[-4:] if d is not None] + [dialog]
