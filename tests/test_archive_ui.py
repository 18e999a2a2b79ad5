"""Drops on the real main window, the preview dialog driven by clicks, the import of a plain file
system and the save flow, against the isolated engine (the CLI checks what really happened)."""

from __future__ import annotations

import gzip
import os

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desktop.engine.connection import Endpoint
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.models.activity_model import DETAIL_ROLE, ERROR_ROLE
from desktop.tasks.task import TaskState
from desktop.ui.archive_actions import choose_and_load, load_archives, save_images
from desktop.ui.main_window import MainWindow
from desktop.engine.archive import inspect_archive
from tests.test_archive_inspect import SyntheticImage, docker_archive, tar_bytes
from tests.test_image_archive import cli_tags, image_id

pytestmark = pytest.mark.engine


class Harness:
    """A connected main window; its drop handler's callback is recorded so tests see the flows."""

    def __init__(self, qtbot, host: str, connect: bool = True):
        self.qtbot = qtbot
        self.tasks = TaskManager()
        self.session = EngineSession(self.tasks, [Endpoint(host, "user")])
        self.window = MainWindow(self.tasks, self.session)
        qtbot.addWidget(self.window)
        self.window.show()
        self.flows = []
        self.loaded: list[list[str]] = []
        self.dropped: list[tuple[list, list]] = []
        self.handler = self.window.archive_drop  # the window's own handler, its callback recorded here
        self.handler.on_files = self.on_files
        self.handler.filesDropped.connect(lambda a, r: self.dropped.append((a, r)))
        if connect:
            self.session.start()
            qtbot.waitUntil(lambda: self.window.workspace.images_feed.loaded_once, timeout=20000)

    def on_files(self, paths):
        self.flows.append(load_archives(self.window, self.session, paths, on_loaded=self.loaded.append))

    def close(self):
        self.window.close()
        assert self.tasks.shutdown(10000)

    # --- a drag as the platform would deliver it, onto the images table ---------------------
    def target(self):
        return self.window.workspace.images_view.table.viewport()

    def _mime(self, paths):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        return mime

    def drag(self, paths) -> QDragMoveEvent:
        self._mime_data = self._mime(paths)
        pos = QPointF(self.target().rect().center())
        enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, self._mime_data, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(self.target(), enter)
        assert enter.isAccepted()
        move = QDragMoveEvent((pos + QPointF(3, 3)).toPoint(), Qt.DropAction.CopyAction, self._mime_data,
                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(self.target(), move)
        return move

    def drop(self) -> QDropEvent:
        pos = QPointF(self.target().rect().center())
        event = QDropEvent(pos, Qt.DropAction.CopyAction, self._mime_data, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(self.target(), event)
        return event

    def leave(self) -> None:
        QApplication.sendEvent(self.target(), QDragLeaveEvent())

    def wait_flow(self, count=1, timeout=20000):
        self.qtbot.waitUntil(lambda: len(self.flows) >= count, timeout=timeout)
        return self.flows[count - 1]

    def wait_preview(self, flow):
        self.qtbot.waitUntil(lambda: flow.preview_dialog is not None and flow.preview_dialog.isVisible(), timeout=20000)
        return flow.preview_dialog

    def wait_done(self, flow, timeout=60000):
        self.qtbot.waitUntil(lambda: flow.over, timeout=timeout)


@pytest.fixture
def harness(qtbot, docker_engine):
    made = []

    def make(connect=True, host=None):
        h = Harness(qtbot, host or docker_engine.docker_host, connect)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()


def save_cli(engine, path, *refs, compress=False):
    engine.cli("save", "-o", str(path), *refs)
    if compress:
        data = path.read_bytes()
        path.unlink()
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data, compresslevel=1))
    return path


# --- drops ---------------------------------------------------------------------------------------------


