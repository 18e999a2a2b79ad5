"""What ``docker run`` is asked to do, as plain values, checked the way the CLI and the engine
check them, and turned into the body of one ``POST /containers/create``.

Every parser here raises ``SpecError`` with a sentence that names the field and the value; the
Run dialog calls them on every keystroke, so nothing here touches the engine.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, localcontext
from typing import Iterable, Mapping

from desktop.engine.errors import BerthError

# The engine's own pattern (daemon/names.go: RestrictedNameChars): at least two characters.
# Always used with fullmatch(): "$" would also match before a trailing newline.
NAME_PATTERN = re.compile(r"/?[a-zA-Z0-9][a-zA-Z0-9_.-]+")
# Named volumes follow the same rule (volume/local: volumeNameRegex).
VOLUME_NAME_PATTERN = NAME_PATTERN
ENV_KEY_WHITESPACE = re.compile(r"\s")
RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")
PROTOCOLS = ("tcp", "udp", "sctp")
MOUNT_KINDS = ("bind", "volume", "tmpfs")
MIN_MEMORY = 6 * 1024 * 1024  # the engine refuses less ("Minimum memory limit allowed is 6MB")
INT64_MAX = 2 ** 63 - 1  # HostConfig.Memory and NanoCpus are Go int64s: more is a JSON error at create
MAX_MEMORY = INT64_MAX
MIN_NANO_CPUS = 10_000_000  # 0.01 CPU: the engine's own "Range of CPUs is from 0.01 to N"
MAX_NANO_CPUS = INT64_MAX
_MEMORY = re.compile(r"([0-9]+(?:\.[0-9]+)?) ?([kmgtp]?)(i?b?)", re.IGNORECASE)
_CPUS = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_DIGITS = re.compile(r"[0-9]+")


def _exact(text: str) -> Context:
    """A Decimal context that keeps every digit of *text* times a 20-digit number (the default
    keeps 28 digits and rounds the rest away)."""
    return Context(prec=len(text) + 40, Emax=MAX_EMAX, Emin=MIN_EMIN)
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4, "p": 1024 ** 5}
_PORT_SPEC = re.compile(r"(?:(?P<ip>\[[0-9a-fA-F:.]+\]|[^:\[\]]*):)??(?:(?P<host>[0-9]*):)?(?P<container>[0-9]+)"
                        r"(?:/(?P<proto>[A-Za-z0-9_]+))?")


class SpecError(BerthError, ValueError):
    """A value the user typed that the engine would refuse; the message says which and why."""


# --- names ------------------------------------------------------------------------------------
def name_problem(name: str) -> str | None:
    """Why the engine would refuse *name* as a container name, or None (empty is allowed: the
    engine picks one)."""
    if not name:
        return None
    if not NAME_PATTERN.fullmatch(name):
        if len(name.lstrip("/")) < 2:
            return f"The container name “{_shown(name)}” is too short: it needs at least two characters."
        return (f"The container name “{_shown(name)}” is not allowed: it must start with a letter or digit and "
                "contain only letters, digits, '_', '.' and '-'.")
    return None


def validate_name(name: str) -> str:
    problem = name_problem(name)
    if problem:
        raise SpecError(problem)
    return name.lstrip("/")


# --- environment --------------------------------------------------------------------------------
def parse_env_lines(text: str, environ: Mapping[str, str] | None = None, *, source: str = "") -> list[tuple[str, str]]:
    """``KEY=VALUE`` lines as docker's ``--env-file`` reads them: leading whitespace is dropped,
    blank lines and lines starting with '#' are skipped, the value is kept as written (quotes and
    trailing spaces included), and a bare ``KEY`` takes its value from *environ* (the user's
    environment) or is left out when it is not set there."""
    environ = os.environ if environ is None else environ
    where = f" in {source}" if source else ""
    result: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if number == 1 and raw.startswith("\ufeff"):
            raw = raw[1:]
        line = raw.lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        key, has_value, value = line.partition("=")
        if not key:
            raise SpecError(f"Line {number}{where} has no variable name before '=': “{_shown(raw.strip())}”.")
        if ENV_KEY_WHITESPACE.search(key):
            raise SpecError(f"Line {number}{where}: the variable name “{_shown(key)}” contains whitespace.")
        if has_value:
            result.append((key, value))
        elif _in_environ(key, environ):
            result.append((key, environ[key]))
    return result


def _in_environ(key: str, environ: Mapping[str, str]) -> bool:
    try:
        return key in environ
    except UnicodeError:  # os.environ encodes the key: a lone surrogate cannot be a variable's name
        return False


def env_file_text(data: bytes, source: str) -> str:
    """The text of an env file, refused (as docker does) when it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{source} is not a UTF-8 text file (byte {exc.start} is invalid).") from None


