"""Removing images the way ``docker rmi`` does, but planned first so a person sees what goes.

Rows are per tag, and the engine's rules decide what removing one does:

* removing a reference (``repo:tag`` or ``repo@digest``) of an image that keeps other references
  only untags it;
* removing its last reference deletes the image (removing the last tag of a repository also drops
  that repository's digests, which is why a digest shows as its own row only without a tag);
* an image a container uses is refused: by tag "unable to remove repository reference ... (must
  force)", by id "image is being used by stopped container"; with force, a stopped container's
  image is deleted anyway (the container stays), while a running container's image can only lose
  its tag (by id even force fails: "cannot be forced");
* deleting an image by id while it has several tags needs force, so a tagged image is always
  removed through its references, never by id.

The plan is two requests (``/images/json?all=1`` and ``/containers/json?all=1``, nothing per image).
Execution removes exactly what the plan showed: it reads both lists again once, and an image whose
situation changed since (a container created from it, one of its containers started or stopped, its
other tags gone so that an untag would delete it) is left alone and reported, not acted on; only
the stopped containers the plan named are removed first. Each reference is checked to still name
the planned image (a tag moved by a build must not take the new image with it), and every refusal
or failure is reported while the rest goes on. Every request is cancellable even on an engine that
stopped answering (``EngineRequests``); a cancel reports per image what was and was not removed.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from desktop.engine.cancel import CancelToken
from desktop.engine.cancellable_requests import EngineRequests
from desktop.engine.errors import Cancelled, is_connection_failure, translate
from desktop.engine.images import ImageRow, rows_from_api, short_id

if TYPE_CHECKING:
    import docker.errors

STOPPED_STATES = frozenset({"created", "exited", "dead"})  # the engine counts the rest as running
ALREADY_REMOVED = "was already removed (by another program or user)"


class Action(enum.Enum):
    UNTAG = "untag"  # the image keeps other references
    DELETE = "delete"  # the last references go, and with them the image
    GONE = "gone"  # nothing to do: already removed, or the tag now names another image


class Outcome(enum.Enum):
    UNTAGGED = "untagged"
    DELETED = "deleted"
    REFUSED_IN_USE = "refused-in-use"
    NOT_FOUND = "not-found"
    FAILED = "failed"
    CHANGED = "changed"  # left alone: not what the plan showed any more
    INTERRUPTED = "interrupted"  # the cancel came while a request for it was out
    SKIPPED = "skipped"  # not attempted: the removal was cancelled first

    @property
    def problem(self) -> bool:
        """Whether a person needs to look at it (an image already gone is no problem)."""
        return self in (Outcome.REFUSED_IN_USE, Outcome.FAILED, Outcome.CHANGED, Outcome.INTERRUPTED)


@dataclass(frozen=True)
class ContainerUse:
    """A container created from an image that would be deleted."""

    id: str
    name: str
    state: str

    @property
    def running(self) -> bool:
        return self.state not in STOPPED_STATES


@dataclass(frozen=True)
class RemovalItem:
    """What removing some of the selected rows does to one image.

    An untag covers one reference; a delete covers every selected reference of its image (the
    last one removed deletes it) or, for an untagged image, its id.
    """

    image_id: str
    action: Action
    references: tuple[str, ...]  # as selected; empty for an image without references
    size: int = 0
    keeps: tuple[str, ...] = ()  # references the image keeps (untag)
    containers: tuple[ContainerUse, ...] = ()  # containers created from it (delete)
    children: int = 0  # images built on it: the engine keeps it, or refuses to delete it by id
    reason: str = ""  # why a GONE item is gone, to follow its label

    @property
    def short_id(self) -> str:
        return short_id(self.image_id)

    @property
    def label(self) -> str:
        return ", ".join(self.references) if self.references else self.short_id

    @property
    def running_containers(self) -> tuple[ContainerUse, ...]:
        return tuple(c for c in self.containers if c.running)

    @property
    def stopped_containers(self) -> tuple[ContainerUse, ...]:
        return tuple(c for c in self.containers if not c.running)


@dataclass(frozen=True)
class RemovalPlan:
    items: tuple[RemovalItem, ...]

    @property
    def in_use(self) -> tuple[RemovalItem, ...]:
        return tuple(i for i in self.items if i.action is Action.DELETE and i.containers)

    @property
    def has_running_users(self) -> bool:
        return any(i.running_containers for i in self.in_use)

    @property
    def has_stopped_users(self) -> bool:
        return any(i.stopped_containers for i in self.in_use)


@dataclass(frozen=True)
class RemovalResult:
    item: RemovalItem
    outcome: Outcome
    message: str
    untagged: tuple[str, ...] = ()  # the engine's "Untagged" entries
    deleted: tuple[str, ...] = ()  # the engine's "Deleted" entries (image and layer ids)
    removed_containers: tuple[str, ...] = ()  # names of stopped containers removed first


@dataclass(frozen=True)
class RemovalReport:
    results: tuple[RemovalResult, ...]
    cancelled: bool = False

    @property
    def problems(self) -> tuple[RemovalResult, ...]:
        return tuple(r for r in self.results if r.outcome.problem)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def summary(self) -> str:
        parts = []
        for outcome, words in ((Outcome.DELETED, "deleted"), (Outcome.UNTAGGED, "untagged"),
                               (Outcome.NOT_FOUND, "already gone"), (Outcome.REFUSED_IN_USE, "in use"),
                               (Outcome.CHANGED, "changed since the check"), (Outcome.FAILED, "failed"),
                               (Outcome.INTERRUPTED, "interrupted"), (Outcome.SKIPPED, "not attempted")):
            n = self.count(outcome)
            if n:
                parts.append(f"{n} {words}")
        return ", ".join(parts) or "Nothing to remove"


# --- planning ---------------------------------------------------------------------------------
def containers_by_image(containers: list[dict]) -> dict[str, list[ContainerUse]]:
    users: dict[str, list[ContainerUse]] = {}
    for item in containers:
        names = item.get("Names") or []
        name = names[0].lstrip("/") if names else item.get("Id", "")[:12]
        users.setdefault(item.get("ImageID", ""), []).append(
            ContainerUse(item.get("Id", ""), name, item.get("State", "")))
    return users


def _references(item: dict) -> list[str]:
    """The image's references as the rows show them ('repo:tag', or 'repo@digest' without a tag)."""
    return [row.reference for row in rows_from_api([item]) if not row.dangling]


