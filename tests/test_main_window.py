"""The real main window against the isolated engine, and against no engine at all."""

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from tests.helpers import Made
from tests.window_fixture import make_window  # noqa: F401  (a fixture)

pytestmark = pytest.mark.engine


def cli_image_rows(engine):
    out = engine.cli("images", "--no-trunc", "--format", "{{json .}}").stdout
    rows = set()
    for line in out.splitlines():
        item = json.loads(line)
        rows.add((item["Repository"], item["Tag"], item["ID"]))
    return rows


def test_window_lists_what_the_cli_lists(qtbot, make_window, docker_engine, busybox_image, unique_repo):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:one")
    window, session = make_window(docker_engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    assert window.workspace.showing_engine()
    assert "Docker" in window.indicator.text() and session.info.version in window.indicator.text()
    model_rows = {(r.repository, r.tag, r.id) for r in window.workspace.images_model.rows()}
    assert model_rows == cli_image_rows(docker_engine)
    assert (unique_repo, "one", docker_engine.cli("inspect", "-f", "{{.Id}}", busybox_image).stdout.strip()) in model_rows


def test_cli_changes_show_up_without_touching_the_app(qtbot, make_window, docker_engine, busybox_image, unique_repo):
    window, session = make_window(docker_engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    view = window.workspace.images_view
    # select a row and remember it: selection must survive the refreshes below
    view.filter_edit.setText(busybox_image.split(":")[0])
    qtbot.waitUntil(lambda: view.proxy.rowCount() > 0, timeout=5000)
    view.filter_edit.clear()
    first = view.proxy.index(0, 0)
    view.table.selectionModel().select(first, view.table.selectionModel().SelectionFlag.ClearAndSelect
                                       | view.table.selectionModel().SelectionFlag.Rows)
    selected_before = [r.key for r in view.selected_rows()]

    docker_engine.cli("tag", busybox_image, f"{unique_repo}:live")
    qtbot.waitUntil(lambda: any(r.repository == unique_repo and r.tag == "live" for r in window.workspace.images_model.rows()),
                    timeout=10000)
    docker_engine.cli("rmi", f"{unique_repo}:live")
    qtbot.waitUntil(lambda: not any(r.repository == unique_repo for r in window.workspace.images_model.rows()), timeout=10000)
    assert [r.key for r in view.selected_rows()] == selected_before
    assert {(r.repository, r.tag, r.id) for r in window.workspace.images_model.rows()} == cli_image_rows(docker_engine)


def test_filter_and_sort_through_the_keyboard(qtbot, make_window, docker_engine, busybox_image, unique_repo):
    for tag in ("b", "a", "c"):
        docker_engine.cli("tag", busybox_image, f"{unique_repo}:{tag}")
    window, session = make_window(docker_engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    view = window.workspace.images_view
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.filter_edit.hasFocus()
    qtbot.keyClicks(view.filter_edit, unique_repo)
    assert view.proxy.rowCount() == 3
    view.table.sortByColumn(view.model.TAG, Qt.SortOrder.AscendingOrder)
    assert [view.proxy.index(i, view.model.TAG).data() for i in range(3)] == ["a", "b", "c"]
    qtbot.keyClicks(view.filter_edit, "-nothing-matches")
    assert view.proxy.rowCount() == 0
    assert view.empty.isVisible() and "No images match" in view.empty.text()


def test_no_engine_shows_what_was_tried_and_another_host_works(qtbot, make_window, docker_engine, tmp_path):
    window, session = make_window(f"unix://{tmp_path}/missing.sock")
    session.start()
    page = window.workspace.connection_page
    qtbot.waitUntil(lambda: "missing.sock" in page.tried.text(), timeout=15000)
    assert window.workspace.currentWidget() is page
    assert page.title.text() == "No Docker engine"
    assert "socket does not exist" in page.tried.text()
    assert "Not connected" in window.indicator.text()
    qtbot.mouseClick(page.host_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(page.host_edit, "ftp://nope")
    qtbot.keyClick(page.host_edit, Qt.Key.Key_Return)
    assert "must start with unix://" in page.host_error.text()
    page.host_edit.clear()
    qtbot.keyClicks(page.host_edit, docker_engine.docker_host)
    qtbot.keyClick(page.host_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.workspace.showing_engine(), timeout=15000)
    qtbot.waitUntil(lambda: window.workspace.images_model.rowCount() > 0, timeout=15000)


def test_clicking_an_image_shows_its_details_and_used_by_leads_to_the_container(
        qtbot, make_window, docker_engine, busybox_image, unique_repo):
    image_id = docker_engine.cli("inspect", "-f", "{{.Id}}", busybox_image).stdout.strip()
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:details")
    name = unique_repo.replace("/", "-") + "-c"
    container_id = docker_engine.cli("create", "--name", name, busybox_image, "true").stdout.strip()
    try:
        window, session = make_window(docker_engine.docker_host)
        session.start()
        qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once and window.workspace.containers_feed.loaded_once, timeout=20000)
        view = window.workspace.images_view
        qtbot.keyClicks(view.filter_edit, f"{unique_repo}")
        qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=5000)
        rect = view.table.visualRect(view.proxy.index(0, 0))
        with qtbot.waitSignal(window.workspace.image_details.loaded, timeout=15000) as blocker:
            qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert blocker.args[0] == image_id
        assert window.workspace.image_details.field_text("ID") == image_id
        details = window.workspace.image_details
        details.tabs.setCurrentIndex(2)  # Used by
        qtbot.waitUntil(lambda: details.used_by_model.rowCount() >= 1, timeout=10000)
        row = next(i for i in range(details.used_by_model.rowCount())
                   if details.used_by_model.row_at(i).id == container_id)
        table = details.used_by_table
        table.setCurrentIndex(table.model().index(row, 0) if table.model() is details.used_by_model
                              else table.model().mapFromSource(details.used_by_model.index(row, 0)))
        table.setFocus()
        qtbot.keyClick(table, Qt.Key.Key_Return)
        assert window.workspace.views.currentWidget() is window.workspace.containers_page
        assert [r.id for r in window.workspace.containers_view.selected_rows()] == [container_id]
    finally:
        docker_engine.cli("rm", "-f", name)


def test_image_details_reload_for_their_own_containers_only(qtbot, make_window, docker_engine, busybox_image,
                                                           unique_repo):
    made = Made(docker_engine)
    image_id = made.image(f"{unique_repo}:mine")
    name = unique_repo.replace("/", "-")
    for suffix, image in (("mine", image_id), ("other", busybox_image)):
        made.containers.append(f"{name}-{suffix}")
        docker_engine.cli("create", "--name", f"{name}-{suffix}", image, "sleep", "1000")
    try:
        window, session = make_window(docker_engine.docker_host)
        session.start()
        qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
        view, details = window.workspace.images_view, window.workspace.image_details
        qtbot.keyClicks(view.filter_edit, unique_repo)
        qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=5000)
        with qtbot.waitSignal(details.loaded, timeout=15000):
            view.table.selectRow(0)
        qtbot.waitUntil(lambda: [r.name for r in details.used_by_model.rows()] == [f"{name}-mine"], timeout=10000)
        loads = []
        details.loaded.connect(loads.append)
        docker_engine.cli("start", f"{name}-other")  # another image's container: nothing to reload
        containers = window.workspace.containers_model  # fed by the same event, in the same dispatch
        qtbot.waitUntil(lambda: any(r.name == f"{name}-other" and r.state == "running" for r in containers.rows()),
                        timeout=10000)
        assert loads == [] and not details.busy
        docker_engine.cli("start", f"{name}-mine")
        qtbot.waitUntil(lambda: details.used_by_model.rows()[0].state == "running", timeout=10000)
        assert loads == [image_id]
    finally:
        made.remove()


def test_delete_key_and_context_menu_remove_the_selected_image(qtbot, make_window, docker_engine, busybox_image,
                                                                unique_repo):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:gone")
    window, session = make_window(docker_engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    view = window.workspace.images_view
    qtbot.keyClicks(view.filter_edit, unique_repo)
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=5000)
    actions = window.workspace.image_actions
    assert not actions.remove_action.isEnabled()  # nothing selected yet
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.table.visualRect(view.proxy.index(0, 0)).center())
    assert actions.remove_action.isEnabled()
    titles = [a.text() for a in actions.menu_actions() if a is not None]
    assert {"Show &details", "&Remove…", "&Prune dangling images…"} <= set(titles)
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    dialog = actions.dialogs[-1]
    qtbot.waitUntil(lambda: dialog.remove_button.isEnabled(), timeout=15000)
    assert f"{unique_repo}:gone" in dialog.items.topLevelItem(0).text(0)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 0, timeout=15000)
    assert docker_engine.cli("images", "-q", f"{unique_repo}:gone").stdout.strip() == ""
    dialog.close()


