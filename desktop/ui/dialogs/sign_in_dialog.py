"""The Sign in dialog: a user name and a masked password for one registry, checked by the engine
(as ``docker login``) in a USER operation and stored where the docker CLI keeps accounts.

The password leaves the field only inside a ``Secret`` the worker takes once; the field is
emptied as soon as it is sent, and again when the dialog closes, so nothing of it stays on
screen or in the dialog. A failure is shown under the fields (the activity centre keeps it too)
and the password field gets the focus back for another try.

Signals: signedIn(object) -- the SignInResult, after the account was stored.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.engine.docker_config import DOCKER_HUB
from desktop.engine.errors import BerthError
from desktop.engine.registry_login import Secret, SignInResult
from desktop.tasks import registry_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import USER, Operation
from desktop.tasks.task import Task
from desktop.ui.dialogs.dialog_layout import buddy_label, form_grid, grow_with_content
from desktop.ui.problem_style import mark_problem


def registry_name(host: str) -> str:
    return "Docker Hub (docker.io)" if host == DOCKER_HUB else host


class SignInDialog(QDialog):
    signedIn = Signal(object)

    def __init__(self, session: EngineSession, host: str, username: str = "", kept_by: str = "",
                 parent: QWidget | None = None):
        """*kept_by* says where the account will be stored ("in ~/.docker/config.json", "by the
        credential helper docker-credential-pass")."""
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in")
        self.resize(480, 0)
        self._session = session
        self.host = host
        self.task: Task | None = None
        self.result_value: SignInResult | None = None

        self.heading = QLabel(f"Sign in to {registry_name(host)}")
        self.heading.setObjectName("signInHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.user_edit = QLineEdit(username)
        self.user_edit.setObjectName("signInUser")
        self.user_edit.setPlaceholderText("your user name on this registry")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("signInPassword")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("password or access token")
        hint = ("The Docker engine checks the account with the registry, as 'docker login' does. It is kept "
                f"{kept_by or 'where the docker CLI keeps accounts'}, so the docker CLI and "
                "Berth share it.")
        self.hint = QLabel(hint)
        self.hint.setObjectName("signInHint")
        self.hint.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("signInStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setVisible(False)

        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton("&Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("signInOk")
        self.ok_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("signInCancel")
        self.ok_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)

        box = QVBoxLayout(self)
        box.addWidget(self.heading)
        box.addLayout(form_grid([(buddy_label("&User name:", self.user_edit), self.user_edit),
                                 (buddy_label("&Password:", self.password_edit), self.password_edit)]))
        box.addWidget(self.hint)
        box.addWidget(self.status)
        box.addStretch(1)
        box.addWidget(self.buttons)
        grow_with_content(self)

        self.user_edit.textChanged.connect(self._update_buttons)
        self.password_edit.textChanged.connect(self._update_buttons)
        self._update_buttons()
        (self.password_edit if username else self.user_edit).setFocus()

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.state.done

    def submit(self) -> None:
        if self.busy or not self.user_edit.text().strip() or not self.password_edit.text():
            return
        secret = Secret(self.password_edit.text())
        self.password_edit.clear()  # sent: nothing of it stays in the dialog
        self._set_status("Checking the account with the registry…")
        self.task = Operation(self._session, f"Signing in to {self.host}", registry_tasks.sign_in, self.host,
                              self.user_edit.text().strip(), secret, kind=USER, action=f"sign in to {self.host}") \
            .owned_by(self).on_success(self._on_signed_in).on_failure(self._on_failed) \
            .on_finish(self._update_buttons).run()
        self._update_buttons()

    def _on_signed_in(self, result: SignInResult) -> None:
        self.result_value = result
        self._set_status(f"Signed in to {registry_name(result.host)} as {result.username}.")
        self.signedIn.emit(result)
        self.accept()

    def _on_failed(self, error: BerthError) -> None:
        self._set_status(str(error), error=True)
        self.password_edit.setFocus()

    def _update_buttons(self, *_args) -> None:
        busy = self.busy
        self.ok_button.setEnabled(not busy and bool(self.user_edit.text().strip()) and bool(self.password_edit.text()))
        self.user_edit.setEnabled(not busy)
        self.password_edit.setEnabled(not busy)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        mark_problem(self.status, error)

    def done(self, result: int) -> None:
        if self.busy:
            self.task.cancel()
        self.password_edit.clear()
        super().done(result)


def sign_in(parent: QWidget, session: EngineSession, host: str, username: str = "", kept_by: str = "") -> SignInDialog:
    dialog = SignInDialog(session, host, username, kept_by, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
