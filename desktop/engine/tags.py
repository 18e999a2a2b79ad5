"""Tagging and untagging images, planned first so a person sees what changes hands.

What the engine does, and this module tells before it happens:

* tagging with a name that already names another image *moves* the name: that image loses it
  (``docker tag`` does this silently) and, if it was its only tag, becomes ``<none>``;
* removing a tag (``docker rmi repo:tag``) of an image with other references only untags it;
  removing its *last* reference deletes the image when nothing else holds it, is refused when a
  container (running or stopped) uses it, and leaves the image untagged when other images are
  built on it (it then shows only among intermediate images, ``docker images -a``).

The engine has no "untag but keep the image" for an image nothing holds, so untagging the last
tag is planned as a deletion and only done when the caller says so (``delete_image=True``).

Every check is one ``/images/json`` (and for untag one ``/containers/json``) request; the action
re-plans just before it acts, so a plan confirmed earlier cannot move a tag nobody was told about.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from desktop.engine.errors import Conflict, NotFound, translate
from desktop.engine.image_removal import ContainerUse, containers_by_image
from desktop.engine.images import split_repo_tag, short_id
from desktop.engine.reference import (
    DEFAULT_TAG,
    ImageReference,
    InvalidReference,
    parse_normalized,
    validate_repository,
)

NONE_TAG = "<none>:<none>"


# --- what is on the engine --------------------------------------------------------------------

@dataclass(frozen=True)
class TagIndex:
    """Who holds which name, from one ``/images/json?all=1`` answer. References are in the
    familiar form the engine lists them in (``myapp:v1``, ``localhost:5000/team/app:2``)."""

    references: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))  # id -> tags
    digests: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))  # id -> repo@digest
    holders: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # 'repo:tag' -> id
    children: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))  # id -> images built on it

    def holder(self, reference: str) -> str | None:
        """The id of the image *reference* (familiar 'repo:tag') names, or None."""
        return self.holders.get(reference)

    def repositories(self) -> list[str]:
        """Every repository with at least one tag, familiar names, sorted."""
        return sorted({split_repo_tag(ref)[0] for ref in self.holders})

    def tags_of(self, repository: str) -> list[str]:
        """The tags of *repository* (as typed: 'myapp', 'docker.io/library/myapp' are one)."""
        try:
            wanted = parse_normalized(repository).familiar_name()
        except InvalidReference:
            return []
        return sorted(tag for repo, tag in (split_repo_tag(ref) for ref in self.holders) if repo == wanted)


def index_from_api(images: list[dict]) -> TagIndex:
    """The index from an ``/images/json?all=1`` answer (pure)."""
    references: dict[str, tuple[str, ...]] = {}
    digests: dict[str, tuple[str, ...]] = {}
    holders: dict[str, str] = {}
    children: dict[str, int] = {}
    for item in images:
        image_id = item.get("Id", "")
        tags = tuple(t for t in (item.get("RepoTags") or []) if t != NONE_TAG)
        references[image_id] = tags
        digests[image_id] = tuple(d for d in (item.get("RepoDigests") or []) if not d.startswith("<none>@"))
        for tag in tags:
            holders[tag] = image_id
        parent = item.get("ParentId") or ""
        if parent:
            children[parent] = children.get(parent, 0) + 1
    return TagIndex(MappingProxyType(references), MappingProxyType(digests), MappingProxyType(holders),
                    MappingProxyType(children))


def load_tag_index(client) -> TagIndex:
    try:
        return index_from_api(client.api.images(all=True))
    except Exception as exc:
        raise translate(exc, "list the image tags") from exc


def resolve_image_id(client, image: str) -> str:
    """The full id of *image* (an id, short id or reference); NotFound with a plain message."""
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    try:
        return client.api.inspect_image(image)["Id"]
    except docker.errors.NotFound:
        raise NotFound(f"The image {short_id(image) if image.startswith('sha256:') else image} no longer exists "
                       "(removed by another program or user).", status_code=404) from None
    except Exception as exc:
        raise translate(exc, f"look up image {image}") from exc


# --- tagging ----------------------------------------------------------------------------------

def target_references(repository: str, tags: Iterable[str]) -> list[ImageReference]:
    """The references to create from a repository and tags as typed; no tags means ``latest``,
    as for the docker CLI. Raises InvalidReference (repository first, then each tag)."""
    validate_repository(repository)
    base = parse_normalized(repository)
    unique = list(dict.fromkeys(tags)) or [DEFAULT_TAG]
    return [base.with_tag(tag) for tag in unique]


def _as_target(target: str | ImageReference) -> ImageReference:
    ref = target if isinstance(target, ImageReference) else parse_normalized(target)
    if ref.digest is not None:
        raise InvalidReference("invalid reference format",
                               f'"{ref}" has a digest; a tag names an image by "repository:tag" only',
                               part="digest", text=str(ref))
    if ref.domain is None:  # built by hand without normalising: read it as the CLI would
        ref = parse_normalized(str(ref))
    return ref.with_default_tag()


class TargetStatus(enum.Enum):
    NEW = "new"  # nobody has this name yet
    ALREADY = "already"  # the image already has it: nothing to do
    MOVES = "moves"  # another image has it and will lose it


@dataclass(frozen=True)
class TagTarget:
    reference: ImageReference  # normalised, with a tag
    status: TargetStatus
    previous_image_id: str = ""  # MOVES: the image that has the name now
    previous_keeps: tuple[str, ...] = ()  # MOVES: the tags that image keeps afterwards

    @property
    def familiar(self) -> str:
        """'myapp:v1', as ``docker images`` shows it."""
        return self.reference.familiar()

    @property
    def full(self) -> str:
        """'docker.io/library/myapp:v1'."""
        return str(self.reference)

    @property
    def previous_becomes_untagged(self) -> bool:
        return self.status is TargetStatus.MOVES and not self.previous_keeps

    def describe_move(self) -> str:
        """One sentence on what moving the name does to the image that has it."""
        if self.status is not TargetStatus.MOVES:
            return ""
        other = short_id(self.previous_image_id)
        if self.previous_keeps:
            return (f"{self.familiar} now names image {other}; it moves to this image, and {other} keeps "
                    f"{', '.join(self.previous_keeps)}.")
        return (f"{self.familiar} now names image {other}; it moves to this image, and {other} loses its only tag "
                f"and becomes <none> (untagged).")


@dataclass(frozen=True)
class TagPlan:
    image_id: str
    image_references: tuple[str, ...]  # the image's tags before tagging
    targets: tuple[TagTarget, ...]

    @property
    def moves(self) -> tuple[TagTarget, ...]:
        return tuple(t for t in self.targets if t.status is TargetStatus.MOVES)

    @property
    def move_keys(self) -> frozenset[tuple[str, str]]:
        """What a person confirms: each name that moves and the image it is taken from."""
        return frozenset((t.full, t.previous_image_id) for t in self.moves)

    @property
    def to_apply(self) -> tuple[TagTarget, ...]:
        return tuple(t for t in self.targets if t.status is not TargetStatus.ALREADY)


def plan_from_index(index: TagIndex, image_id: str, targets: Iterable[str | ImageReference]) -> TagPlan:
    """What tagging *image_id* with *targets* would do, from an index (pure)."""
    refs = list(dict.fromkeys(_as_target(t) for t in targets))
    if not refs:
        raise InvalidReference("repository name must have at least one component", "give at least one name to tag",
                               part="name", text="")
    incoming = {r.familiar() for r in refs}
    planned = []
    for ref in refs:
        familiar = ref.familiar()
        holder = index.holder(familiar)
        if holder == image_id:
            planned.append(TagTarget(ref, TargetStatus.ALREADY))
        elif holder is None:
            planned.append(TagTarget(ref, TargetStatus.NEW))
        else:
            keeps = tuple(t for t in index.references.get(holder, ()) if t not in incoming)
            planned.append(TagTarget(ref, TargetStatus.MOVES, holder, keeps))
    return TagPlan(image_id, tuple(index.references.get(image_id, ())), tuple(planned))


def plan_tag(client, image_id: str, targets: Iterable[str | ImageReference]) -> TagPlan:
    """What tagging the image with *targets* would do: for each, new, already there, or moved from
    another image (which, and whether that image becomes <none>). Two requests."""
    refs = [_as_target(t) for t in targets]  # bad input fails before any request
    full_id = resolve_image_id(client, image_id)
    return plan_from_index(load_tag_index(client), full_id, refs)


@dataclass(frozen=True)
class TagResult:
    """``done`` False: nothing was changed because names would move that were not confirmed
    (``plan.moves`` says which); ask, then call again with ``allow_moves=plan.move_keys``."""

    plan: TagPlan
    done: bool
    tagged: tuple[str, ...] = ()  # familiar references created or moved here

    @property
    def image_id(self) -> str:
        return self.plan.image_id

    @property
    def needs_confirmation(self) -> bool:
        return not self.done


def tag_reference(client, image_id: str, reference: ImageReference) -> None:
    """Give the image one name (``docker tag``); an existing name moves without a word."""
    client.api.tag(image_id, reference.familiar_name(), reference.tag or DEFAULT_TAG)


def apply_tags(client, image_id: str, targets: Iterable[str | ImageReference],
               allow_moves: Iterable[tuple[str, str]] = ()) -> TagResult:
    """Tag the image with every target, unless a name would move from an image without being in
    *allow_moves* (``TagPlan.move_keys`` of a plan the person saw): then nothing changes and the
    fresh plan comes back with ``done=False``."""
    plan = plan_tag(client, image_id, targets)
    if plan.move_keys - frozenset(allow_moves):
        return TagResult(plan, done=False)
    tagged: list[str] = []
    for target in plan.to_apply:
        try:
            tag_reference(client, plan.image_id, target.reference)
        except Exception as exc:
            error = translate(exc, f"tag image {short_id(plan.image_id)} as {target.familiar}")
            if tagged:
                error.message = f"{error.message} (tagged before the failure: {', '.join(tagged)})"
            raise error from exc
        tagged.append(target.familiar)
    return TagResult(plan, done=True, tagged=tuple(tagged))


# --- untagging --------------------------------------------------------------------------------

class UntagOutcome(enum.Enum):
    UNTAG = "untag"  # the image keeps other references
    KEEPS_IMAGE = "keeps-image"  # last tag, but images are built on it: it stays, untagged
    DELETES_IMAGE = "deletes-image"  # last tag and nothing holds the image: removing the tag removes it
    IN_USE = "in-use"  # last tag of an image containers use: the engine refuses
    GONE = "gone"  # the reference no longer names that image


@dataclass(frozen=True)
class UntagPlan:
    reference: str  # familiar, as listed
    image_id: str
    outcome: UntagOutcome
    keeps: tuple[str, ...] = ()  # references the image keeps
    containers: tuple[ContainerUse, ...] = ()
    children: int = 0
    reason: str = ""  # GONE: why

    @property
    def short_id(self) -> str:
        return short_id(self.image_id)

    def describe(self) -> str:
        """What removing the tag does, in a person's words."""
        ref, image = self.reference, self.short_id
        if self.outcome is UntagOutcome.UNTAG:
            return f"Removes {ref}; image {image} keeps {', '.join(self.keeps)}."
        if self.outcome is UntagOutcome.KEEPS_IMAGE:
            return (f"{ref} is the last tag of image {image}. Other images are built on it, so the image stays, "
                    f"untagged; it is then listed only with the intermediate images.")
        if self.outcome is UntagOutcome.DELETES_IMAGE:
            return (f"{ref} is the last tag of image {image} and nothing uses the image. The engine deletes an "
                    f"image when its last tag goes, so removing the tag removes the image.")
        if self.outcome is UntagOutcome.IN_USE:
            running = [c.name for c in self.containers if c.running]
            stopped = [c.name for c in self.containers if not c.running]
            users = []
            if running:
                users.append(f"running container{'s' if len(running) > 1 else ''} {', '.join(running)}")
            if stopped:
                users.append(f"stopped container{'s' if len(stopped) > 1 else ''} {', '.join(stopped)}")
            return (f"{ref} is the last tag of image {image}, which {' and '.join(users)} "
                    f"{'use' if len(self.containers) > 1 else 'uses'}. The engine keeps the last tag of an image "
                    f"in use; remove the container{'s' if len(self.containers) > 1 else ''} first, or give the "
                    f"image another tag before removing this one.")
        return f"{ref}: {self.reason}"


