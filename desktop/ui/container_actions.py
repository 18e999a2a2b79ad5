"""What the container actions do when chosen, wherever they are chosen from (toolbar, context
menu, shortcut, the Images view): the confirmations and choices first, then an operation per
action (listed in the activity centre), then a word on the outcome. Dialogs open window-modal
without blocking (``open()``), so nothing here waits on the user or on the engine.

``run_image(parent, session, image)`` is the Images view's "Run…" entry point.

Signals of ContainerActions:
  done(str, object)     -- action name, OpsReport (or the result of rename/commit/prune/run)
  failed(str, object)   -- action name, the BerthError (already shown to the user)
  runStarted(object)    -- a RunResult: a container was started from an image (select it)
  shellRequested()      -- "Open shell" was chosen for the current container
  stopAsked(list, float) -- ids being stopped and the grace (s) before the engine kills them
  stopEnded(list)       -- the stop of those ids is over (done or failed)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.engine.container_ops import ACTIONS, Target
from desktop.engine.containers import ContainerRow
from desktop.engine.errors import BerthError
from desktop.engine.file_copy import IN, OUT
from desktop.tasks import container_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import Operation
from desktop.tasks.task import Task

if TYPE_CHECKING:  # each dialog is imported when it first opens, not at start-up
    from desktop.ui.dialogs.copy_dialog import CopyDialog
    from desktop.ui.dialogs.commit_dialog import CommitDialog
    from desktop.ui.dialogs.prune_containers_dialog import PruneContainersDialog
    from desktop.ui.dialogs.remove_containers_dialog import RemoveContainersDialog
    from desktop.ui.dialogs.rename_dialog import RenameDialog
    from desktop.ui.dialogs.run_dialog import RunDialog
    from desktop.ui.dialogs.signal_dialog import KillDialog, StopDialog


# the engine's grace period for a stop that names none: the container's own --stop-timeout when it
# has one (the list endpoint does not say), else this
DEFAULT_STOP_TIMEOUT_S = 10


def applicable(action: str, rows: list[ContainerRow]) -> list[ContainerRow]:
    """The rows an action makes sense for (stop only running ones, start only stopped ones...)."""
    if action == "start":
        return [r for r in rows if r.state in ("created", "exited", "dead")]
    if action in ("stop", "kill"):
        return [r for r in rows if r.state in ("running", "paused", "restarting")]
    if action == "restart":
        return [r for r in rows if r.state != "removing"]
    if action == "pause":
        return [r for r in rows if r.state == "running"]
    if action == "unpause":
        return [r for r in rows if r.state == "paused"]
    return list(rows)


def _open(dialog) -> None:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.open()


def run_image(parent: QWidget | None, session: EngineSession, image) -> RunDialog:
    """Open the Run dialog for *image* (an ImageRow or a reference/id string); returns it (opened,
    not blocking). Connect ``started`` to learn the new container."""
    reference = image if isinstance(image, str) else image.reference
    from desktop.ui.dialogs.run_dialog import RunDialog

    dialog = RunDialog(session, reference, parent)
    _open(dialog)
    dialog.start()
    return dialog


class ContainerActions(QObject):
    done = Signal(str, object)
    failed = Signal(str, object)
    runStarted = Signal(object)
    shellRequested = Signal()
    stopAsked = Signal(list, float)
    stopEnded = Signal(list)

    def __init__(self, session: EngineSession, parent_widget: QWidget):
        super().__init__(parent_widget)
        self._session = session
        self._parent = parent_widget
        self.last_dialog = None  # the dialog opened last (tests drive it)
        self.last_message: QMessageBox | None = None
        self.tasks: list[Task] = []

    # --- lifecycle ------------------------------------------------------------------------------
    def act(self, action: str, rows: list[ContainerRow], on_finish=None, **options) -> Task | None:
        """Do *action* on the rows it applies to, in one operation listed in the activity centre;
        None when none applies. *on_finish* is called once it is over, however it ended."""
        rows = applicable(action, rows)
        if not rows:
            return None
        verb = ACTIONS[action][1]
        title = f"{verb} {rows[0].name}" if len(rows) == 1 else f"{verb} {len(rows)} containers"
        holder: list[Task] = []

        def finished() -> None:
            if holder and holder[0] in self.tasks:
                self.tasks.remove(holder[0])
            if on_finish is not None:
                on_finish()

        task = Operation(self._session, title, container_tasks.container_action, action,
                         [Target.of(r) for r in rows],
                         action=f"{action} {rows[0].name if len(rows) == 1 else 'the containers'}", **options) \
            .owned_by(self).on_success(lambda report, a=action: self.done.emit(a, report)) \
            .on_failure(lambda error, a=action: self._report(a, error)).on_finish(finished).run()
        holder.append(task)
        self.tasks.append(task)
        return task

    def start(self, rows: list[ContainerRow]) -> Task | None:
        return self.act("start", rows)

    def stop(self, rows: list[ContainerRow], timeout: int | None = None) -> Task | None:
        ids = [r.id for r in applicable("stop", rows)]
        task = self.act("stop", rows, on_finish=lambda: self.stopEnded.emit(ids), timeout=timeout)
        if task is not None:
            self.stopAsked.emit(ids, float(DEFAULT_STOP_TIMEOUT_S if timeout is None else timeout))
        return task

    def restart(self, rows: list[ContainerRow]) -> Task | None:
        return self.act("restart", rows)

    def pause(self, rows: list[ContainerRow]) -> Task | None:
        return self.act("pause", rows)

    def unpause(self, rows: list[ContainerRow]) -> Task | None:
        return self.act("unpause", rows)

    def ask_stop(self, rows: list[ContainerRow]) -> StopDialog | None:
        rows = applicable("stop", rows)
        if not rows:
            return None
        from desktop.ui.dialogs.signal_dialog import StopDialog

        dialog = StopDialog([r.name for r in rows], parent=self._parent)
        dialog.chosen.connect(lambda timeout: self.stop(rows, timeout))
        self._show(dialog)
        return dialog

    def ask_kill(self, rows: list[ContainerRow]) -> KillDialog | None:
        rows = applicable("kill", rows)
        if not rows:
            return None
        from desktop.ui.dialogs.signal_dialog import KillDialog

        dialog = KillDialog([r.name for r in rows], self._parent)
        dialog.chosen.connect(lambda signal: self.act("kill", rows, signal=signal))
        self._show(dialog)
        return dialog

    def ask_remove(self, rows: list[ContainerRow]) -> RemoveContainersDialog | None:
        if not rows:
            return None
        from desktop.ui.dialogs.remove_containers_dialog import RemoveContainersDialog

        dialog = RemoveContainersDialog(list(rows), self._parent)
        dialog.confirmed.connect(lambda force, volumes: self.act("remove", rows, force=force, volumes=volumes))
        self._show(dialog)
        return dialog

    def ask_rename(self, row: ContainerRow | None) -> RenameDialog | None:
        if row is None:
            return None
        from desktop.ui.dialogs.rename_dialog import RenameDialog

        dialog = RenameDialog(self._session, row, self._parent)
        dialog.renamed.connect(lambda _id, name: self.done.emit("rename", name))
        self._show(dialog)
        return dialog

    def ask_prune(self) -> PruneContainersDialog:
        from desktop.ui.dialogs.prune_containers_dialog import PruneContainersDialog

        dialog = PruneContainersDialog(self._session, self._parent)
        dialog.pruned.connect(lambda answer: self.done.emit("prune", answer))
        self._show(dialog)
        dialog.start()
        return dialog

    def ask_commit(self, row: ContainerRow | None) -> CommitDialog | None:
        if row is None:
            return None
        from desktop.ui.dialogs.commit_dialog import CommitDialog

        dialog = CommitDialog(self._session, row, self._parent)
        dialog.committed.connect(lambda result: self.done.emit("commit", result))
        self._show(dialog)
        return dialog

    def ask_copy(self, row: ContainerRow | None, direction: str = OUT) -> CopyDialog | None:
        """Copy files out of (OUT) or into (IN) the container."""
        if row is None or direction not in (IN, OUT):
            return None
        from desktop.ui.dialogs.copy_dialog import CopyDialog

        dialog = CopyDialog(self._session, row, direction, self._parent)
        dialog.copied.connect(lambda where, d=direction: self.done.emit(f"copy_{d}", where))
        self._show(dialog)
        return dialog

    def run_image(self, image) -> RunDialog:
        dialog = run_image(self._parent, self._session, image)
        dialog.started.connect(self.runStarted)
        self.last_dialog = dialog
        return dialog

    def open_shell(self) -> None:
        self.shellRequested.emit()

    # --- internals ----------------------------------------------------------------------------
    def _show(self, dialog) -> None:
        self.last_dialog = dialog
        _open(dialog)

    def _report(self, action: str, error: BerthError) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Berth", str(error), parent=self._parent)
        box.setObjectName("containerActionError")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_message = box
        box.finished.connect(lambda _r, b=box: setattr(self, "last_message", None) if self.last_message is b else None)
        box.open()
        self.failed.emit(action, error)
