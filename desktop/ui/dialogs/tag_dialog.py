"""The Tag dialog, and the repository-and-tags editor it shares with the Build dialog.

The editor checks what is typed on every keystroke with ``desktop.engine.reference`` (the exact
problem under the field, the normalised full names as a preview), suggests the next semantic
version from the tags the repository already has, warns when only ``latest`` is used, and says
which names would move from another image. A 'repository:tag' typed into Repository is split
into the two fields (one click, or on leaving the field). The dialog tags in a worker; when a
name would move, the engine layer changes nothing until the person confirms the move.

Signals of TagTargetsEditor: changed() -- after every edit or new index.
Signals of TagDialog: tagged(object) -- the TagResult (image id, names created) after tagging.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFrame, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from desktop.engine import semver
from desktop.engine.errors import BerthError
from desktop.engine.images import NONE, ImageRow, short_id
from desktop.engine.reference import DEFAULT_TAG, ImageReference, InvalidReference, split_repository_field
from desktop.engine.tags import TagIndex, TagPlan, TagResult, TargetStatus, plan_from_index, target_references
from desktop.tasks import tag_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import buddy_label, form_grid, grow_with_content, scrolling
from desktop.ui.problem_style import PROBLEM_STYLE, mark_problem
from desktop.ui.recent_names import RecentNames

WARNING_STYLE = "color: #a0522d"
_SEPARATORS = re.compile(r"[,\s]+")


def split_tags(text: str) -> list[str]:
    """Tags as typed in one field, separated by commas or spaces; duplicates dropped."""
    return list(dict.fromkeys(t for t in _SEPARATORS.split(text) if t))


def split_repository_tag(text: str) -> tuple[str, str] | None:
    """'myapp/web:1.0.1' typed as a repository -> ('myapp/web', '1.0.1'); None when *text* is a
    repository already, is no 'repository:tag' at all, or reads as a registry and its port
    ('localhost:5000', 'reg.example:5000': the repository is still to come). The split itself is
    the engine layer's (reference.split_repository_field)."""
    try:
        repository, tag = split_repository_field(text)
    except InvalidReference:
        return None
    return (repository, tag) if tag is not None else None


