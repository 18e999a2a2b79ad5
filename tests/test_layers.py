"""The four layers stay apart: import-linter checks the contracts in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


def test_engine_layer_source_never_mentions_qt():
    # a belt to the contract's braces: even a lazy import inside a function is caught
    offenders = [str(p) for p in (ROOT / "desktop" / "engine").rglob("*.py")
                 if "PySide6" in p.read_text(encoding="utf-8") or "shiboken" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_views_and_models_start_work_only_through_operations():
    """No Task built or submitted by hand in desktop/ui or desktop/models: every piece of work goes
    through desktop/tasks/operations.py, which checks the connection, names the engine, binds the
    callbacks to their owner and applies the one failure policy."""
    import re

    hand_wired = re.compile(r"\bTask\(|\.submit\(")
    offenders = [f"{p.relative_to(ROOT)}:{n}" for layer in ("ui", "models")
                 for p in sorted((ROOT / "desktop" / layer).rglob("*.py"))
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if hand_wired.search(line)]
    assert offenders == []


def test_one_way_for_stream_items_to_reach_the_gui_thread():
    """ItemPipe (desktop/tasks/stream.py) replaced the three relays that did the same job."""
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "desktop").rglob("*.py"))
    assert [name for name in ("class StreamRelay", "class _EventRelay", "class BuildEventPipe") if name in sources] == []
