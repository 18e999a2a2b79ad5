"""Work behind browsing a registry; each function runs on a worker and talks to the registry
itself (not the engine), with a client of its own: a requests.Session is no thing to share across
threads, and the token cache the clients share makes a new one cheap."""

from __future__ import annotations

from collections.abc import Callable

from desktop.engine.registry_client import ManifestInfo, Registry
from desktop.tasks.task import TaskContext


def _registry(host: str, ca_file: str) -> Registry:
    return Registry(host, ca_file=ca_file or None)


def load_repositories(ctx: TaskContext, host: str, ca_file: str, *, emit: Callable[[str], None]) -> int:
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

    with _registry(host, ca_file) as registry:
        registry.repositories(on_page=page)
    return count


def load_tags(ctx: TaskContext, host: str, ca_file: str, repository: str) -> list[str]:
    ctx.raise_if_cancelled()
    with _registry(host, ca_file) as registry:
        return registry.tags(repository)


def load_manifest(ctx: TaskContext, host: str, ca_file: str, repository: str, tag: str) -> ManifestInfo:
    ctx.raise_if_cancelled()
    with _registry(host, ca_file) as registry:
        return registry.manifest(repository, tag)


def delete_tag(ctx: TaskContext, host: str, ca_file: str, repository: str, tag: str, digest: str) -> str:
    """Delete the manifest *tag* points at, only while that is still *digest* (what the person
    confirmed); returns the digest deleted."""
    ctx.raise_if_cancelled()
    with _registry(host, ca_file) as registry:
        deleted = registry.delete_tag(repository, tag, expected_digest=digest)
    ctx.progress(1, 1, f"Deleted {repository}:{tag} ({deleted}) from {registry.name}", force=True)
    return deleted
