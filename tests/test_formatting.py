"""Sizes and ages are worded as the docker CLI words them."""

import pytest

from desktop.models.formatting import human_age, human_duration, human_size


@pytest.mark.parametrize("size, text", [
    (0, "0B"), (999, "999B"), (1000, "1kB"), (1234, "1.23kB"), (4_860_000, "4.86MB"),
    (999_999, "1MB"), (72_800_000, "72.8MB"), (1_500_000_000, "1.5GB"), (2_000_000_000_000, "2TB"),
])
def test_human_size_matches_cli(size, text):
    assert human_size(size) == text


@pytest.mark.parametrize("seconds, text", [
    (0.5, "Less than a second"), (1, "1 second"), (45, "45 seconds"), (60, "About a minute"),
    (150, "2 minutes"), (3600, "About an hour"), (3 * 3600, "3 hours"), (47 * 3600, "47 hours"),
    (3 * 86400, "3 days"), (20 * 86400, "2 weeks"), (90 * 86400, "3 months"), (3 * 365 * 86400, "3 years"),
])
def test_human_duration_matches_cli(seconds, text):
    assert human_duration(seconds) == text


def test_human_age():
    assert human_age(1000, now=1000 + 7200) == "2 hours ago"
    assert human_age(0) == "N/A"
