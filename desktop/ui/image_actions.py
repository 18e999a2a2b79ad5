"""The actions on images (menu, context menu, shortcuts) and what each one opens. The main
window only places these actions; the decisions live in the dialogs they open."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from desktop.tasks.engine_session import EngineSession
from desktop.ui import archive_actions, tag_actions
from desktop.ui.dialogs.prune_dialog import confirm_and_prune
from desktop.ui.dialogs.remove_images_dialog import confirm_and_remove
from desktop.ui.image_details import ImageDetailsPane
from desktop.ui.images_view import ImagesView


class ImageActions(QObject):
    """Signals: shown_loaded(list[str]) -- a load finished; its references are being selected."""

    shown_loaded = Signal(list)

    def __init__(self, window: QWidget, session: EngineSession, view: ImagesView, details: ImageDetailsPane):
        super().__init__(window)
        self._window = window
        self._session = session
        self.view = view
        self.details = details
        self.dialogs: list = []  # the last dialogs opened, for tests and to keep them alive

        def action(text, slot, shortcut=None, context=Qt.ShortcutContext.WidgetWithChildrenShortcut):
            act = QAction(text, view)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(context)
                view.addAction(act)  # the shortcut works while the Images view has focus
            act.triggered.connect(slot)
            return act

        self.details_action = action("Show &details", self.show_details, Qt.Key.Key_Return)
        self.copy_id_action = action("Copy image &ID", self.copy_id)
        self.copy_ref_action = action("Copy &reference", self.copy_reference, "Ctrl+Shift+C")
        self.remove_action = action("&Remove…", self.remove_selected, QKeySequence.StandardKey.Delete)
        self.prune_action = action("&Prune dangling images…", self.prune)
        self.refresh_action = action("Re&fresh", view.feed.refresh)
        self.tag_action = action("&Tag…", self.tag_selected, "Ctrl+T")
        self.build_action = action("&Build image…", lambda: self.build(), "Ctrl+B", Qt.ShortcutContext.WindowShortcut)
        self.save_action = action("&Save to archive…", self.save_selected, QKeySequence.StandardKey.Save,
                                  Qt.ShortcutContext.WindowShortcut)
        self.load_action = action("&Load from archives…", self.choose_and_load, QKeySequence.StandardKey.Open,
                                  Qt.ShortcutContext.WindowShortcut)
        self.selection_actions = [self.details_action, self.copy_id_action, self.copy_ref_action, self.tag_action,
                                  self.save_action, self.remove_action]
        # actions that other features add (tag, run, save...) go into these lists before the separators
        self.extra_selection_actions: list[QAction] = []
        self.extra_global_actions: list[QAction] = []

        details.add_header_action(self.tag_action)
        details.untagRequested.connect(self.untag)

        view.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.table.customContextMenuRequested.connect(self._context_menu)
        view.table.doubleClicked.connect(lambda _index: self.show_details())
        view.table.selectionModel().selectionChanged.connect(self._update_enabled)
        self._update_enabled()

    def menu_actions(self) -> list[QAction | None]:
        """Every action in menu order; None is a separator."""
        return ([self.details_action, self.copy_id_action, self.copy_ref_action, None, self.tag_action,
                 self.save_action] + self.extra_selection_actions + [self.remove_action, None, self.build_action,
                                                                     self.load_action]
                + self.extra_global_actions + [self.prune_action, self.refresh_action])

    def fill_menu(self, menu: QMenu) -> None:
        for act in self.menu_actions():
            menu.addSeparator() if act is None else menu.addAction(act)

    def _context_menu(self, pos) -> None:
        menu = QMenu(self.view)
        self.fill_menu(menu)
        menu.popup(self.view.table.viewport().mapToGlobal(pos))

    def _update_enabled(self, *_args) -> None:
        has = bool(self.view.table.selectionModel().selectedRows())
        for act in self.selection_actions + self.extra_selection_actions:
            act.setEnabled(has)

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
            self._keep(confirm_and_remove(self._window, self._session, rows))

    def prune(self) -> None:
        self._keep(confirm_and_prune(self._window, self._session))

    def tag_selected(self) -> None:
        rows = self.view.selected_rows()
        if not rows:
            return
        dialog = tag_actions.tag_image(self._window, self._session, rows[0])
        dialog.tagged.connect(lambda result: result.tagged and tag_actions.select_when_listed(
            self.view, result.image_id, result.tagged[0]))
        self._keep(dialog)

    def build(self, context_dir: str | None = None, dockerfile: str | None = None) -> None:
        dialog = tag_actions.build_image(self._window, self._session, context_dir, dockerfile)
        dialog.built.connect(lambda result: tag_actions.select_when_listed(
            self.view, result.image_id, result.tags[0] if result.tags else ""))
        self._keep(dialog)

    def save_selected(self) -> None:
        rows = self.view.selected_rows()
        if rows:
            self._keep(archive_actions.save_images(self._window, self._session, rows))

    def choose_and_load(self) -> None:
        self._keep(archive_actions.choose_and_load(self._window, self._session, on_loaded=self.show_loaded))

    def load(self, paths: list[str]) -> None:
        """Load these archive files (dropped on the window, or passed on the command line)."""
        self._keep(archive_actions.load_archives(self._window, self._session, paths, on_loaded=self.show_loaded))

    def show_loaded(self, references: list[str]) -> None:
        self.shown_loaded.emit(list(references))
        self.view.select_references(references)

    def untag(self, reference: str) -> None:
        self._keep(tag_actions.untag(self._window, self._session, reference, self.details.image_id))

    def _keep(self, dialog) -> None:
        self.dialogs = [d for d in self.dialogs[-4:] if d is not None] + [dialog]
