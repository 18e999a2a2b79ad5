"""Work function behind the Details pane: one image's inspect, history and containers, loaded in
a worker with the thread's own client."""

from __future__ import annotations

from desktop.engine import image_details
from desktop.engine.connection import ClientFactory
from desktop.tasks.task import TaskContext


def load_image_details(ctx: TaskContext, factory: ClientFactory, image_id: str) -> image_details.ImageDetailsBundle:
    ctx.raise_if_cancelled()
    return image_details.load_image_details(factory.client(), image_id, ctx.token)
