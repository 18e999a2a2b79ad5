"""The activity centre: every operation a person started, on every engine, with its progress bar,
elapsed time, throughput where bytes move, Cancel, and how it ended. Finished operations stay
(successes quieter than failures) until cleared; a failure keeps its full error text, which can be
copied, and offers Retry where the work can simply be done again. Nothing here depends on which
view is showing.

``ActivitySummary`` is the status bar's compact line ("2 running · 45 %") that opens the centre.

Signals of ActivityPanel: countChanged(int running).
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QFont, QGuiApplication, QKeySequence, QPalette
from PySide6 import QtWidgets  # QStyle, QStyleOptionProgressBar, QMessageBox: at first paint of a row, not at start
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QDockWidget, QHBoxLayout, QLabel, QListView,
                               QMenu, QStyledItemDelegate, QToolButton, QVBoxLayout, QWidget)

from desktop.models.activity_model import (DETAIL_ROLE, ELAPSED_ROLE, ENGINE_ROLE, ERROR_ROLE, FRACTION_ROLE,
                                           RETRYABLE_ROLE, THROUGHPUT_ROLE, ActivityModel)
from desktop.tasks.manager import TaskManager
from desktop.tasks.task import Task, TaskState
from desktop.ui.problem_style import PROBLEM_COLOUR

_PAD = 6
_BAR_HEIGHT = 8


def row_height(metrics) -> int:
    return _PAD * 2 + metrics.height() * 2 + _BAR_HEIGHT + 4


class ActivityDelegate(QStyledItemDelegate):
    """Paints one operation: title with engine, elapsed time and throughput on the right; a
    progress bar while it runs; what it is doing or how it ended below."""

    def sizeHint(self, option, index: QModelIndex) -> QSize:
        return QSize(320, row_height(option.fontMetrics))

    @staticmethod
    def _task(index: QModelIndex) -> Task | None:
        model = index.model()
        if not isinstance(model, ActivityModel) or not 0 <= index.row() < model.rowCount():
            return None
        return model.task_at(index.row())

    def paint(self, painter, option, index: QModelIndex) -> None:
        style = option.widget.style() if option.widget else QApplication.style()
        QStyle = QtWidgets.QStyle  # noqa: N806 - resolved here: its enums cost 10 ms at start
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        task = self._task(index)
        if task is None:
            return
        data = functools.partial(ActivityModel.value, task)  # not index.data: see ActivityModel.value
        state: TaskState = task.state
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        quiet = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        metrics = option.fontMetrics
        line = metrics.height()
        rect = option.rect.adjusted(_PAD, _PAD, -_PAD, -_PAD)

        meta = " · ".join(p for p in (data(ENGINE_ROLE), data(THROUGHPUT_ROLE), data(ELAPSED_ROLE)) if p)
        painter.save()
        meta_width = metrics.horizontalAdvance(meta) + _PAD if meta else 0
        title_font = QFont(option.font)
        title_font.setBold(not state.done or state == TaskState.FAILED)
        painter.setFont(title_font)
        painter.setPen(palette.color(text_role) if (not state.done or state == TaskState.FAILED or selected)
                       else quiet)
        title_rect = QRect(rect.left(), rect.top(), rect.width() - meta_width, line)
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(task.title, Qt.TextElideMode.ElideRight, title_rect.width()))
        painter.setFont(option.font)
        if meta:
            painter.setPen(palette.color(text_role) if selected else quiet)
            painter.drawText(QRect(rect.right() - meta_width, rect.top(), meta_width, line),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, meta)

        top = rect.top() + line + 2
        if not state.done:
            bar = QtWidgets.QStyleOptionProgressBar()
            bar.rect = QRect(rect.left(), top, rect.width(), _BAR_HEIGHT)
            bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
            bar.textVisible = False
            fraction = data(FRACTION_ROLE)
            bar.minimum, bar.maximum = (0, 0) if fraction is None else (0, 1000)
            bar.progress = 0 if fraction is None else int(fraction * 1000)
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
        top += _BAR_HEIGHT + 2
        detail = (data(DETAIL_ROLE) or "").splitlines()
        painter.setPen(PROBLEM_COLOUR if state == TaskState.FAILED and not selected
                       else palette.color(text_role) if not state.done or selected else quiet)
        detail_rect = QRect(rect.left(), top, rect.width(), line)
        painter.drawText(detail_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(detail[0] if detail else "", Qt.TextElideMode.ElideRight, rect.width()))
        painter.restore()


class ActivityPanel(QDockWidget):
    countChanged = Signal(int)

    def __init__(self, tasks: TaskManager, parent=None):
        super().__init__("Activity", parent)
        self.setObjectName("activityPanel")
        self.model = ActivityModel(tasks, self)
        self.view = QListView()
        self.view.setObjectName("activityList")
        self.view.setModel(self.model)
        self.view.setItemDelegate(ActivityDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setUniformItemSizes(True)
        self.view.setMinimumHeight(3 * row_height(self.view.fontMetrics()))  # three operations in sight
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.doubleClicked.connect(lambda index: self._show_error(self.model.task_at(index.row())))
        self.empty = QLabel("Nothing has run yet. Saves, loads, builds, removals and other long work show here.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.cancel_action = QAction("&Cancel", self, triggered=self.cancel_selected)
        self.retry_action = QAction("&Retry", self, triggered=self.retry_selected)
        self.copy_action = QAction("Copy &error", self, shortcut=QKeySequence.StandardKey.Copy,
                                   triggered=self.copy_selected)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.clear_action = QAction("C&lear finished", self, triggered=self.model.clear_finished)
        self.view.addAction(self.copy_action)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QToolButton] = {}
        for name, action in (("cancel", self.cancel_action), ("retry", self.retry_action),
                             ("copy", self.copy_action), ("clear", self.clear_action)):
            button = QToolButton()
            button.setObjectName(f"activity_{name}")
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button)
            self.buttons[name] = button
        buttons.addStretch(1)
        body = QWidget()
        box = QVBoxLayout(body)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(buttons)
        box.addWidget(self.empty)
        box.addWidget(self.view, 1)
        self.setWidget(body)

        self._running = 0
        self.model.rowsInserted.connect(self._on_rows_inserted)
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.dataChanged):
            signal.connect(self._update)
        self.view.selectionModel().selectionChanged.connect(self._update)
        self._update()

    # --- what is selected -------------------------------------------------------------------------
    def selected_tasks(self) -> list[Task]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return [self.model.task_at(row) for row in rows]

    def select_task(self, task: Task) -> None:
        row = self.model.row_of(task)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))

    def cancel_selected(self) -> None:
        for task in self.selected_tasks():
            task.cancel()

    def retry_selected(self) -> None:
        for task in self.selected_tasks():
            self.model.retry(task)

    def copy_selected(self) -> None:
        texts = []
        for task in self.selected_tasks():
            row = self.model.index(self.model.row_of(task))
            texts.append(f"{task.title}: {row.data(ERROR_ROLE) or row.data(DETAIL_ROLE)}")
        if texts:
            QGuiApplication.clipboard().setText("\n".join(texts))

    # --- following the model ------------------------------------------------------------------------
    def _on_rows_inserted(self, _parent, first: int, _last: int) -> None:
        self.show()  # a new operation is worth a look; it stays shown until the user hides it
        self.view.scrollToTop()

    def _update(self, *_args) -> None:
        model = self.model
        running = model.running_count()
        selected = self.selected_tasks()
        self.cancel_action.setEnabled(any(t.cancellable and not t.state.done for t in selected))
        self.retry_action.setEnabled(any(model.index(model.row_of(t)).data(RETRYABLE_ROLE) for t in selected))
        self.copy_action.setEnabled(bool(selected))
        self.clear_action.setEnabled(model.finished_count() > 0)
        listed = model.rowCount() > 0
        self.empty.setVisible(not listed)
        self.view.setVisible(listed)
        if running != self._running:
            self._running = running
            self.countChanged.emit(running)

    def _context_menu(self, pos) -> None:
        index = self.view.indexAt(pos)
        if index.isValid() and not self.view.selectionModel().isSelected(index):
            self.view.setCurrentIndex(index)
        menu = QMenu(self)
        for action in (self.cancel_action, self.retry_action, self.copy_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.clear_action)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def _show_error(self, task: Task) -> None:
        if task.state == TaskState.FAILED:
            box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, task.title, str(task.error), parent=self)
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()


class ActivitySummary(QToolButton):
    """The status bar's word on the activity centre; a click shows or hides it."""

    def __init__(self, panel: ActivityPanel, parent=None):
        super().__init__(parent)
        self.setObjectName("activityButton")
        self.setAutoRaise(True)
        self._panel = panel
        self.clicked.connect(lambda: panel.setVisible(not panel.isVisible()))
        panel.model.summaryChanged.connect(self._show)
        self._show(panel.model.summary())

    def _show(self, summary: str) -> None:
        self.setText(f"Activity: {summary}" if summary else "Activity")
        self.setToolTip("Show or hide the activity centre: every operation, running and finished")
