"""Actions chosen while no engine is connected: each says so in the words of the operations API,
changes nothing, and a user action is kept in the activity centre while housekeeping is not
(the untag's check, the disk usage, the details). No engine is needed: the session never starts."""

import pytest
from PySide6.QtWidgets import QWidget

from desktop.engine.containers import ContainerRow
from desktop.models.activity_model import ActivityModel
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.tasks.operations import NOT_CONNECTED
from desktop.tasks.task import TaskState
from desktop.ui import tag_actions
from desktop.ui.container_actions import ContainerActions
from desktop.ui.disk_usage_widget import DiskUsageWidget


@pytest.fixture
def offline(qtbot):
    tasks = TaskManager()
    session = EngineSession(tasks, [])  # never started: not connected
    centre = ActivityModel(tasks)
    parent = QWidget()
    qtbot.addWidget(parent)
    yield session, centre, parent
    assert tasks.shutdown(5000)


def _row(name: str, state: str = "running") -> ContainerRow:
    return ContainerRow(id=f"{name:0<64}"[:64], name=name, image="img", image_id="sha256:x", command="sh",
                        state=state, status="Up 1 second", created=0)


def test_a_container_action_says_not_connected_and_is_kept_in_the_centre(qtbot, offline):
    session, centre, parent = offline
    actions = ContainerActions(session, parent)
    failed, ended = [], []
    actions.failed.connect(lambda action, error: failed.append((action, str(error))))
    actions.stopEnded.connect(ended.append)
    task = actions.stop([_row("web")])
    qtbot.waitUntil(lambda: bool(failed) and bool(ended), timeout=5000)
    assert task.state == TaskState.FAILED
    assert failed == [("stop", NOT_CONNECTED)]
    assert actions.last_message.isVisible() and actions.last_message.text() == NOT_CONNECTED
    assert ended == [[_row("web").id]]  # the row's "stopping" ends with it
    assert centre.tasks() == [task] and actions.tasks == []
    actions.last_message.close()
    assert actions.start([_row("web")]) is None  # a running container: nothing to start, nothing run


def test_an_untag_says_not_connected_and_its_check_stays_out_of_the_centre(qtbot, offline):
    session, centre, parent = offline
    flow = tag_actions.untag(parent, session, "berth-test/x:v1", "sha256:" + "0" * 64)
    with qtbot.waitSignal(flow.finished, timeout=5000) as finished:
        pass
    assert finished.args == [None] and flow.result is None
    assert flow.message == NOT_CONNECTED and flow.message_box.isVisible()
    assert flow.task.state == TaskState.FAILED
    assert centre.tasks() == []  # only the check ran, and its failure was told where it was asked
    flow.message_box.close()


def test_disk_usage_says_not_connected(qtbot, offline):
    session, centre, parent = offline
    widget = DiskUsageWidget(session, parent)
    widget.refresh()
    qtbot.waitUntil(lambda: widget.task is None, timeout=5000)
    assert widget.label.text() == "Images: not connected" and widget.toolTip() == NOT_CONNECTED
    assert widget.usage is None and widget.refresh_button.isEnabled()
    assert centre.tasks() == []
