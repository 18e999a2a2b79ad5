"""Removing images against the real engine: untag vs delete, containers in the way, force, images
another client removed first, and the confirmation dialog driven by clicks. The CLI is the oracle."""

import itertools
import json
import os
import signal
import threading
import time

import docker

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from desktop.engine.cancel import CancelToken
from desktop.engine.connection import Endpoint
from desktop.engine.image_removal import Action, Outcome, carry_out, execute_removal, plan_removal
from desktop.engine.images import list_images
from desktop.models.formatting import human_size
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.tasks.task import TaskState
from desktop.ui.dialogs.remove_images_dialog import RemoveImagesDialog, confirm_and_remove
from tests.helpers import connected_session, run_until_blocked, frozen

pytestmark = pytest.mark.engine
_builds = itertools.count(1)


@pytest.fixture
def made(docker_engine):
    """Builds images and containers for one test, and removes whatever is left of them after."""

    class Made:
        def __init__(self):
            self.images: list[str] = []  # removed in this order at the end
            self.containers: list[str] = []

        def image(self, tag):
            image_id = docker_engine.build_busybox_image(tag, [f"RUN echo {tag} {next(_builds)} > /which"])
            self.images.append(image_id)
            return image_id

        def container(self, name, image, *args, run=False):
            self.containers.append(name)
            if run:
                docker_engine.cli("run", "-d", "--name", name, image, *args)
            else:
                docker_engine.cli("create", "--name", name, image, *args)
            return name

    m = Made()
    yield m
    for name in m.containers:
        docker_engine.cli("rm", "-f", name, check=False)  # busybox ignores SIGTERM as PID 1: kill it
    for image_id in m.images:
        docker_engine.cli("rmi", "-f", image_id, check=False)


def cli_tags(engine, repo):
    out = engine.cli("images", repo, "--no-trunc", "--format", "{{json .}}").stdout
    return {(json.loads(line)["Tag"], json.loads(line)["ID"]) for line in out.splitlines()}


def image_exists(engine, ref):
    return engine.cli("image", "inspect", ref, check=False).returncode == 0


def cli_containers(engine, name):
    out = engine.cli("ps", "-a", "--filter", f"name=^/{name}$", "--format", "{{.Names}} {{.State}}").stdout
    return out.split()


def rows_of(client, *refs):
    rows = {r.reference: r for r in list_images(client)}
    return [rows[ref] for ref in refs]


def test_untagging_one_of_two_tags_keeps_the_image(docker_engine, docker_client, made, unique_repo):
    image_id = made.image(f"{unique_repo}:one")
    docker_engine.cli("tag", f"{unique_repo}:one", f"{unique_repo}:two")
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:one"))
    assert [(i.action, i.references, i.keeps) for i in plan.items] == [
        (Action.UNTAG, (f"{unique_repo}:one",), (f"{unique_repo}:two",))]

    report = execute_removal(docker_client, plan)
    [result] = report.results
    assert result.outcome is Outcome.UNTAGGED
    assert result.message == f"Untagged {unique_repo}:one; the image stays with {unique_repo}:two."
    assert result.untagged == (f"{unique_repo}:one",) and result.deleted == ()
    assert cli_tags(docker_engine, unique_repo) == {("two", image_id)}


def test_removing_the_last_tag_deletes_the_image(docker_engine, docker_client, made, unique_repo):
    image_id = made.image(f"{unique_repo}:only")
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:only"))
    [item] = plan.items
    assert item.action is Action.DELETE and item.containers == () and item.size > 0

    [result] = execute_removal(docker_client, plan).results
    assert result.outcome is Outcome.DELETED
    assert image_id in result.deleted and result.untagged == (f"{unique_repo}:only",)
    assert result.message == f"Deleted image {image_id[7:19]} ({unique_repo}:only)."
    assert not image_exists(docker_engine, image_id)


