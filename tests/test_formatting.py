"""Sizes and ages are worded as the docker CLI words them; a container's status wording is read
back into the instant it counts from and worded again for any later instant."""

from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from desktop.engine.container_status import (anchor_from_status, duration_range, human_duration, narrow,
                                             parse_status, status_at, unix_seconds)
from desktop.models.formatting import UNITS, human_age, human_size, size_unit


@pytest.mark.parametrize("size, text", [
    (0, "0B"), (999, "999B"), (1000, "1kB"), (1234, "1.23kB"), (4_860_000, "4.86MB"),
    (999_999, "1MB"), (72_800_000, "72.8MB"), (1_500_000_000, "1.5GB"), (2_000_000_000_000, "2TB"),
])
def test_human_size_matches_cli(size, text):
    assert human_size(size) == text


@pytest.mark.parametrize("largest, unit, scale", [
    (0, "B", 1), (999, "B", 1), (1000, "kB", 1e3), (52_000_000, "MB", 1e6), (3e9, "GB", 1e9),
])
def test_size_unit_is_the_same_decimal_system_as_the_text(largest, unit, scale):
    assert size_unit(largest) == (unit, scale)
    assert unit in UNITS and human_size(max(largest, 1)).endswith(unit if largest >= 1 else "B")


@pytest.mark.parametrize("seconds, text", [
    (0.5, "Less than a second"), (1, "1 second"), (45, "45 seconds"), (60, "About a minute"),
    (150, "2 minutes"), (3600, "About an hour"), (3 * 3600, "3 hours"), (47 * 3600, "47 hours"),
    (3 * 86400, "3 days"), (20 * 86400, "2 weeks"), (90 * 86400, "3 months"), (3 * 365 * 86400, "3 years"),
    # Go rounds hours half up, where Python's round() would go to the even one
    (2.5 * 3600, "3 hours"), (1.49 * 3600, "About an hour"), (1.5 * 3600, "2 hours"),
])
def test_human_duration_matches_cli(seconds, text):
    assert human_duration(seconds) == text


@given(st.floats(min_value=0, max_value=20 * 365 * 86400, allow_nan=False))
def test_every_wording_reads_back_into_the_durations_it_covers(seconds):
    words = human_duration(seconds)
    low, high = duration_range(words)
    assert low <= seconds < high
    assert human_duration(low) == words
    assert human_duration(high - 1e-3) == words


@pytest.mark.parametrize("bad", ["", "soon", "0 seconds", "61 seconds", "1 minutes", "60 minutes", "48 hours",
                                 "1 years", "About a day"])
def test_wording_the_engine_never_gives_reads_as_nothing(bad):
    assert duration_range(bad) is None
    assert parse_status(f"Up {bad}") is None
    assert anchor_from_status(f"Up {bad}", 100.0, 100.0) == (0.0, 0.0)


@pytest.mark.parametrize("status, head, words, ago, tail", [
    ("Up 17 minutes", "Up", "17 minutes", False, ""),
    ("Up About an hour", "Up", "About an hour", False, ""),
    ("Up Less than a second", "Up", "Less than a second", False, ""),
    ("Exited (0) 3 hours ago", "Exited (0)", "3 hours", True, ""),
    ("Exited (137) About a minute ago", "Exited (137)", "About a minute", True, ""),
    ("Up 2 minutes (Paused)", "Up", "2 minutes", False, " (Paused)"),
    ("Up 5 seconds (healthy)", "Up", "5 seconds", False, " (healthy)"),
    ("Up 1 second (health: starting)", "Up", "1 second", False, " (health: starting)"),
    ("Restarting (1) 5 seconds ago", "Restarting (1)", "5 seconds", True, ""),
])
def test_status_wording_parts(status, head, words, ago, tail):
    parts = parse_status(status)
    assert (parts.head, parts.words, parts.ago, parts.tail) == (head, words, ago, tail)
    since = sum(anchor_from_status(status, 10_000.0, 10_000.0)) / 2
    assert status_at(status, since, 10_000.0) == status  # worded again at the listing's time: the same
    low, high = duration_range(words)
    later = status_at(status, since, 10_000.0 + 3600 * 5)
    assert later.startswith(head + " ") and later.endswith(("ago" if ago else "") + tail)


@pytest.mark.parametrize("status", ["Created", "Dead", "Removal In Progress", ""])
def test_statuses_without_a_time_stay_as_they_are(status):
    assert parse_status(status) is None
    assert anchor_from_status(status, 1.0, 2.0) == (0.0, 0.0)
    assert status_at(status, 5.0, 100.0) == status


def test_the_listing_interval_and_the_wording_bound_the_anchor():
    low, high = anchor_from_status("Up 17 minutes", 1000.0, 1000.5)
    assert (low, high) == (1000.0 - 18 * 60, 1000.5 - 17 * 60)
    assert status_at("Up 17 minutes", (low + high) / 2, 1000.0 + 3 * 60) == "Up 20 minutes"
    assert status_at("Exited (2) 3 seconds ago", 50.0, 60.2) == "Exited (2) 10 seconds ago"
    assert status_at("Up 2 minutes (Paused)", 0.0, 99.0) == "Up 2 minutes (Paused)"  # no anchor: as listed


def test_anchors_narrow_while_they_describe_the_same_start():
    listed = anchor_from_status("Up 5 seconds", 100.0, 100.0)  # started in (94, 95]
    assert narrow(listed, "Up 5 seconds", (94.5, 94.5), "Up Less than a second") == (94.5, 94.5)
    later = anchor_from_status("Up 6 seconds", 101.2, 101.2)  # (94.2, 95.2]
    assert narrow(listed, "Up 5 seconds", later, "Up 6 seconds") == (94.2, 95.0)
    exact = (94.6, 94.6)
    assert narrow(exact, "Up 5 seconds", later, "Up 6 seconds") == exact  # an event's time stays
    # another start (restarted since), or another kind of status: the new one
    restarted = anchor_from_status("Up 1 second", 200.0, 200.0)
    assert narrow(listed, "Up 5 seconds", restarted, "Up 1 second") == restarted
    exited = anchor_from_status("Exited (0) 5 seconds ago", 100.0, 100.0)
    assert narrow(listed, "Up 5 seconds", exited, "Exited (0) 5 seconds ago") == exited
    assert narrow((0.0, 0.0), "Created", listed, "Up 5 seconds") == listed


DEC_1 = datetime(2026, 12, 1, 21, 19, 45, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize("text, seconds", [
    ("2026-12-01T21:19:45.123456789Z", DEC_1 + 0.123456), ("2026-12-01T21:19:45Z", DEC_1),
    ("2026-12-01T22:19:45.5+01:00", DEC_1 + 0.5),
    ("0001-01-01T00:00:00Z", 0.0), ("", 0.0), ("yesterday", 0.0),
])
def test_engine_timestamps(text, seconds):
    assert unix_seconds(text) == pytest.approx(seconds, abs=1e-6)


def test_human_age():
    assert human_age(1000, now=1000 + 7200) == "2 hours ago"
    assert human_age(0) == "N/A"
