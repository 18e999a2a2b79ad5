"""The registry client against real registries: the suite's plain one (catalog pages, tags,
manifests, an OCI index put by hand, delete), one started here with deleting off (405), and the
lead's secure (TLS + basic auth) and token registries when they are there. The docker CLI is the
oracle for what was pushed and what is gone."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import time
from pathlib import Path

import pytest
import requests

from desktop.engine import registry_client as rc
from desktop.engine.registry_errors import NO_NETWORK_HUB
from desktop.engine.registry_client import (
    DeleteNotAllowed,
    Registry,
    RegistryAuthError,
    RegistryNotFound,
    RegistryTlsError,
    RegistryUnreachable,
    TagMoved,
    list_tags,
    parse_challenge,
    sort_tags,
)


def _plain(registry) -> str:
    """The suite's plain registry as the test process reaches it: on the namespace's address,
    which is not loopback, so the scheme is written out."""
    return f"http://{registry.host}"


def _push(engine, made, repo: str, tag: str, *lines: str) -> str:
    """Build a small unique image, push it as 127.0.0.1:5000/<repo>:<tag>; return its digest."""
    ref = f"127.0.0.1:5000/{repo}:{tag}"
    made.image(ref, *lines)
    engine.cli("push", ref)
    digests = json.loads(engine.cli("image", "inspect", "--format", "{{json .RepoDigests}}", ref).stdout)
    return next(d for d in digests if d.startswith(f"127.0.0.1:5000/{repo}@")).split("@", 1)[1]


@pytest.fixture
def no_sign_in(tmp_path, monkeypatch):
    """An empty DOCKER_CONFIG, so no test picks up someone's stored credentials."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    rc.TOKENS.clear()
    return tmp_path / "docker-config"


# --- pure parts -------------------------------------------------------------------------------

def test_tags_sort_latest_then_versions_newest_first_then_names():
    tags = ["dev", "1.2.0", "latest", "1.10.0", "1.2.0-rc1", "v2", "v10", "alpha", "Beta", "1.9"]
    assert sort_tags(tags) == ["latest", "v10", "v2", "1.10.0", "1.9", "1.2.0", "1.2.0-rc1", "alpha", "Beta", "dev"]
    assert sort_tags([]) == []


def test_challenges_are_read_with_quoted_and_bare_values():
    c = parse_challenge('Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"')
    assert c.scheme == "bearer"
    assert c.params == {"realm": "https://auth.example/token", "service": "reg", "scope": "repository:a/b:pull,push"}
    assert parse_challenge('Basic realm="Registry Realm"').params == {"realm": "Registry Realm"}
    assert parse_challenge("Negotiate abc") is None
    assert parse_challenge("") is None


def test_addresses_get_the_engine_schemes():
    assert Registry("127.0.0.1:5000").base == "http://127.0.0.1:5000"
    assert Registry("localhost:5000").base == "http://localhost:5000"
    assert Registry("[::1]:5000").base == "http://[::1]:5000"
    assert Registry("registry.example.com").base == "https://registry.example.com"
    assert Registry("http://10.1.2.3:5000").base == "http://10.1.2.3:5000"
    hub = Registry("docker.io")
    assert (hub.base, hub.name, hub.repository_path("nginx"), hub.repository_path("me/app")) == \
        ("https://registry-1.docker.io", "docker.io", "library/nginx", "me/app")


def test_a_missing_ca_file_is_said_before_any_request(tmp_path):
    with pytest.raises(RegistryTlsError, match="CA certificate file for registry.example.com does not exist"):
        Registry("registry.example.com", ca_file=str(tmp_path / "nope.pem"))


# --- the plain registry -----------------------------------------------------------------------