def test_selecting_every_tag_deletes_the_image_once(docker_engine, docker_client, made, unique_repo):
    image_id = made.image(f"{unique_repo}:a")
    docker_engine.cli("tag", f"{unique_repo}:a", f"{unique_repo}:b")
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:b", f"{unique_repo}:a"))
    assert [(i.action, i.references) for i in plan.items] == [
        (Action.DELETE, (f"{unique_repo}:b", f"{unique_repo}:a"))]
    [result] = execute_removal(docker_client, plan).results
    assert result.outcome is Outcome.DELETED and image_id in result.deleted
    assert set(result.untagged) == {f"{unique_repo}:a", f"{unique_repo}:b"}
    assert cli_tags(docker_engine, unique_repo) == set()


def test_one_image_in_use_does_not_stop_the_others(docker_engine, docker_client, made, unique_repo):
    first = made.image(f"{unique_repo}:first")
    used = made.image(f"{unique_repo}:used")
    last = made.image(f"{unique_repo}:last")
    name = made.container(f"{unique_repo.replace('/', '-')}-user", f"{unique_repo}:used", "true")
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:first", f"{unique_repo}:used",
                                                f"{unique_repo}:last"))
    assert [i.action for i in plan.items] == [Action.DELETE] * 3
    assert [(c.name, c.state, c.running) for c in plan.items[1].containers] == [(name, "created", False)]
    assert plan.in_use == (plan.items[1],) and plan.has_stopped_users and not plan.has_running_users

    report = execute_removal(docker_client, plan)
    assert [r.outcome for r in report.results] == [Outcome.DELETED, Outcome.REFUSED_IN_USE, Outcome.DELETED]
    assert report.results[1].message == (
        f"Not removed: image {used[7:19]} is used by stopped container {name}. "
        "Force the removal, or remove the stopped containers first.")
    assert report.summary == "2 deleted, 1 in use"
    assert report.problems == (report.results[1],)
    assert cli_tags(docker_engine, unique_repo) == {("used", used)}
    assert not image_exists(docker_engine, first) and not image_exists(docker_engine, last)


def test_stopped_container_refused_then_forced(docker_engine, docker_client, made, unique_repo):
    image_id = made.image(f"{unique_repo}:x")
    name = made.container(f"{unique_repo.replace('/', '-')}-stopped", f"{unique_repo}:x", "true")
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:x"))

    [refused] = execute_removal(docker_client, plan).results
    assert refused.outcome is Outcome.REFUSED_IN_USE and name in refused.message
    assert image_exists(docker_engine, image_id)

    [forced] = execute_removal(docker_client, plan, force=True).results
    assert forced.outcome is Outcome.DELETED and image_id in forced.deleted
    assert not image_exists(docker_engine, image_id)
    assert cli_containers(docker_engine, name) == [name, "created"]  # the container stays, imageless


def test_stopped_containers_removed_first(docker_engine, docker_client, made, unique_repo):
    image_id = made.image(f"{unique_repo}:x")
    prefix = unique_repo.replace("/", "-")
    names = [made.container(f"{prefix}-{n}", f"{unique_repo}:x", "true") for n in (1, 2)]
    docker_engine.cli("start", "-a", names[1])  # one created, one exited
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:x"))
    assert sorted((c.name, c.state) for c in plan.items[0].containers) == [(names[0], "created"),
                                                                            (names[1], "exited")]

    [result] = execute_removal(docker_client, plan, remove_stopped_containers=True).results
    assert result.outcome is Outcome.DELETED, result.message
    assert sorted(result.removed_containers) == sorted(names)
    assert result.message.startswith("Removed stopped containers ")
    assert all(cli_containers(docker_engine, n) == [] for n in names)
    assert not image_exists(docker_engine, image_id)


