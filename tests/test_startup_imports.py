"""Start-up stays light: building the window's module graph loads neither the Docker SDK nor
requests/urllib3 (the connecting worker imports them), nor the dialogs the actions open (each loads
when it opens), nor what only the Containers page, a drag, a measurement or a details tab needs
(each loads when first shown or used); and the window builds no Containers page until it is shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
import desktop.app
from desktop.ui.main_window import MainWindow
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('docker', 'requests', 'urllib3', 'desktop'))))
"""

# the dialogs the window's actions open on demand: none is imported at start-up
LAZY_DIALOGS = {f"desktop.ui.dialogs.{name}" for name in (
    "build_dialog", "commit_dialog", "connect_dialog", "copy_dialog", "import_rootfs_dialog", "load_preview_dialog",
    "prune_containers_dialog", "prune_dialog", "remove_containers_dialog", "remove_images_dialog", "rename_dialog",
    "run_dialog", "save_images_dialog", "signal_dialog", "tag_dialog")}
# what the Containers page, a drag, the disk usage measurement, an action's flow or the JSON tab
# needs: imported when first shown or used
LAZY_MODULES = {
    "desktop.ui.containers_view", "desktop.ui.container_details", "desktop.ui.container_actions",
    "desktop.ui.log_view", "desktop.ui.stats_charts", "desktop.ui.terminal_widget", "desktop.ui.json_view",
    "desktop.ui.text_search", "desktop.ui.tag_actions", "desktop.ui.archive_actions", "desktop.ui.build_drop",
    "desktop.tasks.container_tasks", "desktop.tasks.image_ops", "desktop.tasks.archive_tasks",
    "desktop.engine.logs", "desktop.engine.stats", "desktop.engine.archive", "desktop.engine.build",
    "desktop.engine.image_archive", "desktop.engine.tags", "desktop.engine.container_ops",
    # the Registries page and what pulls and pushes need
    "desktop.ui.registries_view", "desktop.ui.registry_browser", "desktop.engine.registry_client",
    "desktop.engine.docker_config", "desktop.engine.registry_login", "desktop.engine.distribution",
    "desktop.ui.dialogs.pull_dialog", "desktop.ui.dialogs.push_dialog", "desktop.ui.dialogs.sign_in_dialog",
    "desktop.ui.dialogs.add_registry_dialog", "desktop.engine.reference",
}


def test_main_window_imports_neither_the_sdk_nor_dialogs():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True, timeout=120).stdout
    loaded = json.loads(out.splitlines()[-1])
    sdk = [m for m in loaded if not m.startswith("desktop")]
    assert sdk == [], f"the GUI thread's start-up imports the SDK: {sdk}"
    assert not LAZY_DIALOGS & set(loaded), f"dialogs imported at start-up: {sorted(LAZY_DIALOGS & set(loaded))}"
    assert not LAZY_MODULES & set(loaded), f"imported at start-up: {sorted(LAZY_MODULES & set(loaded))}"


def test_the_containers_page_is_built_when_first_shown(qtbot):
    """The hidden Containers page (list, details, log, charts, terminal) costs nothing at start:
    it is built when shown, reached from code, or its menu opens, and then lists the same rows."""
    from desktop.engine.connection import Endpoint
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.engine_workspace import CONTAINERS, IMAGES, REGISTRIES
    from desktop.ui.main_window import MainWindow

    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint("unix:///nonexistent/docker.sock", "user")])
    window = MainWindow(tasks, session)
    qtbot.addWidget(window)
    workspace = window.workspace
    assert not workspace.containers_built() and not workspace.registries_built() and workspace.views.count() == 3
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Containers")
    assert menu.actions() == []
    window.sidebar.setCurrentRow(CONTAINERS)
    assert workspace.containers_built() and workspace.views.currentWidget() is workspace.containers_page
    assert workspace.views.count() == 3 and workspace.views.indexOf(workspace.containers_page) == CONTAINERS
    assert workspace.containers_view.model is workspace.containers_model
    menu.aboutToShow.emit()  # the menu fills from the view's actions once
    menu.aboutToShow.emit()
    names = [a.objectName() for a in menu.actions()]
    assert names[:3] == ["containers_start", "containers_stop", "containers_restart"] and len(set(names)) == len(names)
    window.sidebar.setCurrentRow(IMAGES)
    assert workspace.views.currentWidget() is workspace.images_page
    assert not workspace.registries_built()
    registries_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Registries")
    window.sidebar.setCurrentRow(REGISTRIES)  # the Registries page too, when first shown
    assert workspace.registries_built() and workspace.views.currentWidget() is workspace.registries_view
    assert workspace.views.count() == 3 and workspace.views.indexOf(workspace.registries_view) == REGISTRIES
    registries_menu.aboutToShow.emit()
    assert "Sign in…" in [a.text().replace("&", "") for a in registries_menu.actions()]
    window.close()
    assert tasks.shutdown(5000)


