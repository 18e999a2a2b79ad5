"""The docker CLI's accounts, read and written where the CLI keeps them, so that ``docker login``
and Berth see the same ones.

The CLI's ``config.json`` (``$DOCKER_CONFIG`` or ``~/.docker``) says where each registry's
secret lives: a credential helper named in ``credHelpers`` for that registry, else the helper
of ``credsStore``, else the file itself (``auths``, base64 ``user:password`` in ``auth``). Docker
Hub is stored under ``https://index.docker.io/v1/``; other registries under ``host[:port]``,
though entries written by older tools as URLs (``https://host/v1/``) are found by their host,
as the CLI and the SDK find them.

Helpers speak their protocol through ``docker.credentials.Store`` (the secret on stdin, never in
argv). A file is rewritten atomically with mode 0600, keeping every other key as it was. The
secret is held only in :class:`Credentials`, whose repr never shows it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from desktop.engine.atomic_file import atomic_write
from desktop.engine.connection import config_dir
from desktop.engine.errors import BerthError

DOCKER_HUB = "docker.io"
HUB_SERVER = "https://index.docker.io/v1/"  # the key Docker Hub is stored under, as the CLI does
TOKEN_USERNAME = "<token>"  # a helper entry holding an identity token instead of a password
HELPER_PREFIX = "docker-credential-"
_HUB_ALIASES = frozenset({DOCKER_HUB, "index.docker.io", "registry-1.docker.io", HUB_SERVER})


class CredentialStoreError(BerthError):
    """The configured credential helper is missing or failed."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    identity_token: str = field(default="", repr=False)  # an OAuth refresh token, when the registry gave one


@dataclass(frozen=True)
class Account:
    """One registry the CLI's configuration knows, and who is signed in there ("" for nobody)."""

    host: str
    username: str = ""
    store: str = ""  # the helper's name, or "" for the config file itself
    problem: str = ""  # why the username could not be read (a helper that failed)


def hostname(server: str) -> str:
    """The registry a stored key or typed address names, as the CLI and SDK compare them:
    ``https://host:5000/v1/`` -> ``host:5000``; every spelling of Docker Hub -> ``docker.io``."""
    text = server.strip()
    for scheme in ("https://", "http://"):
        if text.startswith(scheme):
            text = text[len(scheme):]
    text = text.split("/", 1)[0]
    return DOCKER_HUB if text in _HUB_ALIASES or server.strip() in _HUB_ALIASES else text


def server_key(host: str) -> str:
    """The key a registry's credentials are stored under: Docker Hub's URL, else host[:port]."""
    name = hostname(host)
    return HUB_SERVER if name == DOCKER_HUB else name