def test_running_container_blocks_delete_and_force_only_untags(docker_engine, docker_client, made, unique_repo):
    image_id = made.image(f"{unique_repo}:x")
    name = made.container(f"{unique_repo.replace('/', '-')}-running", f"{unique_repo}:x", "sleep", "3600", run=True)
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:x"))
    [item] = plan.items
    assert [(c.name, c.running) for c in item.running_containers] == [(name, True)] and plan.has_running_users

    # remove-stopped-first alone does not help against a running container, and removes nothing
    [refused] = execute_removal(docker_client, plan, remove_stopped_containers=True).results
    assert refused.outcome is Outcome.REFUSED_IN_USE
    assert refused.message == (f"Not removed: image {image_id[7:19]} is used by running container {name}. "
                               "While a container runs on it, forcing removes only the tag.")
    assert cli_tags(docker_engine, unique_repo) == {("x", image_id)}

    [forced] = execute_removal(docker_client, plan, force=True).results
    assert forced.outcome is Outcome.UNTAGGED
    assert forced.message == (f"Untagged {unique_repo}:x; image {image_id[7:19]} stays because running "
                              f"container {name} uses it.")
    assert cli_tags(docker_engine, unique_repo) == set()
    assert image_exists(docker_engine, image_id)  # untagged, still under the running container
    assert cli_containers(docker_engine, name) == [name, "running"]

    # now untagged: by id, not even force deletes it
    untagged_row = [r for r in list_images(docker_client) if r.id == image_id]
    plan = plan_removal(docker_client, untagged_row)
    assert [(i.action, i.references, i.label) for i in plan.items] == [(Action.DELETE, (), image_id[7:19])]
    [by_id] = execute_removal(docker_client, plan, force=True).results
    assert by_id.outcome is Outcome.REFUSED_IN_USE
    assert by_id.message.endswith("Even a forced removal cannot delete it while a container runs on it: "
                                  "stop the container first.")
    assert image_exists(docker_engine, image_id)


def test_an_image_others_are_built_on_only_loses_its_tag(docker_engine, docker_client, made, unique_repo,
                                                         tmp_path):
    base = made.image(f"{unique_repo}:base")
    (tmp_path / "Dockerfile").write_text(f"FROM {unique_repo}:base\nRUN echo child > /child\n")
    docker_engine.cli("build", "-q", "-t", f"{unique_repo}:child", str(tmp_path))
    made.images.insert(0, docker_engine.cli("inspect", "-f", "{{.Id}}", f"{unique_repo}:child").stdout.strip())
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:base"))
    [item] = plan.items
    assert (item.action, item.children) == (Action.DELETE, 1)

    [result] = execute_removal(docker_client, plan).results
    assert result.outcome is Outcome.UNTAGGED
    assert result.message == (f"Untagged {unique_repo}:base; image {base[7:19]} stays because other images "
                              "are built on it.")
    assert image_exists(docker_engine, base) and not image_exists(docker_engine, f"{unique_repo}:base")


def test_engine_refusal_the_plan_did_not_foresee_names_the_container(docker_engine, docker_client, made,
                                                                     unique_repo):
    made.image(f"{unique_repo}:x")
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:x"))
    assert plan.items[0].containers == ()
    name = made.container(f"{unique_repo.replace('/', '-')}-late", f"{unique_repo}:x", "true")
    # as if the container came between the check and the removal: the engine's 409 is worded
    result = carry_out(docker_client, plan.items[0], force=False, remove_stopped=False, users=[])
    assert result.outcome is Outcome.REFUSED_IN_USE
    assert f"stopped container {name}" in result.message
    assert image_exists(docker_engine, f"{unique_repo}:x")


def test_images_removed_by_another_client(docker_engine, docker_client, made, unique_repo):
    made.image(f"{unique_repo}:early")
    made.image(f"{unique_repo}:late")
    rows = rows_of(docker_client, f"{unique_repo}:early", f"{unique_repo}:late")
    docker_engine.cli("rmi", f"{unique_repo}:early")  # gone before the plan
    plan = plan_removal(docker_client, rows)
    assert [i.action for i in plan.items] == [Action.GONE, Action.DELETE]
    docker_engine.cli("rmi", f"{unique_repo}:late")  # gone between the plan and the removal

    report = execute_removal(docker_client, plan)
    assert [(r.outcome, r.message) for r in report.results] == [
        (Outcome.NOT_FOUND, f"{unique_repo}:early was already removed (by another program or user)."),
        (Outcome.NOT_FOUND, f"{unique_repo}:late was already removed (by another program or user)."),
    ]
    assert report.problems == () and report.summary == "2 already gone"


