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
whose message is a plain sentence about the text as typed: which part is wrong, every kind of
character that is not allowed there and at which (0-based) position, and what would be valid.
The Go error text stays available as its ``reason``. :func:`split_repository_field` splits a
``repo:tag`` typed into a Repository field. The module is pure standard library, cheap enough to
call on every keystroke.
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
    "split_repository_field",
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
    'a tag may contain letters, digits, "_", "." and "-" (at most 128 of them) '
    'and must not start with "." or "-"'
)
_PATH_RULE = (
    'a repository name may contain only lowercase letters, digits and the separators ".", "_", '
    '"__" and "-", with "/" between its parts'
)
_PATH_RULE_UPPER = (
    'a repository name must be lowercase: it may contain only lowercase letters, digits and the '
    'separators ".", "_", "__" and "-", with "/" between its parts'
)
_DOMAIN_RULE = (
    'a registry host may contain only letters, digits, "-" and ".", optionally followed by '
    '":port" (an IPv6 address goes in brackets: "[fc00::1]:5000")'
)
_DIGEST_FORM = 'a digest is written "algorithm:hex", e.g. "sha256:" followed by 64 hex digits'
_PATH_CHARS = _LOWER_ALNUM | _PATH_SEPARATORS
#: How many offending characters a message names before it counts the rest.
_NAMED_CHARS_MAX = 6


# ---------------------------------------------------------------------------------------------
# Errors

# Plain words for a Go error text that comes without a detail.
_PLAIN_REASONS = MappingProxyType({
    ERR_NAME_EMPTY: "The repository name is empty.",
    ERR_REFERENCE_INVALID_FORMAT: "This is not an image name (expected [registry[:port]/]name[:tag][@digest]).",
    ERR_TAG_INVALID_FORMAT: "This is not a valid tag.",
    ERR_DIGEST_INVALID_FORMAT: "This is not a valid digest.",
})


def _sentence(text: str) -> str:
    """``text`` as a sentence: a capital letter first and a full stop last."""
    if text[:1].islower():
        text = text[0].upper() + text[1:]
    if not text.endswith((".", "!", "?")):
        text += "."
    return text


class InvalidReference(ValueError):
    """Text that is not a valid image reference (or tag, digest, repository name).

    ``str()`` is a plain sentence that says what is wrong and where (0-based positions), naming
    every kind of character that is not allowed: ``The repository name "My App" contains
    upper-case "M" at position 0 and "A" at position 3, and a space at position 2; ...``.
    ``reason`` is the Go package's error text (for example ``"invalid reference format"`` or
    ``"repository name must be lowercase"``), for code that needs to tell failures apart;
    ``detail`` is the explanation the sentence was made from. ``position`` is the 0-based index
    in ``text`` of the (first) offending character (``len(text)`` when something is missing at
    the end; ``None`` when no single place is to blame); ``part`` is ``"domain"``, ``"path"``,
    ``"tag"``, ``"digest"``, ``"name"`` or ``None``.
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
        if detail:
            detail = detail.replace(_BRACE, "{")
        message = _sentence(detail) if detail else _PLAIN_REASONS.get(reason, _sentence(reason))
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
    detail: str | None  # "{at}" stands for "at position <pos>", "{at:N}" for "at position <N>"


_PosMap = Callable[[int], int]

# User text reaches a message only through _q() and _show(), which turn "{" into this private-use
# character, so that only the placeholders the checks wrote are replaced; it becomes "{" again last.
_BRACE = "\ue000"
_AT_RE = re.compile(r"\{at(?::(\d+))?\}")


def _identity(pos: int) -> int:
    return pos


def _error(fault: _Fault, text: str, pos_map: _PosMap = _identity) -> InvalidReference:
    pos = None if fault.pos is None else pos_map(fault.pos)
    detail = fault.detail
    if detail is not None:

        def at(m: re.Match) -> str:
            where = pos if m.group(1) is None else pos_map(int(m.group(1)))
            return f"at position {where}"

        if pos is not None or "{at:" in detail:
            detail = _AT_RE.sub(at, detail)
    return InvalidReference(fault.reason, detail, position=pos, part=fault.part, text=text)


def _visible(text: str) -> str:
    """``text`` with every character that would not show (control characters, line breaks, lone
    surrogates, invisible spaces) replaced by U+FFFD, and "{" protected from placeholder filling."""
    return "".join(
        (_BRACE if ch == "{" else ch) if ch == " " or ch.isprintable() else "\N{REPLACEMENT CHARACTER}"
        for ch in text
    )


def _q(text: str, limit: int = 60) -> str:
    """Quote a piece of user text for a message, shortened if long."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f'"{_visible(text)}"'