@dataclass(frozen=True)
class UntagResult:
    """``done`` False: nothing was changed (the plan says why: a deletion not allowed, or gone)."""

    plan: UntagPlan
    done: bool
    untagged: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    @property
    def image_deleted(self) -> bool:
        return self.plan.image_id in self.deleted

    def summary(self) -> str:
        """One sentence for a status bar on what happened."""
        plan = self.plan
        if not self.done:
            return f"Nothing removed. {plan.describe()}"
        if self.image_deleted:
            return f"Removed image {plan.short_id} with its last tag {plan.reference}."
        if plan.outcome is UntagOutcome.KEEPS_IMAGE:
            return (f"Removed {plan.reference}, the last tag of image {plan.short_id}; other images are built on "
                    f"it, so it stays, listed with the intermediate images.")
        keeps = f"; image {plan.short_id} keeps {', '.join(plan.keeps)}" if plan.keeps else ""
        return f"Removed the tag {plan.reference}{keeps}."


def make_untag_plan(reference: str, image_id: str, images: list[dict], containers: list[dict]) -> UntagPlan:
    """The plan from an ``/images/json?all=1`` and a ``/containers/json?all=1`` answer (pure).
    *reference* is read as the CLI reads it (``myapp`` means ``myapp:latest``)."""
    ref = parse_normalized(reference)
    if ref.digest is None:
        ref = ref.with_default_tag()
    familiar = ref.familiar()
    index = index_from_api(images)
    item = next((i for i in images if i.get("Id") == image_id), None)
    if item is None:
        return UntagPlan(familiar, image_id, UntagOutcome.GONE,
                         reason=f"image {short_id(image_id)} no longer exists (removed by another program or user).")
    if ref.digest is not None:
        names = familiar in index.digests.get(image_id, ())
    else:
        names = index.holder(familiar) == image_id
    if not names:
        holder = index.holder(familiar)
        reason = (f"now names image {short_id(holder)} (tagged again since); left alone." if holder
                  else f"is no longer a tag of image {short_id(image_id)}; nothing to remove.")
        return UntagPlan(familiar, image_id, UntagOutcome.GONE, reason=reason)
    repository = ref.familiar_name()
    keeps = [t for t in index.references.get(image_id, ()) if t != familiar]
    if ref.digest is None:
        # the digests of a repository that loses its last tag go with it (the engine cleans them up)
        tagged_repos = {split_repo_tag(t)[0] for t in keeps}
        keeps += [d for d in index.digests.get(image_id, ())
                  if d.partition("@")[0] != repository or repository in tagged_repos]
    else:
        keeps += [d for d in index.digests.get(image_id, ()) if d != familiar]
    keeps = list(dict.fromkeys(keeps))
    if keeps:
        return UntagPlan(familiar, image_id, UntagOutcome.UNTAG, tuple(keeps))
    users = tuple(containers_by_image(containers).get(image_id, ()))
    if users:
        return UntagPlan(familiar, image_id, UntagOutcome.IN_USE, containers=users)
    children = index.children.get(image_id, 0)
    if children:
        return UntagPlan(familiar, image_id, UntagOutcome.KEEPS_IMAGE, children=children)
    return UntagPlan(familiar, image_id, UntagOutcome.DELETES_IMAGE)