def test_a_tag_moved_to_another_image_is_left_alone(docker_engine, docker_client, made, unique_repo):
    old = made.image(f"{unique_repo}:latest")
    rows = rows_of(docker_client, f"{unique_repo}:latest")
    plan = plan_removal(docker_client, rows)
    new = made.image(f"{unique_repo}:latest")  # a build moves the tag
    assert new != old
    [result] = execute_removal(docker_client, plan).results
    assert result.outcome is Outcome.NOT_FOUND
    assert result.message == f"{unique_repo}:latest now names another image (tagged again since); left alone."
    assert cli_tags(docker_engine, unique_repo) == {("latest", new)}
    # planned after the move, the stale row is recognised as no longer naming its image
    [item] = plan_removal(docker_client, rows).items
    assert item.action is Action.GONE
    assert item.reason == f"no longer names image {old[7:19]} (tagged again since); left alone"
    assert cli_tags(docker_engine, unique_repo) == {("latest", new)}


def test_cancel_before_an_image_leaves_it_and_the_rest(docker_engine, docker_client, made, unique_repo):
    ids = [made.image(f"{unique_repo}:{n}") for n in (1, 2, 3)]
    plan = plan_removal(docker_client, rows_of(docker_client, *(f"{unique_repo}:{n}" for n in (1, 2, 3))))
    token = CancelToken()
    seen = []

    def progress(done, total, text):
        seen.append((done, total, text))
        if done == 1:
            token.cancel()  # the first image is gone, the second about to go

    report = execute_removal(docker_client, plan, token=token, on_progress=progress)
    assert report.cancelled
    assert [(r.outcome, r.message) for r in report.results] == [
        (Outcome.DELETED, f"Deleted image {ids[0][7:19]} ({unique_repo}:1)."),
        (Outcome.INTERRUPTED, "Not removed: cancelled before the engine was asked to remove it."),
        (Outcome.SKIPPED, "Not attempted: the removal was cancelled."),
    ]
    assert seen == [(0, 3, f"Removing {unique_repo}:1"), (1, 3, f"Removing {unique_repo}:2")]
    assert cli_tags(docker_engine, unique_repo) == {("2", ids[1]), ("3", ids[2])}


def test_containers_created_or_stopped_since_the_plan_are_left_alone(docker_engine, docker_client, made,
                                                                      unique_repo):
    """Force and remove-stopped-first act only on what the plan showed: an image whose containers
    changed since is left alone (with every container), and the result says what changed."""
    prefix = unique_repo.replace("/", "-")
    made.image(f"{unique_repo}:created")
    made.image(f"{unique_repo}:stopped")
    plain = made.image(f"{unique_repo}:plain")
    planned = made.container(f"{prefix}-planned", f"{unique_repo}:created", "true")
    runner = made.container(f"{prefix}-runner", f"{unique_repo}:stopped", "sleep", "3600", run=True)
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:created", f"{unique_repo}:stopped",
                                                f"{unique_repo}:plain"))
    assert [[c.name for c in i.containers] for i in plan.items] == [[planned], [runner], []]

    late = made.container(f"{prefix}-late", f"{unique_repo}:created", "true")  # after the dialog listed them
    docker_engine.cli("kill", runner)
    report = execute_removal(docker_client, plan, force=True, remove_stopped_containers=True)
    assert [r.outcome for r in report.results] == [Outcome.CHANGED, Outcome.CHANGED, Outcome.DELETED]
    assert report.results[0].message == (
        f"Left alone: since the check, stopped container {late} was created from it. "
        "Select it again to see what removing it does now.")
    assert report.results[1].message.startswith(f"Left alone: since the check, container {runner} stopped.")
    assert report.results[0].removed_containers == () and report.problems == report.results[:2]
    assert report.summary == "1 deleted, 2 changed since the check"
    # the CLI: every container is still there, and so are both images; the unchanged one went
    assert cli_containers(docker_engine, planned) == [planned, "created"]
    assert cli_containers(docker_engine, late) == [late, "created"]
    assert cli_containers(docker_engine, runner) == [runner, "exited"]
    assert image_exists(docker_engine, f"{unique_repo}:created") and image_exists(docker_engine, f"{unique_repo}:stopped")
    assert not image_exists(docker_engine, plain)