def test_catalog_follows_link_pages(docker_engine, made, registry, unique_repo, no_sign_in):
    repos = [f"{unique_repo}-{i}" for i in range(3)]
    for repo in repos:
        _push(docker_engine, made, repo, "1")
    pages = []
    with Registry(_plain(registry)) as reg:
        found = reg.repositories(page_size=2, on_page=pages.append)
    assert set(repos) <= set(found)
    assert len(found) == len(set(found))  # no page read twice
    assert len(pages) >= 2 and all(len(p) <= 2 for p in pages)


def test_tags_are_listed_sorted_and_list_tags_agrees(docker_engine, made, registry, unique_repo, no_sign_in):
    for tag in ("dev", "1.2.0", "1.10.0", "latest"):
        _push(docker_engine, made, unique_repo, tag)
    with Registry(_plain(registry)) as reg:
        assert reg.tags(unique_repo) == ["latest", "1.10.0", "1.2.0", "dev"]
    assert list_tags(_plain(registry), unique_repo) == ["latest", "1.10.0", "1.2.0", "dev"]


def test_a_manifest_has_the_push_digest_and_the_layers_size(docker_engine, made, registry, unique_repo, no_sign_in):
    digest = _push(docker_engine, made, unique_repo, "v1")
    with Registry(_plain(registry)) as reg:
        info = reg.manifest(unique_repo, "v1")
        assert reg.digest(unique_repo, "v1") == digest
    assert info.digest == digest
    assert info.media_type == rc.DOCKER_MANIFEST
    assert not info.is_index and info.platforms == ()
    raw = requests.get(f"{_plain(registry)}/v2/{unique_repo}/manifests/v1",
                       headers={"Accept": rc.DOCKER_MANIFEST}, timeout=5).json()
    assert info.size == raw["config"]["size"] + sum(layer["size"] for layer in raw["layers"]) > 0
    assert info.reference == f"{registry.host}/{unique_repo}:v1"


