"""The Build dialog: a context folder (chosen, typed or dropped) and a Dockerfile in it, the names
to give the image (checked live, as in the Tag dialog), build arguments, target stage, no-cache
and pull; then the build's log, live, below.

What can be checked before building is checked as it is typed: the folder and Dockerfile (in a
worker: the folder may be on a slow mount), each build argument, the target against the
Dockerfile's stages. The Build button stays disabled, with the reason on screen, until all is
well. The build runs as a task (listed in the Activity panel with Cancel); closing the dialog
leaves it running there.

Signals of BuildDialog: built(object) -- the BuildResult (image id and tags) after a success;
buildFailed(object) -- the BerthError; buildCancelled().
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout,
                               QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSplitter, QVBoxLayout, QWidget)

from desktop.engine.build import (DEFAULT_DOCKERFILE, BuildArgError, BuildRequest, BuildResult, ContextInfo,
                                  parse_build_args)
from desktop.engine.errors import BerthError
from desktop.engine.images import short_id
from desktop.engine.tags import TagIndex
from desktop.tasks import build_tasks, tag_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Progress, Task
from desktop.ui.build_drop import build_drop_target
from desktop.ui.build_log_panel import INFO_PREFIX, BuildLogPanel
from desktop.ui.dialogs.dialog_layout import align_label_columns, buddy_label, form_grid, grow_with_content, scrolling
from desktop.ui.dialogs.tag_dialog import TagTargetsEditor, message_label, show_message
from desktop.ui.problem_style import PROBLEM_STYLE, mark_problem
from desktop.ui.recent_names import RecentNames

CHECK_DELAY_MS = 150  # typing a path checks it once the typing pauses
FORM_LEAVES = 240  # px of the screen for the log's least height (about 120), the buttons and the margins


class BuildDialog(QDialog):
    built = Signal(object)
    buildFailed = Signal(object)
    buildCancelled = Signal()

    def __init__(self, session: EngineSession, context_dir: str = "", dockerfile: str = "",
                 parent: QWidget | None = None, recent: RecentNames | None = None):
        super().__init__(parent)
        self.setObjectName("buildDialog")
        self.setWindowTitle("Build image")
        self.resize(820, 720)
        self.setAcceptDrops(True)
        self._session = session
        self._recent = recent or RecentNames()
        self.context_info: ContextInfo | None = None
        self.check_task: Task | None = None
        self.index_task: Task | None = None
        self.build_task: Task | None = None
        self.result_value: BuildResult | None = None
        self._args_problem = ""
        self._target_problem = ""
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_context)

        # where
        self.context_edit = QLineEdit(context_dir)
        self.context_edit.setObjectName("buildContext")
        self.context_edit.setPlaceholderText("The folder to build (drop one here)")
        self.context_browse = QPushButton("Browse…")
        self.context_browse.setObjectName("buildContextBrowse")
        self.context_browse.setAutoDefault(False)
        self.context_browse.clicked.connect(self._browse_context)
        self.dockerfile_combo = QComboBox()
        self.dockerfile_combo.setObjectName("buildDockerfile")
        self.dockerfile_combo.setEditable(True)
        self.dockerfile_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.dockerfile_combo.setEditText(dockerfile or DEFAULT_DOCKERFILE)
        self.dockerfile_combo.setToolTip("The Dockerfile, relative to the context folder")
        self.dockerfile_browse = QPushButton("Browse…")
        self.dockerfile_browse.setObjectName("buildDockerfileBrowse")
        self.dockerfile_browse.setAutoDefault(False)
        self.dockerfile_browse.clicked.connect(self._browse_dockerfile)
        self.context_status = QLabel()
        self.context_status.setObjectName("buildContextStatus")
        self.context_status.setWordWrap(True)
        self.context_status.setTextFormat(Qt.TextFormat.PlainText)
        self.context_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # names
        self.editor = TagTargetsEditor(self, allow_untagged=True, recent=self._recent)

        # options
        self.args_edit = QPlainTextEdit()
        self.args_edit.setObjectName("buildArgs")
        self.args_edit.setPlaceholderText("NAME=value, one per line (a bare NAME takes Berth's environment "
                                          "variable)")
        self.args_edit.setTabChangesFocus(True)
        self.args_edit.setFixedHeight(self.args_edit.fontMetrics().lineSpacing() * 4 + 12)
        self.args_error = message_label("buildArgsError", PROBLEM_STYLE)
        self.target_combo = QComboBox()
        self.target_combo.setObjectName("buildTarget")
        self.target_combo.setEditable(True)
        self.target_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.target_combo.lineEdit().setPlaceholderText("(the last stage)")
        self.target_error = message_label("buildTargetError", PROBLEM_STYLE)
        self.nocache_box = QCheckBox("&No cache (run every step again)")
        self.nocache_box.setObjectName("buildNoCache")
        self.pull_box = QCheckBox("&Pull newer base images first")
        self.pull_box.setObjectName("buildPull")
        self.pull_box.setToolTip("Like 'docker build --pull': fails when a base image exists only on this engine")

        self.status = QLabel()
        self.status.setObjectName("buildStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.log = BuildLogPanel(session, self)

        self.buttons = QDialogButtonBox()
        self.build_button = self.buttons.addButton("&Build", QDialogButtonBox.ButtonRole.AcceptRole)
        self.build_button.setObjectName("buildStart")
        self.build_button.setDefault(True)
        self.cancel_build_button = self.buttons.addButton("&Cancel build", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_build_button.setObjectName("buildCancel")
        self.cancel_build_button.setAutoDefault(False)
        self.cancel_build_button.setVisible(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setObjectName("buildClose")
        self.close_button.setAutoDefault(False)
        self.build_button.clicked.connect(self.start_build)
        self.cancel_build_button.clicked.connect(self.cancel_build)
        self.close_button.clicked.connect(self.reject)

        context_row = QHBoxLayout()
        context_row.addWidget(self.context_edit, 1)
        context_row.addWidget(self.context_browse)
        dockerfile_row = QHBoxLayout()
        dockerfile_row.addWidget(self.dockerfile_combo, 1)
        dockerfile_row.addWidget(self.dockerfile_browse)
        args_box = QVBoxLayout()
        args_box.setSpacing(2)
        args_box.addWidget(self.args_edit)
        args_box.addWidget(self.args_error)
        target_box = QVBoxLayout()
        target_box.setSpacing(2)
        target_box.addWidget(self.target_combo)
        target_box.addWidget(self.target_error)
        checks = QHBoxLayout()
        checks.addWidget(self.nocache_box)
        checks.addWidget(self.pull_box)
        checks.addStretch(1)
        form_widget = QWidget()
        form = form_grid([(buddy_label("Conte&xt folder:", self.context_edit), context_row),
                          (buddy_label("&Dockerfile:", self.dockerfile_combo), dockerfile_row),
                          (None, self.context_status),
                          (self.editor,),
                          (buddy_label("Build ar&guments:", self.args_edit), args_box),
                          (buddy_label("T&arget stage:", self.target_combo), target_box),
                          (None, checks)], form_widget)
        align_label_columns(form, self.editor.grid)
        top = QWidget()
        top_box = QVBoxLayout(top)
        top_box.setContentsMargins(0, 0, 0, 0)
        top_box.addWidget(form_widget)
        top_box.addWidget(self.status)
        top_box.addStretch(1)  # room the scroll area gives beyond the form's need stays below it
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        # errors and hints make the form taller: it claims the room, leaving the log, the buttons
        # and the margins theirs, and scrolls on a screen too small for both
        self.form_area = scrolling(top, leave=FORM_LEAVES)
        self.form_area.setObjectName("buildFormArea")
        self.splitter.addWidget(self.form_area)
        self.splitter.addWidget(self.log)
        self.splitter.setStretchFactor(1, 1)
        box = QVBoxLayout(self)
        box.addWidget(self.splitter, 1)
        box.addWidget(self.buttons)
        grow_with_content(self)

        self.context_edit.textChanged.connect(self._on_location_edited)
        self.dockerfile_combo.editTextChanged.connect(self._on_location_edited)
        self.editor.changed.connect(self._update_state)
        self.args_edit.textChanged.connect(self._check_args)
        self.target_combo.editTextChanged.connect(self._check_target)
        self._check_args()
        self._on_location_edited()
        (self.editor.repo_edit if context_dir else self.context_edit).setFocus()

    # --- the context ------------------------------------------------------------------------
    def set_context(self, context_dir: str, dockerfile: str = "") -> None:
        self.context_edit.setText(context_dir)
        self.dockerfile_combo.setEditText(dockerfile or DEFAULT_DOCKERFILE)
        self.check_context()

    def check_context(self) -> None:
        """Look at the folder and Dockerfile now (in a worker); the answer enables Build."""
        self._check_timer.stop()
        if self.check_task is not None and not self.check_task.state.done:
            self.check_task.cancel()
        wanted = (self.context_edit.text().strip(), self.dockerfile_combo.currentText().strip())
        # a look at the local disk: it needs no engine
        self.check_task = Operation(self._session, "Checking the build context", build_tasks.check_context, *wanted,
                                    kind=HOUSEKEEPING, needs_engine=False, action="check the build context") \
            .owned_by(self).on_success(lambda info, w=wanted: self._on_context(info, w)) \
            .on_failure(lambda error: self._show_context_problem(str(error))).run()

    def _on_location_edited(self, *_args) -> None:
        self.context_info = None
        self.context_status.setText("Checking the folder…" if self.context_edit.text().strip() else
                                    "Choose the folder to build (the build context), or drop one here.")
        self.context_status.setStyleSheet("")
        self._check_timer.start()
        self._update_state()

    def _on_context(self, info: ContextInfo, wanted: tuple[str, str]) -> None:
        if wanted != (self.context_edit.text().strip(), self.dockerfile_combo.currentText().strip()):
            return  # an answer for what was typed before
        self.context_info = info
        current = self.dockerfile_combo.currentText()
        self.dockerfile_combo.blockSignals(True)
        self.dockerfile_combo.clear()
        self.dockerfile_combo.addItems(list(info.candidates))
        self.dockerfile_combo.setEditText(current)
        self.dockerfile_combo.blockSignals(False)
        target = self.target_combo.currentText()
        self.target_combo.blockSignals(True)
        self.target_combo.clear()
        self.target_combo.addItems(list(info.stages))
        self.target_combo.setEditText(target)
        self.target_combo.blockSignals(False)
        if info.ok:
            stages = f"; stages: {', '.join(info.stages)}" if info.stages else ""
            self.context_status.setText(f"Builds {info.dockerfile} in {info.context_dir}{stages}")
            self.context_status.setStyleSheet("")
        else:
            self._show_context_problem(info.problem)
        self._check_target()

    def _show_context_problem(self, text: str) -> None:
        self.context_status.setText(text)
        mark_problem(self.context_status)
        self._update_state()

    def _browse_context(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the build context", self.context_edit.text())
        if folder:
            self.set_context(folder, self.dockerfile_combo.currentText())

    def _browse_dockerfile(self) -> None:
        start = self.context_edit.text() or os.path.expanduser("~")
        path, _filter = QFileDialog.getOpenFileName(self, "Choose the Dockerfile", start)
        if path:
            if not self.context_edit.text():
                self.context_edit.setText(os.path.dirname(path))
            relative = os.path.relpath(path, self.context_edit.text())
            self.dockerfile_combo.setEditText(path if relative.startswith(os.pardir) else relative)

    # --- options ----------------------------------------------------------------------------
    def _check_args(self) -> None:
        try:
            parse_build_args(self.args_edit.toPlainText())
            self._args_problem = ""
        except BuildArgError as exc:
            self._args_problem = str(exc)
        show_message(self.args_error, self._args_problem)
        self._update_state()

    def _check_target(self, *_args) -> None:
        target = self.target_combo.currentText().strip()
        problem = ""
        info = self.context_info
        if target and info is not None and info.ok and target.lower() not in info.stages:
            problem = (f"The Dockerfile has no stage named “{target}”; its stages: {', '.join(info.stages)}."
                       if info.stages else
                       f"The Dockerfile has no stage named “{target}”: it names none (FROM image AS name).")
        self._target_problem = problem
        show_message(self.target_error, problem)
        self._update_state()

    # --- engine tags, for suggestions and completion -------------------------------------------
    def start(self) -> None:
        """Load the engine's tags (suggestions, completion, moves) and check the context."""
        # without them the editor only suggests no versions: a failure needs no word here
        self.index_task = Operation(self._session, "Listing image tags", tag_tasks.load_tag_index, kind=HOUSEKEEPING,
                                    action="list the image tags").owned_by(self) \
            .on_success(self._on_index).on_failure(lambda _error: None).run()
        self.check_context()

    def _on_index(self, index: TagIndex) -> None:
        self.editor.set_index(index)

    # --- building ---------------------------------------------------------------------------
    def problem(self) -> str:
        """Why Build is disabled, or "" when it is not."""
        if self.busy:
            return "A build is running."
        info = self.context_info
        if info is None:
            return "Checking the build context…"
        if not info.ok:
            return info.problem
        return self.editor.error() or self._args_problem or self._target_problem

    def request(self) -> BuildRequest | None:
        if self.problem():
            return None
        info = self.context_info
        return BuildRequest(
            context_dir=info.context_dir, dockerfile=info.dockerfile,
            tags=tuple(str(r) for r in self.editor.references()),
            buildargs=parse_build_args(self.args_edit.toPlainText()),
            target=self.target_combo.currentText().strip(),
            nocache=self.nocache_box.isChecked(), pull=self.pull_box.isChecked())

    @property
    def busy(self) -> bool:
        return self.build_task is not None and not self.build_task.state.done

    def start_build(self) -> None:
        request = self.request()
        if request is None:
            return
        refs = self.editor.references()
        name = refs[0].familiar() if refs else os.path.basename(request.context_dir) or request.context_dir
        self.result_value = None
        self.log.clear()
        self.log.append_lines([f"{INFO_PREFIX}Building {request.dockerfile} in {request.context_dir}"])
        self.log.set_step_text("Packing the build context…")
        self._set_status("Building…")
        # the build's events reach the log in batches, all of them before the outcome does
        self.build_task = Operation(self._session, f"Building {name}", build_tasks.build, request,
                                    action="build the image", retryable=True).owned_by(self) \
            .on_items(self.log.append_events).on_progress(self._on_progress).on_success(self._on_built) \
            .on_failure(self._on_failed).on_cancel(self._on_cancelled).on_finish(self._update_state).run()
        self._update_state()

    def cancel_build(self) -> None:
        if self.busy:
            self.build_task.cancel()
            self.cancel_build_button.setEnabled(False)
            self._set_status("Cancelling…")

    def _on_progress(self, progress: Progress) -> None:
        if progress.text and not progress.text.startswith("Step "):
            self.log.set_step_text(progress.text)

    def _on_built(self, result: BuildResult) -> None:
        self.result_value = result
        self._recent.remember(result.tags)
        names = f", tagged {', '.join(result.tags)}" if result.tags else " (untagged: listed as <none>)"
        warnings = f" {len(result.warnings)} warning(s) in the log." if result.warnings else ""
        self._set_status(f"Built image {short_id(result.image_id)}{names}.{warnings}")
        self.log.set_step_text(f"Done: image {short_id(result.image_id)}")
        self.built.emit(result)

    def _on_failed(self, error: BerthError) -> None:
        line = f"ERROR: {error}"
        lines = self.log.lines()
        if not lines or lines[-1] != line:
            self.log.append_lines([line])
        self.log.set_step_text("Failed")
        self._set_status(str(error), error=True)
        self.buildFailed.emit(error)

    def _on_cancelled(self) -> None:
        self.log.append_lines([f"{INFO_PREFIX}Build cancelled; no tag was given."])
        self.log.set_step_text("Cancelled")
        self._set_status("Build cancelled. The engine stopped it; no tag was given to anything it built.")
        self.buildCancelled.emit()

    # --- state ------------------------------------------------------------------------------
    def _update_state(self, *_args) -> None:
        problem = self.problem()
        self.build_button.setEnabled(not problem)
        self.build_button.setToolTip(problem)
        running = self.busy
        self.cancel_build_button.setVisible(running)
        self.cancel_build_button.setEnabled(running)
        for widget in (self.context_edit, self.context_browse, self.dockerfile_combo, self.dockerfile_browse,
                       self.editor, self.args_edit, self.target_combo, self.nocache_box, self.pull_box):
            widget.setEnabled(not running)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        mark_problem(self.status, error)

    def dragEnterEvent(self, event) -> None:
        if not self.busy and build_drop_target(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        target = build_drop_target(event.mimeData())
        if target is None or self.busy:
            event.ignore()
            return
        self.set_context(target.context_dir, target.dockerfile)
        event.acceptProposedAction()

    def reject(self) -> None:
        for task in (self.check_task, self.index_task):
            if task is not None and not task.state.done:
                task.cancel()
        super().reject()  # a build under way goes on, listed in the activity panel