def test_an_untag_that_would_now_delete_the_image_is_left_alone(docker_engine, docker_client, made, unique_repo):
    image_id = made.image(f"{unique_repo}:one")
    docker_engine.cli("tag", f"{unique_repo}:one", f"{unique_repo}:two")
    plan = plan_removal(docker_client, rows_of(docker_client, f"{unique_repo}:one"))
    assert plan.items[0].action is Action.UNTAG
    docker_engine.cli("rmi", f"{unique_repo}:two")  # its other tag goes after the plan
    [result] = execute_removal(docker_client, plan).results
    assert result.outcome is Outcome.CHANGED
    assert result.message.startswith(f"Left alone: since the check, its other tags ({unique_repo}:two) were "
                                     "removed, so untagging it now would delete the image.")
    assert cli_tags(docker_engine, unique_repo) == {("one", image_id)}


def test_cancel_ends_a_removal_the_stalled_engine_never_answers(fresh_engine):
    """dockerd stops (SIGSTOP) after the first image: the second image's request hangs. Cancel
    ends it at once, and the report says per image what was and was not removed."""
    fresh_engine.ensure_busybox_base()
    repo = "berth-test/frozen-removal"
    ids = [fresh_engine.build_busybox_image(f"{repo}:{n}", [f"RUN echo {n} > /which"]) for n in (1, 2, 3)]
    client = docker.DockerClient(base_url=fresh_engine.docker_host, version="auto", timeout=None)
    plan = plan_removal(client, rows_of(client, *(f"{repo}:{n}" for n in (1, 2, 3))))
    token = CancelToken()
    frozen = threading.Event()

    def progress(done, total, text):
        if done == 1:
            os.kill(fresh_engine.pid, signal.SIGSTOP)
            frozen.set()

    try:
        thread, outcome = run_until_blocked(lambda: execute_removal(client, plan, token=token, on_progress=progress),
                                         frozen)
        started = time.monotonic()
        token.cancel()
        thread.join(10)
        assert not thread.is_alive(), "the cancel did not reach the request the engine never answers"
        assert time.monotonic() - started < 5
    finally:
        os.kill(fresh_engine.pid, signal.SIGCONT)
        client.close()
    report = outcome["value"]
    assert report.cancelled
    assert [r.outcome for r in report.results] == [Outcome.DELETED, Outcome.INTERRUPTED, Outcome.SKIPPED]
    assert report.results[1].message == "Not removed: cancelled before the engine was asked to remove it."
    assert report.summary == "1 deleted, 1 interrupted, 1 not attempted"
    assert cli_tags(fresh_engine, repo) == {("2", ids[1]), ("3", ids[2])}


# --- the dialog ------------------------------------------------------------------------------
@pytest.fixture
def session(qtbot, docker_engine):
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(docker_engine.docker_host, "user")])
    session.start()
    qtbot.waitUntil(lambda: session.state == "connected", timeout=10000)
    yield session
    session.stop()
    assert tasks.shutdown(10000)


