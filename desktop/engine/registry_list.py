"""The registries a person added to Berth (beyond those the docker CLI's configuration names):
``host[:port]`` and, for a registry whose certificate a private CA signed, that CA's file.

Kept in Berth's own settings folder (``$XDG_CONFIG_HOME/berth/registries.json``, by default
``~/.config/berth``), written atomically. Never a secret: accounts live where the CLI keeps them
(``docker_config``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from desktop.engine.atomic_file import atomic_write
from desktop.engine.docker_config import DOCKER_HUB, hostname
from desktop.engine.errors import BerthError
from desktop.engine.reference import InvalidReference, parse_reference

FILE_NAME = "registries.json"
_EXAMPLES = "e.g. registry.example.com, registry.example.com:5000 or 10.0.0.5:5000"


class InvalidRegistry(BerthError):
    """What was typed is not a registry address, or its CA file cannot be used."""


@dataclass(frozen=True)
class UserRegistry:
    host: str
    ca_file: str = ""


def registries_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".config")
    return Path(base) / "berth" / FILE_NAME


def validate_host(text: str) -> str:
    """*text* as a registry address, ``host[:port]`` (a leading ``https://`` and a trailing
    ``/`` are dropped, every spelling of Docker Hub is ``docker.io``); InvalidRegistry with a
    sentence otherwise."""
    typed = text.strip()
    if not typed:
        raise InvalidRegistry(f"Enter the registry's address: its host and, if it is not 443, its port ({_EXAMPLES}).")
    bare = typed
    for scheme in ("https://", "http://"):
        if bare.lower().startswith(scheme):
            bare = bare[len(scheme):]
    bare = bare.rstrip("/").lower()  # host names are case-blind: one entry per registry
    if "/" in bare:
        raise InvalidRegistry(f"“{typed}” has a path: a registry is only a host and a port ({_EXAMPLES}); "
                              f"repositories are chosen when browsing it.")
    if any(ch.isspace() for ch in bare):
        raise InvalidRegistry(f"“{typed}” has a space in it: a registry address is a host and a port ({_EXAMPLES}).")
    if hostname(bare) == DOCKER_HUB:
        return DOCKER_HUB
    host, _sep, port = bare.rpartition(":") if not bare.endswith("]") else (bare, "", "")
    host = host if _sep else bare
    if _sep and not port:
        raise InvalidRegistry(f"“{typed}” ends with “:”: add the port number after it, or remove the colon.")
    if _sep and (not port.isdigit() or not 0 < int(port) < 65536):
        raise InvalidRegistry(f"“{port}” is not a port: a port is a number from 1 to 65535 ({_EXAMPLES}).")
    try:
        ref = parse_reference(f"{bare}/berth")
    except InvalidReference:
        ref = None
    if ref is None or ref.domain != bare:
        raise InvalidRegistry(f"“{typed}” is not a host name or address: use letters, digits, dots and hyphens, "
                              f"and a port after a colon ({_EXAMPLES}).")
    if "." not in host and not _sep and host != "localhost" and not host.startswith("["):
        raise InvalidRegistry(f"“{typed}” would be read as a Docker Hub account, not a registry: the docker CLI "
                              f"takes a name as a registry only with a dot or a port (“{typed}:5000”) or as "
                              f"localhost.")
    return bare


def validate_ca_file(path: str) -> str:
    """*path* ('' for none) as the absolute path of a readable PEM certificate file."""
    path = path.strip()
    if not path:
        return ""
    full = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(full):
        raise InvalidRegistry(f"{full} is a folder: choose the CA certificate file (a .crt or .pem file).")
    try:
        with open(full, "rb") as f:
            head = f.read(256 * 1024)
    except FileNotFoundError:
        raise InvalidRegistry(f"There is no file {full}: choose the CA certificate file.") from None
    except OSError as exc:
        raise InvalidRegistry(f"Cannot read {full}: {exc.strerror or exc}.") from None
    if b"-----BEGIN CERTIFICATE-----" not in head:
        raise InvalidRegistry(f"{full} holds no PEM certificate (no “-----BEGIN CERTIFICATE-----” line): choose "
                              f"the CA's certificate in PEM form.")
    return full


def load_registries(path: Path | None = None) -> list[UserRegistry]:
    """The user's registries, in the order added; an unreadable file is an error with a sentence."""
    path = registries_file() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise BerthError(f"Cannot read Berth's list of registries {path}: {exc.strerror or exc}.") from None
    try:
        data = json.loads(text) if text.strip() else {}
        entries = data.get("registries", []) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ValueError("no list of registries")
        result = []
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("host"), str) and entry["host"]:
                ca = entry.get("ca_file")
                result.append(UserRegistry(entry["host"], ca if isinstance(ca, str) else ""))
        return result
    except ValueError as exc:
        raise BerthError(f"Berth's list of registries {path} is damaged ({exc}). Remove the file to start "
                         f"an empty list.") from None


def _save(registries: list[UserRegistry], path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BerthError(f"Cannot create {path.parent}: {exc.strerror or exc}. Nothing was changed.") from None
    data = {"registries": [{"host": r.host, "ca_file": r.ca_file} for r in registries]}
    with atomic_write(path, "the list of registries") as f:
        f.write((json.dumps(data, indent=2) + "\n").encode("utf-8"))


def add_registry(host: str, ca_file: str = "", path: Path | None = None) -> UserRegistry:
    """Add (or, for a host already listed, give a new CA file to) a registry; validated first,
    nothing written when invalid."""
    path = registries_file() if path is None else path
    entry = UserRegistry(validate_host(host), validate_ca_file(ca_file))
    current = load_registries(path)
    if any(r == entry for r in current):
        return entry
    kept = [r for r in current if r.host != entry.host]
    if len(kept) == len(current):
        kept.append(entry)
    else:
        kept = [entry if r.host == entry.host else r for r in current]
    _save(kept, path)
    return entry


def remove_registry(host: str, path: Path | None = None) -> bool:
    """Take *host* off the user's list (its account, if any, stays where the CLI keeps it)."""
    path = registries_file() if path is None else path
    current = load_registries(path)
    kept = [r for r in current if r.host != host]
    if len(kept) == len(current):
        return False
    _save(kept, path)
    return True


@dataclass(frozen=True)
class RegistryEntry:
    """One row of the Registries view: a registry the CLI's configuration names, one the user
    added, or both; Docker Hub is always there."""

    host: str
    username: str = ""  # who is signed in there; "" for nobody
    ca_file: str = ""
    user_added: bool = False
    helper: str = ""  # the credential helper keeping its account; "" for the config file
    problem: str = ""  # why its account could not be read

    @property
    def key(self) -> str:
        return self.host

    @property
    def signed_in(self) -> bool:
        return bool(self.username)


def all_registries(env: Mapping[str, str] | None = None, path: Path | None = None) -> list[RegistryEntry]:
    """Docker Hub, then the registries of the CLI's configuration and the user's, each once."""
    from desktop.engine.docker_config import helper_for, known_registries, read_config

    accounts = {a.host: a for a in known_registries(env)}
    users = {r.host: r for r in load_registries(path)}
    config = read_config(env)
    hosts = [DOCKER_HUB] + sorted((set(accounts) | set(users)) - {DOCKER_HUB})
    entries = []
    for host in hosts:
        account, user = accounts.get(host), users.get(host)
        entries.append(RegistryEntry(
            host, account.username if account else "", user.ca_file if user else "", user is not None,
            account.store if account else helper_for(host, config), account.problem if account else ""))
    return entries
