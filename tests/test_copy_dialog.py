"""The copy dialog asks before a copy out of a container replaces anything (issue 11), driven in
the real window against the isolated engine; the local file system is the oracle."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop.engine import file_copy
from tests.test_containers_gui import select, window  # noqa: F401 - window: the main window fixture

pytestmark = pytest.mark.engine


@pytest.fixture
def container(docker_engine, busybox_image, unique_repo):
    name = unique_repo.replace("/", "-")
    docker_engine.cli("run", "-d", "--name", name, busybox_image, "sh", "-c",
                      "mkdir -p /data && echo from-container > /data/notes.txt && echo two > /data/b.txt && "
                      "sleep 600")
    yield name
    docker_engine.cli("rm", "-f", "-v", name, check=False)


def open_copy_out(qtbot, window, name, path, local):
    select(qtbot, window, name)
    dialog = window.workspace.containers_view.trigger("copy_out")
    dialog.container_edit.setText(path)
    dialog.local_edit.setText(str(local))
    return dialog


def wait_question(qtbot, dialog):
    qtbot.waitUntil(lambda: dialog.question is not None and dialog.question.isVisible(), timeout=10000)
    return dialog.question


def test_declining_the_replace_question_leaves_everything_as_it_was(qtbot, window, container, tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    dialog = open_copy_out(qtbot, window, container, "/data/notes.txt", tmp_path)
    labels = [label for label in dialog.findChildren(QLabel) if "&" in label.text()]
    assert len(labels) == 2 and all(label.buddy() is not None for label in labels)  # no raw "&" shown
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    question = wait_question(qtbot, dialog)
    assert question.objectName() == "copyReplaceQuestion"
    assert "notes.txt" in question.text() and str(tmp_path) in question.text()
    assert "What is there now will be deleted." in question.informativeText()
    assert question.defaultButton().objectName() == "copyKeepButton"  # Enter keeps the file
    qtbot.mouseClick(question.findChild(type(dialog.copy_button), "copyKeepButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.question is None, timeout=5000)
    assert "Nothing was copied" in dialog.status.text()
    assert dialog.copy_button.isEnabled() and dialog.isVisible()
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]  # no temporary folder left either


def test_replace_answers_yes_and_the_copy_lands(qtbot, window, container, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "old.txt").write_text("old\n")
    (tmp_path / "unrelated.txt").write_text("untouched\n")
    dialog = open_copy_out(qtbot, window, container, "/data", tmp_path)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    question = wait_question(qtbot, dialog)
    assert (tmp_path / "data" / "old.txt").exists()  # asked before anything moved
    with qtbot.waitSignal(dialog.copied, timeout=10000) as blocker:
        qtbot.mouseClick(question.findChild(type(dialog.copy_button), "copyReplaceButton"), Qt.MouseButton.LeftButton)
    assert blocker.args[0] == str(tmp_path / "data")
    assert sorted(os.listdir(tmp_path / "data")) == ["b.txt", "notes.txt"]
    assert (tmp_path / "data" / "notes.txt").read_text() == "from-container\n"
    assert (tmp_path / "unrelated.txt").read_text() == "untouched\n"
    assert sorted(os.listdir(tmp_path)) == ["data", "unrelated.txt"]


def test_a_name_only_the_archive_tells_is_asked_about_too(qtbot, window, container, tmp_path):
    """``/data/.`` copies the folder's contents: the names come with the archive, and the copy
    stops to ask before moving anything."""
    (tmp_path / "b.txt").write_text("mine\n")
    dialog = open_copy_out(qtbot, window, container, "/data/.", tmp_path)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    question = wait_question(qtbot, dialog)
    assert "b.txt" in question.text() and "notes.txt" not in question.text()
    assert sorted(os.listdir(tmp_path)) == ["b.txt"] and (tmp_path / "b.txt").read_text() == "mine\n"
    question.reject()  # Escape
    qtbot.waitUntil(lambda: dialog.question is None, timeout=5000)
    assert sorted(os.listdir(tmp_path)) == ["b.txt"] and (tmp_path / "b.txt").read_text() == "mine\n"
    assert not any(n.startswith(file_copy.STAGING_PREFIX) for n in os.listdir(tmp_path))


def test_a_long_list_of_names_is_cut_short_in_the_question(qtbot, window, docker_engine, container, tmp_path):
    docker_engine.cli("exec", container, "sh", "-c", "mkdir /many && cd /many && for i in $(seq 10 29); do "
                                                     "echo $i > f$i; done")
    for i in range(10, 30):
        (tmp_path / f"f{i}").write_text("mine\n")
    dialog = open_copy_out(qtbot, window, container, "/many/.", tmp_path)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    question = wait_question(qtbot, dialog)
    assert "f10" in question.text() and "f21" in question.text() and "f22" not in question.text()
    assert "… and 8 more" in question.text()
    with qtbot.waitSignal(dialog.copied, timeout=10000):
        qtbot.mouseClick(question.findChild(type(dialog.copy_button), "copyReplaceButton"), Qt.MouseButton.LeftButton)
    assert all((tmp_path / f"f{i}").read_text() == f"{i}\n" for i in range(10, 30))