def make_plan(rows: Iterable[ImageRow], images: list[dict], containers: list[dict]) -> RemovalPlan:
    """The plan from an ``/images/json?all=1`` and a ``/containers/json?all=1`` answer (pure)."""
    current = {item.get("Id", ""): item for item in images}
    children: dict[str, int] = {}
    for item in images:
        if item.get("ParentId"):
            children[item["ParentId"]] = children.get(item["ParentId"], 0) + 1
    users = containers_by_image(containers)

    chosen: dict[str, list[str]] = {}  # image id -> its selected references, in selection order
    sequence: list[str | RemovalItem] = []  # image ids (first selection) and items already decided
    seen = set()
    for row in rows:
        if row.key in seen:
            continue
        seen.add(row.key)
        ref = "" if row.dangling else row.reference
        item = current.get(row.id)
        if item is None:
            sequence.append(RemovalItem(row.id, Action.GONE, (ref,) if ref else (), row.size,
                                        reason=ALREADY_REMOVED))
            continue
        if ref and ref not in _references(item):
            sequence.append(RemovalItem(row.id, Action.GONE, (ref,), row.size,
                                        reason=f"no longer names image {row.short_id} (tagged again since); "
                                               "left alone"))
            continue
        if row.id not in chosen:
            chosen[row.id] = []
            sequence.append(row.id)
        if ref:
            chosen[row.id].append(ref)

    items: list[RemovalItem] = []
    for entry in sequence:
        if isinstance(entry, RemovalItem):
            items.append(entry)
            continue
        item = current[entry]
        selected = chosen[entry]
        keeps = tuple(r for r in _references(item) if r not in selected)
        size = int(item.get("Size") or 0)
        if keeps and not selected:  # chosen untagged, tagged since: not what the person saw
            items.append(RemovalItem(entry, Action.GONE, (), size,
                                     reason=f"was tagged since ({', '.join(keeps)}); left alone"))
        elif keeps:
            items.extend(RemovalItem(entry, Action.UNTAG, (ref,), size, keeps=keeps) for ref in selected)
        else:
            items.append(RemovalItem(entry, Action.DELETE, tuple(selected), size,
                                     containers=tuple(users.get(entry, ())), children=children.get(entry, 0)))
    return RemovalPlan(tuple(items))


