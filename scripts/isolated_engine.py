#!/usr/bin/env python3
"""A real, isolated Docker engine for Berth's tests, benchmarks and manual runs.

Each engine is a private ``dockerd`` (with its own managed ``containerd``) running in its own
network namespace and in its own mount namespace, with all of its state below one directory ``D``:

* network namespace ``berth-test-<pid>-<n>`` joined to the host by a veth pair on a small /30
  subnet nobody on the host uses (``bt<pid>x<n>`` on the host side, ``eth0`` inside);
* ``dockerd --data-root D/data --exec-root D/exec --pidfile D/pid -H unix://D/docker.sock
  --config-file D/daemon.json --cgroup-parent /berth-test-<pid>-<n>-<rand> --shutdown-timeout=2``,
  started as ``setsid nsenter --net=/run/netns/NS unshare --mount --propagation slave
  python -S -c REAPER sh -c "mount --bind D/etc-docker /etc/docker; mount --bind
  D/run-containerd /run/containerd; exec dockerd ..."``. The private mount namespace keeps every
  overlay/netns mount of the engine out of the host's mount table, gives it a private
  ``/etc/docker`` (``key.json``, ``certs.d`` = ``engine.certs_dir``) and a private
  ``/run/containerd`` (so dockerd never adopts a system containerd, and the runc/shim state of
  parallel engines never mixes). REAPER is a few lines of Python acting as a child subreaper
  (reaps exited shims; the host's PID 1 may not) and forwarding signals to dockerd;
* optionally a registry (``docker-registry serve``) inside the namespace on ``0.0.0.0:5000``:
  the engine reaches it as ``127.0.0.1:5000`` (insecure by design: the engine trusts 127/8), the
  test process as ``<namespace address>:5000``.

Nothing touches the user's engine (``/var/run/docker.sock``), ``~/.docker`` (a private
``DOCKER_CONFIG`` is used) or the host's ``docker0``/iptables. Needs root on Linux and the Debian
packages ``docker.io docker-registry busybox-static iproute2`` (installed automatically with apt
when running as root, unless ``BERTH_TEST_NO_APT=1``).

Python API::

    from isolated_engine import IsolatedEngine
    with IsolatedEngine() as engine:               # temp dir, removed on stop()
        engine.cli("run", "--rm", engine.ensure_busybox_base(), "echo", "hi")
        image_id = engine.build_busybox_image("berth-test/web:1", ["RUN mkdir /www"],
                                              labels={"a": "b"})
        engine.kill_engine(); engine.start_engine()   # the engine dies and comes back
        subprocess.run(["docker", "ps"], env=engine.env)

The engine's own files: ``D/dockerd.log``, ``D/registry.log``, ``D/guardian.log``,
``D/engine.json`` (state). On the host it only creates the empty bind targets ``/etc/docker``
and ``/run/containerd`` if they are missing, the lock file ``/run/lock/berth-isolated-engine.lock``
and a cache of the busybox base image in ``/var/tmp/berth-isolated-engine`` (or
``$BERTH_TEST_CACHE_DIR``). ``BERTH_DOCKER_CLI`` overrides the ``docker`` binary used by ``cli()``.

Helpers: ``cli(*args, check=True, input=None)``, ``api(method, path)``, ``ping()``,
``netns_exec(*cmd)``, ``ensure_busybox_base()`` (-> ``BUSYBOX_TAG``),
``build_busybox_image(tag, extra_dockerfile_lines=(), labels=None, files=None)`` (-> image id),
``image_exists(ref)``, ``kill_engine(sig=SIGTERM|SIGKILL)``, ``start_engine()``, ``restart()``,
``leftovers()`` (what of the engine still exists; all empty after ``stop()``), ``detach()``.

Attributes after ``start()``: ``socket_path``, ``docker_host``, ``env`` (full environment for
subprocesses), ``env_vars`` (only the variables set for the engine), ``registry_host``,
``registry_for_engine``, ``netns``, ``pid``, ``base_dir``, ``ns_address``, ``host_address``,
``certs_dir``, ``version``.

Leaks: ``stop()`` is idempotent and also runs at interpreter exit; in addition each engine gets a
tiny guardian process that holds a pipe to its owner and tears the engine down when the owner dies
in any way (SIGKILL, SIGTERM, crash).

Command line (as root)::

    # start an engine, run a command against it, stop it, exit with the command's status
    python scripts/isolated_engine.py run [--dir DIR] [--no-registry] -- pytest -q

    # long-lived engine for manual use: start detaches and prints shell exports
    eval "$(python scripts/isolated_engine.py start --dir /tmp/berth-e1)"
    docker ps                 # talks to the isolated engine
    python scripts/isolated_engine.py env --dir /tmp/berth-e1      # print the exports again
    python scripts/isolated_engine.py status --dir /tmp/berth-e1
    python scripts/isolated_engine.py stop --dir /tmp/berth-e1     # DIR/data is kept

Exported variables: ``DOCKER_HOST``, ``DOCKER_CONFIG``, ``DOCKER_BUILDKIT=0``,
``BERTH_TEST_REGISTRY`` (registry address for the test process), ``BERTH_TEST_REGISTRY_ENGINE``
(``127.0.0.1:5000``), ``BERTH_TEST_NETNS``, ``BERTH_TEST_ENGINE_DIR``.

Stdlib only (no docker SDK, no Qt, no pytest).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import http.client
import ipaddress
import itertools
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib
from typing import Any, Callable, Iterable, Mapping, Sequence

__all__ = [
    "BUSYBOX_TAG",
    "REGISTRY_FOR_ENGINE",
    "DockerCLIError",
    "IsolatedEngine",
    "IsolatedEngineError",
    "IsolatedEngineUnavailable",
    "check_prerequisites",
    "wait_until",
]

BUSYBOX_TAG = "berth-test/busybox:latest"
REGISTRY_PORT = 5000
REGISTRY_FOR_ENGINE = f"127.0.0.1:{REGISTRY_PORT}"
NETNS_PREFIX = "berth-test"
APT_PACKAGES = ("docker.io", "docker-registry", "busybox-static", "iproute2")
# /30 blocks are taken from these pools (first free one, starting at a per-process offset).
SUBNET_POOLS = ("10.231.0.0/16", "10.232.0.0/16", "100.115.0.0/16")
LOCK_PATH = "/run/lock/berth-isolated-engine.lock"
_SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_BUSYBOX_DOCKERFILE = (
    "FROM scratch\n"
    "COPY busybox /bin/busybox\n"
    'RUN ["/bin/busybox","--install","-s","/bin"]\n'
)
_ENGINE_BINARIES = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v1",
                    "containerd-shim-runc-v2", "runc", "docker-registry", "docker-proxy")
_SHUTDOWN_COMPLETE = b"Daemon shutdown complete"
# The launcher between unshare and dockerd: a child subreaper that forwards signals to dockerd and
# reaps every orphan of the engine (exited containerd shims, a containerd killed with dockerd)
# until none is left, so no zombie survives even where PID 1 does not reap (and a dead
# containerd's pid never looks alive to the next dockerd). tini exits with its first child.
_REAPER = r"""
import ctypes, os, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
child = os.fork()
if child == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
def forward(signum, frame):
    try:
        os.kill(child, signum)
    except ProcessLookupError:
        pass
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(sig, forward)
code = 0
while True:
    try:
        pid, status = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    if pid == child:
        code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""
