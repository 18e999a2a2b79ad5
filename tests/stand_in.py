"""A stand-in for EngineSession: its signals, its state, a factory and a real TaskManager, and no
Docker. For the logic of controllers (feeds, panes) that only listen to a session and start
operations on it; what they do against the real engine is tested elsewhere."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, Signal

from desktop.engine.errors import EngineUnavailable
from desktop.tasks.manager import TaskManager


class StandInSession(QObject):
    stateChanged = Signal(str)
    connected = Signal(object)
    disconnected = Signal(object)
    eventReceived = Signal(object)
    eventsOpened = Signal()

    def __init__(self, tasks: TaskManager):
        super().__init__()
        self.tasks = tasks
        self.state = "connected"
        self.factory = object()  # handed to the work functions, which here need none
        self.info = None

    def drop(self) -> None:
        """The engine went away."""
        self.state = "disconnected"
        self.stateChanged.emit(self.state)
        self.disconnected.emit(EngineUnavailable("gone"))


@pytest.fixture
def session():
    tasks = TaskManager()
    stand_in = StandInSession(tasks)
    yield stand_in
    assert tasks.shutdown(10000)
