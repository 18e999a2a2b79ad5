"""Signing in to a registry as ``docker login`` does, and out as ``docker logout`` does.

The engine checks the account (``POST /auth``, through the SDK's ``login``): it is the engine
that pulls and pushes, so its network, DNS and trusted CAs are the ones that matter. The SDK
keeps what it checked only in memory; the account is then stored where the CLI stores it
(``docker_config``), and nowhere else. A failure says which registry and what to do: a refused
password, a host no DNS knows, a certificate the engine does not trust, nothing listening.

Docker Hub with no network: the engine answers at once here, but a machine whose DNS hangs
would keep the user waiting for the engine's own timeout, so for an engine on this machine the
name is first resolved on a thread of its own and given about a second.

The password travels in a :class:`Secret`, which hands it over once and then forgets it, so the
work's arguments (kept by the activity centre after it ends) no longer hold it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Callable, Mapping

from desktop.engine import docker_config
from desktop.engine.docker_config import DOCKER_HUB
from desktop.engine.errors import BerthError, is_connection_failure, translate
from desktop.engine.registry_errors import (DNS_TIMEOUT, NO_NETWORK_HUB, RegistryAuthError, RegistryTlsError,
                                            RegistryUnreachable, lookup_problem)
from desktop.engine.registry_list import validate_host

HUB_NAMES = ("registry-1.docker.io",)  # what the engine resolves to sign in to Docker Hub


class SignInFailed(RegistryAuthError):
    """The registry refused the user name or password."""


class Secret:
    """A password handed to the worker that needs it, once: ``take()`` returns it and keeps
    nothing. Its repr never shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def take(self) -> str:
        value, self._value = self._value, ""
        return value

    def __repr__(self) -> str:
        return "Secret(…)"


@dataclass(frozen=True)
class SignInResult:
    host: str
    username: str
    stored_in: str  # "the credential helper docker-credential-pass", or the config file's path


def hub_precheck(timeout: float = DNS_TIMEOUT, resolve: Callable[..., object] = socket.getaddrinfo) -> None:
    """Raise RegistryUnreachable at once (or after *timeout*) when Docker Hub's name does not
    resolve here: no network, or a DNS that does not answer."""
    for name in HUB_NAMES:
        problem = lookup_problem(name, timeout, resolve)
        if problem is not None:
            raise RegistryUnreachable(NO_NETWORK_HUB, registry=DOCKER_HUB,
                                      detail=f"{name}: {problem} (checked on this machine)")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def explain_failure(exc: BaseException, host: str) -> BerthError:
    """The engine's answer to a sign-in as a sentence naming *host* and saying what to do."""
    if isinstance(exc, BerthError):
        return exc
    if is_connection_failure(exc):
        return translate(exc, f"sign in to {host}")
    import docker.errors  # here: the GUI thread starts without the SDK

    if not isinstance(exc, docker.errors.APIError):
        return translate(exc, f"sign in to {host}")
    explanation = exc.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    text = _first_line(explanation or str(exc))
    low = text.lower()
    hub = host == DOCKER_HUB
    if "401" in low or "unauthorized" in low or "denied" in low or "incorrect username or password" in low:
        extra = (" With two-factor authentication, use an access token (Account settings › Security) "
                 "as the password.") if hub else ""
        return SignInFailed(f"{host} refused the user name or password. Check them and try again.{extra}",
                            detail=text)
    if "x509" in low or "certificate" in low or "tls:" in low:
        return RegistryTlsError(
            f"The Docker engine does not trust the certificate of {host}, so nothing was sent to it. If a private "
            f"CA signed it, put that CA's certificate in /etc/docker/certs.d/{host}/ca.crt on the engine's machine "
            f"(the engine reads it at once, no restart), then sign in again.", detail=text)
    if "server gave http response to https client" in low:
        return RegistryTlsError(
            f"{host} answers in plain HTTP, and the Docker engine only talks to it over TLS. Give the registry a "
            f"certificate, or list {host} in the engine's insecure-registries (daemon.json) and restart the engine.",
            detail=text)
    unreachable = ("no such host", "server misbehaving", "lookup ", "network is unreachable", "no route to host",
                   "i/o timeout", "timeout", "connection refused", "connection reset", "eof", "dial tcp")
    if any(marker in low for marker in unreachable):
        if hub:
            return RegistryUnreachable(NO_NETWORK_HUB, detail=text)
        if "no such host" in low:
            return RegistryUnreachable(f"The Docker engine cannot find the host of {host} (DNS knows no such name). "
                                       f"Check the registry's address.", detail=text)
        if "lookup " in low:
            return RegistryUnreachable(f"The Docker engine cannot look up the name of {host}: no network or DNS "
                                       f"where the engine runs. Check its network, then try again.", detail=text)
        if "connection refused" in low:
            return RegistryUnreachable(f"Nothing answers at {host} (connection refused). Is the registry running, "
                                       f"and is the port right?", detail=text)
        return RegistryUnreachable(f"The Docker engine cannot reach {host} (no network to it, or it is down). "
                                   f"Check the address and the network, then try again.", detail=text)
    return BerthError(f"Could not sign in to {host}: {text}", detail=str(exc))


def check_account(client, host: str, username: str, password: str) -> str:
    """Ask the engine whether the account is good for *host* (``/auth``, as ``docker login``);
    returns the identity token the registry gave, usually ''. Raises a BerthError that says why not."""
    try:
        answer = client.api.login(username, password=password, registry=docker_config.server_key(host), reauth=True)
    except Exception as exc:  # noqa: BLE001 - every failure becomes the registry's sentence
        raise explain_failure(exc, host) from None
    token = answer.get("IdentityToken") if isinstance(answer, dict) else ""
    return token if isinstance(token, str) else ""


def sign_in(client, host: str, username: str, secret: Secret, *, env: Mapping[str, str] | None = None,
            precheck_dns: bool = True, precheck: Callable[[], None] = hub_precheck) -> SignInResult:
    """Check the account through the engine, then store it where the CLI would. Nothing is stored
    (and nothing changed) unless the engine accepted it. *precheck_dns*: the engine runs on this
    machine, so a Docker Hub name that does not resolve here fails within about a second."""
    password = secret.take()
    host = validate_host(host)
    username = username.strip()
    if not username:
        raise BerthError(f"Enter your user name for {host}.")
    if not password:
        raise BerthError(f"Enter the password (or access token) for {username} on {host}.")
    # the configuration must be readable and its helper present before the engine is asked
    config = docker_config.read_config(env)
    helper = docker_config.helper_for(host, config)
    if helper:
        docker_config.helper_store(helper, env)
    if precheck_dns and host == DOCKER_HUB:
        precheck()
    token = check_account(client, host, username, password)
    where = docker_config.store_credentials(host, username, password, env, identity_token=token)
    return SignInResult(host, username, where)


def sign_out(host: str, env: Mapping[str, str] | None = None) -> bool:
    """Forget the account for *host* where the CLI keeps it; True when there was one."""
    return docker_config.erase_credentials(validate_host(host), env)
