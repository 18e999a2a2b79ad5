"""Every dialog and the connection page, in the states that add content (tests/dialog_states.py:
errors, warnings, hints, long names, data from the isolated engine), must show all of it: no
field squeezed below its usable height, no message cut mid-line, no widgets drawn over each other,
no literal ``&`` in a label (tests/layout_check.py says how). Each state is checked at the
dialog's own size and again on a small screen (1024x640), which the dialog must fit. The main
window's views get the same check at 1024x640. Berth's own style sheet is applied, as in the app.

The xvfb-marked test photographs one dialog's states with scripts/dialog_screenshots.py in a
real X server (the script does all of them when run by hand); BERTH_SCREENSHOT_DIR keeps the PNGs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.exceptions import TimeoutError as WaitTimeout
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from desktop.engine.connection import Endpoint
from desktop.resources_path import resource
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui.dialogs import dialog_layout
from desktop.ui.main_window import MainWindow
from tests.dialog_states import LONG, STATES, Stage
from tests.helpers import connected_session
from tests.layout_check import layout_problems, window_problems

pytestmark = [
    pytest.mark.engine,
    pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)",
                              "This plugin does not support grabbing the keyboard"),
]

SMALL_SCREEN = QSize(1024, 640)
WIDE_SCREEN = QSize(1600, 1000)  # the screen of issue 13's hour in a real window


class Screen:
    """The room the dialogs are told their screen gives them (dialog_layout.available_size)."""

    def __init__(self, monkeypatch):
        self.size = WIDE_SCREEN
        monkeypatch.setattr(dialog_layout, "available_size", lambda widget: self.size)


@pytest.fixture
def screen(monkeypatch):
    return Screen(monkeypatch)


@pytest.fixture
def berth_style(qapp):
    """Berth's style sheet, as the app applies it (it changes paddings, so sizes)."""
    qapp.setStyleSheet(resource("styles", "berth.qss").read_text(encoding="utf-8"))
    yield
    qapp.setStyleSheet("")


@pytest.fixture
def stage(qtbot, docker_engine, busybox_image, tmp_path, unique_repo, berth_style, screen):
    def keep(widget: QWidget) -> None:
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitExposed(widget)

    with connected_session(qtbot, docker_engine) as session:
        stage = Stage(session, docker_engine, tmp_path, unique_repo,
                      lambda condition: qtbot.waitUntil(condition, timeout=10000), keep)
        yield stage
        stage.close()


def check(qtbot, screen: Screen, widget: QWidget, state: str) -> None:
    """Let the layout settle, then fail with every problem found; then the same on a 1024x640
    screen, which the window must fit."""
    screen.size = WIDE_SCREEN
    _settled(qtbot, screen, widget, state)
    screen.size = SMALL_SCREEN
    for part in widget.findChildren(QWidget):  # as when a window moves to another screen
        part.updateGeometry()
    QApplication.processEvents()  # the layouts take the new screen's room into account
    widget.resize(widget.size().boundedTo(SMALL_SCREEN))
    _settled(qtbot, screen, widget, f"{state}, on a 1024x640 screen")
    assert widget.width() <= SMALL_SCREEN.width() and widget.height() <= SMALL_SCREEN.height(), (
        f"{state}: {widget.width()}x{widget.height()} does not fit a 1024x640 screen")
    screen.size = WIDE_SCREEN


def needless_scrolling(screen: Screen, window: QWidget) -> list[str]:
    """A form that scrolls although its window could still grow on the screen."""
    room = screen.size.height() - window.height()
    found = []
    for area in window.findChildren(QScrollArea):
        content = area.widget()
        if content is None or not area.isVisible() or not area.verticalScrollBar().isVisible():
            continue
        hidden = content.height() - area.viewport().height()
        if hidden <= room:
            found.append(f"{area.objectName() or type(area).__name__} scrolls {hidden} px although the window "
                         f"could grow by {room} px")
    return found


def _settled(qtbot, screen: Screen, widget: QWidget, state: str) -> None:
    def problems(w):
        return window_problems(w) + needless_scrolling(screen, w) if w.isWindow() else layout_problems(w)
    try:
        qtbot.waitUntil(lambda: not problems(widget), timeout=1000)
    except WaitTimeout:
        pass  # the assertion below says what is wrong
    found = problems(widget)
    assert not found, f"{state}:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("states", STATES, ids=[s.__name__ for s in STATES])
def test_every_state_shows_all_its_content(qtbot, stage, screen, states):
    seen = 0
    for state, widget in states(stage):
        check(qtbot, screen, widget, state)
        seen += 1
    assert seen


def test_main_window_views_on_a_small_screen(qtbot, docker_engine, berth_style, screen, tmp_path, unique_repo):
    engine = docker_engine
    image = engine.build_busybox_image(f"{unique_repo}/{LONG[:80].strip('-')}:v1.0.0", [f"LABEL berth.test={unique_repo}"])
    name = f"{unique_repo.replace('/', '-')}-{LONG}"[:100]
    engine.cli("create", "--name", name, image, "true")
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
    window = MainWindow(tasks, session)
    qtbot.addWidget(window)
    window.resize(SMALL_SCREEN)
    window.show()
    qtbot.waitExposed(window)
    session.start()
    try:
        qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
        window.workspace.images_view.select_keys([r.key for r in window.workspace.images_model.rows() if r.id == image])
        screen.size = SMALL_SCREEN
        _settled(qtbot, screen, window, "the Images view with a long name selected")
        window.sidebar.setCurrentRow(1)
        qtbot.waitUntil(lambda: any(r.name == name for r in window.workspace.containers_model.rows()), timeout=20000)
        window.workspace.containers_view.select_keys([r.id for r in window.workspace.containers_model.rows() if r.name == name])
        _settled(qtbot, screen, window, "the Containers view with a long name selected")
        assert window.width() <= SMALL_SCREEN.width() and window.height() <= SMALL_SCREEN.height()
    finally:
        window.close()
        session.stop()
        assert tasks.shutdown(10000)
        engine.cli("rm", "-f", name, check=False)
        engine.cli("rmi", "-f", image, check=False)


@pytest.mark.xvfb
def test_the_screenshot_script_photographs_a_dialog_under_xvfb(tmp_path, docker_engine, busybox_image):
    missing = [tool for tool in ("Xvfb",) if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail("needs Xvfb (Debian package xvfb)")
        pytest.skip("needs Xvfb (Debian package xvfb)")
    out = Path(os.environ.get("BERTH_SCREENSHOT_DIR") or tmp_path / "dialogs")
    script = Path(__file__).resolve().parent.parent / "scripts" / "dialog_screenshots.py"
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("QT_QPA_PLATFORM", None)
    run = subprocess.run([sys.executable, str(script), str(out), "--only", "tag_dialog",
                          "--engine-dir", docker_engine.base_dir], env=env, capture_output=True, text=True,
                         timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    shots = [Path(line) for line in run.stdout.splitlines() if line.endswith(".png")]
    print(f"dialog screenshots in {out}")
    assert len(shots) == 5 and all(shot.stat().st_size > 5000 for shot in shots), run.stdout
