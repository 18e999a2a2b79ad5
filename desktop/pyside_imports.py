"""A cheaper answer to the question PySide6 asks of every module imported after it.

Once PySide6 is imported, each later import in the process (Berth's own modules at start-up, the
Docker SDK's in the worker that connects) runs PySide6's ``__feature__`` hook, which reads the new
module's source with ``inspect.getsource`` to learn whether it mentions "PySide6" (only such
modules take part in ``from __feature__ import snake_case``). Through ``inspect`` and
``linecache`` that costs about 0.15 ms a module: some 60 ms of CPU in a cold start that imports
about 400 modules. Reading the file once, in bytes, gives the same answer for a fraction of it.

Berth uses no ``__feature__`` at all, so nothing depends on the answer beyond its being what
PySide6 would say; whatever is not a plain ``.py`` file, or cannot be read, goes to PySide6's own
check. A PySide6 without this internal is left alone.
"""

from __future__ import annotations

import sys


def _reads_source_bytes(upstream):
    def mod_uses_pyside(module) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return upstream(module)
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return upstream(module)

    mod_uses_pyside.berth_upstream = upstream
    return mod_uses_pyside


def install() -> bool:
    """Replace PySide6's per-import source check with the cheaper one (after PySide6 is imported);
    False when this PySide6 has no such check (nothing changed)."""
    feature = sys.modules.get("shibokensupport.feature")
    upstream = getattr(feature, "_mod_uses_pyside", None)
    if upstream is None or not callable(upstream):
        return False
    if getattr(upstream, "berth_upstream", None) is None:
        feature._mod_uses_pyside = _reads_source_bytes(upstream)
    return True