def test_models_pass_the_model_tester_with_real_data(qtbot, qtmodeltester, make_window, docker_engine, busybox_image):
    name = "berth-modeltest-c"
    docker_engine.cli("create", "--name", name, busybox_image, "true")
    try:
        window, session = make_window(docker_engine.docker_host)
        session.start()
        qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once and window.workspace.containers_feed.loaded_once, timeout=20000)
        assert window.workspace.containers_model.rowCount() >= 1
        qtmodeltester.check(window.workspace.images_model)
        qtmodeltester.check(window.workspace.containers_model)
        qtmodeltester.check(window.workspace.images_view.proxy)
    finally:
        docker_engine.cli("rm", "-f", name)


def test_show_intermediate_toggle_matches_docker_images_a(qtbot, make_window, docker_engine, unique_repo):
    # the legacy builder keeps one intermediate image per step: `docker images -a` lists them
    docker_engine.build_busybox_image(f"{unique_repo}:layered", ["RUN echo one > /one", "RUN echo two > /two"])
    window, session = make_window(docker_engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    view = window.workspace.images_view

    def cli_rows(*flags):
        out = docker_engine.cli("images", *flags, "--no-trunc", "--format", "{{.Repository}} {{.Tag}} {{.ID}}").stdout
        return sorted(tuple(line.split()) for line in out.splitlines())

    def model_rows():
        return sorted((r.repository, r.tag, r.id) for r in window.workspace.images_model.rows())

    assert model_rows() == cli_rows()
    with qtbot.waitSignal(window.workspace.images_feed.loaded, timeout=15000):
        qtbot.mouseClick(view.toggle, Qt.MouseButton.LeftButton)
    assert view.toggle.isChecked()
    assert model_rows() == cli_rows("-a")
    assert len(cli_rows("-a")) > len(cli_rows())
    with qtbot.waitSignal(window.workspace.images_feed.loaded, timeout=15000):
        qtbot.keyClick(view.toggle, Qt.Key.Key_Space)
    assert model_rows() == cli_rows()


def test_f5_refreshes(qtbot, make_window, docker_engine, busybox_image):
    window, session = make_window(docker_engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    window.activateWindow()
    window.workspace.images_view.table.setFocus()
    with qtbot.waitSignal(window.workspace.images_feed.loaded, timeout=15000):
        qtbot.keyClick(window.workspace.images_view.table, Qt.Key.Key_F5)


def test_ctrl_t_tags_the_selected_image_and_selects_the_new_tag(qtbot, make_window, docker_engine, busybox_image,
                                                                 unique_repo):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:v2.3.4")
    window, session = make_window(docker_engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    view = window.workspace.images_view
    assert view.select_keys([r.key for r in window.workspace.images_model.rows() if r.repository == unique_repo]) == 1
    qtbot.keyClick(view.table, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    dialog = window.workspace.image_actions.dialogs[-1]
    assert dialog.isVisible() and dialog.editor.repo_edit.text() == unique_repo
    qtbot.waitUntil(lambda: dialog.editor.minor_button.isEnabled(), timeout=10000)
    qtbot.mouseClick(dialog.editor.minor_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dialog.tagged, timeout=10000):
        qtbot.keyClick(dialog.editor.tags_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: [r.reference for r in view.selected_rows()] == [f"{unique_repo}:v2.4.0"], timeout=10000)
    out = docker_engine.cli("images", unique_repo, "--format", "{{.Tag}}").stdout.split()
    assert sorted(out) == ["v2.3.4", "v2.4.0"]
    # Ctrl+B opens the build dialog from anywhere in the window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(view.table, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    build = window.workspace.image_actions.dialogs[-1]
    assert type(build).__name__ == "BuildDialog" and build.isVisible()
    build.close()


def _drop_on(widget, paths):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    center = QPointF(widget.rect().center())
    events = [QDragEnterEvent(center.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                              Qt.KeyboardModifier.NoModifier),
              QDropEvent(center, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier)]
    for event in events:
        QApplication.sendEvent(widget, event)
    return events


def test_dropped_archive_loads_and_its_tags_are_selected(qtbot, make_window, docker_engine, busybox_image,
                                                         unique_repo, tmp_path):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:a")
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:b")
    archive = tmp_path / "two.tar"
    docker_engine.cli("save", "-o", str(archive), f"{unique_repo}:a", f"{unique_repo}:b")
    docker_engine.cli("rmi", f"{unique_repo}:a", f"{unique_repo}:b")
    window, session = make_window(docker_engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    window.sidebar.setCurrentRow(1)  # the drop works from any view, and brings the Images view back
    events = _drop_on(window.workspace.containers_view.table.viewport(), [archive])
    assert all(e.isAccepted() for e in events)
    qtbot.waitUntil(lambda: any(getattr(d, "preview_dialog", None) is not None and d.preview_dialog.isVisible()
                                for d in window.workspace.image_actions.dialogs), timeout=20000)
    flow = next(d for d in window.workspace.image_actions.dialogs if getattr(d, "preview_dialog", None) is not None)
    qtbot.mouseClick(flow.preview_dialog.load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sorted(r.reference for r in window.workspace.images_view.selected_rows())
                    == [f"{unique_repo}:a", f"{unique_repo}:b"], timeout=30000)
    assert window.workspace.views.currentWidget() is window.workspace.images_page
    out = docker_engine.cli("images", unique_repo, "--format", "{{.Tag}}").stdout.split()
    assert sorted(out) == ["a", "b"]


def test_dropped_folder_opens_the_build_dialog(qtbot, make_window, docker_engine, tmp_path):
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "Dockerfile").write_text("FROM scratch\n")
    window, session = make_window(docker_engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    events = _drop_on(window.workspace.images_view.table.viewport(), [tmp_path / "ctx"])
    assert all(e.isAccepted() for e in events)
    qtbot.waitUntil(lambda: bool(window.workspace.image_actions.dialogs)
                    and type(window.workspace.image_actions.dialogs[-1]).__name__ == "BuildDialog", timeout=10000)
    build = window.workspace.image_actions.dialogs[-1]
    assert build.context_edit.text() == str(tmp_path / "ctx")
    build.close()


def test_run_from_the_images_view_starts_a_container_shown_in_the_containers_view(
        qtbot, make_window, docker_engine, busybox_image, unique_repo):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:run")
    window, session = make_window(docker_engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    assert window.workspace.images_view.select_keys([r.key for r in window.workspace.images_model.rows()
                                           if r.repository == unique_repo]) == 1
    assert window.workspace.run_action() in window.workspace.image_actions.menu_actions() and window.workspace.run_action().isEnabled()
    window.workspace.run_action().trigger()
    dialog = next(w for w in window.findChildren(QDialog) if w.objectName() == "runDialog" and w.isVisible())
    name = unique_repo.replace("/", "-") + "-run"
    dialog.name_edit.setText(name)
    dialog.command_edit.setText("sleep 300")
    try:
        with qtbot.waitSignal(window.workspace.containers_view.actions_.runStarted, timeout=20000):
            qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        assert window.workspace.views.currentWidget() is window.workspace.containers_page
        qtbot.waitUntil(lambda: [r.name for r in window.workspace.containers_view.selected_rows()] == [name], timeout=15000)
        state = docker_engine.cli("inspect", "-f", "{{.State.Status}} {{.Config.Image}}", name).stdout.split()
        assert state == ["running", f"{unique_repo}:run"]
    finally:
        docker_engine.cli("rm", "-f", name, check=False)


def test_the_connection_page_says_when_it_tries_again(qtbot, make_window, tmp_path):
    window, session = make_window(f"unix://{tmp_path}/missing.sock")
    page = window.workspace.connection_page
    with qtbot.waitSignal(session.disconnected, timeout=15000):
        session.start()
    assert page.countdown.text().startswith("Berth will try again by itself in ")
    assert page.retry_button.isEnabled()


def test_no_window_wide_shortcut_is_also_taken_by_a_view(qtbot, make_window, docker_engine):
    """A window-wide shortcut that a view's action also has is ambiguous where that view has the
    focus: Qt then runs neither (Sign out once shared Ctrl+Shift+L with Pull)."""
    from PySide6.QtGui import QAction

    window, session = make_window(docker_engine.docker_host)
    by_key: dict[str, list[QAction]] = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            by_key.setdefault(key.toString(), []).append(action)
    clashes = {key: [a.text() for a in actions] for key, actions in by_key.items() if len(actions) > 1 and any(
        a.shortcutContext() in (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)
        for a in actions)}
    assert by_key, "the window has shortcuts"
    assert clashes == {}
