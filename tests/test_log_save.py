"""Saving a container's log or a build log is atomic: the file appears whole or not at all, and a
failed or cancelled save leaves an existing file of that name untouched and no temporary file."""

import os
import subprocess

import pytest

from desktop.engine import logs
from desktop.engine.cancel import CancelToken
from desktop.engine.errors import BerthError, Cancelled
from desktop.tasks.manager import TaskManager
from desktop.tasks.engine_session import EngineSession
from desktop.ui.build_log_panel import BuildLogPanel

pytestmark = pytest.mark.engine

OLD = "the log saved yesterday\n"
LINES = 20000  # about 110 kB: more than the small disk below holds


@pytest.fixture(scope="module")
def long_log(docker_engine, busybox_image):
    """A stopped container whose log is LINES coloured lines."""
    name = f"berth-log-save-{os.getpid()}"
    docker_engine.cli("run", "--name", name, busybox_image, "sh", "-c",
                      f"E=$(printf '\\033'); seq 1 {LINES} | sed \"s/^/$E[32mline$E[0m /\"")
    yield docker_engine.cli("inspect", "-f", "{{.Id}}", name).stdout.strip()
    docker_engine.cli("rm", "-f", name, check=False)


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a 64 kB tmpfs: a real "no space left on device" for a bigger file."""
    folder = tmp_path / "small"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_saved_log_is_plain_text_and_replaces_the_old_file(docker_client, long_log, docker_engine, tmp_path):
    assert docker_engine.cli("logs", "--tail", "1", long_log).stdout == f"\x1b[32mline\x1b[0m {LINES}\n"
    target = tmp_path / "container.log"
    target.write_text(OLD)
    assert logs.save_logs(docker_client, long_log, str(target), False, CancelToken()) == LINES
    saved = target.read_text(encoding="utf-8").splitlines()
    assert len(saved) == LINES and saved[0] == "line 1" and saved[-1] == f"line {LINES}"
    assert os.listdir(tmp_path) == ["container.log"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would have made it


def test_a_cancelled_save_leaves_the_old_file_and_nothing_else(docker_client, long_log, tmp_path):
    target = tmp_path / "container.log"
    target.write_text(OLD)
    token = CancelToken()
    progress = []

    def cancel_after_the_first_lines(done, _total, _text):
        progress.append(done)
        token.cancel()

    with pytest.raises(Cancelled):
        logs.save_logs(docker_client, long_log, str(target), False, token, on_progress=cancel_after_the_first_lines)
    assert progress and progress[0] < LINES  # it was cancelled mid-way
    assert target.read_text() == OLD
    assert os.listdir(tmp_path) == ["container.log"]


def test_a_full_disk_fails_the_save_clearly_and_leaves_the_old_file(docker_client, long_log, small_disk):
    target = small_disk / "container.log"
    target.write_text(OLD)
    with pytest.raises(BerthError, match="The disk is full.*Nothing was saved"):
        logs.save_logs(docker_client, long_log, str(target), True, CancelToken())
    assert target.read_text() == OLD
    assert os.listdir(small_disk) == ["container.log"]


def test_a_build_log_that_does_not_fit_leaves_the_old_file(qtbot, small_disk, tmp_path):
    tasks = TaskManager()
    panel = BuildLogPanel(EngineSession(tasks, []))  # saving a log needs no engine
    qtbot.addWidget(panel)
    panel.append_lines([f"\x1b[33mbuild\x1b[0m output line {n}" for n in range(LINES)])
    target = small_disk / "build.log"
    target.write_text(OLD)
    try:
        with qtbot.waitSignal(panel.saveFailed, timeout=10000) as failed:
            panel.save_to(str(target))
        assert "The disk is full" in str(failed.args[0]) and "Nothing was saved" in panel.count_label.text()
        assert target.read_text() == OLD
        assert os.listdir(small_disk) == ["build.log"]
        # a folder with room: the whole plain text, in place of the old file
        roomy = tmp_path / "build.log"
        roomy.write_text(OLD)
        with qtbot.waitSignal(panel.saved, timeout=10000):
            panel.save_to(str(roomy))
        assert roomy.read_text(encoding="utf-8") == panel.plain_text()
        assert roomy.read_text(encoding="utf-8").startswith("build output line 0\n")
    finally:
        assert tasks.shutdown(10000)
