"""Work behind browsing a registry; each function runs on a worker and talks to the registry
itself (not the engine), with a client of its own: a requests.Session is no thing to share across
threads, and the token cache the clients share makes a new one cheap.

The engine is asked one thing, when it is there: which registries it calls insecure
(``insecure-registries`` in daemon.json), so Berth reaches such a registry over plain HTTP as the
engine does. Without an engine, browsing still works, over HTTPS (and HTTP for loopback)."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator

from desktop.engine.cancel import shutdown_on_cancel
from desktop.engine.connection import ClientFactory
from desktop.engine.registry_client import ManifestInfo, Registry, insecure_by_engine
from desktop.tasks.task import TaskContext

_configs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # factory -> the engine's RegistryConfig
_configs_lock = threading.Lock()


def _engine_registry_config(factory: ClientFactory | None) -> dict:
    """The engine's ``RegistryConfig`` (from /info), read once per connection; {} without one."""
    if factory is None:
        return {}
    with _configs_lock:
        if factory in _configs:
            return _configs[factory]
    try:
        config = factory.client().info().get("RegistryConfig") or {}
    except Exception:  # noqa: BLE001 - no engine (or an odd one): browse as if nothing were insecure
        return {}
    with _configs_lock:
        _configs[factory] = config
    return config


@contextlib.contextmanager
def _registry(ctx: TaskContext, factory: ClientFactory | None, host: str, ca_file: str) -> Iterator[Registry]:
    """A client for *host*, closed afterwards; a cancel shuts its sockets down, so a registry that
    stopped answering never holds the worker until the read times out."""
    insecure = insecure_by_engine(_engine_registry_config(factory), host)
    with Registry(host, ca_file=ca_file or None, insecure=insecure) as registry, \
            shutdown_on_cancel(registry.http_session, ctx.token):
        yield registry


def load_repositories(ctx: TaskContext, factory: ClientFactory | None, host: str, ca_file: str, *,
                      emit: Callable[[str], None]) -> int:
    """Every repository of the catalog, each passed to *emit* as its page arrives (a big registry
    fills the list while it is still read); returns how many there were."""
    ctx.raise_if_cancelled()
    count = 0

    def page(names: list[str]) -> None:
        nonlocal count
        ctx.raise_if_cancelled()  # between pages: cancel stops a long catalog
        for name in names:
            emit(name)
        count += len(names)

    with _registry(ctx, factory, host, ca_file) as registry:
        registry.repositories(on_page=page)
    return count


def load_tags(ctx: TaskContext, factory: ClientFactory | None, host: str, ca_file: str, repository: str) -> list[str]:
    ctx.raise_if_cancelled()
    with _registry(ctx, factory, host, ca_file) as registry:
        return registry.tags(repository)


def load_manifest(ctx: TaskContext, factory: ClientFactory | None, host: str, ca_file: str, repository: str,
                  tag: str) -> ManifestInfo:
    ctx.raise_if_cancelled()
    with _registry(ctx, factory, host, ca_file) as registry:
        return registry.manifest(repository, tag)


def delete_tag(ctx: TaskContext, factory: ClientFactory | None, host: str, ca_file: str, repository: str, tag: str,
               digest: str) -> str:
    """Delete the manifest *tag* points at, only while that is still *digest* (what the person
    confirmed); returns the digest deleted."""
    ctx.raise_if_cancelled()
    with _registry(ctx, factory, host, ca_file) as registry:
        deleted = registry.delete_tag(repository, tag, expected_digest=digest)
    ctx.progress(1, 1, f"Deleted {repository}:{tag} ({deleted}) from {registry.name}", force=True)
    return deleted
