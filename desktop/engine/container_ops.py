"""Lifecycle actions on one or many containers (start, stop, restart, pause, unpause, kill,
remove), rename, and pruning stopped containers with a preview.

An action on many runs on a few containers at once, as ``docker stop a b c`` does (a stop can wait
out its timeout), and every container gets its own outcome: one that fails does not stop the
rest. Each worker thread has its own client, since an SDK client must not be shared between
threads.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable

from desktop.engine.cancel import CancelToken, shutdown_on_cancel
from desktop.engine.containers import ContainerRow, rows_from_api
from desktop.engine.errors import BerthError, Cancelled, translate
from desktop.engine.run_spec import validate_name

# action -> (past tense for outcomes, "-ing" form for progress)
ACTIONS = {
    "start": ("started", "Starting"),
    "stop": ("stopped", "Stopping"),
    "restart": ("restarted", "Restarting"),
    "pause": ("paused", "Pausing"),
    "unpause": ("unpaused", "Resuming"),
    "kill": ("killed", "Killing"),
    "remove": ("removed", "Removing"),
}
SIGNALS = ("SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGSTOP", "SIGCONT",
           "SIGWINCH")
STOPPED_STATES = ("created", "exited", "dead")  # what ``docker container prune`` removes


@dataclass(frozen=True)
class Target:
    id: str
    name: str

    @classmethod
    def of(cls, row: ContainerRow) -> "Target":
        return cls(row.id, row.name)


@dataclass(frozen=True)
class Outcome:
    id: str
    name: str
    ok: bool
    message: str  # for a failure, why (the engine's words, after the container's name)


@dataclass(frozen=True)
class OpsReport:
    action: str
    outcomes: tuple[Outcome, ...]

    @property
    def succeeded(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.ok)

    @property
    def problems(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def summary(self) -> str:
        done, total = len(self.succeeded), len(self.outcomes)
        past = ACTIONS.get(self.action, (self.action + "ed",))[0]
        noun = "container" if total == 1 else "containers"
        if done == total:
            return f"{past.capitalize()} {total} {noun}"
        return f"{past.capitalize()} {done} of {total} {noun}"


def valid_signal(signal: str) -> bool:
    """A signal the engine accepts: a name (with or without SIG) or a number from 1 to 64."""
    text = (signal or "").strip().upper()
    if text.isdigit():
        return 1 <= int(text) <= 64
    text = text if text.startswith("SIG") else f"SIG{text}"
    return text in SIGNALS or text in ("SIGALRM", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGPIPE", "SIGCHLD",
                                       "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGIO",
                                       "SIGPWR", "SIGSYS", "SIGABRT", "SIGBUS", "SIGFPE", "SIGILL",
                                       "SIGSEGV", "SIGTRAP")


def _act(client, action: str, target: Target, timeout: int | None, signal: str | None, force: bool,
         volumes: bool) -> None:
    api = client.api
    if action == "start":
        api.start(target.id)
    elif action == "stop":
        api.stop(target.id, timeout=timeout)
    elif action == "restart":
        api.restart(target.id, timeout=10 if timeout is None else timeout)
    elif action == "pause":
        api.pause(target.id)
    elif action == "unpause":
        api.unpause(target.id)
    elif action == "kill":
        api.kill(target.id, signal=signal or "SIGKILL")
    elif action == "remove":  # a cancel shuts the request down (apply_action's shutdown_on_cancel)
        api.remove_container(target.id, force=force, v=volumes)
    else:
        raise BerthError(f"Unknown container action “{action}”.")


def _outcome(client, action: str, target: Target, token: CancelToken | None = None, **options) -> Outcome:
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    past = ACTIONS[action][0]
    try:
        _act(client, action, target, **options)
    except docker.errors.NotFound as exc:
        if action == "remove" and "No such container" in str(exc.explanation or exc):
            return Outcome(target.id, target.name, True, "was already gone")
        return Outcome(target.id, target.name, False, f"{target.name}: {translate(exc)}")
    except Exception as exc:  # every container gets its outcome; the rest go on
        if token is not None and token.cancelled:
            return Outcome(target.id, target.name, False, f"{target.name}: cancelled while the engine was at it: "
                                                          "it may or may not be done")
        return Outcome(target.id, target.name, False, f"{target.name}: {translate(exc)}")
    return Outcome(target.id, target.name, True, past)


def apply_action(new_client: Callable[[], object], action: str, targets: Iterable[Target], *,
                 timeout: int | None = None, signal: str | None = None, force: bool = False,
                 volumes: bool = False, parallel: int = 8, token: CancelToken | None = None,
                 on_progress: Callable[[int, int, str], None] | None = None) -> OpsReport:
    """Do *action* on every target, up to *parallel* at a time, each worker with a client from
    *new_client* (closed afterwards). Cancel stops starting new ones and shuts down the requests
    under way (a stop waits out its timeout, a stalled engine never answers): then Cancelled."""
    if action not in ACTIONS:
        raise BerthError(f"Unknown container action “{action}”.")
    if action == "kill" and signal and not valid_signal(signal):
        raise BerthError(f"“{signal}” is not a signal the engine knows (e.g. SIGKILL, SIGTERM, SIGHUP or 1–64).")
    if timeout is not None and timeout < 0:
        raise BerthError("The stop timeout cannot be negative.")
    targets = list(targets)
    options = dict(timeout=timeout, signal=signal, force=force, volumes=volumes)
    progress = on_progress or (lambda done, total, text: None)
    local = threading.local()
    clients: list = []
    lock = threading.Lock()
    watching = contextlib.ExitStack()  # every worker's client: cancel shuts its requests down
    done = 0
    verb = ACTIONS[action][1]

    def work(target: Target) -> Outcome | None:
        nonlocal done
        if token is not None and token.cancelled:
            return None
        client = getattr(local, "client", None)
        if client is None:
            client = new_client()
            local.client = client
            with lock:
                clients.append(client)
                watching.enter_context(shutdown_on_cancel(client.api, token))
        outcome = _outcome(client, action, target, token=token, **options)
        with lock:
            done += 1
            progress(done, len(targets), f"{verb} {target.name}")
        return outcome

    progress(0, len(targets), f"{verb} {len(targets)} container{'s' if len(targets) != 1 else ''}")
    try:
        if len(targets) <= 1 or parallel <= 1:
            results = [work(t) for t in targets]
        else:
            with ThreadPoolExecutor(max_workers=min(parallel, len(targets))) as pool:
                results = list(pool.map(work, targets))
    finally:
        watching.close()
        for client in clients:
            try:
                client.close()
            except Exception:
                pass
    outcomes = tuple(r for r in results if r is not None)
    if token is not None and token.cancelled:
        raise Cancelled(cancelled_summary(action, len(targets), outcomes))
    return OpsReport(action, outcomes)


def cancelled_summary(action: str, total: int, outcomes: Iterable[Outcome]) -> str:
    """What a cancel left behind, container by container counted: "Cancelled: removed 2 of 5
    containers; 1 was cut short (it may or may not be done); 2 were not started"."""
    outcomes = list(outcomes)
    past = ACTIONS.get(action, (action + "ed",))[0]
    cut = sum(1 for o in outcomes if not o.ok and "cancelled while" in o.message)
    done = sum(1 for o in outcomes if o.ok)
    failed = len(outcomes) - done - cut
    parts = [f"Cancelled: {past} {done} of {total} container{'s' if total != 1 else ''}"]
    if cut:
        parts.append(f"{cut} {'was' if cut == 1 else 'were'} cut short (it may or may not be done)")
    if failed:
        parts.append(f"{failed} refused")
    if total - len(outcomes):
        parts.append(f"{total - len(outcomes)} {'was' if total - len(outcomes) == 1 else 'were'} not started")
    return "; ".join(parts)


