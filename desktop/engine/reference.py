"""Docker image references (``registry.example.com:5000/team/app:1.0@sha256:...``).

This is the grammar of the distribution project's ``reference`` package
(github.com/distribution/reference, formerly docker/distribution/reference), which is what the
docker CLI and the engine accept::

    reference        := name [ ":" tag ] [ "@" digest ]
    name             := [ domain "/" ] path
    domain           := host [ ":" port ]
    host             := domain-name | "[" IPv6 "]"
    domain-name      := domain-label ( "." domain-label )*
    domain-label     := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
    port             := [0-9]+
    path             := path-component ( "/" path-component )*     (at most 255 characters)
    path-component   := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag              := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
    digest           := algorithm ":" hex
    algorithm        := [A-Za-z][A-Za-z0-9]* ( [-_+.] [A-Za-z][A-Za-z0-9]* )*
    hex              := [0-9a-fA-F]{32,}   (sha256: 64, sha384: 96, sha512: 128, lowercase)

Two entry points, matching the Go functions of the same purpose:

* :func:`parse_reference` is ``reference.Parse``: no normalisation, ``str()`` gives back the input.
* :func:`parse_normalized` is ``reference.ParseNormalizedNamed``: ``ubuntu`` becomes
  ``docker.io/library/ubuntu``, ``index.docker.io/x/y`` becomes ``docker.io/x/y``.

Both accept and reject exactly what the Go code does, and fail with :class:`InvalidReference`,
whose message starts with the Go error text and goes on to say which part is wrong and at which
(0-based) character position. The module is pure standard library, cheap enough to call on
every keystroke.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "DEFAULT_DOMAIN",
    "DEFAULT_TAG",
    "DIGEST_ALGORITHMS",
    "LEGACY_DEFAULT_DOMAIN",
    "OFFICIAL_REPO_PREFIX",
    "REPOSITORY_NAME_MAX",
    "TAG_MAX",
    "ImageReference",
    "InvalidReference",
    "parse_normalized",
    "parse_reference",
    "validate_digest",
    "validate_repository",
    "validate_tag",
]

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
DEFAULT_TAG = "latest"
LOCALHOST = "localhost"

#: Longest path (the repository name without its domain), as in the current Go package.
REPOSITORY_NAME_MAX = 255
TAG_MAX = 128
#: Digest algorithms the docker CLI registers, with the number of hex digits each must have.
DIGEST_ALGORITHMS = MappingProxyType({"sha256": 64, "sha384": 96, "sha512": 128})

# The Go error texts; every InvalidReference message starts with one of them.
ERR_REFERENCE_INVALID_FORMAT = "invalid reference format"
ERR_TAG_INVALID_FORMAT = "invalid tag format"
ERR_DIGEST_INVALID_FORMAT = "invalid digest format"
ERR_NAME_CONTAINS_UPPERCASE = "repository name must be lowercase"
ERR_NAME_EMPTY = "repository name must have at least one component"
ERR_NAME_TOO_LONG = f"repository name must not be more than {REPOSITORY_NAME_MAX} characters"
# from github.com/opencontainers/go-digest, which validates the digest after the grammar matched
ERR_CHECKSUM_INVALID_FORMAT = "invalid checksum digest format"
ERR_DIGEST_UNSUPPORTED = "unsupported digest algorithm"

# ---------------------------------------------------------------------------------------------
# The grammar, built the way regexp.go builds it. Always used with fullmatch(): Python's "$"
# would also match before a trailing newline, Go's does not.

_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_NAME_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_NAME_COMPONENT}(?:\.{_DOMAIN_NAME_COMPONENT})*"
_IPV6_ADDRESS = r"\[(?:[a-fA-F0-9:]+)\]"
_HOST = rf"(?:{_DOMAIN_NAME}|{_IPV6_ADDRESS})"
_DOMAIN_AND_PORT = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"  # Go's [\w][\w.-]{0,127}; \w is ASCII in RE2
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"

# One pattern with four groups. Go matches the reference first and then splits the name with
# a second pattern; both prefer "a domain is present", so a single match picks the same split.
_REFERENCE_RE = re.compile(
    rf"(?:({_DOMAIN_AND_PORT})/)?({_REMOTE_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?"
)
_DOMAIN_RE = re.compile(_DOMAIN_AND_PORT)
_PATH_COMPONENT_RE = re.compile(_PATH_COMPONENT)
_REMOTE_NAME_RE = re.compile(_REMOTE_NAME)
_TAG_RE = re.compile(_TAG)
_DIGEST_RE = re.compile(_DIGEST)
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}")
# go-digest's own (looser about the value, stricter about the algorithm's case)
_GO_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
_URL_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

_LOWER_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_PATH_SEPARATORS = frozenset("._-")
_ALGORITHM_SEPARATORS = frozenset("-_+.")
_TAG_CHARS = _ASCII_LETTERS | _DIGITS | frozenset("_.-")
_DOMAIN_LABEL_CHARS = _ASCII_LETTERS | _DIGITS | frozenset("-")

_TAG_RULE = (
    'a tag may contain letters, digits, "_", "." and "-" (max 128) '
    'and must not start with "." or "-"'
)
_PATH_RULE = (
    "a path component may contain only lowercase letters, digits and the separators "
    '".", "_", "__" and "-"'
)
_DOMAIN_RULE = (
    'a registry host may contain only letters, digits, "-" and ".", optionally followed by '
    '":port" (an IPv6 address goes in brackets: "[fc00::1]:5000")'
)
_DIGEST_FORM = 'expected "algorithm:hex", e.g. "sha256:" followed by 64 hex digits'


# ---------------------------------------------------------------------------------------------
# Errors


class InvalidReference(ValueError):
    """Text that is not a valid image reference (or tag, digest, repository name).

    ``str()`` is ``"<reason>: <detail>"``: ``reason`` is the Go package's error text (for example
    ``"invalid reference format"`` or ``"repository name must be lowercase"``); ``detail`` says
    what is wrong and where. ``position`` is the 0-based index in ``text`` of the offending
    character (``len(text)`` when something is missing at the end; ``None`` when no single place
    is to blame); ``part`` is ``"domain"``, ``"path"``, ``"tag"``, ``"digest"``, ``"name"`` or
    ``None``.
    """

    def __init__(
        self,
        reason: str,
        detail: str | None = None,
        *,
        position: int | None = None,
        part: str | None = None,
        text: str | None = None,
    ):
        message = f"{reason}: {detail}" if detail else reason
        super().__init__(message)
        self.reason = reason
        self.detail = detail
        self.position = position
        self.part = part
        self.text = text
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        state = {"position": self.position, "part": self.part, "text": self.text}
        return (self.__class__, (self.reason, self.detail), state)


@dataclass(frozen=True)
class _Fault:
    """A problem found by the checks; turned into an InvalidReference once positions are final."""

    reason: str
    part: str | None
    pos: int | None
    detail: str | None  # "{at}" stands for "at position N"


_PosMap = Callable[[int], int]


def _identity(pos: int) -> int:
    return pos


def _error(fault: _Fault, text: str, pos_map: _PosMap = _identity) -> InvalidReference:
    pos = None if fault.pos is None else pos_map(fault.pos)
    detail = fault.detail
    if detail is not None and pos is not None:
        detail = detail.replace("{at}", f"at position {pos}")
    return InvalidReference(fault.reason, detail, position=pos, part=fault.part, text=text)


def _q(text: str, limit: int = 60) -> str:
    """Quote a piece of user text for a message, shortened if long."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f'"{text}"'


