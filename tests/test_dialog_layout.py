"""Every dialog, the connection page and the main window, opened in the states that add content
(errors, warnings, hints, long names), must show all of it: no field squeezed below its usable
height, no message cut mid-line, no widgets drawn over each other, no literal ``&`` in a label
(tests/layout_check.py says how). Each is checked at its own size and again on a small screen
(1024x640), where it must still fit. Data comes from the isolated engine."""

from __future__ import annotations

import os
import tarfile

import pytest
from pytestqt.exceptions import TimeoutError as WaitTimeout
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QWidget

from desktop.engine import archive
from desktop.engine.containers import list_containers
from desktop.engine.errors import BerthError
from desktop.engine.image_archive import preview_load
from desktop.engine.images import list_images
from desktop.tasks.archive_tasks import ArchivePlan
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui.connection_page import ConnectionPage
from desktop.ui.dialogs.build_dialog import BuildDialog
from desktop.ui.dialogs.commit_dialog import CommitDialog
from desktop.ui.dialogs.copy_dialog import IN, OUT, CopyDialog
from desktop.ui.dialogs.import_rootfs_dialog import ImportRootfsDialog
from desktop.ui.dialogs.load_preview_dialog import LoadPreviewDialog
from desktop.ui.dialogs.prune_containers_dialog import PruneContainersDialog
from desktop.ui.dialogs.prune_dialog import PruneDialog
from desktop.ui.dialogs.remove_containers_dialog import RemoveContainersDialog
from desktop.ui.dialogs.remove_images_dialog import RemoveImagesDialog
from desktop.ui.dialogs.rename_dialog import RenameDialog
from desktop.ui.dialogs.run_dialog import RunDialog
from desktop.ui.dialogs.signal_dialog import KillDialog, StopDialog
from desktop.ui.dialogs.tag_dialog import TagDialog
from desktop.engine.connection import Endpoint
from tests.helpers import Made, connected_session, recent_names
from tests.layout_check import layout_problems, window_problems

pytestmark = [
    pytest.mark.engine,
    pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)",
                              "This plugin does not support grabbing the keyboard"),
]

SMALL_SCREEN = QSize(1024, 640)
LONG = "a-rather-long-name-that-people-really-use-for-their-services-" * 2


@pytest.fixture
def session(qtbot, docker_engine):
    with connected_session(qtbot, docker_engine) as session:
        yield session


@pytest.fixture
def made(docker_engine):
    m = Made(docker_engine)
    yield m
    m.remove()


def check(qtbot, widget: QWidget, state: str, small: bool = True) -> None:
    """Let the layout settle, then fail with every problem found; with *small*, the same on a
    1024x640 screen, which the window must fit."""
    if not widget.isVisible():
        widget.show()
        qtbot.waitExposed(widget)
    _settled(qtbot, widget, state)
    if small and widget.isWindow():
        widget.resize(widget.size().boundedTo(SMALL_SCREEN))
        _settled(qtbot, widget, f"{state}, on a 1024x640 screen")
        assert widget.width() <= SMALL_SCREEN.width() and widget.height() <= SMALL_SCREEN.height(), (
            f"{state}: {widget.width()}x{widget.height()} does not fit a 1024x640 screen")


def _settled(qtbot, widget: QWidget, state: str) -> None:
    problems = window_problems if widget.isWindow() else layout_problems
    try:
        qtbot.waitUntil(lambda: not problems(widget), timeout=1000)
    except WaitTimeout:
        pass
    found = problems(widget)
    assert not found, f"{state}:\n  " + "\n  ".join(found)


def row_of(session, image_id, repo):
    return next(r for r in list_images(session.factory.client()) if r.id == image_id and r.repository == repo)


def container_row(session, name):
    return next(r for r in list_containers(session.factory.client()) if r.name == name)


# --- images ---------------------------------------------------------------------------------------


