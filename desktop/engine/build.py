"""Building an image from a Dockerfile, as ``docker build`` (the legacy builder) does, with every
line of the engine's answer turned into a plain :class:`BuildEvent`.

The build context is packed here rather than by the SDK, with the SDK's own ``.dockerignore``
reading and matching (``docker.utils.build.exclude_paths``, which mirrors the CLI's), into a
temporary file on disk that is then streamed to the engine; so a large context never sits in
memory, and packing and sending can both report progress and be cancelled between reads.

Tags are given only once the build succeeded (the engine is asked to build untagged, then each
name is set): a cancelled or failed build therefore never leaves a tag behind, even when the
engine finished the last step just as the cancel arrived. Cancelling closes the connection; the
legacy builder then kills and removes the step's container and stops.
"""

from __future__ import annotations

import enum
import os
import re
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from desktop.engine.cancel import CancelToken
from desktop.engine.errors import BerthError, Cancelled, EngineError, translate
from desktop.engine.images import short_id
from desktop.engine.reference import DEFAULT_DOMAIN, ImageReference, InvalidReference, parse_normalized

DEFAULT_DOCKERFILE = "Dockerfile"
DOCKERIGNORE = ".dockerignore"
MAX_DOCKERFILE_BYTES = 1 << 20  # what the dialog reads to find stages
MAX_DOCKERIGNORE_BYTES = 16 << 20  # a .dockerignore bigger than this is a mistake, not patterns
_CHUNK = 1 << 16

Progress = Callable[[float, "float | None", str], None]


# --- build arguments ------------------------------------------------------------------------

class BuildArgError(ValueError):
    """A build argument line that cannot be used; ``line`` is 1-based."""

    def __init__(self, line: int, text: str, problem: str):
        super().__init__(f"Line {line} ({text!r}): {problem}")
        self.line = line
        self.text = text
        self.problem = problem