def _show(ch: str) -> str:
    """Name one character for a message."""
    if ch == " ":
        return "a space"
    if ch.isprintable() and not ch.isspace():
        return f'"{ch}"'
    return f"U+{ord(ch):04X}"


def _go_lower(text: str) -> str:
    """Go's strings.ToLower: simple one-to-one case mapping (Python maps U+0130 to two chars)."""
    return text.replace("\u0130", "i").lower()


# ---------------------------------------------------------------------------------------------
# Explaining a failure. These run only after the grammar has rejected the text; each returns the
# first problem in its part (positions relative to the whole text) or None when the part is fine.


def _domain_fault(domain: str, off: int) -> _Fault | None:
    if _DOMAIN_RE.fullmatch(domain):
        return None
    what = f"registry host {_q(domain)}"

    def bad(pos: int, detail: str) -> _Fault:
        return _Fault(ERR_REFERENCE_INVALID_FORMAT, "domain", pos, f"{what} {detail}")

    if domain.startswith("["):
        close = domain.find("]")
        if close < 0:
            return bad(off, 'has a "[" {at} that is never closed with "]"')
        if close == 1:
            return bad(off + 1, "has an empty IPv6 address {at}")
        for i, ch in enumerate(domain[1:close], start=1):
            if ch not in _HEX and ch != ":":
                note = ""
                if ch == "%":
                    note = " (zone identifiers such as %eth0 are not supported)"
                elif ch == ".":
                    note = " (IPv4-style parts such as ::ffff:1.2.3.4 are not supported)"
                return bad(
                    off + i,
                    f'contains {_show(ch)} {{at}}; an IPv6 address in brackets may contain only '
                    f'hex digits and ":"{note}',
                )
        rest, rest_off = domain[close + 1 :], off + close + 1
        if rest and rest[0] != ":":
            return bad(rest_off, f'has {_show(rest[0])} {{at}} where ":port" or "/" should follow "]"')
    else:
        host_end = domain.find(":")
        if host_end < 0:
            host_end = len(domain)
        label_off = off
        for label in domain[:host_end].split("."):
            if not label:
                return bad(label_off, 'has an empty label {at}; labels are separated by a single "."')
            for i, ch in enumerate(label):
                if ch not in _DOMAIN_LABEL_CHARS:
                    return bad(label_off + i, f"contains {_show(ch)} {{at}}; {_DOMAIN_RULE}")
            if label[0] == "-":
                return bad(label_off, f'has the label {_q(label)} starting with "-" {{at}}')
            if label[-1] == "-":
                return bad(label_off + len(label) - 1, f'has the label {_q(label)} ending with "-" {{at}}')
            label_off += len(label) + 1
        rest, rest_off = domain[host_end:], off + host_end
    if rest:  # ":port"
        port = rest[1:]
        if not port:
            return bad(rest_off, 'has an empty port after ":" {at}')
        for i, ch in enumerate(port):
            if ch not in _DIGITS:
                note = ""
                if ch == ":" and not domain.startswith("["):
                    note = ' (an IPv6 address must be written in brackets, e.g. "[fc00::1]:5000")'
                return bad(
                    rest_off + 1 + i, f"has {_show(ch)} in its port {{at}}; a port is digits only{note}"
                )
    return bad(off, f"is not valid {{at}}; {_DOMAIN_RULE}")  # not reached: the checks above cover the grammar


