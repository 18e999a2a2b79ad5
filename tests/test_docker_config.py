"""The docker CLI's config.json as Berth reads and writes it (no engine needed): where each
registry's account lives (credHelpers, credsStore, the file), Docker Hub's key, every other key
kept, mode 0600, a broken file refused with a sentence; and Berth's own list of registries."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from desktop.engine.docker_config import (HUB_SERVER, CredentialStoreError, credentials_for, erase_credentials,
                                          helper_for, hostname, known_registries, server_key, store_credentials)
from desktop.engine.errors import BerthError
from desktop.engine.registry_list import (InvalidRegistry, UserRegistry, add_registry, all_registries,
                                          load_registries, remove_registry, validate_ca_file, validate_host)


def write(docker_config, data) -> None:
    (docker_config / "config.json").write_text(json.dumps(data))


def read(docker_config) -> dict:
    return json.loads((docker_config / "config.json").read_text())


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("typed, host, key", [
    ("docker.io", "docker.io", HUB_SERVER),
    ("index.docker.io", "docker.io", HUB_SERVER),
    (HUB_SERVER, "docker.io", HUB_SERVER),
    ("https://reg.example:5000/v1/", "reg.example:5000", "reg.example:5000"),
    ("reg.example:5000", "reg.example:5000", "reg.example:5000"),
])
def test_names_of_a_registry(typed, host, key):
    assert hostname(typed) == host
    assert server_key(typed) == key


def test_file_store_keeps_every_other_key_and_mode_0600(docker_config):
    write(docker_config, {"auths": {"other.example": {"auth": b64("x:y")}}, "psFormat": "{{.ID}}",
                          "proxies": {"default": {"httpProxy": "http://p:3128"}}})
    os.chmod(docker_config / "config.json", 0o644)
    assert store_credentials("reg.example:5000", "alice", "pa:ss") == str(docker_config / "config.json")
    data = read(docker_config)
    assert data["psFormat"] == "{{.ID}}" and data["proxies"] == {"default": {"httpProxy": "http://p:3128"}}
    assert data["auths"]["other.example"] == {"auth": b64("x:y")}
    assert data["auths"]["reg.example:5000"] == {"auth": b64("alice:pa:ss")}
    assert stat.S_IMODE((docker_config / "config.json").stat().st_mode) == 0o600
    found = credentials_for("reg.example:5000")
    assert (found.username, found.password) == ("alice", "pa:ss")
    assert "pa:ss" not in repr(found)
    assert [p.name for p in docker_config.iterdir()] == ["config.json"]  # no temporary file left


def test_a_new_config_folder_is_made_private(tmp_path, monkeypatch):
    folder = tmp_path / "new" / "docker"
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    store_credentials("docker.io", "bob", "pw")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert list(read(folder)["auths"]) == [HUB_SERVER]


def test_a_symlinked_config_is_written_through_the_link(docker_config, tmp_path):
    real = tmp_path / "dotfiles-config.json"
    real.write_text("{}")
    (docker_config / "config.json").symlink_to(real)
    store_credentials("reg.example", "u", "p")
    assert (docker_config / "config.json").is_symlink()
    assert json.loads(real.read_text())["auths"] == {"reg.example": {"auth": b64("u:p")}}


def test_old_url_keys_are_found_and_erased_by_host(docker_config):
    write(docker_config, {"auths": {"https://reg.example:5000/v1/": {"auth": b64("old:pw")},
                                    "keep.example": {"auth": b64("k:k")}}})
    assert credentials_for("reg.example:5000").username == "old"
    assert [a.host for a in known_registries()] == ["keep.example", "reg.example:5000"]
    assert erase_credentials("reg.example:5000") is True
    assert read(docker_config)["auths"] == {"keep.example": {"auth": b64("k:k")}}
    assert erase_credentials("reg.example:5000") is False


def test_a_broken_config_is_refused_with_a_sentence_and_left_alone(docker_config):
    (docker_config / "config.json").write_text("{not json")
    for call in (lambda: credentials_for("reg.example"), lambda: store_credentials("reg.example", "u", "p"),
                 known_registries):
        with pytest.raises(BerthError, match="is not valid JSON .*Fix or remove the file"):
            call()
    assert (docker_config / "config.json").read_text() == "{not json"


def test_helper_choice_as_the_cli(docker_config):
    config = {"credsStore": "desktop", "credHelpers": {"reg.example": "pass", HUB_SERVER: "hub"}}
    assert helper_for("reg.example", config) == "pass"
    assert helper_for("docker.io", config) == "hub"
    assert helper_for("elsewhere.example", config) == "desktop"
    assert helper_for("elsewhere.example", {}) == ""


def test_a_helper_not_on_path_is_named(docker_config):
    write(docker_config, {"credHelpers": {"reg.example": "nowhere-to-be-found"}})
    with pytest.raises(CredentialStoreError, match="docker-credential-nowhere-to-be-found, which is not installed"):
        credentials_for("reg.example")
    with pytest.raises(CredentialStoreError):
        store_credentials("reg.example", "u", "p")
    assert read(docker_config) == {"credHelpers": {"reg.example": "nowhere-to-be-found"}}
    accounts = known_registries()  # listing goes on, with the problem on the row
    assert [(a.host, a.problem != "") for a in accounts] == [("reg.example", True)]


def test_credential_helper_round_trip(docker_config, credential_helper):
    write(docker_config, {"credsStore": credential_helper.name})
    assert store_credentials("docker.io", "hubby", "hub-secret") == "the credential helper docker-credential-berth-test"
    assert credential_helper.entries() == {HUB_SERVER: {"Username": "hubby", "Secret": "hub-secret"}}
    assert "hub-secret" not in (docker_config / "config.json").read_text()
    assert read(docker_config)["auths"] == {HUB_SERVER: {}}
    assert credentials_for("docker.io").password == "hub-secret"
    assert [(a.host, a.username, a.store) for a in known_registries()] == [("docker.io", "hubby", "berth-test")]
    assert erase_credentials("docker.io") is True
    assert credential_helper.entries() == {}
    assert read(docker_config)["auths"] == {}


def test_identity_tokens_are_stored_as_the_cli_stores_them(docker_config, credential_helper):
    store_credentials("reg.example", "alice", "", identity_token="refresh-token")
    assert read(docker_config)["auths"]["reg.example"] == {"auth": b64("alice:"), "identitytoken": "refresh-token"}
    assert credentials_for("reg.example").identity_token == "refresh-token"
    write(docker_config, {"credsStore": credential_helper.name})
    store_credentials("reg.example", "alice", "", identity_token="refresh-token")
    assert credential_helper.entries() == {"reg.example": {"Username": "<token>", "Secret": "refresh-token"}}


# --- Berth's own list of registries ------------------------------------------------------------------
@pytest.mark.parametrize("typed, expected", [
    ("registry.example.com", "registry.example.com"), ("10.0.0.5:5000", "10.0.0.5:5000"),
    ("https://Registry.Example.com:443/", "registry.example.com:443"), ("localhost", "localhost"),
    ("index.docker.io", "docker.io"), ("[::1]:5000", "[::1]:5000"),
])
def test_valid_hosts(typed, expected):
    assert validate_host(typed) == expected


@pytest.mark.parametrize("typed, words", [
    ("", "Enter the registry's address"), ("my registry", "has a space"), ("reg.example/team", "has a path"),
    ("reg.example:", "add the port number"), ("reg.example:70000", "is not a port"),
    ("under_score.example", "is not a host name"), ("myregistry", "would be read as a Docker Hub account"),
])
def test_invalid_hosts_say_why(typed, words):
    with pytest.raises(InvalidRegistry, match=words):
        validate_host(typed)


def test_ca_file_checks(tmp_path):
    assert validate_ca_file("") == ""
    pem = tmp_path / "ca.crt"
    pem.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    assert validate_ca_file(str(pem)) == str(pem)
    (tmp_path / "key.txt").write_text("nope")
    for path, words in ((tmp_path / "missing.crt", "There is no file"), (tmp_path, "is a folder"),
                        (tmp_path / "key.txt", "holds no PEM certificate")):
        with pytest.raises(InvalidRegistry, match=words):
            validate_ca_file(str(path))


def test_add_update_remove_and_merge(tmp_path, docker_config):
    path = tmp_path / "berth" / "registries.json"
    pem = tmp_path / "ca.crt"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    assert add_registry("reg.example:5000", path=path) == UserRegistry("reg.example:5000")
    assert add_registry("second.example", str(pem), path=path) == UserRegistry("second.example", str(pem))
    add_registry("reg.example:5000", str(pem), path=path)  # again: a new CA file, same place in the list
    assert load_registries(path) == [UserRegistry("reg.example:5000", str(pem)), UserRegistry("second.example", str(pem))]
    with pytest.raises(InvalidRegistry):
        add_registry("bad host", path=path)
    assert len(load_registries(path)) == 2

    write(docker_config, {"auths": {"reg.example:5000": {"auth": b64("carol:pw")}, "cli.example": {}}})
    entries = {e.host: e for e in all_registries(path=path)}
    assert list(entries) == ["docker.io", "cli.example", "reg.example:5000", "second.example"]
    assert entries["reg.example:5000"].username == "carol" and entries["reg.example:5000"].user_added
    assert not entries["cli.example"].user_added and not entries["cli.example"].signed_in
    assert "pw" not in repr(entries)

    assert remove_registry("reg.example:5000", path=path) is True
    assert remove_registry("reg.example:5000", path=path) is False
    assert load_registries(path) == [UserRegistry("second.example", str(pem))]
    assert "secret" not in path.read_text() and "pw" not in path.read_text()


def test_a_damaged_list_is_refused_with_a_sentence(tmp_path):
    path = tmp_path / "registries.json"
    path.write_text("[1, 2")
    with pytest.raises(BerthError, match="is damaged .*Remove the file"):
        load_registries(path)
