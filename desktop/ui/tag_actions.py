"""The user actions on names and builds, as the main window, the Images view's context menu and
the Details pane call them: open the Tag dialog, remove a tag (offering to remove the image
when that tag is its last), open the Build dialog, and select an image once the Images view
lists it. The untag is listed in the activity centre (it changes the user's images); the check
before it is not.

Nothing here blocks: dialogs and questions are opened window-modal (``open()``), answers arrive
as signals, and each function returns the object that carries them, so tests drive them too.

Signals of UntagFlow: finished(object) -- the UntagResult when a tag was removed (or the image
with it), None when nothing was done (declined, refused, gone or failed); ``message`` holds what
was said.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.engine.errors import BerthError
from desktop.engine.images import ImageRow
from desktop.engine.tags import UntagOutcome, UntagPlan, UntagResult
from desktop.tasks import tag_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, USER, Kind, Operation
from desktop.tasks.task import Task
from desktop.ui.list_page import SELECT_WAIT_MS

if TYPE_CHECKING:
    from desktop.ui.dialogs.build_dialog import BuildDialog
    from desktop.ui.dialogs.tag_dialog import TagDialog

_alive: set[QObject] = set()  # flows without a parent widget, kept until they finish


def tag_image(parent: QWidget | None, session: EngineSession, row: ImageRow) -> TagDialog:
    """Open the Tag dialog for a row of the Images view (window-modal, deletes itself when closed).
    Its ``tagged`` signal carries the TagResult."""
    from desktop.ui.dialogs.tag_dialog import TagDialog  # on first use

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
    from desktop.ui.dialogs.build_dialog import BuildDialog  # on first use

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
        self._submit(HOUSEKEEPING, "Checking the tag", tag_tasks.plan_untag, self._on_plan)

    def _submit(self, kind: Kind, title: str, fn, on_result, *extra) -> None:
        """The check is housekeeping; the untag itself changes the user's images, so it is listed
        in the activity centre with its outcome. A failure (not connected too) is also told here."""
        self.task = Operation(self._session, title, fn, self.reference, self.image_id, *extra, kind=kind,
                              action=f"remove the tag {self.reference}").owned_by(self) \
            .on_success(on_result).on_failure(self._on_failed).run()

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
        plan = self.plan
        title = f"Removing {self.reference} and image {plan.short_id}" if delete_image and plan is not None \
            else f"Removing the tag {self.reference}"
        self._submit(USER, title, tag_tasks.untag, self._on_untagged, delete_image)

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


def select_when_listed(page, image_id: str, reference: str = "", timeout_ms: int = SELECT_WAIT_MS) -> bool:
    """Select the row of *image_id* named *reference* (e.g. 'myapp:v1'; any row of the image when
    not given) in a list page such as the Images view, now or once a listing brings it (the event
    stream refreshes the Images view after a build or tag). When that name never shows (it moved
    on meanwhile), the image's row will do."""
    if not reference:
        return page.select_when_listed([image_id], timeout_ms)
    return page.select_when_listed([(image_id, reference)], timeout_ms, fallback=[image_id])
