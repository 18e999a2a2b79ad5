"""Finding the engine the way the docker CLI does (no engine needed)."""

import hashlib
import json

import pytest

from desktop.engine import connection
from desktop.engine.errors import EngineUnavailable


def _write_context(config_dir, name, host, skip_tls=False, tls_files=()):
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps(
        {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": skip_tls}}}))
    if tls_files:
        tls = config_dir / "contexts" / "tls" / digest / "docker"
        tls.mkdir(parents=True)
        for file in tls_files:
            (tls / file).write_text("pem")
    return digest


def test_docker_host_wins_over_everything(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    env = {"DOCKER_HOST": "tcp://10.0.0.5:2375", "DOCKER_CONFIG": str(tmp_path), "DOCKER_CONTEXT": "other"}
    [endpoint] = connection.candidate_endpoints(env, "linux")
    assert (endpoint.host, endpoint.source, endpoint.tls) == ("tcp://10.0.0.5:2375", "DOCKER_HOST", None)


def test_current_context_from_config(tmp_path):
    _write_context(tmp_path, "remote", "tcp://build-box:2376", tls_files=("ca.pem", "cert.pem", "key.pem"))
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    [endpoint] = connection.candidate_endpoints({"DOCKER_CONFIG": str(tmp_path), "HOME": str(tmp_path)}, "linux")
    assert endpoint.host == "tcp://build-box:2376"
    assert endpoint.source == "context" and endpoint.context == "remote"
    assert endpoint.tls.ca_cert.endswith("ca.pem") and endpoint.tls.verify
    assert "docker context 'remote'" in endpoint.describe()


def test_docker_context_env_beats_config(tmp_path):
    _write_context(tmp_path, "a", "unix:///run/a.sock")
    _write_context(tmp_path, "b", "unix:///run/b.sock")
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "a"}))
    env = {"DOCKER_CONFIG": str(tmp_path), "DOCKER_CONTEXT": "b"}
    assert connection.candidate_endpoints(env, "linux")[0].host == "unix:///run/b.sock"


def test_missing_context_says_how_to_fix(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "gone"}))
    with pytest.raises(EngineUnavailable, match="context 'gone' is selected but does not exist.*docker context use default"):
        connection.candidate_endpoints({"DOCKER_CONFIG": str(tmp_path)}, "linux")


def test_platform_defaults(tmp_path):
    env = {"HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path)}
    assert [e.host for e in connection.candidate_endpoints(env, "win32")] == ["npipe:////./pipe/docker_engine"]
    assert [e.host for e in connection.candidate_endpoints(env, "linux")] == ["unix:///var/run/docker.sock"]
    rootless = tmp_path / "run"
    rootless.mkdir()
    (rootless / "docker.sock").write_text("")
    env["XDG_RUNTIME_DIR"] = str(rootless)
    hosts = [e.host for e in connection.candidate_endpoints(env, "linux")]
    assert hosts == ["unix:///var/run/docker.sock", f"unix://{rootless}/docker.sock"]


def test_default_context_name_is_default(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "default"}))
    env = {"DOCKER_CONFIG": str(tmp_path), "HOME": str(tmp_path)}
    assert connection.candidate_endpoints(env, "linux")[0].source == "default"


@pytest.mark.parametrize("typed, host", [
    ("192.168.1.10:2375", "tcp://192.168.1.10:2375"),
    ("/run/user/1000/docker.sock", "unix:///run/user/1000/docker.sock"),
    ("ssh://me@box", "ssh://me@box"),
])
def test_user_endpoint(typed, host):
    assert connection.user_endpoint(typed).host == host


def test_unreachable_engine_lists_every_attempt(tmp_path):
    endpoints = [connection.user_endpoint(f"unix://{tmp_path}/nothing.sock"),
                 connection.Endpoint(f"unix://{tmp_path}/also-nothing.sock", "alternate")]
    with pytest.raises(EngineUnavailable) as caught:
        connection.connect(endpoints, timeout=2)
    message = str(caught.value)
    assert "could not reach a Docker engine" in message
    assert f"{tmp_path}/nothing.sock (entered by you): the socket does not exist" in message
    assert f"{tmp_path}/also-nothing.sock (well-known alternate)" in message
    assert len(caught.value.attempts) == 2


def test_refused_tcp_port_is_reported(tmp_path):
    import socket
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EngineUnavailable, match="connection refused"):
        connection.connect([connection.user_endpoint(f"127.0.0.1:{port}")], timeout=2)


def test_version_tuple():
    assert connection.version_tuple("20.10.24+dfsg1") == (20, 10, 24)
    assert connection.version_tuple("1.41") == (1, 41)


def test_api_version_negotiation():
    assert connection.negotiate_api_version("1.41", "1.45") == "1.41"  # older engine: its version
    assert connection.negotiate_api_version("1.47", "1.45") == "1.45"  # newer engine: what the SDK speaks
    assert connection.negotiate_api_version("", "1.45") == "1.45"


@pytest.mark.parametrize("value", ["1", "0", "false", "no"])
def test_any_non_empty_tls_verify_verifies_like_the_cli(tmp_path, value):
    """The docker CLI checks DOCKER_TLS_VERIFY != "": "0" still means verify the engine."""
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("pem")
    env = {"DOCKER_HOST": "tcp://build-box:2376", "DOCKER_TLS_VERIFY": value, "DOCKER_CERT_PATH": str(tmp_path)}
    [endpoint] = connection.candidate_endpoints(env, "linux")
    assert endpoint.tls is not None and endpoint.tls.verify
    assert endpoint.tls.ca_cert == str(tmp_path / "ca.pem")


def test_tls_verify_zero_without_cert_path_still_uses_tls(tmp_path):
    (tmp_path / "ca.pem").write_text("pem")
    env = {"DOCKER_HOST": "tcp://build-box:2376", "DOCKER_TLS_VERIFY": "0", "DOCKER_CONFIG": str(tmp_path)}
    [endpoint] = connection.candidate_endpoints(env, "linux")
    assert endpoint.tls is not None and endpoint.tls.verify and endpoint.tls.ca_cert == str(tmp_path / "ca.pem")


def test_empty_tls_verify_with_cert_path_does_not_verify(tmp_path):
    env = {"DOCKER_HOST": "tcp://build-box:2376", "DOCKER_TLS_VERIFY": "", "DOCKER_CERT_PATH": str(tmp_path)}
    [endpoint] = connection.candidate_endpoints(env, "linux")
    assert endpoint.tls is not None and not endpoint.tls.verify


def test_sdk_clients_of_a_local_engine_skip_the_environment_lookups(tmp_path):
    """requests reads proxies, a CA bundle and ~/.netrc from the environment at every request
    unless told not to: for a local socket none applies, and it cost a fifth of each request."""
    local = connection.open_client(connection.Endpoint(f"unix://{tmp_path}/docker.sock", "user"), "1.41")
    remote = connection.open_client(connection.Endpoint("tcp://127.0.0.1:9", "user"), "1.41")
    try:
        assert local.api.trust_env is False
        assert remote.api.trust_env is True  # a remote engine may sit behind the user's proxy
    finally:
        local.close()
        remote.close()