_STATE_FILE = "engine.json"
_NAME_COUNTER = itertools.count()


class IsolatedEngineError(RuntimeError):
    """The isolated engine failed to start or to stop cleanly."""


class IsolatedEngineUnavailable(IsolatedEngineError):
    """This machine cannot run an isolated engine (not root, packages missing)."""


class DockerCLIError(subprocess.CalledProcessError):
    """A ``docker`` CLI call failed; the message carries its stderr."""

    def __str__(self) -> str:
        err = self.stderr
        if isinstance(err, bytes):
            err = err.decode("utf-8", "replace")
        return f"{super().__str__()}\n--- stderr ---\n{(err or '').strip()[-3000:]}"


# --------------------------------------------------------------------------------------------
# small helpers


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.02,
               message: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; return it. TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {message}")
        time.sleep(interval)


def _path_env() -> str:
    path = os.environ.get("PATH", "")
    return path + (":" if path else "") + _SBIN_PATH


def _which(name: str) -> str | None:
    return shutil.which(name, path=_path_env())


def _run(args: Sequence[str], check: bool = True, timeout: float = 60, **kw: Any
         ) -> subprocess.CompletedProcess:
    env = kw.pop("env", None)
    if env is None:
        env = dict(os.environ, PATH=_path_env())
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=kw.pop("stdin", subprocess.DEVNULL), **kw)
    if check and proc.returncode != 0:
        raise IsolatedEngineError(
            f"command failed ({proc.returncode}): {shlex.join(args)}\n{proc.stderr.strip()}")
    return proc


def _proc_state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        return data[data.rindex(b")") + 2:][:1].decode()
    except ValueError:
        return None


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    state = _proc_state(pid)
    return state is not None and state not in ("Z", "X")


def _kill(pid: int | None, sig: int) -> None:
    if not pid:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _read_pidfile(path: str) -> int | None:
    try:
        with open(path) as f:
            return int(f.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]


