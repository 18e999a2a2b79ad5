"""Short engine requests that a cancel ends even when the engine never answers.

A removal is many small requests (list, inspect, delete), each of which can hang on a stalled
engine; a flag checked between them does not help then. Each request here is made while a
cancel shuts its socket down (``cancel.cancel_by_shutdown``), so the blocked thread wakes at once with a connection error, which :meth:`EngineRequests.interrupted`
tells apart from a real loss of the engine.
"""

from __future__ import annotations

from desktop.engine.cancel import CancelToken, cancel_by_shutdown


class EngineRequests:
    """JSON requests on one client (used from one thread), each cancellable by *token*."""

    def __init__(self, client, token: CancelToken | None = None):
        self.api = client.api
        self.token = token

    @property
    def interrupted(self) -> bool:
        """Whether a failure now is the cancel's doing (the socket was shut down on purpose)."""
        return self.token is not None and self.token.cancelled

    def _send(self, method: str, path: str, args: tuple, params: dict | None, answer: bool):
        if self.token is not None:
            self.token.raise_if_cancelled()
        api = self.api
        url = api._url(path, *args)
        params = dict(params or {})
        unregister = cancel_by_shutdown(api, self.token)
        try:
            if self.token is not None:
                self.token.raise_if_cancelled()
            if method == "GET":
                response = api._get(url, params=params)
            else:
                response = api._delete(url, params=params)
            if not answer:
                api._raise_for_status(response)
                return None
            return api._result(response, True)
        finally:
            unregister()

    def get(self, path: str, *args: str, params: dict | None = None):
        """``GET path`` (``{0}`` in *path* filled with *args*, quoted); the answer's JSON."""
        return self._send("GET", path, args, params, True)

    def delete(self, path: str, *args: str, params: dict | None = None, answer: bool = True):
        return self._send("DELETE", path, args, params, answer)

    # the few requests removals need, with the parameters the docker CLI sends
    def containers(self, filters: dict | None = None) -> list[dict]:
        from docker.utils import convert_filters  # here, not at import: the GUI thread starts without the SDK

        params = {"all": 1}
        if filters:
            params["filters"] = convert_filters(filters)
        return self.get("/containers/json", params=params)

    def images(self, filters: dict | None = None, all: bool = False) -> list[dict]:
        from docker.utils import convert_filters  # here, not at import: the GUI thread starts without the SDK

        params: dict = {"all": 1} if all else {}
        if filters:
            params["filters"] = convert_filters(filters)
        return self.get("/images/json", params=params)

    def inspect_image(self, ref: str) -> dict:
        return self.get("/images/{0}/json", ref)

    def remove_image(self, ref: str, force: bool = False) -> list[dict]:
        return self.delete("/images/{0}", ref, params={"force": force, "noprune": False})

    def remove_container(self, container_id: str, force: bool = False, volumes: bool = False) -> None:
        self.delete("/containers/{0}", container_id, params={"v": volumes, "link": False, "force": force},
                    answer=False)
