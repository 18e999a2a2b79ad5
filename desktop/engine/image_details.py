"""Everything the Details pane shows about one image, in three requests: ``/images/{id}/json``
(``docker inspect``), ``/images/{id}/history`` (``docker history``) and one
``/containers/json?all=1&filters=ancestor`` for the containers created from it.

The ancestor filter also matches containers of images built *on top of* this one, so the
containers are kept only when their ``ImageID`` is exactly this image's id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from desktop.engine.cancel import CancelToken
from desktop.engine.errors import NotFound, translate
from desktop.engine.images import NONE, split_repo_tag, short_id

MISSING = "<missing>"  # docker history's id for a layer built elsewhere (pulled), as the CLI shows it

OCI = "org.opencontainers.image."
# The OCI annotations a person looks for first, in the order the pane shows them.
OCI_FIRST = tuple(OCI + name for name in ("title", "description", "version", "source", "documentation", "url"))
# Labels whose value is an address worth opening in a browser.
LINK_LABELS = frozenset(OCI + name for name in ("source", "documentation", "url"))


@dataclass(frozen=True)
class ImageTag:
    """One 'repo:tag' of the image, with the registry digest of that repository when known."""

    repository: str
    tag: str
    digest: str = ""

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"

    @property
    def key(self) -> str:
        return self.reference


@dataclass(frozen=True)
class ImageDetails:
    """``docker inspect`` of one image as plain values; ``raw`` is the inspect as pretty JSON."""

    id: str
    tags: tuple[ImageTag, ...]
    repo_digests: tuple[str, ...]  # "repo@sha256:..."
    parent_id: str
    created: float  # unix seconds (0 when unknown)
    created_text: str  # as the engine wrote it (RFC 3339, nanoseconds)
    size: int
    os: str
    architecture: str
    variant: str
    author: str
    comment: str
    docker_version: str
    entrypoint: tuple[str, ...] | None  # None: not set (inherits nothing); () is an explicit empty one
    cmd: tuple[str, ...] | None
    working_dir: str
    user: str
    env: tuple[tuple[str, str], ...]  # (name, value) in image order
    exposed_ports: tuple[str, ...]  # "8080/tcp", sorted by port
    volumes: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]  # OCI annotations first (OCI_FIRST order), then by key
    stop_signal: str
    layer_count: int  # layers in the root filesystem (history also lists empty steps)
    raw: str

    @property
    def short_id(self) -> str:
        return short_id(self.id)

    @property
    def platform(self) -> str:
        """'linux/amd64', 'linux/arm/v7' -- as ``--platform`` spells it."""
        parts = [p for p in (self.os, self.architecture, self.variant) if p]
        return "/".join(parts)

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(t.reference for t in self.tags)


@dataclass(frozen=True)
class HistoryLayer:
    """One line of ``docker history``; ``position`` counts from the base layer (0)."""

    position: int
    id: str  # "sha256:..." or MISSING
    created: int  # unix seconds
    created_by: str
    size: int
    comment: str = ""
    tags: tuple[str, ...] = ()

    @property
    def key(self) -> int:
        return self.position

    @property
    def empty(self) -> bool:
        """A step that changed only metadata (ENV, CMD, LABEL...): the CLI's 0B rows."""
        return self.size == 0

    @property
    def missing(self) -> bool:
        return self.id == MISSING


@dataclass(frozen=True)
class ContainerRef:
    """A container created from the image, as ``docker ps -a`` lists it."""

    id: str
    name: str
    image: str  # the reference it was created with ("app:1", or an id)
    state: str
    status: str
    created: int

    @property
    def key(self) -> str:
        return self.id

    @property
    def short_id(self) -> str:
        return self.id[:12]


@dataclass(frozen=True)
class ImageDetailsBundle:
    details: ImageDetails
    history: tuple[HistoryLayer, ...]  # newest first, as ``docker history`` prints them
    containers: tuple[ContainerRef, ...]

    @property
    def id(self) -> str:
        return self.details.id


# --- pure conversions (unit-tested) ---------------------------------------------------------

_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def parse_time(text: str) -> float:
    """RFC 3339 with up to nanoseconds (the engine's format) -> unix seconds; 0 when unparsable."""
    match = _RFC3339.match((text or "").strip())
    if not match:
        return 0.0
    base, fraction, zone = match.groups()
    zone = "+00:00" if zone in (None, "Z") else zone
    try:
        stamp = datetime.fromisoformat(base + zone).timestamp()
    except ValueError:
        return 0.0
    if fraction:
        stamp += float("0." + fraction)
    return stamp


def ordered_labels(labels: dict | None) -> tuple[tuple[str, str], ...]:
    """OCI annotations first (title, description, version, source, documentation, url, then the
    other ``org.opencontainers.image.*``), then every other label by key."""
    items = dict(labels or {})

    def rank(key: str) -> tuple:
        if key in OCI_FIRST:
            return (0, OCI_FIRST.index(key), key)
        if key.startswith(OCI):
            return (1, 0, key)
        return (2, 0, key)

    return tuple((k, str(items[k])) for k in sorted(items, key=rank))


def _port_sort_key(spec: str) -> tuple:
    port, _, proto = spec.partition("/")
    first = port.split("-", 1)[0]
    return (int(first) if first.isdigit() else 1 << 20, proto, spec)


