"""What the packages tell people Berth does (the .deb's description, the AppStream metainfo, the
desktop entry, the self-test's report) must be what the code does: pull and push are promised
exactly when Berth asks the engine for them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [ROOT / "packaging" / "linux" / name for name in
         ("control.in", "io.github.berth.Berth.metainfo.xml", "io.github.berth.Berth.desktop")]
TEXTS.append(ROOT / "desktop" / "self_test.py")
_VERB = {"pull": re.compile(r"\bpull(?:s|ed|ing)?\b", re.IGNORECASE),
         "push": re.compile(r"\bpush(?:es|ed|ing)?\b", re.IGNORECASE)}


def _does(verb: str) -> bool:
    """Whether any engine module asks the engine to pull or push an image."""
    call = re.compile(rf"\.{verb}\(")
    return any(call.search(path.read_text(encoding="utf-8")) for path in (ROOT / "desktop").rglob("*.py"))


@pytest.mark.parametrize("verb", sorted(_VERB))
def test_the_packages_promise_pull_and_push_exactly_when_berth_does_them(verb):
    promised = [f"{path.relative_to(ROOT)}: {line.strip()}" for path in TEXTS
                for line in path.read_text(encoding="utf-8").splitlines() if _VERB[verb].search(line)]
    if _does(verb):
        assert any("control.in" in p for p in promised) and any("metainfo" in p for p in promised), promised
    else:
        assert promised == []