def message_label(name: str, style: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(style)
    label.setVisible(False)
    return label


def show_message(label: QLabel, text: str) -> None:
    """Show *text* in *label*, hiding the label when there is nothing to say."""
    label.setText(text)
    label.setVisible(bool(text))


class TagTargetsEditor(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, allow_untagged: bool = False,
                 recent: RecentNames | None = None):
        """*allow_untagged*: an empty repository means "no name" (a build may leave its image
        untagged) instead of an error."""
        super().__init__(parent)
        self.setObjectName("tagTargets")
        self._allow_untagged = allow_untagged
        self._recent = recent or RecentNames()
        self._index: TagIndex | None = None
        self._image_id = ""
        self._references: list[ImageReference] = []
        self._error = ""
        self._suggestions: semver.Suggestions | None = None

        self.repo_edit = QLineEdit()
        self.repo_edit.setObjectName("tagRepository")
        self.repo_edit.setPlaceholderText("myapp  or  registry.example.com:5000/team/app")
        self.repo_edit.setClearButtonEnabled(True)
        self.completer = self._recent.completer(self.repo_edit)
        self.repo_edit.setCompleter(self.completer)
        self.repo_error = message_label("tagRepositoryError", PROBLEM_STYLE)
        self.split_button = QPushButton()
        self.split_button.setObjectName("tagSplitReference")
        self.split_button.setToolTip("Keep the repository here and move the tag to Tags")
        self.split_button.setVisible(False)
        self.split_button.clicked.connect(self.split_reference)

        self.tags_edit = QLineEdit()
        self.tags_edit.setObjectName("tagTags")
        self.tags_edit.setPlaceholderText("v1.2.0, v1.2, v1, prod   (none: latest)")
        self.tags_edit.setClearButtonEnabled(True)
        self.tags_edit.setToolTip("One or more tags, separated by commas or spaces")
        self.tags_error = message_label("tagTagsError", PROBLEM_STYLE)

        self.suggest_info = QLabel("Looking up the repository's tags…")
        self.suggest_info.setObjectName("tagSuggestInfo")
        self.patch_button = self._suggest_button("tagSuggestPatch", "Next patch version (bug fixes)")
        self.minor_button = self._suggest_button("tagSuggestMinor", "Next minor version (new features)")
        self.major_button = self._suggest_button("tagSuggestMajor", "Next major version (breaking changes)")
        self.companions_button = self._suggest_button(
            "tagAddCompanions", "Also add the shorter tags that follow this release (v1.2.0 → v1.2, v1)")
        self._suggested = ""  # the tag a version button put in Tags (the next one replaces it)
        self.patch_button.clicked.connect(lambda: self.use_version(self._suggestions.patch))
        self.minor_button.clicked.connect(lambda: self.use_version(self._suggestions.minor))
        self.major_button.clicked.connect(lambda: self.use_version(self._suggestions.major))
        self.companions_button.clicked.connect(self.add_companions)

        self.latest_note = message_label("tagLatestNote", WARNING_STYLE)
        self.moves_note = message_label("tagMovesNote", WARNING_STYLE)
        self.preview = QLabel()
        self.preview.setObjectName("tagPreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        suggestions = QHBoxLayout()
        suggestions.setContentsMargins(0, 0, 0, 0)
        for button in (self.patch_button, self.minor_button, self.major_button, self.companions_button):
            suggestions.addWidget(button)
        suggestions.addStretch(1)
        repo_box = QVBoxLayout()
        repo_box.setSpacing(2)
        repo_box.addWidget(self.repo_edit)
        repo_box.addWidget(self.repo_error)
        split_row = QHBoxLayout()
        split_row.setContentsMargins(0, 0, 0, 0)
        split_row.addWidget(self.split_button)
        split_row.addStretch(1)
        repo_box.addLayout(split_row)
        tags_box = QVBoxLayout()
        tags_box.setSpacing(2)
        tags_box.addWidget(self.tags_edit)
        tags_box.addWidget(self.tags_error)
        tags_box.addWidget(self.suggest_info)
        tags_box.addLayout(suggestions)
        self.grid = form_grid([(buddy_label("&Repository:", self.repo_edit), repo_box),
                               (buddy_label("&Tags:", self.tags_edit), tags_box),
                               (None, self.latest_note),
                               (None, self.moves_note),
                               ("Full names:", self.preview)], self)

        self.repo_edit.textChanged.connect(self._revalidate)
        self.repo_edit.editingFinished.connect(self.split_reference)
        self.tags_edit.textChanged.connect(self._revalidate)
        self._revalidate()

    def _suggest_button(self, name: str, tip: str) -> QPushButton:
        button = QPushButton()
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAutoDefault(True)  # Enter on it (while it has focus) clicks it, as Space does
        button.setEnabled(False)
        return button

    # --- public -------------------------------------------------------------------------
    def set_index(self, index: TagIndex | None) -> None:
        """What the engine has (for version suggestions, moves and completion)."""
        self._index = index
        if index is not None:
            self._recent.update_completer(self.completer, index.repositories())
        self._revalidate()

    def set_image_id(self, image_id: str) -> None:
        """The image to be tagged (moves are told relative to it); empty for a build."""
        self._image_id = image_id
        self._revalidate()

    def references(self) -> list[ImageReference]:
        """The names to create, normalised; empty while something is invalid (or no name)."""
        return list(self._references) if not self._error else []

    def error(self) -> str:
        """The first problem with what is typed, or ""."""
        return self._error

    def is_valid(self) -> bool:
        return not self._error

    def live_plan(self) -> TagPlan | None:
        """What tagging would do according to the last index (the engine re-checks when tagging)."""
        if self._index is None or not self._image_id or self._error or not self._references:
            return None
        return plan_from_index(self._index, self._image_id, self._references)

    def use_version(self, version: str) -> None:
        """Put *version* first in the tags as a tag of its own. What was typed stays; only a tag
        an earlier version button put there gives way, so Patch then Minor means Minor. The
        focus stays where it is (on the button, for Space or Enter)."""
        tags = split_tags(self.tags_edit.text())
        kept = [t for t in tags if t != self._suggested and t != version]
        self._suggested = version
        self.tags_edit.setText(", ".join([version] + kept))

    def split_reference(self) -> None:
        """Repository holding 'repo:tag': the repository stays, the tag joins Tags."""
        split = split_repository_tag(self.repo_edit.text().strip())
        if split is None:
            return
        repository, tag = split
        tags = split_tags(self.tags_edit.text())
        self.tags_edit.setText(", ".join(tags + ([tag] if tag not in tags else [])))
        self.repo_edit.setText(repository)

    def add_companions(self) -> None:
        tags = split_tags(self.tags_edit.text())
        extra = [c for c in self._companions(tags) if c not in tags]
        if extra:
            self.tags_edit.setText(", ".join(tags + extra))

    # --- validation ---------------------------------------------------------------------
    def _companions(self, tags: list[str]) -> list[str]:
        return next((semver.companion_tags(t) for t in tags if semver.companion_tags(t)), [])

    def _revalidate(self, *_args) -> None:
        repo = self.repo_edit.text()
        tags = split_tags(self.tags_edit.text())
        repo_problem = tags_problem = ""
        references: list[ImageReference] = []
        if not repo and self._allow_untagged:
            if tags:
                repo_problem = "Enter the repository these tags belong to (e.g. myapp)."
        else:
            try:
                references = target_references(repo, [])
            except InvalidReference as exc:
                repo_problem = str(exc)
        if not repo_problem and references:
            base = references[0]
            for tag in tags:
                try:
                    base.with_tag(tag)
                except InvalidReference as exc:
                    tags_problem = str(exc)
                    break
            if not tags_problem:
                references = [base.with_tag(tag) for tag in tags] or [base]
        split = split_repository_tag(repo.strip()) if repo_problem else None
        if split is not None:
            repo_problem = (f"“{repo.strip()}” is a repository and a tag: the repository is {split[0]}, "
                            f"the tag goes in Tags.")
        self.split_button.setText(f"Move tag {split[1]} to Tags" if split else "")
        self.split_button.setVisible(split is not None)
        show_message(self.repo_error, repo_problem)
        show_message(self.tags_error, tags_problem)
        self._error = repo_problem or tags_problem
        self._references = references if not self._error else []
        self._update_suggestions(repo, tags, valid_repo=not repo_problem and bool(references))
        self._update_notes(tags)
        self.changed.emit()

    def _update_suggestions(self, repo: str, tags: list[str], valid_repo: bool) -> None:
        buttons = (self.patch_button, self.minor_button, self.major_button)
        if self._index is None:
            self.suggest_info.setText("Looking up the repository's tags…")
            self._suggestions = None
        elif not valid_repo:
            self.suggest_info.setText("Enter a valid repository to get version suggestions.")
            self._suggestions = None
        else:
            existing = self._index.tags_of(repo)
            self._suggestions = semver.suggest(existing)
            current = self._suggestions.current
            self.suggest_info.setText(f"Newest version in this repository: {current}" if current else
                                      "No version tags in this repository yet.")
        for button, attr, title in zip(buttons, ("patch", "minor", "major"), ("Patch", "Minor", "Major")):
            value = getattr(self._suggestions, attr) if self._suggestions else ""
            button.setText(f"{title} {value}" if value else title)
            button.setEnabled(bool(value))
        companions = [c for c in self._companions(tags) if c not in tags]
        self.companions_button.setText(f"+ {', '.join(companions)}" if companions else "+ v1.2, v1")
        self.companions_button.setEnabled(bool(companions))

    def _update_notes(self, tags: list[str]) -> None:
        if self._error or not self._references:
            self.preview.setText("—" if self._error else "(untagged: the image is listed as <none>)")
            show_message(self.latest_note, "")
            show_message(self.moves_note, "")
            return
        self.preview.setText("\n".join(str(ref) for ref in self._references))
        latest_only = all(ref.tag == DEFAULT_TAG for ref in self._references)
        note = ""
        if latest_only:
            suggestion = f" such as {self._suggestions.patch}" if self._suggestions else ""
            if not tags:
                note = (f"No tag given: a name without a tag means “{DEFAULT_TAG}”, so this is "
                        f"{self._references[0].familiar()}. ")
            note += (f"Avoid relying on “{DEFAULT_TAG}” alone in production: it moves with every new image and "
                     f"never says which version runs. Add a version tag{suggestion}.")
        show_message(self.latest_note, note)
        plan = self.live_plan()
        lines = []
        if plan is not None:
            lines = [t.describe_move() for t in plan.moves]
            lines += [f"{t.familiar} is already on this image." for t in plan.targets
                      if t.status is TargetStatus.ALREADY]
        show_message(self.moves_note, "\n".join(lines))


class TagDialog(QDialog):
    tagged = Signal(object)

    def __init__(self, session: EngineSession, image_id: str, current_names: list[str] | None = None,
                 repository: str = "", parent: QWidget | None = None, recent: RecentNames | None = None):
        super().__init__(parent)
        self.setObjectName("tagDialog")
        self.setWindowTitle("Tag image")
        self.resize(640, 0)
        self._session = session
        self._recent = recent or RecentNames()
        self.image_id = image_id
        self.index_task: Task | None = None
        self.tag_task: Task | None = None
        self.pending: TagPlan | None = None  # a plan whose moves wait for confirmation
        self.result_value: TagResult | None = None

        self.heading = QLabel(f"Tag image {short_id(image_id)}")
        self.heading.setObjectName("tagHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.current = QLabel()
        self.current.setObjectName("tagCurrentNames")
        self.current.setWordWrap(True)
        self.current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._set_current(current_names or [])

        self.editor = TagTargetsEditor(self, recent=self._recent)
        self.editor.set_image_id(image_id)
        self.editor.repo_edit.setText(repository)

        self.confirm = QFrame()
        self.confirm.setObjectName("tagConfirm")
        self.confirm.setFrameShape(QFrame.Shape.StyledPanel)
        self.confirm_text = QLabel()
        self.confirm_text.setObjectName("tagConfirmText")
        self.confirm_text.setWordWrap(True)
        self.confirm_text.setTextFormat(Qt.TextFormat.PlainText)
        self.move_button = QPushButton("&Move tag")
        self.move_button.setObjectName("tagConfirmMove")
        self.back_button = QPushButton("&Back")
        self.back_button.setObjectName("tagConfirmBack")
        self.back_button.setAutoDefault(False)
        self.move_button.clicked.connect(self.confirm_moves)
        self.back_button.clicked.connect(self._hide_confirmation)
        confirm_buttons = QHBoxLayout()
        confirm_buttons.addStretch(1)
        confirm_buttons.addWidget(self.back_button)
        confirm_buttons.addWidget(self.move_button)
        confirm_box = QVBoxLayout(self.confirm)
        confirm_box.addWidget(self.confirm_text)
        confirm_box.addLayout(confirm_buttons)
        self.confirm.setVisible(False)

        self.status = QLabel()
        self.status.setObjectName("tagStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton("Tag &image", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("tagOk")
        self.ok_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("tagCancel")
        self.ok_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)

        body = QWidget()
        body_box = QVBoxLayout(body)
        body_box.setContentsMargins(0, 0, 0, 0)
        body_box.addWidget(self.heading)
        body_box.addWidget(self.current)
        body_box.addWidget(self.editor)
        body_box.addWidget(self.confirm)
        body_box.addWidget(self.status)
        body_box.addStretch(1)
        self.body = scrolling(body)  # long names and several moves can pass a small screen's height
        self.body.setObjectName("tagBody")
        box = QVBoxLayout(self)
        box.addWidget(self.body, 1)
        box.addWidget(self.buttons)
        grow_with_content(self)

        self.editor.changed.connect(self._on_edited)
        self._on_edited()
        self.editor.tags_edit.setFocus()

    @classmethod
    def for_row(cls, session: EngineSession, row: ImageRow, parent: QWidget | None = None,
                recent: RecentNames | None = None) -> "TagDialog":
        """The dialog for a row of the Images view, the repository taken from its name."""
        repository = "" if row.repository == NONE else row.repository
        names = [] if row.dangling else [row.reference]
        return cls(session, row.id, names, repository, parent, recent)

    # --- loading what the engine has ----------------------------------------------------
    def start(self) -> None:
        """Load the engine's tags (for suggestions and moves) in a worker."""
        self.index_task = Operation(self._session, "Listing image tags", tag_tasks.load_tag_index, kind=HOUSEKEEPING,
                                    action="list the image tags").owned_by(self) \
            .on_success(self.set_index).on_failure(lambda error: self._set_status(str(error), error=True)).run()

    def set_index(self, index: TagIndex) -> None:
        names = index.references.get(self.image_id)
        if names is None:
            self._set_status(f"Image {short_id(self.image_id)} no longer exists.", error=True)
        else:
            self._set_current(list(names))
        self.editor.set_index(index)

    # --- tagging ------------------------------------------------------------------------
    def submit(self) -> None:
        """Tag, unless names would move: then the dialog asks first (see confirm_moves)."""
        self._run(frozenset())

    def confirm_moves(self) -> None:
        if self.pending is not None:
            self._run(self.pending.move_keys)

    def _run(self, allow_moves: frozenset) -> None:
        references = self.editor.references()
        if not references or self.busy:
            return
        self._set_status("Tagging…")
        self.tag_task = Operation(self._session, f"Tagging image {short_id(self.image_id)}", tag_tasks.apply_tags,
                                  self.image_id, [str(r) for r in references], allow_moves, action="tag the image",
                                  retryable=True).owned_by(self) \
            .on_success(self._on_result).on_failure(self._on_failed).on_finish(self._update_buttons).run()
        self._update_buttons()

    @property
    def busy(self) -> bool:
        return self.tag_task is not None and not self.tag_task.state.done

    def _on_result(self, result: TagResult) -> None:
        if not result.done:
            self.pending = result.plan
            moves = "\n".join(t.describe_move() for t in result.plan.moves)
            count = len(result.plan.moves)
            self.confirm_text.setText(f"{'This name is' if count == 1 else 'These names are'} taken:\n{moves}\n"
                                      f"Move {'it' if count == 1 else 'them'} to image {short_id(self.image_id)}?")
            self.confirm.setVisible(True)
            self.editor.moves_note.setVisible(False)  # the question says the same
            self._set_status("")
            self._update_buttons()
            self.move_button.setDefault(True)
            self.move_button.setFocus()
            return
        self.result_value = result
        self._recent.remember(t.reference for t in result.plan.targets)
        if result.tagged:
            self._set_status(f"Tagged {', '.join(result.tagged)}.")
        else:
            self._set_status("Nothing to do: the image already has "
                             f"{', '.join(t.familiar for t in result.plan.targets)}.")
        self.tagged.emit(result)
        self.accept()

    def _on_failed(self, error: BerthError) -> None:
        self._set_status(str(error), error=True)

    # --- state ----------------------------------------------------------------------------
    def _on_edited(self) -> None:
        self._hide_confirmation()
        if self.status.text() and not self.busy:
            self._set_status("")
        self._update_buttons()

    def _hide_confirmation(self) -> None:
        self.pending = None
        self.confirm.setVisible(False)
        self.editor.moves_note.setVisible(bool(self.editor.moves_note.text()))
        self.ok_button.setDefault(True)
        self._update_buttons()

    def _update_buttons(self) -> None:
        waiting = self.pending is not None
        self.ok_button.setEnabled(self.editor.is_valid() and bool(self.editor.references())
                                  and not self.busy and not waiting)
        self.move_button.setEnabled(waiting and not self.busy)

    def _set_current(self, names: list[str]) -> None:
        self.current.setText(f"Now: {', '.join(sorted(names))}" if names else "Now: <none> (untagged)")

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        mark_problem(self.status, error)

    def reject(self) -> None:
        if self.index_task is not None and not self.index_task.state.done:
            self.index_task.cancel()
        super().reject()
