"""``docker system df``: what images, containers, volumes and the build cache take on disk.

One ``/system/df`` request, which the engine answers by measuring every container's writable
layer and every volume: seconds on a big engine. Callers ask for it when a person looks, never
on a listing refresh. Each line is computed the way the docker CLI computes its row, so the
figures match what ``docker system df`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.engine.errors import translate

ACTIVE_CONTAINER_STATES = ("running", "paused", "restarting")  # the CLI's test, by substring


@dataclass(frozen=True)
class UsageLine:
    """One row of ``docker system df``."""

    kind: str  # "Images", "Containers", "Local Volumes", "Build Cache"
    total_count: int
    active: int
    size: int  # bytes
    reclaimable: int  # bytes

    @property
    def reclaimable_percent(self) -> int | None:
        """Share of the size that is reclaimable, rounded down like the CLI (None for an empty size)."""
        return self.reclaimable * 100 // self.size if self.size > 0 else None


@dataclass(frozen=True)
class DiskUsage:
    images: UsageLine
    containers: UsageLine
    volumes: UsageLine
    build_cache: UsageLine

    @property
    def lines(self) -> tuple[UsageLine, ...]:
        return (self.images, self.containers, self.volumes, self.build_cache)


def _known(value) -> int | None:
    return None if value is None or int(value) < 0 else int(value)  # -1: the engine did not compute it


def images_line(df: dict) -> UsageLine:
    """Size is every layer once (``LayersSize``); reclaimable is that minus what images in use
    hold for themselves (Size - SharedSize), the CLI's own arithmetic."""
    images = df.get("Images") or []
    total = int(df.get("LayersSize") or 0)
    used = 0
    for image in images:
        if (image.get("Containers") or 0) > 0:
            size, shared = _known(image.get("Size")), _known(image.get("SharedSize"))
            if size is not None and shared is not None:
                used += size - shared
    active = sum(1 for image in images if (image.get("Containers") or 0) > 0)
    return UsageLine("Images", len(images), active, total, total - used)


def containers_line(df: dict) -> UsageLine:
    containers = df.get("Containers") or []

    def is_active(c: dict) -> bool:
        return any(state in (c.get("State") or "") for state in ACTIVE_CONTAINER_STATES)

    size = sum(_known(c.get("SizeRw")) or 0 for c in containers)
    reclaimable = sum(_known(c.get("SizeRw")) or 0 for c in containers if not is_active(c))
    return UsageLine("Containers", len(containers), sum(1 for c in containers if is_active(c)), size, reclaimable)


def volumes_line(df: dict) -> UsageLine:
    volumes = df.get("Volumes") or []
    size = reclaimable = active = 0
    for volume in volumes:
        usage = volume.get("UsageData") or {}
        refs = _known(usage.get("RefCount")) or 0
        bytes_ = _known(usage.get("Size")) or 0
        active += refs > 0
        size += bytes_
        if refs == 0:
            reclaimable += bytes_
    return UsageLine("Local Volumes", len(volumes), active, size, reclaimable)


def build_cache_line(df: dict) -> UsageLine:
    records = df.get("BuildCache") or []
    size = sum(int(r.get("Size") or 0) for r in records if not r.get("Shared"))
    in_use = sum(int(r.get("Size") or 0) for r in records if r.get("InUse") and not r.get("Shared"))
    builder = int(df.get("BuilderSize") or 0)
    return UsageLine("Build Cache", len(records), sum(1 for r in records if r.get("InUse")), size,
                     max(0, builder - in_use))


def usage_from_api(df: dict) -> DiskUsage:
    """Turn a ``/system/df`` answer into the CLI's four rows (pure)."""
    return DiskUsage(images_line(df), containers_line(df), volumes_line(df), build_cache_line(df))


def disk_usage(client) -> DiskUsage:
    """Ask the engine what its objects take on disk (slow on big engines: call it in a worker)."""
    try:
        df = client.api.df()
    except Exception as exc:
        raise translate(exc, "measure disk usage") from exc
    return usage_from_api(df)
