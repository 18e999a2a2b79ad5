"""The Containers view, its details pane and dialogs, driven like a person would, against the real
isolated engine; the docker CLI is the oracle. The window is built as the main window will wire
it: the details pane under the containers list, following its selection."""

import json
import re
import signal
import subprocess
import time

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from desktop.engine.connection import Endpoint
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.tasks.task import TaskState
from desktop.ui import container_actions
from desktop.ui.container_details import INSPECT, LOGS, STATS, TERMINAL
from desktop.ui.dialogs.prune_containers_dialog import PruneContainersDialog
from desktop.ui.main_window import MainWindow

pytestmark = pytest.mark.engine

SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
CHATTY = ["sh", "-c", "i=0; while true; do echo out $i; echo err $i >&2; i=$((i+1)); sleep 0.05; done"]


def build_window(qtbot, host):
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(host, "user")])
    window = MainWindow(tasks, session)
    qtbot.addWidget(window)
    window.details = window.workspace.container_details  # the window's own pane, wired by the window
    window.resize(1200, 900)
    window.show()
    session.start()
    qtbot.waitUntil(lambda: window.workspace.containers_feed.loaded_once, timeout=20000)
    window.sidebar.setCurrentRow(1)
    return window, session, tasks


@pytest.fixture
def window(qtbot, docker_engine):
    window, session, tasks = build_window(qtbot, docker_engine.docker_host)
    yield window
    window.close()
    assert tasks.shutdown(10000)


@pytest.fixture
def name(unique_repo):
    return unique_repo.replace("/", "-")


@pytest.fixture
def cleanup(docker_engine):
    names = []
    yield names
    if names:
        docker_engine.cli("rm", "-f", "-v", *names, check=False)


def cli_names(engine, *args):
    return set(engine.cli("ps", *args, "--format", "{{.Names}}").stdout.split())


def state(engine, name):
    return json.loads(engine.cli("inspect", "-f", "{{json .State}}", name).stdout)


def row_named(window, name):
    return next((r for r in window.workspace.containers_model.rows() if r.name == name), None)


