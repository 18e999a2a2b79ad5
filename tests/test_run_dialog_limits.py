"""The Run dialog shows run_spec's sentence for a limit the engine would refuse, before anything
is sent (it used to pass ``99999999999999p`` and ``1e400`` on to a JSON error at create)."""

from __future__ import annotations

import pytest

from desktop.ui.dialogs.run_dialog import RunDialog
from tests.helpers import connected_session

pytestmark = pytest.mark.engine


@pytest.mark.parametrize("field, text, words", [
    ("memory_edit", "99999999999999p",
     "The memory limit 99999999999999p is more than the engine can take: give less than 8 EiB (8192p)."),
    ("cpus_edit", "1e400", "The number of CPUs 1e400 is more than the engine can take (at most 9,223,372,036)."),
    ("cpus_edit", "inf", "“inf” is not a number of CPUs (e.g. 0.5 or 2)."),
])
def test_a_limit_beyond_the_engine_is_refused_in_the_dialog(qtbot, docker_engine, busybox_image, field, text, words):
    with connected_session(qtbot, docker_engine) as session:
        dialog = RunDialog(session, busybox_image)
        qtbot.addWidget(dialog)
        dialog.start()
        dialog.show()
        qtbot.waitUntil(lambda: dialog.defaults is not None, timeout=10000)
        assert dialog.run_button.isEnabled(), dialog.problems.text()
        edit = getattr(dialog, field)
        qtbot.keyClicks(edit, text)
        assert not dialog.run_button.isEnabled()
        assert words in dialog.problems.text().splitlines()
        assert dialog.run() is None and dialog.run_task is None  # nothing is sent
        edit.clear()
        qtbot.keyClicks(edit, "2" if field == "cpus_edit" else "64m")
        assert dialog.run_button.isEnabled(), dialog.problems.text()
        dialog.close()
