"""A thin client for a registry's HTTP API (distribution v2), for browsing what the engine
cannot tell: the repositories a registry holds, their tags, a tag's manifest, and deleting a tag.

Pull and push go through the engine; this talks to the registry directly with ``requests``, so it
must earn the engine's habits by hand:

- http for 127.0.0.0/8, ``::1`` and ``localhost`` (the engine treats those as insecure registries),
  https elsewhere, falling back to http only for a registry the engine calls insecure
  (``insecure-registries``); a host written with a scheme (``http://10.0.0.5:5000``) is taken as
  written.
- the registry's CA file when one is given, else the system's CAs; ``trust_env`` is off so the
  environment's ``REQUESTS_CA_BUNDLE`` never silently replaces the CA (nor proxies the request).
- short timeouts, no retries; a host name is looked up on its own thread with a one-second limit
  first, because a machine with no network can wait 20 s and more on DNS before requests times out.
- auth as the engine does: on 401 the ``WWW-Authenticate`` challenge says Bearer (fetch a token
  from the realm for the scope, with the stored credentials as basic auth or anonymously, cached per
  scope until it expires) or Basic (send the stored credentials).
- Docker Hub: ``docker.io`` is served by ``registry-1.docker.io``; official images live under
  ``library/``.

Every failure is a :class:`RegistryError` whose message names the registry and says what to do.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from desktop.engine.registry_errors import (DNS_TIMEOUT, NO_NETWORK_HUB, DeleteNotAllowed, RegistryAuthError,
                                            RegistryError, RegistryNotFound, RegistryTlsError, RegistryUnreachable,
                                            TagMoved, lookup_problem)

__all__ = [
    "DOCKER_HUB",
    "MANIFEST_ACCEPT",
    "NO_CATALOG",
    "DeleteNotAllowed",
    "ManifestInfo",
    "Platform",
    "Registry",
    "RegistryAuthError",
    "RegistryError",
    "RegistryNotFound",
    "RegistryTlsError",
    "RegistryUnreachable",
    "TagMoved",
    "insecure_by_engine",
    "list_tags",
    "sort_tags",
    "stored_credentials",
]

DOCKER_HUB = "docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_HUB_API = "https://registry-1.docker.io"

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
#: Without these a registry answers with a schema1 manifest, whose digest is not the image's.
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))
_INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})

CATALOG_PAGE = 100  # repositories asked for per page of /v2/_catalog
MAX_PAGES = 1000  # a registry whose Link never ends is cut off here
MAX_PLATFORM_LOOKUPS = 16  # child manifests of an index read for their sizes
NO_CATALOG = "BERTH_NO_CATALOG"  # RegistryError.code of a registry that lists no repositories (Docker Hub)


# --- values -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Platform:
    """One image of a multi-platform index."""

    os: str
    architecture: str
    variant: str = ""
    digest: str = ""
    size: int | None = None  # config + layers of that image, when it was read
    media_type: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True)
class ManifestInfo:
    """What a tag points at. ``size`` is config + layers of an image (for an index: the sum over
    its platforms that could be read, or None); ``platforms`` is empty for a single image."""

    registry: str
    repository: str
    tag: str
    digest: str
    media_type: str
    size: int | None
    platforms: tuple[Platform, ...] = ()

    @property
    def is_index(self) -> bool:
        return self.media_type in _INDEX_TYPES

    @property
    def reference(self) -> str:
        """What ``docker pull`` takes for this tag."""
        return f"{self.registry}/{self.repository}:{self.tag}"


@dataclass(frozen=True)
class _Challenge:
    scheme: str  # "bearer" or "basic"
    params: dict


# --- credentials ------------------------------------------------------------------------------

def stored_credentials(host: str) -> tuple[str, str] | None:
    """(username, password) the docker CLI keeps for *host* (``auths``, ``credHelpers``,
    ``credsStore`` of its config, ``DOCKER_CONFIG`` honoured), or None.

    The one place this module asks; ``desktop.engine.docker_config.credentials_for`` is the
    project's reader of the CLI's config and is used when present, else the SDK's resolver."""
    try:
        from desktop.engine import docker_config
    except ImportError:
        docker_config = None
    if docker_config is not None and hasattr(docker_config, "credentials_for"):
        found = docker_config.credentials_for(DOCKER_HUB if host in _HUB_ALIASES else host)
        if found is None or not (found.username or found.password):  # nobody, or an identity token only
            return None
        return found.username, found.password
    import docker.auth
    import docker.errors

    try:
        config = docker.auth.load_config()
        entry = config.resolve_authconfig(DOCKER_HUB if host in _HUB_ALIASES else host)
    except docker.errors.DockerException as exc:
        raise RegistryAuthError(f"Could not read the stored sign-in for {host}: {exc}", registry=host) from exc
    if not entry:
        return None
    username = entry.get("username") or entry.get("Username") or ""
    password = entry.get("password") or entry.get("Password") or ""
    if not username and not password:
        return None
    return username, password


