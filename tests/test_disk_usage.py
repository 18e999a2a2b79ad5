"""Disk usage against a real engine, row for row what ``docker system df`` prints, and the widget
that measures it only when asked."""

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from desktop.engine.connection import Endpoint
from desktop.engine.disk_usage import disk_usage
from desktop.models.formatting import human_size
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui.disk_usage_widget import DiskUsageWidget

pytestmark = pytest.mark.engine


def cli_df(engine):
    rows = [json.loads(line) for line in engine.cli("system", "df", "--format", "{{json .}}").stdout.splitlines()]
    return {row["Type"]: row for row in rows}


def go_size(n):
    return human_size(n, precision=4)  # the CLI's go-units HumanSize: four significant digits


def as_cli(line):
    reclaimable = go_size(line.reclaimable)
    if line.reclaimable_percent is not None:
        reclaimable += f" ({line.reclaimable_percent}%)"
    return {"Type": line.kind, "TotalCount": str(line.total_count), "Active": str(line.active),
            "Size": go_size(line.size), "Reclaimable": reclaimable}


@pytest.fixture
def engine(fresh_engine):
    fresh_engine.ensure_busybox_base()
    return fresh_engine


def test_every_row_matches_docker_system_df(engine):
    import docker

    engine.build_busybox_image("du/used:1", ["RUN head -c 400000 /dev/urandom > /big"])
    engine.build_busybox_image("du/idle:1", ["RUN head -c 100000 /dev/urandom > /small"])
    engine.cli("volume", "create", "du-idle")
    engine.cli("run", "--name", "du-writer", "-v", "du-data:/data", "du/used:1", "sh", "-c",
               "head -c 30000 /dev/urandom > /data/f; head -c 20000 /dev/urandom > /rw")
    engine.cli("run", "-d", "--name", "du-running", "du/used:1", "sleep", "3600")
    client = docker.DockerClient(base_url=engine.docker_host, version="auto", timeout=120)
    try:
        usage = disk_usage(client)
    finally:
        client.close()
    try:
        expected = cli_df(engine)
        assert as_cli(usage.images) == expected["Images"]
        assert as_cli(usage.containers) == expected["Containers"]
        assert as_cli(usage.volumes) == expected["Local Volumes"]
        assert as_cli(usage.build_cache) == expected["Build Cache"]
        # and in numbers: three images (busybox base, used, idle), the used one active
        assert (usage.images.total_count, usage.images.active) == (3, 1)
        assert usage.images.size >= 1_900_000 + 400_000 + 100_000
        assert (usage.containers.total_count, usage.containers.active) == (2, 1)
        assert usage.containers.reclaimable >= 20_000  # the exited writer's layer
        assert (usage.volumes.total_count, usage.volumes.active) == (2, 1)  # du-data is still referenced
        assert usage.volumes.size >= 30_000 and usage.volumes.reclaimable == 0  # du-idle is empty
    finally:
        engine.cli("rm", "-f", "du-running", "du-writer")


def test_widget_measures_when_shown_when_asked_and_after_image_events(qtbot, docker_engine, busybox_image,
                                                                      unique_repo):
    docker_engine.build_busybox_image(f"{unique_repo}:first", [f"RUN echo {unique_repo} > /f"])
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(docker_engine.docker_host, "user")])
    session.start()
    qtbot.waitUntil(lambda: session.state == "connected", timeout=10000)
    parent = QWidget()
    qtbot.addWidget(parent)
    widget = DiskUsageWidget(session, parent)
    measured = []
    widget.loaded.connect(measured.append)
    try:
        assert widget.task is None and widget.usage is None  # not shown: nothing measured
        with qtbot.waitSignal(widget.loaded, timeout=20000) as blocker:
            parent.show()
        usage = blocker.args[0]
        expected = cli_df(docker_engine)["Images"]
        assert usage.images.total_count >= 2 and str(usage.images.total_count) == expected["TotalCount"]
        assert go_size(usage.images.size) == expected["Size"]
        assert widget.label.text() == (f"Images: {usage.images.total_count} ({human_size(usage.images.size)}), "
                                       f"reclaimable {human_size(usage.images.reclaimable)} "
                                       f"({usage.images.reclaimable_percent}%)")
        tip = widget.toolTip().splitlines()
        assert tip[0].startswith(f"Images: {usage.images.total_count} (")
        assert len(tip) == 5 and tip[-1].startswith("Measured 20")  # when: the figures are a snapshot

        # a new image (built with the CLI): the line follows, once the burst of events is quiet
        docker_engine.build_busybox_image(f"{unique_repo}:new", [f"RUN echo {unique_repo} > /n"])
        qtbot.waitUntil(lambda: widget.usage is not None and widget.usage.images.total_count
                        == usage.images.total_count + 1 and widget.task is None, timeout=20000)
        assert widget.label.text().startswith(f"Images: {usage.images.total_count + 1} (")

        # removed with the CLI: the line shows the engine's new count
        count = len(measured)
        docker_engine.cli("rmi", f"{unique_repo}:new")
        qtbot.waitUntil(lambda: len(measured) > count and widget.task is None and not widget.stale, timeout=20000)
        expected = cli_df(docker_engine)["Images"]
        assert widget.label.text().startswith(f"Images: {expected['TotalCount']} (")
        assert widget.usage.images.total_count == usage.images.total_count

        # hidden: an image event is noted, not measured, until the line is shown again
        count = len(measured)
        parent.hide()
        docker_engine.cli("tag", f"{unique_repo}:first", f"{unique_repo}:hidden")
        qtbot.waitUntil(lambda: widget.stale, timeout=10000)
        assert widget.task is None and len(measured) == count
        with qtbot.waitSignal(widget.loaded, timeout=20000):
            parent.show()  # shown again: measured at once
        assert not widget.stale
        qtbot.waitUntil(lambda: widget.task is None, timeout=5000)  # that measurement's end arrives after its answer

        with qtbot.waitSignal(widget.loaded, timeout=20000) as blocker:
            QTest.mouseClick(widget.refresh_button, Qt.MouseButton.LeftButton)
            assert not widget.refresh_button.isEnabled()  # one measurement at a time
        assert blocker.args[0].images.total_count == usage.images.total_count
        qtbot.waitUntil(widget.refresh_button.isEnabled, timeout=5000)
    finally:
        docker_engine.cli("rmi", f"{unique_repo}:new", f"{unique_repo}:hidden", f"{unique_repo}:first", check=False)
        session.stop()
        assert tasks.shutdown(10000)
