"""The Push dialog: which of the image's tags to push (or first "Tag for a registry…" through the
Tag dialog), the push guard's question before a tag that would move, per-layer progress, and the
digest each push produced, shown and copyable.

The ticked tags are pushed one after the other. Before each, the guard asks the registry (through
the engine) which digest the tag has there: a new tag, or one already naming this content, is
pushed at once; a tag that would move to other content waits for the person's answer, with both
digests on screen — "Push anyway" pushes it, "Skip" leaves the registry as it is. Each push is an
operation in the activity centre; Cancel closes its stream.

Signals of PushDialog: pushed(object) -- a TransferResult after each successful push;
finished_all() -- every ticked tag was pushed, skipped or failed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QVBoxLayout, QWidget)

from desktop.engine.distribution import GuardVerdict, TransferResult
from desktop.engine.errors import BerthError
from desktop.engine.images import ImageRow, short_id
from desktop.engine.reference import DEFAULT_DOMAIN, InvalidReference, parse_normalized
from desktop.tasks import transfer_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import grow_with_content
from desktop.ui.problem_style import mark_problem
from desktop.ui.transfer_progress import TransferProgressPanel

TAG_ROLE = Qt.ItemDataRole.UserRole


def registry_note(tag: str) -> str:
    """Where a tag goes when pushed: 'Docker Hub' for names without a registry host."""
    try:
        domain = parse_normalized(tag).domain
    except InvalidReference:
        return ""
    return "Docker Hub" if domain == DEFAULT_DOMAIN else domain or ""


class PushDialog(QDialog):
    pushed = Signal(object)
    finished_all = Signal()
    tagRequested = Signal()  # "Tag for a registry…": the actions open the Tag dialog

    def __init__(self, session: EngineSession, row: ImageRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pushDialog")
        self.setWindowTitle("Push image")
        self.resize(680, 0)
        self._session = session
        self.image_id = row.id
        self._selected = row.reference if not row.dangling else ""
        self.tags_task: Task | None = None
        self.check_task: Task | None = None
        self.task: Task | None = None
        self.queue: list[str] = []  # tags still to push, in order
        self.pending: GuardVerdict | None = None  # a moving tag waiting for the answer
        self.results: list[TransferResult] = []
        self.problems: list[str] = []
        self.skipped: list[str] = []

        heading = QLabel(f"Push image {short_id(row.id)} to its registries")
        heading.setObjectName("pushHeading")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        tags_label = QLabel("&Tags to push (each goes to the registry its name starts with):")
        self.tags = QListWidget()
        self.tags.setObjectName("pushTags")
        tags_label.setBuddy(self.tags)
        self.tags.itemChanged.connect(lambda _item: self._update_buttons())
        self.tag_button = QPushButton("Tag for a &registry…")
        self.tag_button.setObjectName("pushTagForRegistry")
        self.tag_button.setAutoDefault(False)
        self.tag_button.setToolTip("Give the image a name on a registry (host[:port]/repository:tag) to push it there")
        self.tag_button.clicked.connect(self.tagRequested)
        tag_row = QHBoxLayout()
        tag_row.addWidget(self.tag_button)
        tag_row.addStretch(1)

        # the guard's question
        self.confirm = QFrame()
        self.confirm.setObjectName("pushConfirm")
        self.confirm.setFrameShape(QFrame.Shape.StyledPanel)
        self.confirm_text = QLabel()
        self.confirm_text.setObjectName("pushConfirmText")
        self.confirm_text.setWordWrap(True)
        self.confirm_text.setTextFormat(Qt.TextFormat.PlainText)
        self.confirm_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.skip_button = QPushButton("&Skip this tag")
        self.skip_button.setObjectName("pushConfirmSkip")
        self.skip_button.setAutoDefault(False)
        self.move_button = QPushButton("Push &anyway")
        self.move_button.setObjectName("pushConfirmMove")
        self.skip_button.clicked.connect(self.decline)
        self.move_button.clicked.connect(self.confirm_move)
        confirm_buttons = QHBoxLayout()
        confirm_buttons.addStretch(1)
        confirm_buttons.addWidget(self.skip_button)
        confirm_buttons.addWidget(self.move_button)
        confirm_box = QVBoxLayout(self.confirm)
        confirm_box.addWidget(self.confirm_text)
        confirm_box.addLayout(confirm_buttons)
        self.confirm.setVisible(False)

        self.progress = TransferProgressPanel("push")
        self.progress.setVisible(False)
        self.digest_label = QLabel()
        self.digest_label.setObjectName("pushDigest")
        self.digest_label.setWordWrap(True)
        self.digest_label.setTextFormat(Qt.TextFormat.PlainText)
        self.digest_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("&Copy digest")
        self.copy_button.setObjectName("pushCopyDigest")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy_digest)
        digest_row = QHBoxLayout()
        digest_row.addWidget(self.digest_label, 1)
        digest_row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        self.digest_box = QWidget()
        self.digest_box.setLayout(digest_row)
        digest_row.setContentsMargins(0, 0, 0, 0)
        self.digest_box.setVisible(False)
        self.status = QLabel()
        self.status.setObjectName("pushStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox()
        self.push_button = self.buttons.addButton("&Push", QDialogButtonBox.ButtonRole.AcceptRole)
        self.push_button.setObjectName("pushOk")
        self.push_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("pushCancel")
        self.push_button.clicked.connect(self.start_push)
        self.cancel_button.clicked.connect(self.reject)

        box = QVBoxLayout(self)
        box.addWidget(heading)
        box.addWidget(tags_label)
        box.addWidget(self.tags)
        box.addLayout(tag_row)
        box.addWidget(self.confirm)
        box.addWidget(self.progress, 1)
        box.addWidget(self.digest_box)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        grow_with_content(self)
        if self._selected:
            self._add_tag(self._selected, checked=True)
        self._fit_tags()
        self._update_buttons()

    # --- the image's tags ---------------------------------------------------------------------
    def start(self) -> None:
        """List every tag of the image (in a worker)."""
        self.tags_task = Operation(self._session, "Listing the image's tags", transfer_tasks.image_tags,
                                   self.image_id, kind=HOUSEKEEPING, action="list the image's tags").owned_by(self) \
            .on_success(self.set_tags).on_failure(lambda error: self._set_status(str(error), problem=True)).run()

    def set_tags(self, tags: list[str], tick: tuple[str, ...] = ()) -> None:
        """Offer *tags*; the selected one (and any in *tick*) ticked, the others not."""
        present = {self.tags.item(n).data(TAG_ROLE) for n in range(self.tags.count())}
        for tag in tags:
            if tag not in present:
                self._add_tag(tag, checked=tag in tick)
            elif tag in tick:
                self._item(tag).setCheckState(Qt.CheckState.Checked)
        if not self.tags.count():
            self._set_status("This image has no tags yet: tag it for a registry to push it.")
        self._update_buttons()

    def _add_tag(self, tag: str, checked: bool) -> None:
        note = registry_note(tag)
        item = QListWidgetItem(f"{tag}   ({note})" if note else tag, self.tags)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setData(TAG_ROLE, tag)
        self._fit_tags()

    def _fit_tags(self) -> None:
        """As tall as its tags (up to six; it scrolls beyond), so the layers get the room."""
        rows = min(max(self.tags.count(), 2), 6)
        row_height = self.tags.sizeHintForRow(0) if self.tags.count() else self.fontMetrics().height() + 4
        frame = 2 * self.tags.frameWidth() + 4
        # names wider than the list get a horizontal scroll bar: its height must not hide a row
        widest = max((self.tags.sizeHintForColumn(0),), default=0)
        scroll = self.tags.horizontalScrollBar().sizeHint().height() if widest > self.tags.viewport().width() else 0
        self.tags.setFixedHeight(rows * row_height + frame + scroll)
        self.tags.setMinimumWidth(min(widest + 2 * frame + 24, 900))  # the dialog grows to show long names

    def _item(self, tag: str) -> QListWidgetItem | None:
        for n in range(self.tags.count()):
            if self.tags.item(n).data(TAG_ROLE) == tag:
                return self.tags.item(n)
        return None

    def checked_tags(self) -> list[str]:
        items = (self.tags.item(n) for n in range(self.tags.count()))
        return [item.data(TAG_ROLE) for item in items if item.checkState() == Qt.CheckState.Checked]

    # --- pushing ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return any(t is not None and not t.state.done for t in (self.check_task, self.task)) or bool(self.queue) \
            or self.pending is not None

    def start_push(self) -> None:
        tags = self.checked_tags()
        if not tags or self.busy:
            return
        self.queue = list(tags)
        self.results, self.problems, self.skipped = [], [], []
        self.digest_box.setVisible(False)
        self._next()

    def _next(self) -> None:
        if not self.queue:
            self._all_done()
            return
        tag = self.queue[0]
        self._set_status(f"Asking the registry about {tag}…")
        self.check_task = Operation(self._session, f"Checking {tag} on its registry", transfer_tasks.check_push, tag,
                                    kind=HOUSEKEEPING, action=f"check {tag} on its registry").owned_by(self) \
            .on_success(self._on_verdict).on_failure(self._on_failed).on_finish(self._update_buttons).run()
        self._update_buttons()

    def _on_verdict(self, verdict: GuardVerdict) -> None:
        if verdict.moves:
            self.pending = verdict
            remaining = len(self.queue) - 1
            later = f"\n({remaining} more tag{'s' if remaining != 1 else ''} after this one.)" if remaining else ""
            self.confirm_text.setText(f"{verdict.describe()}\n\nPush {verdict.reference} anyway?{later}")
            self.confirm.setVisible(True)
            self._set_status("")
            self.move_button.setDefault(True)
            self.move_button.setFocus()
            self._update_buttons()
            return
        self._push(verdict.reference)

    def confirm_move(self) -> None:
        """The person agreed: the remote tag moves to this image."""
        verdict, self.pending = self.pending, None
        self.confirm.setVisible(False)
        if verdict is not None:
            self._push(verdict.reference)

    def decline(self) -> None:
        """Leave the registry's tag as it is and go on with the next."""
        verdict, self.pending = self.pending, None
        self.confirm.setVisible(False)
        self.push_button.setDefault(True)
        if verdict is not None:
            self.skipped.append(verdict.reference)
            self.queue.pop(0)
        self._next()

    def _push(self, reference: str) -> None:
        self.progress.reset()
        self.progress.setVisible(True)
        self._set_status(f"Pushing {reference}…")
        # not retryable from the activity centre: a retry would skip the guard's question; Push again asks
        self.task = Operation(self._session, f"Pushing {reference}", transfer_tasks.push_image, reference,
                              action=f"push {reference}").owned_by(self) \
            .on_items(self.progress.apply).on_success(self._on_pushed).on_failure(self._on_failed) \
            .on_cancel(self._on_cancelled).on_finish(self._update_buttons).run()
        self._update_buttons()

    def _on_pushed(self, result: TransferResult) -> None:
        self.progress.finish()
        self.results.append(result)
        if self.queue:
            self.queue.pop(0)
        self.digest_label.setText("\n".join(f"{r.reference}\n{r.digest}" for r in self.results))
        self.copy_button.setText("&Copy digest" if len(self.results) == 1 else "&Copy digests")
        self.digest_box.setVisible(True)
        self.pushed.emit(result)
        self._next()

    def _on_failed(self, error: BerthError) -> None:
        self.progress.stop()
        if self.queue:
            self.queue.pop(0)
        self.problems.append(str(error))
        if self.queue:
            self._set_status(f"{error}\nGoing on with the other tags…", problem=True)
            self._next()
        else:
            self._all_done()

    def _on_cancelled(self) -> None:
        self.progress.stop()
        self.queue.clear()
        self._set_status("Push cancelled." + (" The tags pushed before it stay pushed." if self.results else ""))
        self._update_buttons()

    def _all_done(self) -> None:
        lines = []
        if self.results:
            lines.append(f"Pushed {', '.join(r.reference for r in self.results)}.")
        if self.skipped:
            lines.append(f"Not pushed (the registry keeps its content): {', '.join(self.skipped)}.")
        lines += self.problems
        self._set_status("\n".join(lines), problem=bool(self.problems))
        self._update_buttons()
        self.finished_all.emit()

    def copy_digest(self) -> None:
        """The digests pushed, one a line ('sha256:…'; with the name when several)."""
        if len(self.results) == 1:
            text = self.results[0].digest
        else:
            text = "\n".join(f"{r.reference.rpartition(':')[0]}@{r.digest}" for r in self.results)
        QGuiApplication.clipboard().setText(text)

    # --- state ----------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        busy = self.busy
        self.push_button.setEnabled(bool(self.checked_tags()) and not busy)
        self.tags.setEnabled(not busy)
        self.tag_button.setEnabled(not busy)
        running = self.task is not None and not self.task.state.done
        done_something = bool(self.results or self.problems or self.skipped) or self.task is not None
        self.cancel_button.setText("Cancel push" if running or busy else ("&Close" if done_something else "Cancel"))

    def _set_status(self, text: str, problem: bool = False) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        mark_problem(self.status, problem)

    def reject(self) -> None:
        """Cancel (or Esc) while pushing stops the push (its stream is closed) and keeps the dialog
        open to say so; while the guard asks, it declines every remaining tag; otherwise it closes."""
        if self.task is not None and not self.task.state.done:
            self.queue.clear()
            self.task.cancel()
            return
        if self.pending is not None or (self.check_task is not None and not self.check_task.state.done):
            if self.check_task is not None:
                self.check_task.cancel()
            self.pending = None
            self.queue.clear()
            self.confirm.setVisible(False)
            self._set_status("Push cancelled: nothing more was sent.")
            self._update_buttons()
            return
        if self.tags_task is not None and not self.tags_task.state.done:
            self.tags_task.cancel()
        super().reject()
