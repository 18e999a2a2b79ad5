"""Pull and push over the engine's progress streams, and the push guard.

The SDK's low-level ``api.pull``/``api.push`` yield one JSON item per progress line. Those are
read here into frozen values a view can show (one ``LayerState`` per layer, an overall fraction
weighted by layer sizes, the final digest). Three things the streams do not do by themselves:

* errors: a push (and a pull that already started) reports registry errors only as ``error`` /
  ``errorDetail`` items inside a stream whose HTTP status was 200. Every item is checked, and the
  engine's words become a ``RegistryError`` subclass with a sentence naming the registry.
* stalls: the SDK pulls with no timeout and a stopped registry leaves the engine silent. A
  watchdog ends a stream that has not advanced for ``stall_after`` seconds and says so.
* cancel: the transfer runs on a client only it uses, whose sockets a cancel shuts down
  (``shutdown_on_cancel``), so Cancel ends even a request the engine has not answered yet.

The guard (``check_push``) asks the registry, through the engine's ``/distribution`` endpoint
(the engine's own trust and credentials), which digest the tag has now; a tag whose remote
digest is not one of the local image's RepoDigests would move to other content.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Iterator

from desktop.engine.cancel import CancelToken, shutdown_on_cancel
from desktop.engine.errors import BerthError, Cancelled, NotFound, stream_item_error, translate
from desktop.engine.reference import DEFAULT_DOMAIN, ImageReference, InvalidReference, parse_normalized
from desktop.engine.registry_errors import (DNS_TIMEOUT, NO_NETWORK_HUB, RegistryAuthError, RegistryError,
                                            RegistryNotFound, RegistryTlsError, RegistryUnreachable, lookup_problem)

STALL_AFTER = 60.0  # seconds without progress before the watchdog ends a transfer

PULL, PUSH = "pull", "push"

# layer states, in the words the dialogs show
WAITING = "waiting"
PREPARING = "preparing"
DOWNLOADING = "downloading"
VERIFYING = "verifying"
DOWNLOADED = "downloaded"
EXTRACTING = "extracting"
PUSHING = "pushing"
EXISTS = "exists"
MOUNTED = "mounted"
RETRYING = "retrying"
COMPLETE = "complete"

_FINISHED = frozenset({EXISTS, MOUNTED, COMPLETE})

# the engine's status words -> a state (the ones with bytes are handled apart)
_STATES = {
    "Waiting": WAITING,
    "Pulling fs layer": WAITING,
    "Preparing": PREPARING,
    "Verifying Checksum": VERIFYING,
    "Download complete": DOWNLOADED,
    "Pull complete": COMPLETE,
    "Already exists": EXISTS,
    "Layer already exists": EXISTS,
    "Pushed": COMPLETE,
    "Downloading": DOWNLOADING,
    "Extracting": EXTRACTING,
    "Pushing": PUSHING,
}


# --- values ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerState:
    """One layer of a pull or push: its short id, state, the engine's own words, and the bytes
    of the current phase (``current`` never more than ``total``; total 0 while unknown)."""

    id: str
    state: str
    text: str
    current: int = 0
    total: int = 0
    size: int = 0  # the layer's size once any phase told it (its weight in the overall bar)

    @property
    def finished(self) -> bool:
        return self.state in _FINISHED

    @property
    def fraction(self) -> float:
        """How far this layer is, 0..1: for a pull download is the first half, extraction the
        second; for a push the upload is all of it."""
        phase = self.current / self.total if self.total else 0.0
        if self.state in _FINISHED:
            return 1.0
        if self.state == DOWNLOADING:
            return 0.5 * phase
        if self.state in (VERIFYING, DOWNLOADED):
            return 0.5
        if self.state == EXTRACTING:
            return 0.5 + 0.5 * phase
        if self.state == PUSHING:
            return phase
        return 0.0


@dataclass(frozen=True)
class TransferProgress:
    """The whole transfer at one moment: its layers in the order the engine named them."""

    layers: tuple[LayerState, ...]
    fraction: float | None  # None until a layer has a size
    done_bytes: int
    total_bytes: int
    message: str  # the latest line that is about no layer ("The push refers to …")


@dataclass(frozen=True)
class TransferResult:
    kind: str  # PULL or PUSH
    reference: str  # the normalised reference moved ("127.0.0.1:5000/team/app:1.0")
    digest: str  # the manifest digest the registry has for it ("sha256:…"), "" if not told
    size: int = 0  # the manifest's size (push)
    image_id: str = ""  # the image now on the engine (pull; the pushed image for a push)
    status: str = ""  # the engine's last word ("Downloaded newer image for …", "Image is up to date …")
    layers: tuple[LayerState, ...] = ()


@dataclass(frozen=True)
class GuardVerdict:
    """What pushing *reference* would do to the registry's tag."""

    reference: str
    image_id: str
    remote_digest: str  # the tag's digest on the registry now; "" when the tag is new there
    local_digests: tuple[str, ...]  # the local image's digests in that repository (RepoDigests)

    @property
    def new_tag(self) -> bool:
        return not self.remote_digest

    @property
    def same(self) -> bool:
        """The registry's tag already names this image's content."""
        return bool(self.remote_digest) and self.remote_digest in self.local_digests

    @property
    def moves(self) -> bool:
        return bool(self.remote_digest) and not self.same

    def describe(self) -> str:
        if self.new_tag:
            return f"{self.reference} is new on the registry."
        if self.same:
            return f"{self.reference} on the registry already has this image ({self.remote_digest})."
        local = ", ".join(self.local_digests) if self.local_digests else \
            f"{self.image_id} (its image ID: it was never pushed to this repository, so it has no digest there)"
        return (f"{self.reference} already exists on the registry with other content. Pushing moves that tag "
                f"to this image; whoever pulls it then gets different content.\n"
                f"On the registry now: {self.remote_digest}\n"
                f"This image: {local}")


