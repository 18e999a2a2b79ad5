"""The plain http.client path (frequent small requests, and connecting, the event stream and the
listings before the SDK is loaded) answers what the SDK answers, says what the engine said when it
refuses, ends at once on a cancel, and stays out of the way for engines not on a local socket."""

from __future__ import annotations

import socket
import threading
import time

import docker
import pytest

from desktop.engine import connection, local_json
from desktop.engine.cancel import CancelToken, shutdown_on_cancel
from desktop.engine.errors import ConnectionLost, EngineError, EngineUnavailable, NotFound, is_connection_failure


def test_answers_like_the_sdk_on_a_kept_alive_connection(docker_engine, docker_client, busybox_image):
    container = docker_engine.cli("run", "-d", "--stop-signal", "KILL", busybox_image, "sleep", "600").stdout.strip()
    light = local_json.json_getter(docker_client)
    assert light is not None
    try:
        first = light.get("/containers/{0}/json", container)
        assert first["Id"] == docker_client.api.inspect_container(container)["Id"]
        stats = light.get("/containers/{0}/stats", container, stream=0, **{"one-shot": 1})
        assert stats["id"] == first["Id"] and "cpu_stats" in stats and "memory_stats" in stats
        with pytest.raises(NotFound, match="No such container"):
            light.get("/containers/{0}/json", "no-such-container")
        assert light.get("/containers/{0}/json", container)["Id"] == first["Id"]  # still usable after a 404
    finally:
        light.close()
        docker_engine.cli("rm", "-f", container)


def test_other_engines_keep_the_sdk():
    tcp = docker.DockerClient(base_url="tcp://127.0.0.1:9", version="1.41")  # nothing is contacted yet
    try:
        assert local_json.json_getter(tcp) is None
    finally:
        tcp.close()


# --- the light client: connecting, the event stream, pings and listings without the SDK ----------

def _light(docker_engine, timeout=30):
    path = local_json.unix_socket_path(docker_engine.docker_host)
    assert path is not None, docker_engine.docker_host
    return local_json.LocalClient(path, "1.41", timeout)


def test_the_light_client_answers_the_sdk_calls_it_stands_in_for(docker_engine, docker_client, busybox_image,
                                                                  unique_repo):
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:light")
    container = docker_engine.cli("create", "--label", "berth.test=light", busybox_image, "true").stdout.strip()
    light = _light(docker_engine)
    try:
        version = light.api.version(api_version=False)
        assert version["ApiVersion"] == docker_client.api.version(api_version=False)["ApiVersion"]
        assert version["Version"] == docker_engine.cli("version", "-f", "{{.Server.Version}}").stdout.strip()
        assert light.api.ping() is True
        for all_images in (False, True):
            ours = {(i["Id"], tuple(i.get("RepoTags") or ())) for i in light.api.images(all=all_images)}
            sdk = {(i["Id"], tuple(i.get("RepoTags") or ())) for i in docker_client.api.images(all=all_images)}
            assert ours == sdk
        assert any(f"{unique_repo}:light" in (i.get("RepoTags") or ()) for i in light.api.images())
        ours = light.api.containers(all=True, filters={"label": "berth.test=light"})
        assert [c["Id"] for c in ours] == [c["Id"] for c in docker_client.api.containers(
            all=True, filters={"label": "berth.test=light"})] == [container]
        assert light.api.containers(all=False, filters={"id": [container]}) == []  # created, not running
    finally:
        light.close()
        docker_engine.cli("rm", container)
        docker_engine.cli("rmi", f"{unique_repo}:light")


def test_the_light_event_stream_delivers_events_and_ends_on_close(docker_engine, busybox_image, unique_repo):
    light = _light(docker_engine)
    stream = light.api.events(filters={"type": ["image"]})
    seen: list[dict] = []
    done = threading.Event()

    def read():
        try:
            for item in stream:
                seen.append(item)
        except Exception as exc:  # noqa: BLE001 - a read cut by close may raise: recorded, not hidden
            seen.append({"raised": exc})
        finally:
            done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        docker_engine.cli("tag", busybox_image, f"{unique_repo}:event")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(e.get("Action") == "tag" for e in seen):
            done.wait(0.05)
        tags = [e for e in seen if e.get("Action") == "tag"]
        assert tags and tags[0]["Type"] == "image"
        assert tags[0]["Actor"]["Attributes"]["name"] == f"{unique_repo}:event"
        started = time.monotonic()
        stream.close()  # from this thread, while the reader blocks on the socket
        assert done.wait(5), "closing the stream did not end the read"
        assert time.monotonic() - started < 5
    finally:
        stream.close()
        light.close()
        docker_engine.cli("rmi", f"{unique_repo}:event")


def test_a_cancel_wakes_a_light_request_to_a_silent_engine(tmp_path):
    """A peer that accepts and never answers (an engine frozen mid-request): ``shutdown_on_cancel``
    ends the request at once, and the client refuses the next one."""
    path = str(tmp_path / "silent.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    light = local_json.LocalClient(path, "1.41", timeout=None)
    token = CancelToken()
    outcome: list[BaseException] = []

    def ping():
        with shutdown_on_cancel(light.api, token):
            try:
                light.api.ping()
            except BaseException as exc:  # noqa: BLE001
                outcome.append(exc)

    worker = threading.Thread(target=ping, daemon=True)
    worker.start()
    peer, _ = server.accept()
    try:
        assert not outcome
        token.cancel()
        worker.join(5)
        assert not worker.is_alive(), "the cancel did not reach the blocked request"
        assert isinstance(outcome[0], ConnectionLost)
        assert is_connection_failure(outcome[0])
        with pytest.raises(ConnectionLost):
            light.api.ping()
    finally:
        peer.close()
        server.close()
        light.close()


def test_connecting_to_a_local_socket_says_what_is_wrong(tmp_path):
    missing = connection.Endpoint(f"unix://{tmp_path}/absent.sock", "user")
    with pytest.raises(EngineUnavailable, match="the socket does not exist"):
        connection.connect([missing], timeout=2)
    dead = tmp_path / "dead.sock"  # a socket file nobody listens on any more
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(dead))
    listener.close()
    with pytest.raises(EngineUnavailable, match="connection refused"):
        connection.connect([connection.Endpoint(f"unix://{dead}", "user")], timeout=2)


def test_a_refusal_on_the_light_path_keeps_the_engines_words(docker_engine):
    light = _light(docker_engine)
    try:
        with pytest.raises(EngineError, match="(?i)invalid filter|filter") as refused:
            light.api.containers(all=True, filters={"no-such-filter": "x"})
        assert refused.value.status_code == 400
        assert light.api.ping() is True  # the kept-alive connection still works after a refusal
    finally:
        light.close()