def parse_build_args(text: str, env: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """``NAME=value`` per line, as ``--build-arg``. A bare ``NAME`` takes its value from *env*
    (Berth's environment), as the CLI takes it from the shell's, and is sent without a value
    when unset (the Dockerfile's default then applies). Empty lines are skipped; a later line
    overrides an earlier one. Raises BuildArgError for a line without a name."""
    env = os.environ if env is None else env
    args: dict[str, str | None] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, has_value, value = line.partition("=")
        if not name.strip():
            raise BuildArgError(number, line, 'a build argument needs a name before "=" (NAME=value)')
        if any(ch.isspace() for ch in name):
            raise BuildArgError(number, line, f'the name {name.strip()!r} contains white space; write NAME=value '
                                              'with nothing between the name and "="')
        args[name] = value if has_value else env.get(name)
    return args


# --- the Dockerfile -------------------------------------------------------------------------

_FROM_RE = re.compile(r"FROM\s+(?:--\S+\s+)*\S+(?:\s+AS\s+(\S+))?\s*", re.IGNORECASE)


def _instructions(text: str) -> Iterable[str]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # comments inside a continued instruction are dropped, as the parser does
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        yield current
        current = ""
    if current.strip():
        yield current


def dockerfile_stages(text: str) -> list[str]:
    """The named stages (``FROM image AS name``), lower-cased as the builder compares them."""
    names = []
    for instruction in _instructions(text):
        m = _FROM_RE.fullmatch(instruction.strip())
        if m and m.group(1):
            names.append(m.group(1).lower())
    return names


def is_dockerfile_name(name: str) -> bool:
    """Dockerfile, Containerfile, Dockerfile.dev, web.Dockerfile: names a Dockerfile goes by."""
    lower = name.lower()
    return lower in ("dockerfile", "containerfile") or lower.startswith("dockerfile.") \
        or lower.endswith(".dockerfile")


@dataclass(frozen=True)
class ContextInfo:
    """What a context folder offers: candidate Dockerfiles at its top and the stages of the chosen
    one. ``problem`` is a sentence to show when the folder cannot be built as chosen."""

    context_dir: str
    dockerfile: str  # relative to the context, "/"-separated
    candidates: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def dockerfile_in_context(context_dir: str, dockerfile: str) -> str:
    """*dockerfile* (absolute, or relative to the context) as a "/"-separated path inside the
    context; BerthError when it lies outside."""
    root = os.path.abspath(context_dir)
    path = dockerfile if os.path.isabs(dockerfile) else os.path.join(root, dockerfile or DEFAULT_DOCKERFILE)
    relative = os.path.relpath(os.path.abspath(path), root)
    if relative == os.curdir or relative.startswith(os.pardir + os.sep) or relative == os.pardir:
        raise BerthError(f"The Dockerfile must be inside the context folder {root} (it is {path}).")
    return relative.replace(os.sep, "/")


def check_context(context_dir: str, dockerfile: str = DEFAULT_DOCKERFILE) -> ContextInfo:
    """Look at a context folder as the build will (reads the folder's top and the Dockerfile)."""
    root = os.path.abspath(context_dir) if context_dir else ""
    shown = dockerfile or DEFAULT_DOCKERFILE
    if not context_dir:
        return ContextInfo("", shown, problem="Choose the folder to build (the build context).")
    if not os.path.isdir(root):
        what = "is not a folder" if os.path.exists(root) else "does not exist"
        return ContextInfo(root, shown, problem=f"{root} {what}; choose the folder to build.")
    try:
        candidates = tuple(sorted((entry.name for entry in os.scandir(root)
                                   if is_dockerfile_name(entry.name) and entry.is_file()), key=str.lower))
    except OSError as exc:
        return ContextInfo(root, shown, problem=f"Could not read {root}: {exc.strerror or exc}.")
    try:
        relative = dockerfile_in_context(root, shown)
    except BerthError as exc:
        return ContextInfo(root, shown, candidates, problem=str(exc))
    path = os.path.join(root, *relative.split("/"))
    if not os.path.isfile(path):
        if relative == DEFAULT_DOCKERFILE and not candidates:
            problem = f"There is no Dockerfile in {root}. Choose a folder that has one, or the Dockerfile to use."
        elif candidates:
            problem = (f"There is no {relative} in {root}; it has {', '.join(candidates)}. "
                       f"Choose the Dockerfile to build.")
        else:
            problem = f"There is no {relative} in {root}."
        return ContextInfo(root, relative, candidates, problem=problem)
    try:
        with open(path, "rb") as f:
            text = f.read(MAX_DOCKERFILE_BYTES).decode("utf-8", "replace")
    except OSError as exc:
        return ContextInfo(root, relative, candidates, problem=f"Could not read {path}: {exc.strerror or exc}.")
    stages = tuple(dockerfile_stages(text))
    try:
        read_dockerignore(root)
    except BerthError as exc:
        return ContextInfo(root, relative, candidates, stages, problem=str(exc))
    return ContextInfo(root, relative, candidates, stages)


# --- the context archive --------------------------------------------------------------------

def read_dockerignore(context_dir: str) -> list[str]:
    """The patterns of the context's ``.dockerignore``, read as the SDK reads them (a UTF-8 byte
    order mark at the start is dropped, as the CLI drops it). BerthError, with a sentence, when
    the file cannot be read or is not UTF-8 text."""
    path = os.path.join(context_dir, DOCKERIGNORE)
    if not os.path.lexists(path):
        return []
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_DOCKERIGNORE_BYTES + 1)
    except OSError as exc:
        raise BerthError(f"Could not read {path}: {exc.strerror or exc}.") from None
    if len(data) > MAX_DOCKERIGNORE_BYTES:
        raise BerthError(f"{path} is larger than {MAX_DOCKERIGNORE_BYTES // (1 << 20)} MB: "
                         "that is not a list of patterns to leave out of the build.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BerthError(f"{path} is not UTF-8 text (line {line} has a byte that is not UTF-8): "
                         "save it as UTF-8 to build this folder.") from None
    return [line for line in (raw.strip() for raw in text.splitlines()) if line and line[0] != "#"]


@dataclass(frozen=True)
class PackedContext:
    files: int  # entries in the archive (files, folders, links)
    size: int  # bytes of the archive