def plan_untag(client, reference: str, image_id: str) -> UntagPlan:
    """What removing *reference* from the image does (two requests)."""
    parse_normalized(reference)  # bad input fails before any request
    try:
        images = client.api.images(all=True)
        containers = client.api.containers(all=True)
    except Exception as exc:
        raise translate(exc, f"check the tag {reference}") from exc
    return make_untag_plan(reference, image_id, images, containers)


def untag(client, reference: str, image_id: str, *, delete_image: bool = False) -> UntagResult:
    """Remove *reference* from the image, re-planned first. When that deletes the image, only with
    ``delete_image``; otherwise nothing changes and ``done`` is False. A tag of an image in use is
    never forced: that raises Conflict with the plan's explanation."""
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    plan = plan_untag(client, reference, image_id)
    if plan.outcome is UntagOutcome.GONE:
        return UntagResult(plan, done=False)
    if plan.outcome is UntagOutcome.IN_USE:
        raise Conflict(plan.describe(), status_code=409)
    if plan.outcome is UntagOutcome.DELETES_IMAGE and not delete_image:
        return UntagResult(plan, done=False)
    try:
        response = client.api.remove_image(plan.reference)
    except docker.errors.NotFound:
        gone = UntagPlan(plan.reference, image_id, UntagOutcome.GONE,
                         reason="was removed meanwhile (by another program or user).")
        return UntagResult(gone, done=False)
    except Exception as exc:
        raise translate(exc, f"remove the tag {plan.reference}") from exc
    untagged = tuple(e["Untagged"] for e in response or () if isinstance(e, dict) and e.get("Untagged"))
    deleted = tuple(e["Deleted"] for e in response or () if isinstance(e, dict) and e.get("Deleted"))
    return UntagResult(plan, done=True, untagged=untagged, deleted=deleted)


__all__ = [
    "TagIndex",
    "TagPlan",
    "TagResult",
    "TagTarget",
    "TargetStatus",
    "UntagOutcome",
    "UntagPlan",
    "UntagResult",
    "apply_tags",
    "index_from_api",
    "load_tag_index",
    "make_untag_plan",
    "plan_from_index",
    "plan_tag",
    "plan_untag",
    "resolve_image_id",
    "tag_reference",
    "target_references",
    "untag",
]