_CHARACTER_NAMES = MappingProxyType({
    " ": "a space",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a carriage return",
    "\u00a0": "a non-breaking space",
    "\u3000": "an ideographic space",
    "\x00": "a NUL character (U+0000)",
})


def _show(ch: str) -> str:
    """Name one character for a message."""
    if ch in _CHARACTER_NAMES:
        return _CHARACTER_NAMES[ch]
    if ch.isprintable() and not ch.isspace():
        return f'"{_visible(ch)}"'
    if ch.isspace():
        return f"a space character (U+{ord(ch):04X})"
    return f"the invisible character U+{ord(ch):04X}"


def _go_lower(text: str) -> str:
    """Go's strings.ToLower: simple one-to-one case mapping (Python maps U+0130 to two chars)."""
    return text.replace("\u0130", "i").lower()


def _is_upper(ch: str) -> bool:
    return _go_lower(ch) != ch


def _join(items: list[str], last: str = " and ") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + last + items[-1]


def _bad_characters(
    text: str, off: int, allowed: frozenset, upper_is_a_kind: bool = False, *, bad: set | None = None
) -> tuple[int, str, bool] | None:
    """Every character of ``text`` outside ``allowed`` (or in ``bad``, when given), each named
    once with where it first is: ``(first position, 'upper-case "M" at position 0 and "A" at
    position 3, and a space at position 2', whether upper-case letters are among them)``, or None
    when all are allowed. With ``upper_is_a_kind`` upper-case letters are named together, first."""
    chars = set(text) - allowed if bad is None else bad
    if not chars:
        return None
    if len(chars) <= 50:  # str.find is quick, even in a very long text
        firsts = {ch: off + pos for pos, ch in sorted((text.find(ch), ch) for ch in chars)}
    else:
        firsts = {}
        for i, ch in enumerate(text):
            if ch in chars and ch not in firsts:
                firsts[ch] = off + i
                if len(firsts) > 50:  # enough to say what is wrong
                    break
    upper = [(ch, pos) for ch, pos in firsts.items() if upper_is_a_kind and _is_upper(ch)]
    other = [(ch, pos) for ch, pos in firsts.items() if not (upper_is_a_kind and _is_upper(ch))]
    named = 0
    groups: list[str] = []
    if upper:
        shown = upper[:_NAMED_CHARS_MAX]
        named += len(shown)
        groups.append("upper-case " + _join([f"{_show(ch)} {{at:{pos}}}" for ch, pos in shown]))
    for ch, pos in other[: max(_NAMED_CHARS_MAX - named, 1)]:
        named += 1
        groups.append(f"{_show(ch)} {{at:{pos}}}")
    rest = len(firsts) - named
    if rest == 1:
        groups.append("1 more character that is not allowed")
    elif rest > 1:
        groups.append(f"{rest} more characters that are not allowed")
    # "upper-case "M" at position 0 and "A" at position 3, and a space at position 2"
    last = ", and " if len(groups) > 2 or len(upper) > 1 else " and "
    return min(firsts.values()), _join(groups, last), bool(upper)


_NOT_IN_A_NAME = re.compile(r"[^a-z0-9._/-]+")


def _suggest_name(name: str) -> str | None:
    """A repository name close to ``name`` that is valid (lowercase, other characters turned into
    "-"), or None when no simple change makes one."""
    if len(name) > REPOSITORY_NAME_MAX:
        return None
    parts = []
    for comp in _go_lower(name).split("/"):
        comp = _NOT_IN_A_NAME.sub("-", comp)
        comp = re.sub(r"[._-]{2,}", lambda m: m.group() if m.group() == "__" or set(m.group()) == {"-"} else "-", comp)
        comp = comp.strip("._-")
        if comp:
            parts.append(comp)
    suggestion = "/".join(parts)
    if suggestion and suggestion != name and _REMOTE_NAME_RE.fullmatch(suggestion):
        return suggestion
    return None


# ---------------------------------------------------------------------------------------------
# Explaining a failure. These run only after the grammar has rejected the text; each returns the
# first problem in its part (positions relative to the whole text) or None when the part is fine.


