"""Work functions for containers: run, lifecycle actions, rename, prune, inspect, commit, and the
long-lived streams (logs, stats, the list's usage sampler, an interactive shell).

Streams are run as ``STREAM`` operations: they pass each item (a log batch, a stats sample, a
chunk of shell output) to their ``emit`` keyword argument, and the operation's item pipe hands
them to the GUI thread in batches (``desktop/tasks/stream.py``). Each stream has a private client
with no timeout, closed when it ends, because cancelling closes its socket from another thread.
"""

from __future__ import annotations

from typing import Callable

from desktop.engine import commit as commit_engine
from desktop.engine import container_ops, containers, file_copy, logs, run, stats
from desktop.engine.cancel import shutdown_on_cancel
from desktop.engine.connection import ClientFactory
from desktop.engine.errors import BerthError, Cancelled
from desktop.engine.exec_shell import ExecShell, ShellEnd
from desktop.engine.run_spec import RunSpec
from desktop.tasks.stream import OPENED
from desktop.tasks.task import TaskContext


class ActionIncomplete(BerthError):
    """Some containers refused; ``report`` has every outcome, the message lists the problems."""

    def __init__(self, report: container_ops.OpsReport):
        lines = [f"{report.summary}."] + [o.message for o in report.problems]
        super().__init__("\n".join(lines))
        self.report = report


# --- one-shot work ------------------------------------------------------------------------------
def image_defaults(ctx: TaskContext, factory: ClientFactory, image: str) -> tuple[run.ImageDefaults, list[str]]:
    ctx.raise_if_cancelled()
    client = factory.client()
    return run.image_defaults(client, image), run.list_networks(client)


def run_container(ctx: TaskContext, factory: ClientFactory, spec: RunSpec) -> run.RunResult:
    ctx.raise_if_cancelled()
    return run.run_container(factory.client(), spec, ctx.token,
                             on_progress=lambda done, total, text: ctx.progress(done, total, text, force=True))


def container_action(ctx: TaskContext, factory: ClientFactory, action: str, targets: list[container_ops.Target],
                     **options) -> container_ops.OpsReport:
    """One action on many containers; raises ActionIncomplete when some refused."""
    ctx.raise_if_cancelled()
    timeout = options.get("timeout")
    request_timeout = max(60, int(timeout or 10) + 30)
    report = container_ops.apply_action(
        lambda: factory.new_client(request_timeout), action, targets, token=ctx.token,
        on_progress=lambda done, total, text: ctx.progress(done, total, text), **options)
    if report.problems:
        raise ActionIncomplete(report)
    return report


def rename_container(ctx: TaskContext, factory: ClientFactory, container_id: str, new_name: str) -> str:
    ctx.raise_if_cancelled()
    client = factory.client()
    with shutdown_on_cancel(client.api, ctx.token):  # this thread's client: only this request is cut
        return container_ops.rename_container(client, container_id, new_name)


def preview_prune(ctx: TaskContext, factory: ClientFactory) -> list[container_ops.PruneCandidate]:
    ctx.raise_if_cancelled()
    return container_ops.preview_prune(factory.client())


def prune(ctx: TaskContext, factory: ClientFactory,
          candidates: list[container_ops.PruneCandidate]) -> tuple[container_ops.OpsReport, int]:
    ctx.raise_if_cancelled()
    return container_ops.prune(lambda: factory.new_client(120), candidates, token=ctx.token,
                               on_progress=lambda done, total, text: ctx.progress(done, total, text))


def inspect_container(ctx: TaskContext, factory: ClientFactory, container_id: str) -> containers.ContainerDetails:
    ctx.raise_if_cancelled()
    return containers.inspect_container(factory.client(), container_id)


def commit_container(ctx: TaskContext, factory: ClientFactory, container_id: str, repository: str, tag: str,
                     message: str, author: str, pause: bool) -> commit_engine.CommitResult:
    ctx.raise_if_cancelled()
    ctx.progress(0, None, f"Committing to {repository}:{tag or 'latest'}")
    with factory.private_client() as client:  # a big container takes longer than the usual 60 s
        return commit_engine.commit_container(client, container_id, repository, tag, message, author, pause,
                                              token=ctx.token)


def save_logs(ctx: TaskContext, factory: ClientFactory, container_id: str, path: str, timestamps: bool) -> int:
    with factory.private_client() as client:
        return logs.save_logs(client, container_id, path, timestamps, ctx.token,
                              on_progress=lambda done, total, text: ctx.progress(done, None, text))


# --- streams ------------------------------------------------------------------------------------
def follow_logs(ctx: TaskContext, factory: ClientFactory, container_id: str, options: logs.LogOptions,
                emit: Callable[[logs.LogBatch], None]) -> str:
    """Batches to *emit* until cancelled or the log ends; returns the container id when it ended."""
    with factory.private_client() as client:
        logs.follow_logs(client, container_id, options, ctx.token, emit)
    return container_id


def stream_stats(ctx: TaskContext, factory: ClientFactory, container_id: str,
                 emit: Callable[[stats.StatsSample], None]) -> str:
    with factory.private_client() as client:
        stats.stream_stats(client, container_id, ctx.token, emit)
    return container_id


def sample_usage(ctx: TaskContext, factory: ClientFactory, sampler: stats.StatsSampler,
                 emit: Callable[[dict], None]) -> None:
    """Rounds of samples of the containers the list wants, until cancelled."""
    sampler.run(ctx.token, emit)


def run_shell(ctx: TaskContext, factory: ClientFactory, shell: ExecShell, emit: Callable[[object], None]) -> ShellEnd:
    """Open *shell*, say so (``OPENED`` to *emit*), then pump what it prints (bytes) to *emit*
    until it ends or is cancelled (which closes it, whether it is still opening, running or asking
    how it ended). Returns how it ended."""
    unregister = ctx.token.on_cancel(shell.close)
    try:
        shell.open()
        emit(OPENED)
        while True:
            data = shell.read()
            if not data:
                break
            emit(data)
    finally:
        try:
            end = shell.finish()  # closes the session and its clients in every case; a cancel cuts it short
        finally:
            unregister()
    if ctx.token.cancelled:
        raise Cancelled()
    return end


def new_shell(factory: ClientFactory, container_id: str, rows: int, cols: int) -> ExecShell:
    """An ExecShell whose clients (made when it opens, in the worker) come from *factory*."""
    return ExecShell(lambda: factory.new_client(timeout=None), container_id, rows=rows, cols=cols)


def plan_copy_from_container(ctx: TaskContext, factory: ClientFactory, container_id: str, path: str,
                             destination: str) -> file_copy.CopyPlan:
    ctx.raise_if_cancelled()
    return file_copy.plan_copy_from_container(factory.client(), container_id, path, destination)


def copy_from_container(ctx: TaskContext, factory: ClientFactory, container_id: str, path: str,
                        destination: str, replace: tuple[str, ...] = ()) -> str:
    """Raises file_copy.CopyConflict, with nothing changed, for existing names not in *replace*."""
    with factory.private_client() as client:
        return file_copy.copy_from_container(client, container_id, path, destination, ctx.token,
                                             on_progress=lambda done, total, text: ctx.progress(done, None, text),
                                             replace=replace)


def copy_into_container(ctx: TaskContext, factory: ClientFactory, container_id: str, source: str, folder: str) -> str:
    with factory.private_client() as client:
        return file_copy.copy_into_container(client, container_id, source, folder, ctx.token,
                                             on_progress=lambda done, total, text: ctx.progress(done, total, text))