# --- tags in order ----------------------------------------------------------------------------

_CHUNK_RE = re.compile(r"(\d+)")
_VERSION_LIKE_RE = re.compile(r"[vV]?\d")


def _natural(text: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in _CHUNK_RE.split(text) if p)


def sort_tags(tags) -> list[str]:
    """``latest`` first, then version-like tags (starting with a digit or ``v`` and a digit) newest
    first in natural order (``v10`` before ``v9``, ``1.2.0`` before ``1.2.0-rc1``), then every
    other tag in natural order, A to Z."""
    tags = set(tags)
    head = ["latest"] if "latest" in tags else []
    rest = tags - {"latest"}

    def version_key(tag: str) -> tuple:
        core, _, pre = tag.lstrip("vV").partition("-")
        return (_natural(core), 0 if pre else 1, _natural(pre), tag)

    versions = sorted((t for t in rest if _VERSION_LIKE_RE.match(t)), key=version_key, reverse=True)
    others = sorted((t for t in rest if not _VERSION_LIKE_RE.match(t)), key=lambda t: (_natural(t), t))
    return head + versions + others


# --- addresses --------------------------------------------------------------------------------

def _split_host(host: str) -> tuple[str | None, str]:
    """(scheme if written, host[:port]) of what the person typed."""
    host = host.strip().rstrip("/")
    if "://" in host:
        parts = urlsplit(host)
        return parts.scheme.lower(), parts.netloc
    return None, host


def _hostname(netloc: str) -> str:
    if netloc.startswith("["):
        return netloc[1:].split("]", 1)[0]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


def _is_loopback(name: str) -> bool:
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _system_ca() -> str | bool:
    cafile = ssl.get_default_verify_paths().cafile
    return cafile if cafile and Path(cafile).is_file() else True


# --- tokens, shared by every client in the process ----------------------------------------------

class _TokenCache:
    """Bearer tokens per (token realm, service, user, scope) until ``expires_in`` runs out, so a
    new client (list_tags from the Pull dialog) reuses what an earlier one fetched."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple, tuple[str, float]] = {}
        self._challenges: dict[str, _Challenge] = {}

    def get(self, key: tuple) -> str | None:
        with self._lock:
            found = self._tokens.get(key)
            if found is None:
                return None
            if found[1] <= time.monotonic():
                del self._tokens[key]
                return None
            return found[0]

    def put(self, key: tuple, token: str, expires_in: float) -> None:
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(expires_in - 5, 1))

    def drop(self, key: tuple) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def alias(self, key: tuple, other: tuple) -> None:
        """Keep the token of *key* under *other* too, until the same moment."""
        with self._lock:
            if key in self._tokens and key != other:
                self._tokens[other] = self._tokens[key]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._challenges.clear()

    def challenge(self, base: str) -> _Challenge | None:
        """How the registry at *base* asked to be authenticated last time (a new client then
        sends its cached token at once instead of earning a 401 first)."""
        with self._lock:
            return self._challenges.get(base)

    def remember_challenge(self, base: str, challenge: _Challenge) -> None:
        with self._lock:
            self._challenges[base] = challenge


TOKENS = _TokenCache()

_PARAM_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')


def parse_challenge(header: str) -> _Challenge | None:
    """The first Bearer or Basic challenge of a ``WWW-Authenticate`` header."""
    header = (header or "").strip()
    m = re.match(r"([A-Za-z]+)\s*(.*)", header, re.DOTALL)
    if not m:
        return None
    scheme = m.group(1).lower()
    if scheme not in ("bearer", "basic"):
        return None
    params = {k.lower(): (q.replace('\\"', '"') if q is not None and v == "" else v or q or "")
              for k, q, v in _PARAM_RE.findall(m.group(2))}
    return _Challenge(scheme, params)


def _error_body(response) -> tuple[str, str]:
    """(code, message) of the first error in a registry's JSON error body."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return "", ""
    if errors and isinstance(errors[0], dict):
        return str(errors[0].get("code") or ""), str(errors[0].get("message") or "")
    return "", ""