def _path_component_fault(comp: str, off: int) -> _Fault | None:
    if _PATH_COMPONENT_RE.fullmatch(comp):
        return None
    what = f"path component {_q(comp)}"

    def bad(pos: int, detail: str) -> _Fault:
        return _Fault(ERR_REFERENCE_INVALID_FORMAT, "path", pos, f"{what} {detail}")

    for i, ch in enumerate(comp):
        if "A" <= ch <= "Z":
            return bad(off + i, f"contains upper-case {_show(ch)} {{at}}; repository names must be lowercase")
        if ch not in _LOWER_ALNUM and ch not in _PATH_SEPARATORS:
            note = ""
            if ch == ":":
                note = ' (":" belongs only after the registry host, for a port, or before the tag)'
            return bad(off + i, f"contains {_show(ch)} {{at}}; {_PATH_RULE}{note}")
    if comp[0] in _PATH_SEPARATORS:
        return bad(
            off, f"starts with {_show(comp[0])} {{at}}; it must start with a lowercase letter or digit"
        )
    if comp[-1] in _PATH_SEPARATORS:
        return bad(
            off + len(comp) - 1,
            f"ends with {_show(comp[-1])} {{at}}; it must end with a lowercase letter or digit",
        )
    for m in re.finditer(r"[._-]{2,}", comp):
        run = m.group()
        if run != "__" and set(run) != {"-"}:
            return bad(
                off + m.start(),
                f'has the separator {_q(run)} {{at}}; between letters and digits use one ".", '
                'one or two "_", or any number of "-"',
            )
    return bad(off, f"is not valid {{at}}; {_PATH_RULE}")  # not reached


def _looks_like_domain(comp: str) -> bool:
    return comp == LOCALHOST or any(ch in ".:[]" or ch.isupper() for ch in comp)


