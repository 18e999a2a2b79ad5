"""The worker pool: Qt runnables that call the engine layer off the GUI thread and report back
through signals, which Qt delivers queued on the GUI thread."""

from desktop.tasks.task import Progress, Task, TaskContext, TaskState
from desktop.tasks.manager import TaskManager

__all__ = ["Progress", "Task", "TaskContext", "TaskManager", "TaskState"]