def plan_removal(client, rows: Iterable[ImageRow]) -> RemovalPlan:
    """Decide, for the selected rows, what goes and what stands in the way (two requests)."""
    try:
        images = client.api.images(all=True)
        containers = client.api.containers(all=True)
    except Exception as exc:
        raise translate(exc, "check the images to remove") from exc
    return make_plan(rows, images, containers)


def _names(containers: Iterable[ContainerUse | str]) -> str:
    return ", ".join(getattr(c, "name", c) for c in containers)


def _containers_word(containers: tuple | list, state: str = "") -> str:
    noun = "container" if len(containers) == 1 else "containers"
    return f"{state} {noun} {_names(containers)}".strip()


def users_text(item: RemovalItem) -> str:
    """'running container web and stopped containers a, b'."""
    uses = []
    if item.running_containers:
        uses.append(_containers_word(item.running_containers, "running"))
    if item.stopped_containers:
        uses.append(_containers_word(item.stopped_containers, "stopped"))
    return " and ".join(uses)


def _stopped_go_first(item: RemovalItem, force: bool, remove_stopped: bool) -> bool:
    """Whether the stopped containers are removed before the image (as ``_delete`` does)."""
    running, stopped = item.running_containers, item.stopped_containers
    blocked = bool(running) and not item.references
    return bool(stopped) and remove_stopped and not blocked and (force or not running)


@dataclass(frozen=True)
class Expected:
    """What removing an item will do with the chosen options: ``outcome`` is the result to expect
    (DELETED, UNTAGGED, REFUSED_IN_USE, or NOT_FOUND for nothing to do), ``text`` says it."""

    outcome: Outcome
    text: str


def expected(item: RemovalItem, force: bool = False, remove_stopped: bool = False, size_text=str) -> Expected:
    """What removing *item* will do with these choices, in the words its result will use: "Not
    removed: ..." exactly when the removal will be refused, "Untag only ..." when only the tag
    goes. *size_text* formats the image's size."""
    if item.action is Action.GONE:
        return Expected(Outcome.NOT_FOUND, f"Nothing to do: {item.reason}")
    if item.action is Action.UNTAG:
        return Expected(Outcome.UNTAGGED, f"Untag only — the image keeps {_tag_list(item.keeps)}")
    running, stopped = item.running_containers, item.stopped_containers
    first = ""
    if _stopped_go_first(item, force, remove_stopped):
        first = f"remove {_containers_word(stopped, 'stopped')}, then "
        stopped = ()
    if running and not item.references:
        return Expected(Outcome.REFUSED_IN_USE,
                        f"Not removed: {_containers_word(running, 'running')} {'uses' if len(running) == 1 else 'use'} "
                        "it, and not even force deletes an untagged image under a running container")
    if (running or stopped) and not force:
        choices = "choose Force" + (" or remove the stopped containers first" if stopped and not running else "")
        return Expected(Outcome.REFUSED_IN_USE, f"Not removed: in use by {users_text(item)} ({choices})")
    outcome = Outcome.UNTAGGED
    if running:
        text = f"{first}untag only — image {item.short_id} stays under {_containers_word(running, 'running')}"
    elif item.children:
        text = f"{first}untag only — image {item.short_id} stays: other images are built on it"
    else:
        outcome = Outcome.DELETED
        text = f"{first}delete image {item.short_id} ({size_text(item.size)})"
        if len(item.references) > 1:
            text += " with all its tags"
        if stopped:
            text += f" — {_containers_word(stopped, 'stopped')} {'stays' if len(stopped) == 1 else 'stay'}, " \
                    "without an image"
    return Expected(outcome, text[0].upper() + text[1:])


def _tag_list(refs: tuple[str, ...], limit: int = 4) -> str:
    shown = ", ".join(refs[:limit])
    return shown + (f" and {len(refs) - limit} more" if len(refs) > limit else "")