def _name_fault(name: str, off: int, domain_allowed: bool = True) -> _Fault | None:
    """Problems in ``[domain "/"] path`` (or just ``path``); ``name`` is not empty."""
    comps = name.split("/")
    pos = off
    for index, comp in enumerate(comps):
        if not comp:
            if index == 0:
                detail = 'starts with "/" {at}; put the registry host or the first path component first'
                return _Fault(ERR_REFERENCE_INVALID_FORMAT, "path", pos, f"the name {detail}")
            if index == len(comps) - 1:
                detail = 'ends with "/" {at}; a repository name follows the last "/"'
                return _Fault(ERR_REFERENCE_INVALID_FORMAT, "path", pos - 1, f"the name {detail}")
            return _Fault(
                ERR_REFERENCE_INVALID_FORMAT, "path", pos, 'the name has an empty path component {at} ("//")'
            )
        if index == 0 and len(comps) > 1 and domain_allowed:
            # the first component is the domain if it can be one; otherwise it is part of the path
            if not (_DOMAIN_RE.fullmatch(comp) or _PATH_COMPONENT_RE.fullmatch(comp)):
                if _looks_like_domain(comp):
                    return _domain_fault(comp, pos)
                return _path_component_fault(comp, pos)
        else:
            fault = _path_component_fault(comp, pos)
            if fault:
                return fault
        pos += len(comp) + 1
    return None


def _tag_fault(tag: str, off: int, reason: str = ERR_REFERENCE_INVALID_FORMAT) -> _Fault | None:
    if _TAG_RE.fullmatch(tag):
        return None
    if not tag:
        where = 'after ":" ' if off > 0 else ""
        return _Fault(reason, "tag", max(off - 1, 0), f"the tag {where}{{at}} is empty; {_TAG_RULE}")
    what = f"tag {_q(tag)}"
    if tag[0] in ".-":
        return _Fault(reason, "tag", off, f"{what} starts with {_show(tag[0])} {{at}}; {_TAG_RULE}")
    for i, ch in enumerate(tag):
        if ch not in _TAG_CHARS:
            return _Fault(reason, "tag", off + i, f"{what} contains {_show(ch)} {{at}}; {_TAG_RULE}")
    return _Fault(
        reason,
        "tag",
        off + TAG_MAX,
        f"{what} is {len(tag)} characters long; the limit of {TAG_MAX} is passed {{at}}",
    )


def _digest_syntax_fault(digest: str, off: int, reason: str = ERR_REFERENCE_INVALID_FORMAT) -> _Fault | None:
    """Problems the grammar catches (the digest regexp of the reference package)."""
    if _DIGEST_RE.fullmatch(digest):
        return None

    def bad(pos: int, detail: str) -> _Fault:
        return _Fault(reason, "digest", pos, detail)

    if not digest:
        where = 'after "@" ' if off > 0 else ""
        return bad(max(off - 1, 0), f"the digest {where}{{at}} is empty; {_DIGEST_FORM}")
    what = f"digest {_q(digest)}"
    colon = digest.find(":")
    if colon < 0:
        return bad(off, f'{what} {{at}} has no ":"; {_DIGEST_FORM}')
    algorithm = digest[:colon]
    if not algorithm:
        return bad(off, f'{what} has no algorithm before ":" {{at}}; {_DIGEST_FORM}')
    for i, ch in enumerate(algorithm):
        after_separator = i == 0 or algorithm[i - 1] in _ALGORITHM_SEPARATORS
        if ch in _ASCII_LETTERS:
            continue
        if ch in _DIGITS or ch in _ALGORITHM_SEPARATORS:
            if after_separator:
                return bad(
                    off + i,
                    f"{what} has {_show(ch)} {{at}} where the algorithm (or a part of it after "
                    '"+", ".", "_" or "-") must start with a letter',
                )
            continue
        return bad(
            off + i,
            f'{what} contains {_show(ch)} in its algorithm {{at}}; an algorithm has letters, '
            'digits and the separators "+", ".", "_" and "-"',
        )
    if algorithm[-1] in _ALGORITHM_SEPARATORS:
        return bad(off + colon - 1, f"{what} has an algorithm ending with {_show(algorithm[-1])} {{at}}")
    value, value_off = digest[colon + 1 :], off + colon + 1
    for i, ch in enumerate(value):
        if ch not in _HEX:
            return bad(
                value_off + i,
                f'{what} contains {_show(ch)} {{at}}; the value after ":" must be hexadecimal (0-9, a-f)',
            )
    expected = DIGEST_ALGORITHMS.get(algorithm)
    need = f"exactly {expected}" if expected else "at least 32"
    return bad(value_off, f"{what} has {len(value)} hex digits {{at}}; {algorithm} needs {need}")


