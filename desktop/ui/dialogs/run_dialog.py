"""Run a container from an image: the settings of ``docker run``, checked as they are typed, the
image's own defaults (command, exposed ports, environment) shown as the starting point, and the
outcome (or what failed, and that nothing was left behind) in the dialog itself.

The dialog opens at once; the image's defaults and the network names load in a worker. Run
creates and starts the container in a task listed in the activity panel; on failure the dialog
stays open with the reason, so the user can fix the field and try again.

Signals of RunDialog: started(object) -- the RunResult once the container runs.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QRadioButton, QSpinBox, QTableWidget, QTableWidgetItem, QTabWidget,
                               QVBoxLayout, QWidget)

from desktop.engine.errors import BerthError
from desktop.engine.run import ImageDefaults, RunResult
from desktop.engine.run_spec import (MOUNT_KINDS, PROTOCOLS, RestartPolicy, RunSpec, SpecError, env_file_text,
                                     make_mount, make_ports, parse_cpus, parse_env_lines, parse_labels, parse_memory,
                                     split_command)
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import buddy_label, grow_with_content
from desktop.ui.problem_style import mark_problem

MAX_ENV_FILE = 1024 * 1024  # an env file is a few lines; anything this big is the wrong file


def _table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    return table


def _table_page(table: QTableWidget, buttons: list[QPushButton], note: QLabel,
                extra: QWidget | None = None) -> QWidget:
    """A tab of the dialog: the table, *extra* under it, a row of buttons, then *note*."""
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    page = QWidget()
    box = QVBoxLayout(page)
    box.addWidget(table, 1)
    if extra is not None:
        box.addWidget(extra)
    box.addLayout(row)
    box.addWidget(note)
    return page


def _cell(table: QTableWidget, row: int, column: int) -> str:
    widget = table.cellWidget(row, column)
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QCheckBox):
        return "1" if widget.isChecked() else ""
    item = table.item(row, column)
    return item.text().strip() if item is not None else ""


class RunDialog(QDialog):
    started = Signal(object)

    def __init__(self, session: EngineSession, image: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("runDialog")
        self.setWindowTitle(f"Run {image}")
        self.resize(640, 560)
        self._session = session
        self.image = image
        self.defaults: ImageDefaults | None = None
        self.spec: RunSpec | None = None
        self.result: RunResult | None = None
        self.defaults_task: Task | None = None
        self.run_task: Task | None = None

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_general(), "&General")
        self.tabs.addTab(self._build_env(), "&Environment")
        self.tabs.addTab(self._build_ports(), "&Ports")
        self.tabs.addTab(self._build_volumes(), "&Volumes")
        self.tabs.addTab(self._build_resources(), "&Resources")

        self.problems = QLabel()
        self.problems.setObjectName("runProblems")
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.PlainText)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.run_button = self.buttons.addButton("&Run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setObjectName("runButton")
        self.run_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.reject)

        box = QVBoxLayout(self)
        box.addWidget(self.tabs, 1)
        box.addWidget(self.problems)
        box.addWidget(self.buttons)
        grow_with_content(self)
        self.validate()

    # --- building -------------------------------------------------------------------------------
    def _edit(self, name: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.textChanged.connect(self.validate)
        return edit

    def _build_general(self) -> QWidget:
        self.image_label = QLabel(self.image)
        self.image_label.setObjectName("runImage")
        self.image_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_edit = self._edit("runName", "the engine picks one (e.g. brave_turing)")
        self.command_edit = self._edit("runCommand", "the image's command")
        self.entrypoint_edit = self._edit("runEntrypoint", "the image's entrypoint")
        self.clear_entrypoint = QCheckBox("Clear the image's entrypoint")
        self.clear_entrypoint.setObjectName("runClearEntrypoint")
        self.clear_entrypoint.toggled.connect(self.validate)
        self.workdir_edit = self._edit("runWorkdir", "the image's working directory")
        self.user_edit = self._edit("runUser", "the image's user")
        self.detached = QRadioButton("Run in the &background (detached)")
        self.detached.setObjectName("runDetached")
        self.detached.setChecked(True)
        self.attached = QRadioButton("&Attached: follow its output in the Logs tab")
        self.attached.setObjectName("runAttached")
        self.tty_box = QCheckBox("Allocate a &TTY (-t)")
        self.tty_box.setObjectName("runTty")
        self.interactive_box = QCheckBox("Keep standard input open (-i)")
        self.interactive_box.setObjectName("runInteractive")
        self.restart_combo = QComboBox()
        self.restart_combo.setObjectName("runRestart")
        for name, text in (("no", "Never (no)"), ("on-failure", "On failure"), ("unless-stopped", "Unless stopped"),
                           ("always", "Always")):
            self.restart_combo.addItem(text, name)
        self.restart_combo.currentIndexChanged.connect(self.validate)
        self.retries_spin = QSpinBox()
        self.retries_spin.setObjectName("runRetries")
        self.retries_spin.setRange(0, 1000)
        self.retries_spin.setSpecialValueText("no limit")
        self.retries_spin.valueChanged.connect(self.validate)
        self.auto_remove = QCheckBox("&Remove the container when it exits (--rm)")
        self.auto_remove.setObjectName("runAutoRemove")
        self.auto_remove.toggled.connect(self.validate)
        self.keep_box = QCheckBox("Keep the container if it fails to start (to look at it)")
        self.keep_box.setObjectName("runKeepOnFailure")
        restart = QHBoxLayout()
        restart.addWidget(self.restart_combo, 1)
        restart.addWidget(QLabel("retries:"))
        restart.addWidget(self.retries_spin)
        form = QFormLayout()
        form.addRow("Image:", self.image_label)
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Command:", self.command_edit)
        form.addRow("E&ntrypoint:", self.entrypoint_edit)
        form.addRow("", self.clear_entrypoint)
        form.addRow("&Working dir:", self.workdir_edit)
        form.addRow("&User:", self.user_edit)
        form.addRow(buddy_label("Restart &policy:", self.restart_combo), restart)
        form.addRow("", self.auto_remove)
        form.addRow("", self.detached)
        form.addRow("", self.attached)
        form.addRow("", self.tty_box)
        form.addRow("", self.interactive_box)
        form.addRow("", self.keep_box)
        page = QWidget()
        page.setLayout(form)
        return page

    def _build_env(self) -> QWidget:
        self.env_table = _table("runEnv", ["Variable", "Value"])
        self.env_table.itemChanged.connect(self.validate)
        add = QPushButton("Add")
        add.clicked.connect(lambda: self.add_env("", ""))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self._remove_selected(self.env_table))
        self.env_paste = QPlainTextEdit()
        self.env_paste.setObjectName("runEnvPaste")
        self.env_paste.setPlaceholderText("Paste KEY=VALUE lines here (a bare KEY takes its value from your "
                                          "environment), then press Add lines")
        self.env_paste.setMaximumHeight(90)
        add_lines = QPushButton("Add &lines")
        add_lines.setObjectName("runEnvAddLines")
        add_lines.clicked.connect(self.add_pasted_env)
        load = QPushButton("Load env &file…")
        load.setObjectName("runEnvFile")
        load.clicked.connect(self._ask_env_file)
        self.env_message = QLabel()
        self.env_message.setObjectName("runEnvMessage")
        self.env_message.setWordWrap(True)
        return _table_page(self.env_table, [add, remove, add_lines, load], self.env_message, self.env_paste)

    def _build_ports(self) -> QWidget:
        self.ports_table = _table("runPorts", ["Host address", "Host port", "Container port", "Protocol"])
        self.ports_table.itemChanged.connect(self.validate)
        add = QPushButton("Add")
        add.clicked.connect(lambda: self.add_port("", "", "", "tcp"))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self._remove_selected(self.ports_table))
        note = QLabel("An empty host port lets the engine pick a free one; an empty host address listens on all "
                      "of the engine machine's addresses. Ranges such as 8000-8010 map port to port. The "
                      "image's exposed ports are listed to start with.")
        note.setWordWrap(True)
        return _table_page(self.ports_table, [add, remove], note)

    def _build_volumes(self) -> QWidget:
        self.mounts_table = _table("runMounts", ["Type", "Host path or volume name", "Container path", "Read-only"])
        self.mounts_table.itemChanged.connect(self.validate)
        add_bind = QPushButton("Add &bind mount")
        add_bind.clicked.connect(lambda: self.add_mount("bind", "", "", False))
        add_volume = QPushButton("Add &volume")
        add_volume.clicked.connect(lambda: self.add_mount("volume", "", "", False))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self._remove_selected(self.mounts_table))
        note = QLabel("A bind mount shares a folder of the engine's machine; a volume with no name is anonymous.")
        note.setWordWrap(True)
        return _table_page(self.mounts_table, [add_bind, add_volume, remove], note)

    def _build_resources(self) -> QWidget:
        self.network_combo = QComboBox()
        self.network_combo.setObjectName("runNetwork")
        self.network_combo.setEditable(True)
        self.network_combo.addItem("")
        self.network_combo.lineEdit().setPlaceholderText("default (bridge)")
        self.network_combo.currentTextChanged.connect(self.validate)
        self.memory_edit = self._edit("runMemory", "no limit (e.g. 512m, 1g)")
        self.cpus_edit = self._edit("runCpus", "no limit (e.g. 0.5, 2)")
        self.labels_edit = QPlainTextEdit()
        self.labels_edit.setObjectName("runLabels")
        self.labels_edit.setPlaceholderText("KEY=VALUE, one per line")
        self.labels_edit.textChanged.connect(self.validate)
        form = QFormLayout()
        form.addRow("&Network:", self.network_combo)
        form.addRow("&Memory limit:", self.memory_edit)
        form.addRow("C&PUs:", self.cpus_edit)
        form.addRow("&Labels:", self.labels_edit)
        page = QWidget()
        page.setLayout(form)
        return page

    # --- table rows ---------------------------------------------------------------------------
    def _remove_selected(self, table: QTableWidget) -> None:
        for row in sorted({i.row() for i in table.selectedIndexes()}, reverse=True):
            table.removeRow(row)
        self.validate()

    def _append(self, table: QTableWidget, values: list) -> int:
        table.blockSignals(True)
        row = table.rowCount()
        table.insertRow(row)
        for column, value in enumerate(values):
            if isinstance(value, QWidget):
                table.setCellWidget(row, column, value)
            else:
                table.setItem(row, column, QTableWidgetItem(str(value)))
        table.blockSignals(False)
        self.validate()
        return row

    def add_env(self, key: str, value: str) -> int:
        for row in range(self.env_table.rowCount()):  # a later value replaces an earlier one, as -e does
            if key and _cell(self.env_table, row, 0) == key:
                self.env_table.item(row, 1).setText(value)
                return row
        return self._append(self.env_table, [key, value])

    def add_port(self, host_ip: str, host_port, container_port, protocol: str = "tcp") -> int:
        combo = QComboBox()
        combo.addItems(list(PROTOCOLS))
        combo.setCurrentText(protocol)
        combo.currentTextChanged.connect(self.validate)
        return self._append(self.ports_table, [host_ip, host_port, container_port, combo])

    def add_mount(self, kind: str, source: str, target: str, read_only: bool = False) -> int:
        combo = QComboBox()
        combo.addItems(list(MOUNT_KINDS))
        combo.setCurrentText(kind)
        combo.currentTextChanged.connect(self.validate)
        check = QCheckBox()
        check.setChecked(read_only)
        check.toggled.connect(self.validate)
        return self._append(self.mounts_table, [combo, source, target, check])

    def add_pasted_env(self) -> None:
        try:
            pairs = parse_env_lines(self.env_paste.toPlainText())
        except SpecError as exc:
            self.env_message.setText(str(exc))
            return
        for key, value in pairs:
            self.add_env(key, value)
        self.env_paste.clear()
        self.env_message.setText(f"Added {len(pairs)} variable{'s' if len(pairs) != 1 else ''}.")

    def load_env_file(self, path: str) -> int:
        """Add the variables of an env file (as --env-file reads it); returns how many."""
        try:
            size = os.path.getsize(path)
            if size > MAX_ENV_FILE:
                raise SpecError(f"{path} is {size:,} bytes: too big for an env file.")
            with open(path, "rb") as f:
                pairs = parse_env_lines(env_file_text(f.read(), path), source=os.path.basename(path))
        except OSError as exc:
            self.env_message.setText(f"Could not read {path}: {exc.strerror or exc}.")
            return 0
        except SpecError as exc:
            self.env_message.setText(str(exc))
            return 0
        for key, value in pairs:
            self.add_env(key, value)
        self.env_message.setText(f"Added {len(pairs)} variable{'s' if len(pairs) != 1 else ''} from "
                                 f"{os.path.basename(path)}.")
        return len(pairs)

    def _ask_env_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Load an env file", "", "Env files (*.env *.txt);;All files (*)")
        if path:
            self.load_env_file(path)

    # --- defaults -----------------------------------------------------------------------------
    def start(self) -> None:
        """Load the image's defaults and the networks in a worker."""
        self.defaults_task = Operation(self._session, f"Reading the settings of {self.image}",
                                       container_tasks.image_defaults, self.image, kind=HOUSEKEEPING,
                                       action=f"read the settings of {self.image}").owned_by(self) \
            .on_success(self._on_defaults).on_failure(lambda error: self._show_problem(str(error))).run()

    def _on_defaults(self, answer) -> None:
        defaults, networks = answer
        self.set_defaults(defaults, networks)

    def set_defaults(self, defaults: ImageDefaults, networks: list[str] = ()) -> None:
        self.defaults = defaults
        if defaults.cmd:
            self.command_edit.setPlaceholderText(" ".join(defaults.cmd) + "   (the image's command)")
        if defaults.entrypoint:
            self.entrypoint_edit.setPlaceholderText(" ".join(defaults.entrypoint) + "   (the image's entrypoint)")
        if defaults.working_dir:
            self.workdir_edit.setPlaceholderText(defaults.working_dir)
        if defaults.user:
            self.user_edit.setPlaceholderText(defaults.user)
        if self.ports_table.rowCount() == 0:
            for port, protocol in defaults.exposed_ports:
                self.add_port("", "", port, protocol)
        for name in networks:
            if self.network_combo.findText(name) < 0:
                self.network_combo.addItem(name)
        self.validate()

    # --- the spec ----------------------------------------------------------------------------
    def build_spec(self) -> tuple[RunSpec | None, list[str]]:
        """The RunSpec the fields describe, or the problems that stop it."""
        problems: list[str] = []

        def attempt(fn, *args):
            try:
                return fn(*args)
            except SpecError as exc:
                problems.append(str(exc))
                return None

        command = attempt(split_command, self.command_edit.text())
        entrypoint = attempt(split_command, self.entrypoint_edit.text())
        if self.clear_entrypoint.isChecked():
            entrypoint = ()
        env = []
        for row in range(self.env_table.rowCount()):
            key, value = _cell(self.env_table, row, 0), (self.env_table.item(row, 1).text()
                                                        if self.env_table.item(row, 1) else "")
            if key:
                env.append((key, value))
            elif value:
                problems.append(f"Environment row {row + 1} has a value but no variable name.")
        ports = []
        for row in range(self.ports_table.rowCount()):
            values = [_cell(self.ports_table, row, c) for c in range(4)]
            if not any(values[:3]):
                continue
            ports.extend(attempt(make_ports, values[2], values[3], values[0], values[1] or None) or [])
        mounts = []
        for row in range(self.mounts_table.rowCount()):
            kind, source, target, read_only = (_cell(self.mounts_table, row, c) for c in range(4))
            if not (source or target):
                continue
            mount = attempt(make_mount, kind, source, target, bool(read_only))
            if mount is not None:
                mounts.append(mount)
        memory = attempt(parse_memory, self.memory_edit.text())
        cpus = attempt(parse_cpus, self.cpus_edit.text())
        labels = attempt(parse_labels, self.labels_edit.toPlainText()) or []
        policy = self.restart_combo.currentData()
        restart = RestartPolicy(policy, self.retries_spin.value() if policy == "on-failure" else 0)
        self.retries_spin.setEnabled(policy == "on-failure")
        spec = RunSpec(
            image=self.image,
            name=self.name_edit.text().strip(),
            command=command,
            entrypoint=entrypoint,
            env=tuple(env),
            ports=tuple(ports),
            mounts=tuple(mounts),
            working_dir=self.workdir_edit.text().strip(),
            user=self.user_edit.text().strip(),
            restart=restart,
            auto_remove=self.auto_remove.isChecked(),
            labels=tuple(labels),
            network=self.network_combo.currentText().strip(),
            memory=memory,
            nano_cpus=cpus,
            tty=self.tty_box.isChecked(),
            interactive=self.interactive_box.isChecked(),
            detach=self.detached.isChecked(),
            keep_on_failure=self.keep_box.isChecked(),
        )
        problems += spec.problems()
        return (None if problems else spec), problems

    def validate(self, *_args) -> bool:
        if not hasattr(self, "run_button"):
            return False  # still building
        spec, problems = self.build_spec()
        self.spec = spec
        busy = self.run_task is not None and not self.run_task.state.done
        self.run_button.setEnabled(spec is not None and not busy)
        self._show_problem("\n".join(problems))
        return spec is not None

    def _show_problem(self, text: str) -> None:
        self.problems.setText(text)
        mark_problem(self.problems, bool(text))

    # --- running ------------------------------------------------------------------------------
    def run(self) -> Task | None:
        if not self.validate() or self.spec is None:
            return None
        spec = self.spec
        self.run_button.setEnabled(False)
        mark_problem(self.problems, False)
        self.problems.setText(f"Starting {spec.display_name}…")
        self.run_task = Operation(self._session, f"Running {spec.name or spec.image}", container_tasks.run_container,
                                  spec, action=f"run {spec.display_name}").owned_by(self) \
            .on_success(self._on_started).on_failure(self._on_failed) \
            .on_finish(lambda: self.run_button.setEnabled(self.spec is not None)).run()
        return self.run_task

    def _on_started(self, result: RunResult) -> None:
        self.result = result
        self.started.emit(result)
        self.accept()

    def _on_failed(self, error: BerthError) -> None:
        self._show_problem(str(error))

    def reject(self) -> None:
        if self.defaults_task is not None and not self.defaults_task.state.done:
            self.defaults_task.cancel()
        super().reject()  # a run under way goes on, listed in the activity panel
