"""An uncaught exception is shown as a message, not only as a console traceback."""

from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.engine.errors import EngineError
from desktop.ui.error_reporter import report


def _open_boxes():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_unexpected_error_shows_a_box_with_details(qtbot, capsys):
    try:
        {}["missing"]
    except KeyError as exc:
        report(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: bool(_open_boxes()), timeout=5000)
    box = _open_boxes()[-1]
    assert "unexpected problem" in box.text()
    assert "KeyError" in box.informativeText() and "Traceback" in box.detailedText()
    assert "KeyError" in capsys.readouterr().err
    box.close()


def test_berth_error_shows_its_own_message(qtbot):
    error = EngineError("conflict: unable to delete abc (must be forced)")
    report(EngineError, error, None)
    qtbot.waitUntil(lambda: bool(_open_boxes()), timeout=5000)
    box = _open_boxes()[-1]
    assert box.text() == "conflict: unable to delete abc (must be forced)"
    assert box.detailedText() == ""
    box.close()
