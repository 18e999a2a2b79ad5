"""The engine's event stream: the one source of live updates (no polling while it flows), and
the way Berth notices that an engine went away."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from desktop.engine.cancel import CancelToken, shut_socket
from desktop.engine.errors import Cancelled, EngineUnavailable, describe_connection_failure
from desktop.engine.liveness import PING_INTERVAL, Heartbeat, enable_keepalive, stream_socket


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
                 on_open: Callable[[], None] | None = None, types: tuple[str, ...] = WATCHED_TYPES,
                 ping: Callable[[], object] | None = None, ping_interval: float = PING_INTERVAL) -> None:
    """Block, calling *on_event* for every engine event until *token* is cancelled.

    *client* must be private to this call: cancelling closes its stream from another thread.
    With *ping* (``/_ping`` on another private client whose timeout is *ping_interval*), an engine
    that stops answering while the stream stays open ends the watch too (desktop/engine/liveness.py).
    Raises EngineUnavailable when the stream ends without a cancel (the engine stopped, the
    connection broke or the engine went silent), Cancelled when cancelled.
    """
    try:
        stream = client.api.events(decode=True, filters={"type": list(types)} if types else None)
    except Exception as exc:
        token.raise_if_cancelled()
        raise EngineUnavailable(f"Lost contact with the Docker engine ({describe_connection_failure(exc)})") from exc
    enable_keepalive(stream_socket(getattr(stream, "_response", None)))
    heartbeat = Heartbeat(ping, ping_interval, lambda reason: _close(stream)).start() if ping else None
    unregister = token.on_cancel(lambda: _close(stream))
    try:
        if on_open is not None:
            on_open()
        for raw in stream:
            if token.cancelled or (heartbeat is not None and heartbeat.reason):
                break
            if isinstance(raw, dict):
                on_event(EngineEvent.from_api(raw))
    except Exception as exc:
        if token.cancelled:
            raise Cancelled() from None
        if heartbeat is not None and heartbeat.reason:
            raise EngineUnavailable(heartbeat.reason) from None
        raise EngineUnavailable(f"Lost contact with the Docker engine ({describe_connection_failure(exc)})") from exc
    finally:
        if heartbeat is not None:
            heartbeat.stop()
        unregister()
        _close(stream)
    token.raise_if_cancelled()
    if heartbeat is not None and heartbeat.reason:
        raise EngineUnavailable(heartbeat.reason)
    raise EngineUnavailable("Lost contact with the Docker engine (its event stream ended).")


def _close(stream) -> None:
    """End *stream* from any thread. The SDK's close finds no socket under an SSH connection (the
    pipes of an ssh process): then the process is ended, which ends the read."""
    try:
        stream.close()
    except Exception:  # noqa: BLE001 - already closed, or SSH
        fp = getattr(getattr(getattr(getattr(stream, "_response", None), "raw", None), "_fp", None), "fp", None)
        channel = getattr(fp, "channel", None)  # the SDK's SSHSocket, set by its makefile()
        if channel is not None:
            shut_socket(channel)