def test_dropping_an_archive_shows_a_preview_and_loads_it(harness, docker_engine, busybox_image, unique_repo,
                                                          tmp_path):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:1")
    path = save_cli(docker_engine, tmp_path / "one.tar", f"{unique_repo}:1")
    docker_engine.cli("rmi", f"{unique_repo}:1")
    h = harness()
    move = h.drag([path])
    overlay = h.handler.overlay
    assert move.isAccepted() and move.dropAction() == Qt.DropAction.CopyAction
    assert overlay.isVisible() and overlay.geometry() == h.window.rect()
    assert overlay.title.text() == "Drop image archives to load" and overlay.detail.text() == "one.tar"
    drop = h.drop()
    assert drop.isAccepted() and not overlay.isVisible()
    flow = h.wait_flow()
    dialog = h.wait_preview(flow)
    assert dialog.heading.text() == "Load 1 image?"
    top = dialog.items.topLevelItem(0)
    assert top.text(0) == "one.tar" and top.checkState(0) == Qt.CheckState.Checked
    assert top.child(0).text(0) == f"{unique_repo}:1"
    assert top.child(0).text(3) == "Image already on the engine; only tags change"
    assert not dialog.warnings.isVisible()
    h.qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    assert flow.load_task.state == TaskState.SUCCEEDED
    assert h.loaded == [[f"{unique_repo}:1"]]
    assert cli_tags(docker_engine)[f"{unique_repo}:1"] == image_id(docker_engine, busybox_image)
    assert f"Loaded {unique_repo}:1" in h.window.statusBar().currentMessage()
    h.qtbot.waitUntil(lambda: any(r.repository == unique_repo for r in h.window.workspace.images_model.rows()), timeout=10000)
    docker_engine.cli("rmi", f"{unique_repo}:1")


def test_dropping_several_files_loads_the_archives_and_skips_the_rest(harness, docker_engine, busybox_image,
                                                                      unique_repo, tmp_path):
    for tag in ("a", "b"):
        docker_engine.cli("tag", busybox_image, f"{unique_repo}:{tag}")
    first = save_cli(docker_engine, tmp_path / "a.tar", f"{unique_repo}:a")
    second = save_cli(docker_engine, tmp_path / "b.tar", f"{unique_repo}:b", compress=True)
    notes = tmp_path / "notes.txt"
    notes.write_text("not an archive")
    docker_engine.cli("rmi", f"{unique_repo}:a", f"{unique_repo}:b")
    h = harness()
    move = h.drag([first, second, notes])
    assert move.isAccepted()
    assert h.handler.overlay.detail.text() == "a.tar, b.tar.gz\nNot an image archive (skipped): notes.txt"
    h.drop()
    flow = h.wait_flow()
    assert h.dropped == [([str(first), str(second)], ["notes.txt"])]
    assert "Skipped notes.txt: not an image archive." == h.window.statusBar().currentMessage()
    dialog = h.wait_preview(flow)
    assert [dialog.items.topLevelItem(i).text(0) for i in range(dialog.items.topLevelItemCount())] == \
        ["a.tar", "b.tar.gz"]
    assert "gzip-compressed" in dialog.items.topLevelItem(1).text(3)
    assert dialog.heading.text() == "Load 2 images?"
    h.qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    assert sorted(h.loaded[0]) == [f"{unique_repo}:a", f"{unique_repo}:b"]
    tags = cli_tags(docker_engine)
    assert f"{unique_repo}:a" in tags and f"{unique_repo}:b" in tags
    docker_engine.cli("rmi", f"{unique_repo}:a", f"{unique_repo}:b")


@pytest.mark.parametrize("names, title", [
    (["notes.txt"], "Not an image archive: notes.txt"),
    (["notes.txt", "picture.png"], "Not image archives: notes.txt, picture.png"),
])
def test_files_that_are_not_archives_are_refused_while_dragging(harness, tmp_path, names, title):
    h = harness()
    paths = []
    for name in names:
        (tmp_path / name).write_text("x")
        paths.append(tmp_path / name)
    move = h.drag(paths)
    assert not move.isAccepted()
    overlay = h.handler.overlay
    assert overlay.isVisible() and not overlay.accepting
    assert overlay.title.text() == title
    assert ".tar.zst" in overlay.detail.text()
    drop = h.drop()
    assert not drop.isAccepted() and not overlay.isVisible()
    h.qtbot.wait(50)
    assert h.flows == [] and h.dropped == []
    h.drag(paths)
    h.leave()
    assert not overlay.isVisible()