def activate(qtbot, window, widget):
    """Give the window the keyboard again (offscreen, nobody reactivates it after a dialog)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    widget.setFocus()


def select(qtbot, window, name):
    qtbot.waitUntil(lambda: row_named(window, name) is not None, timeout=10000)
    assert window.workspace.containers_view.select_keys([row_named(window, name).id]) == 1


# --- the list -------------------------------------------------------------------------------------
def test_the_list_matches_docker_ps_and_follows_cli_actions(qtbot, qtmodeltester, window, docker_engine,
                                                            busybox_image, name, cleanup):
    cleanup += [f"{name}-a", f"{name}-b"]
    docker_engine.cli("create", "--name", f"{name}-a", busybox_image, "true")
    docker_engine.cli("run", "-d", "--name", f"{name}-b", busybox_image, "sleep", "600")
    model = window.workspace.containers_model
    qtbot.waitUntil(lambda: {f"{name}-a", f"{name}-b"} <= {r.name for r in model.rows()}, timeout=10000)
    assert {r.name for r in model.rows()} == cli_names(docker_engine, "-a")
    assert row_named(window, f"{name}-b").state == "running" and row_named(window, f"{name}-a").state == "created"
    view = window.workspace.containers_view
    qtbot.mouseClick(view.toggle, Qt.MouseButton.LeftButton)  # running only, like docker ps
    qtbot.waitUntil(lambda: {r.name for r in model.rows()} == cli_names(docker_engine), timeout=10000)
    assert row_named(window, f"{name}-a") is None
    qtbot.mouseClick(view.toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row_named(window, f"{name}-a") is not None, timeout=10000)
    docker_engine.cli("kill", f"{name}-b")
    qtbot.waitUntil(lambda: row_named(window, f"{name}-b").state == "exited", timeout=10000)
    assert row_named(window, f"{name}-b").exit_code == 137
    docker_engine.cli("rm", f"{name}-a")
    qtbot.waitUntil(lambda: row_named(window, f"{name}-a") is None, timeout=10000)
    assert {r.name for r in model.rows()} == cli_names(docker_engine, "-a")
    qtmodeltester.check(model)


def test_actions_from_the_toolbar_shortcuts_menu_and_dialogs(qtbot, window, docker_engine, busybox_image, name,
                                                             cleanup):
    names = [f"{name}-1", f"{name}-2"]
    cleanup += names + [f"{name}-renamed"]
    for n in names:
        docker_engine.cli("run", "-d", "--name", n, busybox_image, *SLEEPER)
    view = window.workspace.containers_view
    qtbot.waitUntil(lambda: all(row_named(window, n) for n in names), timeout=10000)
    view.select_keys([row_named(window, n).id for n in names])
    assert not view.action["start"].isEnabled() and view.action["stop"].isEnabled()

    qtbot.mouseClick(view.toolbar.widgetForAction(view.action["pause"]), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: all(state(docker_engine, n)["Paused"] for n in names), timeout=10000)
    qtbot.waitUntil(lambda: all(row_named(window, n).state == "paused" for n in names), timeout=10000)
    assert view.action["unpause"].isEnabled() and not view.action["pause"].isEnabled()
    assert view.status_label.text() == "Paused 2 containers."

    activate(qtbot, window, view.table)  # shortcuts act in the active window only
    qtbot.keyClick(view.table, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: not any(state(docker_engine, n)["Paused"] for n in names), timeout=10000)

    menu = view.context_menu()
    stop = next(a for a in menu.actions() if a.text() == "S&top")
    stop.trigger()
    qtbot.waitUntil(lambda: all(state(docker_engine, n)["Status"] == "exited" for n in names), timeout=15000)
    qtbot.waitUntil(lambda: all(row_named(window, n).state == "exited" for n in names), timeout=10000)
    assert view.action["start"].isEnabled() and not view.action["stop"].isEnabled()
    activate(qtbot, window, view.table)
    qtbot.keyClick(view.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: all(state(docker_engine, n)["Running"] for n in names), timeout=10000)

    # kill with a chosen signal, through its dialog
    qtbot.waitUntil(lambda: row_named(window, names[0]).state == "running", timeout=10000)
    view.select_keys([row_named(window, names[0]).id])
    activate(qtbot, window, view.table)
    qtbot.keyClick(view.table, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    kill = view.actions_.last_dialog
    assert kill.objectName() == "killDialog" and kill.isVisible()
    kill.signal_combo.setCurrentText("SIGNOPE")
    assert not kill.ok_button.isEnabled() and "not a signal" in kill.status.text()
    kill.signal_combo.setCurrentText("SIGKILL")
    qtbot.mouseClick(kill.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state(docker_engine, names[0])["ExitCode"] == 137, timeout=10000)

    # rename with F2: a bad name is refused as typed, a good one goes to the engine
    qtbot.waitUntil(lambda: row_named(window, names[0]).state == "exited", timeout=10000)
    view.select_keys([row_named(window, names[0]).id])
    activate(qtbot, window, view.table)  # the dialog closed: its window gets the keyboard back
    qtbot.keyClick(view.table, Qt.Key.Key_F2)
    rename = view.actions_.last_dialog
    assert rename.objectName() == "renameDialog"
    rename.name_edit.clear()
    qtbot.keyClicks(rename.name_edit, "bad name")
    assert not rename.rename_button.isEnabled() and "not allowed" in rename.status.text()
    rename.name_edit.clear()
    qtbot.keyClicks(rename.name_edit, names[1])
    qtbot.mouseClick(rename.rename_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "already in use" in rename.status.text(), timeout=10000)  # the engine's refusal
    rename.name_edit.clear()
    qtbot.keyClicks(rename.name_edit, f"{name}-renamed")
    with qtbot.waitSignal(rename.renamed, timeout=10000):
        qtbot.mouseClick(rename.rename_button, Qt.MouseButton.LeftButton)
    assert f"{name}-renamed" in cli_names(docker_engine, "-a")
    qtbot.waitUntil(lambda: row_named(window, f"{name}-renamed") is not None, timeout=10000)

    # remove both with Delete: the running one needs force, which the dialog offers but leaves unticked
    view.select_keys([row_named(window, f"{name}-renamed").id, row_named(window, names[1]).id])
    activate(qtbot, window, view.table)
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    remove = view.actions_.last_dialog
    assert remove.objectName() == "removeContainersDialog" and remove.names.count() == 2
    assert not remove.force_box.isChecked() and "1 running" in remove.force_box.text()
    remove.force_box.click()  # the person ticks it
    assert remove.force_box.isChecked()
    qtbot.mouseClick(remove.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not ({f"{name}-renamed", names[1]} & cli_names(docker_engine, "-a")), timeout=10000)
    qtbot.waitUntil(lambda: row_named(window, names[1]) is None, timeout=10000)


def test_a_failed_action_on_one_container_reports_it_and_does_the_rest(qtbot, window, docker_engine, busybox_image,
                                                                       name, cleanup):
    cleanup += [f"{name}-up", f"{name}-gone"]
    docker_engine.cli("run", "-d", "--name", f"{name}-up", busybox_image, *SLEEPER)
    docker_engine.cli("run", "-d", "--name", f"{name}-gone", busybox_image, *SLEEPER)
    qtbot.waitUntil(lambda: bool(row_named(window, f"{name}-up") and row_named(window, f"{name}-gone")),
                    timeout=10000)
    rows = [row_named(window, f"{name}-up"), row_named(window, f"{name}-gone")]
    docker_engine.cli("rm", "-f", f"{name}-gone")  # gone before the list knew
    actions = window.workspace.containers_view.actions_
    with qtbot.waitSignal(actions.failed, timeout=15000) as blocker:
        actions.pause(rows)
    error = blocker.args[1]
    assert str(error).startswith("Paused 1 of 2 containers.") and f"{name}-gone:" in str(error)
    assert state(docker_engine, f"{name}-up")["Paused"]
    assert actions.last_message is not None and f"{name}-gone" in actions.last_message.text()
    actions.last_message.close()


def test_group_by_compose_project_and_stop_the_whole_project(qtbot, qtmodeltester, window, docker_engine,
                                                             busybox_image, name, cleanup):
    project = name
    members = [f"{name}-web", f"{name}-db", f"{name}-cache"]
    cleanup += members + [f"{name}-solo"]
    for member in members:
        docker_engine.cli("run", "-d", "--name", member, "--label", f"com.docker.compose.project={project}",
                          "--label", f"com.docker.compose.service={member.rsplit('-', 1)[1]}", busybox_image, *SLEEPER)
    docker_engine.cli("run", "-d", "--name", f"{name}-solo", busybox_image, *SLEEPER)
    view = window.workspace.containers_view
    qtbot.waitUntil(lambda: all(row_named(window, m) for m in members + [f"{name}-solo"]), timeout=10000)
    qtbot.mouseClick(view.group_box, Qt.MouseButton.LeftButton, pos=QPoint(5, view.group_box.height() // 2))
    assert view.grouped and view.tree.isVisible()
    qtmodeltester.check(view.groups)
    group = view.groups.group_index(project)
    assert group.data() == f"{project} (3)" and view.tree.isExpanded(group)
    assert view.groups.index(0, view.model.STATUS, group).isValid()
    assert view.groups.data(group.siblingAtColumn(view.model.STATUS)) == "3 running"
    assert not view.groups.index_for_key(row_named(window, f"{name}-solo").id).parent().isValid()
    rect = view.tree.visualRect(group)
    with qtbot.waitSignal(view.selectedRowsChanged, timeout=5000) as blocker:
        qtbot.mouseClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sorted(r.name for r in blocker.args[0]) == sorted(members)
    assert view.selected_groups() == [project]
    qtbot.mouseClick(view.toolbar.widgetForAction(view.action["stop"]), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: all(state(docker_engine, m)["Status"] == "exited" for m in members), timeout=15000)
    qtbot.waitUntil(lambda: view.groups.data(view.groups.group_index(project).siblingAtColumn(view.model.STATUS))
                    == "3 stopped", timeout=10000)
    assert state(docker_engine, f"{name}-solo")["Running"]
    # the filter applies inside groups; selection and grouping survive refreshes
    qtbot.keyClicks(view.filter_edit, f"{name}-web")
    qtbot.waitUntil(lambda: view.groups.data(view.groups.group_index(project)) == f"{project} (1)", timeout=5000)
    view.filter_edit.clear()
    assert view.select_keys([row_named(window, f"{name}-db").id]) == 1
    assert [r.name for r in view.selected_rows()] == [f"{name}-db"]
    qtmodeltester.check(view.groups)
    view.set_grouped(False)
    assert [r.name for r in view.selected_rows()] == [f"{name}-db"]  # the selection carries over


class UrlCatcher(QObject):
    def __init__(self):
        super().__init__()
        self.urls = []

    @Slot("QUrl")
    def open(self, url):
        self.urls.append(url.toString())


def test_clicking_a_published_port_opens_it(qtbot, window, docker_engine, busybox_image, name, cleanup):
    cleanup.append(name)
    docker_engine.cli("run", "-d", "--name", name, "-p", "127.0.0.1:18311:8080", busybox_image, "httpd", "-f", "-p",
                      "8080")
    view = window.workspace.containers_view
    qtbot.waitUntil(lambda: row_named(window, name) is not None, timeout=10000)
    view.filter_edit.setText(name)
    index = view.proxy.index(0, view.model.PORTS)
    assert index.data() == "127.0.0.1:18311->8080/tcp"
    assert index.data(Qt.ItemDataRole.FontRole).underline()
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("http", catcher, "open")
    try:
        view.table.scrollTo(index)
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=view.table.visualRect(index).center())
        qtbot.waitUntil(lambda: catcher.urls == ["http://127.0.0.1:18311/"], timeout=5000)
    finally:
        QDesktopServices.unsetUrlHandler("http")
    # and that address is the container's web server (reachable inside the engine's namespace)
    qtbot.waitUntil(lambda: "HTTP/1" in subprocess.run(
        ["ip", "netns", "exec", docker_engine.netns, "busybox", "wget", "-qS", "-O", "-", "http://127.0.0.1:18311/"],
        capture_output=True, text=True).stderr, timeout=10000)


# --- run ------------------------------------------------------------------------------------------
def test_the_run_dialog_runs_what_was_asked(qtbot, window, docker_engine, busybox_image, name, cleanup, tmp_path):
    cleanup.append(name)
    (tmp_path / "app.env").write_text("# from a file\nFILE_VAR=from file\n")
    view, pane = window.workspace.containers_view, window.details
    pane.tabs.setCurrentIndex(INSPECT)
    # the main window shows an attached run's output in the Logs tab
    dialog = view.actions_.run_image(busybox_image)
    qtbot.waitUntil(lambda: dialog.defaults is not None, timeout=10000)
    assert dialog.isVisible() and dialog.windowTitle() == f"Run {busybox_image}"
    assert not dialog.run_button.isEnabled() or dialog.spec is not None
    qtbot.keyClicks(dialog.name_edit, "x")
    assert not dialog.run_button.isEnabled() and "too short" in dialog.problems.text()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, name)
    qtbot.keyClicks(dialog.command_edit, "sh -c 'echo started; httpd -f -p 8080 -h /www'")
    QApplication.clipboard().setText("GREETING=hello world\nMODE=test\n")
    dialog.env_paste.setFocus()
    qtbot.keyClick(dialog.env_paste, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # pasted lines
    assert dialog.env_paste.toPlainText() == "GREETING=hello world\nMODE=test\n"
    qtbot.mouseClick(dialog.findChild(type(dialog.run_button), "runEnvAddLines"), Qt.MouseButton.LeftButton)
    assert dialog.env_table.rowCount() == 2 and "Added 2 variables" in dialog.env_message.text()
    assert dialog.load_env_file(str(tmp_path / "app.env")) == 1
    dialog.add_port("127.0.0.1", "18312", "8080")
    dialog.add_port("127.0.0.1", "18320-18322", "9000-9001", "udp")  # a range, as -p 18320-18321:9000-9001
    assert not dialog.run_button.isEnabled() and "must be ranges of the same length" in dialog.problems.text()
    dialog.ports_table.item(dialog.ports_table.rowCount() - 1, 1).setText("18320-18321")
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("ok\n")
    dialog.add_mount("bind", str(tmp_path / "www"), "/www", True)
    dialog.restart_combo.setCurrentIndex(dialog.restart_combo.findData("on-failure"))
    dialog.retries_spin.setValue(2)
    qtbot.keyClicks(dialog.memory_edit, "3m")
    assert not dialog.run_button.isEnabled() and "minimum of 6 MiB" in dialog.problems.text()
    dialog.memory_edit.clear()
    qtbot.keyClicks(dialog.memory_edit, "64m")
    qtbot.keyClicks(dialog.cpus_edit, "0.5")
    qtbot.keyClicks(dialog.labels_edit, "team=berth")
    qtbot.mouseClick(dialog.attached, Qt.MouseButton.LeftButton)
    assert dialog.run_button.isEnabled(), dialog.problems.text()
    with qtbot.waitSignal(dialog.started, timeout=15000) as blocker:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result.name == name and not dialog.isVisible()
    data = json.loads(docker_engine.cli("inspect", name).stdout)[0]
    assert data["State"]["Running"]
    assert {"GREETING=hello world", "MODE=test", "FILE_VAR=from file"} <= set(data["Config"]["Env"])
    assert data["HostConfig"]["PortBindings"]["8080/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": "18312"}]
    assert data["HostConfig"]["PortBindings"]["9000/udp"] == [{"HostIp": "127.0.0.1", "HostPort": "18320"}]
    assert data["HostConfig"]["PortBindings"]["9001/udp"] == [{"HostIp": "127.0.0.1", "HostPort": "18321"}]
    assert data["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert data["HostConfig"]["Memory"] == 64 * 1024 * 1024 and data["HostConfig"]["NanoCpus"] == 500_000_000
    assert data["Config"]["Labels"] == {"team": "berth"}
    assert data["Mounts"][0]["Source"] == str(tmp_path / "www") and not data["Mounts"][0]["RW"]
    # the new container is selected once listed, and its output followed
    qtbot.waitUntil(lambda: [r.name for r in view.selected_rows()] == [name], timeout=10000)
    assert pane.title.text() == name and pane.tabs.currentIndex() == LOGS
    qtbot.waitUntil(lambda: "started" in pane.log_view.plain_text().splitlines(), timeout=10000)


def test_the_run_dialog_says_what_failed_and_leaves_nothing(qtbot, window, docker_engine, busybox_image, name,
                                                            cleanup):
    cleanup += [name, f"{name}-holder"]
    docker_engine.cli("run", "-d", "--name", f"{name}-holder", "-p", "127.0.0.1:18313:80", busybox_image, "httpd",
                      "-f", "-p", "80")
    dialog = container_actions.run_image(window, window.session, busybox_image)
    qtbot.waitUntil(lambda: dialog.defaults is not None, timeout=10000)
    qtbot.keyClicks(dialog.name_edit, name)
    qtbot.keyClicks(dialog.command_edit, "httpd -f -p 80")
    dialog.add_port("", "18313", "80")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    # the task's state flips in the worker; the dialog shows the outcome when its signal arrives
    qtbot.waitUntil(lambda: f"already published by container {name}-holder" in dialog.problems.text(),
                    timeout=15000)
    assert dialog.isVisible()
    dialog.command_edit.clear()
    qtbot.keyClicks(dialog.command_edit, "no-such-program")
    dialog.ports_table.removeRow(0)
    dialog.validate()
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.run_task.state.done and "does not exist" in dialog.problems.text(), timeout=15000)
    assert "removed again" in dialog.problems.text() and dialog.run_button.isEnabled()
    assert name not in cli_names(docker_engine, "-a")
    dialog.reject()


# --- the details pane -----------------------------------------------------------------------------------
def test_logs_follow_search_stderr_and_stop_when_nobody_looks(qtbot, window, docker_engine, busybox_image, name,
                                                              cleanup):
    cleanup += [f"{name}-chatty", f"{name}-quiet"]
    docker_engine.cli("run", "-d", "--name", f"{name}-chatty", busybox_image, *CHATTY)
    docker_engine.cli("run", "-d", "--name", f"{name}-quiet", busybox_image, "sh", "-c", "echo quiet; sleep 600")
    pane = window.details
    select(qtbot, window, f"{name}-chatty")
    assert pane.tabs.currentIndex() == LOGS and pane.title.text() == f"{name}-chatty"
    log = pane.log_view
    qtbot.waitUntil(lambda: log.line_count() >= 40, timeout=15000)
    assert log.stderr_lines() and all(line.startswith("err ") for line in log.stderr_lines())
    assert all(line.startswith(("out ", "err ")) for line in log.plain_text().splitlines())
    qtbot.keyClicks(log.search, "err 1")
    assert log.match_count() >= 1 and len(log.text.extraSelections()) == log.match_count()
    assert log.match_label.text().endswith(f"of {log.match_count()}")
    assert "err 1" in log.text.textCursor().selectedText()
    qtbot.waitUntil(lambda: log.match_count() >= 10, timeout=15000)  # err 1, err 10..19: found as they arrive
    log.search.clear()
    log.timestamps_box.setChecked(True)
    assert re.match(r"^20\d\d-\d\d-\d\dT[\d:.]+Z (out|err) \d+$", log.plain_text().splitlines()[0])
    log.timestamps_box.setChecked(False)
    first_task = pane.log_task
    # another container: the first stream is cancelled, the second shows only its own lines
    select(qtbot, window, f"{name}-quiet")
    qtbot.waitUntil(lambda: first_task.state == TaskState.CANCELLED, timeout=5000)
    qtbot.waitUntil(lambda: log.plain_text() == "quiet", timeout=10000)
    second_task = pane.log_task
    window.sidebar.setCurrentRow(0)  # another view: nobody looks at the log
    qtbot.waitUntil(lambda: second_task.state.done and pane.log_task is None and pane.stats_task is None,
                    timeout=5000)


def test_stats_arrive_and_stop_and_the_list_shows_usage(qtbot, window, docker_engine, busybox_image, name, cleanup):
    cleanup.append(name)
    docker_engine.cli("run", "-d", "--name", name, "--memory", "64m", busybox_image, "sh", "-c",
                      "while true; do :; done")
    pane = window.details
    select(qtbot, window, name)
    pane.tabs.setCurrentIndex(STATS)
    qtbot.waitUntil(lambda: len(pane.stats_view.samples) >= 2, timeout=15000)
    sample = pane.stats_view.samples[-1]
    assert sample.memory_limit == 64 * 1024 * 1024 and sample.cpu_percent > 5
    assert "Memory" in pane.stats_view.summary.text() and "64MiB" not in pane.stats_view.summary.text()
    assert pane.stats_view.cpu_chart.series[0].count() == len(pane.stats_view.samples)
    task = pane.stats_task
    pane.tabs.setCurrentIndex(INSPECT)
    qtbot.waitUntil(lambda: task.state == TaskState.CANCELLED, timeout=5000)
    assert pane.stats_task is None
    # the list's compact column, measured while the list is on screen
    model = window.workspace.containers_model
    cid = row_named(window, name).id
    qtbot.waitUntil(lambda: model.usage(cid) is not None, timeout=20000)
    row = model.row_for_key(cid)
    assert model.index(row, model.CPU).data().endswith(" %")
    assert model.index(row, model.MEMORY).data().endswith("B")
    sampler = window.workspace.containers_view.sampler_task
    window.sidebar.setCurrentRow(0)
    qtbot.waitUntil(lambda: sampler.state.done and model.usage(cid) is None, timeout=10000)
    assert model.index(row, model.CPU).data() == ""


def test_a_shell_in_the_terminal_tab(qtbot, window, docker_engine, busybox_image, name, cleanup):
    cleanup.append(name)
    docker_engine.cli("run", "-d", "--name", name, busybox_image, "sleep", "600")
    pane = window.details
    select(qtbot, window, name)
    view = window.workspace.containers_view
    activate(qtbot, window, view.table)
    qtbot.keyClick(view.table, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert pane.tabs.currentIndex() == TERMINAL
    qtbot.waitUntil(lambda: pane.terminal.active, timeout=10000)
    qtbot.waitUntil(lambda: "#" in pane.terminal.screen.text(), timeout=10000)  # the prompt
    terminal = pane.terminal
    qtbot.keyClicks(terminal, "echo hi-$((6*7))")
    qtbot.keyClick(terminal, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "hi-42" in terminal.screen.text().splitlines(), timeout=10000)
    qtbot.keyClicks(terminal, "stty size")
    qtbot.keyClick(terminal, Qt.Key.Key_Return)
    rows, cols = terminal.screen.rows, terminal.screen.cols
    qtbot.waitUntil(lambda: f"{rows} {cols}" in terminal.screen.text().splitlines(), timeout=10000)
    with qtbot.waitSignal(pane.shellEnded, timeout=10000) as blocker:
        qtbot.keyClicks(terminal, "exit 5")
        qtbot.keyClick(terminal, Qt.Key.Key_Return)
    assert blocker.args[1].exit_code == 5
    assert "Session ended (exit code 5)" in terminal.screen.text()
    assert pane.shell_button.isEnabled() and not terminal.active


def test_inspect_tab_and_commit_dialog(qtbot, window, docker_engine, busybox_image, name, unique_repo, cleanup):
    cleanup.append(name)
    docker_engine.cli("run", "-d", "--name", name, "-e", "COLOUR=blue", busybox_image, "sh", "-c",
                      "echo made > /made; sleep 600")
    pane = window.details
    select(qtbot, window, name)
    with qtbot.waitSignal(pane.loaded, timeout=10000):
        pane.tabs.setCurrentIndex(INSPECT)
    assert pane.summary_value("Container", "Name") == name
    assert pane.summary_value("Environment", "COLOUR") == "blue"
    assert pane.summary_value("State", "Status") == "running"
    assert json.loads(pane.json_view.plain_text())["Id"] == row_named(window, name).id
    qtbot.keyClicks(pane.json_view.search, "COLOUR")
    assert pane.json_view.match_count() == 1
    dialog = window.workspace.containers_view.trigger("commit")
    assert dialog.objectName() == "commitDialog"
    qtbot.keyClicks(dialog.repository_edit, "Not/Valid")
    assert not dialog.commit_button.isEnabled() and "lowercase" in dialog.status.text()
    dialog.repository_edit.clear()
    qtbot.keyClicks(dialog.repository_edit, unique_repo)
    qtbot.keyClicks(dialog.tag_edit, "snap")
    qtbot.keyClicks(dialog.message_edit, "from the GUI")
    with qtbot.waitSignal(dialog.committed, timeout=20000) as blocker:
        qtbot.mouseClick(dialog.commit_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].reference == f"{unique_repo}:snap"
    assert docker_engine.cli("run", "--rm", f"{unique_repo}:snap", "cat", "/made").stdout == "made\n"
    assert docker_engine.cli("image", "inspect", "-f", "{{.Comment}}", f"{unique_repo}:snap").stdout.strip() == \
        "from the GUI"
    docker_engine.cli("rmi", f"{unique_repo}:snap")


# --- pruning and a dying engine (a fresh engine each: both would disturb the shared one) --------------------
def test_prune_dialog_previews_then_removes(qtbot, fresh_engine):
    image = fresh_engine.ensure_busybox_base()
    fresh_engine.cli("create", "--name", "old-1", image, "true")
    fresh_engine.cli("create", "--name", "old-2", image, "true")
    fresh_engine.cli("run", "-d", "--name", "up-3", image, "sleep", "600")
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(fresh_engine.docker_host, "user")])
    session.start()
    try:
        qtbot.waitUntil(lambda: session.state == "connected", timeout=15000)
        dialog = PruneContainersDialog(session)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.start()
        qtbot.waitUntil(lambda: dialog.candidates is not None, timeout=10000)
        assert sorted(dialog.list.topLevelItem(i).text(0) for i in range(dialog.list.topLevelItemCount())) == \
            ["old-1", "old-2"]
        assert "2 stopped containers will be removed" in dialog.status.text() and dialog.prune_button.isEnabled()
        with qtbot.waitSignal(dialog.pruned, timeout=15000):
            qtbot.mouseClick(dialog.prune_button, Qt.MouseButton.LeftButton)
        assert fresh_engine.cli("ps", "-a", "--format", "{{.Names}}").stdout.split() == ["up-3"]
        assert dialog.status.text().startswith("Removed 2 containers")
    finally:
        fresh_engine.cli("rm", "-f", "up-3", check=False)
        session.stop()
        assert tasks.shutdown(10000)


def test_an_engine_that_dies_with_containers_running(qtbot, fresh_engine):
    image = fresh_engine.ensure_busybox_base()
    fresh_engine.cli("run", "-d", "--name", "survivor", image, *CHATTY)
    window, session, tasks = build_window(qtbot, fresh_engine.docker_host)
    try:
        select(qtbot, window, "survivor")
        pane = window.details
        qtbot.waitUntil(lambda: pane.log_view.line_count() > 5, timeout=10000)
        gaps = []
        last = [time.monotonic()]

        def beat():
            now = time.monotonic()
            gaps.append(now - last[0])
            last[0] = now

        heartbeat = QTimer()
        heartbeat.timeout.connect(beat)
        fresh_engine.kill_engine(signal.SIGKILL)  # a crash, with the container running
        last[0] = time.monotonic()
        heartbeat.start(20)  # measured while the app runs, not while the test itself blocks
        qtbot.waitUntil(lambda: session.state != "connected", timeout=15000)
        qtbot.waitUntil(lambda: window.workspace.currentWidget() is window.workspace.connection_page, timeout=15000)
        assert window.workspace.connection_page.title.text() == "No Docker engine"
        assert "Lost contact with the Docker engine" in window.workspace.connection_page.tried.text()
        assert pane.log_task is None and pane.stats_task is None  # its streams stopped with the engine
        assert window.workspace.containers_model.rowCount() == 0  # nothing stale is shown as if live
        heartbeat.stop()
        fresh_engine.start_engine()
        last[0] = time.monotonic()
        heartbeat.start(20)
        qtbot.waitUntil(lambda: session.state == "connected" and window.workspace.containers_feed.loaded_once
                        and row_named(window, "survivor") is not None, timeout=30000)

        def consistent():
            cli = {}
            for line in fresh_engine.cli("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout.splitlines():
                n, s = line.split()
                cli[n] = s
            return {r.name: r.state for r in window.workspace.containers_model.rows()} == cli

        qtbot.waitUntil(consistent, timeout=15000)
        heartbeat.stop()
        assert max(gaps, default=0.0) < 1.0  # the window never froze (a generous bound: the machine is shared)
        select(qtbot, window, "survivor")
        assert pane.title.text() == "survivor"
    finally:
        window.close()
        fresh_engine.cli("rm", "-f", "survivor", check=False)
        assert tasks.shutdown(10000)


def test_copy_dialogs(qtbot, window, docker_engine, busybox_image, name, cleanup, tmp_path):
    cleanup.append(name)
    docker_engine.cli("run", "-d", "--name", name, busybox_image, "sh", "-c", "mkdir /drop; echo inside > /inside.txt; sleep 600")
    select(qtbot, window, name)
    view = window.workspace.containers_view
    dialog = view.trigger("copy_out")
    assert dialog.objectName() == "copyDialog" and dialog.windowTitle() == f"Copy from {name}"
    qtbot.keyClicks(dialog.container_edit, "relative")
    assert not dialog.copy_button.isEnabled() and "must be absolute" in dialog.status.text()
    dialog.container_edit.clear()
    qtbot.keyClicks(dialog.container_edit, "/inside.txt")
    dialog.local_edit.setText(str(tmp_path))
    with qtbot.waitSignal(dialog.copied, timeout=10000) as blocker:
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == str(tmp_path / "inside.txt")
    assert (tmp_path / "inside.txt").read_text() == "inside\n"
    (tmp_path / "outside.txt").write_text("outside\n")
    dialog = view.trigger("copy_in")
    assert dialog.windowTitle() == f"Copy into {name}"
    dialog.local_edit.setText(str(tmp_path / "outside.txt"))
    dialog.container_edit.setText("/missing-folder")
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "does not exist in the container" in dialog.status.text(), timeout=10000)
    dialog.container_edit.setText("/drop")
    with qtbot.waitSignal(dialog.copied, timeout=10000):
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert docker_engine.cli("exec", name, "cat", "/drop/outside.txt").stdout == "outside\n"
    assert view.status_label.text() == "Copied to /drop/outside.txt."


def test_coming_back_to_the_list_rewords_statuses_without_listing(qtbot, window):
    """Statuses such as "Up 3 minutes" age without an event: they are worded from their anchors
    against the clock, reworded while the list is on screen and at once when someone comes back
    to it -- the engine is not asked again for that, even after a long while away."""
    feed = window.workspace.containers_feed
    view = window.workspace.containers_view
    listings = []
    feed.busyChanged.connect(lambda busy: busy and listings.append(busy))
    assert view._status_timer.isActive()
    window.sidebar.setCurrentRow(0)
    assert not view._status_timer.isActive()  # hidden: nothing ticks
    feed.loaded_at -= 3600  # as if the last listing were an hour old
    view.model.now -= 3600  # and the cells last worded then
    window.sidebar.setCurrentRow(1)
    assert view._status_timer.isActive()
    assert abs(view.model.now - time.time()) < 1.0  # worded afresh on coming back
    assert listings == []


def test_a_stopped_containers_terminal_says_why_and_starts_it(qtbot, window, docker_engine, busybox_image, name,
                                                              cleanup):
    cleanup += [name, f"{name}-broken"]
    docker_engine.cli("create", "--name", name, busybox_image, "sleep", "600")
    pane = window.details
    select(qtbot, window, name)
    pane.tabs.setCurrentIndex(TERMINAL)
    qtbot.waitUntil(lambda: pane.terminal_stack.currentWidget() is pane.not_running_page, timeout=5000)
    message = pane.not_running_message.text()
    assert message == f"{name} is not running (it was created but never started), so it has no shell. Start it to open one."
    assert not pane.shell_button.isEnabled() and pane.start_button.isEnabled()
    pane.open_shell()  # the shortcut's way in: still no session, the same explanation
    assert pane.shell_task is None and pane.terminal_stack.currentWidget() is pane.not_running_page

    with qtbot.waitSignal(pane.shellStarted, timeout=15000) as blocker:
        qtbot.mouseClick(pane.start_button, Qt.MouseButton.LeftButton)
        assert not pane.start_button.isEnabled() and pane.start_status.text() == f"Starting {name}…"
    assert blocker.args[0] == row_named(window, name).id
    assert state(docker_engine, name)["Running"] is True  # started for real, the shell opened
    assert pane.terminal_stack.currentWidget() is pane.terminal_page and pane.terminal.active
    qtbot.waitUntil(lambda: "#" in pane.terminal.screen.text(), timeout=10000)
    with qtbot.waitSignal(pane.shellEnded, timeout=10000):
        pane.close_shell()

    # paused: its processes are frozen; the button resumes it, then the shell opens
    docker_engine.cli("pause", name)
    qtbot.waitUntil(lambda: pane.terminal_stack.currentWidget() is pane.not_running_page, timeout=10000)
    assert pane.not_running_message.text().startswith(f"{name} is paused")
    assert pane.start_button.text() == "&Resume container" and pane.start_button.isEnabled()
    with qtbot.waitSignal(pane.shellStarted, timeout=15000):
        qtbot.mouseClick(pane.start_button, Qt.MouseButton.LeftButton)
    assert state(docker_engine, name)["Paused"] is False
    with qtbot.waitSignal(pane.shellEnded, timeout=10000):
        pane.close_shell()
    docker_engine.cli("kill", name)
    qtbot.waitUntil(lambda: pane.not_running_message.text().startswith(f"{name} is not running (it exited with code 137)"),
                    timeout=10000)

    # a container that cannot start: the error shows, nothing runs, Start can be tried again
    docker_engine.cli("create", "--name", f"{name}-broken", busybox_image, "/no/such/program")
    select(qtbot, window, f"{name}-broken")
    assert pane.terminal_stack.currentWidget() is pane.not_running_page
    with qtbot.waitSignal(pane.actions.failed, timeout=15000):
        qtbot.mouseClick(pane.start_button, Qt.MouseButton.LeftButton)
    assert "no such file" in pane.start_status.text().lower() or "not found" in pane.start_status.text().lower(), \
        pane.start_status.text()
    assert pane.start_button.isEnabled() and pane.shell_task is None
    assert state(docker_engine, f"{name}-broken")["Running"] is False
    if pane.actions.last_message is not None:
        pane.actions.last_message.close()


def test_stopping_shows_the_signal_sent_and_the_grace_left(qtbot, window, docker_engine, busybox_image, name,
                                                           cleanup):
    cleanup.append(name)
    # sleep as PID 1 ignores SIGTERM: the engine waits out the grace period, then kills
    docker_engine.cli("run", "-d", "--name", name, busybox_image, "sleep", "600")
    select(qtbot, window, name)
    model = window.workspace.containers_model
    cid = row_named(window, name).id

    def shown():
        return model.index(model.row_for_key(cid), model.STATUS).data()

    window.workspace.containers_view.actions_.stop([row_named(window, name)], timeout=4)
    countdown = re.compile(r"^Stopping \(SIGTERM sent, SIGKILL in (\d) s\)$")
    first = []
    qtbot.waitUntil(lambda: bool(countdown.match(shown() or "")) and first.append(int(countdown.match(shown())[1]))
                    is None, timeout=5000)
    assert 1 <= first[0] <= 4
    qtbot.waitUntil(lambda: (m := countdown.match(shown() or "")) is not None and int(m[1]) < first[0], timeout=3000)
    qtbot.waitUntil(lambda: shown().startswith("Exited (137) "), timeout=10000)
    assert state(docker_engine, name)["ExitCode"] == 137  # the engine did kill it
    assert model.stopping(cid) is None
