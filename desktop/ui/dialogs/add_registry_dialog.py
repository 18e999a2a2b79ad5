"""The Add registry dialog: a registry's address (``host[:port]``), checked on every keystroke,
and optionally the file of the CA that signed its certificate (checked when added, in a worker:
reading a file is disk work). The registry goes into Berth's own list; no account is asked
for here (Sign in does that).

Signals: added(object) -- the UserRegistry, once it is in the list.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from desktop.engine.errors import BerthError
from desktop.engine.registry_list import InvalidRegistry, UserRegistry, validate_host
from desktop.tasks import registry_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import buddy_label, form_grid, grow_with_content
from desktop.ui.problem_style import PROBLEM_STYLE, mark_problem


class AddRegistryDialog(QDialog):
    added = Signal(object)

    def __init__(self, session: EngineSession, parent: QWidget | None = None, known: frozenset[str] = frozenset()):
        """*known*: the hosts already listed (adding one again only gives it a new CA file)."""
        super().__init__(parent)
        self.setObjectName("addRegistryDialog")
        self.setWindowTitle("Add registry")
        self.resize(560, 0)
        self._session = session
        self._known = known
        self.task: Task | None = None
        self.host = ""

        self.host_edit = QLineEdit()
        self.host_edit.setObjectName("addRegistryHost")
        self.host_edit.setPlaceholderText("registry.example.com  or  10.0.0.5:5000")
        self.host_edit.setClearButtonEnabled(True)
        self.host_error = QLabel()
        self.host_error.setObjectName("addRegistryHostError")
        self.host_error.setWordWrap(True)
        self.host_error.setTextFormat(Qt.TextFormat.PlainText)
        self.host_error.setStyleSheet(PROBLEM_STYLE)
        self.host_error.setVisible(False)
        host_box = QVBoxLayout()
        host_box.setSpacing(2)
        host_box.addWidget(self.host_edit)
        host_box.addWidget(self.host_error)

        self.ca_edit = QLineEdit()
        self.ca_edit.setObjectName("addRegistryCa")
        self.ca_edit.setPlaceholderText("optional: a PEM file (.crt, .pem)")
        self.ca_edit.setClearButtonEnabled(True)
        self.browse_button = QPushButton("&Browse…")
        self.browse_button.setObjectName("addRegistryBrowse")
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(self.browse)
        ca_box = QHBoxLayout()
        ca_box.addWidget(self.ca_edit, 1)
        ca_box.addWidget(self.browse_button)

        self.hint = QLabel("Berth uses the CA file to browse the registry. The Docker engine, which pulls and pushes, "
                           "needs the same CA in /etc/docker/certs.d/HOST:PORT/ca.crt on its machine.")
        self.hint.setObjectName("addRegistryHint")
        self.hint.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("addRegistryStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setVisible(False)

        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton("&Add registry", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("addRegistryOk")
        self.ok_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("addRegistryCancel")
        self.ok_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)

        box = QVBoxLayout(self)
        box.addLayout(form_grid([(buddy_label("&Registry:", self.host_edit), host_box),
                                 (buddy_label("&CA certificate:", self.ca_edit), ca_box)]))
        box.addWidget(self.hint)
        box.addWidget(self.status)
        box.addStretch(1)
        box.addWidget(self.buttons)
        grow_with_content(self)

        self.host_edit.textChanged.connect(self._revalidate)
        self.ca_edit.textChanged.connect(lambda _text: self._set_status(""))
        self._revalidate()
        self.host_edit.setFocus()

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.state.done

    def _revalidate(self, *_args) -> None:
        text = self.host_edit.text()
        problem = ""
        self.host = ""
        if text.strip():
            try:
                self.host = validate_host(text)
            except InvalidRegistry as exc:
                problem = str(exc)
        self.host_error.setText(problem)
        self.host_error.setVisible(bool(problem))
        self._set_status("")
        self._update_buttons()

    def browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "The CA certificate that signed the registry's",
                                                    self.ca_edit.text(), "Certificates (*.crt *.pem *.cer);;All files (*)")
        if path:
            self.ca_edit.setText(path)

    def submit(self) -> None:
        if self.busy or not self.host:
            return
        self._set_status("Adding…")
        self.task = Operation(self._session, f"Adding registry {self.host}", registry_tasks.add_registry, self.host,
                              self.ca_edit.text(), kind=HOUSEKEEPING, needs_engine=False,
                              action=f"add the registry {self.host}") \
            .owned_by(self).on_success(self._on_added).on_failure(self._on_failed) \
            .on_finish(self._update_buttons).run()
        self._update_buttons()

    def _on_added(self, entry: UserRegistry) -> None:
        self.added.emit(entry)
        self.accept()

    def _on_failed(self, error: BerthError) -> None:
        self._set_status(str(error), error=True)

    def _update_buttons(self, *_args) -> None:
        self.ok_button.setEnabled(bool(self.host) and not self.busy)
        if self.host and self.host in self._known:
            self.ok_button.setText("&Set CA file")
        else:
            self.ok_button.setText("&Add registry")

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        mark_problem(self.status, error)


def add_registry(parent: QWidget, session: EngineSession, known: frozenset[str] = frozenset()) -> AddRegistryDialog:
    dialog = AddRegistryDialog(session, parent, known)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
