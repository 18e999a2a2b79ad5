"""The Tag dialog's helping hands, driven by keys: a version button adds its tag next to what was
typed (Space and Enter on it do what a click does, and never tag the image), and a
'repository:tag' typed into Repository is split into the two fields instead of refused."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.engine.connection import Endpoint
from desktop.engine.images import list_images
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui.dialogs.tag_dialog import TagDialog, split_repository_tag
from tests.helpers import cli_tags, connected_session, recent_names

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)",
                                       "This plugin does not support grabbing the keyboard")




@pytest.fixture
def offline_dialog(qtbot, tmp_path):
    """A Tag dialog that never reaches an engine: typing and splitting need none."""
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint("unix:///nonexistent/docker.sock", "user")])
    dialog = TagDialog(session, "sha256:" + "ab" * 32, [], "", recent=recent_names(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    yield dialog
    assert tasks.shutdown(5000)


def test_split_repository_tag():
    assert split_repository_tag("myapp/web:1.0.1") == ("myapp/web", "1.0.1")
    assert split_repository_tag("myapp:v2") == ("myapp", "v2")
    assert split_repository_tag("reg.example:5000/team/app:v2") == ("reg.example:5000/team/app", "v2")
    assert split_repository_tag("localhost:5000/app:3") == ("localhost:5000/app", "3")
    for not_a_pair in ("myapp/web", "localhost:5000", "reg.example:5000", "myapp@sha256:" + "a" * 64,
                       "Bad Name:1", "", "myapp:bad/tag"):
        assert split_repository_tag(not_a_pair) is None, not_a_pair


@pytest.mark.engine
def test_space_and_enter_on_a_version_button_add_its_tag(qtbot, docker_engine, made, tmp_path, unique_repo):
    image = made.image(f"{unique_repo}:1.0.0")
    with connected_session(qtbot, docker_engine) as session:
        row = next(r for r in list_images(session.factory.client()) if r.id == image and r.repository == unique_repo)
        dialog = TagDialog.for_row(session, row, recent=recent_names(tmp_path))
        qtbot.addWidget(dialog)
        dialog.start()
        dialog.show()
        qtbot.waitUntil(lambda: dialog.editor.patch_button.isEnabled(), timeout=10000)
        editor = dialog.editor
        qtbot.keyClicks(editor.tags_edit, "prod, 1.0")
        editor.patch_button.setFocus()
        qtbot.keyClick(editor.patch_button, Qt.Key.Key_Space)
        assert editor.tags_edit.text() == "1.0.1, prod, 1.0"  # typed tags stay, the version is a tag of its own
        assert not editor.tags_edit.hasFocus()  # what is typed next does not run into "1.0.1"

        editor.minor_button.setFocus()
        qtbot.keyClick(editor.minor_button, Qt.Key.Key_Return)
        assert editor.tags_edit.text() == "1.1.0, prod, 1.0"  # the next suggestion replaces the last one
        assert dialog.isVisible() and dialog.tag_task is None  # Enter on the button did not tag the image
        qtbot.keyClick(editor.minor_button, Qt.Key.Key_Space)
        assert editor.tags_edit.text() == "1.1.0, prod, 1.0"  # never twice
        assert editor.preview.text().splitlines() == [f"docker.io/{unique_repo}:{t}" for t in ("1.1.0", "prod", "1.0")]
        assert cli_tags(docker_engine, unique_repo) == {"1.0.0": image}
        dialog.reject()


def test_repository_and_tag_typed_together_are_split_with_one_click(qtbot, offline_dialog):
    editor = offline_dialog.editor
    qtbot.keyClicks(editor.tags_edit, "prod")
    qtbot.keyClicks(editor.repo_edit, "myapp/web:1.0.1")
    assert editor.repo_error.isVisible()
    assert editor.repo_error.text() == "“myapp/web:1.0.1” is a repository and a tag: the repository is myapp/web, " \
                                       "the tag goes in Tags."
    assert editor.split_button.isVisible() and editor.split_button.text() == "Move tag 1.0.1 to Tags"
    assert not offline_dialog.ok_button.isEnabled()
    qtbot.mouseClick(editor.split_button, Qt.MouseButton.LeftButton)
    assert editor.repo_edit.text() == "myapp/web" and editor.tags_edit.text() == "prod, 1.0.1"
    assert not editor.repo_error.isVisible() and not editor.split_button.isVisible()
    assert editor.preview.text().splitlines() == ["docker.io/myapp/web:prod", "docker.io/myapp/web:1.0.1"]


def test_leaving_the_repository_field_splits_it(qtbot, offline_dialog):
    editor = offline_dialog.editor
    editor.repo_edit.setFocus()
    qtbot.keyClicks(editor.repo_edit, "localhost:5000/team/app:v2")
    qtbot.keyClick(editor.repo_edit, Qt.Key.Key_Tab)
    assert editor.repo_edit.text() == "localhost:5000/team/app" and editor.tags_edit.text() == "v2"
    assert editor.preview.text() == "localhost:5000/team/app:v2"


def test_a_registry_and_port_is_not_taken_for_a_tag(qtbot, offline_dialog):
    editor = offline_dialog.editor
    editor.repo_edit.setFocus()
    qtbot.keyClicks(editor.repo_edit, "localhost:5000")
    qtbot.keyClick(editor.repo_edit, Qt.Key.Key_Tab)
    assert editor.repo_edit.text() == "localhost:5000" and editor.tags_edit.text() == ""
    assert not editor.split_button.isVisible()
    assert 'add "/" and a repository' in editor.repo_error.text()