def test_the_sdk_still_translates_its_errors_once_imported():
    """errors.translate imports docker.errors when called: an SDK error still becomes Berth's."""
    import docker.errors

    from desktop.engine.errors import NotFound, translate

    class Response:
        status_code = 404
        reason = "Not Found"
        url = "http://engine/images/nope/json"

    err = translate(docker.errors.NotFound("no such image", response=Response(), explanation="No such image: nope"),
                    "inspect nope")
    assert isinstance(err, NotFound) and str(err) == "Could not inspect nope: No such image: nope"


def test_berth_announces_its_first_paint_before_the_populated_list(docker_engine, tmp_path):
    """bench/startup.py times both: BERTH_PAINTED_FILE says when the shell first painted."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), BERTH_READY_FILE="-",
               BERTH_PAINTED_FILE="-", XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_RUNTIME_DIR=str(tmp_path))
    berth = subprocess.Popen([sys.executable, "-m", "desktop", "-H", docker_engine.docker_host], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = [berth.stdout.readline(), berth.stdout.readline()]
    finally:
        berth.terminate()
        berth.communicate(timeout=30)
    assert lines[0] == "berth-painted\n"
    assert lines[1].startswith("berth-ready ") and int(lines[1].split()[1]) >= 0


def test_the_cheaper_pyside_import_check_answers_as_pyside_does():
    """pyside_imports replaces PySide6's per-import source scan; its answers must stay PySide6's."""
    import importlib
    import json as stdlib_json

    import PySide6.QtCore  # noqa: F401 - loads the feature hook

    from desktop import pyside_imports

    feature = importlib.import_module("shibokensupport.feature")
    assert pyside_imports.install() and pyside_imports.install()  # a second call changes nothing
    check = feature._mod_uses_pyside
    upstream = check.berth_upstream
    assert getattr(upstream, "berth_upstream", None) is None
    import desktop.engine.images
    import desktop.ui.list_page

    for module in (desktop.ui.list_page, desktop.engine.images, stdlib_json, sys):
        assert check(module) == upstream(module), module.__name__
    assert check(desktop.ui.list_page) and not check(desktop.engine.images) and not check(sys)


FIRST_LIST_PROBE = """
import json, sys
from PySide6.QtCore import QCoreApplication, QTimer
from desktop.engine.connection import Endpoint
from desktop.tasks import loaders
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.live_feed import LiveFeed
from desktop.tasks.manager import TaskManager

app = QCoreApplication([])
tasks = TaskManager()
session = EngineSession(tasks, [Endpoint(sys.argv[1], "user")])
rows = []
feed = LiveFeed(session, "Listing images", loaders.load_images, rows.extend, lambda e: False)
outcome = {}

def loaded():
    outcome["rows"] = len(rows)
    outcome["sdk"] = sorted(m for m in sys.modules if m.split('.')[0] in ('docker', 'requests', 'urllib3'))
    app.quit()

feed.loaded.connect(loaded)
feed.failed.connect(lambda error: (outcome.update(error=str(error)), app.quit()))
QTimer.singleShot(60000, app.quit)
session.start()
app.exec()
session.stop()
tasks.shutdown(5000)
print(json.dumps(outcome))
"""


@pytest.mark.engine
def test_a_local_engine_is_connected_watched_and_listed_before_the_sdk_is_loaded(docker_engine, busybox_image):
    """The SDK costs 0.2 s to import: on a local socket Berth connects, opens the event stream
    and shows its first list without it (desktop/engine/local_json.py)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", FIRST_LIST_PROBE, docker_engine.docker_host], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True, timeout=120).stdout
    outcome = json.loads(out.splitlines()[-1])
    assert "error" not in outcome, outcome
    assert outcome["rows"] >= 1  # the busybox base at least
    assert outcome["sdk"] == [], f"loaded before the first list: {outcome['sdk']}"
