"""The remove-containers confirmation: Force is offered, never ticked, when a selected container
is up (killing it is the person's choice), and the dialog says what happens without it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.engine.containers import ContainerRow
from desktop.ui.dialogs.remove_containers_dialog import RemoveContainersDialog


def row(name: str, state: str, status: str = "") -> ContainerRow:
    return ContainerRow(id=f"{name:0<64}"[:64], name=name, image="img", image_id="sha256:x", command="sh",
                        state=state, status=status or state, created=0)


@pytest.mark.parametrize("state", ["running", "paused", "restarting"])
def test_force_is_offered_not_ticked_for_a_container_that_is_up(qtbot, state):
    dialog = RemoveContainersDialog([row("web", state)])
    qtbot.addWidget(dialog)
    assert not dialog.force_box.isChecked() and dialog.force_box.text() == "&Kill the 1 running first (force)"
    assert dialog.note.text() == "Without force the engine refuses to remove the 1 running container; the others go."
    dialog.force_box.setChecked(True)
    assert dialog.note.text() == ""
    confirmed = []
    dialog.confirmed.connect(lambda force, volumes: confirmed.append((force, volumes)))
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert confirmed == [(True, False)]


def test_force_is_not_ticked_when_every_container_is_stopped(qtbot):
    dialog = RemoveContainersDialog([row("a", "exited", "Exited (0) 1 minute ago"), row("b", "created")])
    qtbot.addWidget(dialog)
    assert not dialog.force_box.isChecked() and dialog.force_box.text() == "&Force (kill if it started meanwhile)"
    confirmed = []
    dialog.confirmed.connect(lambda force, volumes: confirmed.append((force, volumes)))
    dialog.volumes_box.setChecked(True)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert confirmed == [(False, True)]
