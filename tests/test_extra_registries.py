"""The registries beside the test engine behave like the real ones Berth meets: TLS the engine
verifies, basic auth that refuses a wrong password, a token service, a stand-in credential
helper. Checked from outside with the docker CLI and plain HTTP."""

from __future__ import annotations

import base64
import ssl
import urllib.error
import urllib.request

import pytest


def _cli(engine, config_dir, *args, check=True):
    return engine.cli("--config", str(config_dir), *args, check=check)


def _https_get(url: str, ca_file: str | None, auth: tuple[str, str] | None = None) -> int:
    context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_secure_registry_needs_its_ca_and_the_password(secure_registry, docker_engine, tmp_path, busybox_image):
    url = f"https://{secure_registry.host}/v2/"
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        _https_get(url, None)
    assert _https_get(url, secure_registry.ca_file) == 401
    assert _https_get(url, secure_registry.ca_file, (secure_registry.username, "wrong")) == 401
    assert _https_get(url, secure_registry.ca_file, (secure_registry.username, secure_registry.password)) == 200

    config = tmp_path / "cli-config"
    wrong = _cli(docker_engine, config, "login", "-u", secure_registry.username, "--password-stdin",
                 secure_registry.host, check=False)
    assert wrong.returncode != 0
    ok = docker_engine.cli("--config", str(config), "login", "-u", secure_registry.username, "--password-stdin",
                           secure_registry.host, input=secure_registry.password)
    assert "Login Succeeded" in ok.stdout
    ref = f"{secure_registry.for_engine}/fixture/secure:1"
    docker_engine.cli("tag", busybox_image, ref)
    try:
        _cli(docker_engine, config, "push", ref)
    finally:
        docker_engine.cli("rmi", ref)
    _cli(docker_engine, config, "pull", ref)
    docker_engine.cli("rmi", ref)


def test_token_registry_issues_tokens_for_the_right_password(token_registry, docker_engine, tmp_path, busybox_image):
    status, _ = _plain_get(f"http://{token_registry.host}/v2/")
    assert status == 401
    config = tmp_path / "cli-config"
    denied = docker_engine.cli("--config", str(config), "login", "-u", token_registry.username, "--password-stdin",
                               token_registry.for_engine, input="wrong", check=False)
    assert denied.returncode != 0
    token_registry.token.clear_requests()
    docker_engine.cli("--config", str(config), "login", "-u", token_registry.username, "--password-stdin",
                      token_registry.for_engine, input=token_registry.password)
    ref = f"{token_registry.for_engine}/fixture/token:1"
    docker_engine.cli("tag", busybox_image, ref)
    try:
        _cli(docker_engine, config, "push", ref)
    finally:
        docker_engine.cli("rmi", ref)
    granted = [r for r in token_registry.token.requests() if r["ok"] and r["user"] == token_registry.username]
    assert any("repository:fixture/token:push,pull" in r["scope"] for r in granted), token_registry.token.requests()


def _plain_get(url: str):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_spare_registry_stops_and_comes_back(spare_registry):
    url = f"http://{spare_registry.host}/v2/"
    assert _plain_get(url)[0] == 200
    spare_registry.kill()
    with pytest.raises(urllib.error.URLError):
        _plain_get(url)
    spare_registry.restart()
    assert _plain_get(url)[0] == 200


def test_credential_helper_speaks_the_protocol(credential_helper):
    from docker.credentials import CredentialsNotFound, Store

    store = Store(credential_helper.name)  # the SDK's own client of the helper protocol, found on PATH
    store.store("10.1.2.3:5443", "u", "p")
    assert store.get("10.1.2.3:5443") == {"ServerURL": "10.1.2.3:5443", "Username": "u", "Secret": "p"}
    assert credential_helper.entries() == {"10.1.2.3:5443": {"Username": "u", "Secret": "p"}}
    assert store.list() == {"10.1.2.3:5443": "u"}
    with pytest.raises(CredentialsNotFound):
        store.get("elsewhere:1")
    store.erase("10.1.2.3:5443")
    assert credential_helper.entries() == {}


def test_docker_config_is_private_to_the_test(docker_config):
    import os

    assert os.environ["DOCKER_CONFIG"] == str(docker_config)
    assert list(docker_config.iterdir()) == []