def _domain_fault(domain: str, off: int) -> _Fault | None:
    if _DOMAIN_RE.fullmatch(domain):
        return None
    what = f"the registry host {_q(domain)}"

    def bad(pos: int, detail: str) -> _Fault:
        return _Fault(ERR_REFERENCE_INVALID_FORMAT, "domain", pos, f"{what} {detail}")

    if domain.startswith("["):
        close = domain.find("]")
        if close < 0:
            return bad(off, 'has a "[" {at} that is never closed with "]"')
        if close == 1:
            return bad(off + 1, "has an empty IPv6 address {at}")
        found = _bad_characters(domain[1:close], off + 1, _HEX | {":"})
        if found:
            first, named, _upper = found
            note = ""
            if "%" in domain[1:close]:
                note = " (zone identifiers such as %eth0 are not supported)"
            elif "." in domain[1:close]:
                note = " (IPv4-style parts such as ::ffff:1.2.3.4 are not supported)"
            return bad(
                first,
                f'contains {named}; an IPv6 address in brackets may contain only hex digits and ":"{note}',
            )
        rest, rest_off = domain[close + 1 :], off + close + 1
        if rest and rest[0] != ":":
            return bad(rest_off, f'has {_show(rest[0])} {{at}} where ":port" or "/" should follow "]"')
    else:
        host_end = domain.find(":")
        if host_end < 0:
            host_end = len(domain)
        found = _bad_characters(domain[:host_end], off, _DOMAIN_LABEL_CHARS | {"."})
        if found:
            first, named, _upper = found
            return bad(first, f"contains {named}; {_DOMAIN_RULE}")
        label_off = off
        for label in domain[:host_end].split("."):
            if not label:
                return bad(label_off, 'has an empty label {at}; labels are separated by a single "."')
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
        found = _bad_characters(port, rest_off + 1, _DIGITS)
        if found:
            first, named, _upper = found
            note = ""
            if ":" in port and not domain.startswith("["):
                note = ' (an IPv6 address must be written in brackets, e.g. "[fc00::1]:5000")'
            return bad(first, f"has {named} in its port; a port is digits only{note}")
    return bad(off, f"is not valid {{at}}; {_DOMAIN_RULE}")  # not reached: the checks above cover the grammar


def _separator_fault(name: str, comp: str, off: int) -> _Fault | None:
    """Where the separators of one part of a repository name (characters already checked) are wrong."""
    if _PATH_COMPONENT_RE.fullmatch(comp):
        return None
    what = f"the repository name {_q(name)}"
    part = f"its part {_q(comp)}" if comp != name else "it"

    def bad(pos: int, detail: str) -> _Fault:
        return _Fault(ERR_REFERENCE_INVALID_FORMAT, "path", pos, f"{what} is not valid: {detail}")

    if comp[0] in _PATH_SEPARATORS:
        return bad(off, f"{part} starts with {_show(comp[0])} {{at}}, and must start with a lowercase letter or digit")
    if comp[-1] in _PATH_SEPARATORS:
        return bad(
            off + len(comp) - 1,
            f"{part} ends with {_show(comp[-1])} {{at}}, and must end with a lowercase letter or digit",
        )
    for m in re.finditer(r"[._-]{2,}", comp):
        run = m.group()
        if run != "__" and set(run) != {"-"}:
            return bad(
                off + m.start(),
                f'{part} has the separator {_q(run)} {{at}}; between letters and digits use one ".", '
                'one or two "_", or any number of "-"',
            )
    return bad(off, f"{part} is not valid {{at}}; {_PATH_RULE}")  # not reached


def _path_characters_fault(name: str, path: str, path_off: int) -> _Fault | None:
    """Every character of ``path`` that may not be in a repository name, named in one sentence
    about ``name`` (the path with its registry host, as typed)."""
    found = _bad_characters(path, path_off, _PATH_CHARS | {"/"}, upper_is_a_kind=True)
    if found is None:
        return None
    first, named, upper = found
    note = ""
    if ":" in path:
        note = ' (":" belongs only after the registry host, for a port, or before the tag)'
    suggestion = _suggest_name(path)
    if suggestion is not None:
        prefix = name[: len(name) - len(path)] if name.endswith(path) else ""
        note += f'; for example "{_visible(prefix + suggestion)}"'
    return _Fault(
        ERR_REFERENCE_INVALID_FORMAT,
        "path",
        first,
        f"the repository name {_q(name)} contains {named}; {_PATH_RULE_UPPER if upper else _PATH_RULE}{note}",
    )


def _looks_like_domain(comp: str) -> bool:
    return comp == LOCALHOST or any(ch in ".:[]" or ch.isupper() for ch in comp)


