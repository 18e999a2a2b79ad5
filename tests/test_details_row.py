"""The container details pane shows the row the list sends it and keeps no copy of its own from
the engine's events (issue 12): the list patches its row from the same events and sends it again."""

from __future__ import annotations

from dataclasses import replace

from desktop.engine.containers import ContainerRow
from desktop.engine.events import EngineEvent
from desktop.ui.container_details import TERMINAL, ContainerDetailsPane
from tests.stand_in import session  # noqa: F401 - a fixture


def test_the_rows_state_comes_from_the_list_not_from_events(qtbot, session):
    pane = ContainerDetailsPane(session)
    qtbot.addWidget(pane)
    pane.tabs.setCurrentIndex(TERMINAL)
    row = ContainerRow(id="c" * 64, name="web", image="busybox", image_id="sha256:" + "0" * 64, command="sh",
                       state="running", status="Up 3 minutes", created=0)
    pane.show_container([row])
    assert pane.row is row and pane.terminal_stack.currentWidget() is pane.terminal_page

    session.eventReceived.emit(EngineEvent("container", "die", row.id, {"exitCode": "137"}))
    assert pane.row is row  # the event alone changes nothing the pane shows of the row

    exited = replace(row, state="exited", status="Exited (137) 1 second ago")
    pane.show_container([exited])  # the list, patched from that event, sends the row again
    assert pane.row is exited
    assert pane.terminal_stack.currentWidget() is pane.not_running_page
    assert pane.not_running_message.text().startswith("web is not running")
    assert pane.subtitle.text().startswith(f"{row.short_id} · busybox · Exited (137)")
