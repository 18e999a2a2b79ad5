"""Resource usage of containers, computed exactly as ``docker stats`` computes it.

CPU % is the container's share of the whole machine's CPU time between two samples, times the
number of online CPUs (so one busy core shows 100 %). Memory is the usage less the page cache
that can be dropped (``total_inactive_file`` on cgroup v1, ``inactive_file`` on v2), against the
limit. Network and block I/O are totals since the container started.

Two ways to get samples:
- ``stream_stats`` follows one container (the Stats tab): the engine sends a sample a second,
  with the previous one inside, until the response is closed (``api.stats()`` has no close, so
  the request is made here and cancel closes its socket);
- ``StatsSampler`` samples many containers once a round (the list's compact column): one-shot
  requests, a few at a time, CPU % taken against the previous round.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable

from desktop.engine.cancel import CancelToken
from desktop.engine import local_json
from desktop.engine.errors import Cancelled, translate
from desktop.engine.raw_stream import close_response, open_stream


PRIME_S = 1.0  # the most a container newly in view waits for its second sample (its first CPU %)


@dataclass(frozen=True)
class StatsSample:
    container_id: str
    read: str  # the engine's time of the sample (RFC 3339)
    cpu_percent: float
    memory_usage: int  # bytes, cache excluded
    memory_limit: int  # bytes (the machine's memory when the container has no limit)
    net_rx: int  # bytes received, all interfaces
    net_tx: int
    block_read: int
    block_write: int
    pids: int
    cpu_total: int = 0  # raw counters, for CPU % against a later one-shot sample
    system_total: int = 0
    online_cpus: int = 0

    @property
    def memory_percent(self) -> float:
        return 100.0 * self.memory_usage / self.memory_limit if self.memory_limit else 0.0


def memory_usage(memory_stats: dict) -> int:
    """The CLI's calculateMemUsageUnixNoCache."""
    usage = int(memory_stats.get("usage") or 0)
    stats = memory_stats.get("stats") or {}
    if "total_inactive_file" in stats and stats["total_inactive_file"] < usage:  # cgroup v1
        return usage - int(stats["total_inactive_file"])
    inactive = int(stats.get("inactive_file") or 0)  # cgroup v2
    if inactive < usage:
        return usage - inactive
    return usage


def cpu_percent(cpu_total: int, system_total: int, previous_cpu: int, previous_system: int, online_cpus: int) -> float:
    """The CLI's calculateCPUPercentUnix."""
    cpu_delta = cpu_total - previous_cpu
    system_delta = system_total - previous_system
    if system_delta > 0 and cpu_delta > 0:
        return cpu_delta / system_delta * online_cpus * 100.0
    return 0.0


def _block_io(blkio: dict) -> tuple[int, int]:
    read = write = 0
    for entry in blkio.get("io_service_bytes_recursive") or []:
        op = str(entry.get("op") or "").lower()
        if op.startswith("r"):
            read += int(entry.get("value") or 0)
        elif op.startswith("w"):
            write += int(entry.get("value") or 0)
    return read, write


