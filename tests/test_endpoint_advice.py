"""The advice for a host that does not answer fits its kind; typed hosts are checked (pure)."""

import hashlib
import json

import pytest

from desktop.engine import endpoint_advice
from desktop.engine.endpoint_advice import advice_for, endpoint_kind, host_problem, suggested_endpoints


@pytest.mark.parametrize("host, kind", [("unix:///var/run/docker.sock", "unix"), ("tcp://h:2375", "tcp"),
                                        ("https://h:2376", "tcp"), ("ssh://me@h", "ssh"),
                                        ("npipe:////./pipe/docker_engine", "npipe")])
def test_kind(host, kind):
    assert endpoint_kind(host) == kind


def test_a_refused_tcp_host_is_about_that_host_not_a_local_daemon():
    text = advice_for("tcp://10.1.2.3:2375", platform="linux")
    assert "Nothing answers at 10.1.2.3:2375" in text
    assert "dockerd -H tcp://10.1.2.3:2375" in text and "firewall" in text
    assert "systemctl" not in text and "usermod" not in text
    assert "Nothing answers at 10.1.2.3:2376" in advice_for("https://10.1.2.3", platform="linux")
    assert "[::1]:2375" in advice_for("tcp://[::1]:2375", platform="linux")


def test_ssh_advice_names_the_login_and_the_remote_cli():
    text = advice_for("ssh://deploy@build.example:2222", platform="linux")
    assert "ssh -p 2222 deploy@build.example docker version" in text
    assert "dial-stdio" in text and "systemctl" not in text


def test_local_socket_advice_says_how_to_start_the_daemon():
    assert "systemctl start docker" in advice_for("unix:///var/run/docker.sock", platform="linux")
    assert "Docker Desktop" in advice_for("unix:///var/run/docker.sock", platform="darwin")
    other = advice_for("unix:///srv/engine/api.sock", platform="linux")
    assert "dockerd -H unix:///srv/engine/api.sock" in other and "systemctl" in other


@pytest.mark.parametrize("text, words", [("", "Enter a host"), ("ftp://x", "must start with unix://"),
                                         ("tcp://", "names no host"), ("ssh://", "names no host")])
def test_bad_hosts_are_explained(text, words):
    assert words in host_problem(text)


@pytest.mark.parametrize("text", ["tcp://127.0.0.1:2375", "127.0.0.1:2375", "/run/docker.sock",
                                  "ssh://me@host", "unix:///x.sock"])
def test_good_hosts_pass(text):
    assert host_problem(text) == ""


def test_suggestions_are_docker_host_the_contexts_and_the_default(tmp_path):
    meta = tmp_path / "contexts" / "meta" / hashlib.sha256(b"remote").hexdigest()  # as the CLI files it
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps({"Name": "remote", "Endpoints": {"docker": {"Host": "ssh://me@far"}}}))
    broken = tmp_path / "contexts" / "meta" / "bad"
    broken.mkdir()
    (broken / "meta.json").write_text("{not json")
    env = {"DOCKER_CONFIG": str(tmp_path), "DOCKER_HOST": "tcp://10.0.0.9:2375", "HOME": str(tmp_path)}
    found = suggested_endpoints(env, "linux")
    assert [(e.host, e.source) for e in found] == [("tcp://10.0.0.9:2375", "DOCKER_HOST"),
                                                   ("ssh://me@far", "context"),
                                                   (endpoint_advice.DEFAULT_UNIX_SOCKET, "default")]
    assert found[1].context == "remote"