# --- errors ------------------------------------------------------------------------------------

# The registry client's errors are the ones a registry gives; a transfer adds the ways a stream
# through the engine ends (a registry gone mid-push, a stall) and tells auth failures apart.

class AuthenticationRequired(RegistryAuthError):
    """The registry wants credentials and none (or none it accepts) were sent."""


class AccessDenied(RegistryAuthError):
    """Signed in, but not allowed to do this to that repository."""


class UnknownRepository(RegistryNotFound):
    """The repository or the tag (manifest) does not exist on the registry."""


class RegistryGone(RegistryError):
    """The registry went away in the middle of the transfer."""


class TransferStalled(RegistryError):
    """Nothing advanced for the watchdog's time; the transfer was stopped."""


_AUTH = re.compile(r"no basic auth credentials|authentication required|unauthorized|401 unauthorized|"
                   r"incorrect username or password", re.IGNORECASE)
_DENIED = re.compile(r"denied|insufficient_scope|forbidden|403", re.IGNORECASE)
_UNKNOWN = re.compile(r"manifest unknown|name unknown|not found|repository does not exist|no such image|"
                      r"does not exist", re.IGNORECASE)
_TLS = re.compile(r"x509|certificate|tls:|server gave http response to https client|handshake", re.IGNORECASE)
_DNS = re.compile(r"no such host|lookup .* on |server misbehaving|temporary failure in name resolution", re.IGNORECASE)
_UNREACHABLE = re.compile(r"connection refused|network is unreachable|no route to host|i/o timeout|"
                          r"dial tcp|context deadline exceeded|timeout", re.IGNORECASE)
_GONE = re.compile(r"connection reset|broken pipe|unexpected eof|\beof\b|use of closed network connection|"
                   r"server closed|connection closed", re.IGNORECASE)


def registry_of(reference: str) -> str:
    """The registry host of *reference* as the engine will use it ("docker.io" by default)."""
    try:
        return parse_normalized(reference).domain or DEFAULT_DOMAIN
    except InvalidReference:
        return ""


