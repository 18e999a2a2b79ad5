"""Signing in and out through the real engine's /auth against the real registries beside it: the
account lands exactly where the docker CLI keeps it (the CLI then pulls with it, and what the
CLI stores Berth sees), each failure is a sentence naming the registry, and the password is in
no log and no file but the store."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from desktop.engine import registry_login
from desktop.engine.connection import ClientFactory, Endpoint, connect
from desktop.engine.docker_config import HUB_SERVER, credentials_for, known_registries, store_credentials
from desktop.engine.errors import BerthError
from desktop.engine.registry_login import (NO_NETWORK_HUB, RegistryTlsError, RegistryUnreachable, Secret,
                                           SignInFailed, hub_precheck, sign_in, sign_out)


def _cli(engine, config: Path, *args, check=True, input=None):
    return engine.cli("--config", str(config), *args, check=check, input=input)


@pytest.fixture(scope="module")
def factory(docker_engine):
    info = connect([Endpoint(docker_engine.docker_host, "user")])
    f = ClientFactory(info)
    yield f
    f.close()


@pytest.fixture
def client(factory):
    with factory.private_client(timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def secure_image(secure_registry, docker_engine, busybox_image, tmp_path_factory) -> str:
    """An image in the secure registry, pushed by the CLI with an account of its own."""
    config = tmp_path_factory.mktemp("pusher-config")
    _cli(docker_engine, config, "login", "-u", secure_registry.username, "--password-stdin", secure_registry.host,
         input=secure_registry.password)
    ref = f"{secure_registry.for_engine}/berth-test/signin:1"
    docker_engine.cli("tag", busybox_image, ref)
    try:
        _cli(docker_engine, config, "push", ref)
    finally:
        docker_engine.cli("rmi", ref)
    return ref


def _pull_with_cli(engine, config: Path, ref: str):
    result = _cli(engine, config, "pull", ref, check=False)
    if result.returncode == 0:
        engine.cli("rmi", ref, check=False)
    return result


def _files_holding(root: Path, secret: str, skip: Path | None = None) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and path != skip:
            try:
                if secret.encode() in path.read_bytes():
                    found.append(str(path))
            except OSError:
                pass
    return found


# --- the file store ---------------------------------------------------------------------------------
def test_sign_in_stores_in_the_file_and_the_cli_pulls_with_it(client, secure_registry, secure_image, docker_config,
                                                             docker_engine, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    (docker_config / "config.json").write_text(json.dumps({"psFormat": "table {{.ID}}", "auths": {}}))
    assert _pull_with_cli(docker_engine, docker_config, secure_image).returncode != 0  # not signed in yet

    secret = Secret(secure_registry.password)
    result = sign_in(client, secure_registry.host, secure_registry.username, secret)
    assert result.username == secure_registry.username
    assert secret.take() == ""  # handed over once, then forgotten
    path = docker_config / "config.json"
    assert result.stored_in == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["psFormat"] == "table {{.ID}}"  # every other key kept
    expected = base64.b64encode(f"{secure_registry.username}:{secure_registry.password}".encode()).decode()
    assert data["auths"][secure_registry.host] == {"auth": expected}

    assert _pull_with_cli(docker_engine, docker_config, secure_image).returncode == 0
    assert credentials_for(secure_registry.host).username == secure_registry.username
    # the password is in the store (the file, base64) and nowhere else: no log, no other file
    assert secure_registry.password not in caplog.text
    assert expected not in caplog.text
    assert _files_holding(tmp_path, secure_registry.password) == []
    assert _files_holding(Path(os.environ["XDG_CONFIG_HOME"]).parent, secure_registry.password) == []

    assert sign_out(secure_registry.host) is True
    assert secure_registry.host not in json.loads(path.read_text())["auths"]
    assert json.loads(path.read_text())["psFormat"] == "table {{.ID}}"
    assert _pull_with_cli(docker_engine, docker_config, secure_image).returncode != 0
    assert sign_out(secure_registry.host) is False  # nothing left to erase


def test_berth_sees_an_account_the_cli_stored(secure_registry, docker_config, docker_engine):
    _cli(docker_engine, docker_config, "login", "-u", secure_registry.username, "--password-stdin",
         secure_registry.host, input=secure_registry.password)
    found = credentials_for(secure_registry.host)
    assert found is not None and found.username == secure_registry.username
    assert found.password == secure_registry.password
    assert secure_registry.password not in repr(found)
    assert [a.username for a in known_registries() if a.host == secure_registry.host] == [secure_registry.username]
    # and what Berth erases, the CLI no longer has
    assert sign_out(secure_registry.host)
    result = _cli(docker_engine, docker_config, "logout", secure_registry.host, check=False)
    assert "Not logged in" in result.stdout + result.stderr or result.returncode == 0
    assert credentials_for(secure_registry.host) is None


def test_session_clients_use_the_new_account_after_reload(factory, secure_registry, secure_image, docker_config,
                                                          docker_engine, client):
    import docker.errors

    api = factory.client().api
    with pytest.raises(docker.errors.APIError, match="no basic auth credentials|unauthorized"):
        api.pull(secure_image)  # the cached (empty) configuration has no account: refused
    sign_in(client, secure_registry.host, secure_registry.username, Secret(secure_registry.password))
    factory.reload_auth()
    api.pull(secure_image)
    docker_engine.cli("rmi", secure_image)


# --- the credential helpers ----------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["credsStore", "credHelpers"])
def test_sign_in_stores_in_the_credential_helper(how, client, secure_registry, secure_image, docker_config,
                                                 credential_helper, docker_engine, caplog):
    caplog.set_level(logging.DEBUG)
    setting = ({"credsStore": credential_helper.name} if how == "credsStore"
               else {"credHelpers": {secure_registry.host: credential_helper.name}})
    (docker_config / "config.json").write_text(json.dumps(setting))

    result = sign_in(client, secure_registry.host, secure_registry.username, Secret(secure_registry.password))
    assert result.stored_in == "the credential helper docker-credential-berth-test"
    assert credential_helper.entries() == {
        secure_registry.host: {"Username": secure_registry.username, "Secret": secure_registry.password}}
    config_text = (docker_config / "config.json").read_text()
    assert secure_registry.password not in config_text
    assert json.loads(config_text)["auths"] == {secure_registry.host: {}}  # as the CLI's native store writes
    assert secure_registry.password not in caplog.text

    assert _pull_with_cli(docker_engine, docker_config, secure_image).returncode == 0
    assert [a.username for a in known_registries() if a.host == secure_registry.host] == [secure_registry.username]
    assert sign_out(secure_registry.host)
    assert credential_helper.entries() == {}
    assert credentials_for(secure_registry.host) is None

    # the other way round: the CLI signs in through the same helper, Berth reads the account
    _cli(docker_engine, docker_config, "login", "-u", secure_registry.username, "--password-stdin",
         secure_registry.host, input=secure_registry.password)
    assert secure_registry.host in credential_helper.entries()
    assert credentials_for(secure_registry.host).password == secure_registry.password
    assert [(a.username, a.store) for a in known_registries() if a.host == secure_registry.host] == [
        (secure_registry.username, credential_helper.name)]


def test_a_missing_helper_is_said_before_the_engine_is_asked(client, secure_registry, docker_config):
    (docker_config / "config.json").write_text(json.dumps({"credsStore": "not-installed-here"}))
    with pytest.raises(BerthError, match="docker-credential-not-installed-here, which is not installed"):
        sign_in(client, secure_registry.host, secure_registry.username, Secret(secure_registry.password))
    assert json.loads((docker_config / "config.json").read_text()) == {"credsStore": "not-installed-here"}


# --- failures, each a sentence naming the registry -------------------------------------------------------
def test_wrong_password_is_refused_and_nothing_is_stored(client, secure_registry, docker_config, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SignInFailed) as caught:
        sign_in(client, secure_registry.host, secure_registry.username, Secret("not-the-password"))
    assert f"{secure_registry.host} refused the user name or password" in str(caught.value)
    assert not (docker_config / "config.json").exists()
    assert "not-the-password" not in caplog.text


def test_token_registry_right_and_wrong(client, token_registry, docker_config):
    with pytest.raises(SignInFailed, match="refused the user name or password"):
        sign_in(client, token_registry.for_engine, token_registry.username, Secret("wrong"))
    result = sign_in(client, token_registry.for_engine, token_registry.username, Secret(token_registry.password))
    assert credentials_for(token_registry.for_engine).password == token_registry.password
    assert result.host == token_registry.for_engine


def test_unknown_host(client, docker_config):
    with pytest.raises(RegistryUnreachable) as caught:
        sign_in(client, "no-such-registry.invalid:5000", "someone", Secret("pw"))
    assert "no-such-registry.invalid:5000" in str(caught.value)
    assert not (docker_config / "config.json").exists()


def test_a_certificate_the_engine_does_not_trust(client, registry_factory, docker_engine, docker_config):
    untrusted = registry_factory(tls=True, users={"someone": "pw-" + os.urandom(3).hex()})
    os.remove(os.path.join(docker_engine.certs_dir, untrusted.host, "ca.crt"))  # the engine forgets its CA
    with pytest.raises(RegistryTlsError) as caught:
        sign_in(client, untrusted.host, "someone", Secret(untrusted.password))
    message = str(caught.value)
    assert untrusted.host in message and f"/etc/docker/certs.d/{untrusted.host}/ca.crt" in message


def test_registry_down(client, spare_registry, docker_config):
    host = spare_registry.for_engine
    spare_registry.stop()
    with pytest.raises(RegistryUnreachable) as caught:
        sign_in(client, host, "someone", Secret("pw"))
    assert f"Nothing answers at {host}" in str(caught.value)


def test_bad_input_changes_nothing(client, docker_config):
    for host, user, password, expected in (("", "u", "p", "Enter the registry's address"),
                                           ("bad host", "u", "p", "has a space"),
                                           ("10.0.0.1:5000", " ", "p", "Enter your user name"),
                                           ("10.0.0.1:5000", "u", "", "Enter the password")):
        with pytest.raises(BerthError, match=expected):
            sign_in(client, host, user, Secret(password))
    assert not (docker_config / "config.json").exists()


# --- Docker Hub with no network ----------------------------------------------------------------------------
def test_docker_hub_without_network_fails_at_once_with_one_message(client, docker_config):
    for precheck_dns in (True, False):  # our own DNS check, and the engine's answer
        started = time.monotonic()
        with pytest.raises(RegistryUnreachable) as caught:
            sign_in(client, "docker.io", "someone", Secret("pw"), precheck_dns=precheck_dns)
        assert str(caught.value) == NO_NETWORK_HUB
        assert time.monotonic() - started < 1.5
    assert not (docker_config / "config.json").exists()


def test_a_dns_that_hangs_is_given_about_a_second():
    release = threading.Event()

    def hanging_resolver(*_args, **_kwargs):
        release.wait(30)
        raise OSError("released")

    started = time.monotonic()
    try:
        with pytest.raises(RegistryUnreachable, match=NO_NETWORK_HUB):
            hub_precheck(timeout=1.0, resolve=hanging_resolver)
        assert 0.9 < time.monotonic() - started < 1.6
    finally:
        release.set()
    hub_precheck(resolve=lambda *a, **k: [("ok",)])  # a name that resolves passes


def test_the_hub_account_is_stored_under_the_cli_key(docker_config):
    path = docker_config / "config.json"
    path.write_text(json.dumps({"auths": {}}))
    assert store_credentials("docker.io", "hubuser", "hubpass") == str(path)
    assert list(json.loads(path.read_text())["auths"]) == [HUB_SERVER]
    assert credentials_for("docker.io").username == "hubuser"
    assert credentials_for("index.docker.io").username == "hubuser"


@pytest.mark.parametrize("answer, kind, words", [
    ('Get "https://reg.example:5000/v2/": dial tcp: lookup reg.example on 10.0.0.53:53: no such host',
     RegistryUnreachable, "cannot find the host of reg.example:5000"),
    ('Get "https://reg.example:5000/v2/": dial tcp: lookup reg.example on 10.0.0.53:53: dial udp 10.0.0.53:53: '
     'connect: network is unreachable', RegistryUnreachable, "cannot look up the name of reg.example:5000"),
    ('Get "https://reg.example:5000/v2/": net/http: TLS handshake timeout', RegistryUnreachable,
     "cannot reach reg.example:5000"),
    ('Get "https://reg.example:5000/v2/": http: server gave HTTP response to HTTPS client', RegistryTlsError,
     "answers in plain HTTP"),
    ('Get "https://reg.example:5000/v2/": denied: requested access to the resource is denied', SignInFailed,
     "reg.example:5000 refused"),
])
def test_engine_answers_become_sentences(answer, kind, words):
    """Answers the engine gives (the texts as dockerd 20.10 words them) that the registries here
    cannot produce: a name DNS knows not, a stalled handshake, a plain-HTTP registry."""
    import docker.errors

    error = registry_login.explain_failure(docker.errors.APIError("500 Server Error", explanation=answer),
                                           "reg.example:5000")
    assert isinstance(error, kind) and words in str(error)
    assert error.detail == answer
