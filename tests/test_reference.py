"""desktop.engine.reference: the image reference grammar of github.com/distribution/reference.

Most tables are ports of that package's reference_test.go and normalize_test.go (current
version), so Berth accepts and rejects what the docker CLI does; the rest pins down the error
messages and positions the dialogs show. Pure Python: no Qt, no Docker.
"""

import ast
import dataclasses
import pickle
import random
import re
import sys
import time
from pathlib import Path

import pytest

from desktop.engine import reference as reference_module
from desktop.engine.reference import (
    DIGEST_ALGORITHMS,
    ImageReference,
    InvalidReference,
    parse_normalized,
    parse_reference,
    validate_digest,
    validate_repository,
    validate_tag,
)

FMT = "invalid reference format"
UPPER = "repository name must be lowercase"
EMPTY = "repository name must have at least one component"
TOO_LONG = "repository name must not be more than 255 characters"
CHECKSUM = "invalid checksum digest format"
UNSUPPORTED = "unsupported digest algorithm"
TAG_FMT = "invalid tag format"
DIGEST_FMT = "invalid digest format"

SHA256 = "sha256:" + "f" * 64
SHA384 = "sha384:" + "f" * 96
SHA512 = "sha512:" + "f" * 128
BUSYBOX_DIGEST = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
REDIS_DIGEST = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
HEX64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"
LONG_NAMESPACE = "_".join(["this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255"] * 4)


GO_REASONS = (FMT, UPPER, EMPTY, TOO_LONG, CHECKSUM, UNSUPPORTED, TAG_FMT, DIGEST_FMT)


def assert_plain(err):
    """The message is a sentence a person can read (not the grammar's error text), naming what
    is wrong with every character shown, and nothing left of the placeholders it was made from."""
    message = str(err)
    assert not message.lower().startswith(GO_REASONS), message
    assert message[0].isupper() or message[0] == '"', message
    assert message.endswith("."), message
    assert message.isprintable(), message  # no NUL, line break or lone surrogate from the input
    assert "\ue000" not in message, message
    if "{at" not in (err.text or ""):
        assert "{at" not in message, message


def _ids(rows):
    return [row[0][:60] if row[0] else "<empty>" for row in rows]


# --------------------------------------------------------------------------------------------
# parse_reference (Go's Parse): valid input

# input, domain, path, tag, digest
PARSE_VALID = [
    # reference_test.go TestReferenceParse
    ("test_com", None, "test_com", None, None),
    ("test.com:tag", None, "test.com", "tag", None),
    ("test.com:5000", None, "test.com", "5000", None),  # no "/": a port is a tag
    ("test.com/repo:tag", "test.com", "repo", "tag", None),
    ("test:5000/repo", "test:5000", "repo", None, None),
    ("test:5000/repo:tag", "test:5000", "repo", "tag", None),
    ("test:5000/repo@" + SHA256, "test:5000", "repo", None, SHA256),
    ("test:5000/repo:tag@" + SHA256, "test:5000", "repo", "tag", SHA256),
    ("lowercase:Uppercase", None, "lowercase", "Uppercase", None),
    ("a/" * 127 + "a:tag-puts-this-over-max", "a", "a/" * 126 + "a", "tag-puts-this-over-max", None),
    ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", None, None),
    ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", None),
    ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com", None),
    ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", None),
    ("xn--7o8h.com/myimage:xn--7o8h.com@" + SHA512, "xn--7o8h.com", "myimage", "xn--7o8h.com", SHA512),
    ("foo_bar.com:8080", None, "foo_bar.com", "8080", None),
    ("foo/foo_bar.com:8080", "foo", "foo_bar.com", "8080", None),
    ("192.168.1.1", None, "192.168.1.1", None, None),
    ("192.168.1.1:tag", None, "192.168.1.1", "tag", None),
    ("192.168.1.1:5000", None, "192.168.1.1", "5000", None),
    ("192.168.1.1/repo", "192.168.1.1", "repo", None, None),
    ("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", None, None),
    ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", None),
    ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", None, None),
    ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", None),
    ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", None, None),
    ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", None),
    ("[2001:db8::1]:5000/repo@" + SHA256, "[2001:db8::1]:5000", "repo", None, SHA256),
    ("[2001:db8::1]:5000/repo:tag@" + SHA256, "[2001:db8::1]:5000", "repo", "tag", SHA256),
    ("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", None, None),
    ("[::1]:5000/repo", "[::1]:5000", "repo", None, None),
    ("example.com/" + "a" * 255 + ":tag", "example.com", "a" * 255, "tag", None),
    # the 255 limit is on the path only (distribution/reference#9): a longer name is fine
    ("a/" * 128 + "a:tag", "a", "a/" * 127 + "a", "tag", None),
    ("registry.example.com:5000/" + "b" * 255, "registry.example.com:5000", "b" * 255, None, None),
    ("a" * 255, None, "a" * 255, None, None),
    # FIXME in Go: an upper-case first component is taken as a domain, so this passes
    ("Uppercase/lowercase:tag", "Uppercase", "lowercase", "tag", None),
    ("EXAMPLE.com/app", "EXAMPLE.com", "app", None, None),
    # hosts, IPs and localhost
    ("[fc00::1]:5000/ns/img:tag", "[fc00::1]:5000", "ns/img", "tag", None),
    ("[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", None, None),
    ("[FC00::A]/img", "[FC00::A]", "img", None, None),
    ("localhost/img", "localhost", "img", None, None),
    ("localhost:5000/img", "localhost:5000", "img", None, None),
    ("localhost:5000", None, "localhost", "5000", None),
    ("127.0.0.1:5000/docker/docker", "127.0.0.1:5000", "docker/docker", None, None),
    ("docker.io/library/ubuntu:latest", "docker.io", "library/ubuntu", "latest", None),
    ("index.docker.io/library/ubuntu", "index.docker.io", "library/ubuntu", None, None),
    # any first component that can be a host is the domain, in Parse
    ("foo/bar", "foo", "bar", None, None),
    ("a/b/c/d/e", "a", "b/c/d/e", None, None),
    ("1/2", "1", "2", None, None),
    ("docker---rules/docker", "docker---rules", "docker", None, None),
    # ... and one that cannot ("_" is not allowed in a host) is part of the path
    ("dock__er/docker", None, "dock__er/docker", None, None),
    ("exa_mple.com/repo", None, "exa_mple.com/repo", None, None),
    ("a.b-c__d---e/f", None, "a.b-c__d---e/f", None, None),
    # path separators: one ".", one or two "_", any number of "-"
    ("a", None, "a", None, None),
    ("x/a.b/c_d/e__f/g-h/i---j", "x", "a.b/c_d/e__f/g-h/i---j", None, None),
    ("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", None,
     "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", None, None),
    # tags
    ("ubuntu:" + "a" * 128, None, "ubuntu", "a" * 128, None),
    ("ubuntu:_", None, "ubuntu", "_", None),
    ("ubuntu:v1.0-rc_2", None, "ubuntu", "v1.0-rc_2", None),
    ("ubuntu:Latest", None, "ubuntu", "Latest", None),
    ("x:5", None, "x", "5", None),
    # digests of each algorithm
    ("repo@" + SHA256, None, "repo", None, SHA256),
    ("repo@" + SHA384, None, "repo", None, SHA384),
    ("repo@" + SHA512, None, "repo", None, SHA512),
    ("repo:tag@" + SHA384, None, "repo", "tag", SHA384),
    ("repo@sha256:" + "0123456789abcdef" * 4, None, "repo", None, "sha256:" + "0123456789abcdef" * 4),
    ("other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112",
     "other.com", "named", None, "sha256:1234567890098765432112345667890098765432112345667890098765432112"),
]