def test_an_oci_index_lists_its_platforms_with_sizes(docker_engine, made, registry, unique_repo, no_sign_in):
    amd = _push(docker_engine, made, unique_repo, "amd64")
    arm = _push(docker_engine, made, unique_repo, "arm64")
    base = f"{_plain(registry)}/v2/{unique_repo}/manifests"
    children = [requests.get(f"{base}/{tag}", headers={"Accept": rc.DOCKER_MANIFEST}, timeout=5) for tag in ("amd64", "arm64")]
    index = {
        "schemaVersion": 2, "mediaType": rc.OCI_INDEX,
        "manifests": [
            {"mediaType": rc.DOCKER_MANIFEST, "digest": amd, "size": len(children[0].content),
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": rc.DOCKER_MANIFEST, "digest": arm, "size": len(children[1].content),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    }
    put = requests.put(f"{base}/multi", data=json.dumps(index), headers={"Content-Type": rc.OCI_INDEX}, timeout=5)
    assert put.status_code == 201, put.text
    with Registry(_plain(registry)) as reg:
        info = reg.manifest(unique_repo, "multi")
    assert info.is_index and info.media_type == rc.OCI_INDEX
    assert info.digest == put.headers["Docker-Content-Digest"]
    assert [str(p) for p in info.platforms] == ["linux/amd64", "linux/arm64/v8"]
    assert [p.digest for p in info.platforms] == [amd, arm]
    sizes = [c.json()["config"]["size"] + sum(x["size"] for x in c.json()["layers"]) for c in children]
    assert [p.size for p in info.platforms] == sizes
    assert info.size == sum(sizes)


def test_unknown_repository_and_tag_are_named(docker_engine, made, registry, unique_repo, no_sign_in):
    _push(docker_engine, made, unique_repo, "v1")
    with Registry(_plain(registry)) as reg:
        with pytest.raises(RegistryNotFound, match=f"has no repository {unique_repo}-absent") as err:
            reg.tags(f"{unique_repo}-absent")
        assert err.value.code == "NAME_UNKNOWN" and registry.host in str(err.value)
        with pytest.raises(RegistryNotFound, match=f"has no tag {unique_repo}:nope"):
            reg.manifest(unique_repo, "nope")


def test_deleting_a_tag_takes_the_digest_and_its_other_tags(docker_engine, made, registry, unique_repo, no_sign_in):
    digest = _push(docker_engine, made, unique_repo, "old")
    docker_engine.cli("tag", f"127.0.0.1:5000/{unique_repo}:old", f"127.0.0.1:5000/{unique_repo}:same")
    docker_engine.cli("push", f"127.0.0.1:5000/{unique_repo}:same")
    _push(docker_engine, made, unique_repo, "keep")
    with Registry(_plain(registry)) as reg:
        assert reg.delete_tag(unique_repo, "old", expected_digest=digest) == digest
        assert reg.tags(unique_repo) == ["keep"]
    gone = docker_engine.cli("pull", f"127.0.0.1:5000/{unique_repo}:same", check=False)
    assert gone.returncode != 0 and "not found" in gone.stderr.lower()


def test_delete_refuses_when_the_tag_moved_since_confirming(docker_engine, made, registry, unique_repo, no_sign_in):
    first = _push(docker_engine, made, unique_repo, "v1")
    second = _push(docker_engine, made, unique_repo, "v1")  # rebuilt and pushed again
    assert first != second
    with Registry(_plain(registry)) as reg:
        with pytest.raises(TagMoved, match="nothing was deleted"):
            reg.delete_tag(unique_repo, "v1", expected_digest=first)
        assert reg.digest(unique_repo, "v1") == second


def test_a_registry_that_is_not_there_fails_at_once(no_sign_in):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(RegistryUnreachable, match=f"Can't reach 127.0.0.1:{port}: nothing answers"):
        list_tags(f"127.0.0.1:{port}", "app")
    assert time.monotonic() - started < 2


def test_plain_http_spoken_to_https_is_explained(registry, no_sign_in):
    with pytest.raises(RegistryTlsError, match=f"{registry.host} answers in plain HTTP, not HTTPS.*insecure-registries"):
        list_tags(registry.host, "app")


def test_a_registry_the_engine_calls_insecure_is_reached_over_http(docker_engine, made, registry, unique_repo,
                                                                  no_sign_in):
    _push(docker_engine, made, unique_repo, "v1")
    assert list_tags(registry.host, unique_repo, insecure=True) == ["v1"]
    with Registry(registry.host, insecure=True) as reg:
        assert reg.manifest(unique_repo, "v1").digest.startswith("sha256:")
        assert reg.base == f"http://{registry.host}"


def test_which_registries_the_engine_calls_insecure(docker_client, registry):
    config = docker_client.info()["RegistryConfig"]
    assert rc.insecure_by_engine(config, "127.0.0.1:5000")  # 127.0.0.0/8, always
    assert not rc.insecure_by_engine(config, registry.host)
    listed = {"IndexConfigs": {"reg.lan:5000": {"Name": "reg.lan:5000", "Secure": False},
                               "docker.io": {"Name": "docker.io", "Secure": True}},
              "InsecureRegistryCIDRs": ["127.0.0.0/8", "10.20.0.0/16"]}
    assert rc.insecure_by_engine(listed, "reg.lan:5000")
    assert rc.insecure_by_engine(listed, "10.20.3.4:5000")
    assert not rc.insecure_by_engine(listed, "10.21.3.4:5000")
    assert not rc.insecure_by_engine(listed, "docker.io")
    assert not rc.insecure_by_engine(listed, "https://10.20.3.4:5000")  # a scheme written wins
    assert not rc.insecure_by_engine({}, "reg.lan:5000")


def test_docker_hub_without_network_fails_in_about_a_second(no_sign_in):
    started = time.monotonic()
    with pytest.raises(RegistryUnreachable) as err:
        list_tags("docker.io", "alpine")
    assert str(err.value) == NO_NETWORK_HUB
    assert time.monotonic() - started < 2.5


# --- a registry with deleting off ---------------------------------------------------------------

def test_405_says_the_registry_does_not_allow_deleting(docker_engine, made, registry_factory, no_sign_in):
    reg_process = registry_factory(delete=False)
    ref = f"{reg_process.for_engine}/solo:v1"
    made.image(ref)
    docker_engine.cli("push", ref)
    with Registry(reg_process.url) as reg:
        with pytest.raises(DeleteNotAllowed, match=r"does not allow deleting \(storage.delete.enabled is off"):
            reg.delete_tag("solo", "v1")
        assert reg.tags("solo") == ["v1"]  # nothing changed


# --- TLS and basic auth -----------------------------------------------------------------------

def _store_sign_in(config_dir: Path, host: str, username: str, password: str) -> None:
    """What ``docker login`` writes without a credential store: base64 user:password under auths."""
    path = config_dir / "config.json"
    config = json.loads(path.read_text()) if path.exists() else {}
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    config.setdefault("auths", {})[host] = {"auth": auth}
    path.write_text(json.dumps(config))


@pytest.fixture(scope="module")
def secure_pushed(docker_engine, secure_registry, tmp_path_factory):
    """Two tags pushed to the secure registry with the CLI, signed in with a config of its own."""
    config = tmp_path_factory.mktemp("cli-config")
    host = secure_registry.host
    docker_engine.cli("--config", str(config), "login", "-u", secure_registry.username, "--password-stdin", host,
                      input=secure_registry.password)
    repo = "berth-test/secure-browse"
    ids = []
    for tag in ("v1", "v2"):
        ref = f"{host}/{repo}:{tag}"
        ids.append(docker_engine.build_busybox_image(ref, [f"LABEL berth.test.secure={tag}-{secrets.token_hex(4)}"]))
        docker_engine.cli("--config", str(config), "push", ref)
    yield repo
    for image_id in ids:
        docker_engine.cli("rmi", "-f", image_id, check=False)


def test_tls_and_basic_auth_with_the_registry_ca_despite_requests_ca_bundle(
        secure_registry, secure_pushed, docker_config, monkeypatch):
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # a bundle that does not hold the test CA
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    _store_sign_in(docker_config, secure_registry.host, secure_registry.username, secure_registry.password)
    assert list_tags(secure_registry.host, secure_pushed, ca_file=secure_registry.ca_file) == ["v2", "v1"]
    with Registry(secure_registry.host, ca_file=secure_registry.ca_file) as reg:
        reg.check()
        assert secure_pushed in reg.repositories()
        assert reg.manifest(secure_pushed, "v1").digest.startswith("sha256:")


def test_an_untrusted_certificate_is_said(secure_registry, docker_config):
    _store_sign_in(docker_config, secure_registry.host, secure_registry.username, secure_registry.password)
    with pytest.raises(RegistryTlsError, match=f"The TLS certificate of {secure_registry.host} is not trusted"):
        list_tags(secure_registry.host, "berth-test/anything")


def test_wrong_password_and_no_sign_in_are_said(secure_registry, secure_pushed, docker_config):
    with pytest.raises(RegistryAuthError, match=f"{secure_registry.host} needs you to sign in first"):
        list_tags(secure_registry.host, secure_pushed, ca_file=secure_registry.ca_file)
    _store_sign_in(docker_config, secure_registry.host, secure_registry.username, "not-the-password")
    with pytest.raises(RegistryAuthError, match=f"refused the stored sign-in of {secure_registry.username}"):
        list_tags(secure_registry.host, secure_pushed, ca_file=secure_registry.ca_file)


def test_credentials_from_a_credential_helper(secure_registry, secure_pushed, docker_config, credential_helper):
    (docker_config / "config.json").write_text(json.dumps({"credHelpers": {secure_registry.host: credential_helper.name}}))
    credential_helper.store_file.write_text(json.dumps(
        {secure_registry.host: {"Username": secure_registry.username, "Secret": secure_registry.password}}))
    assert list_tags(secure_registry.host, secure_pushed, ca_file=secure_registry.ca_file) == ["v2", "v1"]


# --- bearer tokens ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def token_pushed(docker_engine, token_registry, tmp_path_factory):
    config = tmp_path_factory.mktemp("cli-config")
    host = token_registry.for_engine
    docker_engine.cli("--config", str(config), "login", "-u", token_registry.username, "--password-stdin", host,
                      input=token_registry.password)
    repos = ["berth-test/token-a", "berth-test/token-b"]
    ids = []
    for repo in repos:
        for tag in ("1.0.0", "1.1.0"):
            ref = f"{host}/{repo}:{tag}"
            ids.append(docker_engine.build_busybox_image(ref, [f"LABEL berth.test.token={tag}-{secrets.token_hex(4)}"]))
            docker_engine.cli("--config", str(config), "push", ref)
    yield repos
    for image_id in ids:
        docker_engine.cli("rmi", "-f", image_id, check=False)


def test_bearer_tokens_are_fetched_once_per_scope(token_registry, token_pushed, docker_config):
    rc.TOKENS.clear()
    token_registry.token.clear_requests()
    a, b = token_pushed
    with Registry(f"http://{token_registry.host}") as reg:
        assert reg.tags(a) == ["1.1.0", "1.0.0"]
        assert reg.tags(a) == ["1.1.0", "1.0.0"]
        assert reg.manifest(a, "1.0.0").size > 0
        assert len(token_registry.token.requests()) == 1  # anonymous pull of a: one token
        assert reg.tags(b) == ["1.1.0", "1.0.0"]
        asked = token_registry.token.requests()
    assert [r["scope"] for r in asked] == [[f"repository:{a}:pull"], [f"repository:{b}:pull"]]
    assert [r["user"] for r in asked] == [None, None]
    assert list_tags(f"http://{token_registry.host}", a) == ["1.1.0", "1.0.0"]  # a new client, the cached token
    assert len(token_registry.token.requests()) == 2


def test_bearer_tokens_carry_the_stored_credentials(token_registry, token_pushed, docker_config):
    rc.TOKENS.clear()
    token_registry.token.clear_requests()
    with Registry(f"http://{token_registry.host}") as anonymous:
        with pytest.raises(RegistryAuthError, match="needs you to sign in first"):
            anonymous.repositories()
    _store_sign_in(docker_config, f"http://{token_registry.host}".removeprefix("http://"),
                   token_registry.username, token_registry.password)
    with Registry(f"http://{token_registry.host}") as reg:
        assert set(token_pushed) <= set(reg.repositories())
    assert token_registry.token.requests()[-1]["user"] == token_registry.username
    _store_sign_in(docker_config, token_registry.host, token_registry.username, "wrong")
    rc.TOKENS.clear()
    with Registry(f"http://{token_registry.host}") as reg:
        with pytest.raises(RegistryAuthError, match=f"refused the stored sign-in of {token_registry.username}"):
            reg.tags(token_pushed[0])


def test_deleting_through_a_token_registry_asks_for_a_delete_token(docker_engine, token_registry, docker_config,
                                                                    made, unique_repo):
    docker_engine.cli("--config", str(docker_config), "login", "-u", token_registry.username, "--password-stdin",
                      token_registry.for_engine, input=token_registry.password)
    ref = f"{token_registry.for_engine}/{unique_repo}:gone"
    made.image(ref)
    docker_engine.cli("--config", str(docker_config), "push", ref)
    _store_sign_in(docker_config, token_registry.host, token_registry.username, token_registry.password)
    rc.TOKENS.clear()
    token_registry.token.clear_requests()
    with Registry(f"http://{token_registry.host}") as reg:
        digest = reg.digest(unique_repo, "gone")
        assert reg.delete_tag(unique_repo, "gone", expected_digest=digest) == digest
        assert reg.tags(unique_repo) == []  # its only tag went
    scopes = [s for r in token_registry.token.requests() for s in r["scope"]]
    assert f"repository:{unique_repo}:delete" in scopes
