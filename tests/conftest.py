"""Test set-up: Qt offscreen, private settings, the isolated engine fixtures, and a check that
no test leaves a worker running."""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QSettings and anything else under XDG dirs go to a private folder, never the user's.
_private = tempfile.mkdtemp(prefix="berth-test-home-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_private, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_private, "data")
os.environ["XDG_CACHE_HOME"] = os.path.join(_private, "cache")

import pytest  # noqa: E402

pytest_plugins = ["tests.engine_fixtures"]


@pytest.fixture(scope="session", autouse=True)
def _app_identity():
    from PySide6.QtCore import QCoreApplication

    QCoreApplication.setOrganizationName("Berth-tests")
    QCoreApplication.setApplicationName("Berth-tests")
    yield


@pytest.fixture(autouse=True)
def _forget_settings():
    """Berth remembers its window, sort orders and column widths on close: no test inherits them."""
    yield
    from PySide6.QtCore import QSettings

    QSettings().clear()


@pytest.fixture(autouse=True)
def _no_dangling_workers(request):
    """Fail a test that leaves a task running (after stopping it, so others are not disturbed)."""
    yield
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        return
    from desktop.tasks.manager import TaskManager

    leftovers = []
    for manager in TaskManager.live():
        running = [t.title for t in manager.running() if not t.state.done]
        if manager.active_threads() and not manager.wait_for_done(200):
            leftovers += running or ["<unnamed worker>"]
            manager.shutdown(10000)
    if leftovers:
        pytest.fail(f"test left workers running: {', '.join(leftovers)}")
