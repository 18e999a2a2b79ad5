"""The push guard: before a push, the registry's digest for the tag (through the engine's
/distribution endpoint) against the local image's RepoDigests; a tag that would move to other
content is asked about in the Push dialog, with both digests, and pushed only when confirmed."""

from __future__ import annotations

import docker
import pytest

from desktop.engine import distribution
from desktop.engine.errors import NotFound


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
    assert pushed.digest in text and rebuilt in text and "moves the remote tag" in text


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
