"""The load and save flows, from the user's gesture to the result, without blocking the GUI.

Load: read the archives in a task -> preview dialog (confirm or cancel) -> one load task with a
progress bar and Cancel in the activity panel -> the loaded tags reported (``loaded`` signal, the
``on_loaded`` callback and the status bar). Plain file systems are offered for import, one dialog
each. Save: the names that go into the archive (every tag of the selected images offered) -> a
file dialog (its default suffix decided before it asks about replacing a file) -> a save task with
progress. Loads, imports and saves are listed in the activity centre and can be retried there;
reading the archives is not listed (a failure is told in a message). Dialogs are opened with
``open()`` (never a nested event loop), so tests drive them like a person would.

Signals of LoadFlow: loaded(list[str]) -- tags (or IDs of untagged images) now on the engine;
finished().  Signals of SaveFlow: saved(SaveResult); finished().
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QDir, QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QMainWindow, QMessageBox, QWidget

from desktop.engine.archive import ARCHIVE_SUFFIXES
from desktop.engine.errors import BerthError
from desktop.engine.image_archive import SaveResult, save_names
from desktop.engine.images import ImageRow, short_id
from desktop.tasks import archive_tasks
from desktop.tasks.archive_tasks import ArchivePlan, LoadIncomplete, LoadOutcome
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, NOT_CONNECTED, USER, Kind, Operation
from desktop.tasks.task import Task

if TYPE_CHECKING:  # each dialog is imported when it first opens, not at start-up
    from desktop.ui.dialogs.import_rootfs_dialog import ImportRootfsDialog
    from desktop.ui.dialogs.load_preview_dialog import LoadPreviewDialog
    from desktop.ui.dialogs.save_images_dialog import SaveImagesDialog

LOAD_FILTER = "Image archives ({});;All files (*)".format(" ".join(f"*{s}" for s in ARCHIVE_SUFFIXES))
TAR_FILTER = "Image archive (*.tar)"
GZIP_FILTER = "Gzip-compressed image archive (*.tar.gz *.tgz)"
_FOLDER_KEY = "archives/folder"
_running: set[QObject] = set()  # flows without a parent stay alive until they finish


def _status(parent: QWidget | None, text: str) -> None:
    window = parent.window() if parent is not None else None
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, 20000)


def _last_folder() -> str:
    folder = QSettings().value(_FOLDER_KEY)
    return folder if isinstance(folder, str) and folder else QDir.homePath()


def _remember_folder(path: str) -> None:
    QSettings().setValue(_FOLDER_KEY, os.path.dirname(os.path.abspath(path)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class _Flow(QObject):
    finished = Signal()

    def __init__(self, parent: QWidget | None, session: EngineSession):
        super().__init__(parent)
        self.parent_widget = parent
        self.session = session
        self.message_box: QMessageBox | None = None
        self.over = False

    def _done(self) -> None:
        if not self.over:
            self.over = True
            self.finished.emit()

    def _operation(self, title: str, fn, *args, kind: Kind = USER, **kwargs) -> Operation:
        """Work for this flow; its callbacks end with the flow. User work can be retried from the
        activity centre (the flow is over by then: the retry is the centre's alone)."""
        return Operation(self.session, title, fn, *args, kind=kind, retryable=kind is USER, **kwargs).owned_by(self)

    def _failed_for_want_of_engine(self, error: BerthError, text: str) -> bool:
        """When *error* says no engine is connected, tell the person *text*; True then."""
        if str(error) != NOT_CONNECTED:
            return False
        self._tell("Not connected", text)
        return True

    def _tell(self, title: str, text: str) -> None:
        """A message that does not block (window-modal, opened with open())."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.parent_widget)
        box.setObjectName("archiveMessage")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        box.open()


class LoadFlow(_Flow):
    loaded = Signal(list)

    def __init__(self, parent: QWidget | None, session: EngineSession, paths: list[str],
                 on_loaded: Callable[[list[str]], object] | None = None):
        super().__init__(parent, session)
        self.paths = [os.fspath(p) for p in paths]
        self.on_loaded = on_loaded
        self.plans: list[ArchivePlan] = []
        self.inspect_task: Task | None = None
        self.preview_dialog: LoadPreviewDialog | None = None
        self.load_task: Task | None = None
        self.import_dialog: ImportRootfsDialog | None = None
        self.import_tasks: list[Task] = []
        self._imports: list[ArchivePlan] = []
        self._pending = 0

    def start(self) -> None:
        if not self.paths:
            self._done()
            return
        count = len(self.paths)
        title = f"Reading {os.path.basename(self.paths[0])}" if count == 1 else f"Reading {count} image archives"
        self.inspect_task = self._operation(title, archive_tasks.inspect_archives, self.paths, kind=HOUSEKEEPING,
                                            action="read the archives") \
            .on_success(self._on_inspected).on_failure(self._on_inspect_failed).on_cancel(self._done).run()

    def _on_inspect_failed(self, error: BerthError) -> None:
        if not self._failed_for_want_of_engine(error, "Connect to a Docker engine before loading image archives."):
            self._tell("Could not read the archives", str(error))
        self._done()

    # --- preview ----------------------------------------------------------------------------
    def _on_inspected(self, plans: list[ArchivePlan]) -> None:
        self.plans = plans
        if all(plan.rootfs and not plan.preview.problem for plan in plans):
            self._imports = list(plans)  # nothing to preview: go straight to naming the images
            self._next_import()
            return
        from desktop.ui.dialogs.load_preview_dialog import LoadPreviewDialog

        dialog = LoadPreviewDialog(plans, self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._on_confirmed(dialog.selected_plans()))
        dialog.rejected.connect(self._done)
        self.preview_dialog = dialog
        dialog.open()

    def _on_confirmed(self, selected: list[ArchivePlan]) -> None:
        self.preview_dialog = None
        loads = [plan for plan in selected if plan.loadable]
        self._imports = [plan for plan in selected if plan.rootfs]
        if loads:
            self._start_load(loads)
        self._next_import()
        self._maybe_done()

    # --- load -------------------------------------------------------------------------------
    def _start_load(self, plans: list[ArchivePlan]) -> None:
        title = f"Loading {plans[0].name}" if len(plans) == 1 else f"Loading {len(plans)} image archives"
        self._pending += 1
        self.load_task = self._operation(title, archive_tasks.load_archives, [p.preview for p in plans],
                                         action=f"load {plans[0].name}" if len(plans) == 1 else "load the archives") \
            .on_success(self._on_loaded).on_failure(self._on_load_failed).on_finish(self._task_finished).run()

    def _on_loaded(self, outcome: LoadOutcome) -> None:
        names = outcome.tags + outcome.image_ids
        if names:
            shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            _status(self.parent_widget, f"Loaded {shown}")
        else:
            _status(self.parent_widget, "The archive loaded, but it held no images.")
        self._report(names)

    def _on_load_failed(self, error: BerthError) -> None:
        self._failed_for_want_of_engine(error, "The connection to the Docker engine was lost; nothing was loaded.")
        if isinstance(error, LoadIncomplete):
            self._report(error.outcome.tags + error.outcome.image_ids)

    def _report(self, names: list[str]) -> None:
        if not names:
            return
        self.loaded.emit(names)
        if self.on_loaded is not None:
            self.on_loaded(names)

    # --- import of plain file systems --------------------------------------------------------
    def _next_import(self) -> None:
        if self.import_dialog is not None or not self._imports:
            self._maybe_done()
            return
        plan = self._imports.pop(0)
        from desktop.ui.dialogs.import_rootfs_dialog import ImportRootfsDialog

        dialog = ImportRootfsDialog(plan, self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda result, d=dialog, p=plan: self._on_import_named(d, p, result))
        self.import_dialog = dialog
        dialog.open()

    def _on_import_named(self, dialog: ImportRootfsDialog, plan: ArchivePlan, result: int) -> None:
        self.import_dialog = None
        if result == QDialog.DialogCode.Accepted:
            repository, tag = dialog.names()
            self._start_import(plan, repository, tag)
        self._next_import()

    def _start_import(self, plan: ArchivePlan, repository: str, tag: str) -> None:
        self._pending += 1
        self.import_tasks.append(
            self._operation(f"Importing {plan.name}", archive_tasks.import_rootfs, plan.preview, repository, tag,
                            action=f"import {plan.name}")
            .on_success(self._on_imported).on_failure(self._on_import_failed).on_finish(self._task_finished).run())

    def _on_import_failed(self, error: BerthError) -> None:
        self._failed_for_want_of_engine(error, "The connection to the Docker engine was lost; nothing was imported.")

    def _on_imported(self, result) -> None:
        _status(self.parent_widget, f"Imported {result.reference}")
        self._report([result.reference])

    # --- end --------------------------------------------------------------------------------
    def _task_finished(self) -> None:
        self._pending -= 1
        self._maybe_done()

    def _maybe_done(self) -> None:
        if self._pending <= 0 and self.import_dialog is None and not self._imports and self.preview_dialog is None:
            self._done()


class SaveFlow(_Flow):
    saved = Signal(object)

    def __init__(self, parent: QWidget | None, session: EngineSession, rows: list[ImageRow]):
        super().__init__(parent, session)
        self.rows = list(rows)
        self.names = save_names(self.rows)
        sizes = {row.id: row.size for row in self.rows}
        self.estimate = sum(sizes.values())
        self.names_dialog: SaveImagesDialog | None = None
        self.file_dialog: QFileDialog | None = None
        self.overwrite_box: QMessageBox | None = None
        self.save_task: Task | None = None

    def start(self) -> None:
        """Say which names go into the archive (all tags of the selected images offered), then
        ask where to save; every dialog is opened with open(), the save starts on a choice."""
        if not self.names:
            self._done()
            return
        from desktop.ui.dialogs.save_images_dialog import SaveImagesDialog

        dialog = SaveImagesDialog(self.session, self.rows, self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self._on_names_chosen)
        dialog.rejected.connect(self._done)
        self.names_dialog = dialog
        dialog.start()
        dialog.open()

    def _on_names_chosen(self, names: list[str], estimate: int) -> None:
        self.names_dialog = None
        self.names = list(names)
        self.estimate = estimate
        self.choose_file()

    def choose_file(self, folder: str | None = None, name: str | None = None) -> QFileDialog:
        """The file dialog. Its default suffix follows the chosen filter, so a typed "backup" is
        "backup.tar"; the question about replacing a file is Berth's own, about the final name
        (a native dialog would ask about the name as typed, before the suffix)."""
        dialog = QFileDialog(self.parent_widget, "Save images as an archive", folder or _last_folder())
        dialog.setObjectName("saveImagesFileDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilters([TAR_FILTER, GZIP_FILTER])
        dialog.setDefaultSuffix("tar")
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite, True)
        dialog.filterSelected.connect(lambda f, d=dialog: d.setDefaultSuffix("tar.gz" if f == GZIP_FILTER else "tar"))
        dialog.selectFile(name or self.default_name())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path, d=dialog: self.save_to(path, self._compress_for(path, d)))
        dialog.rejected.connect(self._done)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    def default_name(self) -> str:
        first = self.names[0]
        if first.startswith("sha256:"):
            base = short_id(first)
        else:
            repo, _, tag = first.rpartition(":")
            base = repo.rsplit("/", 1)[-1]
            if tag != "latest" and len(self.names) == 1:
                base += f"-{tag}"
        return f"{base}.tar" if len(self.names) == 1 else f"{base}-and-{len(self.names) - 1}-more.tar"

    @staticmethod
    def _compress_for(path: str, dialog: QFileDialog) -> bool:
        lower = path.lower()
        if lower.endswith((".tar.gz", ".tgz")):
            return True
        if lower.endswith(".tar"):
            return False
        return dialog.selectedNameFilter() == GZIP_FILTER

    def save_to(self, path: str, compress: bool | None = None) -> Task | None:
        """Save into *path* (gzip when *compress*; None: by the name's ending). A name without an
        archive ending gets one; when the file exists, the person is asked first."""
        self.file_dialog = None
        lower = path.lower()
        if compress is None:
            compress = lower.endswith((".tar.gz", ".tgz"))
        if not lower.endswith((".tar", ".tar.gz", ".tgz")):
            path += ".tar.gz" if compress else ".tar"
        if os.path.exists(path):
            self._ask_overwrite(path, compress)
            return None
        return self._start_save(path, compress)

    def _ask_overwrite(self, path: str, compress: bool) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Save images as an archive",
                          f"{os.path.basename(path)} already exists in {os.path.dirname(path)}.\n"
                          "Do you want to replace it?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.parent_widget)
        box.setObjectName("saveOverwriteQuestion")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button) -> None:
            self.overwrite_box = None
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                self._start_save(path, compress)
            else:  # back to choosing a name
                self.choose_file(os.path.dirname(path), os.path.basename(path))

        box.buttonClicked.connect(answered)  # Escape and closing click No
        self.overwrite_box = box
        box.open()

    def _start_save(self, path: str, compress: bool) -> Task:
        _remember_folder(path)
        what = self.names[0] if len(self.names) == 1 else _plural(len(self.names), "name")
        self.save_task = self._operation(f"Saving {what} to {os.path.basename(path)}", archive_tasks.save_images,
                                         self.names, path, compress, self.estimate or None, action=f"save {what}") \
            .on_success(self._on_saved).on_failure(self._on_save_failed).on_finish(self._done).run()
        return self.save_task

    def _on_save_failed(self, error: BerthError) -> None:
        self._failed_for_want_of_engine(error, "Connect to a Docker engine before saving images.")

    def _on_saved(self, result: SaveResult) -> None:
        _status(self.parent_widget, f"Saved {', '.join(result.names[:4])}"
                                    f"{' and more' if len(result.names) > 4 else ''} to {result.path}")
        self.saved.emit(result)


def _keep_until_finished(flow: _Flow) -> None:
    _running.add(flow)

    def release() -> None:
        _running.discard(flow)
        flow.deleteLater()

    flow.finished.connect(release)


def load_archives(parent: QWidget | None, session: EngineSession, paths: list[str],
                  on_loaded: Callable[[list[str]], object] | None = None) -> LoadFlow:
    """Start loading *paths* (read -> preview -> load); *on_loaded* gets the loaded tags."""
    flow = LoadFlow(parent, session, paths, on_loaded)
    _keep_until_finished(flow)
    flow.start()
    return flow


def choose_and_load(parent: QWidget | None, session: EngineSession,
                    on_loaded: Callable[[list[str]], object] | None = None) -> QFileDialog:
    """File > Load…: a file dialog for one or several archives, then :func:`load_archives`."""
    dialog = QFileDialog(parent, "Load image archives", _last_folder(), LOAD_FILTER)
    dialog.setObjectName("loadArchivesFileDialog")
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def chosen(paths: list[str]) -> None:
        if paths:
            _remember_folder(paths[0])
            load_archives(parent, session, paths, on_loaded)

    dialog.filesSelected.connect(chosen)
    dialog.open()
    return dialog


def save_images(parent: QWidget | None, session: EngineSession, rows: list[ImageRow]) -> SaveFlow:
    """Save the selected Images-view rows into one archive: asks for the file, then saves."""
    flow = SaveFlow(parent, session, rows)
    _keep_until_finished(flow)
    flow.start()
    return flow
