"""Pull and Push as a person uses them: the actions in the Images toolbar, menus and details
header; the Pull dialog's live check and preview; a push and a pull back through the dialogs with
per-layer rows, checked with the docker CLI; Cancel in mid-stream; errors on screen."""

from __future__ import annotations

import json
import os

import docker
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.tasks import transfer_tasks
from desktop.tasks.task import TaskState
from tests.layout_check import window_problems
from tests.window_fixture import make_window  # noqa: F401  (a fixture)

pytestmark = pytest.mark.engine


def _open(qtbot, make_window, engine):
    window, session = make_window(engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    window.activateWindow()
    return window


def _select(qtbot, window, reference: str) -> None:
    view = window.workspace.images_view
    repo = reference.rpartition(":")[0]
    view.filter_edit.setText(repo)
    qtbot.waitUntil(lambda: view.proxy.rowCount() >= 1, timeout=10000)
    assert view.select_references([reference])
    qtbot.waitUntil(lambda: [r.reference for r in view.selected_rows()] == [reference], timeout=5000)


def _images_menu(window):
    return next(a.menu() for a in window.menuBar().actions() if a.text() == "&Images")


def _random_image(engine, made, tag: str, megabytes: int) -> str:
    image_id = engine.build_busybox_image(tag, ["COPY blob /blob"], files={"blob": os.urandom(megabytes << 20)})
    made.images.append(image_id)
    return image_id


def _remote_digest(engine, ref: str) -> str | None:
    client = docker.DockerClient(base_url=engine.docker_host, version="auto", timeout=30)
    try:
        return client.api.inspect_distribution(ref)["Descriptor"]["digest"]
    except docker.errors.NotFound:
        return None
    finally:
        client.close()


def test_pull_and_push_are_in_the_toolbar_menus_and_details(qtbot, make_window, docker_engine, busybox_image,
                                                            unique_repo):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:a")
    window = _open(qtbot, make_window, docker_engine)
    window.resize(1340, 700)
    transfer = window.workspace.transfer_actions
    pull, push = transfer.pull_action, transfer.push_action
    toolbar = window.workspace.images_view.toolbar
    for act, words in ((pull, "Pull…"), (push, "Push…")):
        button = toolbar.widgetForAction(act)
        assert button is not None and button.isVisible() and button.text() == words
        assert act in _images_menu(window).actions()
        menu = window.workspace.image_actions.context_menu()
        assert act in menu.actions()
        menu.deleteLater()
    assert pull.shortcut().toString() == "Ctrl+Shift+L" and push.shortcut().toString() == "Ctrl+Shift+H"
    assert "&" not in pull.iconText() and "&" not in push.iconText()
    assert pull.isEnabled() and not push.isEnabled()  # nothing selected: only Pull applies
    _select(qtbot, window, f"{unique_repo}:a")
    assert push.isEnabled()
    header = window.workspace.image_details.header_buttons
    assert any(header.itemAt(n).widget() is not None and header.itemAt(n).widget().defaultAction() is push
               for n in range(header.count()))
    # the shortcut opens the dialog from the list
    transfer = window.workspace.transfer_actions
    window.workspace.images_view.table.setFocus()
    qtbot.keyClick(window.workspace.images_view.table, Qt.Key.Key_H,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: transfer.dialogs and transfer.dialogs[-1].isVisible(), timeout=5000)
    assert transfer.dialogs[-1].objectName() == "pushDialog"
    transfer.dialogs[-1].reject()
    docker_engine.cli("rmi", f"{unique_repo}:a")


def test_the_pull_dialog_checks_and_previews_as_it_is_typed(qtbot, make_window, docker_engine):
    window = _open(qtbot, make_window, docker_engine)
    dialog = window.workspace.transfer_actions.pull()
    qtbot.waitUntil(dialog.isVisible)
    field = dialog.reference_edit
    assert not dialog.pull_button.isEnabled()
    qtbot.keyClicks(field, "nginx")
    assert dialog.preview.text() == "docker.io/library/nginx:latest"
    assert dialog.pull_button.isEnabled() and not dialog.reference_error.isVisible()
    field.setText("Team/App:1")
    assert dialog.reference_error.isVisible() and "upper-case" in dialog.reference_error.text()
    assert not dialog.pull_button.isEnabled() and dialog.preview.text() == "—"
    qtbot.waitUntil(lambda: not window_problems(dialog), timeout=3000)  # the long error has its room
    field.setText("nginx")
    dialog.platform_combo.setEditText("Linux-ARM")
    assert dialog.platform_error.isVisible() and "os/architecture" in dialog.platform_error.text()
    assert not dialog.pull_button.isEnabled()
    dialog.platform_combo.setEditText("linux/arm/v7")
    assert not dialog.platform_error.isVisible() and dialog.pull_button.isEnabled()
    dialog.platform_combo.setEditText("")
    field.setText("127.0.0.1:5000/team/app@sha256:" + "a" * 64)
    assert dialog.preview.text() == "127.0.0.1:5000/team/app@sha256:" + "a" * 64
    # the completion hook: tags the registry lists complete the typed repository
    dialog.set_tags("127.0.0.1:5000/team/app", ["1.0", "1.1"])
    assert dialog.tag_model.stringList() == ["127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:1.1"]
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # idle: Esc closes
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_push_then_pull_back_through_the_dialogs(qtbot, make_window, docker_engine, registry, made, unique_repo,
                                                 tmp_path):
    ref = f"{registry.for_engine}/{unique_repo}:v1"
    image_id = _random_image(docker_engine, made, ref, 2)
    window = _open(qtbot, make_window, docker_engine)
    _select(qtbot, window, ref)
    transfer = window.workspace.transfer_actions
    transfer.push_action.trigger()
    push = transfer.dialogs[-1]
    qtbot.waitUntil(push.isVisible)
    assert push.checked_tags() == [ref]
    layers_seen = []
    push.progress.model.rowsInserted.connect(lambda *_: layers_seen.append(push.progress.model.rowCount()))
    with qtbot.waitSignal(push.finished_all, timeout=30000):
        qtbot.mouseClick(push.push_button, Qt.MouseButton.LeftButton)
    assert not push.confirm.isVisible()  # a new tag: no question
    digest = push.results[0].digest
    assert layers_seen and push.progress.model.rowCount() >= 2
    assert all(layer.finished for layer in push.progress.model.layers())
    assert push.digest_box.isVisible() and digest in push.digest_label.text()
    push.copy_button.click()
    assert QApplication.clipboard().text() == digest
    assert _remote_digest(docker_engine, ref) == digest
    # the push is an operation of the activity centre, its progress in bytes; the guard's check is not listed
    model = window.activity.model
    qtbot.waitUntil(lambda: any(model.task_at(n).title == f"Pushing {ref}" for n in range(model.rowCount())))
    listed = [model.task_at(n) for n in range(model.rowCount())]
    pushed_task = next(t for t in listed if t.title == f"Pushing {ref}")
    assert pushed_task.state == TaskState.SUCCEEDED and pushed_task.last_progress.text.endswith(f"({digest})")
    assert not any(t.title.startswith("Checking") for t in listed)
    qtbot.keyClick(push, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not push.isVisible())

    # pull it back through Berth: the CLI sees the same digest
    docker_engine.cli("rmi", ref)
    qtbot.waitUntil(lambda: not window.workspace.images_view.select_references([ref], 0), timeout=10000)
    window.workspace.images_view.table.clearSelection()
    pull = transfer.pull()
    qtbot.waitUntil(pull.isVisible)
    pull.reference_edit.setText(ref)
    rows = []
    pull.pulled.connect(lambda _result: rows.append(pull.progress.model.layers()))
    with qtbot.waitSignal(pull.pulled, timeout=30000) as blocker:
        qtbot.mouseClick(pull.pull_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result.digest == digest and result.image_id == image_id
    assert rows and any(layer.state == "complete" for layer in rows[0])
    qtbot.waitUntil(lambda: not pull.isVisible())
    view = window.workspace.images_view
    qtbot.waitUntil(lambda: [r.reference for r in view.selected_rows()] == [ref], timeout=10000)
    inspect = json.loads(docker_engine.cli("image", "inspect", ref).stdout)[0]
    assert f"{registry.for_engine}/{unique_repo}@{digest}" in inspect["RepoDigests"]
    config = tmp_path / "cli-config"
    config.mkdir()
    out = docker_engine.cli("--config", str(config), "pull", ref).stdout
    assert digest in out


def test_a_pull_from_a_registry_whose_name_does_not_resolve(qtbot, make_window, docker_engine):
    window = _open(qtbot, make_window, docker_engine)
    pull = window.workspace.transfer_actions.pull("registry.invalid/team/app:1")
    qtbot.waitUntil(pull.isVisible)
    qtbot.mouseClick(pull.pull_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "cannot resolve registry.invalid" in pull.status.text(), timeout=5000)
    assert pull.status.styleSheet() and not pull.progress.isVisible()  # a problem, no empty table
    assert pull.pull_button.isEnabled() and pull.cancel_button.text() == "&Close"


def test_cancel_a_pull_in_the_dialog(qtbot, make_window, docker_engine, registry, made, unique_repo):
    ref = f"{registry.for_engine}/{unique_repo}:big"
    _random_image(docker_engine, made, ref, 96)
    docker_engine.cli("push", ref)
    docker_engine.cli("rmi", ref)
    made.images.clear()
    window = _open(qtbot, make_window, docker_engine)
    pull = window.workspace.transfer_actions.pull(ref)
    qtbot.waitUntil(pull.isVisible)
    qtbot.mouseClick(pull.pull_button, Qt.MouseButton.LeftButton)
    assert pull.cancel_button.text() == "Cancel pull"
    qtbot.waitUntil(lambda: any(layer.state == "downloading" and layer.current
                                for layer in pull.progress.model.layers()), timeout=20000)
    task = pull.task
    assert not window_problems(pull)
    qtbot.mouseClick(pull.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pull.status.text() == "Pull cancelled.", timeout=10000)  # told once it ended
    assert task.state == TaskState.CANCELLED and pull.isVisible()
    assert pull.pull_button.isEnabled()
    assert not docker_engine.image_exists(ref)
    qtbot.keyClick(pull, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not pull.isVisible())


def test_cancel_a_push_in_the_dialog(qtbot, make_window, docker_engine, spare_registry, made, unique_repo):
    ref = f"{spare_registry.for_engine}/{unique_repo}:big"
    _random_image(docker_engine, made, ref, 96)
    window = _open(qtbot, make_window, docker_engine)
    _select(qtbot, window, ref)
    push = window.workspace.transfer_actions.push_selected()
    qtbot.waitUntil(push.isVisible)
    qtbot.mouseClick(push.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(layer.state == "pushing" and layer.current
                                for layer in push.progress.model.layers()), timeout=20000)
    task = push.task
    assert push.cancel_button.text() == "Cancel push"
    qtbot.keyClick(push, Qt.Key.Key_Escape)  # Esc while pushing is Cancel: the dialog stays to say so
    qtbot.waitUntil(lambda: push.status.text().startswith("Push cancelled."), timeout=10000)
    assert task.state == TaskState.CANCELLED and push.isVisible()
    assert _remote_digest(docker_engine, ref) is None


def test_a_registry_that_stalls_is_stopped_by_the_watchdog_and_said(qtbot, make_window, docker_engine,
                                                                     spare_registry, made, unique_repo,
                                                                     monkeypatch):
    import signal

    monkeypatch.setattr(transfer_tasks, "stall_after", 1.5)
    ref = f"{spare_registry.for_engine}/{unique_repo}:v1"
    _random_image(docker_engine, made, ref, 96)
    window = _open(qtbot, make_window, docker_engine)
    _select(qtbot, window, ref)
    push = window.workspace.transfer_actions.push_selected()
    qtbot.waitUntil(push.isVisible)
    qtbot.mouseClick(push.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(layer.state == "pushing" and layer.current
                                for layer in push.progress.model.layers()), timeout=20000)
    os.kill(spare_registry.pid, signal.SIGSTOP)  # mid-push: the registry stops answering
    try:
        qtbot.waitUntil(lambda: "nothing moved" in push.status.text(), timeout=20000)
    finally:
        os.kill(spare_registry.pid, signal.SIGCONT)
    assert push.task.state == TaskState.FAILED
    assert "nothing moved for 1.5 s" in push.status.text() and spare_registry.for_engine in push.status.text()
    assert push.status.styleSheet()  # marked as a problem
    assert push.push_button.isEnabled() and push.progress.overall.maximum() > 0  # no busy bar left


def test_push_without_credentials_says_authentication_is_required(docker_config, qtbot, make_window, docker_engine,
                                                                  busybox_image, secure_registry, unique_repo):
    ref = f"{secure_registry.host}/{unique_repo}:v1"
    docker_engine.cli("tag", busybox_image, ref)
    try:
        window = _open(qtbot, make_window, docker_engine)
        _select(qtbot, window, ref)
        push = window.workspace.transfer_actions.push_selected()
        qtbot.waitUntil(push.isVisible)
        with qtbot.waitSignal(push.finished_all, timeout=20000):
            qtbot.mouseClick(push.push_button, Qt.MouseButton.LeftButton)
        assert "requires authentication" in push.status.text() and secure_registry.host in push.status.text()
        assert not push.results
    finally:
        docker_engine.cli("rmi", ref)


def test_the_pull_dialog_completes_the_tags_the_registry_lists(qtbot, make_window, docker_engine, busybox_image,
                                                               secure_registry, docker_config, unique_repo):
    """Through the registry client, with the CA and the account the person gave Berth and the CLI."""
    import json as _json
    import subprocess

    from desktop.engine import registry_list

    login = ["docker", "--config", str(docker_config), "-H", docker_engine.docker_host, "login", "-u",
             secure_registry.username, "--password-stdin", secure_registry.host]
    subprocess.run(login, input=secure_registry.password, text=True, check=True, capture_output=True)
    path = registry_list.registries_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_json.dumps({"registries": [{"host": secure_registry.host,
                                                 "ca_file": secure_registry.ca_file}]}))
    repo = f"{secure_registry.host}/{unique_repo}"
    for tag in ("2.0", "1.0"):
        docker_engine.cli("tag", busybox_image, f"{repo}:{tag}")
        docker_engine.cli("--config", str(docker_config), "push", f"{repo}:{tag}")
        docker_engine.cli("rmi", f"{repo}:{tag}")
    try:
        window = _open(qtbot, make_window, docker_engine)
        dialog = window.workspace.transfer_actions.pull()
        qtbot.keyClicks(dialog.reference_edit, f"{repo}:")
        # newest first, as the registry browser lists them
        qtbot.waitUntil(lambda: dialog.tag_model.stringList() == [f"{repo}:2.0", f"{repo}:1.0"], timeout=10000)
    finally:
        path.unlink()


def test_the_registry_browsers_pull_opens_the_pull_dialog_pulling(qtbot, make_window, docker_engine, registry, made,
                                                                 unique_repo):
    from desktop.ui.engine_workspace import IMAGES, REGISTRIES

    ref = f"{registry.for_engine}/{unique_repo}:v1"
    image_id = made.image(ref)
    docker_engine.cli("push", ref)
    docker_engine.cli("rmi", ref)
    window = _open(qtbot, make_window, docker_engine)
    workspace = window.workspace
    workspace.show_view(REGISTRIES)
    workspace.registry_browser.pullRequested.emit(ref)  # the browser's Pull button on that tag
    dialog = workspace.transfer_actions.dialogs[-1]
    assert dialog.reference() == ref and dialog.task is not None  # pulling at once
    with qtbot.waitSignal(workspace.transfer_actions.pulled, timeout=30000) as blocker:
        pass
    assert blocker.args[0].image_id == image_id
    assert workspace.current_view() == IMAGES
    view = workspace.images_view
    qtbot.waitUntil(lambda: [r.reference for r in view.selected_rows()] == [ref], timeout=10000)


def test_tag_for_a_registry_then_push(qtbot, make_window, docker_engine, registry, made, unique_repo):
    local = f"{unique_repo}:a"
    made.image(local)
    window = _open(qtbot, make_window, docker_engine)
    _select(qtbot, window, local)
    transfer = window.workspace.transfer_actions
    push = transfer.push_selected()
    qtbot.waitUntil(push.isVisible)
    assert push.tags.item(0).text() == f"{local}   (Docker Hub)"  # where an unqualified name would go
    qtbot.mouseClick(push.tag_button, Qt.MouseButton.LeftButton)
    tag_dialog = transfer.dialogs[-1]
    qtbot.waitUntil(tag_dialog.isVisible)
    target = f"{registry.for_engine}/{unique_repo}"
    tag_dialog.editor.repo_edit.setText(target)
    tag_dialog.editor.tags_edit.setText("v1")
    qtbot.waitUntil(tag_dialog.ok_button.isEnabled)
    qtbot.mouseClick(tag_dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: f"{target}:v1" in push.checked_tags(), timeout=10000)
    assert push.checked_tags() == [local, f"{target}:v1"]
    push.tags.item(0).setCheckState(Qt.CheckState.Unchecked)  # Docker Hub is not for this test
    with qtbot.waitSignal(push.finished_all, timeout=30000):
        qtbot.mouseClick(push.push_button, Qt.MouseButton.LeftButton)
    assert _remote_digest(docker_engine, f"{target}:v1") == push.results[0].digest
    docker_engine.cli("rmi", f"{target}:v1")
