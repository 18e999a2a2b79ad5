"""The Registries view and its dialogs, driven by key presses and clicks against the real engine and
the real secure registry: what the docker CLI stores shows as "signed in as", what Berth stores
the CLI uses, failures stay in the dialog with the password field emptied, and only registries
added in Berth can be removed."""

from __future__ import annotations

import json
import stat
import time

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit

from desktop.engine.docker_config import DOCKER_HUB
from desktop.engine.registry_login import Secret
from desktop.models.registries_model import HUB_TITLE, NOT_SIGNED_IN
from desktop.ui.registries_view import PLACEHOLDER, RegistriesView
from desktop.ui.problem_style import PROBLEM_STYLE
from tests.helpers import connected_session, frozen
from pytestqt.exceptions import TimeoutError as WaitTimeout

from tests.layout_check import layout_problems, window_problems

pytestmark = pytest.mark.engine


@pytest.fixture
def berth_config(tmp_path, monkeypatch):
    """Berth's own settings folder for this test (its list of registries)."""
    path = tmp_path / "berth-config"
    path.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path))
    return path / "berth"


@pytest.fixture
def session(qtbot, docker_engine):
    with connected_session(qtbot, docker_engine) as session:
        yield session


@pytest.fixture
def view(qtbot, session, docker_config, berth_config):
    v = RegistriesView(session)
    qtbot.addWidget(v)
    v.resize(1000, 500)
    v.show()
    qtbot.waitUntil(lambda: v.loaded_once, timeout=5000)
    yield v
    qtbot.waitUntil(lambda: v.load_task is None or v.load_task.state.done, timeout=5000)


def rows_by_host(view):
    return {r.host: r for r in view.model.rows()}


def account_shown(view, host) -> str:
    row = view.model.row_for_key(host)
    return view.model.index(row, view.model.ACCOUNT).data() if row >= 0 else ""


def laid_out_problems(qtbot, widget) -> list[str]:
    """What is wrong on screen once the dialog has grown for its message (a 0 ms timer)."""
    check = window_problems if widget.isWindow() else layout_problems
    try:
        qtbot.waitUntil(lambda: not check(widget), timeout=1000)
    except WaitTimeout:
        pass  # the caller's assertion says what is wrong
    return check(widget)


def answered(sign) -> bool:
    """The sign-in's answer is on screen (its task ends on the worker before its callbacks run)."""
    return not sign.busy and not sign.status.text().startswith("Checking")


def closed(widget) -> bool:
    """Closed, and perhaps deleted already (the dialogs delete themselves on close)."""
    return not shiboken6.isValid(widget) or not widget.isVisible()


def add_through_dialog(qtbot, view, host, ca_file=""):
    dialog = view.add_registry()
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.host_edit, host)
    if ca_file:
        dialog.ca_edit.setText(ca_file)
    return dialog


def test_docker_hub_is_always_there_and_the_cli_login_shows_live(qtbot, view, secure_registry, docker_engine,
                                                                 docker_config):
    assert list(rows_by_host(view)) == [DOCKER_HUB]
    assert view.model.index(0, view.model.REGISTRY).data() == HUB_TITLE
    assert account_shown(view, DOCKER_HUB) == NOT_SIGNED_IN
    # a docker login in a terminal: the view notices the file change by itself
    docker_engine.cli("--config", str(docker_config), "login", "-u", secure_registry.username, "--password-stdin",
                      secure_registry.host, input=secure_registry.password)
    qtbot.waitUntil(lambda: account_shown(view, secure_registry.host) == f"signed in as {secure_registry.username}",
                    timeout=5000)
    row = rows_by_host(view)[secure_registry.host]
    assert not row.user_added  # the CLI's: not Berth's to remove
    assert view.select_host(secure_registry.host)
    assert view.sign_out_action.isEnabled() and not view.remove_action.isEnabled()