# --- the client -------------------------------------------------------------------------------

class Registry:
    """One registry: a ``requests.Session`` with its trust, its credentials and its auth state.
    Not for concurrent use from several threads (one per browser, one per list_tags call)."""

    def __init__(self, host: str, *, ca_file: str | None = None, timeout: float = 5.0, insecure: bool = False,
                 credentials: Callable[[str], tuple[str, str] | None] = stored_credentials,
                 token_cache: _TokenCache = TOKENS):
        """*insecure*: the engine lists *host* among its insecure registries (see
        :func:`insecure_by_engine`); then a registry that answers HTTPS in plain HTTP is asked
        again over HTTP, as the engine does. A scheme written in *host* is always taken as is."""
        scheme, netloc = _split_host(host)
        self._scheme_written = scheme is not None
        self.insecure = insecure
        if not netloc:
            raise RegistryError("No registry address given.", registry=host)
        self.hub = netloc.lower() in _HUB_ALIASES
        self.name = DOCKER_HUB if self.hub else netloc  # how messages and references name it
        self._hostname = "registry-1.docker.io" if self.hub else _hostname(netloc)
        if self.hub:
            self.base = _HUB_API
        else:
            scheme = scheme or ("http" if _is_loopback(self._hostname) else "https")
            self.base = f"{scheme}://{netloc}"
        self.ca_file = ca_file or None
        self.timeout = timeout
        self._credentials = credentials
        self._tokens = token_cache
        self._challenge: _Challenge | None = token_cache.challenge(self.base)
        self._creds: tuple[str, str] | None | bool = False  # False: not looked up yet
        self._resolved_at = 0.0
        self.token_requests = 0  # how many tokens this client fetched (tests, diagnostics)
        import requests

        self._session = requests.Session()
        self._session.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the registry's CA
        self._session.verify = self._verify()
        self._session.headers["User-Agent"] = "Berth"

    @property
    def http_session(self):
        """The requests.Session underneath (for ``cancel.shutdown_on_cancel``: a cancel then wakes
        a request a frozen registry never answers)."""
        return self._session

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _verify(self) -> str | bool:
        if self.ca_file is None:
            return _system_ca()
        if not Path(self.ca_file).is_file():
            raise RegistryTlsError(
                f"The CA certificate file for {self.name} does not exist: {self.ca_file}. "
                "Choose the file again in the registry's settings.", registry=self.name)
        return self.ca_file

    def _timeouts(self) -> tuple[float, float]:
        """(connect, read): a connection is made in well under 3 s or not at all."""
        return (min(self.timeout, 3.0), self.timeout)

    def repository_path(self, repository: str) -> str:
        """The name as the registry API wants it: official Hub images live under ``library/``."""
        repository = repository.strip("/")
        if self.hub and "/" not in repository:
            return f"library/{repository}"
        return repository

    # --- reading ---------------------------------------------------------------------------
    def check(self) -> None:
        """The ``/v2/`` probe: the registry answers and accepts Berth (signed in if it must be)."""
        self._request("GET", "/v2/", scope="")

    def repositories(self, page_size: int = CATALOG_PAGE,
                     on_page: Callable[[list[str]], Any] | None = None) -> list[str]:
        """Every repository of ``/v2/_catalog``, following its ``Link`` pages; *on_page* hears of
        each page as it arrives. Docker Hub has no catalog: that is said, not faked."""
        if self.hub:
            raise RegistryError("Docker Hub does not list its repositories.", registry=self.name, code=NO_CATALOG)
        found: list[str] = []
        url = f"{self.base}/v2/_catalog?n={int(page_size)}"
        for _ in range(MAX_PAGES):
            response = self._request("GET", url, scope="registry:catalog:*")
            page = [str(r) for r in (self._json(response).get("repositories") or [])]
            found.extend(page)
            if on_page is not None:
                on_page(page)
            url = self._next_page(response)
            if url is None:
                break
        return found

    def tags(self, repository: str) -> list[str]:
        """The tags of *repository*, in :func:`sort_tags` order (registries list them unsorted)."""
        name = self.repository_path(repository)
        found: list[str] = []
        url = f"{self.base}/v2/{quote(name)}/tags/list"
        for _ in range(MAX_PAGES):
            response = self._request("GET", url, scope=f"repository:{name}:pull", repository=repository)
            found.extend(str(t) for t in (self._json(response).get("tags") or []))
            url = self._next_page(response)
            if url is None:
                break
        return sort_tags(found)

    def manifest(self, repository: str, tag: str) -> ManifestInfo:
        """What *tag* points at: digest, media type, size, and the platforms of an index."""
        name = self.repository_path(repository)
        response, body = self._get_manifest(name, tag, repository)
        media_type = self._media_type(response, body)
        digest = self._digest(response)
        platforms: tuple[Platform, ...] = ()
        if media_type in _INDEX_TYPES:
            platforms = self._platforms(name, repository, body)
            sizes = [p.size for p in platforms]
            size = sum(sizes) if sizes and None not in sizes else None
        else:
            size = self._image_size(body)
        return ManifestInfo(self.name, repository, tag, digest, media_type, size, platforms)

    def digest(self, repository: str, tag: str) -> str:
        """The digest *tag* points at now (a HEAD with the manifest ``Accept`` types)."""
        name = self.repository_path(repository)
        response = self._request("HEAD", f"/v2/{quote(name)}/manifests/{quote(tag, safe=':')}",
                                 scope=f"repository:{name}:pull", repository=repository, tag=tag,
                                 headers={"Accept": MANIFEST_ACCEPT})
        digest = self._digest(response)
        if not digest:  # a registry that leaves the header out: the digest of the manifest itself
            digest = self._digest(self._get_manifest(name, tag, repository)[0])
        return digest

    # --- deleting --------------------------------------------------------------------------
    def delete_tag(self, repository: str, tag: str, expected_digest: str | None = None) -> str:
        """Delete the manifest *tag* points at (every other tag on that digest goes with it, as the
        registry API deletes by digest). With *expected_digest*, refuse when the tag has moved
        since the person confirmed. Returns the digest deleted."""
        name = self.repository_path(repository)
        digest = self.digest(repository, tag)
        if expected_digest and digest != expected_digest:
            raise TagMoved(
                f"{repository}:{tag} on {self.name} now points at {digest}, not at {expected_digest} "
                "that you confirmed; nothing was deleted. Look at the tag again.",
                registry=self.name)
        self._request("DELETE", f"/v2/{quote(name)}/manifests/{digest}", scope=f"repository:{name}:delete",
                      repository=repository, tag=tag, ok=(200, 202))
        return digest

    # --- the parts --------------------------------------------------------------------------
    def _get_manifest(self, name: str, ref: str, repository: str) -> tuple[Any, dict]:
        response = self._request("GET", f"/v2/{quote(name)}/manifests/{quote(ref, safe=':')}",
                                 scope=f"repository:{name}:pull", repository=repository, tag=ref,
                                 headers={"Accept": MANIFEST_ACCEPT})
        return response, self._json(response)

    @staticmethod
    def _media_type(response, body: dict) -> str:
        return str(body.get("mediaType") or response.headers.get("Content-Type", "").split(";")[0].strip())

    @staticmethod
    def _digest(response) -> str:
        digest = response.headers.get("Docker-Content-Digest", "")
        if not digest and response.request.method != "HEAD":
            digest = "sha256:" + hashlib.sha256(response.content).hexdigest()
        return digest

    @staticmethod
    def _image_size(body: dict) -> int | None:
        parts = [body.get("config") or {}, *(body.get("layers") or [])]
        try:
            return sum(int(p.get("size") or 0) for p in parts if isinstance(p, dict)) if body.get("layers") is not None else None
        except (TypeError, ValueError):
            return None

    def _platforms(self, name: str, repository: str, body: dict) -> tuple[Platform, ...]:
        platforms = []
        for entry in body.get("manifests") or []:
            if not isinstance(entry, dict):
                continue
            plat = entry.get("platform") or {}
            os_name, arch = str(plat.get("os") or ""), str(plat.get("architecture") or "")
            if (os_name, arch) == ("unknown", "unknown"):  # an attestation, not an image
                continue
            digest = str(entry.get("digest") or "")
            size = None
            if digest and len(platforms) < MAX_PLATFORM_LOOKUPS:
                try:
                    _, child = self._get_manifest(name, digest, repository)
                    size = self._image_size(child)
                except RegistryNotFound:
                    size = None
            platforms.append(Platform(os_name, arch, str(plat.get("variant") or ""), digest, size,
                                      str(entry.get("mediaType") or "")))
        return tuple(platforms)

    def _json(self, response) -> dict:
        try:
            data = json.loads(response.content or b"{}")
        except ValueError as exc:
            raise RegistryError(f"{self.name} sent an answer that is not JSON ({response.url}).",
                                registry=self.name, status_code=response.status_code) from exc
        return data if isinstance(data, dict) else {}

    def _next_page(self, response) -> str | None:
        """The ``Link: <...>; rel="next"`` page, resolved against this one; None at the end, and
        for a link elsewhere (the credentials are this registry's) or back to the same page."""
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        url = urljoin(response.url, link)
        here, there = urlsplit(response.url), urlsplit(url)
        if (there.scheme, there.netloc) != (here.scheme, here.netloc) or url == response.url:
            return None
        return url

    def _stored(self) -> tuple[str, str] | None:
        if self._creds is False:
            self._creds = self._credentials(self.name)
        return self._creds or None

    def _check_dns(self) -> None:
        name = self._hostname
        if _is_ip(name) or _is_loopback(name) or time.monotonic() - self._resolved_at < 60:
            return
        problem = lookup_problem(name, DNS_TIMEOUT)
        if problem is not None:
            if self.hub:
                raise RegistryUnreachable(NO_NETWORK_HUB, registry=self.name,
                                          detail=f"looking up {name}: {problem}")
            raise RegistryUnreachable(f"Can't reach {self.name}: its name does not resolve (no network or DNS?).",
                                      registry=self.name, detail=f"looking up {name}: {problem}")
        self._resolved_at = time.monotonic()

    def _auth_header(self, scope: str) -> dict:
        challenge = self._challenge
        if challenge is None:
            return {}
        if challenge.scheme == "basic":
            creds = self._stored()
            return {"Authorization": _basic(*creds)} if creds else {}
        token = self._tokens.get(self._token_key(challenge, scope))
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _token_key(self, challenge: _Challenge, scope: str) -> tuple:
        creds = self._stored()
        return (challenge.params.get("realm", ""), challenge.params.get("service", ""),
                creds[0] if creds else "", scope)

    def _fetch_token(self, challenge: _Challenge, scope: str) -> str:
        """A new token for *scope* from the challenge's realm, cached; the stored credentials go
        along as basic auth when there are any (else it is an anonymous token)."""
        import requests

        realm = challenge.params.get("realm", "")
        if not realm.startswith(("http://", "https://")):
            raise RegistryAuthError(f"{self.name} asks for a token but names no token server.", registry=self.name)
        params = {k: v for k, v in (("service", challenge.params.get("service", "")), ("scope", scope)) if v}
        creds = self._stored()
        auth = (creds[0], creds[1]) if creds else None
        self.token_requests += 1
        try:
            # the registry's CA is for the registry: a token server elsewhere has its own certificate
            same_host = urlsplit(realm).hostname == urlsplit(self.base).hostname
            verify = self._session.verify if same_host else _system_ca()
            response = self._session.get(realm, params=params, auth=auth, timeout=self._timeouts(),
                                         allow_redirects=True, verify=verify)
        except requests.RequestException as exc:
            raise self._transport_error(exc, realm) from exc
        if response.status_code in (401, 403):
            raise self._auth_failed(response)
        if response.status_code != 200:
            raise RegistryError(f"The token server of {self.name} answered {response.status_code}.",
                                registry=self.name, status_code=response.status_code)
        data = self._json(response)
        token = data.get("token") or data.get("access_token")
        if not token:
            raise RegistryAuthError(f"The token server of {self.name} sent no token.", registry=self.name)
        try:
            expires_in = float(data.get("expires_in") or 60)
        except (TypeError, ValueError):
            expires_in = 60.0
        self._tokens.put(self._token_key(challenge, scope), str(token), expires_in)
        return str(token)

    def _request(self, method: str, url: str, *, scope: str, repository: str | None = None,
                 tag: str | None = None, headers: dict | None = None, ok: tuple[int, ...] = (200,)):
        """Send, answering one auth challenge; raise a RegistryError for anything but *ok*."""
        import requests

        self._check_dns()
        if url.startswith("/"):
            url = self.base + url
        retry_headers: dict = {}
        for attempt in range(2):
            send_headers = dict(headers or {})
            send_headers.update(retry_headers or self._auth_header(scope))
            try:
                response = self._session.request(method, url, headers=send_headers, timeout=self._timeouts(),
                                                 allow_redirects=True)
            except requests.exceptions.SSLError as exc:
                if not self._may_fall_back(exc):
                    raise self._transport_error(exc, url) from exc
                url = "http://" + url.removeprefix("https://")  # as the engine does for an insecure registry
                self.base = "http://" + self.base.removeprefix("https://")
                try:
                    response = self._session.request(method, url, headers=send_headers, timeout=self._timeouts(),
                                                     allow_redirects=True)
                except requests.RequestException as again:
                    raise self._transport_error(again, url) from again
            except requests.RequestException as exc:
                raise self._transport_error(exc, url) from exc
            if response.status_code != 401 or attempt == 1:
                break
            challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
            if challenge is None:
                break
            self._challenge = challenge
            self._tokens.remember_challenge(self.base, challenge)
            if challenge.scheme == "bearer":
                wanted = challenge.params.get("scope") or scope
                key = self._token_key(challenge, wanted)
                if "Authorization" in send_headers:
                    self._tokens.drop(key)  # refused: expired early, or for too little
                token = self._tokens.get(key) or self._fetch_token(challenge, wanted)
                if wanted != scope:  # the next request for our scope sends it at once
                    self._tokens.alias(key, self._token_key(challenge, scope))
                retry_headers = {"Authorization": f"Bearer {token}"}
            elif self._stored() is None or "Authorization" in send_headers:
                break  # nothing (else) to send
        if response.status_code == 401 and retry_headers:
            raise self._auth_failed(response, with_token=True)
        if response.status_code in ok:
            return response
        raise self._status_error(response, method, repository, tag)

    # --- saying what went wrong ---------------------------------------------------------------
    def _may_fall_back(self, exc: BaseException) -> bool:
        """Whether to try plain HTTP after HTTPS failed with *exc*: only for a registry the
        engine calls insecure, only when no scheme was written, and only when the server answered
        the TLS handshake in plain HTTP."""
        return (self.insecure and not self._scheme_written and self.base.startswith("https://")
                and _speaks_plain_http(exc))

    def _transport_error(self, exc: BaseException, url: str) -> RegistryError:
        import requests

        text = str(exc)
        if isinstance(exc, requests.exceptions.SSLError):
            lowered = text.lower()
            if _speaks_plain_http(exc):
                return RegistryTlsError(
                    f"{self.name} answers in plain HTTP, not HTTPS. If it is an insecure registry, list it "
                    "under insecure-registries in the engine's daemon.json (Berth then follows the engine).",
                    registry=self.name, detail=text)
            if "certificate verify failed" in lowered or "certificate" in lowered:
                hint = ("Check that the CA certificate chosen for it is the one that signed its certificate."
                        if self.ca_file else "Add the CA certificate that signed it to this registry in Berth.")
                return RegistryTlsError(f"The TLS certificate of {self.name} is not trusted. {hint}",
                                        registry=self.name, detail=text)
            return RegistryTlsError(f"The TLS connection to {self.name} failed.", registry=self.name, detail=text)
        if isinstance(exc, requests.exceptions.Timeout):
            return RegistryUnreachable(f"{self.name} did not answer within {self.timeout:g} s.",
                                       registry=self.name, detail=text)
        if isinstance(exc, requests.exceptions.ConnectionError):
            if self.hub:
                return RegistryUnreachable(NO_NETWORK_HUB, registry=self.name, detail=text)
            reason = "nothing answers there (is the registry running, and is the port right?)"
            if "refused" not in text.lower():
                reason = "the network does not reach it"
            return RegistryUnreachable(f"Can't reach {self.name}: {reason}.", registry=self.name, detail=text)
        return RegistryError(f"The request to {self.name} failed: {text}", registry=self.name, detail=text)

    def _auth_failed(self, response, with_token: bool = False) -> RegistryAuthError:
        """401/403 in words. *with_token*: a token was granted and still refused, so the
        credentials were right but do not reach this (a token server leaves out what a user may
        not do)."""
        creds = self._stored()
        code, message = _error_body(response)
        if response.status_code == 403 or (with_token and creds):
            who = f" for {creds[0]}" if creds else ""
            text = f"{self.name} does not allow this{who}. Sign in as a user who may."
        elif creds:
            text = (f"{self.name} refused the stored sign-in of {creds[0]} (wrong user name or password?). "
                    "Sign in to it again.")
        else:
            text = f"{self.name} needs you to sign in first."
        return RegistryAuthError(text, registry=self.name, status_code=response.status_code, code=code,
                                 detail=message or None)

    def _status_error(self, response, method: str, repository: str | None, tag: str | None) -> RegistryError:
        status = response.status_code
        code, message = _error_body(response)
        if status in (401, 403):
            return self._auth_failed(response)
        if status == 405 and method == "DELETE":
            return DeleteNotAllowed(
                f"{self.name} does not allow deleting (storage.delete.enabled is off in its configuration).",
                registry=self.name, status_code=status, code=code, detail=message or None)
        if status == 404 or code in ("NAME_UNKNOWN", "MANIFEST_UNKNOWN"):
            if response.url.rstrip("/").endswith("/v2"):
                text = f"{self.name} does not speak the registry API (no /v2/ there)."
            elif code == "NAME_UNKNOWN" or repository and tag is None:
                text = f"{self.name} has no repository {repository}."
            elif tag is not None:
                text = f"{self.name} has no tag {repository}:{tag} (it may have been deleted or moved)."
            else:
                text = f"{self.name} has nothing at {urlsplit(response.url).path}."
            return RegistryNotFound(text, registry=self.name, status_code=status, code=code, detail=message or None)
        if status == 429:
            return RegistryError(f"{self.name} says too many requests; wait a little and try again.",
                                 registry=self.name, status_code=status, code=code)
        summary = message or response.reason or ""
        return RegistryError(f"{self.name} answered {status}" + (f": {summary}" if summary else "."),
                             registry=self.name, status_code=status, code=code, detail=message or None)