def parse_labels(text: str) -> list[tuple[str, str]]:
    """``KEY=VALUE`` lines (``KEY`` alone means an empty value, as ``--label KEY`` does)."""
    result = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.lstrip()
        if not line.strip() or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        if not key.strip():
            raise SpecError(f"Label line {number} has no key before '=': “{_shown(line.strip())}”.")
        result.append((key.strip(), value))
    return result


# --- ports --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PortSpec:
    """One published port: ``-p [host_ip:][host_port:]container_port[/protocol]``."""

    container_port: int
    protocol: str = "tcp"
    host_ip: str = ""
    host_port: int | None = None  # None: the engine picks a free port

    def __str__(self) -> str:
        ip = f"[{self.host_ip}]" if ":" in self.host_ip else self.host_ip
        host = f"{ip}:" if ip else ""
        if self.host_port is not None or ip:
            host += f"{self.host_port or ''}:"
        return f"{host}{self.container_port}/{self.protocol}"

    @property
    def key(self) -> str:
        return f"{self.container_port}/{self.protocol}"


def _shown(text: str, limit: int = 40) -> str:
    """A piece of what was typed, fit for a message: shortened, invisible characters made visible."""
    text = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text[:limit + 1])
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _port_number(text: str, what: str, allow_zero: bool = False) -> int:
    digits = str(text).strip()
    if not _DIGITS.fullmatch(digits):  # int() would also take "8_080", "+80" and non-ASCII digits
        raise SpecError(f"The {what} “{_shown(str(text))}” is not a number.")
    significant = digits.lstrip("0") or "0"
    value = int(significant) if len(significant) <= 6 else None  # no int() of a thousand digits
    low = 0 if allow_zero else 1
    if value is None or not low <= value <= 65535:
        raise SpecError(f"The {what} {_shown(significant)} is out of range: ports go from 1 to 65535.")
    return value


def make_port(container_port: str | int, protocol: str = "tcp", host_ip: str = "",
              host_port: str | int | None = None) -> PortSpec:
    """A PortSpec from the fields of a table row, each checked."""
    protocol = (protocol or "tcp").strip().lower()
    if protocol not in PROTOCOLS:
        raise SpecError(f"The protocol “{_shown(protocol)}” is not one of {', '.join(PROTOCOLS)}.")
    container = _port_number(container_port, "container port")
    host_ip = (host_ip or "").strip()
    if host_ip.startswith("[") and host_ip.endswith("]"):
        host_ip = host_ip[1:-1]
    if host_ip:
        try:
            ipaddress.ip_address(host_ip)
        except ValueError:
            raise SpecError(f"The host address “{_shown(host_ip)}” is not an IP address (such as 127.0.0.1 "
                            "or 0.0.0.0).") from None
    host: int | None = None
    if host_port is not None and str(host_port).strip():
        host = _port_number(host_port, "host port")
    return PortSpec(container, protocol, host_ip, host)


def _port_range(text: str | int, what: str) -> range:
    """``8080`` or ``8000-8010`` (inclusive, as the CLI's ``-p 8000-8010:8000-8010``)."""
    first, dash, last = str(text).strip().partition("-")
    low = _port_number(first, what)
    high = _port_number(last, what) if dash else low
    if high < low:
        raise SpecError(f"The {what} range {low}-{high} runs backwards: write the lower port first.")
    return range(low, high + 1)


def make_ports(container_port: str | int, protocol: str = "tcp", host_ip: str = "",
               host_port: str | int | None = None) -> list[PortSpec]:
    """The mappings of one table row, whose ports may be ranges: ``8000-8010`` to ``8000-8010``
    maps port to port; a container range with no host port lets the engine pick each one."""
    containers = _port_range(container_port, "container port")
    hosts = _port_range(host_port, "host port") if host_port is not None and str(host_port).strip() else None
    if hosts is not None and len(hosts) != len(containers):
        if len(containers) == 1:
            raise SpecError(f"A host port range ({hosts.start}-{hosts.stop - 1}) for one container port is not "
                            "supported: give one host port, or a container port range of the same length.")
        raise SpecError(f"The host ports {hosts.start}-{hosts.stop - 1} ({len(hosts)}) and the container ports "
                        f"{containers.start}-{containers.stop - 1} ({len(containers)}) must be ranges of the "
                        "same length.")
    return [make_port(container, protocol, host_ip, hosts[i] if hosts is not None else None)
            for i, container in enumerate(containers)]