@pytest.fixture
def parent(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def texts(tree):
    return [(tree.topLevelItem(n).text(0), tree.topLevelItem(n).text(1)) for n in range(tree.topLevelItemCount())]


def test_dialog_lists_what_goes_and_removes_on_click(qtbot, docker_engine, docker_client, made, unique_repo,
                                                     session, parent):
    kept = made.image(f"{unique_repo}:kept")
    docker_engine.cli("tag", f"{unique_repo}:kept", f"{unique_repo}:alias")
    gone = made.image(f"{unique_repo}:gone")
    rows = rows_of(docker_client, f"{unique_repo}:alias", f"{unique_repo}:gone")

    dialog = confirm_and_remove(parent, session, rows)
    assert dialog.isVisible() and dialog.isModal()
    assert dialog.status.text() == "Checking…" and not dialog.remove_button.isEnabled()
    assert texts(dialog.items) == [(f"{unique_repo}:alias", "Checking…"), (f"{unique_repo}:gone", "Checking…")]
    qtbot.waitUntil(dialog.remove_button.isEnabled, timeout=10000)
    size = dialog.plan.items[1].size
    assert texts(dialog.items) == [
        (f"{unique_repo}:alias", f"Untag only — the image keeps {unique_repo}:kept"),
        (f"{unique_repo}:gone", f"Delete image {gone[7:19]} ({human_size(size)})"),
    ]
    assert dialog.heading.text() == "Delete 1 image and remove 1 tag?"
    assert not dialog.in_use.isVisible()
    assert dialog.cancel_button.isDefault() and not dialog.remove_button.isDefault()

    with qtbot.waitSignal(dialog.removalFinished, timeout=20000) as blocker:
        QTest.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert [r.outcome for r in report.results] == [Outcome.UNTAGGED, Outcome.DELETED]
    assert dialog.status.text() == "1 deleted, 1 untagged."
    assert dialog.cancel_button.text() == "&Close" and not dialog.remove_button.isVisible()
    assert cli_tags(docker_engine, unique_repo) == {("kept", kept)}
    assert not image_exists(docker_engine, gone)
    qtbot.waitUntil(lambda: any(t.title == "Removing 2 images" for t in session.tasks.recent), timeout=5000)
    [task] = [t for t in session.tasks.recent if t.title == "Removing 2 images"]
    assert task.state is TaskState.SUCCEEDED and task.last_progress.text == "Done"

    QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_dialog_offers_to_remove_stopped_containers_first(qtbot, docker_engine, docker_client, made, unique_repo,
                                                          session, parent):
    image_id = made.image(f"{unique_repo}:x")
    name = made.container(f"{unique_repo.replace('/', '-')}-c", f"{unique_repo}:x", "true")
    dialog = confirm_and_remove(parent, session, rows_of(docker_client, f"{unique_repo}:x"))
    qtbot.waitUntil(dialog.remove_button.isEnabled, timeout=10000)
    assert dialog.in_use.isVisible() and dialog.stopped_box.isVisible()
    assert f"{unique_repo}:x: used by stopped container {name}" in dialog.in_use_text.text()
    # each row says what Remove does with the boxes as they are, in the words of the result
    assert texts(dialog.items)[0][1] == (f"Not removed: in use by stopped container {name} "
                                         "(choose Force or remove the stopped containers first)")
    assert dialog.force_box.text() == "&Force removal (the stopped containers stay, without their image)"

    QTest.mouseClick(dialog.stopped_box, Qt.MouseButton.LeftButton)
    assert dialog.stopped_box.isChecked() and not dialog.force_box.isChecked()
    size = human_size(dialog.plan.items[0].size)
    assert texts(dialog.items)[0][1] == f"Remove stopped container {name}, then delete image {image_id[7:19]} ({size})"
    with qtbot.waitSignal(dialog.removalFinished, timeout=20000) as blocker:
        QTest.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    [result] = blocker.args[0].results
    assert result.outcome is Outcome.DELETED and result.removed_containers == (name,)
    assert cli_containers(docker_engine, name) == []
    assert not image_exists(docker_engine, image_id)


def test_dialog_reports_refusals_and_the_activity_panel_keeps_them(qtbot, docker_engine, docker_client, made,
                                                                   unique_repo, session, parent):
    free = made.image(f"{unique_repo}:free")
    used = made.image(f"{unique_repo}:used")
    name = made.container(f"{unique_repo.replace('/', '-')}-r", f"{unique_repo}:used", "sleep", "3600", run=True)
    dialog = RemoveImagesDialog(session, rows_of(docker_client, f"{unique_repo}:free", f"{unique_repo}:used"), parent)
    dialog.start()
    dialog.show()
    qtbot.waitUntil(dialog.remove_button.isEnabled, timeout=10000)
    assert dialog.force_box.text() == "&Force removal (containers keep running on an untagged image)"
    assert not dialog.stopped_box.isVisible()

    with qtbot.waitSignal(dialog.removalFinished, timeout=20000) as blocker:
        QTest.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert [r.outcome for r in report.results] == [Outcome.DELETED, Outcome.REFUSED_IN_USE]
    assert dialog.heading.text() == "Some images stayed"
    assert texts(dialog.items)[1] == (f"{unique_repo}:used", report.results[1].message)
    assert f"running container {name}" in report.results[1].message
    qtbot.waitUntil(lambda: any(t.title == "Removing 2 images" for t in session.tasks.recent), timeout=5000)
    [task] = [t for t in session.tasks.recent if t.title == "Removing 2 images"]
    assert task.state is TaskState.FAILED
    assert str(task.error).splitlines() == ["1 deleted, 1 in use.", report.results[1].message]
    assert not image_exists(docker_engine, free)
    assert cli_tags(docker_engine, unique_repo) == {("used", used)}
    dialog.close()


def test_dialog_cancel_and_escape_remove_nothing(qtbot, docker_engine, docker_client, made, unique_repo, session,
                                                 parent):
    image_id = made.image(f"{unique_repo}:x")
    rows = rows_of(docker_client, f"{unique_repo}:x")
    dialog = confirm_and_remove(parent, session, rows)
    qtbot.waitUntil(dialog.remove_button.isEnabled, timeout=10000)
    with qtbot.waitSignal(dialog.rejected, timeout=5000):
        QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    dialog = confirm_and_remove(parent, session, rows)
    qtbot.waitUntil(dialog.remove_button.isEnabled, timeout=10000)
    with qtbot.waitSignal(dialog.rejected, timeout=5000):
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
    dialog = confirm_and_remove(parent, session, rows)
    qtbot.waitUntil(dialog.remove_button.isEnabled, timeout=10000)
    with qtbot.waitSignal(dialog.rejected, timeout=5000):
        QTest.keyClick(dialog, Qt.Key.Key_Return)  # the default button is Cancel
    assert cli_tags(docker_engine, unique_repo) == {("x", image_id)}
    assert not [t for t in session.tasks.recent if t.title.startswith("Removing")]


def test_dialog_force_untags_under_a_running_container(qtbot, docker_engine, docker_client, made, unique_repo,
                                                       session, parent):
    image_id = made.image(f"{unique_repo}:x")
    name = made.container(f"{unique_repo.replace('/', '-')}-k", f"{unique_repo}:x", "sleep", "3600", run=True)
    dialog = confirm_and_remove(parent, session, rows_of(docker_client, f"{unique_repo}:x"))
    qtbot.waitUntil(dialog.remove_button.isEnabled, timeout=10000)
    assert f"{unique_repo}:x: used by running container {name}" in dialog.in_use_text.text()
    assert not dialog.stopped_box.isVisible()
    dialog.force_box.setFocus()
    QTest.keyClick(dialog.force_box, Qt.Key.Key_Space)
    assert dialog.force_box.isChecked()
    with qtbot.waitSignal(dialog.removalFinished, timeout=20000) as blocker:
        QTest.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    [result] = blocker.args[0].results
    assert result.outcome is Outcome.UNTAGGED and f"running container {name} uses it" in result.message
    assert cli_tags(docker_engine, unique_repo) == set() and image_exists(docker_engine, image_id)
    assert cli_containers(docker_engine, name) == [name, "running"]


def test_dialog_cancel_on_a_stalled_engine_ends_the_removal_and_shows_each_image(qtbot, fresh_engine, parent):
    """The engine freezes (SIGSTOP) before Remove is clicked: the removal hangs on its first
    request; Cancel ends it within seconds and the dialog lists per image that nothing went."""
    fresh_engine.ensure_busybox_base()
    repo = "berth-test/frozen-dialog"
    ids = [fresh_engine.build_busybox_image(f"{repo}:{n}", [f"RUN echo {n} > /which"]) for n in (1, 2)]
    with connected_session(qtbot, fresh_engine) as session:
        client = docker.DockerClient(base_url=fresh_engine.docker_host, version="auto", timeout=30)
        try:
            rows = rows_of(client, f"{repo}:1", f"{repo}:2")
        finally:
            client.close()
        dialog = confirm_and_remove(parent, session, rows)
        qtbot.waitUntil(dialog.remove_button.isEnabled, timeout=10000)
        with frozen(fresh_engine):
            QTest.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: dialog.remove_task.state is TaskState.RUNNING, timeout=10000)
            QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: dialog.report is not None, timeout=5000)
        assert dialog.remove_task.state is TaskState.CANCELLED
        assert dialog.report.cancelled and dialog.heading.text() == "Cancelled"
        assert [text for _label, text in texts(dialog.items)] == ["Not attempted: the removal was cancelled."] * 2
        assert dialog.status.text().startswith("2 not attempted.")
        assert dialog.cancel_button.text() == "&Close" and dialog.cancel_button.isEnabled()
        assert cli_tags(fresh_engine, repo) == {("1", ids[0]), ("2", ids[1])}
        dialog.close()