def test_a_drag_of_text_is_left_to_the_widgets(harness):
    h = harness()
    mime = QMimeData()
    mime.setText("berth-test")
    edit = h.window.workspace.images_view.filter_edit
    enter = QDragEnterEvent(edit.rect().center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(edit, enter)
    assert enter.isAccepted()  # the line edit takes text as it always did
    assert not h.handler.overlay.isVisible()


def test_an_archive_dragged_onto_the_filter_box_is_still_loaded(harness, docker_engine, busybox_image, unique_repo,
                                                                tmp_path):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:f")
    path = save_cli(docker_engine, tmp_path / "f.tar", f"{unique_repo}:f")
    h = harness()
    edit = h.window.workspace.images_view.filter_edit
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    mime.setText(str(path))  # file managers offer the path as text too
    enter = QDragEnterEvent(edit.rect().center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(edit, enter)
    assert h.handler.overlay.isVisible()
    drop = QDropEvent(QPointF(edit.rect().center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(edit, drop)
    assert edit.text() == ""
    flow = h.wait_flow()
    dialog = h.wait_preview(flow)
    h.qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    docker_engine.cli("rmi", f"{unique_repo}:f")


def test_the_default_handler_starts_the_load_flow_itself(qtbot, docker_engine, busybox_image, unique_repo, tmp_path):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:d")
    path = save_cli(docker_engine, tmp_path / "d.tar", f"{unique_repo}:d")
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(docker_engine.docker_host, "user")])
    window = MainWindow(tasks, session)
    qtbot.addWidget(window)
    window.show()
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
    handler = window.archive_drop  # as the window installs it
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    target = window.workspace.images_view.table.viewport()
    center = QPointF(target.rect().center())
    for event in (QDragEnterEvent(center.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                  Qt.KeyboardModifier.NoModifier),
                  QDropEvent(center, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier)):
        QApplication.sendEvent(target, event)
        assert event.isAccepted()
    assert not handler.overlay.isVisible()

    def preview():
        return next((w for w in window.findChildren(QDialog) if w.objectName() == "loadPreviewDialog"
                     and w.isVisible()), None)

    qtbot.waitUntil(lambda: preview() is not None, timeout=20000)
    assert preview().items.topLevelItem(0).text(0) == "d.tar"
    qtbot.mouseClick(preview().cancel_button, Qt.MouseButton.LeftButton)
    window.close()
    assert tasks.shutdown(10000)
    docker_engine.cli("rmi", f"{unique_repo}:d")


def test_drops_are_refused_without_an_engine(harness, tmp_path):
    h = harness(connect=False, host=f"unix://{tmp_path}/missing.sock")
    (tmp_path / "a.tar").write_bytes(b"")
    move = h.drag([tmp_path / "a.tar"])
    assert not move.isAccepted()
    assert h.handler.overlay.title.text() == "Not connected to a Docker engine"
    h.leave()
    # File > Load… while disconnected: said plainly, nothing started
    flow = load_archives(h.window, h.session, [str(tmp_path / "a.tar")])
    h.qtbot.waitUntil(lambda: flow.over, timeout=5000)  # the operation fails at once, without an engine
    assert flow.load_task is None and flow.inspect_task.state == TaskState.FAILED
    assert flow.message_box.isVisible()
    assert flow.message_box.text() == "Connect to a Docker engine before loading image archives."
    flow.message_box.close()


# --- preview ------------------------------------------------------------------------------------------


def test_preview_warns_about_a_tag_that_would_move_and_cancel_changes_nothing(harness, docker_engine, busybox_image,
                                                                              unique_repo, tmp_path):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:1")
    path = save_cli(docker_engine, tmp_path / "old.tar", f"{unique_repo}:1")
    other = docker_engine.build_busybox_image(f"{unique_repo}:1", [f"RUN echo {unique_repo} > /marker"])
    busybox_id = image_id(docker_engine, busybox_image)
    h = harness()
    h.drag([path])
    h.drop()
    flow = h.wait_flow()
    dialog = h.wait_preview(flow)
    assert dialog.warnings.isVisible()
    assert dialog.warnings.text() == (f"old.tar: {unique_repo}:1 now names image {other[7:19]}; loading moves it "
                                      f"to image {busybox_id[7:19]}.")
    assert dialog.items.topLevelItem(0).child(0).text(3) == \
        f"Image already on the engine; only tags change; moves {unique_repo}:1 from image {other[7:19]}"
    h.qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    assert flow.load_task is None
    assert cli_tags(docker_engine)[f"{unique_repo}:1"] == other

    h.drag([path])
    h.drop()
    flow = h.wait_flow(2)
    dialog = h.wait_preview(flow)
    h.qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    assert cli_tags(docker_engine)[f"{unique_repo}:1"] == busybox_id
    docker_engine.cli("rmi", f"{unique_repo}:1", other)


def test_preview_lists_unreadable_archives_with_the_reason(harness, docker_engine, busybox_image, unique_repo,
                                                           tmp_path):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:ok")
    good = save_cli(docker_engine, tmp_path / "good.tar", f"{unique_repo}:ok")
    docker_engine.cli("rmi", f"{unique_repo}:ok")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(gzip.compress(good.read_bytes())[:5000])
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    h = harness()
    h.drag([cut, empty])
    h.drop()
    flow = h.wait_flow()
    dialog = h.wait_preview(flow)
    rows = {dialog.items.topLevelItem(i).text(0): dialog.items.topLevelItem(i) for i in range(2)}
    assert "is truncated" in rows["cut.tar.gz"].text(3) and "is empty" in rows["empty.tar"].text(3)
    assert not rows["cut.tar.gz"].flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert dialog.problems.isVisible() and dialog.problems.text() == (
        "“cut.tar.gz” is truncated: a gzip-compressed tar archive that ends too early (was it copied completely?).\n"
        "“empty.tar” is empty (0 bytes).")
    assert not dialog.load_button.isEnabled()
    assert dialog.heading.text() == "Nothing here can be loaded"
    h.qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)

    h.drag([cut, good])
    h.drop()
    flow = h.wait_flow(2)
    dialog = h.wait_preview(flow)
    assert dialog.load_button.isEnabled() and dialog.heading.text() == "Load 1 image?"
    # unticking the only loadable archive disables Load
    good_item = dialog.entry_for(str(good))
    good_item.setCheckState(0, Qt.CheckState.Unchecked)
    assert not dialog.load_button.isEnabled() and dialog.heading.text() == "Tick the archives to load"
    good_item.setCheckState(0, Qt.CheckState.Checked)
    h.qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    assert h.loaded == [[f"{unique_repo}:ok"]]

    # the same archive again: everything is there already, so it is not ticked
    h.drag([good])
    h.drop()
    flow = h.wait_flow(3)
    dialog = h.wait_preview(flow)
    top = dialog.items.topLevelItem(0)
    assert top.text(3) == "Docker image archive with 1 image — all on the engine already, nothing to do"
    assert top.child(0).text(3) == "Already on the engine with these tags — nothing to do"
    assert top.checkState(0) == Qt.CheckState.Unchecked and not dialog.load_button.isEnabled()
    h.qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    docker_engine.cli("rmi", f"{unique_repo}:ok")


def test_an_archive_the_engine_refuses_fails_the_task_with_the_engines_words(harness, docker_engine, unique_repo,
                                                                            tmp_path):
    """It reads fine, but its layer is not the one its configuration promises: the engine says so
    inside a 200 response, and the task must fail with that, not succeed."""
    liar = SyntheticImage([f"{unique_repo}:liar"], [{"a": b"promised"}])
    liar.layers = SyntheticImage([], [{"a": b"delivered"}]).layers
    path = tmp_path / "liar.tar"
    path.write_bytes(docker_archive([liar]))
    before = set(docker_engine.cli("images", "-a", "-q", "--no-trunc").stdout.split())
    h = harness()
    h.drag([path])
    h.drop()
    flow = h.wait_flow()
    dialog = h.wait_preview(flow)
    h.qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    task = flow.load_task
    assert task.state == TaskState.FAILED
    assert str(task.error).startswith("The engine could not load liar.tar: ")
    activity = h.window.activity.model
    row = activity.index(activity.row_of(task))
    assert row.data(DETAIL_ROLE) == f"Failed: {task.error}"
    assert row.data(ERROR_ROLE) == str(task.error)
    assert h.loaded == []
    assert set(docker_engine.cli("images", "-a", "-q", "--no-trunc").stdout.split()) == before


# --- plain file systems ---------------------------------------------------------------------------------


def test_dropping_a_plain_filesystem_offers_an_import(harness, docker_engine, unique_repo, tmp_path):
    path = tmp_path / "My Root FS.tar"
    path.write_bytes(tar_bytes([("etc/", None), ("etc/motd", b"welcome\n")]))
    before = set(cli_tags(docker_engine))
    h = harness()
    h.drag([path])
    h.drop()
    flow = h.wait_flow()
    h.qtbot.waitUntil(lambda: flow.import_dialog is not None and flow.import_dialog.isVisible(), timeout=20000)
    dialog = flow.import_dialog
    assert flow.preview_dialog is None  # nothing to preview: straight to naming the image
    assert dialog.repository_edit.text() == "my-root-fs" and dialog.tag_edit.text() == "latest"
    dialog.repository_edit.clear()
    h.qtbot.keyClicks(dialog.repository_edit, "Bad Name")
    assert not dialog.import_button.isEnabled()
    assert "not a valid repository name" in dialog.message.text()
    dialog.repository_edit.clear()
    h.qtbot.keyClicks(dialog.repository_edit, unique_repo)
    dialog.tag_edit.clear()
    h.qtbot.keyClicks(dialog.tag_edit, "v2")
    assert dialog.import_button.isEnabled() and dialog.message.text() == f"The new image will be {unique_repo}:v2."
    h.qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    assert flow.import_tasks[0].state == TaskState.SUCCEEDED
    assert h.loaded == [[f"{unique_repo}:v2"]]
    assert set(cli_tags(docker_engine)) == before | {f"{unique_repo}:v2"}
    docker_engine.cli("rmi", f"{unique_repo}:v2")


def test_cancelling_the_import_dialog_imports_nothing(harness, docker_engine, tmp_path):
    path = tmp_path / "fs.tar"
    path.write_bytes(tar_bytes([("a.txt", b"a")]))
    before = set(docker_engine.cli("images", "-a", "-q", "--no-trunc").stdout.split())
    h = harness()
    flow = load_archives(h.window, h.session, [str(path)])
    h.qtbot.waitUntil(lambda: flow.import_dialog is not None and flow.import_dialog.isVisible(), timeout=20000)
    h.qtbot.mouseClick(flow.import_dialog.cancel_button, Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    assert flow.import_tasks == []
    assert set(docker_engine.cli("images", "-a", "-q", "--no-trunc").stdout.split()) == before


# --- File > Load… and save -----------------------------------------------------------------------------


def test_file_load_dialog_starts_the_same_flow(harness, docker_engine, busybox_image, unique_repo, tmp_path):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:menu")
    path = save_cli(docker_engine, tmp_path / "menu.tar", f"{unique_repo}:menu")
    docker_engine.cli("rmi", f"{unique_repo}:menu")
    h = harness()
    loaded = []
    dialog = choose_and_load(h.window, h.session, on_loaded=loaded.append)
    assert dialog.fileMode() == dialog.FileMode.ExistingFiles
    assert "*.tar.zst" in dialog.nameFilters()[0]
    dialog.setDirectory(str(tmp_path))
    dialog.selectFile(str(path))
    dialog.accept()
    preview = None

    def find_preview():
        nonlocal preview
        preview = next((w for w in h.window.findChildren(QDialog) if w.objectName() == "loadPreviewDialog"
                        and w.isVisible()), None)
        return preview is not None

    h.qtbot.waitUntil(find_preview, timeout=20000)
    h.qtbot.mouseClick(preview.load_button, Qt.MouseButton.LeftButton)
    h.qtbot.waitUntil(lambda: loaded == [[f"{unique_repo}:menu"]], timeout=30000)
    assert f"{unique_repo}:menu" in cli_tags(docker_engine)
    docker_engine.cli("rmi", f"{unique_repo}:menu")


def test_save_selected_rows_through_the_file_dialog(harness, docker_engine, busybox_image, unique_repo, tmp_path):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:a")
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:b")
    h = harness()
    view = h.window.workspace.images_view
    h.qtbot.waitUntil(lambda: sum(r.repository == unique_repo for r in h.window.workspace.images_model.rows()) == 2,
                      timeout=10000)
    view.filter_edit.setText(unique_repo)
    selection = view.table.selectionModel()
    for row in range(view.proxy.rowCount()):
        selection.select(view.proxy.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
    rows = view.selected_rows()
    assert sorted(r.tag for r in rows) == ["a", "b"]
    flow = save_images(h.window, h.session, rows)
    names = flow.names_dialog
    assert names.isVisible() and sorted(names.selected_names()) == [f"{unique_repo}:a", f"{unique_repo}:b"]
    h.qtbot.mouseClick(names.choose_button, Qt.MouseButton.LeftButton)
    dialog = flow.file_dialog
    assert dialog.isVisible() and dialog.acceptMode() == dialog.AcceptMode.AcceptSave
    assert dialog.nameFilters() == ["Image archive (*.tar)", "Gzip-compressed image archive (*.tar.gz *.tgz)"]
    dialog.setDirectory(str(tmp_path))
    dialog.selectFile(str(tmp_path / "both.tar.gz"))
    dialog.accept()
    h.qtbot.waitUntil(lambda: flow.save_task is not None, timeout=5000)
    h.wait_done(flow)
    assert flow.save_task.state == TaskState.SUCCEEDED, flow.save_task.error
    target = tmp_path / "both.tar.gz"
    assert target.read_bytes()[:2] == b"\x1f\x8b"
    assert sorted(os.listdir(tmp_path)) == ["both.tar.gz"]
    assert f"to {target}" in h.window.statusBar().currentMessage()
    docker_engine.cli("rmi", f"{unique_repo}:a", f"{unique_repo}:b")
    docker_engine.cli("load", "-i", str(target))
    tags = cli_tags(docker_engine)
    assert tags[f"{unique_repo}:a"] == tags[f"{unique_repo}:b"] == image_id(docker_engine, busybox_image)
    docker_engine.cli("rmi", f"{unique_repo}:a", f"{unique_repo}:b")


def select_rows(h, repo, tags):
    """Select the rows of *repo* with these *tags* in the Images view, as a person would."""
    view = h.window.workspace.images_view
    h.qtbot.waitUntil(lambda: {r.tag for r in h.window.workspace.images_model.rows() if r.repository == repo} >= set(tags),
                      timeout=10000)
    view.select_keys([r.key for r in h.window.workspace.images_model.rows() if r.repository == repo and r.tag in tags])
    rows = view.selected_rows()
    assert sorted(r.tag for r in rows) == sorted(tags)
    return rows


def names_listed(dialog):
    return [(dialog.names.item(n).data(Qt.ItemDataRole.UserRole), dialog.names.item(n).checkState() == Qt.CheckState.Checked)
            for n in range(dialog.names.count())]


def test_save_says_which_tags_go_and_the_round_trip_brings_back_exactly_those(harness, docker_engine,
                                                                              busybox_image, unique_repo, tmp_path):
    """One of two tags of an image is selected: the dialog offers the other, says it is not in
    the archive, and after remove + load the CLI shows exactly what the dialog said."""
    docker_engine.build_busybox_image(f"{unique_repo}:a", [f"LABEL berth.test={unique_repo}"])  # its own image
    docker_engine.cli("tag", f"{unique_repo}:a", f"{unique_repo}:b")
    h = harness()
    flow = save_images(h.window, h.session, select_rows(h, unique_repo, ["a"]))
    dialog = flow.names_dialog
    h.qtbot.waitUntil(lambda: dialog.names.count() >= 2, timeout=10000)
    listed = names_listed(dialog)
    assert listed == [(f"{unique_repo}:a", True), (f"{unique_repo}:b", False)]
    assert dialog.names.item(1).text().startswith(f"{unique_repo}:b   (also names image ")
    assert dialog.summary.text().startswith(f"The archive will hold 1 image under {unique_repo}:a")
    assert dialog.summary.text().endswith(f"Not in it: {unique_repo}:b (loading will not bring it back).")
    h.qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    file_dialog = flow.file_dialog
    file_dialog.setDirectory(str(tmp_path))
    file_dialog.selectFile(str(tmp_path / "one.tar"))
    file_dialog.accept()
    h.wait_done(flow)
    assert flow.save_task.state == TaskState.SUCCEEDED, flow.save_task.error

    # the second time, tick the other tag as well: both are in the archive
    flow = save_images(h.window, h.session, select_rows(h, unique_repo, ["a"]))
    dialog = flow.names_dialog
    h.qtbot.waitUntil(lambda: dialog.names.count() >= 2, timeout=10000)
    other = [dialog.names.item(n) for n in range(dialog.names.count())
             if dialog.names.item(n).data(Qt.ItemDataRole.UserRole) == f"{unique_repo}:b"][0]
    other.setCheckState(Qt.CheckState.Checked)
    assert dialog.summary.text().startswith(f"The archive will hold 1 image under {unique_repo}:a, {unique_repo}:b")
    assert "Not in it" not in dialog.summary.text()
    h.qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    flow.file_dialog.setDirectory(str(tmp_path))
    flow.file_dialog.selectFile(str(tmp_path / "both.tar"))
    flow.file_dialog.accept()
    h.wait_done(flow)
    assert flow.save_task.state == TaskState.SUCCEEDED, flow.save_task.error

    for archive, expected in (("one.tar", {"a"}), ("both.tar", {"a", "b"})):
        docker_engine.cli("rmi", *(f"{unique_repo}:{t}" for t in ("a", "b")), check=False)
        docker_engine.cli("load", "-i", str(tmp_path / archive))
        tags = {ref.split(":")[-1] for ref in cli_tags(docker_engine) if ref.startswith(f"{unique_repo}:")}
        assert tags == expected, archive
    image = docker_engine.cli("inspect", "-f", "{{.Id}}", f"{unique_repo}:a").stdout.strip()
    docker_engine.cli("rmi", "-f", image)


def test_a_typed_name_without_ending_is_asked_about_before_replacing_the_archive(harness, docker_engine,
                                                                                  busybox_image, unique_repo,
                                                                                  tmp_path):
    """Typing "backup" where backup.tar exists: the question comes, about backup.tar (the suffix
    is decided first); No keeps the old file and goes back to the file dialog, Yes replaces it."""
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:x")
    (tmp_path / "backup.tar").write_bytes(b"the old backup")
    h = harness()
    flow = save_images(h.window, h.session, select_rows(h, unique_repo, ["x"]))
    h.qtbot.mouseClick(flow.names_dialog.choose_button, Qt.MouseButton.LeftButton)
    for answer in (QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes):
        dialog = flow.file_dialog
        assert dialog is not None and dialog.isVisible() and dialog.defaultSuffix() == "tar"
        dialog.setDirectory(str(tmp_path))
        dialog.selectFile("backup")
        dialog.accept()
        box = flow.overwrite_box
        assert box is not None and box.isVisible() and flow.save_task is None
        assert box.text() == f"backup.tar already exists in {tmp_path}.\nDo you want to replace it?"
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        assert (tmp_path / "backup.tar").read_bytes() == b"the old backup"
        h.qtbot.mouseClick(box.button(answer), Qt.MouseButton.LeftButton)
    h.wait_done(flow)
    assert flow.save_task.state == TaskState.SUCCEEDED, flow.save_task.error
    assert sorted(os.listdir(tmp_path)) == ["backup.tar"]
    assert inspect_archive(tmp_path / "backup.tar").images[0].tags == [f"{unique_repo}:x"]
    docker_engine.cli("rmi", f"{unique_repo}:x")


def test_a_name_with_another_ending_is_asked_about_by_berth(harness, docker_engine, busybox_image, unique_repo,
                                                            tmp_path):
    """"backup.v1" has an ending, so the dialog adds no suffix; Berth adds .tar and, since
    backup.v1.tar exists, asks before replacing it; No goes back to the file dialog."""
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:x")
    (tmp_path / "backup.v1.tar").write_bytes(b"the old backup")
    h = harness()
    flow = save_images(h.window, h.session, select_rows(h, unique_repo, ["x"]))
    h.qtbot.mouseClick(flow.names_dialog.choose_button, Qt.MouseButton.LeftButton)
    flow.file_dialog.setDirectory(str(tmp_path))
    flow.file_dialog.selectFile("backup.v1")
    flow.file_dialog.accept()
    box = flow.overwrite_box
    assert box is not None and box.isVisible() and flow.save_task is None
    assert box.text().startswith("backup.v1.tar already exists")
    h.qtbot.mouseClick(box.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton)
    assert (tmp_path / "backup.v1.tar").read_bytes() == b"the old backup"
    assert flow.file_dialog is not None and flow.file_dialog.isVisible()  # back to choosing a name
    flow.file_dialog.reject()
    h.wait_done(flow)
    assert flow.save_task is None and sorted(os.listdir(tmp_path)) == ["backup.v1.tar"]
    docker_engine.cli("rmi", f"{unique_repo}:x")
