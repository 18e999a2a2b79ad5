"""pytest fixtures for tests that need a real Docker engine: an isolated dockerd per session.

Load as a plugin (``pytest_plugins = ["tests.engine_fixtures"]`` in the top conftest, or
``-p tests.engine_fixtures``) or import into a conftest with
``from tests.engine_fixtures import *``. The project root must be importable for that
(``python -m pytest``, or ``pythonpath = ["."]`` in the pytest configuration).

Fixtures:
    docker_engine   session   the shared IsolatedEngine (with a registry), started on first use
    docker_client   session   docker.DockerClient on that engine (a test oracle)
    busybox_image   session   tag of the FROM-scratch busybox base image in that engine
    registry        session   RegistryAddress(host=<for this process>, for_engine="127.0.0.1:5000")
    fresh_engine    function  a separate short-lived engine (no registry) to kill/restart freely
    engine_prerequisites session  skip/fail like the above, for tests making their own engines
    unique_repo     function  a unique lowercase repository name, "berth-test/<test>-<n>"
    secure_registry session   HTTPS + htpasswd registry the engine verifies (``scripts/extra_registries.py``):
                              host (same for engine and tests), username, password, ca_file
    token_registry  session   plain-HTTP registry with ``auth: token``: host, for_engine, username,
                              password, token (the TokenServer: realm, requests())
    spare_registry  function  a plain registry of the test's own to stop/kill/freeze: host, for_engine
    registry_factory function make_registry(tls=, users=, delete=) -> a started RegistryProcess
    docker_config   function  a fresh empty DOCKER_CONFIG directory set for the test (pathlib.Path)
    credential_helper function a stand-in ``docker-credential-berth-test`` on PATH: name, store_file, entries()

Containers that must die quickly when an engine stops or restarts should be run with
``--stop-signal KILL`` (busybox as PID 1 ignores SIGTERM; a restarted dockerd waits 10 s on it).

Where the engine cannot run (not root, packages missing) engine tests are skipped with the reason,
except when the CI environment variable is set: then they fail, never silently skip.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Iterator, NamedTuple

import pytest

_SCRIPTS = str(Path(__file__).resolve().parent.parent / "scripts")
if _SCRIPTS not in sys.path:
    sys.path.insert(0, _SCRIPTS)

import isolated_engine  # noqa: E402
import extra_registries  # noqa: E402
from isolated_engine import (  # noqa: E402
    BUSYBOX_TAG,
    REGISTRY_FOR_ENGINE,
    IsolatedEngine,
    IsolatedEngineUnavailable,
    check_prerequisites,
)

__all__ = [
    "RegistryAddress",
    "busybox_image",
    "credential_helper",
    "docker_config",
    "registry_factory",
    "secure_registry",
    "spare_registry",
    "token_registry",
    "docker_client",
    "docker_engine",
    "engine_prerequisites",
    "fresh_engine",
    "registry",
    "unique_repo",
]

_REPO_COUNTER = itertools.count(1)


class RegistryAddress(NamedTuple):
    host: str        # what the test process uses (namespace address:5000)
    for_engine: str  # what the engine uses in image references (127.0.0.1:5000)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: object) -> None:
    message = f"isolated Docker engine unavailable: {reason}"
    if _in_ci():
        pytest.fail(f"{message}\n(CI is set: engine tests must run in CI, not be skipped)",
                    pytrace=False)
    pytest.skip(message)


def _start(engine: IsolatedEngine) -> IsolatedEngine:
    try:
        engine.start()
    except IsolatedEngineUnavailable as e:
        reason = e
    else:
        return engine
    _unavailable(reason)  # outside the except block: no chained traceback in the report
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def engine_prerequisites() -> None:
    """For tests that build their own IsolatedEngine: skip (fail in CI) where none can run."""
    try:
        check_prerequisites(registry=True)
    except IsolatedEngineUnavailable as e:
        reason = e
    else:
        return
    _unavailable(reason)


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[IsolatedEngine]:
    engine = _start(IsolatedEngine(registry=True))
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="session")
def docker_client(docker_engine: IsolatedEngine):
    try:
        import docker
    except ImportError as e:
        _unavailable(f"the docker SDK is not installed ({e})")
    client = docker.DockerClient(base_url=docker_engine.docker_host, version="auto", timeout=120)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def busybox_image(docker_engine: IsolatedEngine) -> str:
    return docker_engine.ensure_busybox_base()


@pytest.fixture(scope="session")
def registry(docker_engine: IsolatedEngine) -> RegistryAddress:
    assert docker_engine.registry_host, "the session engine runs with a registry"
    return RegistryAddress(host=docker_engine.registry_host, for_engine=REGISTRY_FOR_ENGINE)


@pytest.fixture
def fresh_engine() -> Iterator[IsolatedEngine]:
    engine = _start(IsolatedEngine(registry=False))
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture
def unique_repo(request: pytest.FixtureRequest) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    return f"berth-test/{name or 'test'}-{next(_REPO_COUNTER)}"


# re-exported for tests that want the module or constants without touching sys.path themselves
__all__ += ["BUSYBOX_TAG", "IsolatedEngine", "isolated_engine"]


@pytest.fixture
def made(docker_engine: IsolatedEngine):
    """Images and containers one test makes (``tests.helpers.Made``), removed after it."""
    from tests.helpers import Made

    m = Made(docker_engine)
    yield m
    m.remove()


# --- registries that sign in, check TLS or go away (scripts/extra_registries.py) -------------------
REGISTRY_USER = "berth-tester"


@pytest.fixture(scope="session")
def secure_registry(docker_engine: IsolatedEngine) -> Iterator[extra_registries.RegistryProcess]:
    reg = extra_registries.RegistryProcess(docker_engine, tls=True, users={REGISTRY_USER: "s3cret-" + os.urandom(4).hex()},
                                          name="secure-registry")
    reg.start()
    try:
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="session")
def token_registry(docker_engine: IsolatedEngine) -> Iterator[extra_registries.RegistryProcess]:
    users = {REGISTRY_USER: "t0ken-" + os.urandom(4).hex()}
    token = extra_registries.TokenServer(docker_engine, users).start()
    reg = extra_registries.RegistryProcess(docker_engine, users=users, token=token, name="token-registry")
    try:
        reg.start()
        yield reg
    finally:
        reg.stop()
        token.stop()


@pytest.fixture
def registry_factory(docker_engine: IsolatedEngine):
    made: list[extra_registries.RegistryProcess] = []

    def make(**kwargs) -> extra_registries.RegistryProcess:
        reg = extra_registries.RegistryProcess(docker_engine, **kwargs)
        made.append(reg)
        return reg.start()

    yield make
    for reg in made:
        reg.stop()
        shutil.rmtree(reg.dir, ignore_errors=True)


@pytest.fixture
def spare_registry(registry_factory) -> extra_registries.RegistryProcess:
    return registry_factory()


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty DOCKER_CONFIG for Berth and the SDK in this process (the CLI oracle takes
    ``--config`` with this path)."""
    path = tmp_path / "docker-config"
    path.mkdir(mode=0o700)
    monkeypatch.setenv("DOCKER_CONFIG", str(path))
    return path