def _digest_value_fault(digest: str, off: int) -> _Fault | None:
    """go-digest's Validate, run once the grammar matched: known algorithm, right length, lowercase."""
    algorithm, _, value = digest.partition(":")
    value_off = off + len(algorithm) + 1
    expected = DIGEST_ALGORITHMS.get(algorithm)
    if expected is None:
        if not _GO_DIGEST_RE.fullmatch(digest):
            upper = next((i for i, ch in enumerate(algorithm) if ch.isupper()), 0)
            hint = f' (did you mean "{algorithm.lower()}"?)' if algorithm.lower() in DIGEST_ALGORITHMS else ""
            return _Fault(
                ERR_CHECKSUM_INVALID_FORMAT,
                "digest",
                off + upper,
                f"digest algorithm {_q(algorithm)} contains upper-case {_show(algorithm[upper])} {{at}}; "
                f"algorithms are lowercase{hint}",
            )
        known = ", ".join(DIGEST_ALGORITHMS)
        return _Fault(
            ERR_DIGEST_UNSUPPORTED, "digest", off, f"{_q(algorithm)} {{at}} is not one of {known}"
        )
    for i, ch in enumerate(value):
        if ch not in _LOWER_ALNUM:  # the grammar already made it hex; so this is A-F
            return _Fault(
                ERR_CHECKSUM_INVALID_FORMAT,
                "digest",
                value_off + i,
                f"{algorithm} digest contains upper-case {_show(ch)} {{at}}; "
                f"{algorithm} digests are written in lowercase hex",
            )
    if len(value) != expected:
        pos = value_off + expected if len(value) > expected else value_off
        return _Fault(
            ERR_CHECKSUM_INVALID_FORMAT,
            "digest",
            pos,
            f"{algorithm} digest has {len(value)} hex digits {{at}}; it must have exactly {expected}",
        )
    return None


def _explain(text: str) -> _Fault:
    """Why the reference grammar rejected ``text`` (non-empty, not a mere upper-case problem)."""
    if text != text.strip():
        if text[0].isspace():
            return _Fault(ERR_REFERENCE_INVALID_FORMAT, None, 0, "the reference starts with white space {at}")
        end = len(text.rstrip())
        return _Fault(ERR_REFERENCE_INVALID_FORMAT, None, end, "the reference ends with white space {at}")
    scheme = _URL_SCHEME_RE.match(text)
    if scheme:
        return _Fault(
            ERR_REFERENCE_INVALID_FORMAT,
            "domain",
            0,
            f"{_q(scheme.group())} {{at}} is a URL scheme; an image reference has none "
            '(write "registry.example.com/team/app:1.0", not "https://...")',
        )

    first_slash = text.find("/")
    if text.startswith("[") and first_slash > 0:
        # only a registry host starts with "[", and it ends at the first "/"
        fault = _domain_fault(text[:first_slash], 0)
        if fault:
            return fault

    at = text.find("@")
    name_and_tag = text if at < 0 else text[:at]
    slash = name_and_tag.rfind("/")
    if slash < 0 and name_and_tag.startswith("["):
        # "[::1]:5000" - an IPv6 registry with no repository after it
        close = name_and_tag.find("]")
        if close < 0 or _DOMAIN_RE.fullmatch(name_and_tag):
            host = name_and_tag
        else:
            host = name_and_tag[: close + 1]
        fault = _domain_fault(host, 0)
        if fault:
            return fault
        return _Fault(
            ERR_REFERENCE_INVALID_FORMAT,
            "domain",
            len(host),
            f'the registry host {_q(host)} must be followed by "/" and a repository path {{at}}, '
            'e.g. "[fc00::1]:5000/team/app"',
        )
    # the tag starts at the first ":" after the last "/" (a port's ":" comes before a "/")
    colon = name_and_tag.find(":", slash + 1)
    name = name_and_tag if colon < 0 else name_and_tag[:colon]
    if not name:
        return _Fault(
            ERR_REFERENCE_INVALID_FORMAT,
            "name",
            0,
            'the repository name is missing {at}; a reference starts with a name such as "ubuntu" '
            'or "registry.example.com/team/app"',
        )
    fault = _name_fault(name, 0)
    if fault is None and colon >= 0:
        fault = _tag_fault(name_and_tag[colon + 1 :], colon + 1)
    if fault is None and at >= 0:
        fault = _digest_syntax_fault(text[at + 1 :], at + 1)
    if fault is None:  # not reached: the checks above cover the whole grammar
        fault = _Fault(
            ERR_REFERENCE_INVALID_FORMAT,
            None,
            None,
            "expected [registry[:port]/]path[:tag][@algorithm:hex]",
        )
    return fault


