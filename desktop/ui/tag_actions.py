"""The user actions on names and builds, as the main window, the Images view's context menu and
the Details pane call them: open the Tag dialog, remove a tag (offering to remove the image
when that tag is its last), open the Build dialog, and select an image once the Images view
lists it.

Nothing here blocks: dialogs and questions are opened window-modal (``open()``), answers arrive
as signals, and each function returns the object that carries them, so tests drive them too.

Signals of UntagFlow: finished(object) -- the UntagResult when a tag was removed (or the image
with it), None when nothing was done (declined, refused, gone or failed); ``message`` holds what
was said.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.engine.errors import BerthError
from desktop.engine.images import ImageRow
from desktop.engine.tags import UntagOutcome, UntagPlan, UntagResult
from desktop.tasks import tag_tasks
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.task import Task
from desktop.ui.dialogs.build_dialog import BuildDialog
from desktop.ui.dialogs.tag_dialog import TagDialog

_alive: set[QObject] = set()  # flows without a parent widget, kept until they finish


def tag_image(parent: QWidget | None, session: EngineSession, row: ImageRow) -> TagDialog:
    """Open the Tag dialog for a row of the Images view (window-modal, deletes itself when closed).
    Its ``tagged`` signal carries the TagResult."""
    dialog = TagDialog.for_row(session, row, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.start()
    dialog.open()
    return dialog


def build_image(parent: QWidget | None, session: EngineSession, context_dir: str | None = None,
                dockerfile: str | None = None) -> BuildDialog:
    """Open the Build dialog (not modal: a build may take long and the window stays usable), with
    the context and Dockerfile filled in when given (a dropped folder). Its ``built`` signal
    carries the BuildResult."""
    dialog = BuildDialog(session, context_dir or "", dockerfile or "", parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.start()
    dialog.show()
    return dialog


class UntagFlow(QObject):
    finished = Signal(object)

    def __init__(self, parent_widget: QWidget | None, session: EngineSession, reference: str, image_id: str):
        super().__init__(parent_widget)
        self._widget = parent_widget
        self._session = session
        self.reference = reference
        self.image_id = image_id
        self.plan: UntagPlan | None = None
        self.result: UntagResult | None = None
        self.message_box: QMessageBox | None = None
        self.message = ""
        self.task: Task | None = None
        self._replanned = False
        if parent_widget is None:
            _alive.add(self)

    def start(self) -> None:
        self._submit("Checking the tag", tag_tasks.plan_untag, self._on_plan)

    def _submit(self, title: str, fn, on_result, *extra) -> None:
        factory = self._session.factory
        if self._session.state != CONNECTED or factory is None:
            self._tell(QMessageBox.Icon.Warning, "Not connected to the Docker engine.")
            return
        task = Task(title, fn, factory, self.reference, self.image_id, *extra, background=True,
                    action=f"remove the tag {self.reference}")
        task.signals.succeeded.connect(on_result)
        task.signals.failed.connect(self._on_failed)
        self.task = task
        self._session.tasks.submit(task)

    def _on_plan(self, plan: UntagPlan) -> None:
        self.plan = plan
        if plan.outcome in (UntagOutcome.UNTAG, UntagOutcome.KEEPS_IMAGE):
            self._untag(delete_image=False)
        elif plan.outcome is UntagOutcome.DELETES_IMAGE:
            self._ask_to_remove(plan)
        else:  # IN_USE, GONE: nothing to do but say why
            self._tell(QMessageBox.Icon.Information, plan.describe())

    def _ask_to_remove(self, plan: UntagPlan) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Remove the image?", plan.describe(),
                          QMessageBox.StandardButton.NoButton, self._widget)
        box.setObjectName("untagRemoveImage")
        box.setInformativeText(f"Remove image {plan.short_id} instead of only its tag?")
        remove = box.addButton("&Remove image", QMessageBox.ButtonRole.DestructiveRole)
        remove.setObjectName("untagRemoveImageYes")
        keep = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        self.message = plan.describe()
        box.finished.connect(lambda _r: self._on_answer(box.clickedButton() is remove))
        box.open()

    def _on_answer(self, remove: bool) -> None:
        self.message_box = None
        if remove:
            self._untag(delete_image=True)
        else:
            self._finish(None)

    def _untag(self, delete_image: bool) -> None:
        self._submit(f"Removing the tag {self.reference}", tag_tasks.untag, self._on_untagged, delete_image)

    def _on_untagged(self, result: UntagResult) -> None:
        if result.done:
            self._finish(result)
        elif result.plan.outcome is UntagOutcome.DELETES_IMAGE and not self._replanned:
            self._replanned = True  # its other tags went meanwhile: ask, as if it had been so from the start
            self._on_plan(result.plan)
        else:
            self._tell(QMessageBox.Icon.Information, result.plan.describe())

    def _on_failed(self, error: BerthError) -> None:
        self._tell(QMessageBox.Icon.Warning, str(error))

    def _tell(self, icon: QMessageBox.Icon, text: str) -> None:
        box = QMessageBox(icon, "Remove tag", text, QMessageBox.StandardButton.Ok, self._widget)
        box.setObjectName("untagMessage")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        self.message = text
        box.finished.connect(lambda _r: setattr(self, "message_box", None))
        box.open()
        self._finish(None)

    def _finish(self, result: UntagResult | None) -> None:
        self.result = result
        self.finished.emit(result)
        _alive.discard(self)


def untag(parent: QWidget | None, session: EngineSession, reference: str, image_id: str) -> UntagFlow:
    """Remove *reference* ('repo:tag') from the image: at once when the image keeps other names;
    with a question when it is the last tag and nothing uses the image (the engine then deletes
    the image, so the offer is to remove the image instead); with an explanation and no change
    when containers use it or the name moved on."""
    flow = UntagFlow(parent, session, reference, image_id)
    flow.start()
    return flow


class _PendingSelection(QObject):
    """Selects a row once a listing brings it, or gives up after a while."""

    def __init__(self, page, image_id: str, reference: str, timeout_ms: int):
        super().__init__(page)
        self._page = page
        self._image_id = image_id
        self._reference = reference
        page.feed.loaded.connect(self._try)
        QTimer.singleShot(timeout_ms, self, self._give_up)

    def _try(self) -> None:
        if select_image(self._page, self._image_id, self._reference):
            self._stop()

    def _give_up(self) -> None:
        if self._reference:  # the name never showed (moved on meanwhile): the image will do
            select_image(self._page, self._image_id)
        self._stop()

    def _stop(self) -> None:
        try:
            self._page.feed.loaded.disconnect(self._try)
        except (RuntimeError, TypeError):
            pass
        self.deleteLater()


def select_image(page, image_id: str, reference: str = "") -> bool:
    """Select and show the row of *image_id* (the one named *reference*, e.g. 'myapp:v1', when
    given) in a list page such as the Images view; clears a filter that hides it. False when the
    page does not list it (yet)."""
    model = page.model
    rows = [n for n in range(model.rowCount()) if model.row_at(n).id == image_id]
    if reference:
        rows = [n for n in rows if model.row_at(n).reference == reference]
    if not rows:
        return False
    source = model.index(rows[0], 0)
    index = page.proxy.mapFromSource(source)
    if not index.isValid():
        page.filter_edit.clear()
        index = page.proxy.mapFromSource(source)
        if not index.isValid():
            return False
    selection = page.table.selectionModel()
    selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                              | QItemSelectionModel.SelectionFlag.Rows)
    page.table.scrollTo(index)
    return True


def select_when_listed(page, image_id: str, reference: str = "", timeout_ms: int = 15000) -> None:
    """Select the image now if the page lists it, else as soon as a listing brings it (the event
    stream refreshes the Images view after a build or tag)."""
    if not select_image(page, image_id, reference):
        _PendingSelection(page, image_id, reference, timeout_ms)
