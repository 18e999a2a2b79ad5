"""``docker image prune`` against real engines: the preview lists what goes and estimates the space,
the prune reports the engine's own figure, and the dialog drives both. The CLI is the oracle.

Pruning removes every dangling image of an engine, so these tests run on a fresh engine of their
own and leave the shared one alone."""


import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from desktop.engine.connection import Endpoint
from desktop.engine.prune import preview_prune, prune_listed
from desktop.models.formatting import human_size
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.tasks.task import TaskState
from desktop.ui.dialogs.prune_dialog import confirm_and_prune
from tests.helpers import frozen

pytestmark = pytest.mark.engine


@pytest.fixture
def engine(fresh_engine):
    fresh_engine.ensure_busybox_base()
    return fresh_engine


@pytest.fixture
def client(engine):
    import docker

    client = docker.DockerClient(base_url=engine.docker_host, version="auto", timeout=120)
    yield client
    client.close()


def make_dangling(engine, tag, payload_bytes):
    """Build *tag* twice with different content: the first build loses the tag and dangles.
    Each build adds its own payload layer and a tiny one on top (two untagged images per build)."""
    old = engine.build_busybox_image(tag, [f"RUN head -c {payload_bytes} /dev/urandom > /payload",
                                           "RUN echo old > /which"])
    new = engine.build_busybox_image(tag, ["RUN echo new > /which"])
    assert old != new
    return old


def cli_dangling(engine):
    return set(engine.cli("images", "-q", "--no-trunc", "--filter", "dangling=true").stdout.split())


def test_preview_then_prune_reclaims_what_was_estimated(engine, client):
    first = make_dangling(engine, "prune/a:1", 300_000)
    second = make_dangling(engine, "prune/b:1", 200_000)
    used = make_dangling(engine, "prune/c:1", 100_000)
    engine.cli("create", "--name", "keeps-it", used, "true")
    assert cli_dangling(engine) == {first, second, used}

    preview = preview_prune(client)
    assert {c.id for c in preview.images} == {first, second}  # a container's image is not pruned
    by_id = {c.id: c for c in preview.images}
    # each frees its own payload layer and the tiny layer above it (the 'echo' writes 4 bytes)
    assert by_id[first].frees == 300_000 + 4 and by_id[second].frees == 200_000 + 4
    assert by_id[first].size == int(engine.cli("image", "inspect", "-f", "{{.Size}}", first).stdout)
    assert preview.exact and preview.estimated_reclaim == 500_008
    assert preview.total_size == by_id[first].size + by_id[second].size

    result = prune_listed(client, preview)
    assert result.space_reclaimed == preview.estimated_reclaim
    assert sorted(result.removed([first, second, used])) == sorted([first, second])
    assert len(result.deleted) == 8  # two images per build, each with its layer
    assert cli_dangling(engine) == {used}
    assert engine.cli("image", "inspect", "prune/a:1", check=False).returncode == 0  # tags stay

    again = preview_prune(client)
    assert again.images == () and again.estimated_reclaim == 0
    assert prune_listed(client, again).space_reclaimed == 0


def test_a_parent_shared_by_two_dangling_images_counts_once(engine, client):
    # the classic builder's cache gives both builds the same payload image as parent
    payload = "RUN head -c 250000 /dev/urandom > /payload"
    old_a = engine.build_busybox_image("prune/shared-a:1", [payload, "RUN echo a > /which"])
    old_b = engine.build_busybox_image("prune/shared-b:1", [payload, "RUN echo b > /which"])
    parent = engine.cli("inspect", "-f", "{{.Parent}}", old_a).stdout.strip()
    assert parent == engine.cli("inspect", "-f", "{{.Parent}}", old_b).stdout.strip()
    engine.build_busybox_image("prune/shared-a:1", ["RUN echo new-a > /which"])
    engine.build_busybox_image("prune/shared-b:1", ["RUN echo new-b > /which"])

    preview = preview_prune(client)
    by_id = {c.id: c for c in preview.images}
    assert set(by_id) == {old_a, old_b}
    assert by_id[old_a].frees == 2 and by_id[old_b].frees == 2  # the shared parent belongs to neither
    assert preview.estimated_reclaim == 250_000 + 2 + 2 and preview.exact
    result = prune_listed(client, preview)
    assert result.space_reclaimed == preview.estimated_reclaim
    assert parent in result.deleted and cli_dangling(engine) == set()


def test_images_without_parent_links_are_an_upper_bound(engine, client, tmp_path):
    # a saved and loaded image has no parent link: its whole size counts, and the preview says so
    old = make_dangling(engine, "prune/loaded:1", 50_000)
    archive = tmp_path / "old.tar"
    engine.cli("save", "-o", str(archive), old)
    engine.cli("rmi", old)
    engine.cli("load", "-q", "-i", str(archive))
    assert cli_dangling(engine) == {old}

    preview = preview_prune(client)
    [candidate] = preview.images
    assert candidate.id == old and not preview.exact
    assert candidate.frees == candidate.size == preview.estimated_reclaim
    result = prune_listed(client, preview)
    assert old in result.deleted and not result.exact
    assert 50_000 < result.space_reclaimed <= preview.estimated_reclaim
    assert cli_dangling(engine) == set()


