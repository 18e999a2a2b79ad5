"""A task's answer arriving after its dialog was closed and deleted must not touch the dialog."""

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLineEdit

from desktop.ui.lifetime import while_alive


class Emitter(QObject):
    answered = Signal(object)


def test_slot_runs_while_the_owner_lives_and_never_after(qapp):
    emitter, owner = Emitter(), QLineEdit()
    seen = []
    emitter.answered.connect(while_alive(owner, lambda text: (owner.setText(text), seen.append(text))))
    emitter.answered.emit("first")
    assert seen == ["first"] and owner.text() == "first"
    shiboken6.delete(owner)  # what WA_DeleteOnClose does when the dialog closes
    emitter.answered.emit("late")  # would raise "Internal C++ object already deleted"
    assert seen == ["first"]
