"""The details of the selected container, under the containers list: Logs, Stats, Terminal and
Inspect tabs.

Streams run only while someone looks at them: the log is followed while the Logs tab is shown,
the stats stream runs while the Stats tab is shown, and both stop when another container is
selected, another tab is chosen or the pane is hidden (another view). A shell session stays open
while the pane is hidden, and ends when another container is selected. A container that is not
running has no shell: the Terminal tab says so and offers to start it (the same start as the
toolbar's), then opens the shell once the list shows it running. Every stream is an operation of
its own; a batch from a stream that was replaced is dropped, so switching quickly never mixes two
containers' output. The pane keeps no copy of the row's state: the list sends the selected row
again whenever it changes.

Signals:
  loaded(str)          -- the Inspect tab shows this container id (after every load)
  logEnded(str)        -- the log of this container id ended (it stopped, or follow is off)
  shellStarted(str)    -- a shell session is open in this container id
  shellEnded(str, object) -- the session in this container id ended (ShellEnd or a BerthError)
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QStackedWidget, QTabWidget, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from desktop.engine.containers import ContainerDetails, ContainerRow
from desktop.engine.errors import BerthError, NotFound
from desktop.engine.events import EngineEvent
from desktop.engine.exec_shell import ExecShell, ShellEnd
from desktop.models.containers_model import status_text
from desktop.models.formatting import human_size
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.operations import HOUSEKEEPING, STREAM, Operation
from desktop.tasks.stream import OPENED
from desktop.tasks.task import Task
from desktop.ui.container_actions import ContainerActions
from desktop.ui.details_header import message_label, message_stack, subtitle_label, title_label
from desktop.ui.json_view import JsonView
from desktop.ui.log_view import LogView
from desktop.ui.stats_charts import StatsView
from desktop.ui.terminal_widget import TerminalWidget
from desktop.ui.window_attention import CLOCK_TICK_MS, HIDDEN, WindowAttention

LOGS, STATS, TERMINAL, INSPECT = range(4)
_COUNTED = ("Environment", "Ports", "Mounts", "Networks", "Labels")  # sections whose size says something


def no_shell_reason(row: ContainerRow) -> tuple[str, str | None]:
    """Why a container that is not running has no shell, and the action that would give it one
    ("start", "unpause", or None while the engine is busy with it)."""
    if row.state == "paused":
        return f"{row.name} is paused: its processes are frozen, so no shell can run. Resume it to open one.", "unpause"
    if row.state in ("restarting", "removing"):
        return f"{row.name} is {row.state}, so it has no shell yet. Wait until it runs.", None
    if row.state == "created":
        why = "it was created but never started"
    elif row.exit_code is not None:
        why = f"it exited with code {row.exit_code}"
    else:
        why = f"it is {row.state or 'stopped'}"
    return f"{row.name} is not running ({why}), so it has no shell. Start it to open one.", "start"


class ContainerDetailsPane(QWidget):
    loaded = Signal(str)
    logEnded = Signal(str)
    shellStarted = Signal(str)
    shellEnded = Signal(str, object)

    def __init__(self, session: EngineSession, parent=None):
        super().__init__(parent)
        self.setObjectName("containerDetails")
        self._session = session
        self._row: ContainerRow | None = None
        self.log_task: Task | None = None
        self.stats_task: Task | None = None
        self.shell_task: Task | None = None
        self.inspect_task: Task | None = None
        self.shell: ExecShell | None = None
        self._shell_container = ""
        self._inspect_dirty = False
        self._shell_after_start = ""  # the container Start was pressed for: open its shell once it runs
        self.actions = ContainerActions(session, self)
        self.actions.failed.connect(self._on_start_failed)
        self._log_state = "idle"  # idle: start when shown; running; ended: the log ended by itself
        self.details: ContainerDetails | None = None

        self.message = message_label("containerDetailsMessage")
        self.title = title_label("containerDetailsTitle")
        self.subtitle = subtitle_label("containerDetailsSubtitle")

        self.log_view = LogView()
        self.log_view.optionsChanged.connect(self._restart_logs)
        self.log_view.saveRequested.connect(self.save_log)
        self.stats_view = StatsView()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("containerDetailsTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.log_view, "Logs")
        self.tabs.addTab(self.stats_view, "Stats")
        self.tabs.addTab(self._build_terminal(), "Terminal")
        self.tabs.addTab(self._build_inspect(), "Inspect")
        self.tabs.currentChanged.connect(lambda _i: self._sync())

        content = QWidget()
        box = QVBoxLayout(content)
        box.setContentsMargins(6, 6, 6, 0)
        box.addWidget(self.title)
        box.addWidget(self.subtitle)
        box.addWidget(self.tabs, 1)
        self.content = content
        self.stack = message_stack(self, self.message, content)

        self._inspect_timer = QTimer(self)  # bursts of events (restart = die + start) -> one reload
        self._inspect_timer.setSingleShot(True)
        self._inspect_timer.setInterval(150)
        self._inspect_timer.timeout.connect(self._load_inspect)
        self._header_timer = QTimer(self)  # the subtitle's "Up 5 seconds" ages while someone looks
        self._header_timer.setInterval(1000)
        self._header_timer.timeout.connect(self._update_header)
        self.attention = WindowAttention(self)  # the tick slows behind another window, stops when minimised
        self.attention.changed.connect(self._follow_attention)
        session.eventReceived.connect(self._on_event)
        session.disconnected.connect(self._on_disconnected)
        session.eventsOpened.connect(self._on_reconnected)
        self.show_container(None)

    # --- building -------------------------------------------------------------------------------
    def _build_terminal(self) -> QWidget:
        self.terminal = TerminalWidget()
        self.terminal.sendData.connect(self._send_to_shell)
        self.terminal.resized.connect(self._resize_shell)
        self.shell_button = QPushButton("&Open shell")
        self.shell_button.setObjectName("openShell")
        self.shell_button.setToolTip("Run an interactive shell in the container (bash if it has one, else sh), "
                                     "like docker exec -it")
        self.shell_button.clicked.connect(self.open_shell)
        self.end_shell_button = QPushButton("&End session")
        self.end_shell_button.setObjectName("endShell")
        self.end_shell_button.clicked.connect(self.close_shell)
        self.shell_status = QLabel()
        self.shell_status.setObjectName("shellStatus")
        bar = QHBoxLayout()
        bar.addWidget(self.shell_button)
        bar.addWidget(self.end_shell_button)
        bar.addWidget(self.shell_status, 1)
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(bar)
        box.addWidget(self.terminal, 1)

        # what a container that is not running shows instead: why there is no shell, and Start
        self.not_running_message = message_label("notRunningMessage")
        self.start_button = QPushButton("&Start container")
        self.start_button.setObjectName("startForShell")
        self.start_button.setToolTip("Start the container (docker start), then open a shell in it")
        self.start_button.clicked.connect(self.start_for_shell)
        self.start_status = QLabel()
        self.start_status.setObjectName("startForShellStatus")
        self.start_status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.start_status.setWordWrap(True)
        self.start_status.setTextFormat(Qt.TextFormat.PlainText)
        stopped = QWidget()
        stopped.setObjectName("notRunningPage")
        column = QVBoxLayout(stopped)
        column.addStretch(1)
        column.addWidget(self.not_running_message)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.start_button)
        row.addStretch(1)
        column.addLayout(row)
        column.addWidget(self.start_status)
        column.addStretch(2)
        self.not_running_page = stopped
        self.terminal_stack = QStackedWidget()
        self.terminal_stack.setObjectName("terminalStack")
        self.terminal_stack.addWidget(page)
        self.terminal_stack.addWidget(stopped)
        self.terminal_page = page
        return self.terminal_stack

    def _build_inspect(self) -> QWidget:
        self.summary_tree = QTreeWidget()
        self.summary_tree.setObjectName("inspectSummary")
        self.summary_tree.setHeaderLabels(["Setting", "Value"])
        self.summary_tree.setColumnWidth(0, 200)
        self.summary_tree.setAlternatingRowColors(True)
        self.json_view = JsonView()
        inner = QTabWidget()
        inner.setObjectName("inspectTabs")
        inner.addTab(self.summary_tree, "Summary")
        inner.addTab(self.json_view, "JSON")
        self.inspect_tabs = inner
        return inner

    # --- public ---------------------------------------------------------------------------------
    @property
    def container_id(self) -> str:
        return self._row.id if self._row is not None else ""

    @property
    def row(self) -> ContainerRow | None:
        return self._row

    def show_container(self, selection) -> None:
        """Show one ContainerRow, a message for None, or a summary for a list of several."""
        if isinstance(selection, (list, tuple)):
            rows = list(selection)
            if len(rows) == 1:
                selection = rows[0]
            elif rows:
                self._set_row(None)
                running = sum(1 for r in rows if r.state == "running")
                self._show_message(f"{len(rows)} containers selected ({running} running).")
                return
            else:
                selection = None
        if selection is None:
            self._set_row(None)
            self._show_message("Select a container to see its logs, stats, a terminal and its settings.")
            return
        row: ContainerRow = selection
        same = self._row is not None and self._row.id == row.id
        self._row = row
        self._update_header()
        self.stack.setCurrentWidget(self.content)
        if not same:
            self._set_row(row)
        shell_now = row.state == "running" and self._shell_after_start == row.id
        if shell_now:  # Start was pressed for it, and the list shows it running
            self._shell_after_start = ""
            self.start_status.setText("")
        self._sync()
        if shell_now and self.tabs.currentIndex() == TERMINAL:
            self.open_shell()

    def open_shell(self) -> None:
        """Start a shell session in the shown container and bring the Terminal tab forward."""
        self.tabs.setCurrentIndex(TERMINAL)
        row = self._row
        if row is None:
            return
        if self.shell_task is not None:
            self.terminal.setFocus()
            return
        factory = self._session.factory
        if self._session.state != CONNECTED or factory is None:
            self.terminal.message("Not connected to a Docker engine.")
            return
        if row.state != "running":
            self._update_shell_buttons()  # the tab says why there is no shell and offers Start
            return
        self.terminal.reset()
        rows, cols = self.terminal.grid_size()
        self.terminal.screen.resize(rows, cols)
        shell = container_tasks.new_shell(factory, row.id, rows, cols)
        cid = row.id
        self.shell = shell
        self._shell_container = cid
        self.shell_status.setText(f"Connecting to {row.name}…")
        # the callbacks name their own task (op.task): those of a session that was replaced are dropped
        op = Operation(self._session, f"Shell in {row.name}", container_tasks.run_shell, shell, kind=STREAM,
                       action=f"open a shell in {row.name}").owned_by(self)
        self.shell_task = op.on_items(lambda items: self._on_shell_items(op.task, cid, items)) \
            .on_success(lambda end: self._on_shell_end(op.task, cid, end)) \
            .on_failure(lambda error: self._on_shell_end(op.task, cid, error)) \
            .on_cancel(lambda: self._on_shell_end(op.task, cid, None)).run()
        self._update_shell_buttons()
        self.terminal.setFocus()

    def start_for_shell(self) -> Task | None:
        """Start (or resume) the shown container, then open a shell once it runs."""
        row = self._row
        if row is None or row.state == "running":
            return None
        _text, action = no_shell_reason(row)
        task = self.actions.act(action, [row]) if action is not None else None
        if task is None:
            self.start_status.setText(f"{row.name} cannot be started while it is {row.state}.")
            return None
        self._shell_after_start = row.id
        self.start_button.setEnabled(False)
        self.start_status.setText(f"{'Resuming' if action == 'unpause' else 'Starting'} {row.name}…")
        return task

    def _on_start_failed(self, action: str, error: BerthError) -> None:
        if action in ("start", "unpause") and self._shell_after_start:
            self._shell_after_start = ""
            self.start_status.setText(str(error) or "The start failed.")
            self._update_shell_buttons()

    def close_shell(self) -> None:
        if self.shell_task is not None:
            self.shell_task.cancel()

    def refresh(self) -> None:
        """Reload the Inspect tab (the engine said something changed)."""
        if self._row is not None:
            self._inspect_timer.start()

    def save_log(self, path: str, timestamps: bool) -> Task | None:
        """Write the shown container's whole log to *path* (listed in the activity centre)."""
        row = self._row
        if row is None:
            return None
        return Operation(self._session, f"Saving the log of {row.name}", container_tasks.save_logs, row.id, path,
                         timestamps, action=f"save the log of {row.name}", retryable=True).owned_by(self) \
            .on_success(lambda n: self.log_view.set_state(f"Saved {n:,} lines to {path}")) \
            .on_failure(lambda error: self.log_view.set_state(str(error))).run()

    def stop_streams(self) -> None:
        """Stop everything that reads from the engine (logs, stats, inspect, the shell)."""
        self._stop_logs()
        self._stop_stats()
        self.close_shell()
        if self.inspect_task is not None:
            self.inspect_task.cancel()
            self.inspect_task = None

    # --- visibility -----------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._follow_attention(self.attention.watch())
        self._update_header()
        self._sync()

    def _follow_attention(self, state: str) -> None:
        if state == HIDDEN:
            self._header_timer.stop()
        elif self._header_timer.interval() != CLOCK_TICK_MS[state] or not self._header_timer.isActive():
            self._header_timer.start(CLOCK_TICK_MS[state])

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.attention.update()
        self._header_timer.stop()
        self._stop_logs()
        self._stop_stats()

    # --- what runs ------------------------------------------------------------------------------
    def _set_row(self, row: ContainerRow | None) -> None:
        """Another container (or none): everything of the previous one stops."""
        self._stop_logs()
        self._stop_stats()
        if self.shell_task is not None and (row is None or row.id != self._shell_container):
            self.close_shell()
        self._row = row
        self.details = None
        self.log_view.clear()
        self.log_view.set_state("")
        self.stats_view.clear()
        self.summary_tree.clear()
        self.json_view.set_text("")
        if row is not None and self.shell_task is None:
            self.terminal.reset()
            self.shell_status.setText("")
        if row is None or row.id != self._shell_after_start:
            self._shell_after_start = ""
            self.start_status.setText("")
        self._update_shell_buttons()

    def _sync(self) -> None:
        """Start what the visible tab needs, stop what nobody looks at."""
        row = self._row
        showing = self.isVisible() and row is not None and self.stack.currentWidget() is self.content
        tab = self.tabs.currentIndex()
        if showing and tab == LOGS:
            if self.log_task is None and self._log_state == "idle":
                self.log_view.clear()
                self._start_logs()
        else:
            self._stop_logs()
        if showing and tab == STATS and row.state == "running":
            if self.stats_task is None:
                self._start_stats()
        else:
            self._stop_stats()
            if row is not None and row.state != "running":
                self.stats_view.clear(f"{row.name} is not running: no live figures.")
        if showing and tab == INSPECT and self.details is None and self.inspect_task is None:
            self._load_inspect()
        self._update_shell_buttons()

    # --- logs ---------------------------------------------------------------------------------
    def _start_logs(self) -> None:
        row = self._row
        if row is None or self._session.state != CONNECTED:  # they start again when it reconnects
            return
        self._stop_logs()
        options = self.log_view.options()
        op = Operation(self._session, f"Following the log of {row.name}", container_tasks.follow_logs, row.id,
                       options, kind=STREAM, action=f"read the log of {row.name}").owned_by(self)
        self.log_task = op.on_items(lambda batches: self._on_log_batches(op.task, batches)) \
            .on_success(lambda cid: self._on_log_end(op.task, cid)) \
            .on_failure(lambda error: self._on_log_failed(op.task, error)) \
            .on_finish(lambda: self._on_stream_finished(op.task)).run()
        self._log_state = "running"
        self.log_view.set_state("Following…" if options.follow else "Reading…")

    def _restart_logs(self) -> None:
        self._stop_logs()
        self.log_view.clear()
        self.log_view.set_state("")
        self._sync()

    def _stop_logs(self) -> None:
        """Stop following; the log is read again (from its tail) when the tab is shown next."""
        if self.log_task is not None:
            self.log_task.cancel()
            self.log_task = None
            self.log_view.set_state("")
        self._log_state = "idle"

    def _on_log_batches(self, task: Task, batches: list) -> None:
        if task is self.log_task:
            for batch in batches:
                self.log_view.append_batch(batch)

    def _on_log_end(self, task: Task, container_id: str) -> None:
        if task is not self.log_task:
            return
        self._log_state = "ended"
        follow = self.log_view.follow_box.isChecked()
        self.log_view.set_state("The container stopped; its log ends here." if follow else "End of the log.")
        self.logEnded.emit(container_id)

    def _on_log_failed(self, task: Task, error: BerthError) -> None:
        if task is self.log_task:
            self._log_state = "ended"
            self.log_view.set_state(str(error))

    def _on_stream_finished(self, task: Task) -> None:
        if task is self.log_task:
            self.log_task = None
        if task is self.stats_task:
            self.stats_task = None

    # --- stats --------------------------------------------------------------------------------
    def _start_stats(self) -> None:
        row = self._row
        if row is None or self._session.state != CONNECTED:  # they start again when it reconnects
            return
        op = Operation(self._session, f"Measuring {row.name}", container_tasks.stream_stats, row.id, kind=STREAM,
                       action=f"measure {row.name}").owned_by(self)
        self.stats_task = op.on_items(lambda samples: self._on_samples(op.task, samples)) \
            .on_success(lambda _cid: self._on_stats_end(op.task, None)) \
            .on_failure(lambda error: self._on_stats_end(op.task, error)) \
            .on_finish(lambda: self._on_stream_finished(op.task)).run()
        self.stats_view.clear()

    def _stop_stats(self) -> None:
        if self.stats_task is not None:
            self.stats_task.cancel()
            self.stats_task = None

    def _on_samples(self, task: Task, samples: list) -> None:
        if task is self.stats_task:
            for sample in samples:
                self.stats_view.add_sample(sample)

    def _on_stats_end(self, task: Task, error: BerthError | None) -> None:
        if task is not self.stats_task:
            return
        self.stats_view.set_message(str(error) if error is not None else "The container stopped: no live figures.")

    # --- shell --------------------------------------------------------------------------------
    def _send_to_shell(self, data: bytes) -> None:
        if self.shell is not None:
            self.shell.send(data)

    def _resize_shell(self, rows: int, cols: int) -> None:
        if self.shell is not None:
            self.shell.resize(rows, cols)

    def _on_shell_items(self, task: Task, container_id: str, items: list) -> None:
        """``OPENED`` once the session is open, then what it prints (bytes)."""
        for item in items:
            if task is not self.shell_task:
                return
            if item is OPENED:
                self.terminal.active = True
                self.shell_status.setText("Connected. Ctrl+Shift+C copies, Ctrl+Shift+V pastes; type exit to end.")
                self.shellStarted.emit(container_id)
            else:
                self.terminal.feed(item)

    def _on_shell_end(self, task: Task, container_id: str, outcome) -> None:
        if task is not self.shell_task:
            return
        self.shell_task = None
        self.shell = None
        self.terminal.active = False
        if isinstance(outcome, ShellEnd):
            text = outcome.message or (f"Session ended (exit code {outcome.exit_code})"
                                       if outcome.exit_code is not None else "Session ended")
        elif isinstance(outcome, BerthError):
            text = str(outcome)
        else:
            text = "Session closed"
        self.terminal.message(text)
        self.shell_status.setText(text)
        self._update_shell_buttons()
        self.shellEnded.emit(container_id, outcome)

    def _update_shell_buttons(self) -> None:
        row = self._row
        running = self.shell_task is not None
        if row is not None and row.state != "running" and not running:
            text, action = no_shell_reason(row)
            self.not_running_message.setText(text)
            self.start_button.setText("&Resume container" if action == "unpause" else "&Start container")
            self.start_button.setVisible(action is not None)
            self.start_button.setEnabled(action is not None and not self._shell_after_start)
            self.terminal_stack.setCurrentWidget(self.not_running_page)
        else:
            self.terminal_stack.setCurrentWidget(self.terminal_page)
        self.shell_button.setEnabled(not running and row is not None and row.state == "running")
        self.end_shell_button.setEnabled(running)
        if row is not None and row.state != "running" and not running:
            self.shell_button.setToolTip(f"{row.name} is not running: start it to open a shell")
        else:
            self.shell_button.setToolTip("Run an interactive shell in the container (bash if it has one, else "
                                         "sh), like docker exec -it")

    # --- inspect ------------------------------------------------------------------------------
    def _load_inspect(self) -> None:
        row = self._row
        if row is None or self._session.state != CONNECTED:  # they start again when it reconnects
            return
        if self.inspect_task is not None:
            self._inspect_dirty = True
            return
        self._inspect_dirty = False
        op = Operation(self._session, f"Inspecting {row.name}", container_tasks.inspect_container, row.id,
                       kind=HOUSEKEEPING, action=f"inspect {row.name}").owned_by(self)
        self.inspect_task = op.on_success(lambda details: self._on_inspected(op.task, details)) \
            .on_failure(lambda error: self._on_inspect_failed(op.task, error)) \
            .on_finish(lambda: self._on_inspect_finished(op.task)).run()

    def _on_inspected(self, task: Task, details: ContainerDetails) -> None:
        if task is not self.inspect_task or self._row is None or details.id != self._row.id:
            return
        self.details = details
        self.json_view.set_text(details.raw)
        self._fill_summary(details)
        self._update_header()
        self.loaded.emit(details.id)

    def _on_inspect_failed(self, task: Task, error: BerthError) -> None:
        if task is not self.inspect_task:
            return
        self.summary_tree.clear()
        QTreeWidgetItem(self.summary_tree, ["Error", str(error)])
        if isinstance(error, NotFound):
            self._inspect_dirty = False

    def _on_inspect_finished(self, task: Task) -> None:
        if task is not self.inspect_task:
            return
        self.inspect_task = None
        if self._inspect_dirty:
            self._load_inspect()

    def _fill_summary(self, d: ContainerDetails) -> None:
        expanded = {self.summary_tree.topLevelItem(i).text(0) for i in range(self.summary_tree.topLevelItemCount())
                    if self.summary_tree.topLevelItem(i).isExpanded()}
        first_fill = self.summary_tree.topLevelItemCount() == 0
        self.summary_tree.clear()

        def section(title: str, rows: list[tuple[str, str]]) -> None:
            item = QTreeWidgetItem(self.summary_tree, [title, ""])
            for key, value in rows:
                child = QTreeWidgetItem(item, [key, value])
                child.setToolTip(1, value)
            item.setExpanded(first_fill or title in expanded)

        state = d.status + (f" (exit code {d.exit_code})" if d.status == "exited" else "")
        section("State", [("Status", state), ("Started", d.started_at), ("Finished", d.finished_at if not d.running else ""),
                          ("PID", str(d.pid) if d.pid else ""), ("Restarts", str(d.restart_count)),
                          ("Out of memory", "yes" if d.oom_killed else ""), ("Error", d.error)])
        section("Container", [("ID", d.id), ("Name", d.name), ("Image", d.image), ("Image ID", d.image_id),
                              ("Created", d.created), ("Command", d.command_line),
                              ("Entrypoint", " ".join(d.entrypoint)), ("Working dir", d.working_dir),
                              ("User", d.user), ("TTY", "yes" if d.tty else "no")])
        section("Environment", [(k, v) for k, v in d.env])
        section("Ports", [(port, host) for port, host in d.port_bindings])
        section("Mounts", [(m.destination, f"{m.type}: {m.source}{' (read-only)' if m.read_only else ''}")
                           for m in d.mounts])
        section("Networks", [(n.name, f"{n.ip_address or 'no address'} (gateway {n.gateway or '-'})")
                             for n in d.networks])
        section("Limits and policy", [("Restart policy", d.restart_policy),
                                      ("Remove when it exits", "yes" if d.auto_remove else "no"),
                                      ("Memory", human_size(d.memory) if d.memory else "no limit"),
                                      ("CPUs", f"{d.nano_cpus / 1e9:g}" if d.nano_cpus else "no limit"),
                                      ("Log driver", d.log_driver)])
        section("Labels", [(k, v) for k, v in d.labels])
        for i in range(self.summary_tree.topLevelItemCount()):  # drop empty rows: less to read
            item = self.summary_tree.topLevelItem(i)
            for j in reversed(range(item.childCount())):
                if not item.child(j).text(1):
                    item.removeChild(item.child(j))
            if item.text(0) in _COUNTED:
                item.setText(1, f"{item.childCount()}" if item.childCount() else "none")

    def summary_value(self, section: str, key: str) -> str:
        """The value shown under *section* / *key* in the Summary ("" when absent)."""
        for i in range(self.summary_tree.topLevelItemCount()):
            item = self.summary_tree.topLevelItem(i)
            if item.text(0) == section:
                for j in range(item.childCount()):
                    if item.child(j).text(0) == key:
                        return item.child(j).text(1)
        return ""

    # --- events -------------------------------------------------------------------------------
    def _on_event(self, event: EngineEvent) -> None:
        row = self._row
        if row is None or event.type != "container" or event.actor_id != row.id:
            return
        action = event.base_action
        if action == "destroy":
            self._stop_logs()
            self._log_state = "ended"
            self._stop_stats()
            self.log_view.set_state("The container was removed.")
            self.stats_view.set_message("The container was removed.")
            return
        if action in ("start", "restart", "unpause", "pause", "die", "stop", "kill", "rename", "update", "commit"):
            # the row's new state comes from the list (show_container); here only what the event says
            if action == "start" and self.tabs.currentIndex() == LOGS and self.log_task is None:
                self._restart_logs()  # a restarted container writes on: follow it again
            self.refresh()

    def _on_disconnected(self, _error) -> None:
        self.stop_streams()
        if self._row is not None:
            self.log_view.set_state("Not connected to a Docker engine.")
            self.stats_view.set_message("Not connected to a Docker engine.")

    def _on_reconnected(self) -> None:
        if self._row is not None and self.isVisible():
            self.details = None
            self._restart_logs()

    # --- showing ------------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def _update_header(self) -> None:
        row = self._row
        if row is None:
            return
        name = self.details.name if self.details is not None and self.details.id == row.id else row.name
        self.title.setText(name)
        project = f" · compose {row.compose_project}/{row.compose_service}" if row.compose_project else ""
        self.subtitle.setText(f"{row.short_id} · {row.image} · {status_text(row)}{project}")
