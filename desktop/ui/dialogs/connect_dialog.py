"""Connect to another engine: a host field (the current host, DOCKER_HOST and the CLI's contexts
offered), Connect and Cancel. Connect first asks the candidate in a worker whether an engine
answers there; meanwhile the dialog shows progress and the window goes on showing the current
engine. Only when the candidate answers is the choice handed on (``endpointChosen``) for the
session to switch; when it does not, the dialog says why and what to check for that kind of
host, and nothing else changes. Cancel closes it at any time, leaving everything as it was.

Signals: endpointChosen(Endpoint) -- an engine answered there; the dialog has closed (accepted).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLayout, QProgressBar,
                               QVBoxLayout, QWidget)

from desktop.engine import connection, endpoint_advice
from desktop.engine.connection import EngineInfo, Endpoint
from desktop.engine.errors import BerthError, EngineUnavailable
from desktop.tasks import engine_probe
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task
from desktop.ui.problem_style import mark_problem


class ConnectDialog(QDialog):
    endpointChosen = Signal(object)

    def __init__(self, session: EngineSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("connectDialog")
        self.setWindowTitle("Connect to another engine")
        self._session = session
        self._suggested: dict[str, Endpoint] = {}
        self.probe_task: Task | None = None
        self.suggest_task: Task | None = None
        self.chosen: Endpoint | None = None

        self.host = QComboBox()
        self.host.setObjectName("connectHost")
        self.host.setEditable(True)
        self.host.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.host.setMinimumContentsLength(40)
        self.host.lineEdit().setPlaceholderText("unix:///path/to/docker.sock, tcp://host:2375 or ssh://user@host")
        self.host.lineEdit().setClearButtonEnabled(True)
        current = session.info.endpoint if session.info is not None else None
        if current is not None:
            self._add_suggestion(current, "now connected")
        self.host.setCurrentText(current.host if current is not None else "")
        self.host.lineEdit().selectAll()
        self.host.lineEdit().textEdited.connect(lambda _t: self._clear_problem())
        # Return in the field connects (an editable combo does not always pass it to the dialog)
        self.host.lineEdit().returnPressed.connect(self.connect_to_host)

        self.current = QLabel(f"Now connected to {current.describe()}." if current is not None
                              else "Not connected to any engine now.")
        self.current.setObjectName("connectCurrent")
        self.current.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("connectStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.advice = QLabel()
        self.advice.setObjectName("connectAdvice")
        self.advice.setWordWrap(True)
        self.advice.setTextFormat(Qt.TextFormat.PlainText)
        self.advice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.advice.hide()
        self.progress = QProgressBar()
        self.progress.setObjectName("connectProgress")
        self.progress.setRange(0, 0)  # busy: a connect says nothing until it answers
        self.progress.setTextVisible(False)
        self.progress.hide()

        self.buttons = QDialogButtonBox()
        self.connect_button = self.buttons.addButton("&Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.connect_button.setObjectName("connectButton")
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("connectCancel")
        self.cancel_button.setAutoDefault(False)  # Return connects, even while Cancel has the focus
        self.connect_button.setDefault(True)
        self.buttons.accepted.connect(self.connect_to_host)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("&Host:", self.host)
        box = QVBoxLayout(self)
        box.addWidget(self.current)
        box.addLayout(form)
        box.addWidget(self.progress)
        box.addWidget(self.status)
        box.addWidget(self.advice)
        box.addStretch(1)
        box.addWidget(self.buttons)
        box.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.resize(620, self.sizeHint().height())  # room for a long socket path or ssh:// address

    # --- suggestions ------------------------------------------------------------------------
    def start(self) -> None:
        """Gather the hosts worth offering (DOCKER_HOST, contexts) in a worker; no engine needed."""
        self.suggest_task = Operation(self._session, "Looking for docker contexts", engine_probe.suggestions,
                                      kind=HOUSEKEEPING, needs_engine=False, action="look for docker contexts") \
            .owned_by(self).on_success(self._on_suggestions).run()

    def _add_suggestion(self, endpoint: Endpoint, label: str = "") -> None:
        if endpoint.host in self._suggested:
            return
        self._suggested[endpoint.host] = endpoint
        text = label or endpoint.describe().removeprefix(endpoint.host).strip(" ()")
        self.host.addItem(endpoint.host)
        self.host.setItemData(self.host.count() - 1, f"{endpoint.host} ({text})", Qt.ItemDataRole.ToolTipRole)

    def _on_suggestions(self, endpoints: list[Endpoint]) -> None:
        typed = self.host.currentText()
        for endpoint in endpoints:
            self._add_suggestion(endpoint)
        self.host.setCurrentText(typed)  # adding items must not replace what is in the field

    def suggestions(self) -> list[str]:
        return [self.host.itemText(i) for i in range(self.host.count())]

    # --- connecting -------------------------------------------------------------------------
    def endpoint_for(self, text: str) -> Endpoint:
        """A suggested endpoint keeps its TLS files and source; anything typed is the user's."""
        text = text.strip()
        return self._suggested.get(text) or connection.user_endpoint(text)

    @property
    def probing(self) -> bool:
        return self.probe_task is not None and not self.probe_task.state.done

    def connect_to_host(self) -> None:
        if self.probing:
            return
        text = self.host.currentText().strip()
        problem = endpoint_advice.host_problem(text)
        if problem:
            self._show_problem(problem)
            return
        endpoint = self.endpoint_for(text)
        self._clear_problem()
        self.status.setText(f"Connecting to {endpoint.host}…")
        self.progress.show()
        # read-only, not disabled: a disabled field would hand the focus (and the rest of this
        # Return key) to Cancel
        self.host.lineEdit().setReadOnly(True)
        self.connect_button.setEnabled(False)
        # the candidate is not the session's engine: the probe makes its own client
        probe = Operation(self._session, f"Checking the engine at {endpoint.host}", engine_probe.probe, endpoint,
                          kind=HOUSEKEEPING, needs_engine=False, action=f"reach the engine at {endpoint.host}")
        self.probe_task = probe.owned_by(self).on_success(lambda info: self._on_answer(probe.task, info)) \
            .on_failure(lambda error: self._on_refused(probe.task, endpoint, error)).run()

    def _on_answer(self, task: Task, info: EngineInfo) -> None:
        if task is not self.probe_task or not self.isVisible():
            return  # cancelled meanwhile: the answer no longer matters
        self.probe_task = None
        self.chosen = info.endpoint
        self.accept()
        self.endpointChosen.emit(info.endpoint)

    def _on_refused(self, task: Task, endpoint: Endpoint, error: BerthError) -> None:
        if task is not self.probe_task:
            return
        self.probe_task = None
        attempts = getattr(error, "attempts", ()) if isinstance(error, EngineUnavailable) else ()
        reason = attempts[0].reason if attempts else str(error)
        self._show_problem(f"No engine answered at {endpoint.host}: {reason}", endpoint_advice.advice_for(endpoint.host))

    def _show_problem(self, text: str, advice: str = "") -> None:
        self.progress.hide()
        self.host.lineEdit().setReadOnly(False)
        self.connect_button.setEnabled(True)
        self.status.setText(text)
        mark_problem(self.status)
        self.advice.setText(advice)
        self.advice.setVisible(bool(advice))
        self.host.setFocus()
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow (never narrow) to show the wrapped advice whole."""
        self.layout().activate()
        height = self.heightForWidth(self.width()) if self.hasHeightForWidth() else self.sizeHint().height()
        self.resize(self.width(), max(height, self.minimumSizeHint().height()))

    def _clear_problem(self) -> None:
        self.status.clear()
        mark_problem(self.status, False)
        self.advice.clear()
        self.advice.hide()

    def reject(self) -> None:
        if self.probe_task is not None:
            self.probe_task.cancel()  # its answer, if one still comes, is ignored
            self.probe_task = None
        if self.suggest_task is not None and not self.suggest_task.state.done:
            self.suggest_task.cancel()
        super().reject()


def open_connect_dialog(parent: QWidget | None, session: EngineSession, on_chosen) -> ConnectDialog:
    """Open the dialog (window-modal, not blocking; deletes itself when closed) and call
    *on_chosen(endpoint)* once an engine answered at the chosen host."""
    dialog = ConnectDialog(session, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.endpointChosen.connect(on_chosen)
    dialog.start()
    dialog.open()
    return dialog
