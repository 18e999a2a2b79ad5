"""The status-bar label that always says which engine Berth talks to."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from desktop.engine.connection import EngineInfo
from desktop.tasks.engine_session import CONNECTED, CONNECTING, EngineSession
from desktop.ui.problem_style import mark_problem

CONNECTED_STYLE = "color: #27ae60"


class ConnectionIndicator(QLabel):
    def __init__(self, session: EngineSession, parent=None):
        super().__init__(parent)
        self.setObjectName("connectionIndicator")
        self._session = session
        session.stateChanged.connect(self._update)
        self._update(session.state)

    def _update(self, state: str) -> None:
        info: EngineInfo | None = self._session.info
        if state == CONNECTED and info is not None:
            self.setText(f"● {info.display_name} — Docker {info.version} (API {info.api_version}, {info.os}/{info.arch})")
            self.setToolTip(f"Connected to {info.endpoint.describe()}\nKernel {info.kernel}\n{info.platform_name}")
            self.setStyleSheet(CONNECTED_STYLE)
        elif state == CONNECTING:
            self.setText("○ Connecting…")
            self.setToolTip("")
            mark_problem(self, False)
        else:
            self.setText("● Not connected")
            self.setToolTip(str(self._session.last_error or ""))
            mark_problem(self)
