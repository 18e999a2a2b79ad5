"""Work functions behind Pull and Push, the push guard and the look-ups their dialogs need.

A pull or push can run for many minutes, so each uses a private client without a timeout (the
watchdog in ``distribution`` ends a stalled one), closed when it ends; a cancel shuts its
sockets down. Each layer that changes is handed to ``emit`` (the dialog's per-layer rows) and the
overall progress to the activity centre, in bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop.engine import distribution, registry_list
from desktop.engine.connection import ClientFactory
from desktop.engine.distribution import STALL_AFTER, GuardVerdict, TransferProgress, TransferResult
from desktop.engine.errors import BerthError
from desktop.tasks import registry_browse_tasks
from desktop.tasks.task import TaskContext

# tests shorten the watchdog's patience here (seconds without progress before a transfer is stopped)
stall_after = STALL_AFTER


def _reporter(ctx: TaskContext, verb: str, reference: str) -> Callable[[TransferProgress], None]:
    def report(progress: TransferProgress) -> None:
        layers = progress.layers
        finished = sum(1 for layer in layers if layer.finished)
        text = f"{verb} {reference}"
        if layers:
            text += f": {finished} of {len(layers)} layers done"
        if progress.total_bytes and progress.fraction is not None:
            ctx.progress(progress.fraction * progress.total_bytes, progress.total_bytes, text, unit="bytes")
        else:
            ctx.progress(0, None, text)
    return report


def _engine_here(factory: ClientFactory) -> bool:
    """The engine listens on a unix socket: it is on this machine and shares its resolver."""
    return factory.info.endpoint.host.startswith("unix://")


def _resolves(factory: ClientFactory, reference: str, action: str) -> None:
    if _engine_here(factory):
        distribution.check_name_resolves(reference, action)


def pull_image(ctx: TaskContext, factory: ClientFactory, reference: str, platform: str = "", *,
               emit: Callable | None = None) -> TransferResult:
    ctx.raise_if_cancelled()
    _resolves(factory, reference, f"pull {reference}")
    with factory.private_client(timeout=None) as client:
        result = distribution.pull(client, reference, platform=platform or None, token=ctx.token,
                                   stall_after=stall_after, on_layer=emit,
                                   on_progress=_reporter(ctx, "Pulling", reference))
    ctx.progress(1, 1, f"Pulled {result.reference}" + (f" ({result.digest})" if result.digest else ""), force=True)
    return result


def check_push(ctx: TaskContext, factory: ClientFactory, reference: str) -> GuardVerdict:
    ctx.raise_if_cancelled()
    _resolves(factory, reference, f"check {reference} on its registry")
    with factory.private_client(timeout=None) as client:
        return distribution.check_push(client, reference, token=ctx.token, timeout=stall_after)


def push_image(ctx: TaskContext, factory: ClientFactory, reference: str, *,
               emit: Callable | None = None) -> TransferResult:
    ctx.raise_if_cancelled()
    _resolves(factory, reference, f"push {reference}")
    with factory.private_client(timeout=None) as client:
        result = distribution.push(client, reference, token=ctx.token, stall_after=stall_after, on_layer=emit,
                                   on_progress=_reporter(ctx, "Pushing", reference))
    ctx.progress(1, 1, f"Pushed {result.reference} ({result.digest})", force=True)
    return result


def image_tags(ctx: TaskContext, factory: ClientFactory, image_id: str) -> list[str]:
    """Every tag of the image, as the engine names them ('127.0.0.1:5000/team/app:1')."""
    ctx.raise_if_cancelled()
    tags = factory.client().api.inspect_image(image_id).get("RepoTags") or []
    return sorted(t for t in tags if t != "<none>:<none>")


def registry_tags(ctx: TaskContext, factory: ClientFactory, host: str, repository: str) -> list[str]:
    """The registry's tags of *repository* (for the Pull dialog's completion), read as the
    registry browser reads them, with the CA file the person gave for that registry if any."""
    return registry_browse_tasks.load_tags(ctx, factory, host, known_ca_file(host), repository)


def known_ca_file(host: str) -> str:
    """The CA file of *host* among the registries the person added to Berth, or ""."""
    try:
        return next((r.ca_file for r in registry_list.load_registries() if r.host == host), "")
    except BerthError:  # an unreadable list: the Registries view says so; completion goes without
        return ""
