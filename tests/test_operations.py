"""Operations and streams against the isolated engine: the not-connected path, callbacks dropped with
their owner, the failure policy, stream items in order before the end, and streams that never take
the threads a tag, a listing and a save need."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QWidget

from desktop.engine.errors import EngineUnavailable
from desktop.engine.logs import LogOptions
from desktop.models.activity_model import ActivityModel
from desktop.tasks import archive_tasks, container_tasks, loaders, tag_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.tasks.operations import HOUSEKEEPING, NOT_CONNECTED, STREAM, Operation
from desktop.tasks.task import TaskState
from tests.helpers import connected_session, runs_until_released

pytestmark = pytest.mark.engine




def test_an_operation_without_an_engine_fails_at_once_with_a_sentence_and_is_kept_in_the_centre(qtbot):
    tasks = TaskManager()
    session = EngineSession(tasks, [])  # never started: not connected
    centre = ActivityModel(tasks)
    failures = []
    task = Operation(session, "Listing images", loaders.load_images, action="list the images") \
        .on_failure(failures.append).run()
    qtbot.waitUntil(lambda: bool(failures) and centre.tasks() == [task], timeout=5000)  # both arrive queued
    assert task.state == TaskState.FAILED
    assert [str(e) for e in failures] == [str(task.error)]
    assert isinstance(task.error, EngineUnavailable) and NOT_CONNECTED in str(task.error)
    assert tasks.shutdown(5000)


def test_callbacks_are_dropped_once_their_owner_widget_is_gone(qtbot, docker_engine):
    with connected_session(qtbot, docker_engine) as session:
        called = []
        for keep_owner in (False, True):
            owner = QWidget()
            release = threading.Event()
            task = Operation(session, "Waiting", runs_until_released, release).owned_by(owner) \
                .on_success(called.append).on_finish(lambda: called.append("finished")).run()
            ended = []
            task.signals.finished.connect(lambda: ended.append(True))  # queued after the operation's own slots
            qtbot.waitUntil(lambda: task.state == TaskState.RUNNING, timeout=5000)
            if not keep_owner:
                owner.deleteLater()
                qtbot.waitUntil(lambda: _deleted(owner), timeout=5000)
            release.set()
            qtbot.waitUntil(lambda: bool(ended), timeout=5000)
            assert task.state == TaskState.SUCCEEDED and task.result == "released"
            assert called == ([] if not keep_owner else ["released", "finished"])
        owner.deleteLater()


def _deleted(widget) -> bool:
    import shiboken6

    return not shiboken6.isValid(widget)


def test_housekeeping_failures_reach_the_centre_only_when_nobody_handles_them(qtbot, docker_engine):
    with connected_session(qtbot, docker_engine) as session:
        centre = ActivityModel(session.tasks)
        handled = []
        quiet = Operation(session, "Inspecting", container_tasks.inspect_container, "berth-test-no-such-container",
                          kind=HOUSEKEEPING, action="inspect the container").on_failure(handled.append).run()
        loud = Operation(session, "Inspecting", container_tasks.inspect_container, "berth-test-no-such-container",
                         kind=HOUSEKEEPING, action="inspect the container").run()
        ok = Operation(session, "Listing images", loaders.load_images, kind=HOUSEKEEPING).run()
        qtbot.waitUntil(lambda: quiet.state.done and loud.state.done and ok.state.done, timeout=10000)
        assert (quiet.state, loud.state, ok.state) == (TaskState.FAILED, TaskState.FAILED, TaskState.SUCCEEDED)
        assert "no longer exists" in str(loud.error)
        qtbot.waitUntil(lambda: centre.tasks() == [loud], timeout=2000)  # unhandled: kept for a person to see
        assert [str(e) for e in handled] == [str(quiet.error)]  # handled where it was asked: not repeated


def test_a_stream_delivers_every_item_in_order_before_its_end(qtbot, docker_engine, made, busybox_image):
    name = "berth-test-stream-order"
    docker_engine.cli("run", "--name", name, busybox_image, "sh", "-c", "seq 1 3000")
    made.containers.append(name)
    with connected_session(qtbot, docker_engine) as session:
        lines: list[str] = []
        ended_after = []
        task = Operation(session, f"Following the log of {name}", container_tasks.follow_logs, name,
                         LogOptions(tail=None, follow=False), kind=STREAM) \
            .on_items(lambda items: lines.extend(line.text for batch in items for line in batch.lines)) \
            .on_finish(lambda: ended_after.append(len(lines))).run()
        qtbot.waitUntil(lambda: task.state.done and bool(ended_after), timeout=20000)
        assert task.state == TaskState.SUCCEEDED, task.error
        assert lines == [str(n) for n in range(1, 3001)]
        assert ended_after == [3000]  # nothing arrived after the end was told
        assert task not in session.tasks.recent  # streams are not user operations in the centre


def test_more_streams_than_one_shot_threads_leave_a_tag_a_listing_and_a_save_running_at_once(
        qtbot, docker_engine, made, busybox_image, tmp_path):
    name = "berth-test-stream-many"
    docker_engine.cli("run", "-d", "--name", name, busybox_image, "sh", "-c", "echo up; sleep 3600")
    made.containers.append(name)
    image = "berth-test/streams:src"
    image_id = made.image(image)
    with connected_session(qtbot, docker_engine) as session:
        streams = [Operation(session, f"Following {n}", container_tasks.follow_logs, name, LogOptions(tail=1),
                             kind=STREAM).on_items(lambda _items: None).run()
                   for n in range(session.tasks.pool.maxThreadCount() + 4)]
        qtbot.waitUntil(lambda: all(s.state == TaskState.RUNNING for s in streams), timeout=20000)
        tag = Operation(session, "Tagging", tag_tasks.apply_tags, image_id, ["berth-test/streams:tagged"]).run()
        made.images.append("berth-test/streams:tagged")
        listing = Operation(session, "Listing images", loaders.load_images, kind=HOUSEKEEPING).run()
        save = Operation(session, "Saving", archive_tasks.save_images, [image], str(tmp_path / "s.tar")).run()
        qtbot.waitUntil(lambda: tag.state.done and listing.state.done and save.state.done, timeout=20000)
        assert (tag.state, listing.state, save.state) == (TaskState.SUCCEEDED,) * 3, (tag.error, listing.error,
                                                                                       save.error)
        assert all(s.state == TaskState.RUNNING for s in streams)  # the streams stayed open all along
        assert docker_engine.cli("image", "inspect", "-f", "{{.Id}}", "berth-test/streams:tagged").stdout.strip() \
            == image_id
        assert any(f"{r.repository}:{r.tag}" == image for r in listing.result)  # listed while the tag ran
        assert (tmp_path / "s.tar").stat().st_size > 0
        for s in streams:
            s.cancel()
        qtbot.waitUntil(lambda: all(s.state.done for s in streams), timeout=10000)


def test_retry_runs_the_same_work_again_with_the_same_callbacks(qtbot, docker_engine, made, tmp_path):
    image = made.image("berth-test/retry:src")
    with connected_session(qtbot, docker_engine) as session:
        centre = ActivityModel(session.tasks)
        results = []
        failures = []
        first = Operation(session, "Saving", archive_tasks.save_images, ["berth-test/retry:later"],
                          str(tmp_path / "r.tar"), retryable=True) \
            .on_success(results.append).on_failure(failures.append).run()
        qtbot.waitUntil(lambda: len(failures) == 1, timeout=10000)  # the failure reaches the GUI thread
        assert first.state == TaskState.FAILED
        docker_engine.cli("tag", image, "berth-test/retry:later")
        made.images.append("berth-test/retry:later")
        again = centre.retry(first)
        qtbot.waitUntil(lambda: bool(results), timeout=10000)
        assert again.state == TaskState.SUCCEEDED and [r.path for r in results] == [str(tmp_path / "r.tar")]
        assert centre.tasks() == [again, first]