# --- execution --------------------------------------------------------------------------------
def already_removed(item: RemovalItem) -> str:
    verb = "were" if len(item.references) > 1 else "was"
    return f"{item.label} {verb} already removed (by another program or user)."


def in_use_message(item: RemovalItem, running: tuple[ContainerUse, ...], stopped: tuple[ContainerUse, ...]) -> str:
    """Why the image stays, naming the containers and what would get it removed."""
    parts = []
    if running:
        parts.append(_containers_word(running, "running"))
    if stopped:
        parts.append(_containers_word(stopped, "stopped"))
    text = f"Not removed: image {item.short_id} is used by {' and '.join(parts)}"
    if running and not item.references:
        return f"{text}. Even a forced removal cannot delete it while a container runs on it: stop the container first."
    if running:
        return f"{text}. While a container runs on it, forcing removes only the tag."
    return f"{text}. Force the removal, or remove the stopped containers first."


def changes_since(item: RemovalItem, image: dict | None, users: list[ContainerUse]) -> list[str]:
    """What changed for *item* since the plan, in a few words each; empty when nothing that
    matters did. *image* is its ``/images/json`` entry now (None: gone), *users* its containers now."""
    if item.action is Action.UNTAG:
        if image is None:
            return []  # gone: the untag reports it
        others = [r for r in _references(image) if r not in item.references]
        if not others:
            return [f"its other tags ({_tag_list(item.keeps)}) were removed, so untagging it now would delete "
                    "the image"]
        return []
    if item.action is not Action.DELETE:
        return []
    planned = {c.id: c for c in item.containers}
    changes = []
    for use in users:
        was = planned.get(use.id)
        if was is None:
            changes.append(f"{_containers_word([use], 'running' if use.running else 'stopped')} was created from it")
        elif was.running != use.running:
            changes.append(f"container {use.name} {'started' if use.running else 'stopped'}")
    return changes


_CONTAINER_IN_MESSAGE = re.compile(r"container ([0-9a-f]{12,64})")


def _refusal_from_engine(engine: EngineRequests, item: RemovalItem, exc: docker.errors.APIError) -> str:
    """Word a 409 the plan did not foresee (a container created since), naming the container."""
    text = translate(exc).message
    match = _CONTAINER_IN_MESSAGE.search(text)
    if not match or ("is using its referenced image" not in text and "being used by" not in text):
        return ""
    try:
        found = engine.containers(filters={"id": match.group(1)})
    except Cancelled:
        raise
    except Exception:  # the engine's own words still say enough
        if engine.interrupted:
            raise
        found = []
    uses = [use for users in containers_by_image(found).values() for use in users]
    if not uses:
        return f"Not removed: image {item.short_id} is used by container {match.group(1)[:12]}."
    return in_use_message(item, tuple(u for u in uses if u.running), tuple(u for u in uses if not u.running))


def _entries(response) -> tuple[list[str], list[str]]:
    untagged, deleted = [], []
    for entry in response or []:
        if entry.get("Untagged"):
            untagged.append(entry["Untagged"])
        if entry.get("Deleted"):
            deleted.append(entry["Deleted"])
    return untagged, deleted


def _still_names(engine: EngineRequests, ref: str, image_id: str) -> bool | None:
    """True when *ref* still names the image, False when it names another, None when it is gone."""
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    try:
        return engine.inspect_image(ref).get("Id") == image_id
    except docker.errors.APIError as exc:
        if exc.status_code == 404:
            return None
        raise


