"""The registries table: Docker Hub, the registries the docker CLI's configuration names and those
the user added, each with who is signed in there. Updated row by row from each listing."""

from __future__ import annotations

from desktop.engine.docker_config import DOCKER_HUB, HELPER_PREFIX
from desktop.engine.registry_list import RegistryEntry
from desktop.models.keyed_table import Column, KeyedTableModel

HUB_TITLE = "Docker Hub (docker.io)"
NOT_SIGNED_IN = "not signed in"


def registry_title(row: RegistryEntry) -> str:
    return HUB_TITLE if row.host == DOCKER_HUB else row.host


def account_text(row: RegistryEntry) -> str:
    if row.problem:
        return "account unreadable"
    return f"signed in as {row.username}" if row.username else NOT_SIGNED_IN


def store_text(row: RegistryEntry) -> str:
    """Where its account is (or would be) kept, as the CLI chooses, in a word or two."""
    return f"{row.helper} helper" if row.helper else "config.json"


def kept_phrase(row: RegistryEntry, config_file: str = "the docker CLI's config.json") -> str:
    """The same as a phrase: "by the credential helper docker-credential-pass", "in config.json"."""
    return f"by the credential helper {HELPER_PREFIX}{row.helper}" if row.helper else f"in {config_file}"


def origin_text(row: RegistryEntry) -> str:
    """Why it is listed: Docker Hub always is; the others because Berth or the CLI names them."""
    if row.host == DOCKER_HUB:
        return "always"
    if row.user_added:
        return "Berth, with CA" if row.ca_file else "Berth"
    return "docker CLI"


def row_tip(row: RegistryEntry) -> str:
    lines = [registry_title(row), account_text(row).capitalize() + "."]
    if row.user_added:
        lines.append("Added in Berth.")
    if row.problem:
        lines.append(row.problem)
    lines.append(f"Its account is kept {kept_phrase(row)}, as the docker CLI keeps it.")
    if row.ca_file:
        lines.append(f"CA certificate: {row.ca_file}")
    return "\n".join(lines)


class RegistriesModel(KeyedTableModel):
    REGISTRY, ACCOUNT, STORE, ORIGIN = range(4)
    columns = (
        Column("Registry", registry_title, lambda r: (r.host != DOCKER_HUB, r.host), tooltip=row_tip),
        Column("Account", account_text, lambda r: (not r.username, r.username), tooltip=row_tip),
        Column("Kept by", store_text, tooltip=row_tip),
        Column("From", origin_text, tooltip=row_tip),
    )

    def filter_text(self, row: RegistryEntry) -> str:
        return f"{row.host} {row.username}".lower()
