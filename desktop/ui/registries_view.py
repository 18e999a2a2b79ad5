"""The Registries view: Docker Hub, the registries the docker CLI's configuration names and those
added in Berth, each with who is signed in there, and a right-hand area for what the selected
registry holds (``set_detail_widget``: the registry browser goes there).

Its actions (toolbar, context menu, shortcuts while the list has focus): Add registry… (Ctrl+N),
Sign in… (Ctrl+L), Sign out (Ctrl+Shift+O), Remove (Delete; only registries added in Berth: the
CLI's own entries are the CLI's to change), Refresh. The list is read in a HOUSEKEEPING
operation, again whenever the CLI's configuration folder or Berth's list changes on disk (a
``docker login`` in a terminal shows here at once); signing in and out are USER operations.

Signals: registrySelected(str, str) -- the selected registry's host and CA file ("", "" when
none); emitted whenever the selection changes.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QFileSystemWatcher, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QLabel, QMenu, QSplitter, QToolBar,
                               QVBoxLayout, QWidget)

from desktop.engine.docker_config import DOCKER_HUB, config_path
from desktop.engine.errors import BerthError
from desktop.engine.registry_list import RegistryEntry, registries_file
from desktop.models.registries_model import RegistriesModel, account_text, kept_phrase, registry_title
from desktop.tasks import registry_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, USER, Operation
from desktop.tasks.task import Task
from desktop.ui.list_page import list_table
from desktop.ui.problem_style import mark_problem

PLACEHOLDER = "Choose a registry to see what it holds."
WATCH_DELAY_MS = 200  # a burst of file changes (an atomic rewrite is several) reads the list once


def _config_file() -> str:
    """The CLI's config.json, with the home folder as ~ (a path computed, no disk touched)."""
    path = str(config_path())
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if home != "/" and path.startswith(home + os.sep) else path


