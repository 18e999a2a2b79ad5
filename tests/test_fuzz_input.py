"""Fuzzing what people type: the image reference grammar (tag dialog, load, build, commit) and the
Run dialog's fields (ports, environment, volumes, limits, restart, command).

Arbitrary text - any Unicode, control characters, NUL, lone surrogates, very long strings, and
valid input with one character changed - must give a valid result or the project's own error
(InvalidReference, BerthError), never another exception; and where a value can be written back
(a reference, a port mapping, a volume, a limit) it must read back the same. Each test has a
small, fixed budget: the whole file runs in seconds.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from desktop.engine import run_spec
from desktop.engine.errors import BerthError
from desktop.engine.reference import (
    InvalidReference,
    parse_normalized,
    parse_reference,
    split_repository_field,
    validate_digest,
    validate_repository,
    validate_tag,
)
from desktop.engine.run_spec import SpecError
from tests.test_reference import assert_plain

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- what people type -----------------------------------------------------------------------------

# every code point, lone surrogates included (Qt hands them over from broken clipboard data)
ANY_TEXT = st.text(st.characters(), max_size=80)
# the characters that matter to the grammars, so that inputs get near to valid
NEAR = st.text(st.sampled_from("aAzZ09._-/:@[]%+ \t\n\x00é{}!fS"), max_size=40)
LONG = st.builds(lambda piece, n: piece * n, st.sampled_from(["a", "a/", "a-", "A", "a.", "\x00", "[", "9"]),
                 st.integers(min_value=200, max_value=3000))
# pieces rather than st.from_regex, which costs more to draw than everything it tests
_DOMAINS = ["", "", "localhost/", "localhost:5000/", "registry.example.com/", "reg-1.io:443/", "[fc00::1]:5000/",
            "Foo.com/", "192.168.0.1:8/", "docker.io/", "index.docker.io/"]
_PATHS = ["ubuntu", "library/ubuntu", "team/app", "a", "my-app", "my_app", "my__app", "a.b", "a---b", "x/y/z",
          "0", "web1", "a" * 60]
_TAGS = ["", "", ":latest", ":1.0.1", ":v2", ":A_b-c.d", ":5000", ":_x", ":" + "t" * 128]
_DIGESTS = ["", "", "", "@sha256:" + "0123456789abcdef" * 4, "@sha512:" + "f" * 128]
VALID_REFERENCE = st.builds(lambda *parts: "".join(parts), st.sampled_from(_DOMAINS), st.sampled_from(_PATHS),
                            st.sampled_from(_TAGS), st.sampled_from(_DIGESTS))


@st.composite
def mutated(draw, valid):
    """A valid value with one character inserted, removed or replaced."""
    text = draw(valid)
    where = draw(st.integers(min_value=0, max_value=len(text)))
    how = draw(st.sampled_from(["insert", "delete", "replace"]))
    char = draw(st.characters())
    if how == "insert":
        return text[:where] + char + text[where:]
    if how == "delete" or where == len(text):
        return text[:where] + text[where + 1:]
    return text[:where] + char + text[where + 1:]


TYPED = ANY_TEXT | NEAR | LONG | VALID_REFERENCE | mutated(VALID_REFERENCE)


# --- the reference grammar ------------------------------------------------------------------------

_NAMED_CHAR = re.compile(r'"(.)" at position (\d+)')
_NAMED_WORDS = {"a space": " ", "a tab": "\t", "a line break": "\n", "a carriage return": "\r"}
_NAMED_WORD = re.compile(r"(a space|a tab|a line break|a carriage return) at position (\d+)")
_NAMED_CODE = re.compile(r"U\+([0-9A-F]{4,6})\)? at position (\d+)")


def check_refusal(err: InvalidReference, text: str) -> None:
    """A refusal speaks plainly, about the text as typed, and every character it names is where
    it says."""
    assert err.text == text
    assert_plain(err)
    if err.position is not None:
        assert 0 <= err.position <= len(text), (text, str(err))
        assert f"at position {err.position}" in str(err)
    for m in _NAMED_CHAR.finditer(str(err)):
        assert text[int(m.group(2))] == m.group(1), (text, str(err))
    for m in _NAMED_WORD.finditer(str(err)):
        assert text[int(m.group(2))] == _NAMED_WORDS[m.group(1)], (text, str(err))
    for m in _NAMED_CODE.finditer(str(err)):
        assert ord(text[int(m.group(2))]) == int(m.group(1), 16), (text, str(err))


@FUZZ
@given(TYPED)
@example("My App:1.0")
@example("a\x00b")
@example("{at}/x!")
@example("x\ud800y")
def test_parse_reference_gives_a_reference_or_says_why(text):
    try:
        ref = parse_reference(text)
    except InvalidReference as err:
        check_refusal(err, text)
    else:
        assert str(ref) == text  # as written: nothing added, nothing lost
        assert parse_reference(str(ref)) == ref


@FUZZ
@given(TYPED)
@example("Foo@SHA256:" + "a" * 64)  # upper case only in the digest's algorithm
@example("index.docker.io/My App")
def test_parse_normalized_gives_a_reference_or_says_why(text):
    try:
        ref = parse_normalized(text)
    except InvalidReference as err:
        check_refusal(err, text)
    else:
        assert parse_normalized(str(ref)) == ref  # normalising twice changes nothing
        assert parse_reference(str(ref)) == ref  # the canonical form needs no normalising
        assert parse_normalized(ref.familiar()) == ref  # nor does the short form lose anything


@FUZZ
@given(TYPED)
def test_single_field_checks_accept_or_say_why(text):
    for check in (validate_tag, validate_digest, validate_repository,
                  lambda t: validate_repository(t, normalize=False)):
        try:
            check(text)
        except InvalidReference as err:
            check_refusal(err, text)


@FUZZ
@given(TYPED)
@example("localhost:5000")
@example("myapp/web:1.0.1")
def test_a_repository_field_splits_into_repository_and_tag_or_says_why(text):
    try:
        repository, tag = split_repository_field(text)
    except InvalidReference as err:
        check_refusal(err, text)
    else:
        validate_repository(repository)
        if tag is None:
            assert repository == text
        else:
            validate_tag(tag)
            assert f"{repository}:{tag}" == text
            assert parse_normalized(repository).with_tag(tag) == parse_normalized(text)


def test_split_repository_field_examples():
    assert split_repository_field("myapp/web:1.0.1") == ("myapp/web", "1.0.1")
    assert split_repository_field("localhost:5000/team/app:v2") == ("localhost:5000/team/app", "v2")
    assert split_repository_field("localhost:5000/app") == ("localhost:5000/app", None)
    assert split_repository_field("Foo/bar:x") == ("Foo/bar", "x")  # an upper-case registry host is fine
    assert split_repository_field("myapp:2") == ("myapp", "2")
    for text, words in (("localhost:5000", 'is a registry and its port (":5000" at position 9), with no repository '
                                           'after it: add "/" and a repository, e.g. "localhost:5000/app"'),
                        ("ubuntu@sha256:" + "f" * 64, "is written without a digest"),
                        ("My App:1.0", 'upper-case "M" at position 0 and "A" at position 3, and a space at position 2'),
                        ("myapp:1.0 beta", 'The tag "1.0 beta" contains a space at position 9'),
                        (" myapp", "starts with white space")):
        with pytest.raises(InvalidReference) as caught:
            split_repository_field(text)
        assert words in str(caught.value)
    with pytest.raises(TypeError):
        split_repository_field(None)


def test_characters_that_would_not_show_are_named_and_never_copied_into_a_message():
    """Found by fuzzing: a NUL or a line break was quoted as is, and a "{at}" typed by the user was
    filled in as if the message had asked for a position."""
    with pytest.raises(InvalidReference) as caught:
        parse_reference("a\x00b\nc")
    assert str(caught.value).startswith('The repository name "a\ufffdb\ufffdc" contains a NUL character (U+0000) '
                                        "at position 1 and a line break at position 3;")
    with pytest.raises(InvalidReference) as caught:
        parse_reference("x{at}")
    assert '"x{at}" contains "{" at position 1 and "}" at position 4' in str(caught.value)


# --- the Run dialog's fields ----------------------------------------------------------------------

_NUMBERS = ["0", "1", "6", "7.5", "512", "64", "1e400", "1e-3", ".5", "1.", "-1", "+2", "0.01", "9" * 30, "inf",
            "nan", "1_0", "\u0661", "8191", "8192", "9223372036.854775807", "6291456"]
_UNITS = ["", "", "k", "m", "g", "t", "p", "M", "G", "mb", "MiB", "ib", " m", "x"]
FIELD = ANY_TEXT | NEAR | LONG | st.builds(lambda n, u, pad: f"{pad}{n}{u}{pad}", st.sampled_from(_NUMBERS),
                                           st.sampled_from(_UNITS), st.sampled_from(["", " ", "\t", "\n"]))
PORT = st.builds(lambda ip, host, ctr, proto: f"{ip}{host}{ctr}{proto}",
                 st.sampled_from(["", "127.0.0.1:", "[::1]:", "0.0.0.0:", "localhost:", ":", "[fe80::1%eth0]:"]),
                 st.sampled_from(["", "", "80:", "8080:", ":", "0:", "65536:", "00080:"]),
                 st.sampled_from(["80", "1", "65535", "65536", "0", "8000-8010", "x", ""]),
                 st.sampled_from(["", "", "/tcp", "/udp", "/sctp", "/UDP", "/icmp", "/"]))
VOLUME = st.builds(lambda source, target, mode: f"{source}{target}{mode}",
                   st.sampled_from(["", "/srv/data:", "./rel:", "~/x:", "cache:", "-bad:", "C:\\x:", "a b:", "v:"]),
                   st.sampled_from(["/data", "data", "", "/a:b", " /t ", "/"]),
                   st.sampled_from(["", "", ":ro", ":rw", ":x", ":ro:ro"]))


def refuses_plainly(fn, *args):
    """``fn(*args)`` or None when it raised SpecError; any other exception fails the test."""
    try:
        return fn(*args)
    except SpecError as err:
        message = str(err)
        assert isinstance(err, BerthError) and message.strip(), args
        # what was typed is shown shortened and with invisible characters made visible
        assert len(message) < 600 and message.isprintable(), (args, message)
        return None


@FUZZ
@given(PORT | mutated(PORT) | FIELD)
@example("٨٠:٨٠")
@example("9" * 5000)
def test_port_mappings_parse_or_say_why_and_read_back_the_same(text):
    spec = refuses_plainly(run_spec.parse_port_spec, text)
    if spec is not None:
        assert 1 <= spec.container_port <= 65535 and (spec.host_port is None or 1 <= spec.host_port <= 65535)
        assert run_spec.parse_port_spec(str(spec)) == spec


@FUZZ
@given(FIELD | PORT, st.sampled_from(["tcp", "udp", "sctp", "", "TCP", "icmp"]) | ANY_TEXT, FIELD | NEAR, FIELD | PORT)
def test_port_rows_give_mappings_or_say_why(container, protocol, host_ip, host_port):
    ports = refuses_plainly(run_spec.make_ports, container, protocol, host_ip, host_port)
    for port in ports or ():
        assert run_spec.parse_port_spec(str(port)) == port


@FUZZ
@given(VOLUME | mutated(VOLUME) | FIELD)
def test_volumes_parse_or_say_why_and_read_back_the_same(text):
    mount = refuses_plainly(run_spec.parse_volume_spec, text)
    if mount is not None and mount.source:
        assert run_spec.parse_volume_spec(str(mount)) == mount


@FUZZ
@given(st.sampled_from(run_spec.MOUNT_KINDS) | ANY_TEXT, FIELD | VOLUME, FIELD | VOLUME, st.booleans())
def test_mount_rows_give_mounts_or_say_why(kind, source, target, read_only):
    refuses_plainly(run_spec.make_mount, kind, source, target, read_only)


@FUZZ
@given(FIELD)
@example("99999999999999p")
@example("1e400")
def test_memory_limits_are_within_what_the_engine_takes_or_refused(text):
    value = refuses_plainly(run_spec.parse_memory, text)
    if value is not None:
        assert run_spec.MIN_MEMORY <= value <= run_spec.MAX_MEMORY
        assert run_spec.parse_memory(str(value)) == value


@FUZZ
@given(FIELD | st.decimals(allow_nan=True, allow_infinity=True).map(str) | st.floats().map(repr))
@example("1e999999999999999999")  # was a decimal.Overflow
@example("1e400")
@example("sNaN")
def test_cpu_limits_are_within_what_the_engine_takes_or_refused(text):
    nano = refuses_plainly(run_spec.parse_cpus, text)
    if nano is not None:
        assert run_spec.MIN_NANO_CPUS <= nano <= run_spec.MAX_NANO_CPUS
        whole, part = divmod(nano, 1_000_000_000)
        assert run_spec.parse_cpus(f"{whole}.{part:09d}") == nano


@FUZZ
@given(st.lists(ANY_TEXT | NEAR, max_size=6).map("\n".join) | LONG)
@example("A\udcff\nB=1")  # a lone surrogate in a bare key: os.environ raised UnicodeEncodeError
def test_env_and_label_lines_parse_or_say_why(text):
    pairs = refuses_plainly(run_spec.parse_env_lines, text)
    for key, _value in pairs or ():
        assert key and "=" not in key and not re.search(r"\s", key)
    refuses_plainly(run_spec.parse_env_lines, text, {})
    refuses_plainly(run_spec.parse_labels, text)


@FUZZ
@given(FIELD | st.builds(lambda name, count: name + count,
                         st.sampled_from(["no", "always", "unless-stopped", "on-failure", "On-Failure"]),
                         st.sampled_from(["", ":5", ":0", ":-1", ":+3", ":" + "9" * 25, ":x", ":\u0663"])))
def test_restart_names_and_commands_parse_or_say_why(text):
    policy = refuses_plainly(run_spec.parse_restart, text)
    if policy is not None:
        assert run_spec.parse_restart(str(policy)) == policy
        assert 0 <= policy.max_retries <= run_spec.INT64_MAX
    refuses_plainly(run_spec.split_command, text)
    refuses_plainly(run_spec.validate_name, text)
    problem = run_spec.name_problem(text)
    assert problem is None or isinstance(problem, str)
    if problem is None and text:
        assert re.fullmatch(r"/?[a-zA-Z0-9][a-zA-Z0-9_.-]+", text)