# Where a normalised text is as typed: (index from which it is the typed text, what was typed in
# place of the characters before it). parse_normalized() turns "ubuntu" into
# "docker.io/library/ubuntu"; messages quote what the person typed.
_Typed = tuple[int, str]
_AS_PARSED: _Typed = (0, "")


def _name_fault(name: str, off: int, domain_allowed: bool = True, typed: _Typed = _AS_PARSED) -> _Fault | None:
    """Problems in ``[domain "/"] path`` (or just ``path``); ``name`` is not empty."""
    typed_from, typed_prefix = typed
    shown = typed_prefix + name[max(0, typed_from - off) :]
    comps = name.split("/")
    pos = off
    for index, comp in enumerate(comps):
        if not comp:
            if index == 0:
                detail = 'starts with "/" {at}; put the registry host or the first part of the name first'
                return _Fault(ERR_REFERENCE_INVALID_FORMAT, "path", pos, f"the name {_q(shown)} {detail}")
            if index == len(comps) - 1:
                detail = 'ends with "/" {at}; a repository name follows the last "/"'
                return _Fault(ERR_REFERENCE_INVALID_FORMAT, "path", pos - 1, f"the name {_q(shown)} {detail}")
            return _Fault(
                ERR_REFERENCE_INVALID_FORMAT, "path", pos, f'the name {_q(shown)} has an empty part {{at}} ("//")'
            )
        pos += len(comp) + 1
    start = 0
    if domain_allowed and len(comps) > 1:
        # the first component is the domain if it can be one; otherwise it is part of the path
        first = comps[0]
        if _DOMAIN_RE.fullmatch(first):
            start = 1
        elif not _PATH_COMPONENT_RE.fullmatch(first) and _looks_like_domain(first):
            return _domain_fault(first, off)
    path_off = off + sum(len(comp) + 1 for comp in comps[:start])
    path = "/".join(comps[start:])
    skip = max(0, typed_from - path_off)  # only a whole, valid "library/" is ever put in front
    fault = _path_characters_fault(shown, path[skip:], path_off + skip)
    if fault:
        return fault
    pos = path_off
    for comp in comps[start:]:
        fault = _separator_fault(shown, comp, pos)
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
    what = f"the tag {_q(tag)}"
    found = _bad_characters(tag, off, _TAG_CHARS)
    if found:
        first, named, _upper = found
        return _Fault(reason, "tag", first, f"{what} contains {named}; {_TAG_RULE}")
    if tag[0] in ".-":
        return _Fault(reason, "tag", off, f"{what} starts with {_show(tag[0])} {{at}}; {_TAG_RULE}")
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
    what = f"the digest {_q(digest)}"
    colon = digest.find(":")
    if colon < 0:
        return bad(off, f'{what} (starting {{at}}) has no ":"; {_DIGEST_FORM}')
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
            hint = f' (did you mean "{_visible(algorithm.lower())}"?)' if algorithm.lower() in DIGEST_ALGORITHMS else ""
            return _Fault(
                ERR_CHECKSUM_INVALID_FORMAT,
                "digest",
                off + upper,
                f"the digest algorithm {_q(algorithm)} contains upper-case {_show(algorithm[upper])} {{at}}; "
                f"algorithms are lowercase{hint}",
            )
        known = ", ".join(DIGEST_ALGORITHMS)
        return _Fault(
            ERR_DIGEST_UNSUPPORTED, "digest", off, f"the digest algorithm {_q(algorithm)} {{at}} is not one of {known}"
        )
    for i, ch in enumerate(value):
        if ch not in _LOWER_ALNUM:  # the grammar already made it hex; so this is A-F
            return _Fault(
                ERR_CHECKSUM_INVALID_FORMAT,
                "digest",
                value_off + i,
                f"the {algorithm} digest contains upper-case {_show(ch)} {{at}}; "
                f"{algorithm} digests are written in lowercase hex",
            )
    if len(value) != expected:
        pos = value_off + expected if len(value) > expected else value_off
        return _Fault(
            ERR_CHECKSUM_INVALID_FORMAT,
            "digest",
            pos,
            f"the {algorithm} digest has {len(value)} hex digits {{at}}; it must have exactly {expected}",
        )
    return None