class RegistriesView(QWidget):
    registrySelected = Signal(str, str)

    def __init__(self, session: EngineSession, parent: QWidget | None = None, dialog_parent: QWidget | None = None):
        """*dialog_parent* parents the dialogs (the main window); by default this view."""
        super().__init__(parent)
        self.setObjectName("registriesView")
        self.session = session
        self._dialog_parent = dialog_parent
        self.model = RegistriesModel(self)
        self.model.sort(RegistriesModel.REGISTRY)
        self.load_task: Task | None = None
        self.loaded_once = False
        self._dirty = False
        self._want_selected = ""
        self.dialogs: list = []  # the last dialogs opened, for tests and to keep them alive
        self._selected = ("", "")

        # --- the list ------------------------------------------------------------------------
        self.table = list_table("registriesTable", self.model, {
            RegistriesModel.REGISTRY: 170, RegistriesModel.ACCOUNT: 125, RegistriesModel.STORE: 85},
            QAbstractItemView.SelectionMode.SingleSelection)
        # where a registry comes from is in its tooltip: beside the browser the list stays narrow
        self.table.setColumnHidden(RegistriesModel.ORIGIN, True)
        self.status = QLabel()
        self.status.setObjectName("registriesStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setVisible(False)

        self.list_pane = QWidget()
        self.list_pane.setObjectName("registriesList")
        self.toolbar = QToolBar()
        self.toolbar.setObjectName("registriesToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        left = QVBoxLayout(self.list_pane)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.toolbar)
        left.addWidget(self.table, 1)
        left.addWidget(self.status)

        # --- the selected registry ---------------------------------------------------------------
        self.detail_pane = QWidget()
        self.detail_pane.setObjectName("registryDetail")
        self.summary = QLabel()
        self.summary.setObjectName("registrySummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setObjectName("registryPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.detail_widget: QWidget | None = None
        self._detail_box = QVBoxLayout(self.detail_pane)
        self._detail_box.setContentsMargins(0, 0, 0, 0)
        self._detail_box.addWidget(self.summary)
        self._detail_box.addWidget(self.placeholder, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("registriesSplitter")
        self.splitter.addWidget(self.list_pane)
        self.splitter.addWidget(self.detail_pane)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setCollapsible(0, False)
        self.splitter.setSizes([440, 760])  # in proportion: the browser's three panes need the room
        box = QVBoxLayout(self)
        box.addWidget(self.splitter)

        # --- actions -----------------------------------------------------------------------------
        def action(name, text, slot, tip, shortcut=None):
            act = QAction(text, self.list_pane)
            act.setObjectName(f"registries_{name}")
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.list_pane.addAction(act)  # while the list has focus, not the browser beside it
                tip += f" ({act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
            act.setToolTip(tip)
            act.setStatusTip(tip)
            act.triggered.connect(slot)
            return act

        self.add_action = action("add", "&Add registry…", self.add_registry,
                                 "Add a registry (host and port, and its CA certificate if a private CA signed it)",
                                 "Ctrl+N")
        self.sign_in_action = action("sign_in", "&Sign in…", self.sign_in_selected,
                                     "Sign in to the selected registry, as 'docker login' does", "Ctrl+L")
        self.sign_out_action = action("sign_out", "Sign &out", self.sign_out_selected,
                                      "Sign out of the selected registry, as 'docker logout' does", "Ctrl+Shift+O")
        self.remove_action = action("remove", "&Remove", self.remove_selected,
                                    "Take the selected registry off Berth's list (its account stays)",
                                    QKeySequence.StandardKey.Delete)
        self.refresh_action = action("refresh", "Re&fresh", self.refresh,
                                     "Read the docker CLI's accounts and Berth's registries again")
        self.add_action.setIconText("Add…")
        self.sign_in_action.setIconText("Sign in…")
        for act in (self.add_action, self.remove_action, None, self.sign_in_action, self.sign_out_action, None,
                    self.refresh_action):
            self.toolbar.addSeparator() if act is None else self.toolbar.addAction(act)

        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(lambda _index: self._activated())
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.dataChanged.connect(self._on_selection)
        self.model.rowsRemoved.connect(self._on_selection)

        # a docker login in a terminal, or a second Berth, changes these files: read them again
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda _path: self._soon.start())
        self._watcher.fileChanged.connect(lambda _path: self._soon.start())
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(WATCH_DELAY_MS)
        self._soon.timeout.connect(self.refresh)
        self._update_actions()
        self.refresh()

    # --- public --------------------------------------------------------------------------------
    def set_detail_widget(self, widget: QWidget | None) -> None:
        """Show *widget* (the registry browser) right of the list, below the summary, in place of
        the placeholder (None: the placeholder again)."""
        if self.detail_widget is not None:
            self._detail_box.removeWidget(self.detail_widget)
            self.detail_widget.setParent(None)
        self.detail_widget = widget
        if widget is not None:
            self._detail_box.addWidget(widget, 1)
            widget.show()  # a child added to a shown widget stays hidden until told
        self.placeholder.setVisible(widget is None)

    def menu_actions(self) -> list[QAction | None]:
        """Every action in menu order (for a Registries menu); None is a separator."""
        return [self.sign_in_action, self.sign_out_action, None, self.add_action, self.remove_action, None,
                self.refresh_action]

    def fill_menu(self, menu: QMenu) -> None:
        for act in self.menu_actions():
            menu.addSeparator() if act is None else menu.addAction(act)

    def selected_row(self) -> RegistryEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_host(self, host: str) -> bool:
        """Select *host*'s row now, or once the next listing brings it."""
        row = self.model.row_for_key(host)
        if row < 0:
            self._want_selected = host
            return False
        self._want_selected = ""
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        return True

    def refresh(self) -> None:
        """Read the accounts and the list again (in a worker), or right after the reading under way."""
        if self.load_task is not None and not self.load_task.state.done:
            self._dirty = True
            return
        self._dirty = False
        self._watch()
        self.load_task = Operation(self.session, "Listing registries", registry_tasks.load_registries,
                                   self.session.factory, kind=HOUSEKEEPING, needs_engine=False,
                                   action="list the registries") \
            .owned_by(self).on_success(self._on_loaded).on_failure(self._on_load_failed) \
            .on_finish(self._on_load_finished).run()

    # --- actions -------------------------------------------------------------------------------
    def add_registry(self):
        from desktop.ui.dialogs.add_registry_dialog import add_registry  # on first use

        dialog = add_registry(self._parent_for_dialogs(), self.session,
                              frozenset(r.host for r in self.model.rows()))
        dialog.added.connect(self._on_added)
        self._keep(dialog)
        return dialog

    def sign_in_selected(self):
        row = self.selected_row()
        if row is None:
            return None
        from desktop.ui.dialogs.sign_in_dialog import sign_in  # on first use

        dialog = sign_in(self._parent_for_dialogs(), self.session, row.host, row.username,
                         kept_phrase(row, _config_file()))
        dialog.signedIn.connect(self._on_signed_in)
        self._keep(dialog)
        return dialog

    def sign_out_selected(self) -> Task | None:
        row = self.selected_row()
        if row is None or not row.signed_in:
            return None
        host = row.host
        self._say(f"Signing out of {registry_title(row)}…")
        return Operation(self.session, f"Signing out of {host}", registry_tasks.sign_out, host, self.session.factory,
                         kind=USER, needs_engine=False, action=f"sign out of {host}") \
            .owned_by(self).on_success(lambda _erased: self._after_change(f"Signed out of {registry_title(row)}.")) \
            .on_failure(lambda error: self._say(str(error), error=True)).run()

    def remove_selected(self) -> Task | None:
        row = self.selected_row()
        if row is None or not row.user_added:
            return None
        still = " It stays listed: the docker CLI's configuration names it." if row.username or row.helper else ""
        return Operation(self.session, f"Removing registry {row.host}", registry_tasks.remove_registry, row.host,
                         kind=HOUSEKEEPING, needs_engine=False, action=f"remove the registry {row.host}") \
            .owned_by(self).on_success(lambda _removed: self._after_change(f"Removed {row.host} from Berth's list."
                                                                          + still)) \
            .on_failure(lambda error: self._say(str(error), error=True)).run()

    # --- inside --------------------------------------------------------------------------------
    def _parent_for_dialogs(self) -> QWidget:
        return self._dialog_parent if self._dialog_parent is not None else self

    def _keep(self, dialog) -> None:
        self.dialogs = [d for d in self.dialogs[-4:] if d is not None] + [dialog]

    def _watch(self) -> None:
        """Watch the CLI's configuration folder and Berth's, where they exist (a folder made
        later is picked up at the next listing)."""
        wanted = [str(config_path().parent), str(registries_file().parent)]
        have = set(self._watcher.directories())
        for path in wanted:
            if path not in have and os.path.isdir(path):
                self._watcher.addPath(path)

    def _on_loaded(self, rows: list[RegistryEntry]) -> None:
        self.model.apply(rows)
        self.loaded_once = True
        if self.status.property("listProblem"):
            self._say("")
        if self._want_selected:
            self.select_host(self._want_selected)
        self._on_selection()

    def _on_load_failed(self, error: BerthError) -> None:
        self._say(f"Could not read the registries: {error}", error=True)
        self.status.setProperty("listProblem", True)

    def _on_load_finished(self) -> None:
        if self._dirty:
            self.refresh()

    def _on_added(self, entry) -> None:
        self._want_selected = entry.host
        self._after_change(f"Added {entry.host}." + ("" if entry.ca_file else " Sign in to it if it asks for an "
                                                                                "account."))

    def _on_signed_in(self, result) -> None:
        self._after_change(f"Signed in to {result.host} as {result.username}; kept by {result.stored_in}.")

    def _after_change(self, message: str) -> None:
        self._say(message)
        self.refresh()

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setProperty("listProblem", False)
        self.status.setText(text)
        self.status.setVisible(bool(text))
        mark_problem(self.status, error)

    def _activated(self) -> None:
        row = self.selected_row()
        if row is not None and not row.signed_in:
            self.sign_in_selected()

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if index.isValid():
            self.table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        menu = QMenu(self.table)
        menu.setObjectName("registriesMenu")
        self.fill_menu(menu)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _on_selection(self, *_args) -> None:
        row = self.selected_row()
        self._update_actions()
        self._show_summary(row)
        selected = (row.host, row.ca_file) if row is not None else ("", "")
        if selected != self._selected:
            self._selected = selected
            self.registrySelected.emit(*selected)

    def _update_actions(self) -> None:
        row = self.selected_row()
        self.sign_in_action.setEnabled(row is not None)
        self.sign_in_action.setText("&Sign in…" if row is None or not row.signed_in else "&Sign in again…")
        self.sign_out_action.setEnabled(row is not None and row.signed_in)
        self.remove_action.setEnabled(row is not None and row.user_added and row.host != DOCKER_HUB)

    def _show_summary(self, row: RegistryEntry | None) -> None:
        if row is None:
            self.summary.setText("")
            self.summary.setVisible(False)
            return
        lines = [f"{registry_title(row)} — {account_text(row)}",
                 f"Its account is kept {kept_phrase(row, _config_file())}."]
        if row.problem:
            lines.append(row.problem)
        if row.ca_file:
            lines.append(f"CA certificate: {row.ca_file}")
        self.summary.setText("\n".join(lines))
        self.summary.setVisible(True)
