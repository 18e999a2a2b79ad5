"""The isolated real engine used by Berth's engine tests (scripts/isolated_engine.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from isolated_engine import (  # noqa: E402
    BUSYBOX_TAG,
    IsolatedEngine,
    IsolatedEngineError,
    IsolatedEngineUnavailable,
    check_prerequisites,
    wait_until,
)


pytestmark = pytest.mark.engine


def _ns_inode(pid: int | str) -> int:
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def _http_get(url: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as resp:
        return resp.read()


def test_engine_answers_with_its_version(docker_engine, docker_client):
    assert docker_client.ping() is True
    version = docker_client.version()
    assert version["Version"] == docker_engine.version
    assert version["Version"].startswith("20.10")
    assert docker_client.info()["DockerRootDir"] == os.path.join(docker_engine.base_dir, "data")


def test_engine_is_not_the_users_engine(docker_engine, docker_client):
    assert docker_engine.docker_host == f"unix://{docker_engine.socket_path}"
    assert os.path.realpath(docker_engine.socket_path) != os.path.realpath("/var/run/docker.sock")
    assert docker_engine.socket_path.startswith(docker_engine.base_dir + "/")
    assert docker_client.api.base_url.startswith("http+docker://")
    env = docker_engine.env
    assert env["DOCKER_HOST"] == docker_engine.docker_host
    assert env["DOCKER_CONFIG"].startswith(docker_engine.base_dir + "/")
    assert env["DOCKER_CONFIG"] != os.path.expanduser("~/.docker")
    assert env["DOCKER_BUILDKIT"] == "0"
    assert "DOCKER_CONTEXT" not in env
    # the CLI talks to the same engine
    assert docker_engine.cli("info", "--format", "{{.DockerRootDir}}").stdout.strip() == \
        os.path.join(docker_engine.base_dir, "data")


def test_daemon_runs_in_its_own_network_namespace(docker_engine):
    pid = docker_engine.pid
    assert pid and pid != os.getpid()
    assert _ns_inode(pid) != _ns_inode("self")
    assert _ns_inode(pid) == os.stat(f"/run/netns/{docker_engine.netns}").st_ino
    # ... and in a private mount namespace: its mounts never show up in ours
    assert os.readlink(f"/proc/{pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
    assert not [line for line in Path("/proc/self/mountinfo").read_text().splitlines()
                if docker_engine.base_dir + "/" in line]


def test_busybox_image_builds_and_runs_echo(docker_engine, docker_client, busybox_image,
                                           unique_repo):
    assert busybox_image == BUSYBOX_TAG
    image_id = docker_engine.build_busybox_image(
        f"{unique_repo}:1", ["RUN echo built > /built"], labels={"org.berth.test": "yes"})
    assert image_id.startswith("sha256:")
    image = docker_client.images.get(f"{unique_repo}:1")
    assert image.id == image_id
    assert image.labels["org.berth.test"] == "yes"
    assert docker_engine.cli("run", "--rm", busybox_image, "echo", "hello").stdout == "hello\n"
    assert docker_client.containers.run(f"{unique_repo}:1", ["cat", "/built"],
                                        remove=True) == b"built\n"


def test_published_port_is_reachable_inside_the_namespace(docker_engine, docker_client,
                                                          unique_repo):
    docker_engine.build_busybox_image(f"{unique_repo}:web", ["COPY www /www"],
                                      files={"www/index.html": "berth-ok\n"})
    container = docker_client.containers.run(
        f"{unique_repo}:web", ["httpd", "-f", "-p", "80", "-h", "/www"], detach=True,
        ports={"80/tcp": None})
    try:
        container.reload()
        port = container.ports["80/tcp"][0]["HostPort"]

        def fetch():
            # (no -T: Debian's static busybox 1.35 wget segfaults with it)
            proc = docker_engine.netns_exec("busybox", "wget", "-q", "-O", "-",
                                            f"http://127.0.0.1:{port}/", check=False, timeout=10)
            return proc.stdout if proc.returncode == 0 else None

        assert wait_until(fetch, 20, message="httpd in the container") == "berth-ok\n"
    finally:
        container.remove(force=True)


def test_push_to_and_pull_from_the_registry(docker_engine, docker_client, registry,
                                            unique_repo):
    assert registry.for_engine == "127.0.0.1:5000"
    assert registry.host == f"{docker_engine.ns_address}:5000"
    image_id = docker_engine.build_busybox_image(f"{unique_repo}:src",
                                                 labels={"repo": unique_repo})
    ref = f"{registry.for_engine}/{unique_repo}:v1"
    docker_engine.cli("tag", image_id, ref)
    docker_engine.cli("push", ref)
    # the test process sees the pushed tag through the namespace address
    tags = json.loads(_http_get(f"http://{registry.host}/v2/{unique_repo}/tags/list"))
    assert tags["tags"] == ["v1"]
    docker_engine.cli("rmi", ref, f"{unique_repo}:src")
    assert docker_engine.cli("image", "inspect", ref, check=False).returncode != 0
    docker_engine.cli("pull", ref)
    pulled = docker_engine.cli("image", "inspect", "--format", "{{.Id}}", ref).stdout.strip()
    assert pulled == image_id
    assert docker_client.images.get(ref).labels["repo"] == unique_repo


def test_two_engines_do_not_collide(docker_engine, fresh_engine):
    assert fresh_engine.netns != docker_engine.netns
    assert fresh_engine.veth != docker_engine.veth
    assert fresh_engine.ns_address != docker_engine.ns_address
    assert fresh_engine.socket_path != docker_engine.socket_path
    assert fresh_engine.registry_host is None
    assert fresh_engine.ping() and docker_engine.ping()
    fresh = fresh_engine.cli("info", "--format", "{{.ID}}").stdout.strip()
    shared = docker_engine.cli("info", "--format", "{{.ID}}").stdout.strip()
    assert fresh != shared


def test_engine_dies_and_comes_back_with_its_data(fresh_engine, unique_repo):
    image_id = fresh_engine.build_busybox_image(f"{unique_repo}:keep")
    fresh_engine.cli("create", "--name", "survivor", image_id, "true")
    old_pid = fresh_engine.pid

    fresh_engine.kill_engine()
    assert fresh_engine.pid is None
    assert not fresh_engine.ping()
    assert fresh_engine.cli("version", check=False).returncode != 0

    fresh_engine.start_engine()
    assert fresh_engine.ping()
    assert fresh_engine.pid not in (None, old_pid)
    assert fresh_engine.cli("image", "inspect", "--format", "{{.Id}}",
                            f"{unique_repo}:keep").stdout.strip() == image_id
    names = fresh_engine.cli("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert "survivor" in names


def test_engine_crash_with_running_container_and_restart(fresh_engine):
    image = fresh_engine.ensure_busybox_base()
    # busybox as PID 1 ignores SIGTERM: without KILL the restarted dockerd waits 10 s on it
    fresh_engine.cli("run", "-d", "--name", "sleeper", "--stop-signal", "KILL", image,
                     "sleep", "600")
    fresh_engine.kill_engine(sig=9)  # a crash: no clean shutdown
    assert fresh_engine.pid is None
    fresh_engine.restart()
    assert fresh_engine.ping()
    fresh_engine.cli("start", "sleeper")
    assert fresh_engine.cli("inspect", "--format", "{{.State.Running}}",
                            "sleeper").stdout.strip() == "true"


def test_stop_leaves_nothing_behind(engine_prerequisites, busybox_image):
    engine = IsolatedEngine(registry=True)
    engine.start()
    try:
        base, netns, veth = engine.base_dir, engine.netns, engine.veth
        dockerd_pid = engine.pid
        engine.ensure_busybox_base()
        engine.cli("run", "-d", "--name", "busy", BUSYBOX_TAG, "sleep", "600")
        assert engine.leftovers()["processes"]
    finally:
        engine.stop()
    engine.stop()  # idempotent

    assert not os.path.exists(f"/proc/{dockerd_pid}") or \
        "dockerd" not in Path(f"/proc/{dockerd_pid}/cmdline").read_bytes().decode(errors="replace")
    assert engine.leftovers() == {"processes": [], "mounts": [], "netns": False, "veth": False,
                                  "cgroups": [], "dir": False}
    assert not os.path.exists(base)
    assert netns not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                       text=True).stdout
    assert subprocess.run(["ip", "link", "show", "dev", veth], capture_output=True).returncode != 0
    assert base not in Path("/proc/self/mountinfo").read_text()
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert base not in ps


def test_user_directory_is_kept_and_reused(engine_prerequisites):
    d = Path(tempfile.mkdtemp(prefix="berth-ue-"))  # short: unix socket paths live below it
    try:
        with IsolatedEngine(d, registry=False) as engine:
            engine.ensure_busybox_base()
        assert (d / "data").is_dir() and not (d / "docker.sock").exists()
        assert engine.leftovers()["processes"] == []
        with IsolatedEngine(d, registry=False) as again:
            assert again.image_exists(BUSYBOX_TAG)
        assert again.leftovers()["netns"] is False
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_too_long_directory_is_refused_up_front(engine_prerequisites, tmp_path):
    with pytest.raises(IsolatedEngineError, match="too long"):
        IsolatedEngine(tmp_path / ("x" * 80), registry=False).start()


def test_owner_killed_by_sigkill_leaks_nothing(engine_prerequisites, tmp_path):
    """The guardian tears the engine down when its owner dies without any cleanup."""
    script = tmp_path / "owner.py"
    script.write_text(
        "import os, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent / 'scripts')!r})\n"
        "from isolated_engine import IsolatedEngine\n"
        "e = IsolatedEngine(registry=True).start()\n"
        "print(e.base_dir, e.netns, e.veth, flush=True)\n"
        "os.kill(os.getpid(), 9)\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -9, proc.stderr
    base, netns, veth = proc.stdout.split()

    def gone():
        return (not os.path.exists(base)
                and netns not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                                text=True).stdout
                and subprocess.run(["ip", "link", "show", "dev", veth],
                                   capture_output=True).returncode != 0
                and base not in subprocess.run(["ps", "-eo", "args"], capture_output=True,
                                               text=True).stdout)

    wait_until(gone, 30, interval=0.05, message="the guardian's cleanup")


def test_non_root_gets_a_clear_reason(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(IsolatedEngineUnavailable, match="needs root"):
        check_prerequisites()


def test_unique_repo_is_a_valid_lowercase_repository(unique_repo):
    assert unique_repo.startswith("berth-test/test-unique-repo-is-a-valid-lowercase")
    assert unique_repo == unique_repo.lower()