def rename_container(client, container_id: str, new_name: str) -> str:
    """Rename, checked as the engine checks names; returns the new name."""
    name = validate_name(new_name.strip())
    if not name:
        raise BerthError("Type a new name for the container.")
    try:
        client.api.rename(container_id, name)
    except Exception as exc:
        raise translate(exc, f"rename the container to {name}") from exc
    return name


@dataclass(frozen=True)
class PruneCandidate:
    row: ContainerRow
    size: int  # bytes its writable layer holds (freed by removing it)


def preview_prune(client) -> list[PruneCandidate]:
    """The stopped containers ``docker container prune`` would remove, with their sizes."""
    try:
        items = client.api.containers(all=True, size=True, filters={"status": list(STOPPED_STATES)})
    except Exception as exc:
        raise translate(exc, "list the stopped containers") from exc
    sizes = {item.get("Id", ""): int(item.get("SizeRw") or 0) for item in items}
    rows = sorted(rows_from_api(items), key=lambda r: r.created, reverse=True)
    return [PruneCandidate(row, sizes.get(row.id, 0)) for row in rows]


def prune(new_client: Callable[[], object], candidates: Iterable[PruneCandidate],
          token: CancelToken | None = None,
          on_progress: Callable[[int, int, str], None] | None = None) -> tuple[OpsReport, int]:
    """Remove exactly the previewed containers (never by force: one started since the preview is
    refused and reported); returns the report and the bytes freed."""
    candidates = list(candidates)
    report = apply_action(new_client, "remove", [Target.of(c.row) for c in candidates], force=False,
                          token=token, on_progress=on_progress)
    removed = {o.id for o in report.succeeded}
    return report, sum(c.size for c in candidates if c.row.id in removed)