def _uppercase_fault(text: str, lowered: re.Match) -> _Fault:
    """Go's ErrNameContainsUppercase: the text would parse if it were lowercase."""
    start, end = lowered.span(2)  # the path, which is where case matters
    pos = next((i for i in range(start, end) if _go_lower(text[i]) != text[i]), None)
    if pos is None:
        pos = next(i for i, ch in enumerate(text) if _go_lower(ch) != ch)
    return _Fault(
        ERR_NAME_CONTAINS_UPPERCASE,
        "path",
        pos,
        f"the path {_q(text[start:end])} contains upper-case {_show(text[pos])} {{at}}; "
        f"use {_q(lowered.group(2))}",
    )


# ---------------------------------------------------------------------------------------------
# Parsing


def _parse(text: str, original: str | None = None, pos_map: _PosMap = _identity) -> ImageReference:
    """reference.Parse. Errors are reported against ``original`` through ``pos_map``."""
    shown = text if original is None else original
    if not text:
        raise InvalidReference(
            ERR_NAME_EMPTY, 'enter an image name such as "ubuntu" or "ubuntu:24.04"', part="name", text=shown
        )
    m = _REFERENCE_RE.fullmatch(text)
    if m is None:
        lowered = _go_lower(text)
        if lowered != text:
            lowered_match = _REFERENCE_RE.fullmatch(lowered)
            if lowered_match is not None:
                raise _error(_uppercase_fault(text, lowered_match), shown, pos_map)
        raise _error(_explain(text), shown, pos_map)

    domain, path, tag, digest = m.groups()
    if len(path) > REPOSITORY_NAME_MAX:
        raise _error(
            _Fault(
                ERR_NAME_TOO_LONG,
                "path",
                m.start(2) + REPOSITORY_NAME_MAX,
                f"the path {_q(path)} is {len(path)} characters long; "
                f"the limit of {REPOSITORY_NAME_MAX} is passed {{at}}",
            ),
            shown,
            pos_map,
        )
    if digest is not None:
        fault = _digest_value_fault(digest, m.start(4))
        if fault:
            raise _error(fault, shown, pos_map)
    return ImageReference(domain, path, tag, digest)


def parse_reference(text: str) -> ImageReference:
    """Parse ``text`` exactly as written (Go's ``reference.Parse``): no default registry, no
    ``library/``, so ``str(parse_reference(text)) == text``.

    As in Go, the first component is the domain whenever it can be one and a "/" follows it:
    ``foo/bar`` has domain ``foo``; ``test_com/foo`` has none (``_`` is not allowed in a host).
    """
    if not isinstance(text, str):
        raise TypeError(f"an image reference is a str, not {type(text).__name__}")
    return _parse(text)


def _split_docker_domain(name: str) -> tuple[str, str, int]:
    """Go's splitDockerDomain, plus how many characters of ``name`` the domain took (with "/")."""
    maybe_domain, slash, maybe_remote = name.partition("/")
    if not slash:
        # a single component ("ubuntu", "ubuntu:latest") is an official image on Docker Hub
        return DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name, 0
    if maybe_domain == LOCALHOST:
        domain, remote, used = maybe_domain, maybe_remote, len(maybe_domain) + 1
    elif maybe_domain == LEGACY_DEFAULT_DOMAIN:
        domain, remote, used = DEFAULT_DOMAIN, maybe_remote, len(maybe_domain) + 1
    elif "." in maybe_domain or ":" in maybe_domain:
        domain, remote, used = maybe_domain, maybe_remote, len(maybe_domain) + 1
    elif _go_lower(maybe_domain) != maybe_domain:
        # upper case is not allowed in the path, so an upper-case first component is a host
        domain, remote, used = maybe_domain, maybe_remote, len(maybe_domain) + 1
    else:
        domain, remote, used = DEFAULT_DOMAIN, name, 0
    if domain == DEFAULT_DOMAIN and "/" not in remote:
        remote = OFFICIAL_REPO_PREFIX + remote
    return domain, remote, used