def parse_port_spec(text: str) -> PortSpec:
    """The CLI's ``-p`` syntax: ``8080``, ``80:8080``, ``127.0.0.1:80:8080/udp``, ``127.0.0.1::8080``."""
    text = text.strip()
    match = _PORT_SPEC.fullmatch(text)
    if not match:
        raise SpecError(f"“{_shown(text)}” is not a port mapping: write [host address:][host port:]container port"
                        "[/protocol], e.g. 127.0.0.1:8080:80/tcp.")
    return make_port(match["container"], match["proto"] or "tcp", match["ip"] or "", match["host"])


def port_clashes(ports: Iterable[PortSpec]) -> list[str]:
    """Two mappings of one run asking for the same host port."""
    seen: dict[tuple, PortSpec] = {}
    problems = []
    for port in ports:
        if port.host_port is None:
            continue
        wildcard = port.host_ip in ("", "0.0.0.0", "::")
        for (ip, number, proto), other in seen.items():
            if number == port.host_port and proto == port.protocol and (
                    wildcard or ip in ("", "0.0.0.0", "::") or ip == port.host_ip):
                problems.append(f"Host port {port.host_port}/{port.protocol} is asked for twice "
                                f"({other} and {port}).")
                break
        seen[(port.host_ip, port.host_port, port.protocol)] = port
    return problems


# --- mounts -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MountSpec:
    """A bind mount (host path), a named or anonymous volume (empty source) or a tmpfs."""

    kind: str
    source: str
    target: str
    read_only: bool = False

    def __str__(self) -> str:
        mode = ":ro" if self.read_only else ""
        if self.kind == "tmpfs":
            return f"tmpfs:{self.target}"
        return f"{self.source or '<anonymous>'}:{self.target}{mode}"


def make_mount(kind: str, source: str, target: str, read_only: bool = False) -> MountSpec:
    kind = (kind or "").strip().lower()
    if kind not in MOUNT_KINDS:
        raise SpecError(f"The mount type “{_shown(kind)}” is not one of {', '.join(MOUNT_KINDS)}.")
    source = (source or "").strip()
    target = (target or "").strip()
    if not target:
        raise SpecError("A mount needs a path in the container.")
    if not target.startswith("/"):
        raise SpecError(f"The container path “{_shown(target)}” must be absolute (start with '/').")
    if kind == "bind":
        if not source:
            raise SpecError(f"The bind mount on {target} needs a host path.")
        if not (source.startswith("/") or re.match(r"^[a-zA-Z]:[\\/]", source)):
            raise SpecError(f"The host path “{_shown(source)}” must be absolute (start with '/').")
    elif kind == "volume":
        if source and not VOLUME_NAME_PATTERN.fullmatch(source):
            raise SpecError(f"The volume name “{_shown(source)}” is not allowed: it must start with a letter or digit "
                            "and contain only letters, digits, '_', '.' and '-' (at least two characters).")
    elif source:
        raise SpecError(f"A tmpfs mount has no source (remove “{_shown(source)}”).")
    return MountSpec(kind, source, target, bool(read_only))


def parse_volume_spec(text: str) -> MountSpec:
    """The CLI's ``-v`` syntax: ``/host:/ctr[:ro]``, ``name:/ctr[:ro]`` or ``/ctr`` (anonymous)."""
    parts = text.strip().split(":")
    read_only = False
    if len(parts) >= 2 and parts[-1] in ("ro", "rw"):
        read_only = parts.pop() == "ro"
    if len(parts) == 1:
        return make_mount("volume", "", parts[0], read_only)
    if len(parts) != 2:
        raise SpecError(f"“{_shown(text)}” is not a volume: write host-path-or-name:container-path[:ro].")
    source, target = parts
    kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
    return make_mount(kind, source, target, read_only)


