"""Work functions behind the build dialog. The build's events reach the GUI thread through the
operation's item pipe (``Operation.on_items``), which passes its ``put`` as ``emit``."""

from __future__ import annotations

from collections.abc import Callable

from desktop.engine import build as engine_build
from desktop.engine.build import BuildEvent, BuildRequest, BuildResult, ContextInfo
from desktop.engine.connection import ClientFactory
from desktop.engine.atomic_file import atomic_write, disk_error
from desktop.tasks.task import TaskContext


def build(ctx: TaskContext, factory: ClientFactory, request: BuildRequest,
          emit: Callable[[BuildEvent], None] | None = None) -> BuildResult:
    """Build on a private client without a timeout (a step may run for an hour), closed after."""
    ctx.raise_if_cancelled()
    with factory.private_client() as client:
        return engine_build.build_image(
            client, request, token=ctx.token, on_event=emit,
            on_progress=lambda done, total, text: ctx.progress(done, total, text))


def check_context(ctx: TaskContext, context_dir: str, dockerfile: str) -> ContextInfo:
    """Look at the context folder and Dockerfile off the GUI thread (it may be a slow mount)."""
    ctx.raise_if_cancelled()
    return engine_build.check_context(context_dir, dockerfile)


def save_text(ctx: TaskContext, path: str, text: str) -> str:
    """Write *text* to *path* (UTF-8) whole or not at all: a failed save leaves an existing file
    as it was. Returns the path."""
    ctx.raise_if_cancelled()
    data = text.encode("utf-8", "replace")
    try:
        with atomic_write(path, "the log") as f:
            f.write(data)
            ctx.raise_if_cancelled()
    except OSError as exc:
        raise disk_error(exc, path, "the log") from exc
    return path