@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest"), PARSE_VALID, ids=_ids(PARSE_VALID))
def test_parse_reference_valid(text, domain, path, tag, digest):
    ref = parse_reference(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    assert ref.name == (path if domain is None else f"{domain}/{path}")
    assert ref.repository == ref.name
    assert str(ref) == text  # Parse round-trips
    assert parse_reference(str(ref)) == ref


# --------------------------------------------------------------------------------------------
# parse_reference: invalid input, with the Go error, the part to blame and the position

# input, reason, part, position, text the message must contain
PARSE_INVALID = [
    ("", EMPTY, "name", None, "Enter an image name"),
    (":justtag", FMT, "name", 0, "repository name is missing"),
    ("@" + SHA256, FMT, "name", 0, "repository name is missing"),
    ("Uppercase:tag", UPPER, "path", 0, 'The repository name "Uppercase" contains upper-case "U"'),
    ("test:5000/Uppercase/lowercase:tag", UPPER, "path", 10, 'use "test:5000/uppercase/lowercase"'),
    ("UbUntu", UPPER, "path", 0, 'contains upper-case "U" at position 0; '),  # each letter named once
    ("library/Ubuntu", UPPER, "path", 8, '"U"'),
    ("\u0130mage", UPPER, "path", 0, 'use "image"'),  # Go's ToLower maps U+0130 to "i"
    ("\u212aube", UPPER, "path", 0, 'use "kube"'),  # KELVIN SIGN lowercases to "k"
    ("foo/Bar!", FMT, "path", 4, '"foo/Bar!" contains upper-case "B" at position 4 and "!" at position 7'),
    ("domain/" + "a" * 256 + ":tag", TOO_LONG, "path", 262, "is 256 characters long"),
    ("a" * 256, TOO_LONG, "path", 255, "the limit of 255 is passed"),
    ("aa/asdf$$^/aa", FMT, "path", 7, '"aa/asdf$$^/aa" contains "$" at position 7 and "^" at position 9'),
    ("ubu ntu", FMT, "path", 3, "contains a space"),
    ("docker///docker", FMT, "path", 7, 'empty part at position 7 ("//")'),
    ("/docker", FMT, "path", 0, 'starts with "/"'),
    ("docker/", FMT, "path", 6, 'ends with "/"'),
    ("-docker", FMT, "path", 0, 'The repository name "-docker" is not valid: it starts with "-"'),
    ("docker-", FMT, "path", 6, 'ends with "-"'),
    ("docker-/docker", FMT, "path", 6, 'ends with "-"'),
    ("____/____", FMT, "path", 0, 'starts with "_"'),
    ("_docker/_docker", FMT, "path", 0, 'starts with "_"'),
    ("docker/dock..er", FMT, "path", 11, 'the separator ".."'),
    ("docker/dock_.er", FMT, "path", 11, 'the separator "_."'),
    ("docker/dock-.er", FMT, "path", 11, 'the separator "-."'),
    ("docker/dock___er", FMT, "path", 11, 'the separator "___"'),
    ("foo/bar:baz/qux", FMT, "path", 7, '":" belongs only after the registry host'),
    # domains
    ("[2001:db8::1]", FMT, "domain", 13, 'must be followed by "/" and a repository path'),
    ("[2001:db8::1]:5000", FMT, "domain", 18, '"[2001:db8::1]:5000" must be followed by "/"'),
    ("[2001:db8::1]:tag", FMT, "domain", 13, 'must be followed by "/"'),
    ("[fe80::1%eth0]:5000/repo", FMT, "domain", 8, "zone identifiers"),
    ("[fe80::1%@invalidzone]:5000/repo", FMT, "domain", 8, 'contains "%"'),
    ("[2001:db8:3:4::192.0.2.33]:5000/debian", FMT, "domain", 18, "IPv4-style parts"),
    ("fc00::1:5000/debian", FMT, "domain", 5, "IPv6 address must be written in brackets"),
    ("[]/repo", FMT, "domain", 1, "empty IPv6 address"),
    ("[::1/repo", FMT, "domain", 0, 'never closed with "]"'),
    ("[::1]x/repo", FMT, "domain", 5, 'where ":port" or "/" should follow "]"'),
    ("host:/repo", FMT, "domain", 4, "empty port"),
    ("host:50a0/repo", FMT, "domain", 7, 'has "a" at position 7 in its port'),
    ("-host.com/repo", FMT, "domain", 0, 'the label "-host" starting with "-"'),
    ("host-.com/repo", FMT, "domain", 4, 'the label "host-" ending with "-"'),
    ("a..b/c", FMT, "domain", 2, "empty label"),
    ("https://github.com/docker/docker", FMT, "domain", 0, "URL scheme"),
    # tags
    ("ubuntu:Foo!", FMT, "tag", 10, 'tag "Foo!" contains "!" at position 10; a tag may contain letters'),
    ("ubuntu:", FMT, "tag", 6, 'The tag after ":" at position 6 is empty'),
    ("ubuntu:.x", FMT, "tag", 7, 'tag ".x" starts with "."'),
    ("ubuntu:-x", FMT, "tag", 7, 'tag "-x" starts with "-"'),
    ("ubuntu:" + "a" * 129, FMT, "tag", 135, "is 129 characters long"),
    ("ubuntu:a:b", FMT, "tag", 8, 'contains ":"'),
    ("ubuntu:caf\u00e9", FMT, "tag", 10, 'contains "\u00e9"'),
    # digests: the grammar ...
    ("ubuntu@", FMT, "digest", 6, 'The digest after "@" at position 6 is empty'),
    ("ubuntu@sha256", FMT, "digest", 7, 'has no ":"'),
    ("ubuntu@:" + "f" * 64, FMT, "digest", 7, "has no algorithm"),
    ("ubuntu@1sha:" + "f" * 64, FMT, "digest", 7, "must start with a letter"),
    ("ubuntu@sha256:" + "g" * 64, FMT, "digest", 14, 'contains "g"'),
    ("ubuntu@sha256:" + "f" * 31, FMT, "digest", 14, "has 31 hex digits at position 14; sha256 needs exactly 64"),
    ("ubuntu@" + SHA256 + "@x", FMT, "digest", 78, 'contains "@"'),
    # ... then go-digest: known algorithm, exact length, lowercase
    ("repo@sha256:" + "f" * 34, CHECKSUM, "digest", 12, "sha256 digest has 34 hex digits"),
    ("ubuntu@sha256:" + "f" * 63, CHECKSUM, "digest", 14, "it must have exactly 64"),
    ("ubuntu@sha256:" + "f" * 65, CHECKSUM, "digest", 78, "sha256 digest has 65 hex digits"),
    ("ubuntu@sha384:" + "f" * 64, CHECKSUM, "digest", 14, "it must have exactly 96"),
    ("ubuntu@sha512:" + "f" * 96, CHECKSUM, "digest", 14, "it must have exactly 128"),
    ("ubuntu@sha256:" + "F" * 64, CHECKSUM, "digest", 14, "lowercase hex"),
    ("ubuntu@SHA256:" + "f" * 64, CHECKSUM, "digest", 7, 'did you mean "sha256"?'),
    ("validname@invaliddigest:" + "f" * 64, UNSUPPORTED, "digest", 10, '"invaliddigest" at position 10 is not one of'),
    ("ubuntu@md5:" + "f" * 32, UNSUPPORTED, "digest", 7, "sha256, sha384, sha512"),
    ("ubuntu@sha256+b64:" + "f" * 64, UNSUPPORTED, "digest", 7, '"sha256+b64"'),
    # white space
    (" ubuntu", FMT, None, 0, "starts with white space"),
    ("ubuntu ", FMT, None, 6, "ends with white space"),
    ("ubuntu\n", FMT, None, 6, "ends with white space"),
]


@pytest.mark.parametrize(("text", "reason", "part", "position", "needle"), PARSE_INVALID, ids=_ids(PARSE_INVALID))
def test_parse_reference_invalid(text, reason, part, position, needle):
    with pytest.raises(InvalidReference) as caught:
        parse_reference(text)
    err = caught.value
    assert err.reason == reason
    assert_plain(err)
    assert (err.part, err.position) == (part, position)
    assert err.text == text
    assert needle in str(err)
    if position is not None:
        assert f"at position {position}" in str(err)


def test_invalid_reference_is_a_value_error_with_its_parts():
    with pytest.raises(ValueError) as caught:
        parse_reference("ubuntu:Foo!")
    err = caught.value
    assert isinstance(err, InvalidReference)
    assert err.reason == FMT
    assert err.detail == (
        'the tag "Foo!" contains "!" at position 10; a tag may contain letters, digits, "_", "." and "-" '
        '(at most 128 of them) and must not start with "." or "-"'
    )
    assert str(err) == "T" + err.detail[1:] + "." == err.message == err.args[0]  # the detail, as a sentence
    assert err.text[err.position] == "!"


def test_invalid_reference_survives_pickling():
    with pytest.raises(InvalidReference) as caught:
        parse_reference("foo@sha256:abc")
    clone = pickle.loads(pickle.dumps(caught.value))
    assert (clone.reason, clone.detail, clone.position, clone.part, clone.text, str(clone)) == (
        FMT,
        caught.value.detail,
        11,
        "digest",
        "foo@sha256:abc",
        str(caught.value),
    )


@pytest.mark.parametrize("bad", [None, b"ubuntu", 42])
def test_non_text_is_a_type_error(bad):
    with pytest.raises(TypeError):
        parse_reference(bad)
    with pytest.raises(TypeError):
        parse_normalized(bad)


# --------------------------------------------------------------------------------------------
# parse_normalized (Go's ParseNormalizedNamed)

# input, str() of the result, domain, path, tag, digest, familiar()
NORMALIZED = [
    ("ubuntu", "docker.io/library/ubuntu", "docker.io", "library/ubuntu", None, None, "ubuntu"),
    ("ubuntu:latest", "docker.io/library/ubuntu:latest", "docker.io", "library/ubuntu", "latest", None, "ubuntu:latest"),
    ("docker.io/library/ubuntu:latest", "docker.io/library/ubuntu:latest", "docker.io", "library/ubuntu", "latest", None,
     "ubuntu:latest"),
    ("library/ubuntu", "docker.io/library/ubuntu", "docker.io", "library/ubuntu", None, None, "ubuntu"),
    ("docker.io/ubuntu", "docker.io/library/ubuntu", "docker.io", "library/ubuntu", None, None, "ubuntu"),
    ("index.docker.io/ubuntu", "docker.io/library/ubuntu", "docker.io", "library/ubuntu", None, None, "ubuntu"),
    ("index.docker.io/library/ubuntu:22.04", "docker.io/library/ubuntu:22.04", "docker.io", "library/ubuntu", "22.04",
     None, "ubuntu:22.04"),
    ("foo/bar", "docker.io/foo/bar", "docker.io", "foo/bar", None, None, "foo/bar"),
    ("index.docker.io/foo/bar", "docker.io/foo/bar", "docker.io", "foo/bar", None, None, "foo/bar"),
    ("docker.io/foo/bar:1.0", "docker.io/foo/bar:1.0", "docker.io", "foo/bar", "1.0", None, "foo/bar:1.0"),
    ("library/foo/bar", "docker.io/library/foo/bar", "docker.io", "library/foo/bar", None, None, "library/foo/bar"),
    ("store/foo/bar", "docker.io/store/foo/bar", "docker.io", "store/foo/bar", None, None, "store/foo/bar"),
    ("other/library", "docker.io/other/library", "docker.io", "other/library", None, None, "other/library"),
    ("docker---rules/docker", "docker.io/docker---rules/docker", "docker.io", "docker---rules/docker", None, None,
     "docker---rules/docker"),
    ("test_com/foo", "docker.io/test_com/foo", "docker.io", "test_com/foo", None, None, "test_com/foo"),
    ("d/docker", "docker.io/d/docker", "docker.io", "d/docker", None, None, "d/docker"),
    ("dock__er/docker", "docker.io/dock__er/docker", "docker.io", "dock__er/docker", None, None, "dock__er/docker"),
    # a first component with "." or ":", "localhost", or upper case is a domain
    ("Foo.com/bar", "Foo.com/bar", "Foo.com", "bar", None, None, "Foo.com/bar"),
    ("Foo/bar", "Foo/bar", "Foo", "bar", None, None, "Foo/bar"),
    ("FOO/bar", "FOO/bar", "FOO", "bar", None, None, "FOO/bar"),
    ("DOCKER/docker", "DOCKER/docker", "DOCKER", "docker", None, None, "DOCKER/docker"),
    ("localhost/img", "localhost/img", "localhost", "img", None, None, "localhost/img"),
    ("localhost:5000/img:dev", "localhost:5000/img:dev", "localhost:5000", "img", "dev", None, "localhost:5000/img:dev"),
    ("example.com/privatebase", "example.com/privatebase", "example.com", "privatebase", None, None,
     "example.com/privatebase"),
    ("example.com:8000/private/moonbase", "example.com:8000/private/moonbase", "example.com:8000", "private/moonbase",
     None, None, "example.com:8000/private/moonbase"),
    ("127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase", None, None,
     "127.0.0.1:8000/privatebase"),
    ("192.168.0.1:8/debian", "192.168.0.1:8/debian", "192.168.0.1:8", "debian", None, None, "192.168.0.1:8/debian"),
    ("[fc00::1]:5000/ns/img:tag", "[fc00::1]:5000/ns/img:tag", "[fc00::1]:5000", "ns/img", "tag", None,
     "[fc00::1]:5000/ns/img:tag"),
    ("[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
     "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", None, None, "[fc00:1:2:3:4:5:6:7]:5000/library/debian"),
    ("xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", None, None, "xn--n3h.com:18080/foo"),
    # "." makes it a domain for normalisation, but "_" cannot be in a host, so Parse reads it
    # all as a path: the result has no domain at all (as in Go)
    ("foo_bar.com/app", "foo_bar.com/app", None, "foo_bar.com/app", None, None, "foo_bar.com/app"),
    # a single component is always an official image, even one that looks like a host (FIXME in Go)
    ("localhost", "docker.io/library/localhost", "docker.io", "library/localhost", None, None, "localhost"),
    ("localhost:5000", "docker.io/library/localhost:5000", "docker.io", "library/localhost", "5000", None,
     "localhost:5000"),
    ("example.com", "docker.io/library/example.com", "docker.io", "library/example.com", None, None, "example.com"),
    ("192.168.0.1:80", "docker.io/library/192.168.0.1:80", "docker.io", "library/192.168.0.1", "80", None,
     "192.168.0.1:80"),
    # digests
    ("busybox:latest@" + BUSYBOX_DIGEST, "docker.io/library/busybox:latest@" + BUSYBOX_DIGEST, "docker.io",
     "library/busybox", "latest", BUSYBOX_DIGEST, "busybox:latest@" + BUSYBOX_DIGEST),
    ("redis@" + REDIS_DIGEST, "docker.io/library/redis@" + REDIS_DIGEST, "docker.io", "library/redis", None,
     REDIS_DIGEST, "redis@" + REDIS_DIGEST),
    ("dmcgowan/myapp@" + REDIS_DIGEST, "docker.io/dmcgowan/myapp@" + REDIS_DIGEST, "docker.io", "dmcgowan/myapp", None,
     REDIS_DIGEST, "dmcgowan/myapp@" + REDIS_DIGEST),
    ("img@" + SHA512, "docker.io/library/img@" + SHA512, "docker.io", "library/img", None, SHA512, "img@" + SHA512),
    # hexadecimal: only exactly 64 digits on their own are refused
    (REDIS_DIGEST[7:-1], "docker.io/library/" + REDIS_DIGEST[7:-1], "docker.io", "library/" + REDIS_DIGEST[7:-1], None,
     None, REDIS_DIGEST[7:-1]),
    ("docker.io/" + HEX64, "docker.io/library/" + HEX64, "docker.io", "library/" + HEX64, None, None, HEX64),
    # the limit counts the "library/" that normalisation adds: 8 + 247 = 255
    ("a" * 247, "docker.io/library/" + "a" * 247, "docker.io", "library/" + "a" * 247, None, None, "a" * 247),
]


@pytest.mark.parametrize(("text", "canonical", "domain", "path", "tag", "digest", "familiar"), NORMALIZED,
                         ids=_ids(NORMALIZED))
def test_parse_normalized(text, canonical, domain, path, tag, digest, familiar):
    ref = parse_normalized(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    assert str(ref) == canonical
    assert ref.familiar() == familiar
    # the canonical form means the same thing to both parsers, and normalising is idempotent
    assert parse_normalized(canonical) == ref
    assert parse_reference(canonical) == ref


# input, reason (start of), part, position, text the message must contain
NORMALIZED_INVALID = [
    ("", EMPTY, "name", None, "Enter an image name"),
    (HEX64, f"invalid repository name ({HEX64}), cannot specify 64-byte hexadecimal strings", "name", None, "image ID"),
    ("Foo", FMT, "path", 0, 'The repository name "Foo" contains upper-case "F" at position 0; a repository name must be lowercase'),
    ("docker/Docker", FMT, "path", 7, '"docker/Docker" contains upper-case "D" at position 7; a repository name must be lowercase'),
    ("docker.io/docker/Docker", FMT, "path", 17, 'name "docker.io/docker/Docker" contains upper-case "D" at position 17'),
    ("index.docker.io/Foo", FMT, "path", 16, '"index.docker.io/Foo" contains upper-case "F" at position 16'),
    ("localhost:5000/App:Tag", FMT, "path", 15, 'name "localhost:5000/App" contains upper-case "A" at position 15'),
    # every kind of character that is wrong, not only the first
    ("My App:1.0", FMT, "path", 0, 'The repository name "My App" contains upper-case "M" at position 0 and "A" at '
     'position 3, and a space at position 2; a repository name must be lowercase'),
    ("team/my app!", FMT, "path", 7, '"team/my app!" contains a space at position 7 and "!" at position 11; '
     'a repository name may contain only lowercase letters'),
    ("my app", FMT, "path", 2, 'The repository name "my app" contains a space at position 2'),  # as typed: no "library/"
    ("ubuntu@SHA256:" + "f" * 64, FMT, "digest", 7, 'did you mean "sha256"?'),
    (" ubuntu", FMT, None, 0, "The name starts with white space (a space) at position 0"),
    # found by fuzzing: these were explained as the normalised "docker.io/library/..." text
    (":", FMT, "name", 0, "The repository name is missing at position 0"),
    (":latest", FMT, "name", 0, "The repository name is missing at position 0"),
    ("/x", FMT, "path", 0, 'The name "/x" starts with "/" at position 0'),
    ("https://github.com/docker/docker", FMT, "domain", 0, "URL scheme"),
    ("-docker", FMT, "path", 0, 'The repository name "-docker" is not valid: it starts with "-"'),
    ("-docker/docker", FMT, "path", 0, 'starts with "-"'),
    ("docker-/docker", FMT, "path", 6, 'ends with "-"'),
    ("-docker-/docker", FMT, "path", 0, 'starts with "-"'),
    ("____/____", FMT, "path", 0, 'starts with "_"'),
    ("_docker/_docker", FMT, "path", 0, 'starts with "_"'),
    ("-docker.io/docker/docker", FMT, "domain", 0, 'the label "-docker" starting with "-"'),
    ("dock..er/docker", FMT, "domain", 5, "empty label"),
    ("dock_.er/docker", FMT, "domain", 4, 'contains "_"'),
    ("dock-.er/docker", FMT, "domain", 4, 'the label "dock-" ending with "-"'),
    ("docker///docker", FMT, "path", 7, '("//")'),
    ("docker.io/docker///docker", FMT, "path", 17, '("//")'),
    ("docker/", FMT, "path", 6, 'ends with "/"'),
    ("[fc00::1]", FMT, "domain", 9, '"[fc00::1]" must be followed by "/"'),
    ("[fc00::1]:5000", FMT, "domain", 14, '"[fc00::1]:5000" must be followed by "/"'),
    ("fc00::1:5000/debian", FMT, "domain", 5, "IPv6 address must be written in brackets"),
    ("[fe80::1%eth0]:5000/debian", FMT, "domain", 8, "zone identifiers"),
    ("[2001:db8:3:4::192.0.2.33]:5000/debian", FMT, "domain", 18, "IPv4-style parts"),
    (LONG_NAMESPACE + "/docker", TOO_LONG, "path", 255, "the limit of 255 is passed at position 255"),
    ("a" * 248, TOO_LONG, "path", 247, 'The repository name "library/aaa'),  # 8 + 248 = 256
    ("ubuntu:Foo!", FMT, "tag", 10, 'tag "Foo!" contains "!" at position 10'),
    ("ubuntu:" + "v" * 129, FMT, "tag", 135, "is 129 characters long"),
    ("ubuntu@sha256:" + "f" * 63, CHECKSUM, "digest", 14, "it must have exactly 64"),
    ("index.docker.io/ubuntu@sha256:" + "f" * 65, CHECKSUM, "digest", 94, "sha256 digest has 65 hex digits"),
    ("foo/bar@md5:" + "f" * 32, UNSUPPORTED, "digest", 8, '"md5" at position 8'),
    ("foo/bar@sha256:abc", FMT, "digest", 15, "has 3 hex digits"),
]


@pytest.mark.parametrize(("text", "reason", "part", "position", "needle"), NORMALIZED_INVALID,
                         ids=_ids(NORMALIZED_INVALID))
def test_parse_normalized_invalid(text, reason, part, position, needle):
    with pytest.raises(InvalidReference) as caught:
        parse_normalized(text)
    err = caught.value
    assert err.reason == reason
    assert_plain(err)
    assert (err.part, err.position) == (part, position)
    assert err.text == text  # positions and text are the input's, not the normalised string's
    assert needle in str(err)
    if position is not None:
        assert f"at position {position}" in str(err)


# normalize_test.go TestParseRepositoryInfo: every spelling of a repository means the same thing
# remote name (path), familiar name, full name, other spellings, domain
REPOSITORY_INFO = [
    ("fooo/bar", "fooo/bar", "docker.io/fooo/bar", ["index.docker.io/fooo/bar"], "docker.io"),
    ("library/ubuntu", "ubuntu", "docker.io/library/ubuntu", ["library/ubuntu"], "docker.io"),
    ("nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", [], "docker.io"),
    ("other/library", "other/library", "docker.io/other/library", [], "docker.io"),
    ("private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", [], "127.0.0.1:8000"),
    ("privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", [], "127.0.0.1:8000"),
    ("private/moonbase", "example.com/private/moonbase", "example.com/private/moonbase", [], "example.com"),
    ("privatebase", "example.com/privatebase", "example.com/privatebase", [], "example.com"),
    ("private/moonbase", "example.com:8000/private/moonbase", "example.com:8000/private/moonbase", [],
     "example.com:8000"),
    ("privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee", [], "example.com:8000"),
    ("library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base",
     ["index.docker.io/library/ubuntu-12.04-base"], "docker.io"),
    ("library/foo", "foo", "docker.io/library/foo", ["docker.io/foo"], "docker.io"),
    ("library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", [], "docker.io"),
    ("store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", [], "docker.io"),
    ("bar", "Foo/bar", "Foo/bar", [], "Foo"),
    ("bar", "FOO/bar", "FOO/bar", [], "FOO"),
]


@pytest.mark.parametrize(
    ("spelling", "remote", "familiar", "full", "domain"),
    [(spelling, remote, familiar, full, domain)
     for remote, familiar, full, others, domain in REPOSITORY_INFO
     for spelling in [familiar, full, *others]],
)
def test_every_spelling_of_a_repository_normalises_alike(spelling, remote, familiar, full, domain):
    ref = parse_normalized(spelling)
    assert (ref.domain, ref.path, str(ref), ref.familiar_name(), ref.familiar()) == (
        domain, remote, full, familiar, familiar
    )


# --------------------------------------------------------------------------------------------
# familiar forms of references parsed as written (FamiliarString)

FAMILIAR = [
    ("docker.io/library/ubuntu:latest", "ubuntu:latest", "ubuntu"),
    ("docker.io/library/busybox:latest@" + BUSYBOX_DIGEST, "busybox:latest@" + BUSYBOX_DIGEST, "busybox"),
    ("docker.io/library/foo/bar", "library/foo/bar", "library/foo/bar"),  # nested: "library/" stays
    ("docker.io/foo", "foo", "foo"),
    ("docker.io/dmcgowan/myapp@" + REDIS_DIGEST, "dmcgowan/myapp@" + REDIS_DIGEST, "dmcgowan/myapp"),
    ("index.docker.io/library/ubuntu", "index.docker.io/library/ubuntu", "index.docker.io/library/ubuntu"),
    ("localhost:5000/library/ubuntu:1", "localhost:5000/library/ubuntu:1", "localhost:5000/library/ubuntu"),
    ("foo/bar:baz", "foo/bar:baz", "foo/bar"),
    ("ubuntu", "ubuntu", "ubuntu"),
]


@pytest.mark.parametrize(("text", "familiar", "familiar_name"), FAMILIAR, ids=_ids(FAMILIAR))
def test_familiar_forms(text, familiar, familiar_name):
    ref = parse_reference(text)
    assert ref.familiar() == familiar
    assert ref.familiar_name() == familiar_name
    assert str(ref) == text  # familiar() does not change the reference itself


# --------------------------------------------------------------------------------------------
# building references: with_tag, with_digest, with_default_tag

# name, digest to add first, tag, result (reference_test.go TestWithTag)
WITH_TAG = [
    ("test.com/foo", None, "tag", "test.com/foo:tag"),
    ("foo", None, "tag2", "foo:tag2"),
    ("test.com:8000/foo", None, "tag4", "test.com:8000/foo:tag4"),
    ("test.com:8000/foo", None, "TAG5", "test.com:8000/foo:TAG5"),
    ("test.com:8000/foo", SHA256, "TAG5", "test.com:8000/foo:TAG5@" + SHA256),
    ("foo:old", None, "new", "foo:new"),
]


@pytest.mark.parametrize(("name", "digest", "tag", "combined"), WITH_TAG, ids=[row[3][:60] for row in WITH_TAG])
def test_with_tag(name, digest, tag, combined):
    ref = parse_reference(name)
    if digest:
        ref = ref.with_digest(digest)
    tagged = ref.with_tag(tag)
    assert str(tagged) == combined
    assert (tagged.tag, tagged.digest) == (tag, digest)
    assert parse_reference(combined) == tagged


@pytest.mark.parametrize(("tag", "position", "needle"), [
    ("-foo", 0, 'starts with "-"'),
    ("", 0, "The tag at position 0 is empty"),
    ("a b", 1, "contains a space"),
    ("x" * 129, 128, "is 129 characters long"),
])
def test_with_tag_rejects_a_bad_tag(tag, position, needle):
    ref = parse_normalized("busybox")
    with pytest.raises(InvalidReference) as caught:
        ref.with_tag(tag)
    assert (caught.value.reason, caught.value.part, caught.value.position) == (TAG_FMT, "tag", position)
    assert needle in str(caught.value)
    assert ref.tag is None  # unchanged


# name, digest, result (reference_test.go TestWithDigest, with full-length digests)
WITH_DIGEST = [
    ("test.com/foo", SHA256, "test.com/foo@" + SHA256),
    ("foo", SHA384, "foo@" + SHA384),
    ("test.com:8000/foo", SHA512, "test.com:8000/foo@" + SHA512),
    ("test.com:8000/foo:latest", SHA256, "test.com:8000/foo:latest@" + SHA256),
]


@pytest.mark.parametrize(("name", "digest", "combined"), WITH_DIGEST, ids=[row[2][:60] for row in WITH_DIGEST])
def test_with_digest(name, digest, combined):
    digested = parse_reference(name).with_digest(digest)
    assert str(digested) == combined
    assert parse_reference(combined) == digested


@pytest.mark.parametrize(("digest", "reason", "position"), [
    ("foo", DIGEST_FMT, 0),
    ("sha256:" + "f" * 37, CHECKSUM, 7),  # Go's WithDigest only checks the grammar; we also check length
    ("md5:" + "f" * 32, UNSUPPORTED, 0),
])
def test_with_digest_rejects_a_bad_digest(digest, reason, position):
    with pytest.raises(InvalidReference) as caught:
        parse_normalized("busybox").with_digest(digest)
    assert (caught.value.reason, caught.value.part, caught.value.position) == (reason, "digest", position)


@pytest.mark.parametrize(("text", "expected"), [
    ("ubuntu", "docker.io/library/ubuntu:latest"),
    ("ubuntu:22.04", "docker.io/library/ubuntu:22.04"),
    ("ubuntu@" + SHA256, "docker.io/library/ubuntu@" + SHA256),
    ("ubuntu:22.04@" + SHA256, "docker.io/library/ubuntu:22.04@" + SHA256),
    ("localhost:5000/app", "localhost:5000/app:latest"),
])
def test_with_default_tag(text, expected):
    ref = parse_normalized(text)
    assert ref.tag is None or ref.tag == "22.04"  # parsing never adds a tag
    assert str(ref.with_default_tag()) == expected
    if ref.tag is not None or ref.digest is not None:
        assert ref.with_default_tag() is ref


# --------------------------------------------------------------------------------------------
# the value object


def test_image_reference_is_frozen_and_hashable():
    ref = parse_normalized("ubuntu:22.04")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.tag = "latest"
    assert {ref: 1}[parse_reference("docker.io/library/ubuntu:22.04")] == 1
    assert ref != parse_reference("ubuntu:22.04")  # same image, different spelling: Parse keeps it


@pytest.mark.parametrize(("fields", "expected"), [
    (dict(domain=None, path="ubuntu"), "ubuntu"),
    (dict(domain="docker.io", path="library/ubuntu", tag="latest"), "docker.io/library/ubuntu:latest"),
    (dict(domain="[::1]:5000", path="a/b", digest=SHA256), "[::1]:5000/a/b@" + SHA256),
    (dict(domain=None, path="foo/bar"), "foo/bar"),  # what a familiarised reference looks like
])
def test_image_reference_built_directly(fields, expected):
    assert str(ImageReference(**fields)) == expected


@pytest.mark.parametrize(("fields", "reason", "part", "position"), [
    (dict(domain="bad_host", path="x"), FMT, "domain", 3),
    (dict(domain="", path="x"), FMT, "domain", None),
    (dict(domain=None, path="Ubuntu"), FMT, "path", 0),
    (dict(domain=None, path="a//b"), FMT, "path", 2),
    (dict(domain=None, path="Foo/bar"), FMT, "path", 0),  # no domain guessing inside a path
    (dict(domain=None, path=""), EMPTY, "path", None),
    (dict(domain=None, path="a" * 256), TOO_LONG, "path", 255),
    (dict(domain=None, path="x", tag=".x"), TAG_FMT, "tag", 0),
    (dict(domain=None, path="x", digest="sha256:abc"), DIGEST_FMT, "digest", 7),
    (dict(domain=None, path="x", digest="sha256:" + "A" * 64), CHECKSUM, "digest", 7),
])
def test_image_reference_checks_its_fields(fields, reason, part, position):
    with pytest.raises(InvalidReference) as caught:
        ImageReference(**fields)
    assert (caught.value.reason, caught.value.part, caught.value.position) == (reason, part, position)


def test_image_reference_fields_must_be_text():
    with pytest.raises(TypeError):
        ImageReference(domain=None, path=None)
    with pytest.raises(TypeError):
        ImageReference(domain=None, path="x", tag=5)


# --------------------------------------------------------------------------------------------
# single-field checks for dialogs


@pytest.mark.parametrize("tag", ["latest", "v1.0.0", "_", "A", "1", "a" * 128, "a-b_c.d", "__x", "x--"])
def test_validate_tag_accepts(tag):
    assert validate_tag(tag) is None


@pytest.mark.parametrize(("tag", "position", "needle"), [
    ("", 0, "is empty"),
    (".x", 0, 'starts with "."'),
    ("-x", 0, 'starts with "-"'),
    ("v1!", 2, 'contains "!"'),
    ("v1:2", 2, 'contains ":"'),
    ("v1/2", 2, 'contains "/"'),
    ("caf\u00e9", 3, 'contains "\u00e9"'),
    ("a" * 129, 128, "is 129 characters long"),
    ("tab\there", 3, "contains a tab at position 3"),
    ("nul\x00", 3, "contains a NUL character (U+0000) at position 3"),
    ("zw\u200bsp", 2, "the invisible character U+200B at position 2"),
])
def test_validate_tag_rejects(tag, position, needle):
    with pytest.raises(InvalidReference) as caught:
        validate_tag(tag)
    err = caught.value
    assert (err.reason, err.part, err.position, err.text) == (TAG_FMT, "tag", position, tag)
    assert needle in str(err)
    assert_plain(err)


@pytest.mark.parametrize("digest", [SHA256, SHA384, SHA512, REDIS_DIGEST])
def test_validate_digest_accepts(digest):
    assert validate_digest(digest) is None


@pytest.mark.parametrize(("digest", "reason", "position"), [
    ("", DIGEST_FMT, 0),
    ("sha256", DIGEST_FMT, 0),
    ("sha256:xyz", DIGEST_FMT, 7),
    ("sha256:" + "f" * 63, CHECKSUM, 7),
    ("sha512:" + "f" * 64, CHECKSUM, 7),
    ("Sha256:" + "f" * 64, CHECKSUM, 0),
    ("blake3:" + "f" * 64, UNSUPPORTED, 0),
])
def test_validate_digest_rejects(digest, reason, position):
    with pytest.raises(InvalidReference) as caught:
        validate_digest(digest)
    assert (caught.value.reason, caught.value.part, caught.value.position) == (reason, "digest", position)


@pytest.mark.parametrize("text", ["ubuntu", "myuser/app", "localhost:5000/app", "Foo/bar", "[::1]:5000/a/b",
                                  "docker.io/library/ubuntu"])
def test_validate_repository_accepts(text):
    assert validate_repository(text) is None
    assert validate_repository(text, normalize=False) is None


@pytest.mark.parametrize(("text", "normalize", "reason", "part", "position", "needle"), [
    ("ubuntu:latest", True, FMT, "tag", 6, 'ends with the tag ":latest" at position 6; a repository name is written '
     'without a tag: "ubuntu", with "latest" as the tag.'),
    ("myapp/web:1.0.1", True, FMT, "tag", 9, 'The repository name "myapp/web:1.0.1" ends with the tag ":1.0.1" at '
     'position 9; a repository name is written without a tag: "myapp/web", with "1.0.1" as the tag.'),
    ("ubuntu@" + SHA256, True, FMT, "digest", 6, 'ends with the digest "@sha256:'),
    ("ubuntu:1@" + SHA256, True, FMT, "tag", 6, "ends with a tag and a digest"),
    ("localhost:5000", True, FMT, "tag", 9, '"localhost:5000" is a registry and its port (":5000" at position 9), with no repository after it: '
     'add "/" and a repository, e.g. "localhost:5000/app"'),
    ("localhost:5000", False, FMT, "tag", 9, "is a registry and its port"),
    ("myapp:2", True, FMT, "tag", 5, 'with "2" as the tag.'),  # a digit tag on a plain name is not a port
    ("Ubuntu", True, FMT, "path", 0, 'The repository name "Ubuntu" contains upper-case "U" at position 0; '
     "a repository name must be lowercase"),
    ("Ubuntu", False, UPPER, "path", 0, 'use "ubuntu"'),
    ("my app", True, FMT, "path", 2, "contains a space"),
    ("", True, EMPTY, "name", None, "Enter an image name"),
    ("a" * 248, True, TOO_LONG, "path", 247, "256 characters long"),  # "library/" counts ...
])
def test_validate_repository_rejects(text, normalize, reason, part, position, needle):
    with pytest.raises(InvalidReference) as caught:
        validate_repository(text, normalize=normalize)
    err = caught.value
    assert (err.reason, err.part, err.position) == (reason, part, position)
    assert needle in str(err)
    assert_plain(err)


def test_validate_repository_as_written_does_not_add_library():
    assert validate_repository("a" * 248, normalize=False) is None  # ... unless not normalising


# --------------------------------------------------------------------------------------------
# properties over many inputs


def _random_texts(count):
    rng = random.Random(20240601)
    alphabet = "aAz09._-/:@[]%+ \u00e9!fS"
    pieces = ["sha256:", "f" * 64, "a" * 32, "localhost", "docker.io/", "library/", "[::1]", ":5000", "__",
              "--", "Foo", "index.docker.io/", "x" * 250, "ubuntu", ":latest", "@"]
    for _ in range(count):
        if rng.random() < 0.5:
            yield "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        else:
            yield "".join(rng.choice(pieces + list(alphabet)) for _ in range(rng.randint(1, 6)))


_CONTAINS = re.compile(r'contains (?:upper-case )?"(.)"(?: in its algorithm)? at position (\d+)')


def test_properties_over_random_text():
    accepted = rejected = 0
    for text in _random_texts(20000):
        for parse in (parse_reference, parse_normalized):
            try:
                ref = parse(text)
            except InvalidReference as err:
                rejected += 1
                assert err.text == text
                assert "{at}" not in str(err)
                assert "expected [registry" not in str(err), f"no specific explanation for {text!r}: {err}"
                if err.position is not None:
                    assert 0 <= err.position <= len(text), (text, str(err))
                    assert f"at position {err.position}" in str(err)
                    named = _CONTAINS.search(str(err))
                    if named:  # the character the message names is where it says
                        assert text[int(named.group(2))] == named.group(1), (text, str(err))
            else:
                accepted += 1
                if parse is parse_reference:
                    assert str(ref) == text
                assert parse_reference(str(ref)) == ref
                if parse is parse_normalized:
                    assert parse_normalized(str(ref)) == ref  # normalising is idempotent
    assert accepted > 1000 and rejected > 10000  # the generator really exercises both sides


@pytest.mark.parametrize("text", [
    "a" * 100_000 + "!",
    "a-" * 50_000 + "!",
    "a." * 50_000,
    "a/" * 50_000 + "!",
    "a1-b2." * 20_000 + "/x!",
    "a__" * 30_000 + "_",
    "x@" + "a+" * 30_000 + ":" + "f" * 40,
    "[" + ":" * 100_000,
    "A" * 100_000,
])
def test_pathological_input_is_quick(text):
    for parse in (parse_reference, parse_normalized):
        start = time.perf_counter()
        with pytest.raises(InvalidReference):
            parse(text)
        assert time.perf_counter() - start < 0.5


# --------------------------------------------------------------------------------------------
# the module itself


def test_module_uses_only_the_standard_library():
    source = Path(reference_module.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported - {"__future__"} <= set(sys.stdlib_module_names), imported
    assert "PySide6" not in source


def test_known_digest_lengths():
    assert dict(DIGEST_ALGORITHMS) == {"sha256": 64, "sha384": 96, "sha512": 128}
    with pytest.raises(TypeError):
        DIGEST_ALGORITHMS["md5"] = 32