def _whitespace_fault(text: str) -> _Fault | None:
    if text == text.strip():
        return None
    if text[0].isspace():
        detail = f"the name starts with white space ({_show(text[0])}) {{at}}; remove it"
        return _Fault(ERR_REFERENCE_INVALID_FORMAT, None, 0, detail)
    end = len(text.rstrip())
    detail = f"the name ends with white space ({_show(text[end])}) {{at}}; remove it"
    return _Fault(ERR_REFERENCE_INVALID_FORMAT, None, end, detail)


def _explain(text: str, typed: _Typed = _AS_PARSED) -> _Fault:
    """Why the reference grammar rejected ``text`` (non-empty, not a mere upper-case problem)."""
    fault = _whitespace_fault(text)
    if fault:
        return fault
    scheme = _URL_SCHEME_RE.match(text)
    if scheme:
        return _Fault(
            ERR_REFERENCE_INVALID_FORMAT,
            "domain",
            0,
            f"the name starts with the URL scheme {_q(scheme.group())} {{at}}; an image name has none "
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
            'the repository name is missing {at}; an image name starts with a repository such as "ubuntu" '
            'or "registry.example.com/team/app"',
        )
    fault = _name_fault(name, 0, typed=typed)
    if fault is None and colon >= 0:
        fault = _tag_fault(name_and_tag[colon + 1 :], colon + 1)
    if fault is None and at >= 0:
        fault = _digest_syntax_fault(text[at + 1 :], at + 1)
    if fault is None:  # not reached: the checks above cover the whole grammar
        fault = _Fault(
            ERR_REFERENCE_INVALID_FORMAT,
            None,
            None,
            f"{_q(text)} is not an image name: expected [registry[:port]/]path[:tag][@algorithm:hex]",
        )
    return fault


def _uppercase_fault(text: str, lowered: re.Match) -> _Fault:
    """Go's ErrNameContainsUppercase: the text would parse if it were lowercase."""
    start, end = lowered.span(2)  # the path, which is where case matters
    name_start = start if lowered.group(1) is None else lowered.start(1)
    path = text[start:end]
    found = _bad_characters(path, start, frozenset(), True, bad={ch for ch in set(path) if _is_upper(ch)})
    if found is None:  # not reached: only the path may not have upper case
        pos = next(i for i, ch in enumerate(text) if _is_upper(ch))
        return _Fault(
            ERR_NAME_CONTAINS_UPPERCASE,
            "path",
            pos,
            f"{_q(text)} contains upper-case {_show(text[pos])} {{at}}; use {_q(lowered.string)}",
        )
    first, named, _upper = found
    return _Fault(
        ERR_NAME_CONTAINS_UPPERCASE,
        "path",
        first,
        f"the repository name {_q(text[name_start:end])} contains {named}; a repository name must be lowercase "
        f"(use {_q(text[name_start:start] + lowered.group(2))})",
    )


# ---------------------------------------------------------------------------------------------
# Parsing