@pytest.fixture
def session(qtbot, engine):
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
    session.start()
    qtbot.waitUntil(lambda: session.state == "connected", timeout=10000)
    yield session
    session.stop()
    assert tasks.shutdown(10000)


def test_prune_dialog_preview_confirm_and_engine_figure(qtbot, engine, session):
    first = make_dangling(engine, "prune/d:1", 120_000)
    second = make_dangling(engine, "prune/e:1", 80_000)
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()

    dialog = confirm_and_prune(parent, session)
    assert dialog.status.text() == "Checking…" and not dialog.prune_button.isEnabled()
    qtbot.waitUntil(dialog.prune_button.isEnabled, timeout=10000)
    shown = {dialog.images.topLevelItem(n).text(0): dialog.images.topLevelItem(n).text(3)
             for n in range(dialog.images.topLevelItemCount())}
    assert shown == {first[7:19]: human_size(120_004), second[7:19]: human_size(80_004)}
    assert dialog.status.text() == ("2 dangling images (untagged, and no container uses them). Pruning removes "
                                    f"exactly these and frees about {human_size(200_008)}.")
    assert dialog.cancel_button.isDefault()

    with qtbot.waitSignal(dialog.pruned, timeout=20000) as blocker:
        QTest.mouseClick(dialog.prune_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result.space_reclaimed == 200_008
    assert dialog.status.text() == f"Reclaimed {human_size(200_008)}; removed 2 of 2 dangling images."
    assert cli_dangling(engine) == set()
    # the task reaches the manager's "recent" list when its finished signal (after succeeded) is handled
    qtbot.waitUntil(lambda: any(t.title == "Pruning dangling images" for t in session.tasks.recent), timeout=5000)
    [task] = [t for t in session.tasks.recent if t.title == "Pruning dangling images"]
    assert task.state is TaskState.SUCCEEDED
    QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)  # now "Close"
    assert not dialog.isVisible()


def test_prune_removes_only_what_the_preview_listed(qtbot, engine, session):
    """After the preview, one listed image is tagged and a new image turns dangling: the prune
    leaves both, the CLI still shows them, and the result says so."""
    listed = make_dangling(engine, "prune/f:1", 10_000)
    tagged = make_dangling(engine, "prune/g:1", 11_000)
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    dialog = confirm_and_prune(parent, session)
    qtbot.waitUntil(dialog.prune_button.isEnabled, timeout=10000)
    assert {c.id for c in dialog.preview.images} == {listed, tagged}

    engine.cli("tag", tagged, "prune/kept:1")
    late = make_dangling(engine, "prune/h:1", 12_000)  # dangling only after the preview
    with qtbot.waitSignal(dialog.pruned, timeout=20000) as blocker:
        QTest.mouseClick(dialog.prune_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert cli_dangling(engine) == {late}
    assert engine.cli("image", "inspect", "prune/kept:1", check=False).returncode == 0
    assert result.removed([listed, tagged, late]) == [listed] and result.appeared == (late,)
    text = dialog.status.text()
    assert text.startswith("Reclaimed ") and "removed 1 of 2 dangling images" in text
    assert f"{tagged[7:19]} was tagged since the preview (prune/kept:1); left alone." in text
    assert (f"1 dangling image appeared after the preview and was left alone ({late[7:19]}): check again to "
            "prune it.") in text
    rows = {dialog.images.topLevelItem(n).text(0): dialog.images.topLevelItem(n).text(1)
            for n in range(dialog.images.topLevelItemCount())}
    assert rows == {listed[7:19]: "removed", tagged[7:19]: "was tagged since the preview (prune/kept:1); left alone"}
    engine.cli("rmi", "prune/kept:1")


def test_prune_dialog_with_nothing_dangling_and_cancel(qtbot, engine, session):
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    dialog = confirm_and_prune(parent, session)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    assert dialog.status.text() == "There are no dangling images: nothing to prune."
    assert not dialog.prune_button.isEnabled() and dialog.images.topLevelItemCount() == 0
    with qtbot.waitSignal(dialog.rejected, timeout=5000):
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not [t for t in session.tasks.recent if t.title == "Pruning dangling images"]


def test_cancel_ends_a_prune_the_stalled_engine_never_answers(qtbot, engine, session):
    """dockerd freezes (SIGSTOP) before Prune is clicked; Cancel ends the prune within seconds and
    the dialog says what became of each listed image; nothing went."""
    first = make_dangling(engine, "prune/i:1", 13_000)
    second = make_dangling(engine, "prune/j:1", 14_000)
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    dialog = confirm_and_prune(parent, session)
    qtbot.waitUntil(dialog.prune_button.isEnabled, timeout=10000)
    with frozen(engine):
        QTest.mouseClick(dialog.prune_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.prune_task.state is TaskState.RUNNING, timeout=10000)
        QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and not dialog.cancel_button.isEnabled()
        with qtbot.waitSignal(dialog.pruned, timeout=5000) as blocker:
            pass
    result = blocker.args[0]
    assert result.cancelled and result.deleted == () and dialog.prune_task.state is TaskState.CANCELLED
    assert dialog.status.text().startswith("Cancelled. Reclaimed ") and "removed 0 of 2" in dialog.status.text()
    assert dialog.cancel_button.text() == "&Close" and dialog.cancel_button.isEnabled()
    assert cli_dangling(engine) == {first, second}
