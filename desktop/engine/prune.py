"""``docker image prune``: a preview of the dangling images it would remove, then the real thing.

The preview asks what the prune itself decides by: the engine's dangling images (untagged, with
no image built on them: ``/images/json?filters=dangling``) minus those a container uses, which the
engine refuses to delete and skips.

How much space goes is an estimate, and says so. A prune also deletes each image's untagged
parents that nothing else needs, and frees only layers no remaining image shares. Images built
locally by the classic builder link to their parent (``ParentId``), and ``Size`` is cumulative, so
an image's own layers weigh ``Size - parent's Size``: walking those links gives the figure the
engine will report, exactly. Pulled, loaded or BuildKit images have no parent link: their whole
``Size`` is counted, an upper bound when they share layers with images that stay. The real figure
is the engine's ``SpaceReclaimed`` after the prune. (``/system/df`` would give each image's
shared size, but it is far too slow to ask for a preview.)
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.engine.errors import translate
from desktop.engine.images import short_id

DANGLING = {"dangling": True}


@dataclass(frozen=True)
class PruneCandidate:
    """A dangling image the prune would remove."""

    id: str
    created: int  # unix seconds
    size: int  # the image's whole size, as ``docker images`` shows it
    frees: int  # estimated bytes freed by removing it with its untagged parents (not shared)
    digests: tuple[str, ...] = ()  # "repo@sha256:..." references it still has, if any

    @property
    def short_id(self) -> str:
        return short_id(self.id)


@dataclass(frozen=True)
class PrunePreview:
    images: tuple[PruneCandidate, ...]
    estimated_reclaim: int  # bytes, see the module docstring
    exact: bool  # True when every layer counted was found by parent links (no upper bound involved)

    @property
    def total_size(self) -> int:
        return sum(c.size for c in self.images)


@dataclass(frozen=True)
class PruneResult:
    """What the engine reports: every entry it deleted (image and layer ids) and the bytes freed."""

    deleted: tuple[str, ...]
    untagged: tuple[str, ...]
    space_reclaimed: int

    def removed(self, image_ids) -> list[str]:
        """Those of *image_ids* the prune deleted."""
        gone = set(self.deleted)
        return [i for i in image_ids if i in gone]


def make_preview(all_images: list[dict], dangling: list[dict], containers: list[dict]) -> PrunePreview:
    """The preview from ``/images/json?all=1``, the dangling listing and ``/containers/json?all=1`` (pure)."""
    by_id = {item.get("Id", ""): item for item in all_images}
    used = {c.get("ImageID", "") for c in containers}
    children: dict[str, set[str]] = {}
    for item in all_images:
        if item.get("ParentId"):
            children.setdefault(item["ParentId"], set()).add(item["Id"])
    candidates = [item for item in dangling if item.get("Id") not in used]
    removed = {item["Id"] for item in candidates}

    def referenced(item: dict) -> bool:
        refs = [r for r in (item.get("RepoTags") or []) + (item.get("RepoDigests") or []) if not r.startswith("<none>")]
        return bool(refs)

    # a parent goes too when it is untagged, unused, and every image built on it goes
    grew = True
    while grew:
        grew = False
        for image_id in list(removed):
            parent = by_id.get(by_id.get(image_id, {}).get("ParentId", ""))
            if parent is None or parent["Id"] in removed or parent["Id"] in used or referenced(parent):
                continue
            if children.get(parent["Id"], set()) <= removed:
                removed.add(parent["Id"])
                grew = True

    exact = True

    def own(image_id: str) -> int:
        nonlocal exact
        item = by_id.get(image_id, {})
        parent = by_id.get(item.get("ParentId", ""))
        size = int(item.get("Size") or 0)
        if parent is None:
            exact = False
            return size
        return max(0, size - int(parent.get("Size") or 0))

    def chain(image_id: str) -> list[str]:
        """The image and the parents that go with it."""
        out = [image_id]
        parent_id = by_id.get(image_id, {}).get("ParentId", "")
        while parent_id in removed and parent_id not in out:
            out.append(parent_id)
            parent_id = by_id.get(parent_id, {}).get("ParentId", "")
        return out

    owners: dict[str, list[str]] = {}  # removed image -> candidates whose removal takes it along
    for item in candidates:
        for image_id in chain(item["Id"]):
            owners.setdefault(image_id, []).append(item["Id"])
    sizes = {image_id: own(image_id) for image_id in removed}
    result = []
    for item in candidates:
        frees = sum(sizes[i] for i in chain(item["Id"]) if len(owners.get(i, ())) == 1)
        digests = tuple(d for d in item.get("RepoDigests") or [] if not d.startswith("<none>"))
        result.append(PruneCandidate(item["Id"], int(item.get("Created") or 0), int(item.get("Size") or 0),
                                     frees, digests))
    result.sort(key=lambda c: c.created, reverse=True)
    return PrunePreview(tuple(result), sum(sizes.values()), exact)


def preview_prune(client) -> PrunePreview:
    """What ``docker image prune`` would remove now, and about how much it would free (three requests)."""
    try:
        dangling = client.api.images(filters=DANGLING)
        all_images = client.api.images(all=True)
        containers = client.api.containers(all=True)
    except Exception as exc:
        raise translate(exc, "list the dangling images") from exc
    return make_preview(all_images, dangling, containers)


def prune_dangling(client) -> PruneResult:
    """Remove the dangling images; the figures are the engine's own."""
    try:
        answer = client.api.prune_images(filters=DANGLING)
    except Exception as exc:
        raise translate(exc, "prune dangling images") from exc
    entries = answer.get("ImagesDeleted") or []
    return PruneResult(
        deleted=tuple(e["Deleted"] for e in entries if e.get("Deleted")),
        untagged=tuple(e["Untagged"] for e in entries if e.get("Untagged")),
        space_reclaimed=int(answer.get("SpaceReclaimed") or 0),
    )