def _speaks_plain_http(exc: BaseException) -> bool:
    """A TLS handshake answered in plain HTTP (OpenSSL's words for it, old and new)."""
    text = str(exc).lower()
    return "wrong version number" in text or "record layer failure" in text or "http request" in text


def insecure_by_engine(registry_config: dict, host: str) -> bool:
    """Whether the engine treats *host* as an insecure registry, from ``RegistryConfig`` of its
    ``/info``: an ``IndexConfigs`` entry marked not secure (``insecure-registries`` in
    daemon.json), or an address inside one of ``InsecureRegistryCIDRs`` (127.0.0.0/8 always)."""
    scheme, netloc = _split_host(host)
    if scheme is not None or not isinstance(registry_config, dict):
        return False
    index = (registry_config.get("IndexConfigs") or {}).get(netloc)
    if isinstance(index, dict) and index.get("Secure") is False:
        return True
    try:
        address = ipaddress.ip_address(_hostname(netloc))
    except ValueError:
        return False
    for cidr in registry_config.get("InsecureRegistryCIDRs") or []:
        try:
            if address in ipaddress.ip_network(str(cidr), strict=False):
                return True
        except ValueError:
            continue
    return False


def _basic(username: str, password: str) -> str:
    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def list_tags(host: str, repository: str, *, ca_file: str | None = None, timeout: float = 5.0,
              insecure: bool = False) -> list[str]:
    """The tags of *repository* on *host*, in :func:`sort_tags` order; raises a RegistryError
    (a BerthError) with a sentence. For the Pull dialog's completion; tokens are shared between
    calls through the module's token cache. *insecure* as for :class:`Registry`."""
    with Registry(host, ca_file=ca_file, timeout=timeout, insecure=insecure) as registry:
        return registry.tags(repository)