def classify(message: str, registry: str, action: str, *, started: bool = False) -> RegistryError:
    """The engine's error text about *registry* -> the error that says what to do.
    *action* is 'pull 127.0.0.1:5000/app:1'; *started*: bytes had already moved (a connection
    that breaks then is a registry that went away, not one that was never there)."""
    text = message.strip()
    where = registry or "the registry"
    if _TLS.search(text):
        return RegistryTlsError(f"Could not {action}: the engine does not trust {where}'s TLS certificate (or the "
                                f"registry does not speak TLS). Add the registry's CA certificate to the engine "
                                f"(/etc/docker/certs.d/{where}/ca.crt) and try again.", registry=registry,
                                detail=text)
    if _DNS.search(text) or (registry == DEFAULT_DOMAIN and _UNREACHABLE.search(text)):
        if registry == DEFAULT_DOMAIN:
            return RegistryUnreachable(NO_NETWORK_HUB, registry=registry, detail=f"could not {action}: {text}")
        return RegistryUnreachable(f"Could not {action}: the engine cannot resolve {where} (no network or DNS, "
                                   "or a mistyped host).", registry=registry, detail=text)
    if started and (_GONE.search(text) or _UNREACHABLE.search(text)):
        return RegistryGone(f"Could not {action}: {where} went away during the transfer (it stopped or the "
                            "connection broke). Try again once it is back.", registry=registry, detail=text)
    if _UNREACHABLE.search(text) or _GONE.search(text):
        return RegistryUnreachable(f"Could not {action}: the engine cannot reach {where} (connection refused or "
                                   "no route). Check that the registry runs and the host and port are right.",
                                   registry=registry, detail=text)
    if _AUTH.search(text) and not re.search(r"repository does not exist", text, re.IGNORECASE):
        return AuthenticationRequired(f"Could not {action}: {where} requires authentication. Sign in to "
                                      f"{where} (with an account allowed to do this) and try again.",
                                      registry=registry, detail=text)
    if re.search(r"repository does not exist|may require 'docker login'", text, re.IGNORECASE):
        return UnknownRepository(f"Could not {action}: {where} has no such repository, or it is private and "
                                 "needs you to sign in.", registry=registry, detail=text)
    if _DENIED.search(text):
        return AccessDenied(f"Could not {action}: {where} denied access to this repository. Sign in with an "
                            "account that may use it, or check the repository name.", registry=registry,
                            detail=text)
    if _UNKNOWN.search(text):
        return UnknownRepository(f"Could not {action}: {where} has no such repository or tag.",
                                 registry=registry, detail=text)
    return RegistryError(f"Could not {action}: {where} answered: {text}", registry=registry, detail=text)


_HUB_API_HOST = "registry-1.docker.io"  # where the engine goes for docker.io


def check_name_resolves(reference: str, action: str, timeout: float = DNS_TIMEOUT) -> None:
    """Raise RegistryUnreachable when the registry host of *reference* does not resolve here
    within *timeout* seconds. Only for an engine on this machine (it shares the resolver): with no
    network, DNS can take 20 s and more to give up, and the engine would wait just as long."""
    registry = registry_of(reference)
    host = _HUB_API_HOST if registry == DEFAULT_DOMAIN else registry.rpartition(":")[0] or registry
    if registry.startswith("[") or host == "localhost" or re.fullmatch(r"[0-9.]+", host):
        return  # an address, nothing to look up
    problem = lookup_problem(host, timeout)
    if problem:
        raise classify(f"lookup {host}: no such host ({problem})", registry, action)




# --- following a stream ----------------------------------------------------------------------

