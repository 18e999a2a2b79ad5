"""Pull and push streams against the real isolated engine and registries: per-layer progress,
the digests the CLI sees, errors that arrive inside a 200 stream, cancel, and the watchdog."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import docker
import pytest

from desktop.engine import distribution
from desktop.engine.cancel import CancelToken
from desktop.engine.distribution import (COMPLETE, EXISTS, EXTRACTING, MOUNTED, PUSHING, RETRYING, AccessDenied,
                                         AuthenticationRequired, LayerState, RegistryGone, RegistryTlsError,
                                         RegistryUnreachable, TransferStalled, TransferTracker, UnknownRepository,
                                         classify, overall_fraction)
from desktop.engine.errors import Cancelled, NotFound
from desktop.models.layer_progress_model import describe

# --- reading the stream (items as the engine sent them here) ---------------------------------

PUSH_ITEMS = [
    {"status": "The push refers to repository [127.0.0.1:5000/explore/app]"},
    {"status": "Preparing", "progressDetail": {}, "id": "93a9ec6f3258"},
    {"status": "Preparing", "progressDetail": {}, "id": "d6c3fbd164f3"},
    {"status": "Pushing", "progressDetail": {"current": 512, "total": 3216}, "id": "93a9ec6f3258"},
    {"status": "Pushing", "progressDetail": {"current": 33792, "total": 1982256}, "id": "d6c3fbd164f3"},
    {"status": "Pushing", "progressDetail": {"current": 138752, "total": 3216}, "id": "93a9ec6f3258"},
    {"status": "Pushed", "progressDetail": {}, "id": "93a9ec6f3258"},
    {"status": "Pushing", "progressDetail": {"current": 1984512, "total": 1982256}, "id": "d6c3fbd164f3"},
    {"status": "Pushed", "progressDetail": {}, "id": "d6c3fbd164f3"},
    {"status": "v1: digest: sha256:" + "0f" * 32 + " size: 736"},
    {"progressDetail": {}, "aux": {"Tag": "v1", "Digest": "sha256:" + "0f" * 32, "Size": 736}},
]


def test_push_items_become_layers_clamped_to_their_size():
    tracker = TransferTracker(distribution.PUSH)
    changed = [tracker.feed(item) for item in PUSH_ITEMS[:6]]
    assert [c.id for c in changed if c] == ["93a9ec6f3258", "d6c3fbd164f3", "93a9ec6f3258", "d6c3fbd164f3",
                                          "93a9ec6f3258"]
    small = tracker.layers[0]
    assert small.state == PUSHING and small.current == small.total == 3216  # 138752 of 3216 is clamped
    big = tracker.layers[1]
    assert describe(big) == "pushing 33.8kB of 1.98MB"
    # weighted by size: the small layer done weighs next to nothing against the big one
    assert 0.01 < tracker.progress().fraction < 0.05
    for item in PUSH_ITEMS[6:]:
        tracker.feed(item)
    assert all(layer.state == COMPLETE for layer in tracker.layers)
    assert tracker.progress().fraction == 1.0
    assert tracker.digest == "sha256:" + "0f" * 32 and tracker.size == 736


def test_pull_phases_and_other_words():
    tracker = TransferTracker(distribution.PULL)
    for item in [{"status": "Pulling from team/app", "id": "v1"},
                 {"status": "Already exists", "progressDetail": {}, "id": "aaa"},
                 {"status": "Pulling fs layer", "progressDetail": {}, "id": "bbb"},
                 {"status": "Downloading", "progressDetail": {"current": 500, "total": 1000}, "id": "bbb"}]:
        tracker.feed(item)
    layers = {layer.id: layer for layer in tracker.layers}
    assert layers["aaa"].state == EXISTS and describe(layers["aaa"]) == "already exists"
    assert layers["bbb"].fraction == 0.25  # half of the download, the first half of a pull's layer
    tracker.feed({"status": "Extracting", "progressDetail": {"current": 1000, "total": 1000}, "id": "bbb"})
    assert tracker.layers[1].state == EXTRACTING and tracker.layers[1].fraction == 1.0
    mounted = TransferTracker(distribution.PUSH).feed({"status": "Mounted from team/base", "id": "ccc"})
    assert mounted.state == MOUNTED and describe(mounted) == "mounted from team/base"
    assert tracker.feed({"status": "Digest: sha256:" + "ab" * 32}) is None
    assert tracker.digest == "sha256:" + "ab" * 32


def test_overall_fraction_weighs_by_size_and_waits_for_a_size():
    assert overall_fraction([LayerState("a", "waiting", "Waiting")]) is None
    small = LayerState("a", COMPLETE, "Pushed", size=10)
    big = LayerState("b", PUSHING, "Pushing", 0, 990, 990)
    assert overall_fraction([small, big]) == pytest.approx(0.01)
    unknown = LayerState("c", EXISTS, "Layer already exists")
    assert overall_fraction([unknown]) == 1.0
    # a layer already there moved no bytes: it does not count as done work against the others
    assert overall_fraction([unknown, big]) == 0.0
    waiting = LayerState("d", "waiting", "Waiting")
    assert overall_fraction([small, waiting]) == pytest.approx(0.5)  # weighs as much as the known one


def test_the_layer_model_changes_rows_in_place(qtmodeltester):
    from desktop.models.layer_progress_model import LayerProgressModel

    model = LayerProgressModel()
    inserted, changed = [], []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.dataChanged.connect(lambda top, _bottom: changed.append(top.row()))
    tracker = TransferTracker(distribution.PUSH)
    model.apply([layer for layer in map(tracker.feed, PUSH_ITEMS[:5]) if layer])
    assert inserted == [(0, 1)] and model.rowCount() == 2
    assert model.index(1, 1).data() == "pushing 33.8kB of 1.98MB"
    # a burst of updates: each row changes once, none is inserted again, the order stays
    model.apply([layer for layer in map(tracker.feed, PUSH_ITEMS[5:]) if layer])
    assert inserted == [(0, 1)] and sorted(changed) == [0, 1]
    assert [model.index(n, 1).data() for n in range(2)] == ["pushed", "pushed"]
    assert model.overall() == 1.0
    qtmodeltester.check(model)


@pytest.mark.parametrize("message, cls, words", [
    ("no basic auth credentials", AuthenticationRequired, "requires authentication"),
    ("unauthorized: authentication required", AuthenticationRequired, "Sign in to reg.example:5443"),
    ("denied: requested access to the resource is denied", AccessDenied, "denied access"),
    ("manifest for reg.example:5443/a:b not found: manifest unknown: manifest unknown", UnknownRepository,
     "no such repository or tag"),
    ('Get "https://reg.example:5443/v2/": x509: certificate signed by unknown authority', RegistryTlsError,
     "TLS certificate"),
    ('Get "http://reg.example:5443/v2/": dial tcp 127.0.0.1:5999: connect: connection refused',
     RegistryUnreachable, "cannot reach reg.example:5443"),
])
def test_engine_error_words_become_sentences_naming_the_registry(message, cls, words):
    error = classify(message, "reg.example:5443", "push reg.example:5443/a:b")
    assert type(error) is cls
    assert words in str(error) and "reg.example:5443" in str(error)
    assert error.detail == message


def test_a_broken_connection_after_bytes_moved_is_a_registry_gone():
    error = classify("write tcp 127.0.0.1:4000->127.0.0.1:5000: write: connection reset by peer",
                     "127.0.0.1:5000", "push x", started=True)
    assert isinstance(error, RegistryGone) and "went away" in str(error)


def test_docker_hub_without_network_says_so():
    text = ('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: '
            "dial udp 10.255.255.53:53: connect: network is unreachable")
    assert str(classify(text, "docker.io", "pull alpine")).startswith("Can't reach docker.io — no network or DNS")


def test_a_registry_name_that_does_not_resolve_is_said_at_once():
    started = time.monotonic()
    with pytest.raises(RegistryUnreachable, match="cannot resolve registry.invalid:5000"):
        distribution.check_name_resolves("registry.invalid:5000/team/app:1", "pull registry.invalid:5000/team/app:1")
    with pytest.raises(RegistryUnreachable, match="^Can't reach docker.io — no network or DNS"):
        distribution.check_name_resolves("alpine", "pull alpine")  # no network on this machine
    distribution.check_name_resolves("127.0.0.1:5000/team/app:1", "pull it")  # an address: nothing to look up
    distribution.check_name_resolves("localhost:5000/team/app:1", "pull it")
    assert time.monotonic() - started < 3


# --- against the engine ------------------------------------------------------------------------

@pytest.fixture
def api_client(docker_engine):
    client = docker.DockerClient(base_url=docker_engine.docker_host, version="auto", timeout=None)
    yield client
    client.close()


def _build_random(engine, made, tag: str, megabytes: int) -> str:
    """An image with a layer of random bytes (nothing compresses, nothing already exists)."""
    image_id = engine.build_busybox_image(tag, ["COPY blob /blob"], files={"blob": os.urandom(megabytes << 20)})
    made.images.append(image_id)
    return image_id


def test_push_then_pull_back_gives_the_digest_the_cli_sees(docker_engine, api_client, registry, made, unique_repo,
                                                            tmp_path):
    ref = f"{registry.for_engine}/{unique_repo}:v1"
    image_id = _build_random(docker_engine, made, ref, 1)  # one layer the registry has never seen
    layers: list[LayerState] = []
    progress = []
    result = distribution.push(api_client, ref, on_layer=layers.append, on_progress=progress.append)
    assert result.digest.startswith("sha256:") and result.image_id == image_id
    assert {layer.state for layer in layers} >= {"preparing", PUSHING}
    assert all(layer.finished for layer in result.layers)
    assert progress[-1].fraction == 1.0
    # the CLI with its own empty config pulls the same digest
    repo_digest = f"{registry.for_engine}/{unique_repo}@{result.digest}"
    docker_engine.cli("rmi", ref)
    pulled_layers: list[LayerState] = []
    pulled = distribution.pull(api_client, ref, on_layer=pulled_layers.append)
    assert pulled.digest == result.digest and pulled.image_id == image_id
    inspect = json.loads(docker_engine.cli("image", "inspect", ref).stdout)[0]
    assert repo_digest in inspect["RepoDigests"]
    config = tmp_path / "cli-config"
    config.mkdir()
    docker_engine.cli("--config", str(config), "pull", repo_digest)


def test_pull_streams_every_layer_state(docker_engine, api_client, registry, made, unique_repo):
    ref = f"{registry.for_engine}/{unique_repo}:big"
    _build_random(docker_engine, made, ref, 4)
    distribution.push(api_client, ref)
    docker_engine.cli("rmi", ref)
    # only the new layer travels; the busybox layer is already there
    states: dict[str, list[str]] = {}
    result = distribution.pull(api_client, ref, on_layer=lambda layer: states.setdefault(layer.id, []).append(
        layer.state))
    made.images.append(result.image_id)
    assert any(s[0] == EXISTS for s in states.values())
    travelled = [s for s in states.values() if COMPLETE in s]
    assert travelled and {"downloading", "extracting"} <= set(travelled[0])
    assert "Downloaded newer image" in result.status


def test_pull_of_a_missing_tag_names_the_registry(api_client, registry, unique_repo):
    with pytest.raises(UnknownRepository) as caught:
        distribution.pull(api_client, f"{registry.for_engine}/{unique_repo}:nope")
    assert registry.for_engine in str(caught.value)


def test_pull_from_docker_hub_without_network(api_client):
    started = time.monotonic()
    with pytest.raises(RegistryUnreachable) as caught:
        distribution.pull(api_client, "alpine")
    assert str(caught.value).startswith("Can't reach docker.io — no network or DNS")
    assert time.monotonic() - started < 5


def test_push_to_a_registry_nobody_runs_is_an_error_inside_the_stream(docker_engine, api_client, busybox_image):
    ref = "127.0.0.1:5999/berth-test/nobody:v1"
    docker_engine.cli("tag", busybox_image, ref)
    try:
        with pytest.raises(RegistryUnreachable) as caught:
            distribution.push(api_client, ref)
        assert "127.0.0.1:5999" in str(caught.value) and "connection refused" in caught.value.detail
    finally:
        docker_engine.cli("rmi", ref)


def test_push_of_a_name_with_no_image_changes_nothing(api_client, registry, unique_repo):
    with pytest.raises(NotFound, match="no local image"):
        distribution.push(api_client, f"{registry.for_engine}/{unique_repo}:absent")


def _remote_digest(api_client, ref: str) -> str | None:
    try:
        return api_client.api.inspect_distribution(ref)["Descriptor"]["digest"]
    except docker.errors.NotFound:
        return None


def test_cancel_a_push_mid_stream(docker_engine, api_client, registry, made, unique_repo):
    ref = f"{registry.for_engine}/{unique_repo}:v1"
    _build_random(docker_engine, made, ref, 48)
    token = CancelToken()

    def on_layer(layer: LayerState) -> None:
        if layer.state == PUSHING and layer.current:
            token.cancel()  # mid-stream: bytes are moving

    started = time.monotonic()
    with pytest.raises(Cancelled):
        distribution.push(api_client, ref, token=token, on_layer=on_layer)
    assert time.monotonic() - started < 10
    assert _remote_digest(api_client, ref) is None  # the tag never reached the registry
    # the engine is fine and free: the same push goes through afterwards
    assert distribution.push(api_client, ref).digest


def test_cancel_a_pull_mid_stream(docker_engine, api_client, registry, made, unique_repo):
    ref = f"{registry.for_engine}/{unique_repo}:v1"
    _build_random(docker_engine, made, ref, 48)
    distribution.push(api_client, ref)
    docker_engine.cli("rmi", ref)
    made.images.clear()
    token = CancelToken()

    def on_layer(layer: LayerState) -> None:
        if layer.state == "downloading" and layer.current:
            token.cancel()

    with pytest.raises(Cancelled):
        distribution.pull(api_client, ref, token=token, on_layer=on_layer)
    assert not docker_engine.image_exists(ref)
    result = distribution.pull(api_client, ref)  # nothing was left stuck
    made.images.append(result.image_id)


def test_a_registry_killed_mid_push_ends_the_push_with_a_sentence(docker_engine, api_client, made, unique_repo,
                                                                 spare_registry):
    ref = f"{spare_registry.for_engine}/{unique_repo}:v1"
    _build_random(docker_engine, made, ref, 48)

    def on_layer(layer: LayerState) -> None:
        if layer.state == PUSHING and layer.current:
            spare_registry.kill()

    states: list[str] = []
    started = time.monotonic()
    with pytest.raises(RegistryGone) as caught:
        # the engine retries each layer for about 50 s; its countdown is not progress
        distribution.push(api_client, ref, on_layer=lambda layer: (states.append(layer.state), on_layer(layer)),
                          stall_after=3)
    assert spare_registry.for_engine in str(caught.value) and "went away" in str(caught.value)
    assert RETRYING in states
    assert time.monotonic() - started < 20


def _registry_pid(spare) -> int:
    pid = spare.pid
    assert pid, f"the spare registry fixture gives no process id: {spare!r}"
    return pid


def test_the_watchdog_ends_a_push_to_a_frozen_registry(docker_engine, api_client, made, unique_repo,
                                                       spare_registry):
    ref = f"{spare_registry.for_engine}/{unique_repo}:v1"
    _build_random(docker_engine, made, ref, 48)
    pid = _registry_pid(spare_registry)
    frozen = threading.Event()

    def on_layer(layer: LayerState) -> None:
        if layer.state == PUSHING and layer.current and not frozen.is_set():
            os.kill(pid, signal.SIGSTOP)
            frozen.set()

    started = time.monotonic()
    try:
        with pytest.raises(TransferStalled) as caught:
            distribution.push(api_client, ref, on_layer=on_layer, stall_after=1.5)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert frozen.is_set()
    assert "nothing moved for 1.5 s" in str(caught.value) and spare_registry.for_engine in str(caught.value)
    assert time.monotonic() - started < 15


def test_the_watchdog_ends_a_pull_that_never_starts(docker_engine, api_client, made, unique_repo, spare_registry):
    ref = f"{spare_registry.for_engine}/{unique_repo}:v1"
    made.image(ref)
    distribution.push(api_client, ref)
    docker_engine.cli("rmi", ref)
    pid = _registry_pid(spare_registry)
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(TransferStalled):
            distribution.pull(api_client, ref, stall_after=1.0)
        assert time.monotonic() - started < 10
    finally:
        os.kill(pid, signal.SIGCONT)


def test_push_without_credentials_to_the_secure_registry(docker_config, docker_engine, api_client, busybox_image,
                                                         secure_registry, unique_repo):
    ref = f"{secure_registry.host}/{unique_repo}:v1"
    docker_engine.cli("tag", busybox_image, ref)
    try:
        with pytest.raises(AuthenticationRequired) as caught:
            distribution.push(api_client, ref)
        assert "requires authentication" in str(caught.value) and secure_registry.host in str(caught.value)
    finally:
        docker_engine.cli("rmi", ref)


def test_push_with_credentials_to_the_secure_registry(docker_engine, busybox_image, secure_registry, docker_config,
                                                      unique_repo):
    ref = f"{secure_registry.host}/{unique_repo}:v1"
    docker_engine.cli("tag", busybox_image, ref)
    subprocess.run(["docker", "--config", str(docker_config), "-H", docker_engine.docker_host, "login", "-u",
                    secure_registry.username, "--password-stdin", secure_registry.host],
                   input=secure_registry.password, text=True, check=True, capture_output=True)
    client = docker.DockerClient(base_url=docker_engine.docker_host, version="auto", timeout=None)
    try:
        result = distribution.push(client, ref)
        assert result.digest == client.api.inspect_distribution(ref)["Descriptor"]["digest"]
    finally:
        client.close()
        docker_engine.cli("rmi", ref)


def test_anonymous_push_to_the_token_registry_is_denied(docker_config, docker_engine, api_client, busybox_image,
                                                         token_registry, unique_repo):
    ref = f"{token_registry.for_engine}/{unique_repo}:v1"
    docker_engine.cli("tag", busybox_image, ref)
    try:
        with pytest.raises(AccessDenied) as caught:
            distribution.push(api_client, ref)
        assert "denied access" in str(caught.value) and token_registry.for_engine in str(caught.value)
    finally:
        docker_engine.cli("rmi", ref)


def test_pull_without_credentials_from_the_secure_registry(docker_config, api_client, secure_registry, unique_repo):
    with pytest.raises(AuthenticationRequired, match=f"{secure_registry.host} requires authentication"):
        distribution.pull(api_client, f"{secure_registry.host}/{unique_repo}:v1")


def test_pull_by_digest(docker_engine, api_client, registry, made, unique_repo):
    ref = f"{registry.for_engine}/{unique_repo}:v1"
    image_id = made.image(ref)
    digest = distribution.push(api_client, ref).digest
    docker_engine.cli("rmi", ref)
    by_digest = f"{registry.for_engine}/{unique_repo}@{digest}"
    result = distribution.pull(api_client, by_digest)
    assert result.reference == by_digest and result.digest == digest and result.image_id == image_id
