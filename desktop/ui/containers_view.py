"""The Containers view: running containers, or all of them like ``docker ps -a``, optionally grouped
by compose project, with the lifecycle actions in a toolbar, a context menu and shortcuts.

Actions work on the selection; a selected compose project stands for all its containers. Ports
that map to a host port are links: a click opens the address in the browser (a menu when there
are several). While the view is on screen, a sampler measures the running containers in view
for the CPU and Memory columns: every 5 s while its window is the active one, every 15 s while
the window is behind another, not at all when the view is hidden or the window minimised (so an
idle Berth in the background costs next to nothing; desktop/ui/window_attention.py).

Statuses ("Up 3 seconds") are worded from each row's anchor (``models/containers_model.py``):
while the view is on screen a tick (each second; each 10 s while the window is not active)
rewords the Status cells of the rows in view, and asks once for the exact start of rows whose
wording was coarse. Neither lists anything.

Signals:
  selectedRowsChanged(list)  -- the ContainerRows now selected (a project counts as its members)
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHeaderView, QLabel, QMenu, QSizePolicy, QToolBar,
                               QTreeView, QWidget)

from desktop.engine.containers import ContainerRow
from desktop.engine.file_copy import IN, OUT
from desktop.engine.stats import StatsSampler
from desktop.models.compose_groups import GROUP_ROLE, MEMBERS_ROLE, ComposeGroupsModel
from desktop.models.containers_model import PORT_URLS_ROLE, ContainersModel
from desktop.models.keyed_table import ROW_ROLE
from desktop.tasks.live_feed import LiveFeed
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.operations import STREAM, Operation
from desktop.tasks.task import Task
from desktop.ui.container_actions import ContainerActions, applicable
from desktop.ui.list_page import ListPage
from desktop.ui.problem_style import mark_problem
from desktop.ui.window_attention import ACTIVE, CLOCK_TICK_MS, HIDDEN, INACTIVE, WindowAttention

MAX_SAMPLED = 48  # running containers measured at once (the rows in view)
STATUS_TICK_MS = CLOCK_TICK_MS[ACTIVE]  # the Status cells of the rows in view are reworded this often
# while the window is active / on screen but not active: seconds between usage samples (each
# sample of each container is a request: ~1-3 ms of CPU here), and milliseconds between looks at
# which rows are in view (to reword their statuses and tell the sampler which to measure)
SAMPLE_PERIOD_S = {ACTIVE: 5.0, INACTIVE: 15.0}
TICK_MS = CLOCK_TICK_MS

# action name -> (menu text, shortcut, tooltip)
_ACTIONS = (
    ("start", "&Start", "Ctrl+Shift+S", "Start the selected containers"),
    ("stop", "S&top", "Ctrl+Shift+X", "Stop the selected containers (SIGTERM, then SIGKILL after their timeout)"),
    ("restart", "&Restart", "Ctrl+Shift+R", "Restart the selected containers"),
    ("pause", "&Pause", "Ctrl+Shift+P", "Freeze the processes of the selected containers"),
    ("unpause", "Res&ume", "Ctrl+Shift+U", "Resume paused containers"),
    ("kill", "&Kill…", "Ctrl+Shift+K", "Send a signal (SIGKILL by default) to the selected containers"),
    ("remove", "Re&move…", "Delete", "Remove the selected containers"),
    ("rename", "Re&name…", "F2", "Rename the container"),
    ("shell", "Open s&hell", "Ctrl+Shift+T", "Open a shell in the container (Terminal tab)"),
    ("commit", "&Commit to image…", "", "Save the container's changes as a new image"),
    ("copy_out", "Copy &from container…", "", "Copy a file or folder out of the container (docker cp)"),
    ("copy_in", "Copy &into container…", "", "Copy a local file or folder into the container (docker cp)"),
    ("stop_timeout", "Stop with &timeout…", "", "Stop, choosing how long to wait before killing"),
    ("prune", "Prune s&topped…", "", "Remove all stopped containers, after a preview"),
)


class ContainersView(ListPage):
    noun = "containers"
    empty_text = "No containers. Run one from an image in the Images view."
    filter_hint = "Filter by name, image, ID, status or project"
    toggle_text = "Show &stopped containers"
    toggle_tip = "Also list stopped containers, like 'docker ps -a'"
    toggle_option = "all_containers"

    selectedRowsChanged = Signal(list)

    def __init__(self, model: ContainersModel, feed: LiveFeed, parent=None, session: EngineSession | None = None):
        M = ContainersModel
        super().__init__(model, feed, "containers", {M.NAME: 150, M.IMAGE: 130, M.COMMAND: 100, M.STATUS: 255,
                                                     M.CPU: 60, M.MEMORY: 75, M.CREATED: 110, M.PORTS: 165},
                         M.CREATED, parent, age_column=M.CREATED)
        self.session: EngineSession = session if session is not None else feed.session
        self.actions_ = ContainerActions(self.session, self)
        self.toggle.setChecked(True)

        # grouped view: a tree over the same filtered, sorted rows
        self.groups = ComposeGroupsModel(self.proxy, M.NAME, M.STATUS, self)
        self.groups.set_following(False)  # until the list is grouped (set_grouped)
        self.tree = QTreeView()
        self.tree.setObjectName("containersTree")
        self.tree.setModel(self.groups)
        self.tree.setSortingEnabled(True)
        self.tree.header().setSortIndicator(M.CREATED, Qt.SortOrder.DescendingOrder)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column in range(M.PROJECT):
            self.tree.header().resizeSection(column, self.table.horizontalHeader().sectionSize(column))
        self._stack.addWidget(self.tree)
        self._collapsed: set[str] = set()
        self.tree.collapsed.connect(lambda i: self._collapsed.add(i.data(GROUP_ROLE) or ""))
        self.tree.expanded.connect(lambda i: self._collapsed.discard(i.data(GROUP_ROLE) or ""))
        self.groups.layoutChanged.connect(self._expand_groups)
        self.groups.modelReset.connect(self._expand_groups)

        self.group_box = QCheckBox("&Group by compose project")
        self.group_box.setObjectName("containersGroup")
        self.group_box.setToolTip("Show the containers of each compose project (com.docker.compose.project) "
                                  "under one row; actions on that row apply to the whole project")
        self.group_box.toggled.connect(self.set_grouped)

        self.toolbar = QToolBar()
        self.toolbar.setObjectName("containersToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.action: dict[str, QAction] = {}
        for name, text, shortcut, tip in _ACTIONS:
            act = QAction(text, self)
            act.setObjectName(f"containers_{name}")
            act.setToolTip(tip + (f" ({shortcut})" if shortcut else ""))
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(lambda _=False, n=name: self.trigger(n))
            self.addAction(act)
            self.action[name] = act
        for name in ("start", "stop", "restart", "pause", "unpause", "kill", "remove", "shell"):
            self.toolbar.addAction(self.action[name])
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.action["prune"])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addWidget(self.group_box)
        self.status_label = QLabel()
        self.status_label.setObjectName("containersActionStatus")
        self.layout().insertWidget(0, self.toolbar)
        self.layout().addWidget(self.status_label)
        self.actions_.runStarted.connect(lambda result: self.select_when_listed(result.id))
        self.actions_.done.connect(self._on_done)
        self.actions_.failed.connect(self._on_failed_action)
        self.actions_.stopAsked.connect(model.mark_stopping)
        self.actions_.stopEnded.connect(model.end_stopping)

        for view in (self.table, self.tree):
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            view.customContextMenuRequested.connect(lambda pos, v=view: self._menu(v, pos))
            view.clicked.connect(self._on_clicked)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.tree.selectionModel().selectionChanged.connect(self._selection_changed)
        model.dataChanged.connect(self._on_data_changed)
        model.rowsRemoved.connect(lambda *_: self._selection_changed())

        # the usage sampler and the status tick: only while the view is on screen, slower while
        # its window is not the active one
        self.sampler: StatsSampler | None = None
        self.sampler_task: Task | None = None
        self.attention = WindowAttention(self)
        self.attention.changed.connect(lambda _state: self._follow_attention())
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_TICK_MS)
        self._status_timer.timeout.connect(self.tick_status)
        self.session.connected.connect(self._on_connected)
        self.session.disconnected.connect(lambda _e: self._stop_sampler())
        if self.session.info is not None:
            model.engine_host = self.session.info.endpoint.host
        self._update_actions()

    # --- grouping -------------------------------------------------------------------------------
    @property
    def grouped(self) -> bool:
        """The tree is shown (ListPage asks before this view is built: then not)."""
        return getattr(self, "_shown_grouped", False)

    def set_grouped(self, grouped: bool) -> None:
        if self.group_box.isChecked() != grouped:
            self.group_box.setChecked(grouped)  # comes back here through toggled
            return
        if grouped == self.grouped:
            return
        keys = [r.key for r in self.selected_rows()]  # in the view shown until now
        self._shown_grouped = grouped
        self.groups.set_following(grouped)
        self._update_empty()
        self._expand_groups()
        if keys:
            self.select_keys(keys, focus=False)
        self._selection_changed()

    def _expand_groups(self, *_args) -> None:
        for project in self.groups.projects():
            if project not in self._collapsed:
                self.tree.setExpanded(self.groups.group_index(project), True)

    def _update_empty(self, *_args) -> None:
        super()._update_empty(*_args)
        if self.grouped and self._stack.currentWidget() is self.table:
            self._stack.setCurrentWidget(self.tree)

    @property
    def current_view(self) -> QAbstractItemView:
        return self.tree if self.grouped else self.table

    # --- selection ------------------------------------------------------------------------------
    def selected_rows(self) -> list[ContainerRow]:
        if not self.grouped:
            return super().selected_rows()
        rows: dict[str, ContainerRow] = {}
        for index in self.tree.selectionModel().selectedRows():
            for row in index.data(MEMBERS_ROLE) or []:
                rows.setdefault(row.key, row)
        return list(rows.values())

    def selected_groups(self) -> list[str]:
        if not self.grouped:
            return []
        return [i.data(GROUP_ROLE) for i in self.tree.selectionModel().selectedRows() if i.data(GROUP_ROLE)]

    def select_keys(self, keys, focus: bool = True) -> int:
        if not self.grouped:
            return super().select_keys(keys, focus)
        keys = list(keys)
        if self.filter_edit.text() and any(not self.groups.index_for_key(k).isValid() for k in keys
                                           if self.model.row_for_key(k) >= 0):
            self.filter_edit.clear()
        selection = self.tree.selectionModel()
        selection.clearSelection()
        first = None
        found = 0
        for key in keys:
            index = self.groups.index_for_key(key)
            if index.isValid():
                found += 1
                if index.parent().isValid():
                    self.tree.setExpanded(index.parent(), True)
                selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
                first = first or index
        if first is not None:
            selection.setCurrentIndex(first, selection.SelectionFlag.NoUpdate)
            self.tree.scrollTo(first)
            if focus:
                self.tree.setFocus()
        return found

    def selection_models(self):
        return [self.table.selectionModel(), self.tree.selectionModel()]

    def select_group(self, project: str) -> bool:
        index = self.groups.group_index(project)
        if not index.isValid():
            return False
        selection = self.tree.selectionModel()
        selection.select(index, selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
        selection.setCurrentIndex(index, selection.SelectionFlag.NoUpdate)
        return True

    def _selection_changed(self, *_args) -> None:
        self._update_actions()
        self.selectedRowsChanged.emit(self.selected_rows())

    def _on_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, _roles=()) -> None:
        """A listing changed a selected row (state, status): actions and the details follow. Usage
        figures (the CPU and Memory cells only) change nothing else."""
        if top_left.column() != 0:
            return
        selected = {r.key for r in self.selected_rows()}
        if any(self.model.row_at(r).key in selected for r in range(top_left.row(), bottom_right.row() + 1)):
            self._selection_changed()

    def _update_actions(self) -> None:
        rows = self.selected_rows()
        one = len(rows) == 1
        for name in ("start", "stop", "restart", "pause", "unpause", "kill"):
            self.action[name].setEnabled(bool(applicable(name, rows)))
        self.action["stop_timeout"].setEnabled(bool(applicable("stop", rows)))
        self.action["remove"].setEnabled(bool(rows))
        self.action["rename"].setEnabled(one)
        self.action["commit"].setEnabled(one)
        self.action["copy_out"].setEnabled(one)
        self.action["copy_in"].setEnabled(one)
        self.action["shell"].setEnabled(one and rows[0].state == "running")

    # --- actions --------------------------------------------------------------------------------
    def trigger(self, name: str):
        """Run the action *name* on the selection (as its button, menu entry or shortcut does)."""
        rows = self.selected_rows()
        a = self.actions_
        if name in ("start", "restart", "pause", "unpause"):
            return a.act(name, rows)
        if name == "stop":
            return a.stop(rows)
        if name == "stop_timeout":
            return a.ask_stop(rows)
        if name == "kill":
            return a.ask_kill(rows)
        if name == "remove":
            return a.ask_remove(rows)
        if name == "rename":
            return a.ask_rename(rows[0] if len(rows) == 1 else None)
        if name == "commit":
            return a.ask_commit(rows[0] if len(rows) == 1 else None)
        if name in ("copy_out", "copy_in"):
            return a.ask_copy(rows[0] if len(rows) == 1 else None, OUT if name == "copy_out" else IN)
        if name == "shell":
            if len(rows) == 1 and rows[0].state == "running":
                a.open_shell()
            return None
        if name == "prune":
            return a.ask_prune()
        return None

    def _on_failed_action(self, _action: str, error) -> None:
        self.status_label.setText(str(error).splitlines()[0])
        mark_problem(self.status_label)

    def _on_done(self, action: str, result) -> None:
        mark_problem(self.status_label, False)
        summary = getattr(result, "summary", None)
        if summary:
            self.status_label.setText(f"{summary}.")
        elif action == "rename":
            self.status_label.setText(f"Renamed to {result}.")
        elif action == "commit":
            self.status_label.setText(f"Committed as {result.reference}.")
        elif action == "prune":
            self.status_label.setText(f"{result[0].summary}.")
        elif action.startswith("copy_"):
            self.status_label.setText(f"Copied to {result}.")

    def _menu(self, view: QAbstractItemView, pos: QPoint) -> None:
        index = view.indexAt(pos)
        if index.isValid() and not view.selectionModel().isSelected(index):
            view.selectionModel().select(index, view.selectionModel().SelectionFlag.ClearAndSelect
                                         | view.selectionModel().SelectionFlag.Rows)
        menu = self.context_menu()
        menu.popup(view.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        rows = self.selected_rows()
        menu = QMenu(self)
        menu.setObjectName("containersMenu")
        groups = self.selected_groups()
        if groups:
            title = menu.addAction(f"Project {', '.join(groups)} ({len(rows)} containers)")
            title.setEnabled(False)
            menu.addSeparator()
        for name in ("start", "stop", "stop_timeout", "restart", "pause", "unpause", "kill"):
            menu.addAction(self.action[name])
        menu.addSeparator()
        for name in ("shell", "rename", "commit", "copy_out", "copy_in"):
            menu.addAction(self.action[name])
        menu.addSeparator()
        urls = [u for r in rows for u in self.model.port_urls(r)]
        for url in urls[:8]:
            menu.addAction(f"Open {url}", lambda u=url: self.open_url(u))
        if rows:
            menu.addAction("Copy &ID" if len(rows) == 1 else "Copy &IDs",
                           lambda: self._copy("\n".join(r.id for r in rows)))
            menu.addAction("Copy na&me" if len(rows) == 1 else "Copy na&mes",
                           lambda: self._copy("\n".join(r.name for r in rows)))
        menu.addSeparator()
        menu.addAction(self.action["remove"])
        menu.addAction(self.action["prune"])
        return menu

    @staticmethod
    def _copy(text: str) -> None:
        QGuiApplication.clipboard().setText(text)

    # --- ports ----------------------------------------------------------------------------------
    def _on_clicked(self, index: QModelIndex) -> None:
        if index.column() != ContainersModel.PORTS:
            return
        urls = index.data(PORT_URLS_ROLE) or []
        if len(urls) == 1:
            self.open_url(urls[0])
        elif urls:
            menu = QMenu(self)
            menu.setObjectName("portsMenu")
            for url in urls:
                menu.addAction(url, lambda u=url: self.open_url(u))
            view = self.current_view
            menu.popup(view.viewport().mapToGlobal(view.visualRect(index).bottomLeft()))

    def open_url(self, url: str) -> bool:
        self.status_label.setText(f"Opening {url}")
        return QDesktopServices.openUrl(QUrl(url))

    # --- usage sampler --------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.attention.watch()
        self._follow_attention()
        self.tick_status()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.attention.update()
        self._follow_attention()

    def _follow_attention(self) -> None:
        """Sample and tick as often as the window's attention deserves: none when hidden."""
        state = self.attention.state if self.isVisible() else HIDDEN
        if state == HIDDEN:
            self._stop_sampler()
            self._status_timer.stop()
            return
        if not self._status_timer.isActive():
            self._status_timer.start(TICK_MS[state])
        elif self._status_timer.interval() != TICK_MS[state]:
            self._status_timer.setInterval(TICK_MS[state])
            self.tick_status()  # back to the window: reword now, not at the next tick
        if self.sampler is not None:
            self.sampler.set_period(SAMPLE_PERIOD_S[state])
        self._start_sampler()

    # --- status wording -------------------------------------------------------------------------
    def tick_status(self) -> None:
        """Reword the Status cells of the rows in view against the clock as it is now."""
        rows = self.rows_in_view()
        self.model.touch_status(r for r in (self.model.row_for_key(row.key) for row in rows) if r >= 0)
        refine = getattr(self.feed, "refine_anchors", None)
        if refine is not None:
            refine(rows)
        self._update_wanted(rows)  # the same look at the rows in view tells the sampler which to measure

    def _on_connected(self, info) -> None:
        self.model.engine_host = info.endpoint.host
        if self.isVisible():
            self._follow_attention()

    def rows_in_view(self) -> list[ContainerRow]:
        """The rows visible on screen now (for the sampler)."""
        view = self.current_view
        rows = []
        if view is self.table:
            first = max(0, self.table.rowAt(0))
            last = self.table.rowAt(self.table.viewport().height() - 1)
            last = self.proxy.rowCount() - 1 if last < 0 else last
            for r in range(first, min(last + 1, first + MAX_SAMPLED * 2)):
                row = self.proxy.index(r, 0).data(ROW_ROLE)
                if row is not None:
                    rows.append(row)
        else:
            index = self.tree.indexAt(QPoint(1, 1))
            height = self.tree.viewport().height()
            while index.isValid() and self.tree.visualRect(index).top() < height and len(rows) < MAX_SAMPLED * 2:
                row = index.data(ROW_ROLE)
                if row is not None:
                    rows.append(row)
                index = self.tree.indexBelow(index)
        return rows

    def _update_wanted(self, rows: list[ContainerRow] | None = None) -> None:
        if self.sampler is not None:
            rows = self.rows_in_view() if rows is None else rows
            running = [r.id for r in rows if r.state == "running"][:MAX_SAMPLED]
            self.sampler.set_wanted(running)

    def _start_sampler(self) -> None:
        factory = self.session.factory
        if (self.sampler_task is not None or self.attention.state == HIDDEN or self.session.state != CONNECTED
                or factory is None):
            return
        self.sampler = StatsSampler(lambda: factory.new_client(timeout=30),
                                    period=SAMPLE_PERIOD_S[self.attention.state])
        self._update_wanted()
        self.sampler_task = Operation(self.session, "Measuring the running containers", container_tasks.sample_usage,
                                      self.sampler, kind=STREAM).owned_by(self) \
            .on_items(self._on_usage).on_finish(self._on_sampler_finished).run()

    def _stop_sampler(self) -> None:
        if self.sampler_task is not None:
            self.sampler_task.cancel()
            self.sampler_task = None
        self.sampler = None
        self.model.clear_usage()

    def _on_usage(self, rounds: list[dict]) -> None:
        """One or more rounds of samples (several when the GUI thread was busy): the latest wins."""
        merged: dict = {}
        for samples in rounds:
            merged.update(samples)
        self.model.set_usage(merged)

    def _on_sampler_finished(self) -> None:
        if self.sampler_task is not None and self.sampler_task.state.done:
            self.sampler_task = None
