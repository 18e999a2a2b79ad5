"""The plain http.client path for frequent small requests answers what the SDK answers, says
what the engine said when it refuses, and stays out of the way for engines not on a local socket."""

from __future__ import annotations

import docker
import pytest

from desktop.engine import local_json
from desktop.engine.errors import NotFound


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
