"""The project's own exceptions: each carries a message a person can act on, so no layer above
has to show a traceback or decode an SDK exception."""

from __future__ import annotations

import errno
import socket
import sys


class BerthError(Exception):
    """Base of every error Berth shows to a person; ``str()`` is the message to show."""

    def __init__(self, message: str, *, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class ConnectionLost(ConnectionError):
    """A request on Berth's own http.client path (``local_json``) could not reach the engine or
    lost it mid-answer; the cause is chained. A ConnectionError, as the SDK's failures are."""


class NoAnswer(TimeoutError):
    """A request on Berth's own http.client path waited longer than its timeout for the engine."""


class Cancelled(BerthError):
    """The user cancelled the operation; not a failure, nothing to report."""

    def __init__(self, message: str = "Cancelled"):
        super().__init__(message)


class EngineError(BerthError):
    """The engine answered but refused or failed the request."""

    def __init__(self, message: str, *, status_code: int | None = None, detail: str | None = None):
        super().__init__(message, detail=detail)
        self.status_code = status_code


class NotFound(EngineError):
    """The object (image, container...) does not exist, or no longer does."""


class Conflict(EngineError):
    """The engine refused because of the state of another object (in use, name taken)."""


class EngineUnavailable(BerthError):
    """No engine answers at the endpoint(s) tried; ``attempts`` says what was tried and why it failed."""

    def __init__(self, message: str, *, attempts: tuple = (), detail: str | None = None):
        super().__init__(message, detail=detail)
        self.attempts = attempts


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            # requests wraps urllib3 errors in args rather than in the cause chain
            for arg in getattr(exc, "args", ()):
                if isinstance(arg, BaseException):
                    nxt = arg
                    break
        if nxt is None:
            break
        exc = nxt
    return exc


def describe_connection_failure(exc: BaseException) -> str:
    """A short reason for a failed connection, in words rather than errno numbers."""
    chain = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 10:
        chain.append(cur)
        nxt = cur.__cause__ or cur.__context__
        if nxt is None:
            nxt = next((a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)), None)
        cur = nxt
    timeouts = (socket.timeout, TimeoutError, *requests_errors("Timeout"))
    tls_errors = requests_errors("SSLError")
    for item in chain:
        if isinstance(item, FileNotFoundError):
            return "the socket does not exist (is the engine running?)"
        if isinstance(item, PermissionError):
            return "permission denied on the socket (is your user in the 'docker' group?)"
        if isinstance(item, ConnectionRefusedError):
            return "connection refused (nothing listens there)"
        if isinstance(item, timeouts):
            return "timed out waiting for an answer"
        if isinstance(item, socket.gaierror):
            return "the host name could not be resolved"
        if isinstance(item, OSError) and item.errno == errno.ENOENT:
            return "the socket does not exist (is the engine running?)"
        if isinstance(item, tls_errors):
            return "TLS handshake failed (check the certificates)"
    text = str(_root_cause(exc)) or type(exc).__name__
    return text.splitlines()[0][:300]


def is_connection_failure(exc: BaseException) -> bool:
    """True when *exc* means the engine could not be reached (as opposed to refusing a request)."""
    if isinstance(exc, EngineUnavailable):
        return True
    if isinstance(exc, (ConnectionError, NoAnswer, *requests_errors("ConnectionError", "Timeout"))):
        return True
    docker_errors = sys.modules.get("docker.errors")
    if docker_errors is not None and isinstance(exc, docker_errors.DockerException) \
            and not isinstance(exc, docker_errors.APIError):
        return "Error while fetching server API version" in str(exc)
    return False


def requests_errors(*names: str) -> tuple[type, ...]:
    """Those exception classes of requests, when it is loaded: until the SDK is imported (Berth
    connects and lists without it, see ``local_json``) no exception can be one of them, and
    asking must not import it."""
    module = sys.modules.get("requests.exceptions")
    return tuple(getattr(module, name) for name in names) if module is not None else ()


def translate(exc: BaseException, action: str = "") -> BerthError:
    """Turn an SDK, requests or OS exception into a BerthError that says what went wrong.

    *action* is what was being done ("remove image ubuntu:latest") and prefixes the message.
    """
    if isinstance(exc, BerthError):
        return exc
    prefix = f"Could not {action}: " if action else ""
    if is_connection_failure(exc):
        return EngineUnavailable(f"{prefix}lost contact with the Docker engine ({describe_connection_failure(exc)})")
    docker_errors = sys.modules.get("docker.errors")  # not loaded: no SDK exception is possible
    if docker_errors is not None and isinstance(exc, docker_errors.APIError):
        explanation = exc.explanation
        if isinstance(explanation, bytes):
            explanation = explanation.decode("utf-8", "replace")
        text = (explanation or str(exc)).strip()
        status = exc.status_code
        cls = EngineError
        if status == 404:
            cls = NotFound
        elif status == 409:
            cls = Conflict
        return cls(f"{prefix}{text}", status_code=status, detail=str(exc))
    if docker_errors is not None and isinstance(exc, docker_errors.DockerException):
        return EngineError(f"{prefix}{exc}")
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        where = f" ({exc.filename})" if exc.filename else ""
        return BerthError(f"{prefix}{reason}{where}")
    return BerthError(f"{prefix}{type(exc).__name__}: {exc}")


def stream_item_error(item: dict) -> str:
    """The error an item of an engine's JSON stream carries, "" when none. Pushes, pulls, loads
    and builds report failures this way inside a stream whose HTTP status was 200: check every
    item, ``error`` and ``errorDetail.message`` both."""
    detail = item.get("errorDetail")
    error = item.get("error") or (detail.get("message") if isinstance(detail, dict) else None)
    return str(error).strip() if error else ""