class TransferTracker:
    """Reads stream items one at a time and keeps the layers' states; not thread-safe (the one
    thread reading the stream owns it). ``feed`` returns the layer an item changed, if any."""

    def __init__(self, kind: str):
        self.kind = kind
        self._layers: dict[str, LayerState] = {}
        self.message = ""
        self.digest = ""
        self.size = 0
        self.status = ""

    def feed(self, item: dict) -> LayerState | None:
        aux = item.get("aux")
        if isinstance(aux, dict) and aux.get("Digest"):
            self.digest = str(aux["Digest"])
            self.size = int(aux.get("Size") or 0)
            return None
        status = str(item.get("status") or "")
        layer_id = str(item.get("id") or "")
        if status.startswith("Digest: "):
            self.digest = status[len("Digest: "):].strip()
            return None
        if status.startswith("Status: "):
            self.status = status[len("Status: "):].strip()
            return None
        match = re.search(r"digest: (sha256:[0-9a-f]{64})(?: size: (\d+))?", status)
        if match and not layer_id:
            self.digest = match.group(1)
            self.size = int(match.group(2) or 0) or self.size
            self.message = status
            return None
        state = _STATES.get(status)
        if state is None and status.startswith("Mounted from"):
            state = MOUNTED
        elif state is None and status.startswith("Retrying in"):
            state = RETRYING  # the engine lost the registry and tries the layer again shortly
        if not layer_id or state is None:
            # "Pulling from team/app" (id = the tag), "The push refers to …", anything new
            if status:
                self.message = status
            return None
        previous = self._layers.get(layer_id)
        detail = item.get("progressDetail") or {}
        current = total = 0
        size = previous.size if previous is not None else 0
        if state in (DOWNLOADING, EXTRACTING, PUSHING):
            total = max(0, int(detail.get("total") or 0))
            current = max(0, int(detail.get("current") or 0))
            if total:
                current = min(current, total)  # a push can report more than the layer's size
                size = max(size, total)
        layer = LayerState(layer_id, state, status, current, total, size)
        if layer == previous:
            return None
        self._layers[layer_id] = layer
        return layer

    @property
    def layers(self) -> tuple[LayerState, ...]:
        return tuple(self._layers.values())

    def progress(self) -> TransferProgress:
        layers = self.layers
        total_bytes = sum(layer.size for layer in layers)
        fraction = overall_fraction(layers)
        done = int(fraction * total_bytes) if fraction is not None else 0
        return TransferProgress(layers, fraction, done, total_bytes, self.message)


def overall_fraction(layers) -> float | None:
    """The transfer's progress 0..1 with each layer weighted by its size. A layer that needed no
    transfer (already there, mounted) and whose size was never told weighs nothing; one still to
    come weighs as much as the average known one. None while nothing can be weighed yet."""
    layers = list(layers)
    if not layers:
        return None
    sized = [layer.size for layer in layers if layer.size]
    if not sized:
        return 1.0 if all(layer.finished for layer in layers) else None
    unknown = sum(sized) / len(sized)
    weights = [layer.size or (0 if layer.finished else unknown) for layer in layers]
    return sum(w * layer.fraction for w, layer in zip(weights, layers)) / sum(weights)


