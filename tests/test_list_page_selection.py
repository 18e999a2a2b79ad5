"""Rows an action produced are selected once a listing brings them -- one helper,
``ListPage.select_when_listed``, for the Images view (loads, builds, tags) and the Containers view
(runs) -- and the wait ends: when every row is selected, after its expiry, or when the user selects
something else. Also: an untag through the Images view is listed in the activity centre with what
it did. The real window against the isolated engine; the docker CLI makes rows appear and is the
oracle."""

import pytest
from PySide6.QtCore import Qt

from desktop.models.activity_model import DETAIL_ROLE
from desktop.tasks.task import TaskState
from desktop.ui import tag_actions
from tests.helpers import cli_tags
from tests.window_fixture import make_window  # noqa: F401  (a fixture)

pytestmark = pytest.mark.engine


def _open(qtbot, make_window, engine, repo, count):
    window, session = make_window(engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    window.activateWindow()
    view = window.workspace.images_view
    view.filter_edit.setText(repo)
    view.table.sortByColumn(view.model.TAG, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: view.proxy.rowCount() == count, timeout=10000)
    return window, view


def _selected(view):
    return [r.reference for r in view.selected_rows()]


def _listed(view, reference):
    return any(r.reference == reference for r in view.model.rows())


def _list_again(qtbot, view):
    """One more listing after the one that brought the row: a waiting selection had its chance."""
    with qtbot.waitSignal(view.feed.loaded, timeout=10000):
        view.feed.refresh()


def test_a_row_not_listed_yet_is_selected_once_the_listing_brings_it(qtbot, make_window, docker_engine,
                                                                     busybox_image, unique_repo):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:here")
    window, view = _open(qtbot, make_window, docker_engine, unique_repo, 1)
    assert not view.select_references([f"{unique_repo}:later"])  # not listed yet: it waits
    assert view.selection_pending and _selected(view) == []
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:later")
    qtbot.waitUntil(lambda: _selected(view) == [f"{unique_repo}:later"], timeout=10000)
    assert not view.selection_pending  # all found: the wait is over


def test_the_wait_expires_and_a_later_listing_selects_nothing(qtbot, make_window, docker_engine, busybox_image,
                                                             unique_repo):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:here")
    window, view = _open(qtbot, make_window, docker_engine, unique_repo, 1)
    assert not view.select_references([f"{unique_repo}:late"], timeout_ms=200)
    qtbot.waitUntil(lambda: not view.selection_pending, timeout=5000)
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:late")
    qtbot.waitUntil(lambda: _listed(view, f"{unique_repo}:late"), timeout=10000)
    _list_again(qtbot, view)
    assert _selected(view) == []


def test_the_wait_ends_when_the_user_selects_another_row(qtbot, make_window, docker_engine, busybox_image,
                                                        unique_repo):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:here")
    window, view = _open(qtbot, make_window, docker_engine, unique_repo, 1)
    assert not view.select_references([f"{unique_repo}:soon"])
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.table.visualRect(view.proxy.index(0, 0)).center())
    assert _selected(view) == [f"{unique_repo}:here"] and not view.selection_pending
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:soon")
    qtbot.waitUntil(lambda: _listed(view, f"{unique_repo}:soon"), timeout=10000)
    _list_again(qtbot, view)
    assert _selected(view) == [f"{unique_repo}:here"]  # the person's choice stays


def test_a_name_that_never_shows_falls_back_to_its_image(qtbot, make_window, docker_engine, busybox_image,
                                                        unique_repo):
    image = docker_engine.build_busybox_image(f"{unique_repo}:one", [f"LABEL berth.test={unique_repo}"])
    try:
        window, view = _open(qtbot, make_window, docker_engine, unique_repo, 1)
        assert not tag_actions.select_when_listed(view, image, f"{unique_repo}:moved-on", timeout_ms=200)
        qtbot.waitUntil(lambda: _selected(view) == [f"{unique_repo}:one"], timeout=5000)
        assert not view.selection_pending
    finally:
        docker_engine.cli("rmi", "-f", image, check=False)


def test_an_untag_in_the_images_view_is_listed_in_the_activity_centre_with_what_it_did(
        qtbot, make_window, docker_engine, unique_repo):
    image = docker_engine.build_busybox_image(f"{unique_repo}:keep", [f"LABEL berth.test={unique_repo}"])
    docker_engine.cli("tag", image, f"{unique_repo}:drop")
    short = image.removeprefix("sha256:")[:12]
    try:
        window, view = _open(qtbot, make_window, docker_engine, unique_repo, 2)
        centre = window.activity.model

        def listed(title):
            return next((t for t in centre.tasks() if t.title == title), None)

        def ended(title):
            task = listed(title)
            return task is not None and task.state.done and not centre.is_running(task)

        # Ctrl+U on one of two tags: the tag goes, the image stays
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.table.visualRect(view.proxy.index(0, 0)).center())
        assert _selected(view) == [f"{unique_repo}:drop"]
        qtbot.keyClick(view.table, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
        title = f"Removing the tag {unique_repo}:drop"
        qtbot.waitUntil(lambda: ended(title), timeout=15000)
        task = listed(title)
        assert task.state == TaskState.SUCCEEDED, task.error
        assert centre.index(centre.row_of(task)).data(DETAIL_ROLE) == \
            f"Removed the tag {unique_repo}:drop; image {short} keeps {unique_repo}:keep."
        assert cli_tags(docker_engine, unique_repo) == {"keep": image}
        assert not any(t.title == "Checking the tag" for t in centre.tasks())  # the check is housekeeping

        # the last tag: Berth asks, and removing the image is listed too
        qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=10000)
        flow = window.workspace.image_actions.untag(f"{unique_repo}:keep", image)
        qtbot.waitUntil(lambda: flow.message_box is not None and flow.message_box.isVisible(), timeout=15000)
        yes = next(b for b in flow.message_box.buttons() if b.objectName() == "untagRemoveImageYes")
        with qtbot.waitSignal(flow.finished, timeout=15000):
            qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
        title = f"Removing {unique_repo}:keep and image {short}"
        qtbot.waitUntil(lambda: ended(title), timeout=15000)
        task = listed(title)
        assert task.state == TaskState.SUCCEEDED, task.error
        assert centre.index(centre.row_of(task)).data(DETAIL_ROLE) == \
            f"Removed image {short} with its last tag {unique_repo}:keep."
        assert cli_tags(docker_engine, unique_repo) == {}
        assert docker_engine.cli("image", "inspect", image, check=False).returncode != 0
    finally:
        docker_engine.cli("rmi", "-f", image, check=False)
