"""What goes wrong between Berth, the engine and a registry, in one family of errors that every
registry feature (sign-in, pull and push, browsing) raises, and the one look-up that tells "no
network or DNS" apart in about a second instead of the resolver's 20 s and more.

Each error is a sentence naming the registry and what to do; ``registry`` is the host as shown.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from desktop.engine.errors import BerthError

NO_NETWORK_HUB = "Can't reach docker.io — no network or DNS"  # the one message, wherever Hub is out of reach
DNS_TIMEOUT = 1.0


class RegistryError(BerthError):
    """A registry refused, failed or could not be reached; ``registry`` is the host as shown."""

    def __init__(self, message: str, *, registry: str = "", status_code: int | None = None,
                 code: str = "", detail: str | None = None):
        super().__init__(message, detail=detail)
        self.registry = registry
        self.status_code = status_code
        self.code = code  # the registry's error code (NAME_UNKNOWN, ...) when it sent one


class RegistryUnreachable(RegistryError):
    """No answer: no network, a name that does not resolve, nothing listening, a timeout."""


class RegistryTlsError(RegistryError):
    """The TLS connection failed: an untrusted certificate, or a registry speaking plain HTTP."""


class RegistryAuthError(RegistryError):
    """401/403: not signed in, wrong credentials, or no permission for this."""


class RegistryNotFound(RegistryError):
    """The repository or the tag/manifest does not exist (NAME_UNKNOWN, MANIFEST_UNKNOWN)."""


class DeleteNotAllowed(RegistryError):
    """405 on DELETE: the registry does not allow deleting."""


class TagMoved(RegistryError):
    """The tag points at another digest than the one the person confirmed deleting."""



def lookup_problem(name: str, timeout: float = DNS_TIMEOUT,
                   resolve: Callable[..., object] = socket.getaddrinfo) -> str | None:
    """None when *name* resolves within *timeout* seconds, else why not ("the name does not
    resolve: ...", or "DNS did not answer within 1 s"). The look-up runs on a daemon thread:
    getaddrinfo cannot be interrupted and must not hold the caller past the limit (it goes on,
    abandoned)."""
    outcome: list = []
    done = threading.Event()

    def look_up() -> None:
        try:
            resolve(name, 443, proto=socket.IPPROTO_TCP)
            outcome.append(None)
        except (OSError, UnicodeError) as exc:
            outcome.append(f"the name does not resolve: {exc}")
        finally:
            done.set()

    threading.Thread(target=look_up, name=f"berth-dns-{name}", daemon=True).start()
    if not done.wait(timeout):
        return f"DNS did not answer within {timeout:g} s"
    return outcome[0]
