"""What a container event says about the row the list shows.

When 100 containers start at once, re-listing all 1,000 after every few events keeps worker
threads decoding JSON (and holding the GIL the GUI thread needs) for the whole burst. The events
themselves say enough to show the new state at once; a listing of just the containers they
touched then fills in what they do not carry (the engine's status wording, ports bound at start).
A start or a death also says exactly when: the row's status anchor becomes the event's own time.
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


def event_seconds(event: EngineEvent) -> float:
    """When the engine says the event happened (unix seconds, its clock); 0 when it does not."""
    return event.time_nano / 1e9 if event.time_nano else 0.0


def row_after(row: ContainerRow | None, event: EngineEvent, at: float | None = None) -> ContainerRow | None:
    """The row as *event* leaves it, or None when only a listing can tell (a new container, a
    health status, an action this version does not know). *at* is when it happened on this
    machine's clock (default: the event's own time)."""
    action = event.base_action
    if row is None or event.type != "container" or event.actor_id != row.id:
        return None
    if action in UNCHANGED:
        return row
    at = event_seconds(event) if at is None else at
    if action == "start":
        if row.state == "running":  # a listing already said so: the event says exactly when
            return replace(row, anchor=(at, at)) if at else row
        return replace(row, state="running", status="Up Less than a second", anchor=(at, at))
    if action == "die":
        if row.state == "exited":
            return replace(row, anchor=(at, at)) if at else row
        code = event.attributes.get("exitCode", "")
        status = f"Exited ({code}) Less than a second ago" if code != "" else "Exited Less than a second ago"
        return replace(row, state="exited", status=status, anchor=(at, at))
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