def parse_normalized(text: str) -> ImageReference:
    """Parse a name as typed at the docker CLI (Go's ``reference.ParseNormalizedNamed``).

    ``ubuntu`` → ``docker.io/library/ubuntu``; ``foo/bar`` → ``docker.io/foo/bar``;
    ``index.docker.io/foo/bar`` → ``docker.io/foo/bar``; ``localhost/img``, ``Foo.com/bar``,
    ``host:5000/img`` keep their domain (a first component is a domain only if it contains "."
    or ":", is ``localhost``, or has upper case). No tag is added: see
    :meth:`ImageReference.with_default_tag`. Error positions refer to ``text`` as given.
    """
    if not isinstance(text, str):
        raise TypeError(f"an image reference is a str, not {type(text).__name__}")
    if not text:
        raise InvalidReference(
            ERR_NAME_EMPTY, 'enter an image name such as "ubuntu" or "ubuntu:24.04"', part="name", text=text
        )
    if _IDENTIFIER_RE.fullmatch(text):
        raise InvalidReference(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings",
            "64 hex digits are an image ID, not a repository name",
            part="name",
            text=text,
        )
    domain, remainder, used = _split_docker_domain(text)
    normalized = f"{domain}/{remainder}"
    inserted = len(normalized) - (len(text) - used)  # characters in front of text[used:]

    def pos_map(pos: int) -> int:
        return pos - inserted + used if pos >= inserted else min(pos, used)

    remote = remainder.partition(":")[0]
    if _go_lower(remote) != remote:
        first = next(i for i, ch in enumerate(remote) if _go_lower(ch) != ch)
        fault = _Fault(
            ERR_REFERENCE_INVALID_FORMAT,
            "path",
            len(domain) + 1 + first,
            f"repository name ({remote}) must be lowercase: {_show(remote[first])} {{at}} is upper-case",
        )
        raise _error(fault, text, pos_map)
    try:
        return _parse(normalized, text, pos_map)
    except InvalidReference:
        if used == 0 and text.startswith("[") and "/" not in text:
            # "[fc00::1]:5000" became "docker.io/library/[fc00::1]:5000"; explain the text as typed
            raise _error(_explain(text), text) from None
        raise


# ---------------------------------------------------------------------------------------------
# Checks for single fields


def validate_tag(text: str) -> None:
    """Raise InvalidReference (reason ``"invalid tag format"``) unless ``text`` is a valid tag."""
    fault = _tag_fault(text, 0, ERR_TAG_INVALID_FORMAT)
    if fault:
        raise _error(fault, text)


def validate_digest(text: str) -> None:
    """Raise InvalidReference unless ``text`` is a valid, supported ``algorithm:hex`` digest."""
    fault = _digest_syntax_fault(text, 0, ERR_DIGEST_INVALID_FORMAT) or _digest_value_fault(text, 0)
    if fault:
        raise _error(fault, text)


def validate_repository(text: str, *, normalize: bool = True) -> None:
    """Raise InvalidReference unless ``text`` is a repository name: a valid reference with no tag
    and no digest. With ``normalize`` (the default) the name is read as the docker CLI reads it
    (:func:`parse_normalized`), otherwise as written (:func:`parse_reference`)."""
    ref = parse_normalized(text) if normalize else parse_reference(text)
    if ref.tag is None and ref.digest is None:
        return
    suffix = len(ref.digest) + 1 if ref.digest is not None else 0
    if ref.tag is not None:
        suffix += len(ref.tag) + 1
    pos = len(text) - suffix
    part = "tag" if ref.tag is not None else "digest"
    note = ""
    if ref.tag is not None and ref.tag.isdigit() and ref.digest is None:
        note = f' (if that is a registry port, add "/" and a repository: "{text}/app")'
    raise InvalidReference(
        ERR_REFERENCE_INVALID_FORMAT,
        f"a repository name has no tag or digest, but {_q(text[pos:])} at position {pos} is one{note}",
        position=pos,
        part=part,
        text=text,
    )


