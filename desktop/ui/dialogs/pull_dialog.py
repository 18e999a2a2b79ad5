"""The Pull dialog: a reference checked on every keystroke with Berth's grammar and shown as the
engine will read it (``nginx`` → ``docker.io/library/nginx:latest``), tags completed from the
registry where it lists them, an optional platform; then one row per layer and an overall bar
weighted by size while the pull runs. Cancel closes the stream. The pull is an operation in the
activity centre; when it succeeds the dialog says so, emits ``pulled`` and closes.

Signals of PullDialog: pulled(object) -- the TransferResult (reference, digest, image ID).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QCompleter, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout,
                               QWidget)

from desktop.engine.distribution import TransferResult
from desktop.engine.errors import BerthError
from desktop.engine.reference import InvalidReference, parse_normalized
from desktop.tasks import transfer_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import buddy_label, form_grid, grow_with_content
from desktop.ui.dialogs.tag_dialog import message_label, show_message
from desktop.ui.problem_style import PROBLEM_STYLE, mark_problem
from desktop.ui.transfer_progress import TransferProgressPanel

_PLATFORM_RE = re.compile(r"[a-z0-9_]+/[a-z0-9_]+(/[a-z0-9_]+)?")
PLATFORMS = ("", "linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/ppc64le", "linux/s390x")
COMPLETE_DELAY_MS = 300  # tags are asked for once typing pauses


def repository_part(text: str) -> str:
    """What is typed before the tag or digest: 'host:5000/team/app:1' -> 'host:5000/team/app'."""
    name = text.partition("@")[0]
    last = name.rpartition("/")[2]
    if ":" in last:
        name = name[: len(name) - len(last) + last.index(":")]
    return name


class PullDialog(QDialog):
    pulled = Signal(object)

    def __init__(self, session: EngineSession, reference: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pullDialog")
        self.setWindowTitle("Pull image")
        self.resize(640, 0)
        self._session = session
        self.task: Task | None = None
        self.tags_task: Task | None = None
        self.result_value: TransferResult | None = None
        self._normalised = ""
        self._platform_problem = ""
        self._asked: set[tuple[str, str]] = set()  # (host, repository) whose tags were asked for

        self.reference_edit = QLineEdit(reference)
        self.reference_edit.setObjectName("pullReference")
        self.reference_edit.setPlaceholderText("nginx  or  registry.example.com:5000/team/app:1.0")
        self.reference_edit.setClearButtonEnabled(True)
        self.tag_model = QStringListModel(self)
        self.completer = QCompleter(self.tag_model, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.reference_edit.setCompleter(self.completer)
        self.reference_error = message_label("pullReferenceError", PROBLEM_STYLE)
        self.preview = QLabel()
        self.preview.setObjectName("pullPreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.platform_combo = QComboBox()
        self.platform_combo.setObjectName("pullPlatform")
        self.platform_combo.setEditable(True)
        self.platform_combo.addItems(PLATFORMS)
        self.platform_combo.lineEdit().setPlaceholderText("the engine's own")
        self.platform_combo.setToolTip("Pull the variant for another OS or CPU (os/arch[/variant]); "
                                       "empty: the engine's own platform")
        self.platform_error = message_label("pullPlatformError", PROBLEM_STYLE)
        self.platform_combo.currentTextChanged.connect(self._revalidate)

        reference_box = QVBoxLayout()
        reference_box.setSpacing(2)
        reference_box.addWidget(self.reference_edit)
        reference_box.addWidget(self.reference_error)
        platform_box = QVBoxLayout()
        platform_box.setSpacing(2)
        platform_box.addWidget(self.platform_combo)
        platform_box.addWidget(self.platform_error)
        self.form = form_grid([(buddy_label("&Image:", self.reference_edit), reference_box),
                               ("Will pull:", self.preview),
                               (buddy_label("Plat&form:", self.platform_combo), platform_box)])

        self.progress = TransferProgressPanel("pull")
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setObjectName("pullStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox()
        self.pull_button = self.buttons.addButton("&Pull", QDialogButtonBox.ButtonRole.AcceptRole)
        self.pull_button.setObjectName("pullOk")
        self.pull_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("pullCancel")
        self.pull_button.clicked.connect(self.start_pull)
        self.cancel_button.clicked.connect(self.reject)

        box = QVBoxLayout(self)
        box.addLayout(self.form)
        box.addWidget(self.progress, 1)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        grow_with_content(self)

        self._tags_timer = QTimer(self)
        self._tags_timer.setSingleShot(True)
        self._tags_timer.setInterval(COMPLETE_DELAY_MS)
        self._tags_timer.timeout.connect(self.ask_for_tags)
        self.reference_edit.textChanged.connect(self._revalidate)
        self._revalidate()

    # --- the reference --------------------------------------------------------------------
    def reference(self) -> str:
        """The normalised reference to pull ("" while what is typed is not one)."""
        return self._normalised

    def platform(self) -> str:
        return self.platform_combo.currentText().strip()

    def _revalidate(self, *_args) -> None:
        text = self.reference_edit.text().strip()
        problem = ""
        self._normalised = ""
        if text:
            try:
                self._normalised = str(parse_normalized(text).with_default_tag())
            except InvalidReference as exc:
                problem = str(exc)
        show_message(self.reference_error, problem)
        platform = self.platform()
        self._platform_problem = "" if not platform or _PLATFORM_RE.fullmatch(platform) else (
            f"“{platform}” is not a platform: write os/architecture[/variant] in lowercase, e.g. linux/arm64 "
            "or linux/arm/v7 (empty: the engine's own).")
        show_message(self.platform_error, self._platform_problem)
        self.preview.setText(self._normalised or "—")
        if ":" in text.rpartition("/")[2]:  # a tag is being typed: offer the registry's
            self._tags_timer.start()
        self._update_buttons()

    def ask_for_tags(self) -> None:
        """Once a tag is being typed, offer the registry's tags of the repository (asked once per
        repository), as the registry browser reads them; where the registry lists none (or cannot
        be asked), nothing is offered and nothing is said: completion is a help, the pull itself
        says what is wrong."""
        typed_name = repository_part(self.reference_edit.text().strip())
        try:
            ref = parse_normalized(typed_name)
        except InvalidReference:
            return
        key = (ref.domain or "docker.io", ref.path)
        if key in self._asked:
            return
        self._asked.add(key)
        self.tags_task = Operation(self._session, f"Listing the tags of {ref.name}", transfer_tasks.registry_tags,
                                   key[0], key[1], kind=HOUSEKEEPING,
                                   action=f"list the tags of {ref.name}").owned_by(self) \
            .on_success(lambda tags, name=typed_name: self.set_tags(name, tags)) \
            .on_failure(lambda _error: None).run()

    def set_tags(self, repository: str, tags: list[str]) -> None:
        """Complete 'repository:' with these tags."""
        self.tag_model.setStringList([f"{repository}:{tag}" for tag in tags])

    # --- pulling ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.state.done

    def start_pull(self) -> None:
        reference = self.reference()
        if not reference or self._platform_problem or self.busy:
            return
        self.progress.reset()
        self.progress.setVisible(True)
        self._set_status(f"Pulling {reference}…")
        platform = self.platform()
        self.task = Operation(self._session, f"Pulling {reference}", transfer_tasks.pull_image, reference, platform,
                              action=f"pull {reference}", retryable=True).owned_by(self) \
            .on_items(self.progress.apply).on_success(self._on_pulled).on_failure(self._on_failed) \
            .on_cancel(self._on_cancelled).on_finish(self._update_buttons).run()
        self._update_buttons()

    def cancel_pull(self) -> None:
        """Stop the pull: the stream is closed, the engine stops downloading."""
        if self.busy:
            self.task.cancel()

    def _on_pulled(self, result: TransferResult) -> None:
        self.result_value = result
        self.progress.finish()
        self._set_status(f"Pulled {result.reference}" + (f"\n{result.digest}" if result.digest else ""))
        self.pulled.emit(result)
        self.accept()

    def _on_failed(self, error: BerthError) -> None:
        self.progress.stop()
        self._set_status(str(error), problem=True)

    def _on_cancelled(self) -> None:
        self.progress.stop()
        self._set_status("Pull cancelled.")

    def _update_buttons(self) -> None:
        busy = self.busy
        self.pull_button.setEnabled(bool(self.reference()) and not self._platform_problem and not busy)
        self.reference_edit.setReadOnly(busy)
        self.platform_combo.setEnabled(not busy)
        self.cancel_button.setText("Cancel pull" if busy else ("&Close" if self.task is not None else "Cancel"))

    def _set_status(self, text: str, problem: bool = False) -> None:
        self.status.setText(text)
        mark_problem(self.status, problem)

    def reject(self) -> None:
        """Cancel (or Esc) while pulling stops the pull and keeps the dialog open to say so;
        otherwise it closes the dialog."""
        if self.busy:
            self.cancel_pull()
            return
        if self.tags_task is not None and not self.tags_task.state.done:
            self.tags_task.cancel()
        super().reject()
