"""Work functions for removing and pruning images and measuring disk usage; each runs in a worker
with the thread's own client.

A removal that leaves images behind (in use, or failed) ends in ``RemovalIncomplete``, so the task
is listed as failed with what stayed and why, while the full report still reaches whoever waits
for it (``error.report``).
"""

from __future__ import annotations

from desktop.engine import disk_usage as usage
from desktop.engine import image_removal, prune
from desktop.engine.connection import ClientFactory
from desktop.engine.errors import BerthError, Cancelled
from desktop.engine.images import ImageRow
from desktop.tasks.task import TaskContext


class RemovalIncomplete(BerthError):
    """Some images stayed; ``report`` has every outcome, the message lists the problems."""

    def __init__(self, report: image_removal.RemovalReport):
        problems = report.problems
        lines = [f"{report.summary}."] + [r.message for r in problems]
        super().__init__("\n".join(lines))
        self.report = report


def plan_removal(ctx: TaskContext, factory: ClientFactory, rows: list[ImageRow]) -> image_removal.RemovalPlan:
    ctx.raise_if_cancelled()
    return image_removal.plan_removal(factory.client(), rows)


def remove_images(ctx: TaskContext, factory: ClientFactory, plan: image_removal.RemovalPlan, force: bool = False,
                  remove_stopped_containers: bool = False,
                  report_to: list | None = None) -> image_removal.RemovalReport:
    """Carry out the plan with progress per image; raises RemovalIncomplete when some stayed.

    A private client without a timeout (deleting a big image can take long), whose requests the
    cancel cuts short; a cancelled removal's report is appended to *report_to* (a cancelled task
    carries no result) before the task ends as cancelled."""
    ctx.raise_if_cancelled()
    with factory.private_client() as client:
        report = image_removal.execute_removal(
            client, plan, force=force, remove_stopped_containers=remove_stopped_containers,
            token=ctx.token, on_progress=lambda done, total, text: ctx.progress(done, total, text, force=True))
    if report.cancelled or ctx.cancelled:
        if report_to is not None:
            report_to.append(report)
        raise Cancelled()
    if report.problems:
        raise RemovalIncomplete(report)
    return report


def preview_prune(ctx: TaskContext, factory: ClientFactory) -> prune.PrunePreview:
    ctx.raise_if_cancelled()
    return prune.preview_prune(factory.client())


def prune_listed(ctx: TaskContext, factory: ClientFactory, preview: prune.PrunePreview,
                 report_to: list | None = None) -> prune.PruneResult:
    """Remove the images the preview listed (a private client: cancel cuts its requests short);
    a cancelled prune's result is appended to *report_to* before the task ends as cancelled."""
    ctx.raise_if_cancelled()
    with factory.private_client() as client:
        result = prune.prune_listed(client, preview, token=ctx.token,
                                    on_progress=lambda done, total, text: ctx.progress(done, total, text, force=True))
    if result.cancelled or ctx.cancelled:
        if report_to is not None:
            report_to.append(result)
        raise Cancelled()
    return result


def disk_usage(ctx: TaskContext, factory: ClientFactory) -> usage.DiskUsage:
    ctx.raise_if_cancelled()
    return usage.disk_usage(factory.client())
