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
would be the engine's ``SpaceReclaimed``. (``/system/df`` would give each image's shared size,
but it is far too slow to ask for a preview.)

The prune removes what the preview listed and nothing else: each listed image by its ID (the
engine deletes its untagged parents with it, as its own prune does), never the engine's own
``dangling=true`` decided at execution time. An image tagged since the preview is left alone, one a
container or a new image uses since is refused by the engine, and dangling images that appeared
after the preview stay and are reported. The space freed is then the preview's figure for the
images that went (exact with parent links, an upper bound without).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from desktop.engine.cancel import CancelToken
from desktop.engine.cancellable_requests import EngineRequests
from desktop.engine.errors import Cancelled, is_connection_failure, translate
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
    own_sizes: dict[str, int] = field(default_factory=dict, compare=False)  # image removed -> its own bytes

    @property
    def total_size(self) -> int:
        return sum(c.size for c in self.images)


@dataclass(frozen=True)
class PruneOutcome:
    """What became of one image the preview listed."""

    id: str
    removed: bool
    message: str  # "removed", or why it stayed

    @property
    def short_id(self) -> str:
        return short_id(self.id)


@dataclass(frozen=True)
class PruneResult:
    """What the prune did: every entry the engine deleted (image and layer ids), the bytes freed
    (the preview's figure for what went), each listed image's outcome, and the dangling images that
    appeared after the preview and were left alone."""

    deleted: tuple[str, ...]
    untagged: tuple[str, ...]
    space_reclaimed: int
    outcomes: tuple[PruneOutcome, ...] = ()
    appeared: tuple[str, ...] = ()
    exact: bool = True
    cancelled: bool = False

    def removed(self, image_ids) -> list[str]:
        """Those of *image_ids* the prune deleted."""
        gone = set(self.deleted)
        return [i for i in image_ids if i in gone]

    @property
    def problems(self) -> tuple[PruneOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.removed)


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
    return PrunePreview(tuple(result), sum(sizes.values()), exact, sizes)


def preview_prune(client) -> PrunePreview:
    """What ``docker image prune`` would remove now, and about how much it would free (three requests)."""
    try:
        dangling = client.api.images(filters=DANGLING)
        all_images = client.api.images(all=True)
        containers = client.api.containers(all=True)
    except Exception as exc:
        raise translate(exc, "list the dangling images") from exc
    return make_preview(all_images, dangling, containers)


def _prune_one(engine: EngineRequests, candidate: PruneCandidate) -> tuple[PruneOutcome, list[dict]]:
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    try:
        current = engine.inspect_image(candidate.id)
    except docker.errors.APIError as exc:
        if exc.status_code == 404:
            return PruneOutcome(candidate.id, False, "was already removed (by another program or user)"), []
        raise
    tags = [t for t in current.get("RepoTags") or [] if not t.startswith("<none>")]
    if tags:
        return PruneOutcome(candidate.id, False, f"was tagged since the preview ({', '.join(tags)}); left alone"), []
    try:
        answer = engine.remove_image(candidate.id)
    except docker.errors.APIError as exc:
        if exc.status_code == 404:
            return PruneOutcome(candidate.id, False, "was already removed (by another program or user)"), []
        if exc.status_code == 409:  # a container or an image built on it since the preview
            return PruneOutcome(candidate.id, False, f"is in use since the preview: {translate(exc).message}"), []
        raise
    return PruneOutcome(candidate.id, True, "removed"), list(answer or [])


def prune_listed(client, preview: PrunePreview, token: CancelToken | None = None,
                 on_progress: Callable[[int, int, str], object] | None = None) -> PruneResult:
    """Remove the images *preview* listed, and only those; see the module docstring. A cancel ends
    it even while the engine does not answer, with what went so far."""
    engine = EngineRequests(client, token)
    listed = {c.id for c in preview.images}
    deleted: list[str] = []
    untagged: list[str] = []
    outcomes: list[PruneOutcome] = []
    cancelled = False
    total = len(preview.images)
    in_flight = ""
    try:
        for n, candidate in enumerate(preview.images):
            if engine.interrupted:
                raise Cancelled()
            if on_progress is not None:
                on_progress(n, total, f"Removing dangling image {candidate.short_id}")
            in_flight = candidate.id
            outcome, entries = _prune_one(engine, candidate)
            in_flight = ""
            outcomes.append(outcome)
            deleted += [e["Deleted"] for e in entries if e.get("Deleted")]
            untagged += [e["Untagged"] for e in entries if e.get("Untagged")]
        appeared = tuple(i.get("Id", "") for i in engine.images(filters=DANGLING) if i.get("Id") not in listed)
    except Exception as exc:
        if not (isinstance(exc, Cancelled) or engine.interrupted):
            if is_connection_failure(exc) or not outcomes:
                raise translate(exc, "prune dangling images") from exc
            raise translate(exc, f"prune dangling images (after {len([o for o in outcomes if o.removed])} went)") \
                from exc
        cancelled, appeared = True, ()
        done = {o.id for o in outcomes}
        outcomes += [PruneOutcome(c.id, False, "cancelled while the engine was removing it: it may or may not "
                                               "be gone" if c.id == in_flight else "not removed: the prune was cancelled")
                     for c in preview.images if c.id not in done]
    gone = set(deleted)
    freed = sum(size for image_id, size in preview.own_sizes.items() if image_id in gone)
    if on_progress is not None and not cancelled:
        on_progress(total, total, "Done")
    return PruneResult(deleted=tuple(deleted), untagged=tuple(untagged), space_reclaimed=freed,
                       outcomes=tuple(outcomes), appeared=appeared, exact=preview.exact, cancelled=cancelled)