# --- resources ----------------------------------------------------------------------------------
def parse_memory(text: str) -> int | None:
    """'512m', '1g', '1.5G', '256MiB', '1048576' -> bytes (binary units, as the CLI's RAMInBytes);
    empty -> None (no limit). Refused with a sentence: anything else, less than the engine's
    minimum, or more than the engine's int64 can hold (which it would refuse with a JSON error)."""
    text = (text or "").strip()
    if not text:
        return None
    match = _MEMORY.fullmatch(text)
    if not match:
        raise SpecError(f"“{_shown(text)}” is not a memory size: write a number with an optional unit, "
                        "e.g. 512m or 1g.")
    whole = match[1].partition(".")[0].lstrip("0")
    if len(whole) > len(str(MAX_MEMORY)):  # clearly too big: no arithmetic on a thousand digits
        value = MAX_MEMORY + 1
    else:
        with localcontext(_exact(text)):
            value = int(Decimal(match[1]) * _UNITS[match[2].lower()])
    if value > MAX_MEMORY:
        raise SpecError(f"The memory limit {_shown(text)} is more than the engine can take: "
                        "give less than 8 EiB (8192p).")
    if value < MIN_MEMORY:
        raise SpecError(f"The memory limit {_shown(text)} is below the engine's minimum of 6 MiB.")
    return value


_MAX_CPUS = Decimal(MAX_NANO_CPUS).scaleb(-9, Context(prec=40))


def parse_cpus(text: str, available: int | None = None) -> int | None:
    """'1.5' -> 1_500_000_000 nano-CPUs, as ``--cpus``; empty -> None (no limit).

    Refused with a sentence: anything but a plain decimal number (no "inf", "nan", "1_0"), zero or
    less, less than 0.01 (the engine's minimum), more than the engine's int64 of nano-CPUs can
    hold, more than *available* (the engine's CPU count, when the caller knows it), or more than
    9 decimals."""
    text = (text or "").strip()
    if not text:
        return None
    if not _CPUS.fullmatch(text):
        raise SpecError(f"“{_shown(text)}” is not a number of CPUs (e.g. 0.5 or 2).")
    value = Decimal(text)  # exact: a Decimal made from a string is never rounded
    if value <= 0:
        raise SpecError(f"The number of CPUs must be more than 0 (got {_shown(text)}).")
    if available is not None and value > available:
        raise SpecError(f"The number of CPUs {_shown(text)} is more than the engine has: it has {available}, "
                        f"so give at most {available}.")
    if value > _MAX_CPUS:  # comparing is exact at any size; multiplying 1e400 is not
        raise SpecError(f"The number of CPUs {_shown(text)} is more than the engine can take "
                        f"(at most {MAX_NANO_CPUS // 1_000_000_000:,}).")
    with localcontext(_exact(text)):
        nano = value.scaleb(9)
        if nano != nano.to_integral_value():
            raise SpecError(f"The number of CPUs {_shown(text)} is too precise (at most 9 decimals).")
    if nano < MIN_NANO_CPUS:
        raise SpecError(f"The number of CPUs {_shown(text)} is below the engine's minimum of 0.01.")
    return int(nano)


@dataclass(frozen=True)
class RestartPolicy:
    name: str = "no"
    max_retries: int = 0

    def __str__(self) -> str:
        if self.name == "on-failure" and self.max_retries:
            return f"on-failure:{self.max_retries}"
        return self.name


def parse_restart(text: str) -> RestartPolicy:
    """'no', 'always', 'unless-stopped', 'on-failure' or 'on-failure:5', as ``--restart``."""
    text = (text or "no").strip().lower()
    name, _, count = text.partition(":")
    if name not in RESTART_POLICIES:
        raise SpecError(f"The restart policy “{_shown(text)}” is not one of: {', '.join(RESTART_POLICIES)}.")
    if count:
        if name != "on-failure":
            raise SpecError(f"Only on-failure takes a retry count (“{_shown(text)}”).")
        if count.startswith("-") and _DIGITS.fullmatch(count[1:]):
            raise SpecError("The retry count cannot be negative.")
        if not _DIGITS.fullmatch(count):  # int() would also take "+3", "1_0" and non-ASCII digits
            raise SpecError(f"The retry count in “{_shown(text)}” is not a number.")
        significant = count.lstrip("0") or "0"
        if len(significant) > len(str(INT64_MAX)) or int(significant) > INT64_MAX:
            raise SpecError(f"The retry count in “{_shown(text)}” is more than the engine can take.")
        return RestartPolicy(name, int(significant))
    return RestartPolicy(name)