def test_tag_dialog_with_hint_suggestions_warnings_and_errors(qtbot, session, made, tmp_path, unique_repo):
    repo = f"{unique_repo}/{LONG[:60]}"
    image = made.image(f"{repo}:v1.0.0")
    for tag in ("v1.1.0", "v1.2.3"):
        made.engine.cli("tag", image, f"{repo}:{tag}")
    other = made.image(f"{repo}:prod")
    made.engine.cli("tag", other, f"{repo}:latest")
    dialog = TagDialog.for_row(session, row_of(session, image, repo), recent=recent_names(tmp_path))
    qtbot.addWidget(dialog)
    dialog.start()
    dialog.show()
    qtbot.waitUntil(lambda: dialog.editor.patch_button.isEnabled(), timeout=10000)
    editor = dialog.editor
    assert editor.suggest_info.text() == "Newest version in this repository: v1.2.3"
    assert editor.latest_note.isVisible()  # no tag typed: "latest" alone
    check(qtbot, dialog, "hint, suggestions and the note about latest")

    editor.tags_edit.setText("prod, latest")
    assert editor.moves_note.isVisible()
    check(qtbot, dialog, "two tags that move from another image")

    qtbot.keyClick(editor.tags_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.confirm.isVisible(), timeout=10000)
    check(qtbot, dialog, "the question whether to move the tags")

    editor.tags_edit.setText("v1/0, prod")
    assert editor.tags_error.isVisible()
    editor.repo_edit.setText(f"{repo}:1.0.1")
    assert editor.repo_error.isVisible() and editor.split_button.isVisible()
    check(qtbot, dialog, "'repository:tag' in Repository")
    editor.repo_edit.setText("Not A Repository")
    check(qtbot, dialog, "an invalid repository")


def test_build_dialog_with_every_message(qtbot, session, tmp_path, unique_repo):
    context = tmp_path / LONG[:50] / "context"
    context.mkdir(parents=True)
    (context / "Dockerfile").write_text(f"FROM {'berth-test/busybox'} AS base\nFROM base AS final\n")
    dialog = BuildDialog(session, str(context), recent=recent_names(tmp_path))
    qtbot.addWidget(dialog)
    dialog.start()
    dialog.show()
    qtbot.waitUntil(lambda: dialog.context_info is not None and dialog.editor.suggest_info.text() !=
                    "Looking up the repository's tags…", timeout=10000)
    dialog.editor.repo_edit.setText(f"{unique_repo}:1.0.1")
    dialog.args_edit.setPlainText("GOOD=1\n=bad")
    dialog.target_combo.setEditText("no-such-stage")
    assert dialog.args_error.isVisible() and dialog.target_error.isVisible() and dialog.editor.repo_error.isVisible()
    check(qtbot, dialog, "errors under the names, arguments and target")
    dialog.editor.repo_edit.setText(unique_repo)
    dialog.editor.tags_edit.setText("latest")
    check(qtbot, dialog, "the note about latest")
    dialog.reject()


def test_load_preview_and_import_dialogs(qtbot, session, made, tmp_path, unique_repo):
    image = made.image(f"{unique_repo}:1")
    saved = tmp_path / f"{LONG[:40]}.tar"
    made.engine.cli("save", "-o", str(saved), f"{unique_repo}:1")
    made.image(f"{unique_repo}:1")  # the tag now names another image: loading moves it
    cut = tmp_path / "cut.tar"
    cut.write_bytes(saved.read_bytes()[:3000])
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    rootfs = tmp_path / "My Root FS.tar"
    with tarfile.open(rootfs, "w") as tar:
        tar.add(os.devnull, arcname="etc/motd")
    client, info = session.factory.client(), session.factory.info

    def plan(path):
        try:
            return ArchivePlan(str(path), preview_load(client, archive.inspect_archive(path), info))
        except archive.ArchiveError as exc:
            return ArchivePlan(str(path), error=str(exc))

    dialog = LoadPreviewDialog([plan(saved), plan(cut), plan(empty), plan(rootfs)])
    qtbot.addWidget(dialog)
    assert not dialog.warnings.isHidden() and not dialog.problems.isHidden()
    check(qtbot, dialog, "a moving tag, unreadable archives and a file system")
    assert image

    made.engine.cli("tag", image, "my-root-fs:latest")
    made.images.append("my-root-fs:latest")
    importer = ImportRootfsDialog(plan(rootfs))
    qtbot.addWidget(importer)
    check(qtbot, importer, "the name already belongs to another image")
    importer.repository_edit.setText("Bad Name")
    check(qtbot, importer, "an invalid name")