def config_path(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(os.environ if env is None else env) / "config.json"


def read_config(env: Mapping[str, str] | None = None) -> dict:
    """The CLI's config.json as a dict ({} when there is none); a broken file is an error with
    a sentence, never silently replaced."""
    path = config_path(env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise BerthError(f"Cannot read the docker CLI's configuration {path}: {exc.strerror or exc}.") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BerthError(f"The docker CLI's configuration {path} is not valid JSON ({exc}). "
                         f"Fix or remove the file, then try again.") from None
    if not isinstance(data, dict):
        raise BerthError(f"The docker CLI's configuration {path} does not hold a JSON object. "
                         f"Fix or remove the file, then try again.")
    return data


def _section(config: dict, name: str) -> dict:
    value = config.get(name)
    return value if isinstance(value, dict) else {}


def helper_for(host: str, config: dict) -> str:
    """The credential helper for *host* ('' for the file): ``credHelpers`` first, then
    ``credsStore``, as the CLI chooses."""
    helpers = _section(config, "credHelpers")
    key = server_key(host)
    name = helpers.get(key) or helpers.get(hostname(host))
    if not name:
        name = next((v for k, v in helpers.items() if hostname(k) == hostname(host) and v), "")
    if not name:
        name = config.get("credsStore") or ""
    return str(name) if isinstance(name, str) else ""


def helper_store(name: str, env: Mapping[str, str] | None = None):
    """The SDK's helper client, once the helper is known to exist (the SDK would only warn)."""
    program = HELPER_PREFIX + name
    search = (env or os.environ).get("PATH")
    if shutil.which(program, path=search) is None:
        raise CredentialStoreError(
            f"The docker CLI's configuration stores passwords with the credential helper {program}, "
            f"which is not installed or not on PATH. Install it, or remove “{name}” from "
            f"credsStore/credHelpers in {config_path(env)}.")
    from docker import credentials  # here: the GUI thread starts without the SDK

    return credentials.Store(name, environment=dict(env) if env is not None else None)


def _helper_failed(name: str, action: str, exc: Exception) -> CredentialStoreError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return CredentialStoreError(f"The credential helper {HELPER_PREFIX}{name} could not {action}: {text}")


def _decode_auth(value: str) -> tuple[str, str] | None:
    try:
        raw = base64.b64decode(value, validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


def _file_entries(host: str, config: dict) -> list[tuple[str, dict]]:
    """The ``auths`` entries for *host*: the exact key first, then other spellings of it."""
    auths = _section(config, "auths")
    key = server_key(host)
    name = hostname(host)
    exact = [(key, auths[key])] if isinstance(auths.get(key), dict) else []
    others = [(k, v) for k, v in auths.items() if k != key and isinstance(v, dict) and hostname(k) == name]
    return exact + others


def _from_file(host: str, config: dict) -> Credentials | None:
    for _key, entry in _file_entries(host, config):
        auth = entry.get("auth")
        decoded = _decode_auth(auth) if isinstance(auth, str) and auth else None
        token = entry.get("identitytoken") if isinstance(entry.get("identitytoken"), str) else ""
        if decoded is not None:
            return Credentials(decoded[0], decoded[1], token or "")
        if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
            return Credentials(entry["username"], entry["password"], token or "")
    return None


def _from_helper(name: str, host: str, env: Mapping[str, str] | None) -> Credentials | None:
    from docker.credentials import errors as cred_errors

    store = helper_store(name, env)
    for server in dict.fromkeys((server_key(host), hostname(host))):
        try:
            data = store.get(server)
        except cred_errors.CredentialsNotFound:
            continue
        except cred_errors.StoreError as exc:
            raise _helper_failed(name, f"read the account for {hostname(host)}", exc) from None
        username, secret = str(data.get("Username", "")), str(data.get("Secret", ""))
        if username == TOKEN_USERNAME:
            return Credentials("", "", secret)
        return Credentials(username, secret)
    return None


def credentials_for(host: str, env: Mapping[str, str] | None = None) -> Credentials | None:
    """The account stored for the registry *host* (``docker.io``, ``host:port``), resolved as
    the CLI does: the registry's helper, else the file; None when nobody is signed in there."""
    config = read_config(env)
    helper = helper_for(host, config)
    if helper:
        found = _from_helper(helper, host, env)
        if found is not None:
            return found
    return _from_file(host, config)


def _write_config(config: dict, env: Mapping[str, str] | None) -> None:
    """Replace config.json with *config*, atomically, mode 0600 (as the CLI writes it); a
    symbolic link is followed so the file it points to is the one replaced."""
    path = config_path(env)
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BerthError(f"Cannot create {target.parent}: {exc.strerror or exc}. Nothing was changed.") from None
    data = (json.dumps(config, indent="\t") + "\n").encode("utf-8")
    with atomic_write(target, "the docker CLI's configuration") as f:
        os.fchmod(f.fileno(), 0o600)  # before a byte of it is written
        f.write(data)


def store_credentials(host: str, username: str, password: str, env: Mapping[str, str] | None = None,
                      identity_token: str = "") -> str:
    """Keep the account for *host* where the CLI would: its helper, else config.json. Returns
    where it went, in words ("the credential helper docker-credential-pass", or the file)."""
    config = read_config(env)
    key = server_key(host)
    helper = helper_for(host, config)
    auths = dict(_section(config, "auths"))
    if helper:
        store = helper_store(helper, env)
        from docker.credentials import errors as cred_errors

        user, secret = (TOKEN_USERNAME, identity_token) if identity_token else (username, password)
        try:
            store.store(key, user, secret)
        except cred_errors.StoreError as exc:
            raise _helper_failed(helper, f"store the account for {hostname(host)}", exc) from None
        # as the CLI's native store: the file keeps an entry without the secret
        entry = {k: v for k, v in (auths.get(key) or {}).items() if k not in ("auth", "identitytoken",
                                                                               "username", "password")}
        auths[key] = entry
        where = f"the credential helper {HELPER_PREFIX}{helper}"
    else:
        entry = {k: v for k, v in (auths.get(key) or {}).items() if k not in ("username", "password")}
        entry["auth"] = base64.b64encode(f"{username}:{'' if identity_token else password}".encode()).decode()
        if identity_token:
            entry["identitytoken"] = identity_token
        else:
            entry.pop("identitytoken", None)
        auths[key] = entry
        where = str(config_path(env))
    config["auths"] = auths
    _write_config(config, env)
    return where


def erase_credentials(host: str, env: Mapping[str, str] | None = None) -> bool:
    """Sign out of *host* as ``docker logout`` does: the secret leaves the helper and every entry
    for the registry leaves config.json. True when there was something to erase."""
    config = read_config(env)
    helper = helper_for(host, config)
    erased = False
    if helper:
        from docker.credentials import errors as cred_errors

        store = helper_store(helper, env)
        for server in dict.fromkeys((server_key(host), hostname(host))):
            try:
                if store.get(server):
                    store.erase(server)
                    erased = True
            except cred_errors.CredentialsNotFound:
                continue
            except cred_errors.StoreError as exc:
                raise _helper_failed(helper, f"remove the account for {hostname(host)}", exc) from None
    auths = _section(config, "auths")
    keys = [k for k, _v in _file_entries(host, config)]
    if keys:
        erased = erased or any(isinstance(auths[k], dict) and auths[k].get("auth") for k in keys)
        config["auths"] = {k: v for k, v in auths.items() if k not in keys}
        _write_config(config, env)
    return erased


def known_registries(env: Mapping[str, str] | None = None) -> list[Account]:
    """Every registry the configuration names (``auths``, ``credHelpers``, the ``credsStore``
    helper's list), with who is signed in; Docker Hub first, then by name."""
    config = read_config(env)
    hosts: dict[str, None] = {}
    for key in _section(config, "auths"):
        hosts[hostname(key)] = None
    for key in _section(config, "credHelpers"):
        hosts[hostname(key)] = None
    listed: dict[str, str] = {}
    store_problem = ""
    creds_store = config.get("credsStore") if isinstance(config.get("credsStore"), str) else ""
    if creds_store:
        from docker.credentials import errors as cred_errors

        try:
            for server, user in helper_store(creds_store, env).list().items():
                listed.setdefault(hostname(server), str(user))
                hosts[hostname(server)] = None
        except CredentialStoreError as exc:
            store_problem = str(exc)
        except (cred_errors.StoreError, ValueError) as exc:
            store_problem = str(_helper_failed(creds_store, "list its accounts", exc))
    accounts = []
    for host in hosts:
        helper = helper_for(host, config)
        username, problem = "", ""
        if helper == creds_store and creds_store and not store_problem and host in listed:
            username = listed[host]
        elif helper and helper == creds_store and store_problem:
            problem = store_problem
        else:
            try:
                found = credentials_for(host, env)
            except BerthError as exc:
                found, problem = None, str(exc)
            if found is not None:
                username = found.username or ("(identity token)" if found.identity_token else "")
        if username == TOKEN_USERNAME:
            username = "(identity token)"
        accounts.append(Account(host, username, helper, problem))
    accounts.sort(key=lambda a: (a.host != DOCKER_HUB, a.host))
    return accounts
