"""The push guard: before a push, the registry's digest for the tag (through the engine's
/distribution endpoint) against the local image's RepoDigests; a tag that would move to other
content is asked about in the Push dialog, with both digests, and pushed only when confirmed."""

from __future__ import annotations

import docker
import pytest

from desktop.engine import distribution
from desktop.engine.errors import NotFound
from tests.layout_check import window_problems
from tests.window_fixture import make_window  # noqa: F401  (a fixture)


@pytest.fixture
def api_client(docker_engine):
    client = docker.DockerClient(base_url=docker_engine.docker_host, version="auto", timeout=None)
    yield client
    client.close()


def remote_digest(api_client, ref: str) -> str | None:
    try:
        return api_client.api.inspect_distribution(ref)["Descriptor"]["digest"]
    except docker.errors.NotFound:
        return None


def test_a_new_tag_needs_no_question(api_client, registry, made, unique_repo):
    ref = f"{registry.for_engine}/{unique_repo}:v1"
    image_id = made.image(ref)
    verdict = distribution.check_push(api_client, ref)
    assert verdict.new_tag and not verdict.moves and verdict.image_id == image_id
    assert "new on the registry" in verdict.describe()


def test_the_same_content_again_needs_no_question(api_client, registry, made, unique_repo):
    ref = f"{registry.for_engine}/{unique_repo}:v1"
    made.image(ref)
    pushed = distribution.push(api_client, ref)
    verdict = distribution.check_push(api_client, ref)
    assert verdict.same and not verdict.moves and verdict.remote_digest == pushed.digest


def test_a_rebuilt_tag_would_move_and_the_verdict_shows_both_sides(docker_engine, api_client, registry, made,
                                                                   unique_repo):
    ref = f"{registry.for_engine}/{unique_repo}:v1"
    made.image(ref)
    pushed = distribution.push(api_client, ref)
    rebuilt = made.image(ref)  # same tag, other content (a new label)
    verdict = distribution.check_push(api_client, ref)
    assert verdict.moves and verdict.remote_digest == pushed.digest and verdict.local_digests == ()
    assert verdict.image_id == rebuilt
    text = verdict.describe()
    assert pushed.digest in text and rebuilt in text and "Pushing moves that tag" in text


def test_digests_of_other_repositories_do_not_count(api_client, registry, made, unique_repo):
    ref = f"{registry.for_engine}/{unique_repo}:v1"
    other = f"{registry.for_engine}/{unique_repo}-other:v1"
    made.image(ref)
    distribution.push(api_client, ref)
    image_id = made.image(other)
    distribution.push(api_client, other)
    api_client.api.tag(image_id, f"{registry.for_engine}/{unique_repo}", "v1")  # now ref names the other image
    verdict = distribution.check_push(api_client, ref)
    assert verdict.moves and verdict.local_digests == ()


def test_a_name_without_a_local_image(api_client, registry, unique_repo):
    with pytest.raises(NotFound, match="no local image"):
        distribution.check_push(api_client, f"{registry.for_engine}/{unique_repo}:absent")


def test_the_guard_cannot_ask_an_unreachable_registry(docker_engine, api_client, busybox_image):
    ref = "127.0.0.1:5999/berth-test/guard:v1"
    docker_engine.cli("tag", busybox_image, ref)
    try:
        with pytest.raises(distribution.RegistryUnreachable, match="127.0.0.1:5999"):
            distribution.check_push(api_client, ref)
    finally:
        docker_engine.cli("rmi", ref)


def test_the_guard_does_not_wait_forever_on_a_frozen_registry(docker_engine, api_client, made, unique_repo,
                                                              spare_registry):
    import os
    import signal
    import time

    ref = f"{spare_registry.for_engine}/{unique_repo}:v1"
    made.image(ref)
    os.kill(spare_registry.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(distribution.TransferStalled, match="did not answer for 1 s"):
            distribution.check_push(api_client, ref, timeout=1.0)
        assert time.monotonic() - started < 8
    finally:
        os.kill(spare_registry.pid, signal.SIGCONT)


# --- the question in the Push dialog ----------------------------------------------------------

def _push_dialog(qtbot, make_window, engine, reference):
    from tests.test_pull_push_gui import _open, _select

    window = _open(qtbot, make_window, engine)
    _select(qtbot, window, reference)
    dialog = window.workspace.transfer_actions.push_selected()
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def _rebuilt_after_push(engine, api_client, made, ref):
    made.image(ref)
    first = distribution.push(api_client, ref).digest
    rebuilt = made.image(ref)  # the same tag, other content
    return first, rebuilt


def test_declining_the_question_pushes_nothing(qtbot, make_window, docker_engine, api_client, registry, made,
                                               unique_repo, tmp_path):
    from PySide6.QtCore import Qt

    ref = f"{registry.for_engine}/{unique_repo}:v1"
    first, rebuilt = _rebuilt_after_push(docker_engine, api_client, made, ref)
    dialog = _push_dialog(qtbot, make_window, docker_engine, ref)
    qtbot.mouseClick(dialog.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.confirm.isVisible, timeout=10000)
    text = dialog.confirm_text.text()
    assert first in text and rebuilt in text and "already exists on the registry with other content" in text
    assert dialog.task is None  # nothing is pushed while the question waits
    qtbot.waitUntil(lambda: not window_problems(dialog), timeout=3000)
    with qtbot.waitSignal(dialog.finished_all, timeout=10000):
        qtbot.mouseClick(dialog.skip_button, Qt.MouseButton.LeftButton)
    assert dialog.task is None and not dialog.results and dialog.skipped == [ref]
    assert "Not pushed" in dialog.status.text()
    assert api_client.api.inspect_distribution(ref)["Descriptor"]["digest"] == first
    # the CLI, with a config of its own, still gets the first content under that tag
    config = tmp_path / "cli-config"
    config.mkdir()
    assert f"Digest: {first}" in docker_engine.cli("--config", str(config), "pull", ref).stdout


def test_confirming_the_question_moves_the_remote_tag(qtbot, make_window, docker_engine, api_client, registry, made,
                                                      unique_repo):
    from PySide6.QtCore import Qt

    ref = f"{registry.for_engine}/{unique_repo}:v1"
    first, rebuilt = _rebuilt_after_push(docker_engine, api_client, made, ref)
    dialog = _push_dialog(qtbot, make_window, docker_engine, ref)
    qtbot.mouseClick(dialog.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.confirm.isVisible, timeout=10000)
    assert dialog.move_button.isDefault() and not dialog.push_button.isEnabled()
    with qtbot.waitSignal(dialog.finished_all, timeout=30000):
        qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    assert not dialog.confirm.isVisible()
    pushed = dialog.results[0].digest
    assert pushed != first and api_client.api.inspect_distribution(ref)["Descriptor"]["digest"] == pushed
    assert f"{registry.for_engine}/{unique_repo}@{pushed}" in api_client.api.inspect_image(rebuilt)["RepoDigests"]
