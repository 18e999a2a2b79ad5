"""More registries beside an isolated engine: TLS with basic auth, token auth, throwaway ones.

The plain registry ``IsolatedEngine`` starts is on 127.0.0.1 for the engine, where the engine
never checks TLS or asks for credentials. Signing in, TLS trust and bearer tokens need
registries the engine treats like a real one, so these listen on the namespace's own
(non-loopback) address:

* ``RegistryProcess(engine, tls=True, users={...})`` — HTTPS with htpasswd basic auth; the CA
  made here (``make_ca``) is put in the engine's private ``certs.d/HOST:PORT/ca.crt``, so the
  engine trusts it and nothing else on the machine does;
* ``RegistryProcess(engine, token=TokenServer(...))`` — plain HTTP (the engine reaches it on
  127.0.0.1) with ``auth: token``; ``TokenServer`` is a small token service in the same namespace
  that checks basic credentials, signs RS256 JWTs with ``openssl`` and logs every request it
  answers (``requests()``), so a test can count how often a client asked;
* ``RegistryProcess(engine)`` — a plain one of its own that a test may stop, kill or freeze
  (``pid``) mid-operation without disturbing the shared registry.

Every process runs inside the engine's network namespace, so the engine's teardown kills whatever
a crashed test leaves. Stdlib and the ``openssl``/``htpasswd`` commands only.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
from typing import TYPE_CHECKING

from isolated_engine import IsolatedEngineError, _http_get, _kill, _path_env, _pid_alive, _run, wait_until

if TYPE_CHECKING:
    from isolated_engine import IsolatedEngine

__all__ = ["RegistryProcess", "TokenServer", "make_ca", "make_server_cert"]

_PORTS = itertools.count(5100)
_PORTS_LOCK = threading.Lock()


def next_port() -> int:
    with _PORTS_LOCK:
        return next(_PORTS)


def _openssl(*args: str, cwd: str) -> None:
    _run(["openssl", *args], cwd=cwd)


def make_ca(directory: str, name: str = "Berth test CA") -> tuple[str, str]:
    """A throwaway certificate authority: (ca.crt, ca.key) in *directory*."""
    os.makedirs(directory, exist_ok=True)
    crt, key = os.path.join(directory, "ca.crt"), os.path.join(directory, "ca.key")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", crt, "-days", "3", "-subj", f"/CN={name}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=directory)
    return crt, key


def make_server_cert(directory: str, ca: tuple[str, str], ip: str, name: str = "server") -> tuple[str, str]:
    """A server certificate for *ip* signed by *ca*: (cert, key) in *directory*."""
    crt, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    csr, ext = os.path.join(directory, f"{name}.csr"), os.path.join(directory, f"{name}.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=IP:{ip}\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
             "-out", csr, "-subj", f"/CN={ip}", cwd=directory)
    _openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial", "-out", crt,
             "-days", "3", "-extfile", ext, cwd=directory)
    return crt, key


def _htpasswd(users: dict[str, str]) -> str:
    lines = []
    for user, password in users.items():
        out = _run(["htpasswd", "-Bbn", user, password]).stdout
        lines.append(out.decode() if isinstance(out, bytes) else out)
    return "".join(line.strip() + "\n" for line in lines)


class _NamespaceProcess:
    """A process in the engine's namespace, with its log in its own directory."""

    def __init__(self, engine: "IsolatedEngine", name: str):
        self.engine = engine
        self.name = name
        self.dir = os.path.join(engine.base_dir, "registries", name)
        os.makedirs(self.dir, exist_ok=True)
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def _spawn(self, argv: list[str]) -> None:
        log = open(os.path.join(self.dir, "log"), "ab")
        try:
            self.proc = subprocess.Popen(["ip", "netns", "exec", self.engine.netns, *argv],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         cwd=self.dir, start_new_session=True,
                                         env={"PATH": _path_env(), "HOME": self.dir, "LANG": "C.UTF-8"})
        finally:
            log.close()

    def _wait_ready(self, url: str, ready_statuses: tuple[int, ...]) -> None:
        def ready() -> bool:
            if self.proc is None or self.proc.poll() is not None:
                raise IsolatedEngineError(f"{self.name} exited during start; see {self.dir}/log:\n{self.log()}")
            try:
                return _http_get(url, timeout=1)[0] in ready_statuses
            except OSError:
                return False

        wait_until(ready, 30, message=f"{self.name} at {url}")

    def log(self) -> str:
        with contextlib.suppress(OSError), open(os.path.join(self.dir, "log"), "rb") as f:
            return f.read()[-4000:].decode("utf-8", "replace")
        return ""

    def kill(self) -> None:
        """Gone at once, as a registry that crashes (connections reset)."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def _end(self, sig: int) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            _kill(proc.pid, signal.SIGCONT)  # a frozen one must be able to die
            _kill(proc.pid, sig)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                _kill(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.proc = None


_TOKEN_SERVER = r'''
import base64, http.server, json, os, subprocess, sys, time, urllib.parse
port, key, cert, users_file, log_file, issuer = sys.argv[1:7]
users = json.load(open(users_file))
with open(cert) as f:
    pem = "".join(l for l in f.read().splitlines() if "CERTIFICATE" not in l)

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [pem]}
    head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=head.encode(),
                         capture_output=True, check=True).stdout
    return head + "." + b64(sig)

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if users.get(name) != password:
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED","message":"wrong user name or password"}]}')
                with open(log_file, "a") as f:
                    f.write(json.dumps({"user": name, "scope": query.get("scope", []), "ok": False}) + "\n")
                return
            user = name
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            allowed = [a for a in actions.split(",") if user or a == "pull"] if kind == "repository" else (
                ["*"] if user else [])
            if allowed:
                access.append({"type": kind, "name": name, "actions": allowed})
        now = int(time.time())
        claims = {"iss": issuer, "sub": user or "", "aud": query.get("service", [""])[0], "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(), "access": access}
        token = sign(claims)
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300,
                           "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}).encode()
        with open(log_file, "a") as f:
            f.write(json.dumps({"user": user, "scope": query.get("scope", []), "ok": True}) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

http.server.ThreadingHTTPServer(("0.0.0.0", int(port)), Handler).serve_forever()
'''


class TokenServer(_NamespaceProcess):
    """A token service for ``auth: token`` registries (see the module docstring)."""

    SERVICE = "berth-test-registry"
    ISSUER = "berth-test-token-server"

    def __init__(self, engine: "IsolatedEngine", users: dict[str, str], name: str = "token-server"):
        super().__init__(engine, name)
        self.users = dict(users)
        self.port = next_port()
        self.cert = os.path.join(self.dir, "token.crt")
        self.key = os.path.join(self.dir, "token.key")
        self.log_file = os.path.join(self.dir, "requests.jsonl")

    @property
    def realm(self) -> str:
        return f"http://{self.engine.ns_address}:{self.port}/token"

    def start(self) -> "TokenServer":
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key, "-out", self.cert,
                 "-days", "3", "-subj", "/CN=Berth test token signer", cwd=self.dir)
        users_file = os.path.join(self.dir, "users.json")
        with open(users_file, "w") as f:
            json.dump(self.users, f)
        script = os.path.join(self.dir, "token_server.py")
        with open(script, "w") as f:
            f.write(_TOKEN_SERVER)
        self._spawn([sys.executable, "-S", script, str(self.port), self.key, self.cert, users_file,
                     self.log_file, self.ISSUER])
        self._wait_ready(f"{self.realm}?service={self.SERVICE}", (200,))
        self.clear_requests()
        return self

    def requests(self) -> list[dict]:
        """Every token request answered so far: {"user", "scope": [..], "ok"}."""
        try:
            with open(self.log_file) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def clear_requests(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.log_file)


class RegistryProcess(_NamespaceProcess):
    """A ``docker-registry`` in the engine's namespace (see the module docstring).

    ``host`` is its address for the test process; ``for_engine`` the one to use in image
    references (127.0.0.1:PORT when plain HTTP, else the namespace address, where the engine
    verifies TLS)."""

    def __init__(self, engine: "IsolatedEngine", *, tls: bool = False, users: dict[str, str] | None = None,
                 token: TokenServer | None = None, delete: bool = True, name: str | None = None):
        self.port = next_port()
        super().__init__(engine, name or f"registry-{self.port}")
        self.tls = tls
        self.users = dict(users or {})
        self.token = token
        self.delete = delete
        self.ca_file: str | None = None
        self._config = os.path.join(self.dir, "config.json")

    @property
    def host(self) -> str:
        return f"{self.engine.ns_address}:{self.port}"

    @property
    def for_engine(self) -> str:
        return self.host if self.tls else f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    @property
    def username(self) -> str:
        return next(iter(self.users), "")

    @property
    def password(self) -> str:
        return self.users.get(self.username, "")

    def start(self) -> "RegistryProcess":
        config: dict = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": os.path.join(self.dir, "data")},
                        "delete": {"enabled": self.delete}},
            "http": {"addr": f"0.0.0.0:{self.port}", "secret": secrets.token_hex(16)},
        }
        if self.tls:
            ca = make_ca(os.path.join(self.dir, "ca"))
            cert, key = make_server_cert(self.dir, ca, self.engine.ns_address)
            config["http"]["tls"] = {"certificate": cert, "key": key}
            self.ca_file = ca[0]
            trusted = os.path.join(self.engine.certs_dir, self.host)
            os.makedirs(trusted, exist_ok=True)
            shutil.copyfile(ca[0], os.path.join(trusted, "ca.crt"))
        if self.token is not None:
            config["auth"] = {"token": {"realm": self.token.realm, "service": TokenServer.SERVICE,
                                        "issuer": TokenServer.ISSUER, "rootcertbundle": self.token.cert}}
        elif self.users:
            htpasswd = os.path.join(self.dir, "htpasswd")
            with open(htpasswd, "w") as f:
                f.write(_htpasswd(self.users))
            config["auth"] = {"htpasswd": {"realm": "Berth test registry", "path": htpasswd}}
        with open(self._config, "w") as f:
            json.dump(config, f)  # JSON is YAML
        self._spawn(["docker-registry", "serve", self._config])
        if self.tls:  # the test process does not trust the CA: ask the namespace's own curl-free way
            self._wait_listening()
        else:
            self._wait_ready(f"{self.url}/v2/", (200, 401))
        return self

    def _wait_listening(self) -> None:
        import socket

        def ready() -> bool:
            if self.proc is None or self.proc.poll() is not None:
                raise IsolatedEngineError(f"{self.name} exited during start; see {self.dir}/log:\n{self.log()}")
            with contextlib.suppress(OSError), socket.create_connection((self.engine.ns_address, self.port), 1):
                return True
            return False

        wait_until(ready, 30, message=f"{self.name} at {self.url}")

    def restart(self) -> "RegistryProcess":
        """Start again on the same port with the same data (after stop or kill)."""
        if self.pid is None:
            self._spawn(["docker-registry", "serve", self._config])
            if self.tls:
                self._wait_listening()
            else:
                self._wait_ready(f"{self.url}/v2/", (200, 401))
        return self

    def freeze(self) -> None:
        """SIGSTOP: it keeps its connections open and answers nothing (always thaw() after)."""
        if self.pid is not None:
            os.kill(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.pid is not None and _pid_alive(self.pid):
            os.kill(self.pid, signal.SIGCONT)
