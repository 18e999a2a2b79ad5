"""The registry client against real registries: the suite's plain one (catalog pages, tags,
manifests, an OCI index put by hand, delete), one started here with deleting off (405), and the
lead's secure (TLS + basic auth) and token registries when they are there. The docker CLI is the
oracle for what was pushed and what is gone."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from desktop.engine import registry_client as rc
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
    with pytest.raises(RegistryTlsError, match=f"{registry.host} answers in plain HTTP, not HTTPS"):
        list_tags(registry.host, "app")


def test_docker_hub_without_network_fails_in_about_a_second(no_sign_in):
    started = time.monotonic()
    with pytest.raises(RegistryUnreachable) as err:
        list_tags("docker.io", "alpine")
    assert str(err.value) == "Can't reach docker.io — no network or DNS."
    assert time.monotonic() - started < 2.5


# --- a registry with deleting off ---------------------------------------------------------------

@pytest.fixture
def no_delete_registry(docker_engine, tmp_path):
    """A registry of this test's own, in the engine's namespace, with storage.delete off."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free here; the namespace has its own ports, all free
    config = {"version": 0.1, "log": {"level": "warn", "accesslog": {"disabled": True}},
              "storage": {"filesystem": {"rootdirectory": str(tmp_path / "data")}},
              "http": {"addr": f"0.0.0.0:{port}", "secret": secrets.token_hex(8)}}
    cfg = tmp_path / "registry.json"
    cfg.write_text(json.dumps(config))
    proc = subprocess.Popen(["ip", "netns", "exec", docker_engine.netns, "docker-registry", "serve", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://{docker_engine.ns_address}:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{url}/v2/", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the registry did not start"
            time.sleep(0.05)  # fixture start-up, not a test wait
        yield url, f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_405_says_the_registry_does_not_allow_deleting(docker_engine, made, no_delete_registry, no_sign_in):
    url, for_engine = no_delete_registry
    ref = f"{for_engine}/solo:v1"
    made.image(ref)
    docker_engine.cli("push", ref)
    with Registry(url) as reg:
        with pytest.raises(DeleteNotAllowed, match=r"does not allow deleting \(storage.delete.enabled is off"):
            reg.delete_tag("solo", "v1")
        assert reg.tags("solo") == ["v1"]  # nothing changed
