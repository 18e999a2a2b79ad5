"""Engine > Connect to another engine…: a dialog that asks the new host first and leaves the
workspace on the current engine until that one answers. The real window, the isolated engine."""

import os
import socket

import pytest
from PySide6.QtCore import Qt

from desktop.tasks.engine_session import CONNECTED
from tests.window_fixture import make_window  # noqa: F401  (a fixture)

pytestmark = pytest.mark.engine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def _menu_action(window, menu_title, text):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == menu_title)
    return next(a for a in menu.actions() if a.text() == text)


def _type_host(qtbot, dialog, text):
    edit = dialog.host.lineEdit()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_a_host_that_refuses_changes_nothing_and_the_dialog_says_what_to_check(
        qtbot, make_window, docker_engine, busybox_image, tmp_path):
    # the window talks to the engine through a second path to its socket, so that the switch
    # below to its own docker_host is a real change of endpoint
    link = tmp_path / "engine.sock"
    os.symlink(docker_engine.socket_path, link)
    window, session = make_window(f"unix://{link}")
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    rows_before = window.workspace.images_model.rowCount()
    assert rows_before > 0
    pages_seen = []
    window.workspace.currentChanged.connect(lambda i: pages_seen.append(window.workspace.widget(i)))

    _menu_action(window, "&Engine", "&Connect to another engine…").trigger()
    dialog = window.connect_dialog
    assert dialog.isVisible() and dialog.host.currentText() == f"unix://{link}"
    qtbot.waitUntil(lambda: dialog.suggest_task is not None and dialog.suggest_task.state.done, timeout=5000)
    assert f"unix://{link}" in dialog.suggestions()

    # bad input: said in the dialog, nothing tried
    _type_host(qtbot, dialog, "ftp://nowhere")
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert "must start with unix://" in dialog.status.text() and dialog.probe_task is None

    # a tcp host where nothing listens: the workspace stays on the current engine
    port = _free_port()
    _type_host(qtbot, dialog, f"tcp://127.0.0.1:{port}")
    qtbot.keyClick(dialog.host.lineEdit(), Qt.Key.Key_Return)
    assert dialog.probing and dialog.progress.isVisible() and dialog.cancel_button.isEnabled()
    assert not dialog.connect_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.advice.isVisible(), timeout=15000)
    assert f"Nothing answers at 127.0.0.1:{port}" in dialog.advice.text()
    assert f"dockerd -H tcp://127.0.0.1:{port}" in dialog.advice.text()
    assert "systemctl" not in dialog.advice.text() + dialog.status.text()
    assert f"tcp://127.0.0.1:{port}" in dialog.status.text() and not dialog.progress.isVisible()
    assert dialog.connect_button.isEnabled()
    assert window.workspace.showing_engine() and pages_seen == []
    assert session.state == CONNECTED and session.info.endpoint.host == f"unix://{link}"
    assert window.workspace.images_model.rowCount() == rows_before
    assert f"unix://{link}" in window.indicator.text()

    # Cancel: the dialog goes, nothing changed
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert session.info.endpoint.host == f"unix://{link}" and window.workspace.images_model.rowCount() == rows_before

    # the isolated engine's own socket, through the dialog: the session switches, the views follow
    dialog = window.show_connect_dialog()
    _type_host(qtbot, dialog, docker_engine.docker_host)
    with qtbot.waitSignal(dialog.endpointChosen, timeout=15000):
        qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: session.state == CONNECTED and session.info.endpoint.host == docker_engine.docker_host,
                    timeout=15000)
    qtbot.waitUntil(lambda: window.workspace.images_model.rowCount() > 0, timeout=15000)
    assert window.workspace.showing_engine()
    assert docker_engine.docker_host in window.indicator.text()
    cli_ids = set(docker_engine.cli("images", "-q", "--no-trunc").stdout.split())
    qtbot.waitUntil(lambda: {r.id for r in window.workspace.images_model.rows()} == cli_ids, timeout=15000)
    assert pages_seen == []  # never the "Connecting…" page
    assert [e.host for e in session.endpoints] == [docker_engine.docker_host]


def test_the_connection_page_advice_fits_a_remote_host(qtbot, make_window):
    port = _free_port()
    window, session = make_window(f"tcp://127.0.0.1:{port}")
    with qtbot.waitSignal(session.disconnected, timeout=15000):
        session.start()
    page = window.workspace.connection_page
    assert window.workspace.currentWidget() is page
    assert f"Nothing answers at 127.0.0.1:{port}" in page.help.text()
    assert "systemctl" not in page.help.text()
