"""Every image action in the Images toolbar, its context menu and the Images menu, enabled by
what is selected; after an untag or a removal the neighbour row is selected and the focus stays
in the table. The real window against the isolated engine; the docker CLI is the oracle."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu

from desktop.engine.images import NONE
from tests.helpers import cli_tags
from tests.window_fixture import make_window  # noqa: F401  (a fixture)

pytestmark = pytest.mark.engine

ALL_ACTIONS = ("run", "details", "copy_id", "copy_ref", "tag", "untag", "save", "remove", "build", "load",
               "prune", "refresh")


def _open(qtbot, make_window, engine):
    window, session = make_window(engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    window.activateWindow()
    return window


def _show_repo(qtbot, view, repo, count):
    view.filter_edit.setText(repo)
    view.table.sortByColumn(view.model.TAG, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: view.proxy.rowCount() == count, timeout=10000)


def _click_row(qtbot, view, row):
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.table.visualRect(view.proxy.index(row, 0)).center())


def _selected_tags(view):
    return [r.tag for r in view.selected_rows()]


def _images_menu(window) -> QMenu:
    return next(a.menu() for a in window.menuBar().actions() if a.text() == "&Images")


def test_every_action_is_in_the_toolbar_context_menu_and_images_menu(qtbot, make_window, docker_engine,
                                                                     busybox_image, unique_repo):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:a")
    window = _open(qtbot, make_window, docker_engine)
    view, actions = window.workspace.images_view, window.workspace.image_actions
    by_name = {name: view.findChild(type(actions.run_action), f"images_{name}") for name in ALL_ACTIONS}
    assert all(by_name.values()), [n for n, a in by_name.items() if a is None]

    # the toolbar: the most used ones, as buttons with their text (as the Containers toolbar)
    window.resize(1340, 700)  # the first size on a 1366x768 screen (the offscreen one is smaller)
    toolbar = view.toolbar
    assert toolbar.isVisible() and toolbar.objectName() == "imagesToolbar"
    for name in ("run", "tag", "untag", "remove", "build", "load", "save", "prune", "refresh"):
        button = toolbar.widgetForAction(by_name[name])
        assert button is not None and button.isVisible(), name
        assert button.text() == by_name[name].iconText(), name
        assert button.text().replace("…", "") in by_name[name].text().replace("&", ""), name
    # every action is in the Images menu and in the context menu, with its shortcut working in the view
    menu_actions = set(_images_menu(window).actions())
    context = actions.context_menu()
    assert set(by_name.values()) <= menu_actions
    assert set(by_name.values()) <= set(context.actions())
    context.deleteLater()
    assert by_name["untag"].shortcut().toString() == "Ctrl+U"

    # enabled by what applies to the selection
    selection_bound = ("run", "details", "copy_id", "copy_ref", "tag", "untag", "save", "remove")
    assert not any(by_name[n].isEnabled() for n in selection_bound)
    assert all(by_name[n].isEnabled() for n in ("build", "load", "prune", "refresh"))
    _show_repo(qtbot, view, unique_repo, 1)
    _click_row(qtbot, view, 0)
    assert all(by_name[n].isEnabled() for n in selection_bound)

    # a right-click acts on the row under the pointer: it is selected and the menu pops up there
    view.table.clearSelection()
    pos = view.table.visualRect(view.proxy.index(0, 0)).center()
    view.table.customContextMenuRequested.emit(pos)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=5000)
    popup = QApplication.activePopupWidget()
    assert popup.objectName() == "imagesMenu"
    assert _selected_tags(view) == ["a"] and by_name["untag"].isEnabled()
    popup.close()

    # another feature's action (Push, Pull) joins the toolbar before Prune, and the menus
    push = QAction("&Push…", view)
    actions.add_action(push, needs="tagged")
    buttons = [a for a in toolbar.actions() if not a.isSeparator() and toolbar.widgetForAction(a) is not None]
    assert buttons.index(push) == buttons.index(by_name["prune"]) - 1 and push in actions.menu_actions()
    assert push.isEnabled()
    view.table.clearSelection()
    assert not push.isEnabled()

    # an untagged row has nothing to untag; several rows have no single one to run or tag
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:b")
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2, timeout=10000)
    view.table.selectAll()
    assert by_name["remove"].isEnabled() and by_name["save"].isEnabled()
    assert not by_name["run"].isEnabled() and not by_name["tag"].isEnabled() and not by_name["untag"].isEnabled()


def test_untag_and_remove_keep_a_neighbour_selected_and_the_focus_in_the_table(
        qtbot, make_window, docker_engine, busybox_image, unique_repo):
    for tag in ("a", "b", "c", "d"):
        docker_engine.cli("tag", busybox_image, f"{unique_repo}:{tag}")
    window = _open(qtbot, make_window, docker_engine)
    view, actions = window.workspace.images_view, window.workspace.image_actions
    _show_repo(qtbot, view, unique_repo, 4)

    # Ctrl+U in the table: the tag goes (the image keeps others), the next row is selected
    _click_row(qtbot, view, 1)
    assert _selected_tags(view) == ["b"]
    qtbot.keyClick(view.table, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _selected_tags(view) == ["c"], timeout=15000)
    assert set(cli_tags(docker_engine, unique_repo)) == {"a", "c", "d"}
    assert view.table.hasFocus()
    assert view.table.currentIndex().row() == 1  # the keyboard goes on from the neighbour

    # the last row, untagged from the Images menu: the previous row is selected
    _click_row(qtbot, view, 2)
    assert _selected_tags(view) == ["d"]
    untag = next(a for a in _images_menu(window).actions() if a.objectName() == "images_untag")
    untag.trigger()
    qtbot.waitUntil(lambda: _selected_tags(view) == ["c"], timeout=15000)
    assert set(cli_tags(docker_engine, unique_repo)) == {"a", "c"}
    assert view.table.hasFocus()

    # Delete: the confirmation, then the removed row's neighbour is selected
    _click_row(qtbot, view, 0)
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    dialog = actions.dialogs[-1]
    qtbot.waitUntil(lambda: dialog.remove_button.isEnabled(), timeout=15000)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _selected_tags(view) == ["c"], timeout=15000)
    assert set(cli_tags(docker_engine, unique_repo)) == {"c"}
    assert window.focusWidget() is view.table  # where the focus goes back when the dialog closes
    dialog.close()
    window.activateWindow()  # offscreen, closing a dialog activates nothing by itself
    qtbot.waitUntil(view.table.hasFocus, timeout=5000)


def test_untag_that_changes_nothing_keeps_the_selection(qtbot, make_window, docker_engine, busybox_image,
                                                       unique_repo):
    # the only tag of an image a container uses: the untag explains and changes nothing
    image = docker_engine.build_busybox_image(f"{unique_repo}:used", [f"LABEL berth.test={unique_repo}"])
    name = unique_repo.replace("/", "-") + "-c"
    docker_engine.cli("create", "--name", name, f"{unique_repo}:used", "true")
    try:
        window = _open(qtbot, make_window, docker_engine)
        view, actions = window.workspace.images_view, window.workspace.image_actions
        _show_repo(qtbot, view, unique_repo, 1)
        _click_row(qtbot, view, 0)
        flow = actions.untag_selected()
        qtbot.waitUntil(lambda: flow.message_box is not None, timeout=15000)
        assert name in flow.message
        flow.message_box.close()
        assert _selected_tags(view) == ["used"]
        assert cli_tags(docker_engine, unique_repo) == {"used": image}
        assert view.selected_rows()[0].repository != NONE
    finally:
        docker_engine.cli("rm", "-f", name, check=False)
        docker_engine.cli("rmi", "-f", image, check=False)