class _Attempt:
    """What one item has done so far, so a failure or a cancel halfway still reports it."""

    def __init__(self, item: RemovalItem):
        self.item = item
        self.untagged: list[str] = []
        self.deleted: list[str] = []
        self.removed_containers: list[str] = []
        self.sent = ""  # what a destructive request is out for, until the engine answers

    def result(self, outcome: Outcome, message: str) -> RemovalResult:
        if self.removed_containers:
            message = f"Removed {_containers_word(self.removed_containers, 'stopped')} first. {message}"
        return RemovalResult(self.item, outcome, message, tuple(self.untagged), tuple(self.deleted),
                             tuple(self.removed_containers))

    def interrupted(self) -> RemovalResult:
        """The cancel came during this item: say what is certain."""
        if self.sent:
            return self.result(Outcome.INTERRUPTED, f"Cancelled while the engine was removing {self.sent}: it may "
                                                    "or may not be gone (the list shows what is there).")
        done = " The rest of it stays." if self.untagged or self.removed_containers else ""
        return self.result(Outcome.INTERRUPTED, f"Not removed: cancelled before the engine was asked to remove it.{done}")

    def remove_image(self, engine: EngineRequests, target: str, force: bool = False) -> None:
        self.sent = target
        untagged, deleted = _entries(engine.remove_image(target, force=force))
        self.sent = ""
        self.untagged += untagged
        self.deleted += deleted

    def remove_container(self, engine: EngineRequests, container: ContainerUse) -> None:
        import docker.errors  # here, not at import: the GUI thread starts without the SDK

        self.sent = f"the stopped container {container.name}"
        try:
            engine.remove_container(container.id)
        except docker.errors.APIError as exc:
            self.sent = ""
            if exc.status_code != 404:  # already gone is what was wanted
                raise
        self.sent = ""
        self.removed_containers.append(container.name)


def _untag(engine: EngineRequests, attempt: _Attempt) -> RemovalResult:
    item = attempt.item
    ref = item.references[0]
    names = _still_names(engine, ref, item.image_id)
    if names is None:
        return attempt.result(Outcome.NOT_FOUND, already_removed(item))
    if names is False:
        return attempt.result(Outcome.NOT_FOUND, f"{ref} now names another image (tagged again since); left alone.")
    attempt.remove_image(engine, ref)
    if item.image_id in attempt.deleted:  # its other tags went meanwhile: this was the last one
        return attempt.result(Outcome.DELETED, f"Deleted image {item.short_id} ({ref} was its last tag).")
    keeps = f"; the image stays with {', '.join(item.keeps)}" if item.keeps else "; the image stays"
    return attempt.result(Outcome.UNTAGGED, f"Untagged {ref}{keeps}.")


def _delete(engine: EngineRequests, attempt: _Attempt, force: bool, remove_stopped: bool,
            users: list[ContainerUse]) -> RemovalResult:
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    item = attempt.item
    running = tuple(u for u in users if u.running)
    stopped = tuple(u for u in users if not u.running)
    blocked = running and not item.references  # by id, not even force gets past a running container
    if stopped and remove_stopped and not blocked and (force or not running):
        for container in stopped:
            try:
                attempt.remove_container(engine, container)
            except docker.errors.APIError as exc:
                error = translate(exc, f"remove the stopped container {container.name}")
                return attempt.result(Outcome.FAILED, f"Not removed: {error.message}")
        stopped = ()
    if blocked or ((running or stopped) and not force):
        return attempt.result(Outcome.REFUSED_IN_USE, in_use_message(item, running, stopped))

    names = {ref: _still_names(engine, ref, item.image_id) for ref in item.references}
    targets = [ref for ref, still in names.items() if still]
    if item.references and not targets:
        if False in names.values():
            return attempt.result(Outcome.NOT_FOUND, f"{item.label} now {'names' if len(names) == 1 else 'name'} "
                                                     "another image (tagged again since); left alone.")
        return attempt.result(Outcome.NOT_FOUND, already_removed(item))
    targets = targets or [item.image_id]
    for n, target in enumerate(targets):
        attempt.remove_image(engine, target, force=force and n == len(targets) - 1)

    if item.image_id in attempt.deleted:
        what = f" ({', '.join(attempt.untagged)})" if attempt.untagged else ""
        return attempt.result(Outcome.DELETED, f"Deleted image {item.short_id}{what}.")
    if running:
        why = f"{_containers_word(running, 'running')} {'uses' if len(running) == 1 else 'use'} it"
    elif item.children:
        why = "other images are built on it"
    else:
        why = "it still has other references"
    untagged = ", ".join(attempt.untagged) or item.label
    return attempt.result(Outcome.UNTAGGED, f"Untagged {untagged}; image {item.short_id} stays because {why}.")