def pack_context(context_dir: str, dockerfile: str, fileobj, token: CancelToken | None = None,
                 on_progress: Progress | None = None) -> PackedContext:
    """Write the build context as a tar into *fileobj*, leaving out what ``.dockerignore``
    excludes (the Dockerfile and ``.dockerignore`` themselves are always sent, as by the CLI).
    Files are copied in chunks; the token is checked between files."""
    import docker.utils.build  # here, not at import: the GUI thread starts without the SDK

    root = os.path.abspath(context_dir)
    patterns = read_dockerignore(root)
    paths = sorted(docker.utils.build.exclude_paths(root, list(patterns), dockerfile=dockerfile))
    done_bytes = 0
    with tarfile.open(mode="w", fileobj=fileobj) as archive:
        for number, path in enumerate(paths, start=1):
            if token is not None:
                token.raise_if_cancelled()
            full_path = os.path.join(root, path)
            try:
                info = archive.gettarinfo(full_path, arcname=path)
            except OSError as exc:
                raise BerthError(f"Could not read {full_path} in the build context: {exc.strerror or exc}.") from exc
            if info is None:  # a socket: the SDK and the CLI skip those too
                continue
            if info.mtime < 0 or info.mtime > 8 ** 11 - 1:
                info.mtime = int(info.mtime)
            if info.isfile():
                try:
                    with open(full_path, "rb") as f:
                        archive.addfile(info, f)
                except OSError as exc:
                    raise BerthError(f"Could not read {full_path} in the build context: "
                                     f"{exc.strerror or exc}.") from exc
                done_bytes += info.size
            else:
                archive.addfile(info)
            if on_progress is not None:
                on_progress(0, None, f"Packing the build context: {number:,} of {len(paths):,} files, "
                                     f"{_megabytes(done_bytes)}")
    size = fileobj.tell()
    fileobj.seek(0)
    return PackedContext(len(paths), size)


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


class _Upload:
    """The archive as a request body: read in chunks, each read counted and checked for a cancel."""

    def __init__(self, fileobj, size: int, token: CancelToken | None, on_progress: Progress | None):
        self._file = fileobj
        self._size = size
        self._token = token
        self._on_progress = on_progress
        self.sent = 0

    def __len__(self) -> int:
        return self._size

    def read(self, n: int = -1) -> bytes:
        if self._token is not None:
            self._token.raise_if_cancelled()
        chunk = self._file.read(n if n and n > 0 else _CHUNK)
        self.sent += len(chunk)
        if self._on_progress is not None and chunk:
            self._on_progress(self.sent, self._size, f"Sending the build context: {_megabytes(self.sent)} of "
                                                     f"{_megabytes(self._size)}")
        return chunk

    def __iter__(self):
        while chunk := self.read(_CHUNK):
            yield chunk


# --- the engine's answer --------------------------------------------------------------------

class EventKind(enum.Enum):
    STEP = "step"  # "Step 3/6 : RUN make"
    OUTPUT = "output"  # anything else the build prints
    STATUS = "status"  # pulling a base image
    WARNING = "warning"  # "[Warning] One or more build-args [X] were not consumed"
    IMAGE_ID = "image-id"  # the image a stage (the last one: the build) produced
    ERROR = "error"  # the build failed with this message
    INFO = "info"  # Berth's own lines: packing, sending, tagging


@dataclass(frozen=True)
class BuildEvent:
    kind: EventKind
    text: str = ""
    step: int = 0  # STEP: its number, 1-based
    total: int = 0  # STEP: of how many
    image_id: str = ""  # IMAGE_ID
    transient: bool = False  # STATUS: a progress update that the next one replaces

    @property
    def line(self) -> str:
        """How the event reads as one line of the log."""
        if self.kind is EventKind.ERROR:
            return f"ERROR: {self.text}"
        if self.kind is EventKind.IMAGE_ID:
            return f" ---> image {self.image_id}"
        return self.text


_STEP_RE = re.compile(r"Step (\d+)/(\d+) : (.*)", re.DOTALL)
_WARNING_RE = re.compile(r"\[Warning\]\s*(.*)", re.DOTALL)
_BUILT_RE = re.compile(r"Successfully built ([0-9a-f]{12,64})")


# --- a base image that could not be pulled ---------------------------------------------------

