"""The Details pane of the Images view: everything about the selected image -- overview, layers,
the containers that use it and the raw ``docker inspect`` -- loaded in a worker each time the
selection changes. A newer selection cancels the load under way, and a result is shown only if it
is still for the image selected, so switching quickly never shows stale details.

Signals:
  loaded(str)              -- the details of this image id are on screen (after every load)
  failed(str, object)      -- loading this image id failed; the BerthError is on screen
  containerActivated(str)  -- the user opened a container in "Used by" (full container id)
  untagRequested(str)      -- the user pressed Untag next to this 'repo:tag'
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QTextDocument
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QFrame, QHBoxLayout, QLabel,
                               QPlainTextEdit, QScrollArea, QStackedWidget, QTableView, QTabWidget, QToolButton,
                               QVBoxLayout, QWidget)

from desktop.engine.errors import BerthError, NotFound
from desktop.engine.image_details import LINK_LABELS, OCI_FIRST, ImageDetails, ImageDetailsBundle
from desktop.engine.images import ImageRow
from desktop.models.formatting import exact_time, human_age, human_size
from desktop.models.image_details_models import LayersModel, TagsModel, UsedByModel
from desktop.tasks import details as details_work
from desktop.tasks.operations import HOUSEKEEPING, Operation
from desktop.tasks.task import Task
from desktop.ui.details_header import SELECTABLE, message_label, message_stack, subtitle_label, title_label
from desktop.ui.list_page import RowFilterProxy, list_table
from desktop.ui.size_bar_delegate import SizeBarDelegate

OVERVIEW, LAYERS, USED_BY, JSON = range(4)

if TYPE_CHECKING:
    from desktop.ui.json_view import JsonView
_OCI_TITLES = {key: key.rsplit(".", 1)[-1].capitalize() for key in OCI_FIRST}
_OCI_TITLES["org.opencontainers.image.url"] = "URL"
_ENV_LINES_SHOWN = 8


def _command_text(value: tuple[str, ...] | None) -> str:
    """Exec form as a Dockerfile writes it: ["/bin/sh", "-c"]."""
    return "" if value is None else json.dumps(list(value), ensure_ascii=False)


def _link_html(value: str) -> str:
    if value.startswith(("https://", "http://")):
        return f'<a href="{html.escape(value, quote=True)}">{html.escape(value)}</a>'
    return html.escape(value)


def _value_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(f"details_{name}")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(SELECTABLE)
    label.setCursor(Qt.CursorShape.IBeamCursor)
    return label


def _rich_label(name: str) -> QLabel:
    label = _value_label(name)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    label.setOpenExternalLinks(True)
    return label


class _TagsList(QWidget):
    """A small view of the TagsModel: each tag, selectable, with its own Untag button."""

    def __init__(self, model: TagsModel, untag, parent=None):
        super().__init__(parent)
        self.setObjectName("detailsTags")
        self._model = model
        self._untag = untag
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(0)
        self._labels: list[QLabel] = []
        for signal in (model.rowsInserted, model.rowsRemoved, model.dataChanged, model.modelReset):
            signal.connect(self._rebuild)
        self._rebuild()

    def _rebuild(self, *_args) -> None:
        while self._box.count():
            widget = self._box.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self._labels = []
        self._buttons: list[QToolButton] = []
        if not self._model.rowCount():
            none = QLabel("<none> (untagged: only its ID refers to it)")
            none.setObjectName("detailsNoTags")
            none.setTextFormat(Qt.TextFormat.PlainText)
            self._box.addWidget(none)
            return
        for row in sorted(range(self._model.rowCount()), key=lambda r: self._model.row_at(r).reference):
            tag = self._model.row_at(row)
            line = QWidget()
            layout = QHBoxLayout(line)
            layout.setContentsMargins(0, 0, 0, 0)
            label = QLabel(tag.reference)
            label.setObjectName("detailsTag")
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(SELECTABLE)
            label.setToolTip(self._model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole))
            self._labels.append(label)
            button = QToolButton()
            button.setObjectName("untagButton")
            button.setText("Untag")
            button.setAutoRaise(True)
            button.setToolTip(f"Remove the tag {tag.reference} (the image stays while other tags "
                              f"or containers refer to it)")
            button.clicked.connect(lambda _=False, ref=tag.reference: self._untag(ref))
            self._buttons.append(button)
            layout.addWidget(label)
            layout.addWidget(button)
            layout.addStretch(1)
            self._box.addWidget(line)

    def references(self) -> list[str]:
        """The tags as shown, top to bottom."""
        return [label.text() for label in self._labels]

    def untag_buttons(self) -> list[QToolButton]:
        return list(self._buttons)


class ImageDetailsPane(QWidget):
    loaded = Signal(str)
    failed = Signal(str, object)
    containerActivated = Signal(str)
    untagRequested = Signal(str)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("imageDetails")
        self._session = session
        self._row: ImageRow | None = None
        self._image_id = ""  # what should be on screen (or is being loaded)
        self._shown_id = ""  # what is on screen
        self._details: ImageDetails | None = None
        self._task: Task | None = None
        self._task_image_id = ""
        self._dirty = False

        self.tags_model = TagsModel(self)
        self.layers_model = LayersModel(self)
        self.used_by_model = UsedByModel(self)

        self.message = message_label("detailsMessage")
        self.message.setTextInteractionFlags(SELECTABLE)

        self.title = title_label("detailsTitle")
        self.subtitle = subtitle_label("detailsSubtitle")

        self._tabs: QTabWidget | None = None  # built with the first details shown, not at start-up
        self._json_view: JsonView | None = None

        content = QWidget()
        box = QVBoxLayout(content)
        box.setContentsMargins(6, 6, 6, 0)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        self.header_buttons = QHBoxLayout()  # actions on the shown image (Tag…, Run…), placed by the window
        header.addLayout(self.header_buttons)
        box.addLayout(header)
        box.addWidget(self.subtitle)
        self._content_box = box
        self.content = content

        self.stack = message_stack(self, self.message, content)

        session.disconnected.connect(self._on_disconnected)
        session.eventsOpened.connect(self.refresh)
        self.show_image(None)

    @property
    def tabs(self) -> QTabWidget:
        """Overview, Layers, Used by and JSON: built when first needed (the first details shown),
        since the window's first paint shows none of them."""
        if self._tabs is None:
            tabs = QTabWidget()
            tabs.setObjectName("detailsTabs")
            tabs.setDocumentMode(True)
            tabs.addTab(self._build_overview(), "Overview")
            tabs.addTab(self._build_layers(), "Layers")
            tabs.addTab(self._build_used_by(), "Used by")
            tabs.addTab(QWidget(), "JSON")
            self._content_box.addWidget(tabs, 1)
            self._tabs = tabs
        return self._tabs

    @property
    def json_view(self) -> JsonView:
        """The JSON tab's view (built, and its module imported, on first use)."""
        if self._json_view is None:
            from desktop.ui.json_view import JsonView

            self._json_view = JsonView()
            current = self.tabs.currentIndex()
            placeholder = self.tabs.widget(JSON)
            self.tabs.insertTab(JSON, self._json_view, "JSON")
            self.tabs.removeTab(JSON + 1)
            placeholder.deleteLater()
            self.tabs.setCurrentIndex(current)
        return self._json_view

    # --- building -----------------------------------------------------------------------
    def _build_overview(self) -> QWidget:
        self._form = QFormLayout()
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self._fields: dict[str, QWidget] = {}

        def add(title: str, widget: QWidget) -> None:
            self._fields[title] = widget
            self._form.addRow(f"{title}:", widget)

        for key in OCI_FIRST:  # what the image says about itself comes first
            name = key.rsplit(".", 1)[-1]
            add(_OCI_TITLES[key], _rich_label(name) if key in LINK_LABELS else _value_label(name))
        add("ID", _value_label("id"))
        self.tags_list = _TagsList(self.tags_model, self.untagRequested.emit)
        add("Tags", self.tags_list)
        for title in ("Digests", "Created", "Size", "Platform", "Author", "Entrypoint", "Command", "Working dir",
                      "User"):
            add(title, _value_label(title.lower().replace(" ", "_")))
        self.env_text = QPlainTextEdit()
        self.env_text.setObjectName("details_env")
        self.env_text.setReadOnly(True)
        self.env_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.env_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        add("Environment", self.env_text)
        for title in ("Exposed ports", "Volumes", "Stop signal", "Comment"):
            add(title, _value_label(title.lower().replace(" ", "_")))
        add("Labels", _rich_label("labels"))

        page = QWidget()
        page.setLayout(self._form)
        scroll = QScrollArea()
        scroll.setObjectName("detailsOverview")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        return scroll

    def _table(self, name: str, model, sort_column: int) -> QTableView:
        proxy = RowFilterProxy(self)
        proxy.setSourceModel(model)
        table = list_table(name, proxy, {}, QAbstractItemView.SelectionMode.SingleSelection)
        table.setSortingEnabled(True)
        table.sortByColumn(sort_column, Qt.SortOrder.DescendingOrder)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        return table

    def _build_layers(self) -> QWidget:
        M = LayersModel
        self.layers_table = self._table("detailsLayers", self.layers_model, M.CREATED)
        self.layers_table.setItemDelegateForColumn(M.SIZE, SizeBarDelegate(self.layers_table))
        header = self.layers_table.horizontalHeader()
        header.resizeSection(M.SIZE, 110)
        header.resizeSection(M.CREATED_BY, 420)
        header.resizeSection(M.CREATED, 120)
        self.layers_summary = QLabel()
        self.layers_summary.setObjectName("detailsLayersSummary")
        page = QWidget()
        box = QVBoxLayout(page)
        box.addWidget(self.layers_summary)
        box.addWidget(self.layers_table, 1)
        return page

    def _build_used_by(self) -> QWidget:
        M = UsedByModel
        self.used_by_table = self._table("detailsUsedBy", self.used_by_model, M.STATUS)
        self.used_by_table.sortByColumn(M.NAME, Qt.SortOrder.AscendingOrder)
        self.used_by_table.setToolTip("Double-click or press Enter to open the container in the Containers view")
        self.used_by_table.activated.connect(self._on_container_activated)
        header = self.used_by_table.horizontalHeader()
        header.resizeSection(M.NAME, 200)
        header.resizeSection(M.STATUS, 180)
        header.resizeSection(M.IMAGE, 200)
        self.used_by_empty = QLabel("No container uses this image.")
        self.used_by_empty.setObjectName("detailsUsedByEmpty")
        self.used_by_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._used_by_stack = QStackedWidget()
        self._used_by_stack.addWidget(self.used_by_table)
        self._used_by_stack.addWidget(self.used_by_empty)
        return self._used_by_stack

    # --- public -------------------------------------------------------------------------
    @property
    def image_id(self) -> str:
        """The image whose details are shown or being loaded ("" when none)."""
        return self._image_id

    @property
    def shown_id(self) -> str:
        """The image whose details are on screen now ("" when a message is shown instead)."""
        return self._shown_id if self.stack.currentWidget() is self.content else ""

    @property
    def busy(self) -> bool:
        """A load is under way."""
        return self._task is not None

    def show_image(self, selection) -> None:
        """Show one ImageRow, a message for None (no selection) or a summary for a list of rows."""
        if isinstance(selection, (list, tuple)):
            rows = list(selection)
            if len({r.id for r in rows}) == 1:
                selection = rows[0]  # several tags of one image are one image
            elif rows:
                self._forget()
                sizes = {r.id: r.size for r in rows}
                self._show_message(f"{len(sizes)} images selected, {human_size(sum(sizes.values()))} in total")
                self.message.setToolTip("Layers shared by several images are counted once per image.")
                return
            else:
                selection = None
        if selection is None:
            self._forget()
            self._show_message("Select an image to see its details.")
            return
        row: ImageRow = selection
        self._row = row
        self._set_title(row.reference if not row.dangling else f"<none> ({row.short_id})")
        if row.id == self._image_id and self._shown_id == row.id and self.stack.currentWidget() is self.content:
            self.refresh()  # another tag of the image on screen: no "Loading…" flash
            return
        self._cancel()
        self._image_id = row.id
        self._show_message(f"Loading details of {self.title.text()}…")
        self._load()

    def add_header_action(self, action) -> QToolButton:
        """A button in the pane's header for an action on the shown image."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.header_buttons.addWidget(button)
        return button

    def refresh(self) -> None:
        """Load the shown image again (after an engine event); the details stay until the answer."""
        if not self._image_id:
            return
        if self._task is not None:
            self._dirty = True  # the answer under way may predate the event
            return
        self._load()

    def shows_container(self, container_id: str) -> bool:
        """Whether *container_id* is in the "Used by" list on screen (its state is shown there)."""
        return bool(self._image_id) and self.used_by_model.row_for_key(container_id) >= 0

    def field_text(self, title: str) -> str:
        """The text shown for an overview field, as a person reads it (links as plain text)."""
        widget = self.field_widget(title)
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText()
        if isinstance(widget, _TagsList):
            return "\n".join(widget.references())
        if widget.textFormat() == Qt.TextFormat.RichText:
            document = QTextDocument()
            document.setHtml(widget.text())
            return document.toPlainText()
        return widget.text()

    def field_widget(self, title: str) -> QWidget:
        self.tabs  # noqa: B018 - builds them on first use
        return self._fields[title]

    def field_visible(self, title: str) -> bool:
        return self._form.isRowVisible(self.field_widget(title))

    # --- loading ------------------------------------------------------------------------
    def _forget(self) -> None:
        self._cancel()
        self._row = None
        self._image_id = ""
        self.message.setToolTip("")

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._dirty = False

    def _load(self) -> None:
        name = self.title.text()
        self._dirty = False
        self._task_image_id = self._image_id
        op = Operation(self._session, f"Loading details of {name}", details_work.load_image_details,
                       self._image_id, kind=HOUSEKEEPING, action=f"load the details of {name}").owned_by(self)
        # each callback knows its task: only the load under way, for the image still selected, counts
        self._task = op.on_success(lambda bundle: self._on_loaded(op.task, bundle)) \
            .on_failure(lambda error: self._on_failed(op.task, error)) \
            .on_finish(lambda: self._on_finished(op.task)).run()

    def _from_current_task(self, task: Task | None) -> bool:
        """True when the callback comes from the load under way for the image still selected."""
        return task is not None and task is self._task and self._task_image_id == self._image_id

    def _on_loaded(self, task: Task | None, bundle: ImageDetailsBundle) -> None:
        if not self._from_current_task(task):
            return  # the selection moved on while this was loading
        self._apply(bundle)
        self.stack.setCurrentWidget(self.content)
        self._shown_id = self._image_id
        self.loaded.emit(self._image_id)

    def _on_failed(self, task: Task | None, error: BerthError) -> None:
        if not self._from_current_task(task):
            return
        self._show_message(str(error))
        if isinstance(error, NotFound):
            self._dirty = False  # gone is gone; no point asking again
        self.failed.emit(self._image_id, error)

    def _on_finished(self, task: Task | None) -> None:
        if task is None or task is not self._task:
            return
        self._task = None
        if self._dirty:
            self.refresh()

    def _on_disconnected(self, _error) -> None:
        self._cancel()
        if self._image_id:
            self._shown_id = ""
            self._show_message("Not connected to a Docker engine.")

    def _on_container_activated(self, index) -> None:
        source = self.used_by_table.model().mapToSource(index)
        self.containerActivated.emit(self.used_by_model.row_at(source.row()).id)

    # --- showing ------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        self._shown_id = ""
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def _set_title(self, text: str) -> None:
        self.title.setText(text)

    def _apply(self, bundle: ImageDetailsBundle) -> None:
        details = bundle.details
        tabs = self.tabs
        self.tags_model.apply(details.tags)
        self.layers_model.apply(bundle.history)
        self.used_by_model.apply(bundle.containers)
        self.json_view.set_text(details.raw)
        self._apply_layers_summary(bundle)
        count = len(bundle.containers)
        tabs.setTabText(LAYERS, f"Layers ({len(bundle.history)})")
        tabs.setTabText(USED_BY, f"Used by ({count})" if count else "Used by")
        self._used_by_stack.setCurrentWidget(self.used_by_table if count else self.used_by_empty)
        if self._row is not None and self._row.id != details.id:
            self._row = None
        if self._row is None:
            self._set_title(details.tags[0].reference if details.tags else f"<none> ({details.short_id})")
        self.subtitle.setText(f"{details.short_id} · {human_size(details.size)} · created {human_age(details.created)}")
        if details != self._details:
            self._apply_overview(details)
            self._details = details

    def _apply_layers_summary(self, bundle: ImageDetailsBundle) -> None:
        history = bundle.history
        filled = [layer for layer in history if not layer.empty]
        biggest = max(history, key=lambda layer: layer.size, default=None)
        text = (f"{len(history)} steps, {len(filled)} with content ({len(history) - len(filled)} empty), "
                f"{human_size(sum(layer.size for layer in history))} in all")
        if biggest is not None and biggest.size:
            text += f"; the biggest adds {human_size(biggest.size)}"
        self.layers_summary.setText(text)

    def _set_field(self, title: str, text: str) -> None:
        widget = self._fields[title]
        if isinstance(widget, QPlainTextEdit):
            if widget.toPlainText() != text:
                widget.setPlainText(text)
            lines = max(1, min(text.count("\n") + 1, _ENV_LINES_SHOWN))
            height = widget.fontMetrics().lineSpacing() * lines + 2 * widget.frameWidth() + 10
            widget.setFixedHeight(height)
        else:
            widget.setText(text)
        self._form.setRowVisible(widget, bool(text))

    def _apply_overview(self, d: ImageDetails) -> None:
        labels = dict(d.labels)
        for key in OCI_FIRST:
            value = labels.get(key, "")
            self._set_field(_OCI_TITLES[key], _link_html(value) if key in LINK_LABELS else value)
        self._set_field("ID", d.id)
        self._form.setRowVisible(self.tags_list, True)
        self._set_field("Digests", "\n".join(d.repo_digests))
        self._set_field("Created", f"{exact_time(d.created)} ({human_age(d.created)})" if d.created else d.created_text)
        self._set_field("Size", f"{human_size(d.size)} ({d.size:,} bytes) in {d.layer_count} layer"
                                f"{'' if d.layer_count == 1 else 's'}")
        self._set_field("Platform", d.platform)
        self._set_field("Author", d.author)
        self._set_field("Entrypoint", _command_text(d.entrypoint))
        self._set_field("Command", _command_text(d.cmd))
        self._set_field("Working dir", d.working_dir)
        self._set_field("User", d.user)
        self._set_field("Environment", "\n".join(f"{k}={v}" for k, v in d.env))
        self._set_field("Exposed ports", ", ".join(d.exposed_ports))
        self._set_field("Volumes", "\n".join(d.volumes))
        self._set_field("Stop signal", d.stop_signal)
        self._set_field("Comment", d.comment)
        rest = [(k, v) for k, v in d.labels if k not in OCI_FIRST]
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>&nbsp;=&nbsp;</td>"
                       f"<td>{_link_html(v) if k in LINK_LABELS else html.escape(v)}</td></tr>" for k, v in rest)
        self._set_field("Labels", f"<table>{rows}</table>" if rows else "")
