"""Confirm removing containers: which ones, whether running ones are killed first (force), and
whether their anonymous volumes go too. It only confirms; the caller removes.

Force is never ticked for the person: killing a running container is a choice of its own, so the
dialog says what happens without it (the engine refuses the running ones, the others go) and
leaves the box to them.

Signals of RemoveContainersDialog: confirmed(bool force, bool volumes).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QListWidget, QVBoxLayout, QWidget

from desktop.engine.containers import ContainerRow


class RemoveContainersDialog(QDialog):
    confirmed = Signal(bool, bool)

    def __init__(self, rows: list[ContainerRow], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("removeContainersDialog")
        n = len(rows)
        self.setWindowTitle(f"Remove {n} container{'s' if n != 1 else ''}")
        self.rows = rows
        running = [r for r in rows if r.running]
        self.names = QListWidget()
        self.names.setObjectName("removeNames")
        for row in rows:
            self.names.addItem(f"{row.name}   ({row.status or row.state})")
        self.force_box = QCheckBox(f"&Kill the {len(running)} running first (force)" if running
                                   else "&Force (kill if it started meanwhile)")
        self.force_box.setObjectName("removeForce")
        self.force_box.setChecked(False)
        self.volumes_box = QCheckBox("Also remove their anonymous &volumes")
        self.volumes_box.setObjectName("removeVolumes")
        self.note = QLabel()
        self.note.setObjectName("removeNote")
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.remove_button = self.buttons.addButton("&Remove", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.remove_button.setObjectName("removeButton")
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)
        self.cancel_button.clicked.connect(self.reject)
        self.remove_button.clicked.connect(self._confirm)
        self.force_box.toggled.connect(self._update_note)
        box = QVBoxLayout(self)
        box.addWidget(QLabel("These containers and their changes to the filesystem will be deleted:"))
        box.addWidget(self.names, 1)
        box.addWidget(self.force_box)
        box.addWidget(self.volumes_box)
        box.addWidget(self.note)
        box.addWidget(self.buttons)
        self._running = len(running)
        self._update_note()

    def _update_note(self, *_args) -> None:
        if self._running and not self.force_box.isChecked():
            self.note.setText(f"Without force the engine refuses to remove the {self._running} running "
                              f"container{'s' if self._running != 1 else ''}; the others go.")
        else:
            self.note.setText("")

    def _confirm(self) -> None:
        self.confirmed.emit(self.force_box.isChecked(), self.volumes_box.isChecked())
        self.accept()
