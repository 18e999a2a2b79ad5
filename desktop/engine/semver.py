"""Semantic versions among a repository's tags: which is the newest, what comes next, and the
shorter floating tags (``v1.2``, ``v1``) that usually travel with a release.

Pure and cheap: the tag dialog calls it on every keystroke. Tags that are not ``[v]MAJOR.MINOR.PATCH``
with an optional ``-prerelease`` (``latest``, ``prod``, ``v1.2``, ``2024-05-01``) are ignored.
Ordering and bumping follow semver.org 2.0.0 and, for bumping a pre-release, node-semver's ``inc``:
``1.3.0-rc.1`` is followed by ``1.3.0`` (patch and minor) and ``2.0.0`` (major).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

PREFIXES = ("", "v", "V")
_VERSION_RE = re.compile(
    r"(?P<prefix>[vV]?)(?P<major>0|[1-9][0-9]*)\.(?P<minor>0|[1-9][0-9]*)\.(?P<patch>0|[1-9][0-9]*)"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
# "v1", "v1.2", "1.2.3", "1.2.3-rc1": what a person would call a version-like tag
_VERSION_LIKE_RE = re.compile(r"[vV]?[0-9]+(?:\.[0-9]+){0,2}(?:-[0-9A-Za-z.-]+)?")


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    prefix: str = ""

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def sort_key(self) -> tuple:
        """semver precedence: a release sorts after its pre-releases; numeric identifiers sort
        numerically and before alphanumeric ones. The prefix never matters."""
        if not self.prerelease:
            return (self.core, 1, ())
        parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.core, 0, parts)

    def __str__(self) -> str:
        text = f"{self.prefix}{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        return text

    def with_prefix(self, prefix: str) -> Version:
        return Version(self.major, self.minor, self.patch, self.prerelease, prefix)

    def next_patch(self) -> Version:
        if self.prerelease:  # 1.2.3-rc.1 -> 1.2.3
            return Version(self.major, self.minor, self.patch, (), self.prefix)
        return Version(self.major, self.minor, self.patch + 1, (), self.prefix)

    def next_minor(self) -> Version:
        if self.prerelease and self.patch == 0:  # 1.3.0-rc.1 -> 1.3.0
            return Version(self.major, self.minor, 0, (), self.prefix)
        return Version(self.major, self.minor + 1, 0, (), self.prefix)

    def next_major(self) -> Version:
        if self.prerelease and self.minor == 0 and self.patch == 0:  # 2.0.0-beta -> 2.0.0
            return Version(self.major, 0, 0, (), self.prefix)
        return Version(self.major + 1, 0, 0, (), self.prefix)


def parse_version(tag: str) -> Version | None:
    """The version a tag spells, or None when the tag is not ``[v]MAJOR.MINOR.PATCH[-pre]``."""
    m = _VERSION_RE.fullmatch(tag)
    if m is None:
        return None
    pre = tuple(m.group("pre").split(".")) if m.group("pre") else ()
    if any(p.isdigit() and len(p) > 1 and p.startswith("0") for p in pre):
        return None  # semver forbids leading zeros in numeric pre-release identifiers
    return Version(int(m.group("major")), int(m.group("minor")), int(m.group("patch")), pre, m.group("prefix"))


def is_version_like(tag: str) -> bool:
    """True for tags a version suggestion should replace: ``v1``, ``1.2``, ``v1.2.3``, ``1.2.3-rc1``."""
    return bool(_VERSION_LIKE_RE.fullmatch(tag))


def versions(tags: Iterable[str]) -> list[Version]:
    """The semantic versions among *tags*, oldest first; other tags are left out."""
    found = [v for v in (parse_version(t) for t in tags) if v is not None]
    return sorted(found, key=lambda v: (v.sort_key(), v.prefix))


def latest_version(tags: Iterable[str]) -> Version | None:
    found = versions(tags)
    return found[-1] if found else None


def prefix_in_use(tags: Iterable[str], default: str = "v") -> str:
    """The prefix the newest version was written with; when the newest version exists both with
    and without one, the prefix most tags use. *default* when no tag is a version."""
    found = versions(tags)
    if not found:
        return default
    newest = found[-1].sort_key()
    at_newest = {v.prefix for v in found if v.sort_key() == newest}
    if len(at_newest) == 1:
        return at_newest.pop()
    counts = Counter(v.prefix for v in found)
    return max(sorted(at_newest), key=lambda p: (counts[p], p == default))


@dataclass(frozen=True)
class Suggestions:
    """What to tag next. ``current`` is the newest version found (None when there is none, and the
    suggestions then start a project at 0.0.1 / 0.1.0 / 1.0.0)."""

    current: Version | None
    patch: str
    minor: str
    major: str


def suggest(tags: Iterable[str], default_prefix: str = "v") -> Suggestions:
    """The next patch, minor and major version after the newest among *tags*, in the prefix style
    in use (``v1.0.0`` -> ``v1.0.1``, ``v1.1.0``, ``v2.0.0``)."""
    tags = list(tags)
    prefix = prefix_in_use(tags, default_prefix)
    current = latest_version(tags)
    base = (current or Version(0, 0, 0)).with_prefix(prefix)
    return Suggestions(current, str(base.next_patch()), str(base.next_minor()), str(base.next_major()))


def companion_tags(tag: str) -> list[str]:
    """The floating tags that usually accompany a release: ``v1.2.0`` -> ``["v1.2", "v1"]``.
    A pre-release or a tag that is not a version has none (a floating tag should not move to a
    release candidate)."""
    version = parse_version(tag)
    if version is None or version.prerelease:
        return []
    return [f"{version.prefix}{version.major}.{version.minor}", f"{version.prefix}{version.major}"]
