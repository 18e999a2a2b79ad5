"""Confirm, then remove images: the dialog lists what each selected row would do (untag or delete),
names the containers that stand in the way and offers force / remove-them-first, then shows each
image's outcome. The plan and the removal run as tasks; the dialog only shows their answers.

Signals of RemoveImagesDialog: removalFinished(object) -- the RemovalReport (also when some
images stayed), after the removal task ends.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QGroupBox, QHeaderView, QLabel, QLayout,
                               QProgressBar, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from desktop.engine.errors import BerthError
from desktop.engine.image_removal import Action, Outcome, RemovalPlan, RemovalReport, expected, users_text
from desktop.engine.images import ImageRow
from desktop.models.formatting import human_size
from desktop.tasks import image_ops
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Progress, Task
from desktop.ui.dialogs.dialog_layout import grow_with_content
from desktop.ui.problem_style import PROBLEM_COLOUR, mark_problem

GONE_COLOUR = QColor("#7f8c8d")


def heading_for(plan: RemovalPlan, force: bool = False, remove_stopped: bool = False) -> str:
    """The question, counting what will happen with these choices (as the rows say it)."""
    outcomes = [expected(i, force, remove_stopped).outcome for i in plan.items if i.action is not Action.GONE]
    refused = outcomes.count(Outcome.REFUSED_IN_USE)
    untags = outcomes.count(Outcome.UNTAGGED)
    deletes = outcomes.count(Outcome.DELETED)
    parts = []
    if deletes:
        parts.append(f"delete {deletes} image{'s' if deletes != 1 else ''}")
    if untags:
        parts.append(f"remove {untags} tag{'s' if untags != 1 else ''}")
    if not parts:
        return "Nothing left to remove" if not refused else "Nothing can be removed as chosen"
    text = " and ".join(parts)
    text = text[0].upper() + text[1:] + "?"
    if refused:
        text += f" ({refused} stay{'s' if refused == 1 else ''}: in use)"
    return text


def report_heading(report: RemovalReport) -> str:
    if report.cancelled:
        return "Cancelled"
    if report.problems:
        return "Some images stayed"
    deleted, untagged = report.count(Outcome.DELETED), report.count(Outcome.UNTAGGED)
    if untagged and not deleted:
        return "Tags removed; the images stay"
    return "Removed"


class RemoveImagesDialog(QDialog):
    removalFinished = Signal(object)

    def __init__(self, session: EngineSession, rows: list[ImageRow], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("removeImagesDialog")
        self.setWindowTitle("Remove images")
        self.resize(640, 380)
        self._session = session
        self._rows = list(rows)
        self.plan: RemovalPlan | None = None
        self.report: RemovalReport | None = None
        self.plan_task: Task | None = None
        self.remove_task: Task | None = None
        self._reports: list[RemovalReport] = []

        self.heading = QLabel(f"Remove {len(self._rows)} selected image{'s' if len(self._rows) != 1 else ''}?")
        self.heading.setObjectName("removeHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.status = QLabel("Checking…")
        self.status.setObjectName("removeStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.items = QTreeWidget()
        self.items.setObjectName("removeItems")
        self.items.setHeaderLabels(["Image", "What happens"])
        self.items.setRootIsDecorated(False)
        self.items.setWordWrap(True)
        self.items.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.items.header().setStretchLastSection(True)
        for row in self._rows:
            QTreeWidgetItem(self.items, [row.reference, "Checking…"])

        self.in_use = QGroupBox("In use by containers")
        self.in_use.setObjectName("removeInUse")
        self.in_use_text = QLabel()
        self.in_use_text.setObjectName("removeInUseText")
        self.in_use_text.setWordWrap(True)
        self.force_box = QCheckBox("&Force removal (containers keep running on an untagged image)")
        self.force_box.setObjectName("removeForce")
        self.stopped_box = QCheckBox("Remove the &stopped containers that use it first")
        self.stopped_box.setObjectName("removeStoppedContainers")
        in_use_box = QVBoxLayout(self.in_use)
        in_use_box.addWidget(self.in_use_text)
        in_use_box.addWidget(self.force_box)
        in_use_box.addWidget(self.stopped_box)
        self.in_use.setVisible(False)

        self.progress = QProgressBar()
        self.progress.setObjectName("removeProgress")
        self.progress.setVisible(False)

        self.buttons = QDialogButtonBox()
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setObjectName("removeButton")
        self.remove_button.setAutoDefault(False)
        self.remove_button.setEnabled(False)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("removeCancel")
        self.buttons.addButton(self.remove_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.cancel_button.setDefault(True)  # Enter never destroys anything by accident
        self.remove_button.clicked.connect(self.start_removal)
        self.cancel_button.clicked.connect(self._on_cancel)
        self.force_box.toggled.connect(self.describe)
        self.stopped_box.toggled.connect(self.describe)

        box = QVBoxLayout(self)
        box.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows with the wrapped status
        box.addWidget(self.heading)
        box.addWidget(self.items, 1)
        box.addWidget(self.in_use)
        box.addWidget(self.status)
        box.addWidget(self.progress)
        box.addWidget(self.buttons)
        grow_with_content(self)
        self.cancel_button.setFocus()

    # --- planning -----------------------------------------------------------------------
    def start(self) -> None:
        """Ask the engine what removing the rows would do (in a worker); the dialog says Checking…"""
        self.plan_task = Operation(self._session, "Checking the images to remove", image_ops.plan_removal, self._rows,
                                   kind=HOUSEKEEPING, action="check the images to remove").owned_by(self) \
            .on_success(self.set_plan).on_failure(self.set_plan_error).run()

    def set_plan(self, plan: RemovalPlan) -> None:
        self.plan = plan
        self.items.clear()
        for item in plan.items:
            entry = QTreeWidgetItem(self.items, [item.label, ""])
            entry.setToolTip(0, item.image_id)
            if item.action is Action.GONE:
                for column in (0, 1):
                    entry.setForeground(column, QBrush(GONE_COLOUR))
        in_use = plan.in_use
        if in_use:
            lines = [f"{i.label}: used by {users_text(i)}" for i in in_use]
            by_id_running = [i for i in in_use if i.running_containers and not i.references]
            text = "Removing an image that a container uses is refused unless you choose below.\n" + "\n".join(lines)
            if by_id_running:
                text += "\nAn untagged image a running container uses cannot be removed even by force."
            self.in_use_text.setText(text)
            self.force_box.setText("&Force removal (containers keep running on an untagged image)"
                                   if plan.has_running_users else
                                   "&Force removal (the stopped containers stay, without their image)")
            self.stopped_box.setVisible(plan.has_stopped_users)
            self.in_use.setVisible(True)
        self.describe()
        actionable = [i for i in plan.items if i.action is not Action.GONE]
        self.remove_button.setEnabled(bool(actionable))
        self.status.setText("" if actionable else "The selected images are already gone.")

    def describe(self, *_args) -> None:
        """Say per row what Remove will do with the boxes as they are ticked now."""
        if self.plan is None or self.report is not None:
            return
        force, stopped = self.force_box.isChecked(), self.stopped_box.isChecked() and self.plan.has_stopped_users
        self.heading.setText(heading_for(self.plan, force, stopped))
        for n, item in enumerate(self.plan.items):
            entry = self.items.topLevelItem(n)
            what = expected(item, force, stopped, human_size)
            entry.setText(1, what.text)
            entry.setToolTip(1, what.text)
            if item.action is not Action.GONE:
                entry.setForeground(1, QBrush(PROBLEM_COLOUR) if what.outcome is Outcome.REFUSED_IN_USE
                                    else self.items.palette().text())

    def set_plan_error(self, error: BerthError) -> None:
        self.status.setText(str(error))
        mark_problem(self.status)
        self.remove_button.setEnabled(False)

    # --- removal ------------------------------------------------------------------------
    def start_removal(self) -> None:
        if self.plan is None or self.remove_task is not None:
            return
        count = len(self.plan.items)
        self._reports = []  # the worker leaves a cancelled removal's report here
        self.remove_button.setEnabled(False)
        self.force_box.setEnabled(False)
        self.stopped_box.setEnabled(False)
        self.progress.setRange(0, count)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status.setText("Removing…")
        self.remove_task = Operation(
            self._session, f"Removing {count} image{'s' if count != 1 else ''}", image_ops.remove_images, self.plan,
            force=self.force_box.isChecked(),
            remove_stopped_containers=self.stopped_box.isChecked() and self.plan.has_stopped_users,
            report_to=self._reports, action="remove images").owned_by(self) \
            .on_progress(self._on_progress).on_success(self.show_report).on_failure(self._on_failed) \
            .on_cancel(self._on_cancelled).run()

    def _on_progress(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, int(progress.total))
            self.progress.setValue(int(progress.done))
        self.status.setText(progress.text)

    def _on_failed(self, error: BerthError) -> None:
        report = getattr(error, "report", None)
        if isinstance(report, RemovalReport):
            self.show_report(report)
            return
        self._finish()
        self.status.setText(str(error))
        mark_problem(self.status)

    def _on_cancelled(self) -> None:
        if self._reports:
            self.show_report(self._reports[-1])
            return
        self._finish()
        self.status.setText("Cancelled. Images removed before the cancel are gone; the rest stay.")

    def show_report(self, report: RemovalReport) -> None:
        self.report = report
        self._finish()
        self.items.clear()
        for result in report.results:
            entry = QTreeWidgetItem(self.items, [result.item.label, result.message])
            entry.setToolTip(1, result.message)
            if result.outcome.problem:
                entry.setForeground(1, QBrush(PROBLEM_COLOUR))
            elif result.outcome in (Outcome.NOT_FOUND, Outcome.SKIPPED):
                entry.setForeground(1, QBrush(GONE_COLOUR))
        self.heading.setText(report_heading(report))
        # the rows' texts can be cut off: the status line says in full what needs a look
        lines = [report.summary + "."] + [f"{r.item.label}: {r.message}" for r in report.problems]
        self.status.setText("\n".join(lines))
        mark_problem(self.status, bool(report.problems))
        self.removalFinished.emit(report)

    def _finish(self) -> None:
        self.progress.setVisible(False)
        self.in_use.setVisible(False)
        self.remove_button.setVisible(False)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("&Close")
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()

    def _on_cancel(self) -> None:
        task = self.remove_task
        if task is not None and not task.state.done:
            task.cancel()  # the dialog stays to say what happened
            self.cancel_button.setEnabled(False)
            return
        self.reject()

    def reject(self) -> None:
        if self.plan_task is not None and not self.plan_task.state.done:
            self.plan_task.cancel()
        super().reject()  # a removal under way goes on, listed in the activity panel


def confirm_and_remove(parent: QWidget | None, session: EngineSession, rows: list[ImageRow]) -> RemoveImagesDialog:
    """Open the confirmation for *rows* (window-modal, not blocking) and remove on confirmation.

    The dialog deletes itself when closed; the removal task shows in the activity panel, which
    keeps a failure listing every image that stayed and why.
    """
    dialog = RemoveImagesDialog(session, rows, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.start()
    dialog.open()
    return dialog
