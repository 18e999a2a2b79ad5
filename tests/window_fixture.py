"""The ``make_window`` fixture: a real MainWindow on a session to a given host, shown, closed and
its workers shut down at the end. Import it into a test module to use it."""

import pytest

from desktop.engine.connection import Endpoint
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui.main_window import MainWindow


@pytest.fixture
def make_window(qtbot):
    made = []

    def make(host):
        tasks = TaskManager()
        session = EngineSession(tasks, [Endpoint(host, "user")])
        window = MainWindow(tasks, session)
        qtbot.addWidget(window)
        window.show()
        made.append((window, session, tasks))
        return window, session

    yield make
    for window, session, tasks in made:
        window.close()
        assert tasks.shutdown(10000)
