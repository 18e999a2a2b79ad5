"""``docker commit``: a container's filesystem changes as a new image, under a repository and tag
checked with the same grammar the engine uses, so a bad name is refused before any work."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.engine.cancel import CancelToken, shutdown_on_cancel
from desktop.engine.errors import BerthError, Cancelled, NotFound, translate
from desktop.engine.reference import DEFAULT_TAG, InvalidReference, validate_repository, validate_tag


@dataclass(frozen=True)
class CommitResult:
    image_id: str
    reference: str  # "repo:tag"


def commit_problem(repository: str, tag: str) -> str | None:
    """Why *repository*:*tag* cannot name the image, or None. An empty tag means latest."""
    repository = repository.strip()
    if not repository:
        return "Type a repository name for the new image (e.g. myapp or registry.example.com/team/app)."
    try:
        validate_repository(repository)
    except InvalidReference as exc:
        return str(exc)  # a sentence that names the repository and what is wrong with it
    if tag.strip():
        try:
            validate_tag(tag.strip())
        except InvalidReference as exc:
            return str(exc)  # names the tag too
    return None


def commit_container(client, container_id: str, repository: str, tag: str = "", message: str = "",
                     author: str = "", pause: bool = True, token: CancelToken | None = None) -> CommitResult:
    """Commit the container as *repository*:*tag* (latest when empty); pauses it meanwhile unless
    *pause* is False, as the CLI does. The engine answers only when it is done, so cancelling
    *token* shuts the request's socket down (give *client* to this call alone)."""
    problem = commit_problem(repository, tag)
    if problem:
        raise BerthError(problem)
    repository, tag = repository.strip(), tag.strip() or DEFAULT_TAG
    reference = f"{repository}:{tag}"
    try:
        with shutdown_on_cancel(client.api, token):
            answer = client.api.commit(container_id, repository=repository, tag=tag, message=message or None,
                                       author=author or None, pause=pause)
    except Exception as exc:
        if token is not None and token.cancelled:
            raise Cancelled() from None
        error = translate(exc, f"commit the container as {reference}")
        if isinstance(error, NotFound):
            raise NotFound(f"Could not commit as {reference}: the container no longer exists.", status_code=404) from None
        raise error from exc
    return CommitResult(answer.get("Id", ""), reference)