_FROM_STEP_RE = re.compile(r"FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE)
_LOOKUP_RE = re.compile(r"dial tcp: lookup ([^\s:]+)")
_DIAL_RE = re.compile(r"dial tcp ([^\s]+?): (?:connect: )?(connection refused|i/o timeout|no route to host|"
                      r"network is unreachable)")
_GET_RE = re.compile(r'Get "?https?://([^/"\s]+)')
_PULL_DENIED_RE = re.compile(r"pull access denied for ([^\s,]+)")
_MANIFEST_RE = re.compile(r"manifest for (\S+) not found|manifest unknown|not found: manifest")
#: Docker Hub's registry host, which the engine's errors name, and the name people know it by.
_REGISTRY_NAMES = {"registry-1.docker.io": "docker.io", "index.docker.io": "docker.io",
                   "auth.docker.io": "docker.io"}


def _registry_of(image: str) -> str:
    try:
        ref = parse_normalized(image)
    except InvalidReference:  # "FROM ${BASE}" and the like: no registry to name
        return ""
    return ref.domain or DEFAULT_DOMAIN


def explain_base_image_failure(image: str, message: str, pull: bool = False) -> str | None:
    """A sentence for an engine error that ends a ``FROM image`` step because *image* could not be
    pulled (no network, no such image, no permission), or None when *message* is not one of those.
    *pull* says whether the build asked for a fresh copy (``--pull``), in which case the image may
    well be on the engine already."""
    if "$" in image:  # "FROM ${BASE}": the step shows the line before build arguments are filled in
        named = _MANIFEST_RE.search(message) or _PULL_DENIED_RE.search(message)
        image = named.group(1) if named and named.group(1) else ""
    why = _pull_failure_reason(image, message)
    if why is None:
        return None
    if not image:
        return f"The base image of this FROM step is not on this engine and could not be pulled: {why}."
    if pull:
        return (f"The base image {image} could not be pulled, and this build asks for a fresh copy of its base "
                f"images: {why}. Turn off pulling newer base images to build from the copy on this engine, "
                "if it has one.")
    return f"The base image {image} is not on this engine and could not be pulled: {why}."


def _pull_failure_reason(image: str, message: str) -> str | None:
    lower = message.lower()
    registry = _registry_of(image)
    host = ""
    for pattern in (_LOOKUP_RE, _GET_RE):
        m = pattern.search(message)
        if m:
            host = m.group(1)
            break
    where = _REGISTRY_NAMES.get(host, host) or registry or "the registry"
    lookup = _LOOKUP_RE.search(message)
    if lookup:
        if "no such host" in lower:
            return f"the name of the registry {where} is unknown to the engine's DNS (no such host)"
        return f"can't reach {where} (no network or DNS)"
    dial = _DIAL_RE.search(message)
    if dial:
        what = {"connection refused": "nothing answers there (connection refused)",
                "i/o timeout": "it does not answer (timed out)",
                "no route to host": "there is no route to it",
                "network is unreachable": "the network is unreachable"}[dial.group(2)]
        return f"can't reach the registry {where}: {what}"
    denied = _PULL_DENIED_RE.search(message)
    if denied or "unauthorized" in lower or "authentication required" in lower:
        return (f"{registry or 'the registry'} refused: the repository does not exist there, or it needs you "
                "to log in first")
    if _MANIFEST_RE.search(message):
        return f"{registry or 'the registry'} has no such image or tag"
    if "toomanyrequests" in lower or "too many requests" in lower:
        return f"{registry or 'the registry'} refused because of its pull rate limit; try again later or log in"
    if "x509:" in lower or "certificate" in lower:
        return f"the engine does not trust the TLS certificate of {where}"
    if "server gave http response to https client" in lower:
        return f"{where} speaks plain HTTP, and the engine expects HTTPS from it (an insecure registry)"
    if _GET_RE.search(message) or "error response from daemon" in lower or "no such image" in lower:
        return f"the engine said: {message}"
    return None


# --- the stream -------------------------------------------------------------------------------

class BuildStreamParser:
    """Turns the decoded items of ``/build`` into BuildEvents. The engine splits lines across
    items ("Step 1/2 : FROM x" then "\\n"), so text is assembled into whole lines first.

    An error that ends a ``FROM`` step because the base image could not be pulled is put in plain
    words (see :func:`explain_base_image_failure`); the engine's own text is kept in
    ``error_detail`` and shown in the log as an output line before the error."""

    def __init__(self, pull: bool = False, stages: Iterable[str] = ()) -> None:
        self._partial = ""
        self._pull = pull
        self._stages = {stage.lower() for stage in stages}
        self._from_image = ""  # the image of the step running now, when it is a FROM step
        self.image_id = ""  # the last "aux" ID: the built image
        self.built_short_id = ""  # from "Successfully built", for engines without aux
        self.error = ""
        self.error_detail = ""  # the engine's own words, when ``error`` rephrases them
        self.warnings: list[str] = []
        self.steps = 0

    def feed(self, item) -> list[BuildEvent]:
        if not isinstance(item, dict):
            return []
        events: list[BuildEvent] = []
        if "stream" in item:
            self._partial += str(item["stream"])
            *lines, self._partial = self._partial.split("\n")
            for line in lines:
                events.append(self._line(line.rstrip("\r")))
        if "status" in item:
            events.extend(self._flush())
            status = str(item["status"])
            ident = item.get("id")
            text = f"{ident}: {status}" if ident else status
            progress = item.get("progress")
            if progress:
                text += f" {progress}"
            events.append(BuildEvent(EventKind.STATUS, text, transient=bool(progress or item.get("progressDetail"))))
        aux = item.get("aux")
        if isinstance(aux, dict) and aux.get("ID"):
            events.extend(self._flush())
            self.image_id = str(aux["ID"])
            events.append(BuildEvent(EventKind.IMAGE_ID, image_id=self.image_id))
        if "error" in item or "errorDetail" in item:
            events.extend(self._flush())
            detail = item.get("errorDetail") or {}
            message = (detail.get("message") if isinstance(detail, dict) else None) or item.get("error") or ""
            message = str(message).strip()
            plain = explain_base_image_failure(self._from_image, message, self._pull) if self._from_image else None
            if plain:
                self.error_detail = message
                events.append(BuildEvent(EventKind.OUTPUT, f"The engine said: {message}"))
            self.error = plain or message or "the build failed (the engine gave no reason)"
            events.append(BuildEvent(EventKind.ERROR, self.error))
        return events

    def finish(self) -> list[BuildEvent]:
        return self._flush()

    def _flush(self) -> list[BuildEvent]:
        if not self._partial:
            return []
        line, self._partial = self._partial, ""
        return [self._line(line)]

    def _line(self, line: str) -> BuildEvent:
        m = _STEP_RE.fullmatch(line)
        if m:
            self.steps = int(m.group(2))
            base = _FROM_STEP_RE.match(m.group(3).strip())
            image = base.group(1) if base else ""
            # "FROM scratch" and "FROM <an earlier stage>" pull nothing
            self._from_image = "" if image.lower() in self._stages | {"scratch"} else image
            return BuildEvent(EventKind.STEP, line, step=int(m.group(1)), total=int(m.group(2)))
        m = _WARNING_RE.fullmatch(line)
        if m:
            self.warnings.append(m.group(1).strip())
            return BuildEvent(EventKind.WARNING, line)
        m = _BUILT_RE.fullmatch(line.strip())
        if m:
            self.built_short_id = m.group(1)
        return BuildEvent(EventKind.OUTPUT, line)


# --- building -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BuildRequest:
    context_dir: str
    dockerfile: str = DEFAULT_DOCKERFILE  # relative to the context (or absolute, inside it)
    tags: tuple[str, ...] = ()  # references; the image is built untagged without any
    buildargs: Mapping[str, str | None] = field(default_factory=lambda: MappingProxyType({}))
    target: str = ""
    nocache: bool = False
    pull: bool = False


@dataclass(frozen=True)
class BuildResult:
    image_id: str
    tags: tuple[str, ...]  # familiar references, in the order given
    moved: tuple[tuple[str, str], ...] = ()  # (reference, image it was taken from)
    warnings: tuple[str, ...] = ()
    steps: int = 0


class BuildFailed(EngineError):
    """The engine reported an error in the build's stream (a failing RUN, a missing COPY source);
    the message is the engine's."""


def build_references(tags: Iterable[str | ImageReference]) -> list[ImageReference]:
    """The build's names, normalised with ``latest`` added where no tag was given (as
    ``docker build -t myapp``); InvalidReference for a bad one."""
    refs = []
    for tag in tags:
        ref = tag if isinstance(tag, ImageReference) else parse_normalized(tag)
        if ref.digest is not None:
            raise BerthError(f'"{tag}" has a digest; a build is named by "repository:tag" only.')
        refs.append(ref.with_default_tag())
    return list(dict.fromkeys(refs))


def _closer(response) -> Callable[[], None]:
    def close() -> None:
        from docker.types import CancellableStream  # here, not at import: the GUI thread starts without the SDK

        try:
            CancellableStream(iter(()), response).close()  # shuts the socket down under the reader
        except Exception:  # an ssh channel cannot be shut down that way; closing is the next best
            response.close()
    return close


def _holder(client, ref: ImageReference) -> str | None:
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    try:
        return client.api.inspect_image(ref.familiar())["Id"]
    except docker.errors.NotFound:
        return None


def build_image(client, request: BuildRequest, token: CancelToken | None = None,
                on_event: Callable[[BuildEvent], None] | None = None,
                on_progress: Progress | None = None) -> BuildResult:
    """Build as ``docker build`` would and name the image; every stream item reaches *on_event*.

    Raises BuildFailed with the engine's message when the stream reports an error, EngineError
    when the engine refuses the request (a Dockerfile syntax error, an unknown target), Cancelled
    when *token* is cancelled (no tag is then left behind), BerthError for a bad context.
    """
    refs = build_references(request.tags)  # bad input fails before anything is read or sent
    emit = on_event or (lambda _event: None)
    info = check_context(request.context_dir, request.dockerfile)
    if not info.ok:
        raise BerthError(info.problem)

    def progress(done: float, total: float | None, text: str) -> None:
        if on_progress is not None:
            on_progress(done, total, text)

    with tempfile.TemporaryFile(prefix="berth-build-context-") as archive:
        packed = pack_context(info.context_dir, info.dockerfile, archive, token, progress)
        emit(BuildEvent(EventKind.INFO, f"Sending build context to the engine: {packed.files:,} entries, "
                                        f"{_megabytes(packed.size)}"))
        upload = _Upload(archive, packed.size, token, progress)
        parser = BuildStreamParser(pull=request.pull, stages=info.stages)
        unregister: list[Callable[[], None]] = []

        def on_response(response, *_args, **_kwargs):
            if token is not None:
                unregister.append(token.on_cancel(_closer(response)))
            return response

        hooks = client.api.hooks.setdefault("response", [])
        hooks.append(on_response)
        try:
            stream = client.api.build(
                fileobj=upload, custom_context=True, dockerfile=info.dockerfile,
                buildargs=dict(request.buildargs) or None, target=request.target or None,
                nocache=request.nocache, pull=request.pull, rm=True, forcerm=True, decode=True, timeout=None)
            for item in stream:
                for event in parser.feed(item):
                    emit(event)
                    if event.kind is EventKind.STEP:
                        progress(event.step - 1, event.total, f"Step {event.step}/{event.total}: "
                                                              f"{event.text.split(' : ', 1)[-1]}")
            for event in parser.finish():
                emit(event)
        except Cancelled:
            raise
        except Exception as exc:
            if token is not None and token.cancelled:
                raise Cancelled() from None
            error = translate(exc, "build the image")
            emit(BuildEvent(EventKind.ERROR, str(error)))
            raise error from exc
        finally:
            if on_response in hooks:
                hooks.remove(on_response)
            for undo in unregister:
                undo()
    if token is not None:
        token.raise_if_cancelled()
    if parser.error:
        raise BuildFailed(parser.error, detail=parser.error_detail or None)
    image_id = parser.image_id
    if not image_id and parser.built_short_id:
        image_id = client.api.inspect_image(parser.built_short_id)["Id"]
    if not image_id:
        raise EngineError("The build ended without naming an image (the engine's answer stopped early).")
    tags, moved = _name(client, image_id, refs, token, emit)
    return BuildResult(image_id, tags, moved, tuple(parser.warnings), parser.steps)


def _name(client, image_id: str, refs: list[ImageReference], token: CancelToken | None,
          emit: Callable[[BuildEvent], None]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Tag the built image; if tagging fails or a cancel arrives meanwhile, every name is put back
    as it was (a new name removed, a moved one given back to its image)."""
    before: dict[ImageReference, str | None] = {}
    moved = []
    try:
        for ref in refs:
            previous = _holder(client, ref)
            before[ref] = previous
            client.api.tag(image_id, ref.familiar_name(), ref.tag)
            if previous and previous != image_id:
                moved.append((ref.familiar(), previous))
                emit(BuildEvent(EventKind.INFO, f"Tagged {ref.familiar()} (moved from image {short_id(previous)})"))
            else:
                emit(BuildEvent(EventKind.INFO, f"Tagged {ref.familiar()}"))
    except Exception as exc:
        _restore(client, image_id, before)
        if token is not None and token.cancelled:
            raise Cancelled() from None
        raise translate(exc, f"tag the built image {short_id(image_id)}") from exc
    if token is not None and token.cancelled:
        _restore(client, image_id, before)
        emit(BuildEvent(EventKind.INFO, "Cancelled: the names given are put back as they were"))
        raise Cancelled()
    return tuple(ref.familiar() for ref in refs), tuple(moved)


def _restore(client, image_id: str, before: Mapping[ImageReference, str | None]) -> None:
    for ref, previous in before.items():
        try:
            if previous is None:
                if _holder(client, ref) == image_id:
                    client.api.remove_image(ref.familiar(), noprune=True)
            elif previous != image_id:
                client.api.tag(previous, ref.familiar_name(), ref.tag)
        except Exception:  # best effort: the next listing shows the truth
            pass
