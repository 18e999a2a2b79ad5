"""The activity area: every running task with a progress bar and a Cancel button, and the
outcome of recent ones (a failure stays listed with its message until dismissed)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDockWidget, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea,
                               QToolButton, QVBoxLayout, QWidget)

from desktop.tasks.manager import TaskManager
from desktop.tasks.task import Progress, Task, TaskState


class TaskRow(QWidget):
    dismissed = Signal(object)

    def __init__(self, task: Task, parent=None):
        super().__init__(parent)
        self.task = task
        self.setObjectName(f"taskRow{task.id}")
        self.title = QLabel(task.title)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(task.cancellable)
        self.cancel_button.clicked.connect(task.cancel)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setVisible(False)
        self.close_button.clicked.connect(lambda: self.dismissed.emit(self))

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.cancel_button)
        top.addWidget(self.close_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 4)
        box.addLayout(top)
        box.addWidget(self.bar)
        box.addWidget(self.detail)
        task.signals.progress.connect(self.on_progress)
        task.signals.finished.connect(self.on_finished)

    def on_progress(self, progress: Progress) -> None:
        fraction = progress.fraction
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(fraction * 1000))
        self.detail.setText(progress.text)

    def on_finished(self) -> None:
        state = self.task.state
        self.cancel_button.setVisible(False)
        self.close_button.setVisible(True)
        self.bar.setRange(0, 1000)
        self.bar.setValue(1000 if state == TaskState.SUCCEEDED else self.bar.value())
        if state == TaskState.FAILED:
            self.detail.setText(f"Failed: {self.task.error}")
            self.detail.setStyleSheet("color: #c0392b")
        elif state == TaskState.CANCELLED:
            self.detail.setText("Cancelled")
        else:
            self.detail.setText(self.detail.text() or "Done")


class ActivityPanel(QDockWidget):
    """Signals: countChanged(int running)."""

    countChanged = Signal(int)

    def __init__(self, tasks: TaskManager, parent=None):
        super().__init__("Activity", parent)
        self.setObjectName("activityPanel")
        self._tasks = tasks
        self._rows: dict[int, TaskRow] = {}
        self._running = 0
        body = QWidget()
        self._list = QVBoxLayout(body)
        self._list.setContentsMargins(0, 0, 0, 0)
        self._list.addStretch(1)
        self.empty = QLabel("Nothing running.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._list.insertWidget(0, self.empty)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.setWidget(scroll)
        tasks.taskAdded.connect(self._on_added)
        tasks.taskFinished.connect(self._on_finished)

    def rows(self) -> list[TaskRow]:
        return list(self._rows.values())

    def _on_added(self, task: Task) -> None:
        if task.background:
            return
        row = TaskRow(task)
        row.dismissed.connect(self._dismiss)
        self._rows[task.id] = row
        self._list.insertWidget(0, row)
        self.empty.setVisible(False)
        self._running += 1
        self.countChanged.emit(self._running)
        self.show()

    def _on_finished(self, task: Task) -> None:
        if task.id in self._rows:
            self._running -= 1
            self.countChanged.emit(self._running)
            if task.state == TaskState.SUCCEEDED:
                self._dismiss(self._rows[task.id])  # successes need no attention; failures stay

    def _dismiss(self, row: TaskRow) -> None:
        self._rows.pop(row.task.id, None)
        self._list.removeWidget(row)
        row.deleteLater()
        self.empty.setVisible(not self._rows)