def test_add_sign_in_and_out_through_the_dialogs(qtbot, view, secure_registry, docker_config, docker_engine,
                                                 berth_config, caplog, tmp_path):
    caplog.set_level("DEBUG")
    selected = []
    view.registrySelected.connect(lambda host, ca: selected.append((host, ca)))
    dialog = add_through_dialog(qtbot, view, secure_registry.host, secure_registry.ca_file)
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.selected_row() is not None and view.selected_row().host == secure_registry.host,
                    timeout=5000)
    assert selected[-1] == (secure_registry.host, secure_registry.ca_file)
    saved = json.loads((berth_config / "registries.json").read_text())
    assert saved == {"registries": [{"host": secure_registry.host, "ca_file": secure_registry.ca_file}]}
    assert view.remove_action.isEnabled() and not view.sign_out_action.isEnabled()
    assert secure_registry.ca_file in view.summary.text()

    # wrong password: the message stays in the dialog, the field is emptied, nothing is stored
    sign = view.sign_in_selected()
    qtbot.waitUntil(sign.isVisible)
    assert sign.password_edit.echoMode() == QLineEdit.EchoMode.Password
    qtbot.keyClicks(sign.user_edit, secure_registry.username)
    qtbot.keyClicks(sign.password_edit, "wrong-password")
    qtbot.keyClick(sign.password_edit, Qt.Key.Key_Return)
    assert sign.password_edit.text() == ""  # sent: gone from the dialog at once
    qtbot.waitUntil(lambda: answered(sign), timeout=10000)
    assert sign.isVisible()
    assert f"{secure_registry.host} refused the user name or password" in sign.status.text()
    assert sign.status.styleSheet() == PROBLEM_STYLE
    assert sign.task.kind == "user"  # in the activity centre
    assert view.load_task.kind == "housekeeping"
    secrets = [a for a in sign.task._args if isinstance(a, Secret)]
    assert len(secrets) == 1 and secrets[0].take() == ""  # the finished task holds no password
    assert not (docker_config / "config.json").exists()
    assert laid_out_problems(qtbot, sign) == []

    # the right one
    qtbot.keyClicks(sign.password_edit, secure_registry.password)
    qtbot.mouseClick(sign.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: account_shown(view, secure_registry.host) == f"signed in as {secure_registry.username}",
                    timeout=10000)
    qtbot.waitUntil(lambda: closed(sign))
    config = docker_config / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert secure_registry.host in json.loads(config.read_text())["auths"]
    assert "Signed in to" in view.status.text()
    ref = f"{secure_registry.for_engine}/berth-test/view-signin:1"
    docker_engine.cli("tag", docker_engine.ensure_busybox_base(), ref)
    try:  # the CLI uses the account Berth stored
        docker_engine.cli("--config", str(docker_config), "push", ref)
    finally:
        docker_engine.cli("rmi", ref)
    assert secure_registry.password not in caplog.text and "wrong-password" not in caplog.text
    assert [str(p) for p in tmp_path.rglob("*") if p.is_file() and p != config
            and secure_registry.password.encode() in p.read_bytes()] == []

    # sign out, then remove it from the list
    assert view.sign_out_action.isEnabled()
    view.sign_out_action.trigger()
    qtbot.waitUntil(lambda: account_shown(view, secure_registry.host) == NOT_SIGNED_IN, timeout=5000)
    assert secure_registry.host not in json.loads(config.read_text())["auths"]
    view.remove_action.trigger()
    qtbot.waitUntil(lambda: secure_registry.host not in rows_by_host(view), timeout=5000)
    assert json.loads((berth_config / "registries.json").read_text()) == {"registries": []}
    assert selected[-1] == (DOCKER_HUB, "")  # the row that took its place
    view.table.clearSelection()
    assert selected[-1] == ("", "")


def test_add_dialog_says_what_is_wrong_and_adds_nothing(qtbot, view, berth_config, tmp_path):
    dialog = add_through_dialog(qtbot, view, "my registry")
    assert "has a space" in dialog.host_error.text() and dialog.host_error.isVisible()
    assert not dialog.ok_button.isEnabled()
    dialog.host_edit.setText("registry.example.com:5000")
    assert not dialog.host_error.isVisible() and dialog.ok_button.isEnabled()
    not_pem = tmp_path / "not-a-cert.txt"
    not_pem.write_text("hello")
    dialog.ca_edit.setText(str(not_pem))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy and "holds no PEM certificate" in dialog.status.text(), timeout=5000)
    assert dialog.isVisible() and dialog.status.styleSheet() == PROBLEM_STYLE
    assert not (berth_config / "registries.json").exists()
    assert laid_out_problems(qtbot, dialog) == []
    for label in dialog.findChildren(QLabel):
        assert "&" not in label.text() or label.buddy() is not None
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: closed(dialog))