def test_remove_and_prune_dialogs(qtbot, session, made, unique_repo):
    image = made.image(f"{unique_repo}:used")
    made.engine.cli("tag", image, f"{unique_repo}:{LONG[:100]}")
    made.container(f"{unique_repo.replace('/', '-')}-user", image)
    rows = [r for r in list_images(session.factory.client()) if r.id == image]
    dialog = RemoveImagesDialog(session, rows)
    qtbot.addWidget(dialog)
    dialog.start()
    dialog.show()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=10000)
    assert dialog.in_use.isVisible()
    check(qtbot, dialog, "images in use by a container")
    dialog.set_plan_error(BerthError("The engine refused: " + LONG))
    check(qtbot, dialog, "a long error")

    for kind in (PruneDialog, PruneContainersDialog):
        prune = kind(session)
        qtbot.addWidget(prune)
        prune.start()
        prune.show()
        qtbot.waitUntil(lambda p=prune: p.prune_button.isEnabled() or p.status.text() != "Checking…", timeout=10000)
        check(qtbot, prune, f"{kind.__name__} with its preview")
        prune._show_error(BerthError("The engine could not prune: " + LONG))
        check(qtbot, prune, f"{kind.__name__} with a long error")


# --- containers -----------------------------------------------------------------------------------


def test_container_dialogs(qtbot, session, made, busybox_image, unique_repo):
    base = unique_repo.replace("/", "-")
    long_name = f"{base}-{LONG}"[:120]
    made.container(long_name, busybox_image)
    made.container(f"{base}-taken", busybox_image)
    row = container_row(session, long_name)

    rename = RenameDialog(session, row)
    qtbot.addWidget(rename)
    rename.name_edit.setText("no spaces allowed/here")
    assert rename.status.text()
    check(qtbot, rename, "an invalid name")
    rename.name_edit.setText(f"{base}-taken")
    with qtbot.waitSignal(rename.rename().signals.finished, timeout=10000):
        pass
    assert "taken" in rename.status.text() or "already in use" in rename.status.text()
    check(qtbot, rename, "the engine's error")

    commit = CommitDialog(session, row)
    qtbot.addWidget(commit)
    commit.repository_edit.setText("Bad Repository Name")
    check(qtbot, commit, "an invalid repository")

    for direction in (OUT, IN):
        copy = CopyDialog(session, row, direction)
        qtbot.addWidget(copy)
        copy.container_edit.setText("relative/path")
        copy.local_edit.setText("/tmp")
        check(qtbot, copy, f"copy {direction} with a relative path")

    remove = RemoveContainersDialog([row] * 3)
    qtbot.addWidget(remove)
    check(qtbot, remove, "remove containers")

    kill = KillDialog([long_name] * 7)
    qtbot.addWidget(kill)
    kill.signal_combo.setEditText("NOT-A-SIGNAL")
    check(qtbot, kill, "a signal that does not exist")
    stop = StopDialog([long_name] * 7)
    qtbot.addWidget(stop)
    check(qtbot, stop, "stop with a timeout")


def test_run_dialog_on_every_tab(qtbot, session, busybox_image):
    dialog = RunDialog(session, busybox_image)
    qtbot.addWidget(dialog)
    dialog.start()
    dialog.show()
    qtbot.waitUntil(lambda: dialog.defaults is not None, timeout=10000)
    dialog.name_edit.setText("bad name!")
    dialog.memory_edit.setText("lots")
    dialog.cpus_edit.setText("many")
    dialog.command_edit.setText('sh -c "unclosed')
    assert len(dialog.problems.text().splitlines()) >= 3
    for tab in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(tab)
        check(qtbot, dialog, f"problems listed, tab {dialog.tabs.tabText(tab)}")
    dialog.reject()


# --- the window --------------------------------------------------------------------------------------


def test_connection_page_with_an_error(qtbot, tmp_path):
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(f"unix://{tmp_path}/{LONG}/docker.sock", "user")])
    page = ConnectionPage(session)
    qtbot.addWidget(page)
    page.resize(SMALL_SCREEN)
    page.show()
    qtbot.waitExposed(page)
    page.show_error(BerthError("Could not reach the engine: " + LONG))
    page.host_edit.setText("gopher://nowhere")
    page._connect_to_host()
    assert page.host_error.text()
    check(qtbot, page, "an error and a bad host", small=False)
    assert tasks.shutdown(5000)