# ---------------------------------------------------------------------------------------------
# The value


@dataclass(frozen=True)
class ImageReference:
    """A parsed image reference. ``domain``, ``tag`` and ``digest`` are ``None`` when absent.

    Every field is checked on construction, so an ImageReference is always valid; build one with
    :func:`parse_reference` or :func:`parse_normalized` rather than by hand.
    """

    domain: str | None
    path: str
    tag: str | None = None
    digest: str | None = None

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not (isinstance(value, str) or (value is None and field.name != "path")):
                raise TypeError(f"ImageReference.{field.name} must be a str, not {type(value).__name__}")
        checked = self._first_fault()
        if checked is not None:
            fault, value = checked
            raise _error(fault, value)

    def _first_fault(self) -> tuple[_Fault, str] | None:
        if self.domain is not None:
            if not self.domain:
                return _Fault(ERR_REFERENCE_INVALID_FORMAT, "domain", None, "use None for no domain"), ""
            fault = _domain_fault(self.domain, 0)
            if fault:
                return fault, self.domain
        if not self.path:
            return _Fault(ERR_NAME_EMPTY, "path", None, None), ""
        if not _REMOTE_NAME_RE.fullmatch(self.path):
            return _name_fault(self.path, 0, domain_allowed=False), self.path
        if len(self.path) > REPOSITORY_NAME_MAX:
            detail = (
                f"the path is {len(self.path)} characters long; "
                f"the limit of {REPOSITORY_NAME_MAX} is passed {{at}}"
            )
            return _Fault(ERR_NAME_TOO_LONG, "path", REPOSITORY_NAME_MAX, detail), self.path
        if self.tag is not None:
            fault = _tag_fault(self.tag, 0, ERR_TAG_INVALID_FORMAT)
            if fault:
                return fault, self.tag
        if self.digest is not None:
            fault = _digest_syntax_fault(self.digest, 0, ERR_DIGEST_INVALID_FORMAT)
            fault = fault or _digest_value_fault(self.digest, 0)
            if fault:
                return fault, self.digest
        return None

    @property
    def name(self) -> str:
        """Domain and path as written: ``docker.io/library/ubuntu``, ``ubuntu``."""
        return self.path if self.domain is None else f"{self.domain}/{self.path}"

    @property
    def repository(self) -> str:
        """Same as :attr:`name` (the docker CLI's "REPOSITORY" column)."""
        return self.name

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    def _familiar_parts(self) -> tuple[str | None, str]:
        if self.domain != DEFAULT_DOMAIN:
            return self.domain, self.path
        path = self.path
        if path.startswith(OFFICIAL_REPO_PREFIX):
            rest = path[len(OFFICIAL_REPO_PREFIX) :]
            if "/" not in rest:  # "library/a/b" stays as it is, as in Go
                path = rest
        return None, path

    def familiar_name(self) -> str:
        """The short name without tag or digest: ``ubuntu`` for ``docker.io/library/ubuntu``."""
        domain, path = self._familiar_parts()
        return path if domain is None else f"{domain}/{path}"

    def familiar(self) -> str:
        """The short form the docker CLI shows (Go's FamiliarString): ``docker.io/`` and an
        official image's ``library/`` dropped, tag and digest kept: ``ubuntu:latest``."""
        text = self.familiar_name()
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    def with_tag(self, tag: str) -> ImageReference:
        """The same reference with ``tag`` (checked; reason ``"invalid tag format"``). A digest,
        if any, is kept, as Go's WithTag does."""
        validate_tag(tag)
        return dataclasses.replace(self, tag=tag)

    def with_digest(self, digest: str) -> ImageReference:
        """The same reference with ``digest`` (checked, including algorithm and length)."""
        validate_digest(digest)
        return dataclasses.replace(self, digest=digest)

    def with_default_tag(self) -> ImageReference:
        """Go's TagNameOnly: add ``:latest`` if there is neither tag nor digest."""
        if self.tag is None and self.digest is None:
            return dataclasses.replace(self, tag=DEFAULT_TAG)
        return self
