"""Dialog actions are operations: what a person does in a dialog (tag, rename, prune) is listed in the
activity centre with its outcome, a failure shows in the dialog AND stays in the centre, and the
dialog's own listings (tags, prune preview) stay out of it. The docker CLI is the oracle."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.engine.containers import list_containers
from desktop.models.activity_model import DETAIL_ROLE, ERROR_ROLE, ActivityModel
from desktop.tasks.task import TaskState
from desktop.ui.dialogs.prune_containers_dialog import PruneContainersDialog
from desktop.ui.dialogs.rename_dialog import RenameDialog
from desktop.ui.dialogs.tag_dialog import TagDialog
from tests.helpers import connected_session

pytestmark = pytest.mark.engine


def listed(centre: ActivityModel, title: str):
    """The centre's row for the operation called *title* (the newest), or None."""
    return next((t for t in centre.tasks() if t.title == title), None)


def row_of(session, name: str):
    rows = [r for r in list_containers(session.factory.client()) if r.name == name]
    assert len(rows) == 1
    return rows[0]


def test_tag_rename_and_prune_are_kept_in_the_activity_centre_with_their_outcome(qtbot, fresh_engine):
    engine = fresh_engine
    base = engine.ensure_busybox_base()
    image_id = engine.cli("image", "inspect", "--format", "{{.Id}}", base).stdout.strip()
    for name in ("ops-a", "ops-b"):
        engine.cli("create", "--name", name, base, "true")
    with connected_session(qtbot, engine) as session:
        centre = ActivityModel(session.tasks)

        # tag: once hidden (a background task), now a user operation
        tag = TagDialog(session, image_id, [base], repository="berth-test/ops")
        qtbot.addWidget(tag)
        tag.start()
        qtbot.waitUntil(lambda: tag.index_task.state.done and tag.editor.patch_button.isEnabled(), timeout=10000)
        tag.editor.tags_edit.setText("v1.0.0")
        with qtbot.waitSignal(tag.tagged, timeout=10000):
            qtbot.mouseClick(tag.ok_button, Qt.MouseButton.LeftButton)
        title = f"Tagging image {image_id.removeprefix('sha256:')[:12]}"
        qtbot.waitUntil(lambda: listed(centre, title) is not None and not centre.is_running(listed(centre, title)),
                        timeout=5000)
        assert listed(centre, title).state == TaskState.SUCCEEDED
        assert engine.cli("image", "inspect", "--format", "{{.Id}}", "berth-test/ops:v1.0.0").stdout.strip() == image_id
        assert listed(centre, "Listing image tags") is None  # the dialog's own listing is housekeeping

        # rename onto a taken name: the dialog says why, and the centre keeps the same error
        rename = RenameDialog(session, row_of(session, "ops-a"))
        qtbot.addWidget(rename)
        rename.name_edit.setText("ops-b")
        qtbot.mouseClick(rename.rename_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: rename.rename_button.isEnabled() and rename.status.text() != "", timeout=10000)
        failed = listed(centre, "Renaming ops-a to ops-b")
        assert failed is not None and failed.state == TaskState.FAILED
        qtbot.waitUntil(lambda: not centre.is_running(failed), timeout=5000)
        row = centre.index(centre.row_of(failed))
        assert centre.data(row, ERROR_ROLE) == rename.status.text() and "ops-b" in rename.status.text()
        assert rename.status.styleSheet()  # marked as a problem
        assert engine.cli("ps", "-a", "--filter", "name=^ops-a$", "--format", "{{.Names}}").stdout.strip() == "ops-a"
        # ... then onto a free one
        rename.name_edit.setText("ops-c")
        with qtbot.waitSignal(rename.renamed, timeout=10000):
            qtbot.mouseClick(rename.rename_button, Qt.MouseButton.LeftButton)
        renamed = listed(centre, "Renaming ops-a to ops-c")
        qtbot.waitUntil(lambda: not centre.is_running(renamed), timeout=5000)
        assert renamed.state == TaskState.SUCCEEDED
        assert centre.data(centre.index(centre.row_of(renamed)), DETAIL_ROLE) == "Done"

        # prune the two stopped containers
        prune = PruneContainersDialog(session)
        qtbot.addWidget(prune)
        prune.start()
        qtbot.waitUntil(prune.prune_button.isEnabled, timeout=10000)
        with qtbot.waitSignal(prune.pruned, timeout=15000):
            qtbot.mouseClick(prune.prune_button, Qt.MouseButton.LeftButton)
        pruned = listed(centre, "Pruning 2 stopped containers")
        qtbot.waitUntil(lambda: not centre.is_running(pruned), timeout=5000)
        assert pruned.state == TaskState.SUCCEEDED
        assert listed(centre, "Listing stopped containers") is None
        assert engine.cli("ps", "-aq").stdout.strip() == ""
        assert [t.title for t in centre.tasks()] == ["Pruning 2 stopped containers", "Renaming ops-a to ops-c",
                                                     "Renaming ops-a to ops-b", title]