def _parse(
    text: str, original: str | None = None, pos_map: _PosMap = _identity, typed: _Typed = _AS_PARSED
) -> ImageReference:
    """reference.Parse. Errors are reported against ``original`` through ``pos_map``; ``typed``
    says which part of ``text`` is ``original`` as typed."""
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
        raise _error(_explain(text, typed), shown, pos_map)

    domain, path, tag, digest = m.groups()
    if len(path) > REPOSITORY_NAME_MAX:
        raise _error(
            _Fault(
                ERR_NAME_TOO_LONG,
                "path",
                m.start(2) + REPOSITORY_NAME_MAX,
                f"the repository name {_q(path)} is {len(path)} characters long (without the registry host); "
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
            "the name is 64 hex digits: that is an image ID, not a repository name",
            part="name",
            text=text,
        )
    fault = _whitespace_fault(text)
    if fault:
        raise _error(fault, text)
    domain, remainder, used = _split_docker_domain(text)
    normalized = f"{domain}/{remainder}"
    inserted = len(normalized) - (len(text) - used)  # characters in front of text[used:]

    def pos_map(pos: int) -> int:
        return pos - inserted + used if pos >= inserted else min(pos, used)

    remote = remainder.partition(":")[0]
    if _go_lower(remote) != remote:
        # Go refuses this outright ("repository name (library/Foo) must be lowercase"); say what
        # else is wrong in the same name too, about the name as it was typed
        remote_start = len(domain) + 1
        typed_start = max(inserted, remote_start)
        typed = normalized[typed_start : remote_start + len(remote)].partition("@")[0]
        shown = text[: used] + typed if used else typed
        fault = _path_characters_fault(shown, typed, typed_start)
        if fault is None:  # the upper case is in a digest's algorithm: "foo@SHA256:..."
            at = text.find("@")
            digest = text[at + 1 :]
            fault = _digest_syntax_fault(digest, at + 1) or _digest_value_fault(digest, at + 1)
            if fault is None:  # not reached: a valid digest's algorithm is lowercase
                first = next(i for i, ch in enumerate(text) if _is_upper(ch))
                fault = _Fault(ERR_REFERENCE_INVALID_FORMAT, "path", first, f"{_q(text)} has upper-case "
                               f"{_show(text[first])} {{at}}, where only lowercase is allowed")
            raise _error(dataclasses.replace(fault, reason=ERR_REFERENCE_INVALID_FORMAT), text)
        raise _error(fault, text, pos_map)
    typed_name = re.split(r"[:@]", text[used:], maxsplit=1)[0]
    if not typed_name or typed_name.startswith("/"):
        # ":tag", "@digest", "/x": no name (or an empty part) right where "docker.io/library/" goes
        raise _error(_explain(text), text)
    try:
        return _parse(normalized, text, pos_map, (inserted, text[:used]))
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


def _is_registry_port(repository: str, tag: str | None) -> bool:
    """``localhost:5000``, ``registry.example.com:5000``: a registry host and its port, which the
    grammar reads as a repository and a tag."""
    return bool(tag) and tag.isdigit() and "/" not in repository and (repository == LOCALHOST or "." in repository)


def _repository_with_suffix(text: str, ref: ImageReference) -> InvalidReference:
    """The error for a repository name typed with a tag or digest after it."""
    suffix = len(ref.digest) + 1 if ref.digest is not None else 0
    if ref.tag is not None:
        suffix += len(ref.tag) + 1
    pos = len(text) - suffix
    repository = _q(text[:pos])
    part = "tag" if ref.tag is not None else "digest"
    if ref.digest is None and _is_registry_port(text[:pos], ref.tag):
        detail = (
            f"{_q(text)} is a registry and its port ({_q(text[pos:])} at position {pos}), with no repository after it: "
            f'add "/" and a repository, e.g. "{_visible(text)}/app" (the tag goes after that)'
        )
    elif ref.digest is None:
        detail = (
            f"the repository name {_q(text)} ends with the tag {_q(text[pos:])} at position {pos}; a repository "
            f'name is written without a tag: {repository}, with "{_visible(ref.tag)}" as the tag'
        )
    else:
        what = "the digest" if ref.tag is None else "a tag and a digest"
        detail = (
            f"the repository name {_q(text)} ends with {what} {_q(text[pos:])} at position {pos}; a repository "
            f"name is written without {'a digest' if ref.tag is None else 'them'}: {repository}"
        )
    return InvalidReference(ERR_REFERENCE_INVALID_FORMAT, detail, position=pos, part=part, text=text)


def validate_repository(text: str, *, normalize: bool = True) -> None:
    """Raise InvalidReference unless ``text`` is a repository name: a valid reference with no tag
    and no digest. With ``normalize`` (the default) the name is read as the docker CLI reads it
    (:func:`parse_normalized`), otherwise as written (:func:`parse_reference`)."""
    ref = parse_normalized(text) if normalize else parse_reference(text)
    if ref.tag is None and ref.digest is None:
        return
    raise _repository_with_suffix(text, ref)


def split_repository_field(text: str) -> tuple[str, str | None]:
    """What a person typed into a Repository field, split into ``(repository, tag)``:
    ``"myapp/web:1.0.1"`` gives ``("myapp/web", "1.0.1")``, ``"localhost:5000/app"`` gives
    ``("localhost:5000/app", None)``. The repository is returned as typed (not normalised).

    Raises InvalidReference (with a plain sentence) for anything else: an invalid name or tag, a
    digest, or a registry with no repository after it (``"localhost:5000"``,
    ``"registry.example.com:5000"``, which the CLI would read as the image ``localhost`` with the
    tag ``5000``). Surrounding white space is an error too: strip the field's text first if it
    should be ignored.
    """
    if not isinstance(text, str):
        raise TypeError(f"a repository is a str, not {type(text).__name__}")
    ref = parse_normalized(text)
    if ref.digest is not None:
        raise _repository_with_suffix(text, ref)
    if ref.tag is None:
        return text, None
    repository = text[: len(text) - len(ref.tag) - 1]
    if _is_registry_port(repository, ref.tag):
        raise _repository_with_suffix(text, ref)
    return repository, ref.tag


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
                f"the repository name is {len(self.path)} characters long (without the registry host); "
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
