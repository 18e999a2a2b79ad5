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
    if task.state == TaskState.CANCELLED and task.cancel_note:
        return task.cancel_note
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
        # Kept oldest first, shown newest first: row = len - 1 - position. Every change of one
        # task costs O(1), so hundreds finishing at once do not stall the GUI thread.
        self._order: list[Task] = []
        self._pos: dict[int, int] = {}
        self._running: dict[int, Task] = {}
        self._fractions: dict[int, float | None] = {}  # of the running ones, for the summary
        self._fraction_sum = 0.0
        self._unknown = 0  # running ones without a known fraction
        self._finished = 0
        self._failed = 0
        self._incoming: dict[int, Task] = {}  # added, listed at the next turn of the event loop
        self._arrivals = QTimer(self)
        self._arrivals.setSingleShot(True)
        self._arrivals.setInterval(0)
        self._arrivals.timeout.connect(self._insert_arrivals)
        self._summary = ""
        self._tick = QTimer(self)
        self._tick.setInterval(self.TICK_MS)
        self._tick.timeout.connect(self._advance_running)
        tasks.on_task_added(self._on_added)
        tasks.tasksChanged.connect(self._on_tasks_changed)
        tasks.taskFinished.connect(self._on_any_finished)
        for task in tasks.running():
            self._on_added(task)
        self._update_summary()

    # --- reading ---------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        return self.value(self.task_at(index.row()), role)

    @staticmethod
    def value(task: Task, role: int):
        """What ``data`` answers for *task* in *role*. The delegate asks here directly: a call
        through ``QModelIndex.data`` releases the GIL and, while workers run, waits to get it back."""
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
        return self._order[len(self._order) - 1 - row]

    def row_of(self, task: Task) -> int:
        """The task's row, or -1 once it is no longer listed."""
        pos = self._pos.get(task.id)
        return -1 if pos is None else len(self._order) - 1 - pos

    def tasks(self) -> list[Task]:
        """Newest first, as listed."""
        return self._order[::-1]

    def is_running(self, task: Task) -> bool:
        """Whether the centre still shows *task* as running (its end not yet received)."""
        return task.id in self._running or task.id in self._incoming

    def running_count(self) -> int:
        return len(self._running)

    def finished_count(self) -> int:
        return self._finished

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
        if task.id in self._pos and task.id not in self._running:
            self._remove([task])
            self._update_summary()

    def clear_finished(self) -> None:
        """Dismiss every finished operation; running ones stay."""
        self._remove([t for t in self._order if t.id not in self._running])
        self._update_summary()

    # --- following the tasks -------------------------------------------------------------------
    def _insert(self, task: Task) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._pos[task.id] = len(self._order)
        self._order.append(task)
        self.endInsertRows()

    def _on_added(self, task: Task) -> None:
        if task.background or task.id in self._pos or task.id in self._incoming:
            return  # background work is listed only if it fails unhandled (_on_any_finished)
        self._incoming[task.id] = task
        if not self._arrivals.isActive():
            self._arrivals.start()  # a burst of operations becomes one insertion

    def _insert_arrivals(self) -> None:
        tasks = list(self._incoming.values())
        if not tasks:
            return
        self._incoming.clear()
        self.beginInsertRows(QModelIndex(), 0, len(tasks) - 1)
        for task in tasks:
            self._pos[task.id] = len(self._order)
            self._order.append(task)
        self.endInsertRows()
        for task in tasks:
            self._running[task.id] = task
            self._set_fraction(task.id, task.last_progress.fraction)
        if not self._tick.isActive():
            self._tick.start()
        for task in tasks:
            if task.state.done:  # ended before it was listed
                self._on_finished(task)
        self._update_summary()

    def _on_tasks_changed(self, tasks: list[Task]) -> None:
        """The manager's batch of changes: one dataChanged span and one summary for all of them."""
        self._insert_arrivals()
        listed = [t for t in tasks if t.id in self._pos]
        for task in listed:
            if task.id in self._running:
                if task.state.done:
                    self._on_finished(task, notify=False)
                else:
                    self._set_fraction(task.id, task.last_progress.fraction)
        rows = [self.row_of(t) for t in listed if t.id in self._pos]
        if rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)))
        self._update_summary()

    def _on_any_finished(self, task: Task) -> None:
        """Background work nobody waits on reaches the centre when it fails: nothing fails silently."""
        if task.background and task.report_failure and task.state == TaskState.FAILED and task.id not in self._pos:
            self._insert(task)
            self._on_finished(task)

    def _changed(self, task: Task) -> None:
        row = self.row_of(task)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index)
            self._update_summary()

    def _on_finished(self, task: Task, notify: bool = True) -> None:
        if task.id not in self._pos:
            return
        if self._running.pop(task.id, None) is not None:
            self._set_fraction(task.id, None)
            self._unknown -= 1
            del self._fractions[task.id]
        self._finished += 1
        self._failed += task.state == TaskState.FAILED
        if not self._running:
            self._tick.stop()
        if notify:
            self._changed(task)
        if self._finished > self.MAX_FINISHED:  # the oldest finished ones go
            excess = self._finished - self.MAX_FINISHED
            self._remove([t for t in self._order if t.id not in self._running][:excess])
            self._update_summary()

    def _advance_running(self) -> None:
        if not self._running:
            self._tick.stop()
            return
        rows = [self.row_of(t) for t in self._running.values()]
        self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)), [ELAPSED_ROLE, THROUGHPUT_ROLE])

    def _remove(self, gone: list[Task]) -> None:
        """Take *gone* (finished tasks) off the list, in contiguous blocks of rows."""
        ids = {t.id for t in gone}
        rows = sorted((self.row_of(t) for t in gone), reverse=True)
        while rows:  # bottom up, so the rows above keep their numbers while we go
            last = first = rows.pop(0)
            while rows and rows[0] == first - 1:
                first = rows.pop(0)
            self.beginRemoveRows(QModelIndex(), first, last)
            n = len(self._order)
            del self._order[n - 1 - last:n - first]
            self.endRemoveRows()
        for task in gone:
            self._failed -= task.state == TaskState.FAILED
        self._finished -= len(ids)
        self._pos = {t.id: pos for pos, t in enumerate(self._order)}

    def _set_fraction(self, task_id: int, fraction: float | None) -> None:
        if task_id in self._fractions:
            old = self._fractions[task_id]
            if old is None:
                self._unknown -= 1
            else:
                self._fraction_sum -= old
        self._fractions[task_id] = fraction
        if fraction is None:
            self._unknown += 1
        else:
            self._fraction_sum += fraction

    def _update_summary(self) -> None:
        parts = []
        if self._running:
            parts.append(f"{len(self._running)} running")
            if not self._unknown:
                parts.append(f"{int(100 * max(0.0, self._fraction_sum) / len(self._running))} %")
        if self._failed:
            parts.append(f"{self._failed} failed")
        summary = " · ".join(parts)
        if summary != self._summary:
            self._summary = summary
            self.summaryChanged.emit(summary)
