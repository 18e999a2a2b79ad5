"""Work functions behind the build dialog. The build's events reach the GUI thread through the
operation's item pipe (``Operation.on_items``), which passes its ``put`` as ``emit``."""

from __future__ import annotations

from collections.abc import Callable

from desktop.engine import build as engine_build
from desktop.engine.build import BuildEvent, BuildRequest, BuildResult, ContextInfo
from desktop.engine.connection import ClientFactory
from desktop.engine.errors import BerthError
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
    """Write *text* to *path* (UTF-8); returns the path."""
    ctx.raise_if_cancelled()
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise BerthError(f"Could not save the log to {path}: {exc.strerror or exc}.") from exc
    return path
