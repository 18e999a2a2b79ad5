"""The engine's event stream: the one source of live updates (no polling while it flows), and
the way Berth notices that an engine went away."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from desktop.engine.cancel import CancelToken
from desktop.engine.errors import Cancelled, EngineUnavailable, describe_connection_failure


@dataclass(frozen=True)
class EngineEvent:
    type: str  # "image", "container", "network", "volume", ...
    action: str  # "tag", "untag", "delete", "create", "start", "die", "exec_start: sh", ...
    actor_id: str
    attributes: dict = field(default_factory=dict, hash=False, compare=False)
    time_nano: int = 0

    @property
    def base_action(self) -> str:
        """'exec_start: sh -c ...' -> 'exec_start', 'health_status: healthy' -> 'health_status'."""
        return self.action.split(":", 1)[0].strip()

    @classmethod
    def from_api(cls, raw: dict) -> "EngineEvent":
        actor = raw.get("Actor") or {}
        return cls(
            type=str(raw.get("Type") or ""),
            action=str(raw.get("Action") or raw.get("status") or ""),
            actor_id=str(actor.get("ID") or raw.get("id") or ""),
            attributes=dict(actor.get("Attributes") or {}),
            time_nano=int(raw.get("timeNano") or 0),
        )


# the kinds of object Berth shows; the engine leaves out the rest (a container's start also brings
# network connect events, which nothing here reads but every one would be decoded and relayed)
WATCHED_TYPES = ("container", "image")


def watch_events(client, token: CancelToken, on_event: Callable[[EngineEvent], None],
                 on_open: Callable[[], None] | None = None, types: tuple[str, ...] = WATCHED_TYPES) -> None:
    """Block, calling *on_event* for every engine event until *token* is cancelled.

    *client* must be private to this call: cancelling closes its stream from another thread.
    Raises EngineUnavailable when the stream ends without a cancel (the engine stopped or the
    connection broke), Cancelled when cancelled.
    """
    try:
        stream = client.api.events(decode=True, filters={"type": list(types)} if types else None)
    except Exception as exc:
        token.raise_if_cancelled()
        raise EngineUnavailable(f"Lost contact with the Docker engine ({describe_connection_failure(exc)})") from exc
    unregister = token.on_cancel(stream.close)
    try:
        if on_open is not None:
            on_open()
        for raw in stream:
            if token.cancelled:
                break
            if isinstance(raw, dict):
                on_event(EngineEvent.from_api(raw))
    except Exception as exc:
        if token.cancelled:
            raise Cancelled() from None
        raise EngineUnavailable(f"Lost contact with the Docker engine ({describe_connection_failure(exc)})") from exc
    finally:
        unregister()
        try:
            stream.close()
        except Exception:
            pass
    token.raise_if_cancelled()
    raise EngineUnavailable("Lost contact with the Docker engine (its event stream ended).")
