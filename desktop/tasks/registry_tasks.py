"""Work functions behind the Registries view: listing what the CLI and Berth know, signing in
and out, and keeping the user's list. All of it reads or writes files or asks the engine, so
none of it runs on the GUI thread."""

from __future__ import annotations

from desktop.engine import registry_list, registry_login
from desktop.engine.cancel import shutdown_on_cancel
from desktop.engine.connection import ClientFactory
from desktop.engine.registry_login import Secret, SignInResult
from desktop.tasks.task import TaskContext

SIGN_IN_TIMEOUT = 30  # seconds the engine may take to answer /auth (it has its own dial timeouts)


def _engine_is_local(factory: ClientFactory) -> bool:
    return factory.info.endpoint.host.startswith(("unix://", "npipe://"))


def load_registries(ctx: TaskContext, factory: ClientFactory | None = None) -> list[registry_list.RegistryEntry]:
    """Every registry with its account; the session's clients re-read the accounts too, so a
    ``docker login`` made meanwhile is used by the next push or pull."""
    ctx.raise_if_cancelled()
    entries = registry_list.all_registries()
    if factory is not None:
        factory.reload_auth()
    return entries


def sign_in(ctx: TaskContext, factory: ClientFactory, host: str, username: str, secret: Secret) -> SignInResult:
    ctx.raise_if_cancelled()
    ctx.progress(0, None, f"Checking the account with {host}…", force=True)
    with factory.private_client(timeout=SIGN_IN_TIMEOUT) as client, shutdown_on_cancel(client.api, ctx.token):
        result = registry_login.sign_in(client, host, username, secret, precheck_dns=_engine_is_local(factory))
    factory.reload_auth()
    ctx.progress(1, 1, f"Signed in to {result.host} as {result.username}", force=True)
    return result


def sign_out(ctx: TaskContext, host: str, factory: ClientFactory | None = None) -> bool:
    ctx.raise_if_cancelled()
    erased = registry_login.sign_out(host)
    if factory is not None:
        factory.reload_auth()
    ctx.progress(1, 1, f"Signed out of {host}" if erased else f"No account was stored for {host}", force=True)
    return erased


def add_registry(ctx: TaskContext, host: str, ca_file: str = "") -> registry_list.UserRegistry:
    ctx.raise_if_cancelled()
    return registry_list.add_registry(host, ca_file)


def remove_registry(ctx: TaskContext, host: str) -> bool:
    ctx.raise_if_cancelled()
    return registry_list.remove_registry(host)
