"""Browsing a registry: its repositories (with a filter), the chosen repository's tags, and the
chosen tag's manifest (digest to copy, size, the platforms of a multi-platform index), with Pull
(one click) and Delete tag (after a confirmation naming the tag and its digest).

Every look-up is a HOUSEKEEPING operation and a delete a USER one (listed in the activity
centre); the registry is asked directly, never through the engine. Each pane shows its own busy,
empty and error state; a newer choice cancels the work for an older one and its answer is
ignored, so a slow registry never shows the tags of a repository that is no longer chosen.

Signals of RegistryBrowser: pullRequested(str) -- the reference of the shown tag
(``registry/repository:tag``), for the Pull dialog.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QMessageBox, QPushButton, QSplitter, QStackedLayout, QTableView, QVBoxLayout,
                               QWidget)

from desktop.engine.errors import BerthError
from desktop.engine.reference import ImageReference, InvalidReference
from desktop.engine.registry_client import NO_CATALOG, ManifestInfo
from desktop.models.formatting import human_size
from desktop.models.keyed_table import KeyedTableModel
from desktop.models.registry_browse_models import PlatformsModel, RegistryTagsModel, RepositoriesModel
from desktop.tasks import registry_browse_tasks
from desktop.tasks.operations import HOUSEKEEPING, USER, Operation
from desktop.ui.list_page import RowFilterProxy
from desktop.ui.problem_style import mark_problem


class _Pane(QWidget):
    """A pane's content, or in its place one sentence: busy, empty, or a problem."""

    def __init__(self, name: str, content: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.content = content
        self.message = QLabel()
        self.message.setObjectName(f"{name}Message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setMargin(12)
        self._stack = QStackedLayout(self)
        self._stack.setContentsMargins(0, 0, 0, 0)
        self._stack.addWidget(content)
        self._stack.addWidget(self.message)

    def show_content(self) -> None:
        self._stack.setCurrentWidget(self.content)

    def say(self, text: str, problem: bool = False) -> None:
        self.message.setText(text)
        mark_problem(self.message, problem)
        self._stack.setCurrentWidget(self.message)

    @property
    def saying(self) -> str:
        """The sentence shown instead of the content, or "" while the content shows."""
        return self.message.text() if self._stack.currentWidget() is self.message else ""


def _list_view(name: str, model: KeyedTableModel, proxy=None, headers: bool = False) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(proxy if proxy is not None else model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    view.horizontalHeader().setVisible(headers)  # a one-column list: the label above names it
    view.setShowGrid(False)
    view.setAlternatingRowColors(True)
    return view


def _value_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class RegistryBrowser(QWidget):
    pullRequested = Signal(str)

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("registryBrowser")
        self.session = session
        self.host = ""
        self.ca_file = ""
        self.repository = ""
        self.manifest: ManifestInfo | None = None
        self._digests: dict[tuple[str, str], str] = {}  # (repository, tag) -> digest, as last read
        self._running: dict[str, object] = {}  # pane -> its task under way
        self._generation: dict[str, int] = {"repos": 0, "tags": 0, "manifest": 0}

        self.title = QLabel("No registry chosen")
        self.title.setObjectName("registryBrowserTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.reload_button = QPushButton("Re&load")
        self.reload_button.setObjectName("registryReload")
        self.reload_button.setToolTip("Read the registry's repositories again")
        self.reload_button.clicked.connect(self.reload)
        self.reload_button.setEnabled(False)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.reload_button)

        # repositories
        self.repos_model = RepositoriesModel(self)
        self.repos_proxy = RowFilterProxy(self)
        self.repos_proxy.setSourceModel(self.repos_model)
        self.repos_view = _list_view("registryRepositories", self.repos_model, self.repos_proxy)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("registryRepositoryFilter")
        self.filter_edit.setPlaceholderText("Filter, or a name + Enter")
        self.filter_edit.setToolTip("Filter the repositories; press Enter to open the repository typed, "
                                    "for registries that do not list theirs (Docker Hub)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.repos_proxy.setFilterFixedString)
        self.filter_edit.returnPressed.connect(self._open_typed_repository)
        filter_label = QLabel("&Repositories:")
        filter_label.setBuddy(self.filter_edit)
        self.repos_pane = _Pane("registryRepositoriesPane", self.repos_view)
        repos_box = QWidget()
        repos_layout = QVBoxLayout(repos_box)
        repos_layout.setContentsMargins(0, 0, 0, 0)
        repos_layout.addWidget(filter_label)
        repos_layout.addWidget(self.filter_edit)
        repos_layout.addWidget(self.repos_pane, 1)
        self.repos_view.selectionModel().currentRowChanged.connect(self._repository_chosen)

        # tags
        self.tags_model = RegistryTagsModel(self)
        self.tags_view = _list_view("registryTags", self.tags_model)
        self.tags_pane = _Pane("registryTagsPane", self.tags_view)
        self.tags_label = QLabel("&Tags:")
        self.tags_label.setBuddy(self.tags_view)
        tags_box = QWidget()
        tags_layout = QVBoxLayout(tags_box)
        tags_layout.setContentsMargins(0, 0, 0, 0)
        tags_layout.addWidget(self.tags_label)
        tags_layout.addWidget(self.tags_pane, 1)
        self.tags_view.selectionModel().currentRowChanged.connect(self._tag_chosen)

        # the chosen tag
        details = QWidget()
        grid = QGridLayout(details)
        grid.setContentsMargins(8, 0, 0, 0)
        self.reference_label = _value_label("registryReference")
        self.digest_edit = QLineEdit()
        self.digest_edit.setObjectName("registryDigest")
        self.digest_edit.setReadOnly(True)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setObjectName("registryCopyDigest")
        self.copy_button.setToolTip("Copy the digest to the clipboard")
        self.copy_button.clicked.connect(self.copy_digest)
        digest_row = QHBoxLayout()
        digest_row.addWidget(self.digest_edit, 1)
        digest_row.addWidget(self.copy_button)
        self.type_label = _value_label("registryMediaType")
        self.size_label = _value_label("registrySize")
        self.platforms_label = _value_label("registryPlatforms")
        self.platforms_model = PlatformsModel(self)
        self.platforms_view = _list_view("registryPlatformsTable", self.platforms_model, headers=True)
        self.platforms_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        columns = self.platforms_view.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        columns.setSectionResizeMode(PlatformsModel.DIGEST, QHeaderView.ResizeMode.Stretch)
        self.platforms_view.setVisible(False)
        digest_title = QLabel("&Digest:")
        digest_title.setBuddy(self.digest_edit)
        rows = [("Reference:", self.reference_label), (digest_title, digest_row), ("Media type:", self.type_label),
                ("Size:", self.size_label), ("Platforms:", self.platforms_label)]
        for i, (title, field) in enumerate(rows):
            label = title if isinstance(title, QLabel) else QLabel(title)
            grid.addWidget(label, i, 0, Qt.AlignmentFlag.AlignVCenter if i == 1 else Qt.AlignmentFlag.AlignTop)
            if isinstance(field, QWidget):
                grid.addWidget(field, i, 1)
            else:
                grid.addLayout(field, i, 1)
        grid.setColumnStretch(1, 1)
        self.pull_button = QPushButton("&Pull")
        self.pull_button.setObjectName("registryPull")
        self.pull_button.setToolTip("Pull this tag into the engine")
        self.pull_button.clicked.connect(self._pull)
        self.delete_button = QPushButton("D&elete Tag…")
        self.delete_button.setObjectName("registryDeleteTag")
        self.delete_button.setToolTip("Delete this tag's manifest from the registry")
        self.delete_button.clicked.connect(self.ask_delete)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pull_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        grid.addWidget(self.platforms_view, len(rows), 0, 1, 2)
        grid.addLayout(buttons, len(rows) + 1, 0, 1, 2)
        grid.setRowStretch(len(rows) + 2, 1)
        self.manifest_pane = _Pane("registryManifestPane", details)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("registrySplitter")
        splitter.setChildrenCollapsible(False)
        for box, stretch in ((repos_box, 2), (tags_box, 1), (self.manifest_pane, 4)):
            splitter.addWidget(box)
            splitter.setStretchFactor(splitter.count() - 1, stretch)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(splitter, 1)

        self.repos_pane.say("Choose a registry to browse.")
        self.tags_pane.say("Choose a repository.")
        self.manifest_pane.say("Choose a tag.")
        self._set_actions()

    # --- what is shown ------------------------------------------------------------------------
    def show_registry(self, host: str, ca_file: str = "") -> None:
        """Browse *host* (host[:port], or with an http:// or https:// scheme), trusting *ca_file*
        ("" = the system's CAs)."""
        self.host = host.strip()
        self.ca_file = ca_file or ""
        self.title.setText(self.host or "No registry chosen")
        self.reload_button.setEnabled(bool(self.host))
        self._digests.clear()
        self._clear_tags("Choose a repository.")
        self.repos_model.clear()
        self.reload()

    def reload(self) -> None:
        """Read the catalog again; the chosen repository stays chosen if it is still there."""
        if not self.host:
            return
        generation = self._next("repos")
        host = self.host
        if not self.repos_model.rowCount():  # a reload keeps the list in view while it reads
            self.repos_pane.say(f"Reading the repositories of {host}…")
        seen: list[str] = []

        def items(names: list) -> None:
            if generation != self._generation["repos"]:
                return
            seen.extend(names)
            self.repos_model.add(names)
            self.repos_pane.show_content()

        def done(count: int) -> None:
            if generation != self._generation["repos"]:
                return
            self.repos_model.set_names(seen)  # repositories gone since the last read go now
            if not count:
                self.repos_pane.say(f"{host} has no repositories yet. Push an image to it, or type a "
                                    "repository above and press Enter.")
            else:
                self.repos_pane.show_content()

        def failed(error: BerthError) -> None:
            if generation == self._generation["repos"]:
                self.repos_model.clear()
                if getattr(error, "code", "") == NO_CATALOG:  # Docker Hub: not a fault, a fact
                    self.repos_pane.say(f"{error} Type one above and press Enter.")
                else:
                    self.repos_pane.say(f"{error}\n\nA repository typed above opens with Enter even so.",
                                        problem=True)

        self._run("repos", Operation(
            self.session, f"Listing the repositories of {host}", registry_browse_tasks.load_repositories,
            self._factory(), host, self.ca_file, kind=HOUSEKEEPING, needs_engine=False,
            action=f"list the repositories of {host}").owned_by(self)
            .on_items(items).on_success(done).on_failure(failed))

    def open_repository(self, repository: str) -> None:
        """Show the tags of *repository* (chosen in the list, or typed)."""
        repository = repository.strip().strip("/")
        if not repository or not self.host:
            return
        self.repository = repository
        generation = self._next("tags")
        self._next("manifest")
        self._clear_manifest("Choose a tag.")
        self.tags_model.clear()
        try:
            ImageReference(None, repository)
        except InvalidReference as exc:
            self.tags_label.setText("&Tags:")
            self.tags_pane.say(str(exc), problem=True)
            return
        self.tags_label.setText(f"&Tags of {repository}:")  # a valid name holds no "&"
        self.tags_pane.say(f"Reading the tags of {repository}…")
        host = self.host

        def done(tags: list[str]) -> None:
            if generation != self._generation["tags"]:
                return
            self.tags_model.set_tags(tags)
            if tags:
                self.tags_pane.show_content()
            else:
                self.tags_pane.say(f"{repository} has no tags on {host}.")

        def failed(error: BerthError) -> None:
            if generation == self._generation["tags"]:
                self.tags_pane.say(str(error), problem=True)

        self._run("tags", Operation(
            self.session, f"Listing the tags of {repository}", registry_browse_tasks.load_tags,
            self._factory(), host, self.ca_file, repository, kind=HOUSEKEEPING, needs_engine=False,
            action=f"list the tags of {repository}").owned_by(self).on_success(done).on_failure(failed))

    def open_tag(self, tag: str) -> None:
        repository, host = self.repository, self.host
        if not tag or not repository:
            return
        generation = self._next("manifest")
        self.manifest = None
        self._set_actions()
        self.manifest_pane.say(f"Reading {repository}:{tag}…")

        def done(info: ManifestInfo) -> None:
            if generation != self._generation["manifest"]:
                return
            self._digests[(info.repository, info.tag)] = info.digest
            self._show_manifest(info)

        def failed(error: BerthError) -> None:
            if generation == self._generation["manifest"]:
                self.manifest_pane.say(str(error), problem=True)

        self._run("manifest", Operation(
            self.session, f"Reading {repository}:{tag}", registry_browse_tasks.load_manifest,
            self._factory(), host, self.ca_file, repository, tag, kind=HOUSEKEEPING, needs_engine=False,
            action=f"read {repository}:{tag}").owned_by(self).on_success(done).on_failure(failed))

    # --- actions --------------------------------------------------------------------------------
    def copy_digest(self) -> None:
        if self.manifest is not None:
            QGuiApplication.clipboard().setText(self.manifest.digest)

    def _pull(self) -> None:
        if self.manifest is not None:
            self.pullRequested.emit(self.manifest.reference)


    def ask_delete(self) -> None:
        """Ask first, naming the tag and the digest, and saying that every tag on that digest goes."""
        info = self.manifest
        if info is None:
            return
        others = sorted(t for (repo, t), d in self._digests.items()
                        if repo == info.repository and d == info.digest and t != info.tag)
        also = (f" Known to go with it: {', '.join(others)}." if others else "")
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete Tag",
                          f"Delete {info.repository}:{info.tag} from {info.registry}?", parent=self)
        box.setObjectName("registryDeleteConfirm")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(
            f"The registry deletes the manifest {info.digest}, so every other tag of {info.repository} "
            f"that points at the same digest is deleted too.{also} This cannot be undone.")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setObjectName("registryDeleteConfirmButton")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: self.delete_tag(info) if button is delete else None)
        box.open()

    def delete_tag(self, info: ManifestInfo) -> None:
        """Delete *info*'s tag (a USER operation), only while it still points at *info*'s digest."""
        host = self.host
        self.delete_button.setEnabled(False)
        self.manifest_pane.say(f"Deleting {info.repository}:{info.tag}…")

        def done(digest: str) -> None:
            # no current tag: the rows about to go must not hand the choice to a neighbour, whose
            # manifest would replace the word that the delete is done
            self.tags_view.selectionModel().clear()
            self._clear_manifest(f"Deleted {info.repository}:{info.tag} ({digest}).")
            if self.repository == info.repository and self.host == host:
                self._refresh_tags()

        def failed(error: BerthError) -> None:
            if self.host == host and self.repository == info.repository:
                self._show_manifest(info)
                self.manifest_pane.say(str(error), problem=True)

        Operation(self.session, f"Deleting {info.repository}:{info.tag} from {info.registry}",
                  registry_browse_tasks.delete_tag, self._factory(), host, self.ca_file, info.repository, info.tag,
                  info.digest,
                  kind=USER, needs_engine=False, cancellable=False,
                  action=f"delete {info.repository}:{info.tag}").owned_by(self) \
            .on_success(done).on_failure(failed).run()

    # --- the parts ----------------------------------------------------------------------------
    def _refresh_tags(self) -> None:
        """After a delete: the tags again, rows that went removed one by one, the rest kept."""
        repository, generation = self.repository, self._next("tags")

        def done(tags: list[str]) -> None:
            if generation == self._generation["tags"]:
                self.tags_model.set_tags(tags)
                for (repo, tag) in list(self._digests):
                    if repo == repository and tag not in tags:
                        del self._digests[(repo, tag)]
                if not tags:
                    self.tags_pane.say(f"{repository} has no tags left on {self.host}.")

        def failed(error: BerthError) -> None:
            if generation == self._generation["tags"]:
                self.tags_pane.say(str(error), problem=True)

        self._run("tags", Operation(
            self.session, f"Listing the tags of {repository}", registry_browse_tasks.load_tags,
            self._factory(), self.host, self.ca_file, repository, kind=HOUSEKEEPING, needs_engine=False,
            action=f"list the tags of {repository}").owned_by(self).on_success(done).on_failure(failed))

    def _factory(self):
        """The engine's client factory while connected (the work asks it which registries are
        insecure), else None: browsing does not need the engine."""
        return self.session.factory if getattr(self.session, "state", None) == "connected" else None

    def _next(self, pane: str) -> int:
        """A new generation for *pane*: the work under way for the old one is cancelled."""
        self._generation[pane] += 1
        task = self._running.pop(pane, None)
        if task is not None and not task.state.done:
            task.cancel()
        return self._generation[pane]

    def _run(self, pane: str, operation: Operation) -> None:
        self._running[pane] = operation.run()

    def _repository_chosen(self, current, _previous=None) -> None:
        if current.isValid():
            self.open_repository(current.siblingAtColumn(0).data())

    def _open_typed_repository(self) -> None:
        text = self.filter_edit.text().strip()
        if text:
            self.repos_view.clearSelection()
            self.open_repository(text)

    def _tag_chosen(self, current, _previous=None) -> None:
        if current.isValid():
            self.open_tag(current.siblingAtColumn(0).data())

    def _clear_tags(self, text: str) -> None:
        self._next("tags")
        self._next("manifest")
        self.repository = ""
        self.tags_model.clear()
        self.tags_label.setText("&Tags:")
        self.tags_pane.say(text)
        self._clear_manifest("Choose a tag.")

    def _clear_manifest(self, text: str) -> None:
        self.manifest = None
        self.manifest_pane.say(text)
        self._set_actions()

    def _show_manifest(self, info: ManifestInfo) -> None:
        self.manifest = info
        self.reference_label.setText(info.reference)
        self.digest_edit.setText(info.digest)
        self.digest_edit.setCursorPosition(0)
        self.type_label.setText(info.media_type or "unknown")
        if info.is_index:
            self.size_label.setText(human_size(info.size) + " for all platforms" if info.size is not None
                                    else "see each platform")
            count = len(info.platforms)
            self.platforms_label.setText(f"{count} in this index:" if count else "none listed")
            self.platforms_model.set_platforms(info.platforms)
            self.platforms_view.setVisible(bool(count))
            self.platforms_view.setFixedHeight(self._table_height(self.platforms_view, count))
        else:
            self.size_label.setText(f"{human_size(info.size)} (config and layers, compressed)"
                                    if info.size is not None else "unknown")
            self.platforms_label.setText("one image (not a multi-platform index)")
            self.platforms_model.clear()
            self.platforms_view.setVisible(False)
        self.manifest_pane.show_content()
        self._set_actions()

    @staticmethod
    def _table_height(view: QTableView, rows: int) -> int:
        """Tall enough for *rows* rows (up to 6; more scroll), so the buttons sit right below."""
        shown = max(1, min(rows, 6))
        return (view.horizontalHeader().sizeHint().height() + shown * view.verticalHeader().defaultSectionSize()
                + 2 * view.frameWidth())

    def _set_actions(self) -> None:
        shown = self.manifest is not None
        for widget in (self.pull_button, self.delete_button, self.copy_button):
            widget.setEnabled(shown)
