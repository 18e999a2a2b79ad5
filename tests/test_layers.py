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