def _command(value) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):  # very old images stored a shell string
        return (value,)
    return tuple(str(v) for v in value)


def details_from_inspect(data: dict) -> ImageDetails:
    config = data.get("Config") or {}
    repo_digests = tuple(d for d in (data.get("RepoDigests") or []) if not d.startswith(NONE))
    digest_of = {}
    for item in repo_digests:
        repo, _, digest = item.partition("@")
        digest_of.setdefault(repo, digest)
    tags = []
    for text in data.get("RepoTags") or []:
        if text == f"{NONE}:{NONE}":
            continue
        repo, tag = split_repo_tag(text)
        tags.append(ImageTag(repo, tag, digest_of.get(repo, "")))
    env = []
    for item in config.get("Env") or []:
        name, _, value = str(item).partition("=")
        env.append((name, value))
    return ImageDetails(
        id=data.get("Id", ""),
        tags=tuple(tags),
        repo_digests=repo_digests,
        parent_id=data.get("Parent") or "",
        created=parse_time(data.get("Created") or ""),
        created_text=data.get("Created") or "",
        size=int(data.get("Size") or 0),
        os=data.get("Os") or "",
        architecture=data.get("Architecture") or "",
        variant=data.get("Variant") or "",
        author=data.get("Author") or "",
        comment=data.get("Comment") or "",
        docker_version=data.get("DockerVersion") or "",
        entrypoint=_command(config.get("Entrypoint")),
        cmd=_command(config.get("Cmd")),
        working_dir=config.get("WorkingDir") or "",
        user=config.get("User") or "",
        env=tuple(env),
        exposed_ports=tuple(sorted((config.get("ExposedPorts") or {}), key=_port_sort_key)),
        volumes=tuple(sorted(config.get("Volumes") or {})),
        labels=ordered_labels(config.get("Labels")),
        stop_signal=config.get("StopSignal") or "",
        layer_count=len((data.get("RootFS") or {}).get("Layers") or []),
        raw=json.dumps(data, indent=4, ensure_ascii=False),
    )


def history_from_api(items: list[dict]) -> tuple[HistoryLayer, ...]:
    """``/history`` items (newest first) -> layers, positions counted from the base."""
    count = len(items)
    layers = []
    for n, item in enumerate(items):
        layer_id = item.get("Id") or MISSING
        layers.append(HistoryLayer(
            position=count - 1 - n,
            id=layer_id,
            created=int(item.get("Created") or 0),
            created_by=item.get("CreatedBy") or "",
            size=int(item.get("Size") or 0),
            comment=item.get("Comment") or "",
            tags=tuple(t for t in (item.get("Tags") or []) if t != f"{NONE}:{NONE}"),
        ))
    return tuple(layers)


def containers_from_api(items: list[dict], image_id: str) -> tuple[ContainerRef, ...]:
    """Only the containers created from exactly *image_id* (the ancestor filter adds descendants)."""
    refs = []
    for item in items:
        if item.get("ImageID") != image_id:
            continue
        names = item.get("Names") or []
        refs.append(ContainerRef(
            id=item.get("Id", ""),
            name=names[0].lstrip("/") if names else item.get("Id", "")[:12],
            image=item.get("Image", ""),
            state=item.get("State", ""),
            status=item.get("Status", ""),
            created=int(item.get("Created") or 0),
        ))
    refs.sort(key=lambda r: (-r.created, r.name))
    return tuple(refs)


# --- requests -------------------------------------------------------------------------------

def _gone(image_id: str) -> NotFound:
    shown = short_id(image_id) if image_id.startswith("sha256:") else image_id
    return NotFound(f"Image {shown} no longer exists (it was removed)", status_code=404)


def _call(image_id: str, action: str, fn, *args, **kwargs):
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    try:
        return fn(*args, **kwargs)
    except docker.errors.NotFound:
        raise _gone(image_id) from None
    except Exception as exc:  # noqa: BLE001 - every failure leaves as a BerthError
        raise translate(exc, action) from exc


def inspect_image(client, image_id: str) -> ImageDetails:
    """``docker inspect`` of one image; NotFound when it is gone."""
    data = _call(image_id, f"inspect image {short_id(image_id)}", client.api.inspect_image, image_id)
    return details_from_inspect(data)


def image_history(client, image_id: str) -> list[HistoryLayer]:
    """``docker history`` of one image, newest step first."""
    items = _call(image_id, f"read the history of image {short_id(image_id)}", client.api.history, image_id)
    return list(history_from_api(items or []))


def containers_using(client, image_id: str) -> list[ContainerRef]:
    """Containers (any state) created from exactly this image, in one request."""
    items = _call(image_id, "list the containers of the image", client.api.containers,
                  all=True, filters={"ancestor": image_id})
    return list(containers_from_api(items or [], image_id))


def load_image_details(client, image_id: str, token: CancelToken | None = None) -> ImageDetailsBundle:
    """Inspect, history and containers of one image (three requests), checking *token* between."""
    details = inspect_image(client, image_id)
    if token is not None:
        token.raise_if_cancelled()
    history = image_history(client, details.id)
    if token is not None:
        token.raise_if_cancelled()
    containers = containers_using(client, details.id)
    return ImageDetailsBundle(details, tuple(history), tuple(containers))