def _all_pids() -> list[int]:
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def _unescape_mount(path: str) -> str:
    # /proc/*/mountinfo escapes space, tab, newline and backslash as \ooo
    out, i = [], 0
    while i < len(path):
        if path[i] == "\\" and i + 4 <= len(path) and path[i + 1:i + 4].isdigit():
            out.append(chr(int(path[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def _mountinfo() -> list[tuple[str, str]]:
    """(mount point, fstype) of every mount in this process's mount namespace."""
    result = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields = left.split()
            if len(fields) >= 5:
                result.append((_unescape_mount(fields[4]), right.split()[0] if right else ""))
    return result


def _is_under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


@contextlib.contextmanager
def _flock(path: str):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _is_static_elf(path: str) -> bool:
    """True unless the ELF file has a PT_INTERP program header (i.e. is dynamically linked)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return True  # not 64-bit little endian: do not second-guess
            phoff, = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return False
    for i in range(phnum):
        p_type, = struct.unpack_from("<I", table, i * phentsize)
        if p_type == 3:  # PT_INTERP
            return False
    return True


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _unix_request(socket_path: str, method: str, path: str, body: Any = None,
                  timeout: float = 30) -> tuple[int, bytes]:
    conn = _UnixHTTPConnection(socket_path, timeout)
    try:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _http_get(url: str, timeout: float = 2) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# --------------------------------------------------------------------------------------------
# prerequisites


def _missing_prerequisites(registry: bool) -> list[str]:
    needed = {
        "dockerd": "docker.io", "docker": "docker.io", "containerd": "containerd",
        "runc": "runc", "ip": "iproute2", "nsenter": "util-linux", "unshare": "util-linux",
        "mount": "mount", "busybox": "busybox-static",
    }
    if registry:
        needed["docker-registry"] = "docker-registry"
    missing = [f"{binary} (package {pkg})" for binary, pkg in needed.items()
               if not (os.environ.get("BERTH_DOCKER_CLI") if binary == "docker" else None)
               and not _which(binary)]
    busybox = _which("busybox")
    if busybox and not _is_static_elf(busybox):
        missing.append(f"a static busybox ({busybox} is dynamically linked; "
                       "package busybox-static)")
    return missing


def _apt_install() -> str:
    """apt-get install the packages without letting their maintainer scripts start a host
    dockerd (a policy-rc.d refusing service starts is put in place if none exists)."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", PATH=_path_env())
    policy = "/usr/sbin/policy-rc.d"
    made_policy = False
    if not os.path.exists(policy):
        with open(policy, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)
        made_policy = True
    try:
        cmd = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if proc.returncode != 0:
            subprocess.run(["apt-get", "update"], capture_output=True, text=True, env=env,
                           timeout=900)
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        return (proc.stdout + proc.stderr)[-2000:]
    finally:
        if made_policy:
            with contextlib.suppress(OSError):
                os.unlink(policy)


def check_prerequisites(registry: bool = True, install: bool | None = None) -> None:
    """Raise IsolatedEngineUnavailable unless an isolated engine can run here.

    As root, missing packages are installed with apt-get (unless ``install`` is False or
    ``BERTH_TEST_NO_APT=1``)."""
    if sys.platform != "linux":
        raise IsolatedEngineUnavailable("the isolated Docker engine needs Linux")
    if os.geteuid() != 0:
        raise IsolatedEngineUnavailable(
            "the isolated Docker engine needs root (it creates a network namespace and runs its "
            "own dockerd): run the tests as root, e.g. `sudo -E .venv/bin/pytest`, on a machine "
            f"with `apt-get install -y {' '.join(APT_PACKAGES)}`")
    missing = _missing_prerequisites(registry)
    if not missing:
        return
    if install is None:
        install = os.environ.get("BERTH_TEST_NO_APT", "") in ("", "0", "false")
    log = ""
    if install and _which("apt-get"):
        log = _apt_install()
        missing = _missing_prerequisites(registry)
        if not missing:
            return
    raise IsolatedEngineUnavailable(
        f"the isolated Docker engine needs {', '.join(missing)}: install with "
        f"`apt-get install -y {' '.join(APT_PACKAGES)}`"
        + (f"\napt-get said:\n{log}" if log else ""))


# --------------------------------------------------------------------------------------------
# network allocation


def _used_networks() -> list[ipaddress.IPv4Network]:
    nets: list[ipaddress.IPv4Network] = []
    for line in _run(["ip", "-4", "-o", "addr", "show"]).stdout.splitlines():
        parts = line.split()
        if "inet" in parts:
            with contextlib.suppress(ValueError):
                nets.append(ipaddress.ip_interface(parts[parts.index("inet") + 1]).network)
    for line in _run(["ip", "-4", "-o", "route", "show", "table", "all"], check=False
                     ).stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        dest = parts[1] if parts[0] in ("local", "broadcast", "unicast", "blackhole",
                                         "unreachable", "prohibit") and len(parts) > 1 else parts[0]
        if dest == "default":
            continue
        with contextlib.suppress(ValueError):
            net = ipaddress.ip_network(dest, strict=False)
            if net.prefixlen >= 16:  # a broad (VPN) route is shadowed by our /30, not broken
                nets.append(net)
    return nets


def _pick_subnet(seed: str) -> ipaddress.IPv4Network:
    used = _used_networks()
    for pool in SUBNET_POOLS:
        net = ipaddress.ip_network(pool)
        count = net.num_addresses // 4
        start = zlib.crc32(seed.encode()) % count
        base = int(net.network_address)
        for i in range(count):
            cand = ipaddress.ip_network((base + ((start + i) % count) * 4, 30))
            if not any(cand.overlaps(u) for u in used):
                return cand
    raise IsolatedEngineError(f"no free /30 subnet left in {SUBNET_POOLS}")


def _list_netns() -> set[str]:
    out = _run(["ip", "netns", "list"], check=False).stdout
    names = {line.split()[0] for line in out.splitlines() if line.strip()}
    with contextlib.suppress(OSError):
        names.update(os.listdir("/run/netns"))
    return names


def _link_exists(name: str, netns: str | None = None) -> bool:
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["link", "show", "dev", name]
    return _run(cmd, check=False).returncode == 0


# --------------------------------------------------------------------------------------------
# the engine

_LIVE: "set[IsolatedEngine]" = set()
_LIVE_LOCK = threading.Lock()


def _stop_all_at_exit() -> None:
    with _LIVE_LOCK:
        engines = list(_LIVE)
    for engine in engines:
        try:
            engine.stop()
        except Exception as e:  # noqa: BLE001 - best effort at exit
            print(f"isolated_engine: cleanup of {engine.base_dir} failed: {e}", file=sys.stderr)


atexit.register(_stop_all_at_exit)


class IsolatedEngine:
    """One isolated dockerd (+ optional registry). See the module docstring."""

    def __init__(self, base_dir: str | os.PathLike | None = None, *, registry: bool = True,
                 guard: bool = True, start_timeout: float = 60.0) -> None:
        self._requested_dir = os.fspath(base_dir) if base_dir is not None else None
        self.with_registry = registry
        self._guard_enabled = guard
        self.start_timeout = start_timeout
        self._lock = threading.RLock()
        self._state: dict[str, Any] = {}
        self._dockerd: subprocess.Popen | None = None  # the launcher (see _REAPER)
        self._old_launchers: list[subprocess.Popen] = []
        self._registry_proc: subprocess.Popen | None = None
        self._guardian: subprocess.Popen | None = None
        self._log_offset = 0
        self._started = False
        self._stopped = False
        self.version: str | None = None

    # ---- context manager
    def __enter__(self) -> "IsolatedEngine":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return (f"<IsolatedEngine dir={self._state.get('base_dir')!r} "
                f"netns={self._state.get('netns')!r} started={self._started}>")

    # ---- attributes
    def _need(self, key: str) -> Any:
        if key not in self._state:
            raise IsolatedEngineError(f"the engine is not started ({key} unknown)")
        return self._state[key]

    @property
    def base_dir(self) -> str | None:
        return self._state.get("base_dir", self._requested_dir)

    @property
    def socket_path(self) -> str:
        return os.path.join(self._need("base_dir"), "docker.sock")

    @property
    def docker_host(self) -> str:
        return "unix://" + self.socket_path

    @property
    def netns(self) -> str:
        return self._need("netns")

    @property
    def veth(self) -> str:
        return self._need("veth")

    @property
    def ns_address(self) -> str:
        return self._need("ns_address")

    @property
    def host_address(self) -> str:
        return self._need("host_address")

    @property
    def cgroup_parent(self) -> str:
        return self._need("cgroup_parent")

    @property
    def pid(self) -> int | None:
        """dockerd's pid (None while the daemon is down)."""
        d = self._need("base_dir")
        for pid in (_read_pidfile(os.path.join(d, "pid")), self._state.get("dockerd_pid")):
            if _pid_alive(pid) and self._is_our_dockerd(pid):
                return pid
        return None

    def _is_our_dockerd(self, pid: int) -> bool:
        argv = _cmdline(pid)
        d = self._state.get("base_dir")
        return bool(argv) and os.path.basename(argv[0]) == "dockerd" and f"{d}/data" in argv

    def _launcher_alive(self) -> bool:
        """The process that starts dockerd (nsenter -> unshare -> reaper -(fork)-> sh -> dockerd);
        it lives on while orphans of the engine (shims of a crashed dockerd) live."""
        if self._dockerd is not None:
            return self._dockerd.poll() is None
        pid = self._state.get("launcher_pid")
        argv0 = os.path.basename((_cmdline(pid) or [""])[0]) if _pid_alive(pid) else ""
        return argv0.startswith("python") or argv0 in ("nsenter", "unshare")

    @property
    def log_path(self) -> str:
        return os.path.join(self._need("base_dir"), "dockerd.log")

    @property
    def certs_dir(self) -> str:
        """The engine's private /etc/docker/certs.d (registry CAs: certs.d/HOST:PORT/ca.crt)."""
        return os.path.join(self._need("base_dir"), "etc-docker", "certs.d")

    @property
    def registry_host(self) -> str | None:
        """Registry address as seen by the test process (namespace address:5000)."""
        if not self._state.get("registry"):
            return None
        return f"{self.ns_address}:{REGISTRY_PORT}"

    @property
    def registry_for_engine(self) -> str | None:
        """Registry address as seen by the engine (127.0.0.1:5000, insecure allowed)."""
        return REGISTRY_FOR_ENGINE if self._state.get("registry") else None

    @property
    def env_vars(self) -> dict[str, str]:
        """Only the variables that point a docker client at this engine."""
        d = self._need("base_dir")
        env = {
            "DOCKER_HOST": self.docker_host,
            "DOCKER_CONFIG": os.path.join(d, "docker-config"),
            "DOCKER_BUILDKIT": "0",
            "BERTH_TEST_NETNS": self.netns,
            "BERTH_TEST_ENGINE_DIR": d,
        }
        if self.registry_host:
            env["BERTH_TEST_REGISTRY"] = self.registry_host
            env["BERTH_TEST_REGISTRY_ENGINE"] = REGISTRY_FOR_ENGINE
        return env

    @property
    def env(self) -> dict[str, str]:
        """A full environment for subprocesses (os.environ + env_vars, without variables that
        would redirect a docker client elsewhere)."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
                            "DOCKER_TLS", "DOCKER_API_VERSION", "DOCKER_DEFAULT_PLATFORM")}
        env.update(self.env_vars)
        no_proxy = ",".join(x for x in (os.environ.get("NO_PROXY") or os.environ.get("no_proxy"),
                                        self.ns_address, "127.0.0.1", "localhost") if x)
        env["NO_PROXY"] = env["no_proxy"] = no_proxy
        return env

    # ---- state file (read by the guardian and by `stop --dir`)
    def _save_state(self) -> None:
        d = self._state.get("base_dir")
        if not d or not os.path.isdir(d):
            return
        tmp = os.path.join(d, f".{_STATE_FILE}.{os.getpid()}.tmp")
        with open(tmp, "w") as f:
            json.dump(self._state, f, indent=1)
        os.replace(tmp, os.path.join(d, _STATE_FILE))

    @classmethod
    def from_state(cls, base_dir: str) -> "IsolatedEngine | None":
        """An engine object for the engine recorded in base_dir (None if there is none)."""
        try:
            with open(os.path.join(base_dir, _STATE_FILE)) as f:
                state = json.load(f)
        except (OSError, ValueError):
            return None
        if state.get("status") == "stopped":
            return None
        engine = cls(base_dir, registry=bool(state.get("registry")), guard=False)
        engine._state = state
        engine._started = True
        return engine

    # ---- start
    def start(self) -> "IsolatedEngine":
        with self._lock:
            if self._started and not self._stopped:
                return self
            if self._stopped:
                raise IsolatedEngineError("an IsolatedEngine cannot be restarted after stop(); "
                                          "use kill_engine()/start_engine() or a new object")
            check_prerequisites(registry=self.with_registry)
            self._started = True
            with _LIVE_LOCK:
                _LIVE.add(self)
            try:
                self._prepare_dir()
                self._start_guardian()
                self._create_network()
                self.start_engine()
                if self.with_registry:
                    self._start_registry()
                self._state["status"] = "running"
                self._save_state()
            except BaseException:
                with contextlib.suppress(Exception):
                    self.stop()
                raise
            return self

    def _prepare_dir(self) -> None:
        if self._requested_dir is None:
            d = tempfile.mkdtemp(prefix="berth-engine-")
            created = True
        else:
            d = os.path.abspath(self._requested_dir)
            created = False
            os.makedirs(d, exist_ok=True)
            old = IsolatedEngine.from_state(d)
            if old is not None and (_pid_alive(old._state.get("dockerd_pid"))
                                    or os.path.exists(f"/run/netns/{old._state.get('netns')}")):
                raise IsolatedEngineError(
                    f"{d} already holds a running engine (netns {old._state.get('netns')}); "
                    f"stop it first: python {os.path.abspath(__file__)} stop --dir {d}")
        # unix socket paths are limited to 107 bytes; containerd's is the longest one below D
        if len(os.path.join(d, "exec/containerd/containerd.sock.ttrpc")) > 107:
            if created:
                shutil.rmtree(d, ignore_errors=True)
            raise IsolatedEngineError(f"engine directory path too long for unix sockets: {d}")
        os.chmod(d, 0o711)
        self._state = {
            "base_dir": d, "created_dir": created, "registry": self.with_registry,
            "owner_pid": os.getpid(), "status": "starting", "detached": False,
        }
        for sub in ("data", "exec", "etc-docker/certs.d", "run-containerd", "docker-config"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        with open(os.path.join(d, "daemon.json"), "w") as f:
            f.write("{}\n")
        cfg = os.path.join(d, "docker-config", "config.json")
        if not os.path.exists(cfg):
            with open(cfg, "w") as f:
                f.write("{}\n")
        self._save_state()

    def _start_guardian(self) -> None:
        if not self._guard_enabled:
            return
        d = self._state["base_dir"]
        log = open(os.path.join(d, "guardian.log"), "ab")
        try:
            self._guardian = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "_guard", "--dir", d],
                stdin=subprocess.PIPE, stdout=log, stderr=log, cwd="/", start_new_session=True,
                env=dict(os.environ, PATH=_path_env()))
        finally:
            log.close()
        self._state["guardian_pid"] = self._guardian.pid
        self._save_state()

    def _create_network(self) -> None:
        pid = os.getpid()
        with _flock(LOCK_PATH):
            existing = _list_netns()
            while True:
                n = next(_NAME_COUNTER)
                netns = f"{NETNS_PREFIX}-{pid}-{n}"
                veth = f"bt{pid}x{n}"[:15]
                if netns not in existing and not _link_exists(veth):
                    break
            subnet = _pick_subnet(f"{pid}-{n}-{secrets.token_hex(2)}")
            host_addr, ns_addr = str(subnet[1]), str(subnet[2])
            self._state.update(netns=netns, veth=veth, subnet=str(subnet),
                               host_address=host_addr, ns_address=ns_addr,
                               cgroup_parent=f"/{netns}-{secrets.token_hex(3)}")
            self._state["netns_created"] = True  # record before creating: stop() checks existence
            self._save_state()
            _run(["ip", "netns", "add", netns])
            self._state["netns_inode"] = os.stat(f"/run/netns/{netns}").st_ino
            self._state["veth_created"] = True
            self._save_state()
            _run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0",
                  "netns", netns])
            _run(["ip", "addr", "add", f"{host_addr}/30", "dev", veth])
            _run(["ip", "link", "set", veth, "up"])
        _run(["ip", "-n", netns, "addr", "add", f"{ns_addr}/30", "dev", "eth0"])
        _run(["ip", "-n", netns, "link", "set", "eth0", "up"])
        _run(["ip", "-n", netns, "link", "set", "lo", "up"])

    def _daemon_env(self) -> dict[str, str]:
        drop = {"http_proxy", "https_proxy", "no_proxy", "all_proxy", "notify_socket"}
        env = {k: v for k, v in os.environ.items()
               if k.lower() not in drop and not k.startswith(("DOCKER_", "REGISTRY_"))}
        env["PATH"] = _path_env()
        return env

    def start_engine(self, timeout: float | None = None) -> None:
        """Start dockerd (again) in the existing namespace with the existing data."""
        with self._lock:
            d = self._need("base_dir")
            if self.pid is not None:
                return
            if self._launcher_alive():
                # the old launcher still reaps orphans of a crashed dockerd (their containers
                # are killed by the new dockerd); keep it to reap it later
                if self._dockerd is not None:
                    self._old_launchers.append(self._dockerd)
                self._state.setdefault("old_launcher_pids", []).append(
                    self._state.get("launcher_pid"))
                self._dockerd = None
            containerd_pidfile = os.path.join(d, "exec", "containerd", "containerd.pid")
            old_containerd = _read_pidfile(containerd_pidfile)
            if old_containerd and not (_pid_alive(old_containerd) and any(
                    d + "/" in a for a in _cmdline(old_containerd))):
                # dockerd would "reuse" whatever process has that pid (even a zombie)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(containerd_pidfile)
            for name in ("run-containerd", "etc-docker/certs.d", "exec"):
                os.makedirs(os.path.join(d, name), exist_ok=True)
            for mountpoint in ("/etc/docker", "/run/containerd"):
                os.makedirs(mountpoint, exist_ok=True)  # bind targets (empty dirs on the host)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.socket_path)
            q = shlex.quote
            dockerd = [
                "dockerd", "--data-root", f"{d}/data", "--exec-root", f"{d}/exec",
                "--pidfile", f"{d}/pid", "-H", f"unix://{d}/docker.sock",
                "--config-file", f"{d}/daemon.json", "--cgroup-parent", self.cgroup_parent,
                "--shutdown-timeout=2", "--log-level=info",
            ]
            script = (f"mount --bind {q(d + '/etc-docker')} /etc/docker && "
                      f"mount --bind {q(d + '/run-containerd')} /run/containerd && "
                      f"exec {shlex.join(dockerd)}")
            reaper = [sys.executable, "-S", "-c", _REAPER]
            log_path = self.log_path
            log = open(log_path, "ab")
            try:
                self._log_offset = log.tell()
                self._dockerd = subprocess.Popen(
                    ["nsenter", f"--net=/run/netns/{self.netns}", "unshare", "--mount",
                     "--propagation", "slave", *reaper, "sh", "-c", script],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd="/",
                    start_new_session=True, env=self._daemon_env())
            finally:
                log.close()
            self._state["launcher_pid"] = self._dockerd.pid
            self._state["dockerd_pid"] = None
            self._save_state()
            deadline = time.monotonic() + (timeout or self.start_timeout)
            while True:
                if self._dockerd.poll() is not None:
                    raise IsolatedEngineError(
                        f"dockerd exited with status {self._dockerd.returncode} during start; "
                        f"tail of {log_path}:\n{self._log_tail()}")
                try:
                    status, body = _unix_request(self.socket_path, "GET", "/_ping", timeout=2)
                    if status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise IsolatedEngineError(
                        f"dockerd did not answer /_ping on {self.socket_path} within "
                        f"{timeout or self.start_timeout:.0f}s; tail of {log_path}:\n"
                        f"{self._log_tail()}")
                time.sleep(0.02)
            self._state["dockerd_pid"] = _read_pidfile(os.path.join(d, "pid"))
            with contextlib.suppress(Exception):
                self.version = self.api("GET", "/version").get("Version")
            self._save_state()

    def _log_tail(self, lines: int = 30) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(max(0, os.fstat(f.fileno()).st_size - 20000))
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError as e:
            return f"(cannot read log: {e})"

    def _start_registry(self) -> None:
        d = self._need("base_dir")
        os.makedirs(os.path.join(d, "registry"), exist_ok=True)
        config = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": os.path.join(d, "registry")},
                        "delete": {"enabled": True}},
            "http": {"addr": f"0.0.0.0:{REGISTRY_PORT}", "secret": secrets.token_hex(16)},
        }
        cfg = os.path.join(d, "registry.json")  # JSON is YAML
        with open(cfg, "w") as f:
            json.dump(config, f)
        log = open(os.path.join(d, "registry.log"), "ab")
        try:
            self._registry_proc = subprocess.Popen(
                ["ip", "netns", "exec", self.netns, "docker-registry", "serve", cfg],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd="/",
                start_new_session=True, env=self._daemon_env())
        finally:
            log.close()
        self._state["registry_pid"] = self._registry_proc.pid
        self._save_state()
        url = f"http://{self.registry_host}/v2/"

        def ready() -> bool:
            if self._registry_proc.poll() is not None:
                raise IsolatedEngineError(
                    f"docker-registry exited with status {self._registry_proc.returncode}; "
                    f"see {os.path.join(d, 'registry.log')}")
            try:
                return _http_get(url, timeout=1)[0] == 200
            except OSError:
                return False

        wait_until(ready, 30, message=f"the registry at {url}")

    # ---- using the engine
    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """A raw Engine API call over the unix socket; returns parsed JSON (or None)."""
        status, data = _unix_request(self.socket_path, method, path, body, timeout)
        if status >= 400:
            raise IsolatedEngineError(f"{method} {path} -> {status}: {data[:500]!r}")
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return data

    def ping(self) -> bool:
        try:
            return _unix_request(self.socket_path, "GET", "/_ping", timeout=2)[0] == 200
        except OSError:
            return False

    def cli(self, *args: str, check: bool = True, input: str | bytes | None = None,
            timeout: float = 300, text: bool | None = None) -> subprocess.CompletedProcess:
        """Run the real docker CLI against this engine (DOCKER_BUILDKIT=0, private config)."""
        docker = os.environ.get("BERTH_DOCKER_CLI") or _which("docker") or "docker"
        if text is None:
            text = not isinstance(input, bytes)
        proc = subprocess.run([docker, *args], input=input, capture_output=True, text=text,
                              env=self.env, timeout=timeout,
                              stdin=None if input is not None else subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise DockerCLIError(proc.returncode, proc.args, proc.stdout, proc.stderr)
        return proc

    def netns_exec(self, *cmd: str, check: bool = True, timeout: float = 60,
                   input: str | None = None) -> subprocess.CompletedProcess:
        """Run a command inside the engine's network namespace (e.g. busybox wget)."""
        proc = subprocess.run(["ip", "netns", "exec", self.netns, *cmd], input=input,
                              capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, PATH=_path_env()),
                              stdin=None if input is not None else subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, proc.args, proc.stdout,
                                                proc.stderr)
        return proc

    def image_exists(self, ref: str) -> bool:
        from urllib.parse import quote
        try:
            status, _ = _unix_request(self.socket_path, "GET",
                                      f"/images/{quote(ref, safe='')}/json", timeout=10)
        except OSError:
            return False
        return status == 200

    def ensure_busybox_base(self) -> str:
        """Make sure BUSYBOX_TAG exists in this engine (loaded from a cache tarball when another
        engine built it before); return the tag."""
        if self.image_exists(BUSYBOX_TAG):
            return BUSYBOX_TAG
        busybox = _which("busybox")
        if not busybox or not _is_static_elf(busybox):
            raise IsolatedEngineUnavailable(
                "a static busybox is needed: apt-get install -y busybox-static")
        with open(busybox, "rb") as f:
            digest = hashlib.sha256(f.read() + _BUSYBOX_DOCKERFILE.encode()).hexdigest()[:20]
        cache_dir = os.environ.get("BERTH_TEST_CACHE_DIR", "/var/tmp/berth-isolated-engine")
        cache = os.path.join(cache_dir, f"busybox-{digest}.tar")
        if os.path.exists(cache):
            if self.cli("load", "-q", "-i", cache, check=False).returncode == 0 \
                    and self.image_exists(BUSYBOX_TAG):
                return BUSYBOX_TAG
        ctx = tempfile.mkdtemp(prefix="build-", dir=self._need("base_dir"))
        try:
            shutil.copy2(busybox, os.path.join(ctx, "busybox"))
            with open(os.path.join(ctx, "Dockerfile"), "w") as f:
                f.write(_BUSYBOX_DOCKERFILE)
            self.cli("build", "-q", "-t", BUSYBOX_TAG, ctx)
        finally:
            shutil.rmtree(ctx, ignore_errors=True)
        with contextlib.suppress(Exception):
            os.makedirs(cache_dir, exist_ok=True)
            tmp = f"{cache}.{os.getpid()}.{secrets.token_hex(3)}.tmp"
            try:
                self.cli("save", "-o", tmp, BUSYBOX_TAG)
                os.replace(tmp, cache)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return BUSYBOX_TAG

    def build_busybox_image(self, tag: str, extra_dockerfile_lines: Iterable[str] = (),
                            labels: Mapping[str, str] | None = None,
                            files: Mapping[str, str | bytes] | None = None) -> str:
        """Build ``tag`` FROM the busybox base (itself FROM scratch + Debian's static busybox)
        with the legacy builder; ``files`` are written into the build context (for COPY).
        Returns the image id (sha256:...)."""
        base = self.ensure_busybox_base()
        ctx = tempfile.mkdtemp(prefix="build-", dir=self._need("base_dir"))
        try:
            for rel, content in (files or {}).items():
                path = os.path.normpath(os.path.join(ctx, rel))
                if not _is_under(path, ctx):
                    raise ValueError(f"build file outside the context: {rel}")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(content.encode() if isinstance(content, str) else content)
            with open(os.path.join(ctx, "Dockerfile"), "w") as f:
                f.write(f"FROM {base}\n")
                for line in extra_dockerfile_lines:
                    f.write(line.rstrip("\n") + "\n")
            iidfile = os.path.join(ctx, ".iid")
            args = ["build", "-q", "--iidfile", iidfile, "-t", tag]
            for key, value in (labels or {}).items():
                args += ["--label", f"{key}={value}"]
            self.cli(*args, ctx)
            with open(iidfile) as f:
                return f.read().strip()
        finally:
            shutil.rmtree(ctx, ignore_errors=True)

    # ---- engine dies / comes back
    def kill_engine(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Stop just dockerd (namespace, registry and data stay). SIGTERM: a clean shutdown
        (running containers are stopped by dockerd); SIGKILL: a crash (containers and their
        shims live on until the next start_engine(), whose dockerd kills them)."""
        def d_in(pid: int) -> bool:
            return any(self._need("base_dir") + "/" in a for a in _cmdline(pid))

        with self._lock:
            if sig == signal.SIGKILL:
                pid = self.pid
                containerd = _read_pidfile(os.path.join(self._need("base_dir"), "exec",
                                                        "containerd", "containerd.pid"))
                _kill(pid, signal.SIGKILL)  # containerd follows (parent-death signal)
                wait_until(lambda: self._reap() or not (_pid_alive(pid) or (
                    _pid_alive(containerd) and d_in(containerd))), timeout,
                    message="dockerd and containerd to die")
            else:
                self._stop_dockerd(timeout)

    def restart(self, timeout: float | None = None) -> None:
        """kill_engine() + start_engine()."""
        self.kill_engine()
        self.start_engine(timeout)

    def _reap(self) -> bool:
        for proc in (self._dockerd, self._registry_proc, *self._old_launchers):
            if proc is not None:
                proc.poll()
        return False

    def _wait_children(self) -> None:
        """Collect the exit status of every process this object started (no zombies, and no
        'subprocess is still running' ResourceWarning)."""
        for proc in (self._dockerd, self._registry_proc, *self._old_launchers):
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)
        self._old_launchers = [p for p in self._old_launchers if p.returncode is None]

    def _stop_dockerd(self, timeout: float = 30) -> None:
        d = self._need("base_dir")
        pid = self.pid
        if pid is None:  # not running (a launcher that never got there is left to the sweep)
            self._reap()
            return
        containerd_pid = _read_pidfile(os.path.join(d, "exec", "containerd", "containerd.pid"))
        offset = self._log_offset
        _kill(pid, signal.SIGTERM)
        # dockerd 20.10 logs "Daemon shutdown complete" within milliseconds but then sits ~2 s in
        # its containerd supervisor's 1 s sleep loop; once the daemon is shut down, end it.
        deadline = time.monotonic() + timeout
        completed_at = None
        with contextlib.suppress(OSError), open(self.log_path, "rb") as log:
            log.seek(offset)
            buf = b""
            while _pid_alive(pid) and time.monotonic() < deadline:
                self._reap()
                buf = buf[-64:] + log.read()
                if completed_at is None and _SHUTDOWN_COMPLETE in buf:
                    completed_at = time.monotonic()
                if completed_at is not None and time.monotonic() - completed_at > 0.1:
                    break
                time.sleep(0.01)
        if _pid_alive(pid):
            _kill(pid, signal.SIGKILL)
        if _pid_alive(containerd_pid) and "containerd" in " ".join(_cmdline(containerd_pid)[:1]):
            _kill(containerd_pid, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                wait_until(lambda: not _pid_alive(containerd_pid), 5, message="containerd")
            _kill(containerd_pid, signal.SIGKILL)
        wait_until(lambda: self._reap() or not (_pid_alive(pid) or self._launcher_alive()), 10,
                   message="dockerd to exit")

    def _remove_containers(self) -> None:
        if not self.ping():
            return
        containers = self.api("GET", "/containers/json?all=1", timeout=15) or []

        def rm(cid: str) -> None:
            with contextlib.suppress(Exception):
                _unix_request(self.socket_path, "DELETE", f"/containers/{cid}?force=1&v=1",
                              timeout=30)

        threads = [threading.Thread(target=rm, args=(c["Id"],), daemon=True) for c in containers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(35)

    # ---- stop
    def detach(self) -> None:
        """Leave the engine running after this process exits (CLI `start`)."""
        with self._lock:
            self._state["detached"] = True
            self._save_state()
            with _LIVE_LOCK:
                _LIVE.discard(self)
            if self._guardian is not None:
                _kill(self._guardian.pid, signal.SIGKILL)
                with contextlib.suppress(Exception):
                    self._guardian.wait(5)
                self._guardian = None

    def _engine_processes(self) -> list[int]:
        """Every live process that belongs to this engine (and only to it)."""
        d = self._state.get("base_dir")
        netns, inode = self._state.get("netns"), self._state.get("netns_inode")
        try:
            ns_alive = bool(netns) and os.stat(f"/run/netns/{netns}").st_ino == inode
        except OSError:
            ns_alive = False
        cg = self._state.get("cgroup_parent")
        me = os.getpid()
        found = []
        for pid in _all_pids():
            if pid == me or not _pid_alive(pid) or pid == self._state.get("guardian_pid"):
                continue
            if ns_alive:
                with contextlib.suppress(OSError):
                    if os.stat(f"/proc/{pid}/ns/net").st_ino == inode:
                        found.append(pid)
                        continue
            argv = _cmdline(pid)
            if d and argv and os.path.basename(argv[0]) in _ENGINE_BINARIES and any(
                    d + "/" in a or a == d for a in argv[1:]):
                found.append(pid)
                continue
            if cg:
                try:
                    with open(f"/proc/{pid}/cgroup") as f:
                        lines = f.read().splitlines()
                except OSError:
                    continue
                if any(_is_under(line.split(":", 2)[-1], cg) for line in lines):
                    found.append(pid)
        return found

    def stop(self) -> None:
        """Tear everything down; idempotent and safe after a half-failed start."""
        with self._lock:
            if self._stopped or not self._started:
                self._stopped = self._stopped or self._started
                return
            d = self._state.get("base_dir")
            errors: list[str] = []
            lock_cm = _flock(os.path.join(d, ".lock")) if d and os.path.isdir(d) \
                else contextlib.nullcontext()
            with lock_cm:
                if d and os.path.isdir(d):  # the guardian may have done it already
                    latest = IsolatedEngine.from_state(d)
                    if latest is None and os.path.exists(os.path.join(d, _STATE_FILE)):
                        self._finish_stop()
                        return
                self._teardown(errors)
            self._finish_stop()
            if errors:
                raise IsolatedEngineError("isolated engine cleanup problems:\n" + "\n".join(errors))

    def _finish_stop(self) -> None:
        self._stopped = True
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if self._guardian is not None:
            with contextlib.suppress(Exception):
                self._guardian.stdin.close()
            with contextlib.suppress(Exception):
                self._guardian.wait(10)
            self._guardian = None

    def _teardown(self, errors: list[str]) -> None:
        def step(what: str, fn: Callable[[], Any]) -> None:
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - keep tearing down
                errors.append(f"{what}: {e}")

        d = self._state.get("base_dir")
        if d and self._state.get("launcher_pid"):
            step("removing containers", self._remove_containers)
            step("stopping dockerd", lambda: self._stop_dockerd(30))
        if self._state.get("registry_pid"):
            step("stopping the registry", self._stop_registry)
        step("killing leftover engine processes", self._kill_leftovers)
        step("reaping", self._wait_children)
        if d:
            step("unmounting", lambda: self._unmount_under(d))
        if self._state.get("cgroup_parent"):
            step("removing cgroups", self._remove_cgroups)
        veth = self._state.get("veth")
        if self._state.get("veth_created") and veth and _link_exists(veth):
            step("deleting the veth", lambda: _run(["ip", "link", "del", veth]))
        netns = self._state.get("netns")
        if self._state.get("netns_created") and netns and (
                os.path.exists(f"/run/netns/{netns}") or netns in _list_netns()):
            step("deleting the namespace", lambda: _run(["ip", "netns", "del", netns]))
        if d and os.path.isdir(d):
            if self._state.get("created_dir"):
                step("removing the directory", lambda: shutil.rmtree(d))
            else:
                def tidy() -> None:
                    for name in ("exec", "run-containerd"):
                        shutil.rmtree(os.path.join(d, name), ignore_errors=True)
                    for name in ("docker.sock", "pid"):
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(os.path.join(d, name))
                    self._state["status"] = "stopped"
                    self._save_state()
                step("tidying the directory", tidy)

    def _stop_registry(self) -> None:
        pid = self._state.get("registry_pid")
        if self._registry_proc is not None:
            pid = self._registry_proc.pid
        argv = _cmdline(pid) if pid else []
        if not (argv and os.path.basename(argv[0]) in ("docker-registry", "ip")):
            return  # gone (or the pid was reused by something else)
        _kill(pid, signal.SIGTERM)
        try:
            wait_until(lambda: self._reap() or not _pid_alive(pid), 5, message="the registry")
        except TimeoutError:
            _kill(pid, signal.SIGKILL)
            wait_until(lambda: self._reap() or not _pid_alive(pid), 5, message="the registry")

    def _kill_leftovers(self) -> None:
        # the launcher (reaper) last, so that it can still reap what dies before it
        launcher = self._state.get("launcher_pid")
        spare_until = time.monotonic() + 3
        deadline = time.monotonic() + 15
        while True:
            self._reap()
            pids = self._engine_processes()
            pids += [p.pid for p in (self._dockerd, *self._old_launchers)
                     if p is not None and p.poll() is None and p.pid not in pids]
            if not pids:
                return
            if time.monotonic() < spare_until and pids != [launcher]:
                pids = [p for p in pids if p != launcher]
            if time.monotonic() > deadline:
                desc = ", ".join(f"{p} {' '.join(_cmdline(p))[:80]}" for p in pids)
                raise IsolatedEngineError(f"processes survive SIGKILL: {desc}")
            for pid in pids:
                _kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    @staticmethod
    def _unmount_under(d: str) -> None:
        for _ in range(5):
            mounts = sorted({m for m, _ in _mountinfo() if _is_under(m, d)},
                            key=lambda m: m.count("/"), reverse=True)
            if not mounts:
                return
            for m in mounts:
                if _run(["umount", m], check=False).returncode != 0:
                    _run(["umount", "-l", m], check=False)
        left = [m for m, _ in _mountinfo() if _is_under(m, d)]
        if left:
            raise IsolatedEngineError(f"still mounted: {left}")

    def _remove_cgroups(self) -> None:
        cg = self._state["cgroup_parent"].strip("/")
        problems = []
        for mountpoint, fstype in _mountinfo():
            if fstype not in ("cgroup", "cgroup2"):
                continue
            top = os.path.join(mountpoint, cg)
            if not os.path.isdir(top):
                continue
            for root, dirs, _files in os.walk(top, topdown=False):
                for name in dirs:
                    with contextlib.suppress(FileNotFoundError):
                        os.rmdir(os.path.join(root, name))
            try:
                os.rmdir(top)
            except FileNotFoundError:
                pass
            except OSError as e:
                problems.append(f"{top}: {e}")
        if problems:
            raise IsolatedEngineError("; ".join(problems))

    def leftovers(self) -> dict[str, Any]:
        """What of this engine still exists on the machine (all empty after stop())."""
        d = self._state.get("base_dir")
        netns, veth = self._state.get("netns"), self._state.get("veth")
        cg = (self._state.get("cgroup_parent") or "").strip("/")
        return {
            "processes": self._engine_processes() if self._state else [],
            "mounts": [m for m, _ in _mountinfo() if d and _is_under(m, d)],
            "netns": bool(netns) and (netns in _list_netns()),
            "veth": bool(veth) and _link_exists(veth),
            "cgroups": [os.path.join(m, cg) for m, t in _mountinfo()
                        if cg and t in ("cgroup", "cgroup2")
                        and os.path.isdir(os.path.join(m, cg))],
            "dir": bool(d) and bool(self._state.get("created_dir")) and os.path.exists(d),
        }


# --------------------------------------------------------------------------------------------
# command line


def _exports(engine: IsolatedEngine) -> str:
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in engine.env_vars.items())


def _guard_main(d: str) -> int:
    """Wait until the owner closes our stdin (or dies), then tear down what it left."""
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    with contextlib.suppress(Exception):
        while sys.stdin.buffer.read(65536):
            pass
    with _flock(os.path.join(d, ".lock")) if os.path.isdir(d) else contextlib.nullcontext():
        engine = IsolatedEngine.from_state(d)
        if engine is None or engine._state.get("detached"):
            return 0
        owner = engine._state.get("owner_pid")
        print(f"isolated_engine guardian: owner {owner} went away; cleaning up {d}",
              file=sys.stderr)
        engine._state["guardian_pid"] = os.getpid()
    engine.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="isolated_engine.py", description="An isolated dockerd for Berth's tests.",
        epilog="See the module docstring for details.")
    sub = parser.add_subparsers(dest="cmd", required=True,
                                metavar="{run,start,stop,env,status}")
    p_run = sub.add_parser("run", help="start an engine, run COMMAND against it, stop it")
    p_run.add_argument("--dir", help="engine directory (default: a temp dir, removed after)")
    p_run.add_argument("--no-registry", action="store_true")
    p_run.add_argument("--busybox", action="store_true", help=f"preload {BUSYBOX_TAG}")
    p_run.add_argument("command", nargs=argparse.REMAINDER)
    p_start = sub.add_parser("start", help="start a detached engine; print shell exports")
    p_start.add_argument("--dir", required=True)
    p_start.add_argument("--no-registry", action="store_true")
    p_start.add_argument("--busybox", action="store_true", help=f"preload {BUSYBOX_TAG}")
    for name, text in (("stop", "stop the engine recorded in DIR"),
                       ("env", "print the shell exports of the engine in DIR"),
                       ("status", "say whether the engine in DIR answers")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--dir", required=True)
    p_guard = sub.add_parser("_guard")
    p_guard.add_argument("--dir", required=True)
    args = parser.parse_args(argv)

    if args.cmd == "_guard":
        return _guard_main(args.dir)

    try:
        if args.cmd == "run":
            command = args.command[1:] if args.command[:1] == ["--"] else args.command
            if not command:
                parser.error("run needs a COMMAND after --")
            with IsolatedEngine(args.dir, registry=not args.no_registry) as engine:
                if args.busybox:
                    engine.ensure_busybox_base()
                try:
                    child = subprocess.Popen(command, env=engine.env)
                except OSError as e:
                    print(f"isolated_engine: cannot run {command[0]}: {e}", file=sys.stderr)
                    return 127

                def forward(signum: int, _frame: object) -> None:
                    _kill(child.pid, signum)

                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(sig, forward)
                code = child.wait()
            return 128 - code if code < 0 else code
        if args.cmd == "start":
            engine = IsolatedEngine(args.dir, registry=not args.no_registry, guard=False)
            engine.start()
            if args.busybox:
                engine.ensure_busybox_base()
            engine.detach()
            print(f"# isolated engine {engine.netns} (dockerd pid {engine.pid}) in "
                  f"{engine.base_dir}; stop with: python {os.path.abspath(__file__)} stop "
                  f"--dir {shlex.quote(engine.base_dir)}", file=sys.stderr)
            sys.stdout.write(_exports(engine))
            return 0
        engine = IsolatedEngine.from_state(os.path.abspath(args.dir))
        if engine is None:
            print(f"no running engine recorded in {args.dir}", file=sys.stderr)
            return 0 if args.cmd == "stop" else 1
        if args.cmd == "stop":
            engine.stop()
            return 0
        if args.cmd == "env":
            sys.stdout.write(_exports(engine))
            return 0
        if args.cmd == "status":
            ok = engine.ping()
            print(f"{engine.netns}: dockerd pid {engine.pid} "
                  f"{'answers' if ok else 'does NOT answer'} on {engine.docker_host}")
            return 0 if ok else 1
    except IsolatedEngineUnavailable as e:
        print(f"isolated engine unavailable: {e}", file=sys.stderr)
        return 2
    except IsolatedEngineError as e:
        print(f"isolated engine error: {e}", file=sys.stderr)
        return 1
    return 1


if __name__ == "__main__":
    sys.exit(main())
