"""The Tag dialog, driven by real key presses and clicks against the real engine, and the untag
flow with its "remove the image instead?" offer. ``docker images`` is the oracle for every change;
the messages under the fields are the ones ``desktop.engine.reference`` gives for the same text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from desktop.engine.connection import Endpoint
from desktop.engine.images import list_images, short_id
from desktop.engine.reference import InvalidReference, validate_repository, validate_tag
from desktop.models.activity_model import detail
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui import tag_actions
from desktop.ui.dialogs.tag_dialog import TagDialog, split_tags
from desktop.ui.main_window import MainWindow
from desktop.ui.recent_names import RecentNames
from tests.helpers import cli_tags, connected_session, recent_names

pytestmark = [
    pytest.mark.engine,
    # the completion popup opens while typing a repository; the offscreen platform cannot raise it
    # or give it the keyboard, and says so
    pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)",
                              "This plugin does not support grabbing the keyboard"),
]


@pytest.fixture
def session(qtbot, docker_engine):
    with connected_session(qtbot, docker_engine) as session:
        yield session


@pytest.fixture
def recent(tmp_path):
    return recent_names(tmp_path)




def row_of(session, image_id, repo):
    rows = [r for r in list_images(session.factory.client()) if r.id == image_id and r.repository == repo]
    assert rows
    return rows[0]


def message_of(check, text) -> str:
    with pytest.raises(InvalidReference) as info:
        check(text)
    return str(info.value)


def open_dialog(qtbot, session, row, recent) -> TagDialog:
    dialog = TagDialog.for_row(session, row, recent=recent)
    qtbot.addWidget(dialog)
    dialog.start()
    dialog.show()
    qtbot.waitUntil(lambda: dialog.editor.patch_button.isEnabled(), timeout=10000)
    return dialog


def retype(qtbot, edit, text):
    """Select everything in the field and type *text* over it, key by key."""
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_split_tags():
    assert split_tags(" v1.2.0, v1.2  v1,prod,, v1 ") == ["v1.2.0", "v1.2", "v1", "prod"]
    assert split_tags("") == []


def test_live_validation_shows_the_exact_problem(qtbot, session, made, recent, docker_engine, unique_repo):
    image = made.image(f"{unique_repo}:v1.0.0")
    dialog = open_dialog(qtbot, session, row_of(session, image, unique_repo), recent)
    editor = dialog.editor
    assert editor.repo_edit.text() == unique_repo  # pre-filled from the image's name
    assert dialog.current.text() == f"Now: {unique_repo}:v1.0.0"

    retype(qtbot, editor.tags_edit, "v1/0")
    assert editor.tags_error.isVisible()
    assert editor.tags_error.text() == message_of(validate_tag, "v1/0")
    assert 'contains "/" at position 2' in editor.tags_error.text()
    assert not dialog.ok_button.isEnabled()
    assert editor.preview.text() == "—"

    qtbot.keyClick(editor.tags_edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(editor.tags_edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(editor.tags_edit, ".0")
    assert not editor.tags_error.isVisible()
    assert dialog.ok_button.isEnabled()
    assert editor.preview.text() == f"docker.io/{unique_repo}:v1.0"

    retype(qtbot, editor.repo_edit, "MyApp")
    assert editor.repo_error.isVisible()
    assert editor.repo_error.text() == message_of(validate_repository, "MyApp")
    assert "must be lowercase" in editor.repo_error.text()
    assert not dialog.ok_button.isEnabled()

    retype(qtbot, editor.repo_edit, "myapp")
    assert not editor.repo_error.isVisible() and dialog.ok_button.isEnabled()
    assert editor.preview.text() == "docker.io/library/myapp:v1.0"
    retype(qtbot, editor.repo_edit, "localhost:5000/team/app")
    assert editor.preview.text() == "localhost:5000/team/app:v1.0"
    retype(qtbot, editor.repo_edit, "reg.example:5000")
    assert "add \"/\" and a repository" in editor.repo_error.text()
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClick(editor.repo_edit, Qt.Key.Key_Return)  # Enter does nothing while invalid
    assert dialog.isVisible() and dialog.tag_task is None
    assert cli_tags(docker_engine, unique_repo) == {"v1.0.0": image}


def test_semver_buttons_and_several_tags_at_once(qtbot, session, made, recent, docker_engine, unique_repo):
    image = made.image(f"{unique_repo}:v1.0.0")
    docker_engine.cli("tag", image, f"{unique_repo}:latest")
    dialog = open_dialog(qtbot, session, row_of(session, image, unique_repo), recent)
    editor = dialog.editor
    assert editor.suggest_info.text() == "Newest version in this repository: v1.0.0"
    assert editor.patch_button.text() == "Patch v1.0.1"
    assert editor.minor_button.text() == "Minor v1.1.0"
    assert editor.major_button.text() == "Major v2.0.0"
    assert not editor.companions_button.isEnabled()

    qtbot.mouseClick(editor.patch_button, Qt.MouseButton.LeftButton)
    assert editor.tags_edit.text() == "v1.0.1"
    qtbot.mouseClick(editor.minor_button, Qt.MouseButton.LeftButton)  # replaces the version, not adds
    assert editor.tags_edit.text() == "v1.1.0"
    assert editor.companions_button.text() == "+ v1.1, v1"
    qtbot.mouseClick(editor.companions_button, Qt.MouseButton.LeftButton)
    assert editor.tags_edit.text() == "v1.1.0, v1.1, v1"
    assert not editor.companions_button.isEnabled()
    editor.tags_edit.setFocus()
    qtbot.keyClick(editor.tags_edit, Qt.Key.Key_End)
    qtbot.keyClicks(editor.tags_edit, ", prod")
    assert editor.preview.text().splitlines() == [f"docker.io/{unique_repo}:{t}" for t in ("v1.1.0", "v1.1", "v1", "prod")]
    assert not editor.latest_note.isVisible() and not editor.moves_note.isVisible()

    with qtbot.waitSignal(dialog.tagged, timeout=10000) as tagged:
        qtbot.keyClick(editor.tags_edit, Qt.Key.Key_Return)
    result = tagged.args[0]
    assert result.done and result.image_id == image
    assert result.tagged == tuple(f"{unique_repo}:{t}" for t in ("v1.1.0", "v1.1", "v1", "prod"))
    assert cli_tags(docker_engine, unique_repo) == {t: image for t in ("v1.0.0", "latest", "v1.1.0", "v1.1", "v1",
                                                                       "prod")}
    assert recent.repositories()[0] == unique_repo


def test_a_version_button_keeps_the_other_tags(qtbot, session, made, recent, unique_repo):
    image = made.image(f"{unique_repo}:3.2.1")
    dialog = open_dialog(qtbot, session, row_of(session, image, unique_repo), recent)
    editor = dialog.editor
    retype(qtbot, editor.tags_edit, "prod, v9, edge")
    qtbot.mouseClick(editor.major_button, Qt.MouseButton.LeftButton)
    assert editor.major_button.text() == "Major 4.0.0"  # no prefix in use: none suggested
    assert editor.tags_edit.text() == "4.0.0, prod, v9, edge"  # what was typed stays, v9 too


def test_latest_alone_is_warned_about(qtbot, session, made, recent, unique_repo):
    image = made.image(f"{unique_repo}:v0.3.0")
    dialog = open_dialog(qtbot, session, row_of(session, image, unique_repo), recent)
    editor = dialog.editor
    assert editor.tags_edit.text() == ""
    note = editor.latest_note.text()
    assert editor.latest_note.isVisible()
    assert f"a name without a tag means “latest”, so this is {unique_repo}:latest" in note
    assert "Avoid relying on “latest” alone in production" in note and "v0.3.1" in note
    assert editor.preview.text() == f"docker.io/{unique_repo}:latest"
    assert dialog.ok_button.isEnabled()  # a warning, not a refusal

    qtbot.keyClicks(editor.tags_edit, "latest")
    assert editor.latest_note.isVisible() and "No tag given" not in editor.latest_note.text()
    qtbot.keyClicks(editor.tags_edit, " v0.3.1")
    assert not editor.latest_note.isVisible()


def test_moving_a_tag_names_the_other_image_and_waits_for_confirmation(qtbot, session, made, recent,
                                                                       docker_engine, unique_repo):
    old = made.image(f"{unique_repo}:prod")
    new = made.image(f"{unique_repo}:v2")
    dialog = open_dialog(qtbot, session, row_of(session, new, unique_repo), recent)
    editor = dialog.editor
    qtbot.keyClicks(editor.tags_edit, "prod")
    assert editor.moves_note.isVisible()
    assert f"{unique_repo}:prod now names image {short_id(old)}" in editor.moves_note.text()
    assert "becomes <none> (untagged)" in editor.moves_note.text()

    qtbot.keyClick(editor.tags_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.confirm.isVisible(), timeout=10000)
    assert short_id(old) in dialog.confirm_text.text() and "becomes <none>" in dialog.confirm_text.text()
    assert f"Move it to image {short_id(new)}?" in dialog.confirm_text.text()
    assert not dialog.ok_button.isEnabled() and dialog.move_button.isEnabled()
    assert cli_tags(docker_engine, unique_repo) == {"prod": old, "v2": new}  # nothing moved yet
    asked = dialog.tag_task  # the activity centre says it waits on the question, not "Done"
    assert detail(asked) == "Not tagged: 1 name would move from another image; the tag dialog asks first"

    qtbot.mouseClick(dialog.back_button, Qt.MouseButton.LeftButton)  # changed my mind
    assert not dialog.confirm.isVisible() and dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.confirm.isVisible(), timeout=10000)
    assert cli_tags(docker_engine, unique_repo) == {"prod": old, "v2": new}

    with qtbot.waitSignal(dialog.tagged, timeout=10000) as tagged:
        qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    assert tagged.args[0].tagged == (f"{unique_repo}:prod",)
    qtbot.waitUntil(lambda: dialog.tag_task.state.done, timeout=5000)
    assert detail(dialog.tag_task) == f"Tagged {unique_repo}:prod"
    assert cli_tags(docker_engine, unique_repo) == {"prod": new, "v2": new}
    dangling = docker_engine.cli("images", "-f", "dangling=true", "--no-trunc", "-q").stdout.split()
    assert old in dangling


def test_editing_after_the_question_asks_again(qtbot, session, made, recent, docker_engine, unique_repo):
    old = made.image(f"{unique_repo}:prod")
    new = made.image(f"{unique_repo}:next")
    dialog = open_dialog(qtbot, session, row_of(session, new, unique_repo), recent)
    qtbot.keyClicks(dialog.editor.tags_edit, "prod")
    qtbot.keyClick(dialog.editor.tags_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.confirm.isVisible(), timeout=10000)
    qtbot.keyClicks(dialog.editor.tags_edit, " stable")  # the question was about "prod" alone
    assert not dialog.confirm.isVisible() and not dialog.move_button.isEnabled()
    assert cli_tags(docker_engine, unique_repo) == {"prod": old, "next": new}


def test_untag_flow(qtbot, session, made, docker_engine, unique_repo):
    image = made.image(f"{unique_repo}:v1")
    docker_engine.cli("tag", image, f"{unique_repo}:latest")

    # another tag remains: removed at once
    flow = tag_actions.untag(None, session, f"{unique_repo}:latest", image)
    with qtbot.waitSignal(flow.finished, timeout=10000) as done:
        pass
    assert done.args[0].done and cli_tags(docker_engine, unique_repo) == {"v1": image}

    # the last tag of an image nothing uses: the offer to remove the image instead
    flow = tag_actions.untag(None, session, f"{unique_repo}:v1", image)
    qtbot.waitUntil(lambda: flow.message_box is not None, timeout=10000)
    box = flow.message_box
    assert box.objectName() == "untagRemoveImage"
    assert "last tag of image" in box.text() and "removing the tag removes the image" in box.text()
    assert f"Remove image {short_id(image)} instead" in box.informativeText()
    with qtbot.waitSignal(flow.finished, timeout=5000) as declined:
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert declined.args[0] is None
    assert cli_tags(docker_engine, unique_repo) == {"v1": image}

    flow = tag_actions.untag(None, session, f"{unique_repo}:v1", image)
    qtbot.waitUntil(lambda: flow.message_box is not None, timeout=10000)
    remove = flow.message_box.findChild(type(flow.message_box.button(QMessageBox.StandardButton.Cancel)),
                                        "untagRemoveImageYes")
    with qtbot.waitSignal(flow.finished, timeout=10000) as removed:
        qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    assert removed.args[0].image_deleted
    assert docker_engine.cli("image", "inspect", image, check=False).returncode != 0


def test_untag_of_an_image_in_use_explains_and_changes_nothing(qtbot, session, made, docker_engine, unique_repo):
    image = made.image(f"{unique_repo}:used")
    name = f"{unique_repo.replace('/', '-')}-user"
    made.containers.append(name)
    docker_engine.cli("create", "--name", name, image, "true")
    flow = tag_actions.untag(None, session, f"{unique_repo}:used", image)
    with qtbot.waitSignal(flow.finished, timeout=10000) as done:
        pass
    assert done.args[0] is None
    assert flow.message_box is not None and flow.message_box.objectName() == "untagMessage"
    assert f"stopped container {name}" in flow.message_box.text()
    flow.message_box.close()
    assert cli_tags(docker_engine, unique_repo) == {"used": image}


def test_recent_names_remember_repositories_and_registries(qtbot, recent):
    recent.remember(["localhost:5000/team/app:v1", "myapp:v2", "docker.io/library/myapp:v3", "Bad Name"])
    assert recent.repositories() == ["myapp", "localhost:5000/team/app"]
    assert recent.registries() == ["localhost:5000"]
    assert recent.completions(["other/app", "myapp"]) == ["myapp", "localhost:5000/team/app", "localhost:5000/",
                                                          "other/app"]
    limited = RecentNames(QSettings(recent._settings.fileName(), QSettings.Format.IniFormat), limit=2)
    limited.remember(["a", "b", "c"])
    assert limited.repositories() == ["c", "b"]


def test_completion_offers_recent_names_as_you_type(qtbot, session, made, recent, unique_repo):
    recent.remember(["localhost:5000/team/app:v1"])
    image = made.image(f"{unique_repo}:x")
    dialog = open_dialog(qtbot, session, row_of(session, image, unique_repo), recent)
    edit = dialog.editor.repo_edit
    retype(qtbot, edit, "team/a")
    completer = dialog.editor.completer
    found = [completer.completionModel().index(n, 0).data() for n in range(completer.completionModel().rowCount())]
    assert "localhost:5000/team/app" in found
    retype(qtbot, edit, unique_repo.split("/")[1][:12])
    found = [completer.completionModel().index(n, 0).data() for n in range(completer.completionModel().rowCount())]
    assert unique_repo in found  # the engine's repositories too
    completer.popup().hide()


def test_tag_action_from_the_window_selects_the_new_tag(qtbot, docker_engine, made, recent, unique_repo):
    image = made.image(f"{unique_repo}:v1.0.0")
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(docker_engine.docker_host, "user")])
    window = MainWindow(tasks, session)
    qtbot.addWidget(window)
    window.show()
    session.start()
    try:
        qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
        view = window.workspace.images_view
        row = next(r for r in window.workspace.images_model.rows() if r.id == image)
        dialog = tag_actions.tag_image(window, session, row)
        qtbot.waitUntil(lambda: dialog.editor.patch_button.isEnabled(), timeout=10000)
        qtbot.mouseClick(dialog.editor.patch_button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(dialog.tagged, timeout=10000) as tagged:
            qtbot.keyClick(dialog.editor.tags_edit, Qt.Key.Key_Return)
        result = tagged.args[0]
        tag_actions.select_when_listed(view, result.image_id, result.tagged[0])
        qtbot.waitUntil(lambda: [r.reference for r in view.selected_rows()] == [f"{unique_repo}:v1.0.1"],
                        timeout=10000)
        assert cli_tags(docker_engine, unique_repo) == {"v1.0.0": image, "v1.0.1": image}
    finally:
        window.close()
        assert tasks.shutdown(10000)
