"""Listing images the way ``docker images`` shows them: one row per tag, ``<none>`` for untagged.

One ``/images/json`` request for all images and one ``/containers/json?all=1`` for the in-use
counts; never the SDK's high-level image listing, which inspects every image.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

NONE = "<none>"


@dataclass(frozen=True)
class ImageRow:
    """One line of ``docker images``: an image under one of its tags (or <none>)."""

    id: str  # full "sha256:..." id
    repository: str
    tag: str
    digest: str  # "sha256:..." repo digest for this repository, or ""
    created: int  # unix seconds
    size: int  # bytes
    shared_size: int
    containers: int  # containers (any state) created from this image
    parent_id: str = ""
    labels: tuple = field(default=(), compare=False)  # sorted (key, value) pairs
    intermediate: bool = False  # untagged, and other images in the listing are built on it

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.id, self.repository, self.tag)

    @property
    def short_id(self) -> str:
        return short_id(self.id)

    @property
    def reference(self) -> str:
        """'repo:tag' for tagged rows, 'repo@digest' for digest-only rows, else the short id."""
        if self.repository != NONE and self.tag != NONE:
            return f"{self.repository}:{self.tag}"
        if self.repository != NONE and self.digest:
            return f"{self.repository}@{self.digest}"
        return self.short_id

    @property
    def dangling(self) -> bool:
        """No name at all (``<none>:<none>``); an intermediate layer is one such too."""
        return self.repository == NONE and self.tag == NONE

    @property
    def untagged_kind(self) -> str:
        """For a ``<none>:<none>`` row: 'intermediate' (a layer other images are built on, kept by
        the legacy builder; listed by ``-a`` only) or 'dangling' (nothing is built on it: usually
        left behind when its tag moved to a newer build). '' for a named row."""
        if not self.dangling:
            return ""
        return "intermediate" if self.intermediate else "dangling"


def short_id(image_id: str) -> str:
    return image_id.split(":", 1)[-1][:12]


def split_repo_tag(text: str) -> tuple[str, str]:
    # the tag is after the last ':' that comes after the last '/' (a registry port has a ':' too)
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        return text[:colon], text[colon + 1:]
    return text, NONE


def rows_from_api(images: list[dict], container_counts: Counter | None = None) -> list[ImageRow]:
    """Turn ``/images/json`` items into ``docker images`` rows (pure, unit-tested)."""
    counts = container_counts or Counter()
    parents = {item.get("ParentId") for item in images if item.get("ParentId")}
    rows: list[ImageRow] = []
    for item in images:
        image_id = item.get("Id", "")
        digests: dict[str, str] = {}
        for rd in item.get("RepoDigests") or []:
            repo, _, digest = rd.partition("@")
            if repo != NONE:
                digests.setdefault(repo, digest)
        common = dict(
            id=image_id,
            created=int(item.get("Created") or 0),
            size=int(item.get("Size") or 0),
            shared_size=int(item.get("SharedSize") or 0),
            containers=counts.get(image_id, 0),
            parent_id=item.get("ParentId") or "",
            labels=tuple(sorted((item.get("Labels") or {}).items())),
        )
        tags = [t for t in (item.get("RepoTags") or []) if t != "<none>:<none>"]
        seen_repos = set()
        for repo_tag in tags:
            repo, tag = split_repo_tag(repo_tag)
            seen_repos.add(repo)
            rows.append(ImageRow(repository=repo, tag=tag, digest=digests.get(repo, ""), **common))
        # like the CLI: a repository known only by digest shows as repo <none>
        for repo, digest in digests.items():
            if repo not in seen_repos:
                rows.append(ImageRow(repository=repo, tag=NONE, digest=digest, **common))
        if not tags and not digests:
            rows.append(ImageRow(repository=NONE, tag=NONE, digest="", intermediate=image_id in parents, **common))
    return rows


def container_counts(containers: list[dict]) -> Counter:
    return Counter(c.get("ImageID", "") for c in containers)


def list_images(client, all_images: bool = False) -> list[ImageRow]:
    """Rows for every image (``all_images``: include intermediate layers, like ``-a``)."""
    images = client.api.images(all=all_images)
    containers = client.api.containers(all=True)
    return rows_from_api(images, container_counts(containers))
