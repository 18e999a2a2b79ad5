"""Work functions that list engine objects; each runs in a worker with the thread's own light
client (plain http.client on a local socket: listings are the requests Berth repeats most)."""

from __future__ import annotations

from desktop.engine import containers, images
from desktop.engine.connection import ClientFactory
from desktop.tasks.task import TaskContext


def load_images(ctx: TaskContext, factory: ClientFactory, all_images: bool = False) -> list[images.ImageRow]:
    ctx.raise_if_cancelled()
    return images.list_images(factory.light_client(), all_images=all_images)


def load_containers(ctx: TaskContext, factory: ClientFactory, all_containers: bool = True) -> list[containers.ContainerRow]:
    ctx.raise_if_cancelled()
    return containers.list_containers(factory.light_client(), all_containers=all_containers)


def load_some_containers(ctx: TaskContext, factory: ClientFactory, ids: list[str],
                         all_containers: bool = True) -> list[containers.ContainerRow]:
    """Those of *ids* that still exist (and run, without *all_containers*)."""
    ctx.raise_if_cancelled()
    return containers.list_containers(factory.light_client(), all_containers=all_containers, ids=ids)
