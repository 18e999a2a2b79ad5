"""Work functions for choosing another engine: ask a candidate endpoint whether an engine answers
there, in a worker, before the session is asked to switch (the current engine stays meanwhile),
and gather the hosts worth suggesting."""

from __future__ import annotations

from desktop.engine import connection, endpoint_advice
from desktop.engine.connection import EngineInfo, Endpoint
from desktop.tasks.task import TaskContext


def probe(ctx: TaskContext, endpoint: Endpoint) -> EngineInfo:
    """The engine at *endpoint*, or EngineUnavailable saying why not (one attempt, no retries)."""
    ctx.raise_if_cancelled()
    return connection.connect([endpoint])


def suggestions(ctx: TaskContext) -> list[Endpoint]:
    ctx.raise_if_cancelled()
    return endpoint_advice.suggested_endpoints()
