"""The activity centre's list: every user operation the task manager runs, newest first, with its
progress, elapsed time, throughput and outcome.

Rows are inserted as tasks start and changed in place as they progress and finish, never reset,
so the selection survives. Finished operations stay (successes too) until cleared, up to
``MAX_FINISHED``; beyond that the oldest finished ones go. Background tasks (event watchers,
samplers) are not operations a person started and are left out.

Signals: summaryChanged(str) -- the status bar's compact line ("2 running · 45 %").
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Qt, QTimer, Signal

from desktop.models.formatting import human_duration, human_size
from desktop.tasks.manager import TaskManager
from desktop.tasks.task import Task, TaskState

TASK_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = TASK_ROLE + 1
FRACTION_ROLE = TASK_ROLE + 2  # float 0..1, or None while indeterminate
DETAIL_ROLE = TASK_ROLE + 3  # what it is doing now, or how it ended
ELAPSED_ROLE = TASK_ROLE + 4  # "12 seconds"
THROUGHPUT_ROLE = TASK_ROLE + 5  # "31.2MB/s", or "" where no bytes move
ERROR_ROLE = TASK_ROLE + 6  # the full error text of a failed operation, else ""
ENGINE_ROLE = TASK_ROLE + 7
RETRYABLE_ROLE = TASK_ROLE + 8

_OUTCOME = {TaskState.SUCCEEDED: "Done", TaskState.CANCELLED: "Cancelled"}


def throughput(task: Task, now: float | None = None) -> str:
    """Bytes per second so far, for work that reports its progress in bytes."""
    progress = task.last_progress
    elapsed = task.elapsed(now)
    if progress.unit != "bytes" or progress.done <= 0 or elapsed <= 0 or (elapsed < 0.2 and not task.state.done):
        return ""
    return f"{human_size(progress.done / elapsed)}/s"


def detail(task: Task) -> str:
    if task.state == TaskState.FAILED:
        return f"Failed: {task.error}"
    if task.state.done:
        return task.last_progress.text if task.state == TaskState.SUCCEEDED and task.last_progress.text \
            else _OUTCOME[task.state]
    if task.state == TaskState.QUEUED:
        return "Waiting to start"
    return task.last_progress.text


class ActivityModel(QAbstractListModel):
    summaryChanged = Signal(str)

    MAX_FINISHED = 100
    TICK_MS = 1000  # elapsed times advance once a second, and only while something runs

    def __init__(self, tasks: TaskManager, parent: QObject | None = None):
        super().__init__(parent)
        self._tasks: list[Task] = []
        self._by_signals: dict[object, Task] = {}
        self._summary = ""
        self._tick = QTimer(self)
        self._tick.setInterval(self.TICK_MS)
        self._tick.timeout.connect(self._advance_running)
        tasks.taskAdded.connect(self._on_added)
        tasks.taskFinished.connect(self._on_any_finished)
        for task in tasks.running():
            self._on_added(task)
        self._update_summary()

    # --- reading ---------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._tasks)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._tasks):
            return None
        task = self._tasks[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return task.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(task.error) if task.state == TaskState.FAILED else detail(task)
        if role == TASK_ROLE:
            return task
        if role == STATE_ROLE:
            return task.state
        if role == FRACTION_ROLE:
            return 1.0 if task.state == TaskState.SUCCEEDED else task.last_progress.fraction
        if role == DETAIL_ROLE:
            return detail(task)
        if role == ELAPSED_ROLE:
            return human_duration(task.elapsed()) if task.started_at is not None else ""
        if role == THROUGHPUT_ROLE:
            return throughput(task)
        if role == ERROR_ROLE:
            return str(task.error) if task.state == TaskState.FAILED and task.error is not None else ""
        if role == ENGINE_ROLE:
            return task.engine
        if role == RETRYABLE_ROLE:
            return task.retry is not None and task.state in (TaskState.FAILED, TaskState.CANCELLED)
        return None

    def task_at(self, row: int) -> Task:
        return self._tasks[row]

    def row_of(self, task: Task) -> int:
        """The task's row, or -1 once it is no longer listed."""
        for row, listed in enumerate(self._tasks):
            if listed is task:
                return row
        return -1

    def tasks(self) -> list[Task]:
        return list(self._tasks)

    def summary(self) -> str:
        return self._summary

    # --- acting ----------------------------------------------------------------------------------
    def retry(self, task: Task) -> Task | None:
        """Start *task*'s work again (a new row); the failed one stays listed as it ended."""
        if task.retry is None or task.state not in (TaskState.FAILED, TaskState.CANCELLED):
            return None
        return task.retry()

    def remove(self, task: Task) -> None:
        """Dismiss a finished operation."""
        row = self.row_of(task)
        if row >= 0 and task.state.done:
            self._remove_rows(row, row)

    def clear_finished(self) -> None:
        """Dismiss every finished operation; running ones stay."""
        row = len(self._tasks) - 1
        while row >= 0:  # bottom up, in contiguous blocks, so the rows above keep their numbers
            if not self._tasks[row].state.done:
                row -= 1
                continue
            last = row
            while row >= 0 and self._tasks[row].state.done:
                row -= 1
            self._remove_rows(row + 1, last)
        self._update_summary()

    # --- following the tasks -------------------------------------------------------------------
    def _on_added(self, task: Task) -> None:
        if task.background or self.row_of(task) >= 0:
            return  # background work is listed only if it fails unhandled (_on_any_finished)
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._tasks.insert(0, task)
        self.endInsertRows()
        # bound methods, not lambdas: Qt drops the connections when this model is deleted
        self._by_signals[task.signals] = task
        task.signals.progress.connect(self._on_task_progress)
        task.signals.stateChanged.connect(self._on_task_changed)
        task.signals.finished.connect(self._on_task_finished)
        if not self._tick.isActive():
            self._tick.start()
        self._update_summary()

    def _sending_task(self) -> Task | None:
        return self._by_signals.get(self.sender())

    def _on_task_progress(self, _progress) -> None:
        self._on_task_changed()

    def _on_task_changed(self) -> None:
        task = self._sending_task()
        if task is not None:
            self._changed(task)

    def _on_task_finished(self) -> None:
        task = self._by_signals.pop(self.sender(), None)
        if task is not None:
            self._on_finished(task)

    def _on_any_finished(self, task: Task) -> None:
        """Background work nobody waits on reaches the centre when it fails: nothing fails silently."""
        if task.background and task.report_failure and task.state == TaskState.FAILED and self.row_of(task) < 0:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._tasks.insert(0, task)
            self.endInsertRows()
            self._on_finished(task)

    def _changed(self, task: Task) -> None:
        row = self.row_of(task)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index)
            self._update_summary()

    def _on_finished(self, task: Task) -> None:
        self._changed(task)
        finished = [row for row, t in enumerate(self._tasks) if t.state.done]
        for row in reversed(finished[self.MAX_FINISHED:]):  # the oldest are at the bottom
            self._remove_rows(row, row)
        if not any(not t.state.done for t in self._tasks):
            self._tick.stop()
        self._update_summary()

    def _advance_running(self) -> None:
        running = [row for row, t in enumerate(self._tasks) if not t.state.done]
        if not running:
            self._tick.stop()
            return
        self.dataChanged.emit(self.index(running[0]), self.index(running[-1]),
                              [ELAPSED_ROLE, THROUGHPUT_ROLE])

    def _remove_rows(self, first: int, last: int) -> None:
        self.beginRemoveRows(QModelIndex(), first, last)
        del self._tasks[first:last + 1]
        self.endRemoveRows()

    def _update_summary(self) -> None:
        running = [t for t in self._tasks if not t.state.done]
        failed = sum(1 for t in self._tasks if t.state == TaskState.FAILED)
        parts = []
        if running:
            parts.append(f"{len(running)} running")
            fractions = [t.last_progress.fraction for t in running]
            known = [f for f in fractions if f is not None]
            if known and len(known) == len(fractions):
                parts.append(f"{int(100 * sum(known) / len(known))} %")
        if failed:
            parts.append(f"{failed} failed")
        summary = " · ".join(parts)
        if summary != self._summary:
            self._summary = summary
            self.summaryChanged.emit(summary)
