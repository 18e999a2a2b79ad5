"""What a container event says about the row the list shows.

When 100 containers start at once, re-listing all 1,000 after every few events keeps worker
threads decoding JSON (and holding the GIL the GUI thread needs) for the whole burst. The events
themselves say enough to show the new state at once; a listing of just the containers they
touched then fills in what they do not carry (the engine's status wording, ports bound at start).
"""

from __future__ import annotations

from dataclasses import replace

from desktop.engine.containers import ContainerRow
from desktop.engine.events import EngineEvent

# shown nowhere in the list: the row stays as it is
UNCHANGED = frozenset({
    "attach", "detach", "resize", "top", "export", "commit", "copy", "archive-path", "extract-to-dir",
    "exec_create", "exec_start", "exec_die", "exec_detach", "kill", "stop", "restart", "oom", "update",
})

# after these, the patched row is the whole truth; after the others (start, die, pause...) the
# engine's own status wording and the ports bound at start are worth asking for
COMPLETE = UNCHANGED | {"destroy", "rename"}

PAUSED_SUFFIX = " (Paused)"


def row_after(row: ContainerRow | None, event: EngineEvent) -> ContainerRow | None:
    """The row as *event* leaves it, or None when only a listing can tell (a new container, a
    health status, an action this version does not know)."""
    action = event.base_action
    if row is None or event.type != "container" or event.actor_id != row.id:
        return None
    if action in UNCHANGED:
        return row
    if action == "start":
        return row if row.state == "running" else replace(row, state="running", status="Up Less than a second")
    if action == "die":
        code = event.attributes.get("exitCode", "")
        status = f"Exited ({code}) Less than a second ago" if code != "" else "Exited Less than a second ago"
        return row if row.state == "exited" else replace(row, state="exited", status=status)
    if action == "pause":
        status = row.status if row.status.endswith(PAUSED_SUFFIX) else row.status + PAUSED_SUFFIX
        return replace(row, state="paused", status=status)
    if action == "unpause":
        return replace(row, state="running", status=row.status.removesuffix(PAUSED_SUFFIX))
    if action == "rename":
        name = event.attributes.get("name", "").lstrip("/")
        return replace(row, name=name) if name else None
    return None


def is_removal(event: EngineEvent) -> bool:
    return event.type == "container" and event.base_action == "destroy"