def test_dialog_preview_and_result_agree_for_an_image_only_untagged(qtbot, docker_engine, docker_client, made,
                                                                     unique_repo, session, parent, tmp_path):
    """An image others are built on, used by a stopped container: without Force the row says
    "Not removed" (and the result does), with Force it says "Untag only" and the result says the
    tag went and the image stays."""
    base = made.image(f"{unique_repo}:base")
    (tmp_path / "Dockerfile").write_text(f"FROM {unique_repo}:base\nRUN echo child > /child\n")
    docker_engine.cli("build", "-q", "-t", f"{unique_repo}:child", str(tmp_path))
    made.images.insert(0, docker_engine.cli("inspect", "-f", "{{.Id}}", f"{unique_repo}:child").stdout.strip())
    name = made.container(f"{unique_repo.replace('/', '-')}-u", f"{unique_repo}:base", "true")
    dialog = confirm_and_remove(parent, session, rows_of(docker_client, f"{unique_repo}:base"))
    qtbot.waitUntil(dialog.remove_button.isEnabled, timeout=10000)
    assert texts(dialog.items) == [(f"{unique_repo}:base", f"Not removed: in use by stopped container {name} "
                                                           "(choose Force or remove the stopped containers first)")]
    assert dialog.heading.text() == "Nothing can be removed as chosen"

    QTest.mouseClick(dialog.force_box, Qt.MouseButton.LeftButton)
    planned = f"Untag only — image {base[7:19]} stays: other images are built on it"
    assert texts(dialog.items) == [(f"{unique_repo}:base", planned)]
    assert dialog.heading.text() == "Remove 1 tag?"
    with qtbot.waitSignal(dialog.removalFinished, timeout=20000) as blocker:
        QTest.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    [result] = blocker.args[0].results
    assert result.outcome is Outcome.UNTAGGED
    assert texts(dialog.items) == [(f"{unique_repo}:base", f"Untagged {unique_repo}:base; image {base[7:19]} stays "
                                                           "because other images are built on it.")]
    assert dialog.heading.text() == "Tags removed; the images stay"
    assert image_exists(docker_engine, base) and not image_exists(docker_engine, f"{unique_repo}:base")
    assert cli_containers(docker_engine, name) == [name, "created"]
