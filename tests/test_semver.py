"""Semantic-version suggestions from a repository's tags (pure)."""

import pytest

from desktop.engine.semver import (Version, companion_tags, is_version_like, latest_version, parse_version,
                                   prefix_in_use, suggest, versions)


def test_parse_accepts_semver_with_or_without_prefix():
    assert parse_version("v1.2.3") == Version(1, 2, 3, (), "v")
    assert parse_version("1.2.3") == Version(1, 2, 3, (), "")
    assert parse_version("V10.0.7") == Version(10, 0, 7, (), "V")
    assert parse_version("1.0.0-rc.1") == Version(1, 0, 0, ("rc", "1"), "")
    assert str(parse_version("v2.0.0-beta.2")) == "v2.0.0-beta.2"


@pytest.mark.parametrize("tag", ["latest", "prod", "v1", "v1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.3-",
                                 "1.2.3-rc.01", "2024-05-01", "vv1.0.0", "1.2.3+build", ""])
def test_non_semver_tags_are_ignored(tag):
    assert parse_version(tag) is None


def test_next_versions_keep_the_v_prefix():
    s = suggest(["v1.0.0", "latest"])
    assert (s.patch, s.minor, s.major) == ("v1.0.1", "v1.1.0", "v2.0.0")
    assert s.current == Version(1, 0, 0, (), "v")


def test_next_versions_without_prefix_and_numeric_order():
    s = suggest(["1.9.0", "1.10.0", "1.2.11", "prod", "1.10"])
    assert str(s.current) == "1.10.0"  # numeric, not text, order
    assert (s.patch, s.minor, s.major) == ("1.10.1", "1.11.0", "2.0.0")


def test_the_newest_version_decides_the_prefix():
    assert prefix_in_use(["1.0.0", "1.1.0", "v2.0.0"]) == "v"
    assert prefix_in_use(["v1.0.0", "v1.1.0", "2.0.0"]) == ""
    # the same newest version written both ways: the style most tags use
    assert prefix_in_use(["1.0.0", "1.1.0", "1.2.0", "v1.2.0"]) == ""
    assert prefix_in_use(["v1.0.0", "v1.1.0", "1.2.0", "v1.2.0"]) == "v"
    assert suggest(["1.0.0", "v1.1.0"]).patch == "v1.1.1"


def test_no_versions_starts_a_project():
    s = suggest(["latest", "prod"])
    assert s.current is None
    assert (s.patch, s.minor, s.major) == ("v0.0.1", "v0.1.0", "v1.0.0")
    assert suggest([], default_prefix="").minor == "0.1.0"


def test_prereleases_order_and_bump_to_their_release():
    assert [str(v) for v in versions(["1.0.0", "1.0.0-rc.2", "1.0.0-rc.10", "1.0.0-alpha", "0.9.0"])] == [
        "0.9.0", "1.0.0-alpha", "1.0.0-rc.2", "1.0.0-rc.10", "1.0.0"]
    s = suggest(["v1.2.0", "v1.3.0-rc.1"])
    assert str(s.current) == "v1.3.0-rc.1"
    assert (s.patch, s.minor, s.major) == ("v1.3.0", "v1.3.0", "v2.0.0")
    s = suggest(["2.0.0-beta", "1.4.2"])
    assert (s.patch, s.minor, s.major) == ("2.0.0", "2.0.0", "2.0.0")


def test_prefix_of_a_prerelease_newest():
    s = suggest(["1.4.2-rc1"])
    assert (s.patch, s.minor, s.major) == ("1.4.2", "1.5.0", "2.0.0")


def test_companion_tags():
    assert companion_tags("v1.2.0") == ["v1.2", "v1"]
    assert companion_tags("3.10.4") == ["3.10", "3"]
    assert companion_tags("v1.2.0-rc.1") == []
    assert companion_tags("prod") == []
    assert companion_tags("v1.2") == []


def test_version_like_tags():
    for tag in ("v1", "1.2", "v1.2.3", "1.2.3-rc1", "V2"):
        assert is_version_like(tag), tag
    for tag in ("latest", "prod", "v", "release-1", "1.2.3.4"):
        assert not is_version_like(tag), tag


def test_latest_version_of_nothing():
    assert latest_version([]) is None
    assert latest_version(["stable"]) is None
    assert str(latest_version(["v0.1.0", "v0.10.0", "v0.9.9"])) == "v0.10.0"
