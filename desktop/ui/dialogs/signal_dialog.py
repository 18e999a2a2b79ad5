"""Choices before an action: which signal ``kill`` sends, and how long ``stop`` waits before it
kills. Both only choose; the action itself is the caller's.

Signals: KillDialog.chosen(str) -- the signal; StopDialog.chosen(int) -- the timeout in seconds.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from desktop.engine.container_ops import SIGNALS, valid_signal
from desktop.ui.dialogs.dialog_layout import grow_with_content


def wrapped(text: str) -> QLabel:
    """A plain-text label that wraps: container names can be long."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class KillDialog(QDialog):
    chosen = Signal(str)

    def __init__(self, names: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("killDialog")
        self.setWindowTitle("Send a signal")
        self.signal_combo = QComboBox()
        self.signal_combo.setObjectName("killSignal")
        self.signal_combo.setEditable(True)
        self.signal_combo.addItems(list(SIGNALS))
        self.signal_combo.currentTextChanged.connect(self._validate)
        self.status = wrapped("")
        self.status.setObjectName("killStatus")
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton("&Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("killButton")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        self.ok_button.clicked.connect(self._accept)
        form = QFormLayout()
        form.addRow("&Signal:", self.signal_combo)
        box = QVBoxLayout(self)
        box.addWidget(wrapped(f"Send a signal to {shown}. SIGKILL ends the processes at once; others are "
                              "for the program to handle."))
        box.addLayout(form)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        grow_with_content(self)

    def _validate(self, text: str) -> bool:
        ok = valid_signal(text)
        self.status.setText("" if ok else f"“{text}” is not a signal (e.g. SIGKILL, SIGHUP, or a number 1–64).")
        self.ok_button.setEnabled(ok)
        return ok

    def _accept(self) -> None:
        signal = self.signal_combo.currentText().strip().upper()
        if self._validate(signal):
            self.chosen.emit(signal)
            self.accept()


class StopDialog(QDialog):
    chosen = Signal(int)

    def __init__(self, names: list[str], default: int = 10, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("stopDialog")
        self.setWindowTitle("Stop with a timeout")
        self.timeout_spin = QSpinBox()
        self.timeout_spin.setObjectName("stopTimeout")
        self.timeout_spin.setRange(0, 3600)
        self.timeout_spin.setValue(default)
        self.timeout_spin.setSuffix(" s")
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton("&Stop", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("stopButton")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        self.ok_button.clicked.connect(self._accept)
        form = QFormLayout()
        form.addRow("&Wait before killing:", self.timeout_spin)
        box = QVBoxLayout(self)
        box.addWidget(wrapped(f"Stop {shown}: each gets its stop signal, then SIGKILL after the timeout."))
        box.addLayout(form)
        box.addWidget(self.buttons)
        grow_with_content(self)

    def _accept(self) -> None:
        self.chosen.emit(self.timeout_spin.value())
        self.accept()