def split_command(text: str) -> tuple[str, ...] | None:
    """A command line as a shell would split it (quotes kept together); empty -> None (the
    image's default)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return tuple(shlex.split(text))
    except ValueError as exc:
        raise SpecError(f"The command “{_shown(text)}” cannot be split into words: {exc}.") from None


# --- the whole request --------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSpec:
    """Everything a run asks for; ``problems()`` lists what the engine would refuse."""

    image: str
    name: str = ""
    command: tuple[str, ...] | None = None  # None: the image's CMD
    entrypoint: tuple[str, ...] | None = None  # None: the image's ENTRYPOINT; () clears it
    env: tuple[tuple[str, str], ...] = ()
    ports: tuple[PortSpec, ...] = ()
    mounts: tuple[MountSpec, ...] = ()
    working_dir: str = ""
    user: str = ""
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    auto_remove: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    network: str = ""  # "" : the default bridge
    memory: int | None = None  # bytes
    nano_cpus: int | None = None
    tty: bool = False
    interactive: bool = False  # keep stdin open (-i)
    detach: bool = True  # False: the UI follows the output once it starts
    keep_on_failure: bool = False  # leave a container that was created but failed to start

    def problems(self) -> list[str]:
        found = []
        if not self.image.strip():
            found.append("Choose an image to run.")
        problem = name_problem(self.name)
        if problem:
            found.append(problem)
        if self.working_dir and not self.working_dir.startswith("/"):
            found.append(f"The working directory “{_shown(self.working_dir)}” must be absolute (start with '/').")
        if self.auto_remove and self.restart.name != "no":
            found.append("A container removed when it exits cannot also have a restart policy: "
                         "choose one of the two.")
        if self.memory is not None and self.memory < MIN_MEMORY:
            found.append("The memory limit is below the engine's minimum of 6 MiB.")
        if self.memory is not None and self.memory > MAX_MEMORY:
            found.append("The memory limit is more than the engine can take: give less than 8 EiB (8192p).")
        if self.nano_cpus is not None and not MIN_NANO_CPUS <= self.nano_cpus <= MAX_NANO_CPUS:
            found.append("The number of CPUs must be from 0.01 to the number the engine has.")
        found += port_clashes(self.ports)
        targets: dict[str, MountSpec] = {}
        for mount in self.mounts:
            if mount.target in targets:
                found.append(f"Two mounts use the same container path {mount.target}.")
            targets[mount.target] = mount
        for key, _value in self.env:
            if not key or ENV_KEY_WHITESPACE.search(key) or "=" in key:
                found.append(f"The environment variable name “{_shown(key)}” is not allowed.")
        return found

    def check(self) -> None:
        problems = self.problems()
        if problems:
            raise SpecError("\n".join(problems))

    @property
    def display_name(self) -> str:
        return self.name or f"a container of {self.image}"


def create_body(spec: RunSpec) -> dict:
    """The JSON body of ``POST /containers/create`` for *spec* (pure)."""
    host: dict = {}
    if spec.ports:
        bindings: dict[str, list[dict]] = {}
        for port in spec.ports:
            bindings.setdefault(port.key, []).append(
                {"HostIp": port.host_ip, "HostPort": str(port.host_port) if port.host_port else ""})
        host["PortBindings"] = bindings
    if spec.mounts:
        mounts = []
        for mount in spec.mounts:
            entry = {"Type": mount.kind, "Target": mount.target, "ReadOnly": mount.read_only}
            if mount.kind != "tmpfs" and mount.source:
                entry["Source"] = mount.source
            mounts.append(entry)
        host["Mounts"] = mounts
    if spec.restart.name != "no":
        host["RestartPolicy"] = {"Name": spec.restart.name, "MaximumRetryCount": spec.restart.max_retries}
    if spec.auto_remove:
        host["AutoRemove"] = True
    if spec.network:
        host["NetworkMode"] = spec.network
    if spec.memory is not None:
        host["Memory"] = spec.memory
    if spec.nano_cpus is not None:
        host["NanoCpus"] = spec.nano_cpus
    body: dict = {"Image": spec.image, "HostConfig": host}
    if spec.command is not None:
        body["Cmd"] = list(spec.command)
    if spec.entrypoint is not None:
        body["Entrypoint"] = list(spec.entrypoint) if spec.entrypoint else [""]
    if spec.env:
        body["Env"] = [f"{k}={v}" for k, v in spec.env]
    if spec.ports:
        body["ExposedPorts"] = {port.key: {} for port in spec.ports}
    if spec.working_dir:
        body["WorkingDir"] = spec.working_dir
    if spec.user:
        body["User"] = spec.user
    if spec.labels:
        body["Labels"] = dict(spec.labels)
    if spec.tty:
        body["Tty"] = True
    if spec.interactive:
        body.update(OpenStdin=True, AttachStdin=False)
    return body
