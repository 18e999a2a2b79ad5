"""The Qt binding in use must not leak references to None/True/False: PySide6 6.12.0 on
Python 3.11 does, and the app then aborts after a few thousand signals ('bool_dealloc')."""

import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QObject, QTimer, Signal

class Emitter(QObject):
    fired = Signal()

emitter, timer = Emitter(), QTimer()
before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(200_000):
    timer.setInterval(5)   # a void method
    emitter.fired.emit()   # returns True
after = sys.getrefcount(None), sys.getrefcount(True)
print(after[0] - before[0], after[1] - before[1])
"""


def test_void_calls_and_emits_keep_their_references():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"the Qt binding crashed the interpreter:\n{result.stderr[-2000:]}"
    none_delta, true_delta = map(int, result.stdout.split())
    assert abs(none_delta) < 100 and abs(true_delta) < 100, result.stdout