_CREDENTIAL_HELPER = r'''#!/usr/bin/env python3
"""A stand-in credential helper (the docker-credential-helpers protocol) storing in one JSON file."""
import json, sys
STORE = __STORE__
def load():
    try:
        with open(STORE) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}
def save(data):
    with open(STORE, "w") as f:
        json.dump(data, f)
command = sys.argv[1] if len(sys.argv) > 1 else ""
data = load()
if command == "store":
    item = json.loads(sys.stdin.read())
    data[item["ServerURL"]] = {"Username": item["Username"], "Secret": item["Secret"]}
    save(data)
elif command == "get":
    server = sys.stdin.read().strip()
    if server not in data:
        print("credentials not found in native keychain")
        sys.exit(1)
    print(json.dumps({"ServerURL": server, **data[server]}))
elif command == "erase":
    server = sys.stdin.read().strip()
    if server not in data:
        print("credentials not found in native keychain")
        sys.exit(1)
    del data[server]
    save(data)
elif command == "list":
    print(json.dumps({server: item["Username"] for server, item in data.items()}))
else:
    print(f"unknown command {command!r}")
    sys.exit(1)
'''


class CredentialHelper(NamedTuple):
    name: str
    store_file: Path

    def entries(self) -> dict:
        import json

        try:
            return json.loads(self.store_file.read_text())
        except FileNotFoundError:
            return {}


@pytest.fixture
def credential_helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CredentialHelper:
    """``docker-credential-berth-test`` on PATH for this test; configure it with
    ``{"credsStore": "berth-test"}`` or ``{"credHelpers": {HOST: "berth-test"}}``."""
    bin_dir = tmp_path / "credential-helper-bin"
    bin_dir.mkdir()
    store = tmp_path / "credential-store.json"
    script = bin_dir / "docker-credential-berth-test"
    script.write_text(_CREDENTIAL_HELPER.replace("__STORE__", repr(str(store))))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return CredentialHelper("berth-test", store)