class Watchdog:
    """Calls *on_stall* once when ``advanced()`` has not been called for *seconds*."""

    def __init__(self, seconds: float, on_stall: Callable[[], None]):
        self.seconds = seconds
        self._on_stall = on_stall
        self._last = time.monotonic()
        self._stop = threading.Event()
        self.fired = False
        self._thread = threading.Thread(target=self._watch, name="berth-transfer-watchdog", daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def advanced(self) -> None:
        self._last = time.monotonic()

    def _watch(self) -> None:
        interval = max(0.05, min(1.0, self.seconds / 10))
        while not self._stop.wait(interval):
            if time.monotonic() - self._last >= self.seconds:
                self.fired = True
                self._on_stall()
                return


@contextlib.contextmanager
def watched(api, token: CancelToken | None, seconds: float) -> Iterator[Watchdog]:
    """While inside, the requests *api* makes end at once when *token* is cancelled or when the
    yielded watchdog has not been told ``advanced()`` for *seconds* (its ``fired`` says which):
    both shut the sockets down."""
    inner = CancelToken()
    unlink = token.on_cancel(inner.cancel) if token is not None else (lambda: None)
    try:
        with shutdown_on_cancel(api, inner), Watchdog(seconds, inner.cancel) as watchdog:
            yield watchdog
    finally:
        unlink()


Emit = Callable[[LayerState], None]
OnProgress = Callable[[TransferProgress], None]


def _follow(api, kind: str, open_stream: Callable[[], Iterable[dict]], reference: str, *, token: CancelToken | None,
            stall_after: float, on_layer: Emit | None, on_progress: OnProgress | None,
            progress_interval: float = 0.1) -> TransferTracker:
    """Open and read one transfer stream with the watchdog and cancel in place; returns the tracker."""
    registry = registry_of(reference)
    action = f"{kind} {reference}"
    tracker = TransferTracker(kind)
    started = False
    last_item: dict | None = None
    last_progress = 0.0

    def stalled() -> RegistryError:
        seconds = f"{stall_after:g}"
        if any(layer.state == RETRYING for layer in tracker.layers):
            return RegistryGone(f"Could not {action}: {registry or 'the registry'} went away during the transfer: "
                                f"the engine kept retrying and nothing moved for {seconds} s, so Berth stopped "
                                "it. Try again once the registry is back.", registry=registry)
        return TransferStalled(f"Could not {action}: nothing moved for {seconds} s, so Berth stopped it. "
                               f"{registry or 'The registry'} (or the engine's connection to it) stopped "
                               "answering; try again once it answers.", registry=registry)

    with watched(api, token, stall_after) as watchdog:
        try:
            stream = open_stream()
            for item in stream:
                if watchdog.fired or (token is not None and token.cancelled):
                    break
                if not isinstance(item, dict):
                    continue
                message = stream_item_error(item)
                if message:
                    raise classify(message, registry, action, started=started)
                layer = tracker.feed(item)
                # anything new from the engine is progress; a repeat is not, nor is the
                # engine counting down to its next try at a registry that went away
                if item != last_item and not (layer is not None and layer.state == RETRYING):
                    watchdog.advanced()
                last_item = item
                if layer is None:
                    continue
                if layer.current or layer.finished:
                    started = True
                if on_layer is not None:
                    on_layer(layer)
                now = time.monotonic()
                if on_progress is not None and (now - last_progress >= progress_interval or layer.finished):
                    last_progress = now
                    on_progress(tracker.progress())
        except BerthError:
            raise
        except Exception as exc:
            if watchdog.fired:
                raise stalled() from None
            if token is not None and token.cancelled:
                raise Cancelled() from None
            raise _translate(exc, registry, action, started) from None
        if watchdog.fired:
            raise stalled()
        if token is not None and token.cancelled:
            raise Cancelled()
    if on_progress is not None:
        on_progress(tracker.progress())
    return tracker


def _translate(exc: BaseException, registry: str, action: str, started: bool) -> BerthError:
    """An exception from opening or reading a stream -> Berth's error. The engine's own errors
    about the registry (a pull's early failure is an HTTP 404/500) are classified."""
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    if isinstance(exc, docker.errors.APIError):
        explanation = exc.explanation
        if isinstance(explanation, bytes):
            explanation = explanation.decode("utf-8", "replace")
        text = str(explanation or exc)
        if exc.status_code in (404, 500, 401, 403) and not text.startswith("No such image"):
            return classify(text, registry, action, started=started)
        return translate(exc, action)
    error = translate(exc, action)
    return error


# --- pull and push ---------------------------------------------------------------------------

def normalise(reference: str) -> ImageReference:
    """*reference* as the engine reads it, with ':latest' when it has neither tag nor digest."""
    try:
        return parse_normalized(reference.strip()).with_default_tag()
    except InvalidReference as exc:
        raise BerthError(f"“{reference}” is not an image reference: {exc}") from None


def pull(client, reference: str, *, platform: str | None = None, token: CancelToken | None = None,
         stall_after: float = STALL_AFTER, on_layer: Emit | None = None,
         on_progress: OnProgress | None = None) -> TransferResult:
    """Pull *reference* (as typed: 'nginx' is docker.io/library/nginx:latest) and return what
    came, with the image ID now on the engine. Use a client only this transfer uses."""
    ref = normalise(reference)
    name = str(ref)
    api = client.api
    repository = ref.name
    tag = ref.digest or ref.tag

    def open_stream():
        kwargs = {"platform": platform} if platform else {}
        return api.pull(repository, tag=tag, stream=True, decode=True, **kwargs)

    tracker = _follow(api, PULL, open_stream, name, token=token, stall_after=stall_after, on_layer=on_layer,
                      on_progress=on_progress)
    image_id = ""
    try:
        image_id = api.inspect_image(name).get("Id", "")
    except Exception:
        pass
    return TransferResult(PULL, name, tracker.digest, image_id=image_id, status=tracker.status,
                          layers=tracker.layers)


def push(client, reference: str, *, token: CancelToken | None = None, stall_after: float = STALL_AFTER,
         on_layer: Emit | None = None, on_progress: OnProgress | None = None) -> TransferResult:
    """Push the local image named *reference* ('host:port/team/app:1.0') to its registry and
    return the digest the registry gave it. Use a client only this transfer uses."""
    ref = normalise(reference)
    if ref.digest:
        raise BerthError(f"{reference} names a digest: push a tag instead.")
    name = str(ref)
    api = client.api
    image_id = _local_image_id(api, name, f"push {name}")

    def open_stream():
        return api.push(ref.name, tag=ref.tag, stream=True, decode=True)

    tracker = _follow(api, PUSH, open_stream, name, token=token, stall_after=stall_after, on_layer=on_layer,
                      on_progress=on_progress)
    if not tracker.digest:
        raise RegistryError(f"Could not push {name}: the engine's answer ended without the registry's digest; "
                            "the push may not have completed.", registry=registry_of(name))
    return TransferResult(PUSH, name, tracker.digest, tracker.size, image_id=image_id, status=tracker.message,
                          layers=tracker.layers)


def _local_image_id(api, name: str, action: str) -> str:
    try:
        return api.inspect_image(name).get("Id", "")
    except Exception as exc:
        error = translate(exc, action)
        if isinstance(error, NotFound):
            raise NotFound(f"Could not {action}: there is no local image named {name}.") from None
        raise error from None


# --- the push guard --------------------------------------------------------------------------

def repo_digests(inspect: dict, repository: str) -> tuple[str, ...]:
    """The digests in an image's RepoDigests that belong to *repository* (normalised names)."""
    found = []
    for entry in inspect.get("RepoDigests") or []:
        name, _, digest = str(entry).partition("@")
        try:
            same = parse_normalized(name).name == repository
        except InvalidReference:
            same = False
        if same and digest:
            found.append(digest)
    return tuple(dict.fromkeys(found))


def check_push(client, reference: str, *, token: CancelToken | None = None,
               timeout: float = STALL_AFTER) -> GuardVerdict:
    """What pushing *reference* would do to the registry's tag of that name: new there, already
    this image's content, or moving to other content. Asks the registry through the engine; a
    registry that does not answer within *timeout* seconds is said to be so."""
    ref = normalise(reference)
    name = str(ref)
    registry = registry_of(name)
    api = client.api
    action = f"check {name} on its registry"
    try:
        inspect = api.inspect_image(name)
    except Exception as exc:
        error = translate(exc, action)
        if isinstance(error, NotFound):
            raise NotFound(f"Could not {action}: there is no local image named {name}.") from None
        raise error from None
    local = repo_digests(inspect, ref.name)
    remote = ""
    with watched(api, token, timeout) as watchdog:
        try:
            remote = str((api.inspect_distribution(name).get("Descriptor") or {}).get("digest") or "")
        except Exception as exc:
            import docker.errors

            if watchdog.fired:
                raise TransferStalled(f"Could not {action}: {registry} did not answer for {timeout:g} s. Check "
                                      "that the registry runs, then try again.", registry=registry) from None
            if token is not None and token.cancelled:
                raise Cancelled() from None
            text = str(getattr(exc, "explanation", "") or exc)
            if not (isinstance(exc, docker.errors.APIError) and exc.status_code == 404
                    and re.search(r"manifest unknown|not found|name unknown", text, re.IGNORECASE)):
                raise _translate(exc, registry, action, False) from None
    return GuardVerdict(name, inspect.get("Id", ""), remote, local)
