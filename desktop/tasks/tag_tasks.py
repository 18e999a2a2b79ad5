"""Work functions behind tagging and untagging; each runs in a worker with the thread's own client."""

from __future__ import annotations

from desktop.engine import tags
from desktop.engine.connection import ClientFactory
from desktop.engine.reference import ImageReference
from desktop.tasks.task import TaskContext


def load_tag_index(ctx: TaskContext, factory: ClientFactory) -> tags.TagIndex:
    ctx.raise_if_cancelled()
    return tags.load_tag_index(factory.client())


def apply_tags(ctx: TaskContext, factory: ClientFactory, image_id: str, targets: list[str | ImageReference],
               allow_moves: frozenset = frozenset()) -> tags.TagResult:
    """Tag, or come back with ``done=False`` and the plan when a name would move unconfirmed."""
    ctx.raise_if_cancelled()
    result = tags.apply_tags(factory.client(), image_id, targets, allow_moves)
    # the activity centre says what happened: "Done" for a tag that waits on a question would be a lie
    if result.done:
        ctx.progress(1, 1, f"Tagged {', '.join(result.tagged)}" if result.tagged else "Nothing to tag", force=True)
    else:
        moving = len(result.plan.moves)
        ctx.progress(0, 1, f"Not tagged: {moving} name{'s' if moving != 1 else ''} would move from another image; "
                           "the tag dialog asks first", force=True)
    return result


def plan_untag(ctx: TaskContext, factory: ClientFactory, reference: str, image_id: str) -> tags.UntagPlan:
    ctx.raise_if_cancelled()
    return tags.plan_untag(factory.client(), reference, image_id)


def untag(ctx: TaskContext, factory: ClientFactory, reference: str, image_id: str,
          delete_image: bool = False) -> tags.UntagResult:
    ctx.raise_if_cancelled()
    result = tags.untag(factory.client(), reference, image_id, delete_image=delete_image)
    ctx.progress(1, 1, result.summary(), force=True)  # the activity centre says what happened
    return result