def carry_out(client, item: RemovalItem, force: bool, remove_stopped: bool,
              users: list[ContainerUse], attempt: _Attempt | None = None) -> RemovalResult:
    """Remove one item, knowing *users* (the containers of its image to reckon with: only those
    are removed first); the engine's refusals and failures become the result. *client* is an SDK
    client or EngineRequests. Raises when the engine cannot be reached or the cancel cut a request
    short (then *attempt* holds what was done)."""
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    engine = client if isinstance(client, EngineRequests) else EngineRequests(client)
    attempt = attempt or _Attempt(item)
    try:
        if item.action is Action.GONE:
            return attempt.result(Outcome.NOT_FOUND, f"{item.label} {item.reason}.")
        if item.action is Action.UNTAG:
            return _untag(engine, attempt)
        return _delete(engine, attempt, force, remove_stopped, users)
    except Cancelled:
        raise
    except docker.errors.APIError as exc:
        if exc.status_code == 404:
            return attempt.result(Outcome.NOT_FOUND, already_removed(item))
        if exc.status_code == 409 and (refusal := _refusal_from_engine(engine, item, exc)):
            return attempt.result(Outcome.REFUSED_IN_USE, refusal)
        return attempt.result(Outcome.FAILED, translate(exc, f"remove {item.label}").message)
    except Exception as exc:
        if is_connection_failure(exc) or engine.interrupted:
            raise
        return attempt.result(Outcome.FAILED, translate(exc, f"remove {item.label}").message)


def _not_attempted(items: Iterable[RemovalItem]) -> list[RemovalResult]:
    return [RemovalResult(i, Outcome.SKIPPED, "Not attempted: the removal was cancelled.") for i in items]


def execute_removal(client, plan: RemovalPlan, force: bool = False, remove_stopped_containers: bool = False,
                    token: CancelToken | None = None,
                    on_progress: Callable[[int, int, str], object] | None = None) -> RemovalReport:
    """Carry out *plan* item by item; a refusal or failure is recorded and the rest still goes.

    *force* deletes images that stopped containers use (the containers stay) and untags those a
    running container uses; *remove_stopped_containers* removes first the stopped containers the
    plan named (never others). An image whose containers or tags changed since the plan is left
    alone and reported. A cancel, even in the middle of a request the engine never answers, ends
    the removal with every item's result; so does losing the engine.
    """
    engine = EngineRequests(client, token)
    total = len(plan.items)
    try:  # fresh: containers and tags may have come or gone while the dialog was open
        images = {i.get("Id", ""): i for i in engine.images(all=True)}
        users = containers_by_image(engine.containers()) if plan.items else {}
    except Exception as exc:
        if isinstance(exc, Cancelled) or engine.interrupted:
            return RemovalReport(tuple(_not_attempted(plan.items)), cancelled=True)
        raise translate(exc, "check which containers use the images") from exc
    results: list[RemovalResult] = []
    for n, item in enumerate(plan.items):
        if engine.interrupted:
            return RemovalReport(tuple(results + _not_attempted(plan.items[n:])), cancelled=True)
        if on_progress is not None:
            on_progress(n, total, f"Removing {item.label}")
        now = users.get(item.image_id, [])
        changes = changes_since(item, images.get(item.image_id), now)
        if changes:
            results.append(RemovalResult(item, Outcome.CHANGED, f"Left alone: since the check, {'; '.join(changes)}. "
                                                                "Select it again to see what removing it does now."))
            continue
        present = {u.id for u in now}
        attempt = _Attempt(item)
        try:
            result = carry_out(engine, item, force, remove_stopped_containers,
                               [c for c in item.containers if c.id in present], attempt)
        except Exception as exc:  # a cancel, or a lost engine: every other item would wait for it too
            if isinstance(exc, Cancelled) or engine.interrupted:
                results.append(attempt.interrupted())
                return RemovalReport(tuple(results + _not_attempted(plan.items[n + 1:])), cancelled=True)
            error = translate(exc, f"remove {item.label}")
            results.append(attempt.result(Outcome.FAILED, error.message))
            results += [RemovalResult(i, Outcome.FAILED, f"Not attempted: {error.message}")
                        for i in plan.items[n + 1:]]
            return RemovalReport(tuple(results))
        results.append(result)
    if on_progress is not None:
        on_progress(total, total, "Done")
    return RemovalReport(tuple(results))
