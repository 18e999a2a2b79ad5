"""Work functions for image archives: read and preview, load, import a file system, save.

Loads and saves can run for minutes, so they use a private client without a timeout and close it
after; reading and previewing is quick and uses the thread's own client.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from desktop.engine import archive, image_archive
from desktop.engine.archive import ArchiveError
from desktop.engine.connection import ClientFactory
from desktop.engine.errors import BerthError
from desktop.engine.image_archive import ImportResult, LoadPreview, LoadResult, SaveResult
from desktop.tasks.task import TaskContext


@dataclass(frozen=True)
class ArchivePlan:
    """One chosen file: its preview when it could be read, else the reason it cannot be loaded."""

    path: str
    preview: LoadPreview | None = None
    error: str = ""

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def loadable(self) -> bool:
        return self.preview is not None and self.preview.contents.loadable and not self.preview.problem

    @property
    def rootfs(self) -> bool:
        return self.preview is not None and self.preview.contents.format == archive.FORMAT_ROOTFS


@dataclass(frozen=True)
class LoadOutcome:
    results: list[LoadResult] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        return [tag for result in self.results for tag in result.tags]

    @property
    def image_ids(self) -> list[str]:
        return [image_id for result in self.results for image_id in result.image_ids]


class LoadIncomplete(BerthError):
    """Some archives loaded before one failed; ``outcome`` has what did load."""

    def __init__(self, message: str, outcome: LoadOutcome):
        super().__init__(message)
        self.outcome = outcome


def inspect_archives(ctx: TaskContext, factory: ClientFactory, paths: list[str]) -> list[ArchivePlan]:
    """Read each file and compare it with the engine; one unreadable file does not stop the others."""
    plans = []
    client = factory.client()
    for number, path in enumerate(paths, 1):
        ctx.raise_if_cancelled()
        ctx.progress(number - 1, len(paths), f"Reading {os.path.basename(path)}")
        try:
            contents = archive.inspect_archive(path)
            preview = image_archive.preview_load(client, contents, factory.info)
        except ArchiveError as exc:
            plans.append(ArchivePlan(path=path, error=str(exc)))
            continue
        plans.append(ArchivePlan(path=path, preview=preview))
    ctx.progress(len(paths), len(paths), "Read", force=True)
    return plans


def load_archives(ctx: TaskContext, factory: ClientFactory, previews: list[LoadPreview]) -> LoadOutcome:
    """Load the archives one after the other, with one progress bar over all their bytes."""
    total = sum(p.contents.file_size for p in previews) or None
    results: list[LoadResult] = []
    offset = 0
    with factory.private_client() as client:
        for number, preview in enumerate(previews, 1):
            ctx.raise_if_cancelled()
            name = preview.contents.name
            prefix = f"{name} ({number} of {len(previews)}): " if len(previews) > 1 else ""

            def progress(done, _size, text, base=offset, prefix=prefix):
                ctx.progress(base + done, total, prefix + text, unit="bytes")

            try:
                results.append(image_archive.load_archive(client, preview.contents.path, contents=preview.contents,
                                                          engine=factory.info, token=ctx.token, on_progress=progress))
            except BerthError as exc:
                if results and not ctx.cancelled:
                    done = ", ".join(os.path.basename(r.path) for r in results)
                    raise LoadIncomplete(f"Loaded {done}, then: {exc}", LoadOutcome(results)) from None
                raise
            offset += preview.contents.file_size
    return LoadOutcome(results)


def import_rootfs(ctx: TaskContext, factory: ClientFactory, preview: LoadPreview, repository: str,
                  tag: str) -> ImportResult:
    with factory.private_client() as client:
        return image_archive.import_rootfs(
            client, preview.contents.path, repository, tag, contents=preview.contents, engine=factory.info,
            token=ctx.token, on_progress=lambda done, total, text: ctx.progress(done, total, text, unit="bytes"))


def save_images(ctx: TaskContext, factory: ClientFactory, names: list[str], path: str, compress: bool = False,
                estimate: int | None = None) -> SaveResult:
    with factory.private_client() as client:
        return image_archive.save_images(client, names, path, compress=compress, estimate=estimate, token=ctx.token,
                                         on_progress=lambda done, total, text: ctx.progress(done, total, text, unit="bytes"))


def tags_of(ctx: TaskContext, factory: ClientFactory, image_ids: list[str]) -> dict[str, list[str]]:
    ctx.raise_if_cancelled()
    return image_archive.tags_of(factory.client(), image_ids)