def sample_from_api(container_id: str, raw: dict, previous: StatsSample | None = None) -> StatsSample:
    """One sample from a ``/containers/{id}/stats`` answer. CPU % uses ``precpu_stats`` when the
    engine filled it (streams), else *previous* (one-shot rounds)."""
    cpu = raw.get("cpu_stats") or {}
    precpu = raw.get("precpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    total = int(usage.get("total_usage") or 0)
    system = int(cpu.get("system_cpu_usage") or 0)
    online = int(cpu.get("online_cpus") or 0) or len(usage.get("percpu_usage") or ()) or 1
    pre_total = int((precpu.get("cpu_usage") or {}).get("total_usage") or 0)
    pre_system = int(precpu.get("system_cpu_usage") or 0)
    if not pre_system and previous is not None:
        pre_total, pre_system = previous.cpu_total, previous.system_total
    percent = cpu_percent(total, system, pre_total, pre_system, online) if pre_system else 0.0
    memory = raw.get("memory_stats") or {}
    rx = tx = 0
    for net in (raw.get("networks") or {}).values():
        rx += int(net.get("rx_bytes") or 0)
        tx += int(net.get("tx_bytes") or 0)
    block_read, block_write = _block_io(raw.get("blkio_stats") or {})
    return StatsSample(
        container_id=container_id,
        read=str(raw.get("read") or ""),
        cpu_percent=percent,
        memory_usage=memory_usage(memory),
        memory_limit=int(memory.get("limit") or 0),
        net_rx=rx,
        net_tx=tx,
        block_read=block_read,
        block_write=block_write,
        pids=int((raw.get("pids_stats") or {}).get("current") or 0),
        cpu_total=total,
        system_total=system,
        online_cpus=online,
    )


def stream_stats(client, container_id: str, token: CancelToken, on_sample: Callable[[StatsSample], None]) -> None:
    """Call *on_sample* about once a second until *token* is cancelled (raises Cancelled) or the
    container stops (returns). *client* must be private to this call."""
    response = open_stream(client, "/containers/{0}/stats", container_id, params={"stream": True},
                           action="read the container's resource usage")
    unregister = token.on_cancel(lambda: close_response(response))
    try:
        for line in response.iter_lines(chunk_size=1):
            if token.cancelled:
                break
            if not line:
                continue
            raw = json.loads(line)
            if not raw.get("read", "").startswith("0001-") and (raw.get("cpu_stats") or {}).get("system_cpu_usage"):
                on_sample(sample_from_api(container_id, raw))
    except Exception as exc:
        if not token.cancelled:
            raise translate(exc, "read the container's resource usage") from exc
    finally:
        unregister()
        close_response(response)
    token.raise_if_cancelled()


class StatsSampler:
    """Samples a changing set of containers, round after round.

    A one-shot request waits for the engine's next collection tick (once a second), and
    concurrent requests share that tick, so a round asks for up to *parallel* containers at once
    and takes about a second per *parallel* containers. ``set_wanted`` and ``set_period`` are
    called from any thread (the list says which running containers are on screen, and how often it
    wants them: less often while its window is not the active one); ``run`` blocks in the caller's
    thread until the token is cancelled."""

    def __init__(self, new_client: Callable[[], object], parallel: int = 16, period: float = 2.0):
        self._new_client = new_client
        self._parallel = parallel
        self._period = period
        self._lock = threading.Lock()
        self._wanted: tuple[str, ...] = ()
        self._wake = threading.Event()
        self._previous: dict[str, StatsSample] = {}

    def set_wanted(self, container_ids: Iterable[str]) -> None:
        ids = tuple(dict.fromkeys(container_ids))
        with self._lock:
            changed = set(ids) - set(self._wanted)
            self._wanted = ids
        if changed:
            self._wake.set()

    def wanted(self) -> tuple[str, ...]:
        with self._lock:
            return self._wanted

    @property
    def period(self) -> float:
        """Seconds from the start of one round to the start of the next."""
        with self._lock:
            return self._period

    def set_period(self, seconds: float) -> None:
        """Sample every *seconds* from now on; a shorter period starts the next round at once
        (the user came back to the window: fresh figures now, not in a while)."""
        with self._lock:
            shorter = seconds < self._period
            self._period = seconds
        if shorter:
            self._wake.set()

    def _fetcher(self, clients: list, lock: threading.Lock) -> Callable[[str], dict]:
        """One thread's way to ask for a container's figures: plain http.client on a local
        socket (a fifth of the CPU of an SDK request, see ``local_json``), else the SDK."""
        client = self._new_client()
        light = local_json.json_getter(client)
        with lock:
            clients.append(client)
            if light is not None:
                clients.append(light)
        if light is not None:
            return lambda container_id: light.get("/containers/{0}/stats", container_id, stream=0, **{"one-shot": 1})
        return lambda container_id: client.api.stats(container_id, stream=False, one_shot=True)

    def run(self, token: CancelToken, on_samples: Callable[[dict[str, StatsSample]], None]) -> None:
        local = threading.local()
        clients: list = []
        lock = threading.Lock()
        token.on_cancel(self._wake.set)

        def sample(container_id: str) -> StatsSample | None:
            if token.cancelled:
                return None
            fetch = getattr(local, "fetch", None)
            if fetch is None:
                fetch = local.fetch = self._fetcher(clients, lock)
            try:
                raw = fetch(container_id)
            except Exception:
                return None  # stopped or removed between rounds: the list will say so
            if not (raw.get("cpu_stats") or {}).get("system_cpu_usage"):
                return None
            return sample_from_api(container_id, raw, self._previous.get(container_id))

        try:
            with ThreadPoolExecutor(max_workers=self._parallel) as pool:
                while not token.cancelled:
                    started = time.monotonic()
                    ids = self.wanted()
                    self._wake.clear()
                    results = {}
                    for container_id, result in zip(ids, pool.map(sample, ids)):
                        if result is not None:
                            results[container_id] = result
                    if token.cancelled:
                        break
                    known = {i: s for i, s in results.items() if i in self._previous}
                    self._previous = results
                    if known:
                        on_samples(known)
                    # a container measured for the first time has no CPU % until a second look:
                    # take it at once (the request waits for the engine's next tick), then slow down
                    period = self.period if len(known) == len(results) else min(self.period, PRIME_S)
                    rest = period - (time.monotonic() - started)
                    if rest > 0:
                        self._wake.wait(rest)
        finally:
            for client in clients:
                try:
                    client.close()
                except Exception:
                    pass
        raise Cancelled()