def test_docker_hub_cannot_be_removed_and_the_detail_area_takes_a_widget(qtbot, view):
    selected = []
    view.registrySelected.connect(lambda host, ca: selected.append((host, ca)))
    assert view.select_host(DOCKER_HUB)
    assert selected == [(DOCKER_HUB, "")]
    assert not view.remove_action.isEnabled() and view.sign_in_action.isEnabled()
    assert view.remove_selected() is None
    assert view.placeholder.isVisible() and view.placeholder.text() == PLACEHOLDER
    browser = QLabel("browser")
    view.set_detail_widget(browser)
    assert browser.isVisible() and not view.placeholder.isVisible()
    view.set_detail_widget(None)
    assert view.placeholder.isVisible()
    assert laid_out_problems(qtbot, view) == []


def test_sign_in_to_docker_hub_without_network_says_so_in_the_dialog(qtbot, view):
    assert view.select_host(DOCKER_HUB)
    sign = view.sign_in_selected()
    qtbot.waitUntil(sign.isVisible)
    assert "Docker Hub" in sign.heading.text()
    qtbot.keyClicks(sign.user_edit, "someone")
    qtbot.keyClicks(sign.password_edit, "pw")
    started = time.monotonic()
    qtbot.mouseClick(sign.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: answered(sign), timeout=3000)
    assert time.monotonic() - started < 1.5
    assert sign.status.text() == "Can't reach docker.io — no network or DNS"
    qtbot.keyClick(sign, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: closed(sign))


def test_the_registries_view_is_the_third_in_the_sidebar(qtbot, docker_engine, docker_config, berth_config):

    from desktop.engine.connection import Endpoint
    from desktop.tasks.engine_session import CONNECTED, EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.main_window import MainWindow

    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(docker_engine.docker_host, "user")])
    window = MainWindow(tasks, session)
    qtbot.addWidget(window)
    window.show()
    session.start()
    try:
        qtbot.waitUntil(lambda: session.state == CONNECTED, timeout=20000)
        assert window.sidebar.item(2).text() == "Registries"
        qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
        assert window.workspace.views.currentWidget() is window.workspace.registries_view
        qtbot.waitUntil(lambda: window.workspace.registries_view.loaded_once, timeout=5000)
    finally:
        window.close()
        session.stop()
        assert tasks.shutdown(10000)


def test_cancel_a_sign_in_the_registry_never_answers(qtbot, view, spare_registry, docker_config):
    host = spare_registry.for_engine
    dialog = add_through_dialog(qtbot, view, host)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.selected_row() is not None and view.selected_row().host == host, timeout=5000)
    with frozen(spare_registry.pid):  # the registry takes the connection and never answers
        sign = view.sign_in_selected()
        qtbot.waitUntil(sign.isVisible)
        qtbot.keyClicks(sign.user_edit, "someone")
        qtbot.keyClicks(sign.password_edit, "pw")
        qtbot.mouseClick(sign.ok_button, Qt.MouseButton.LeftButton)
        task = sign.task
        qtbot.waitUntil(lambda: task.state.value == "running", timeout=5000)
        qtbot.mouseClick(sign.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: task.state.done, timeout=3000)  # at once, not the engine's timeout
        assert task.state.value == "cancelled"
    assert not (docker_config / "config.json").exists()


def test_without_an_engine_the_list_still_shows_and_sign_in_says_why_not(qtbot, docker_config, berth_config):
    from desktop.engine.connection import Endpoint
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.tasks.operations import NOT_CONNECTED

    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint("unix:///nonexistent/docker.sock", "user")])  # never started
    view = RegistriesView(session)
    qtbot.addWidget(view)
    view.show()
    try:
        qtbot.waitUntil(lambda: view.loaded_once, timeout=5000)  # files only: no engine needed
        assert view.select_host(DOCKER_HUB)
        sign = view.sign_in_selected()
        qtbot.waitUntil(sign.isVisible)
        qtbot.keyClicks(sign.user_edit, "someone")
        qtbot.keyClicks(sign.password_edit, "pw")
        qtbot.mouseClick(sign.ok_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: answered(sign), timeout=3000)
        assert NOT_CONNECTED in sign.status.text() and sign.isVisible()
        assert not (docker_config / "config.json").exists()
        sign.reject()
    finally:
        assert tasks.shutdown(10000)
