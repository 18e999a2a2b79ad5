"""What the window shows while no engine answers: what was tried, what to check for that kind of
host (start the local daemon, reach the remote one), Retry, and another host to try. It
reconnects by itself; the user never has to restart Berth."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from desktop.engine import connection, endpoint_advice
from desktop.engine.errors import EngineUnavailable
from desktop.tasks.engine_session import CONNECTING, EngineSession
from desktop.ui.problem_style import mark_problem


class ConnectionPage(QWidget):
    def __init__(self, session: EngineSession, parent=None):
        super().__init__(parent)
        self.setObjectName("connectionPage")
        self._session = session

        self.title = QLabel("Connecting to the Docker engine…")
        self.title.setObjectName("connectionTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.tried = QLabel()
        self.tried.setObjectName("connectionTried")
        self.tried.setWordWrap(True)
        self.tried.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.help = QLabel(endpoint_advice.how_to_start_docker())
        self.help.setObjectName("connectionHelp")
        self.help.setWordWrap(True)
        self.help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.countdown = QLabel()
        self.countdown.setObjectName("connectionCountdown")

        self.retry_button = QPushButton("&Retry now")
        self.retry_button.setObjectName("retryButton")
        self.retry_button.clicked.connect(session.connect_now)

        self.host_edit = QLineEdit()
        self.host_edit.setObjectName("hostEdit")
        self.host_edit.setPlaceholderText("unix:///path/to/docker.sock, tcp://host:2376 or ssh://user@host")
        self.host_edit.returnPressed.connect(self._connect_to_host)
        self.host_button = QPushButton("&Connect")
        self.host_button.setObjectName("hostButton")
        self.host_button.clicked.connect(self._connect_to_host)
        self.default_button = QPushButton("Use the &docker CLI's engine")
        self.default_button.clicked.connect(lambda: session.set_endpoints(None))
        self.host_error = QLabel()
        self.host_error.setObjectName("hostError")
        mark_problem(self.host_error)

        host_row = QHBoxLayout()
        host_row.addWidget(self.host_edit, 1)
        host_row.addWidget(self.host_button)
        form = QFormLayout()
        form.addRow("Another engine:", host_row)
        form.addRow("", self.host_error)

        buttons = QHBoxLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.default_button)
        buttons.addStretch(1)

        box = QVBoxLayout()
        box.addWidget(self.title)
        box.addSpacing(8)
        box.addWidget(self.tried)
        box.addSpacing(8)
        box.addWidget(self.help)
        box.addSpacing(12)
        box.addLayout(buttons)
        box.addWidget(self.countdown)
        box.addSpacing(16)
        box.addLayout(form)
        box.addStretch(1)
        inner = QWidget()
        inner.setLayout(box)
        inner.setMaximumWidth(720)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(inner, 4)
        outer.addStretch(1)

        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._update_countdown)
        session.stateChanged.connect(self._on_state)
        session.disconnected.connect(self.show_error)
        self.default_button.setVisible(session.endpoints is not None)

    def show_error(self, error) -> None:
        self.title.setText("No Docker engine")
        attempts = getattr(error, "attempts", ()) if isinstance(error, EngineUnavailable) else ()
        if attempts:
            lines = ["Berth tried:"] + [f"  • {a.endpoint.describe()} — {a.reason}" for a in attempts]
            self.tried.setText("\n".join(lines))
            # the advice fits the first host tried: the one the user or the CLI's settings chose
            self.help.setText(endpoint_advice.advice_for(attempts[0].endpoint.host))
        else:
            self.tried.setText(str(error))
        self._tick.start()
        self._update_countdown()

    def _on_state(self, state: str) -> None:
        self.default_button.setVisible(self._session.endpoints is not None)
        if state == CONNECTING:
            self.countdown.setText("Trying to connect…")
            self.retry_button.setEnabled(False)
        else:
            self.retry_button.setEnabled(True)
            self._update_countdown()

    def _update_countdown(self) -> None:
        remaining = self._session.retry_in_ms()
        if remaining >= 0:
            self.countdown.setText(f"Berth will try again by itself in {max(1, (remaining + 999) // 1000)} s.")
        elif self._session.state != CONNECTING:
            self.countdown.clear()
            self._tick.stop()

    def _connect_to_host(self) -> None:
        text = self.host_edit.text().strip()
        problem = endpoint_advice.host_problem(text)
        if problem:
            self.host_error.setText(problem)
            return
        self.host_error.clear()
        self._session.set_endpoints([connection.user_endpoint(text)])
