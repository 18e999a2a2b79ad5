"""How Berth's dialogs lay themselves out so that everything they say can be read.

A top-level window never asks its word-wrapped labels how tall they are at its width: Qt gives it
the layout's plain minimum, so when a hint, warning or error appears the layout squeezes the
fields below their usable height and cuts the message mid-line. ``grow_with_content(dialog)``
makes the dialog's minimum size its layout's (``SetMinimumSize``) and, whenever its layout or its
width changes, makes it as tall as its content needs at that width: taller when a message
appears, back to its first height when the message goes, unless the person resized it. It never
grows past the screen's available area (content that can be taller than a small screen belongs
in a scroll area, see ``scrolling``), and a dialog larger than the screen is made to fit when it
first shows.

``buddy_label(text, field)``: a form label whose mnemonic focuses *field*. ``QFormLayout.addRow``
with a string makes the buddy only when the field is a widget; with a layout (a field and its
Browse button, a field and its message) the label would show the ``&``.

``form_grid(rows)``: labels and fields in a grid. QFormLayout misjudges its height for a width
when a field is a layout holding a word-wrapped message (too little: the next row is squeezed;
too much: gaps), so forms with messages under their fields use this instead.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import QDialog, QFrame, QGridLayout, QLabel, QLayout, QLineEdit, QScrollArea, QWidget


def available_size(widget: QWidget) -> QSize:
    """The room the widget's screen gives windows (tests answer for a screen of their choice)."""
    screen = widget.screen()
    return screen.availableGeometry().size() if screen is not None else QSize(1 << 20, 1 << 20)


class _Grower(QObject):
    def __init__(self, dialog: QDialog):
        super().__init__(dialog)
        self._dialog = dialog
        self._base_height = 0  # the height it first showed with
        self._set_height = -1  # the height this object last gave it
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        dialog.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Show and not self._base_height:
            layout = self._dialog.layout()
            if layout is not None:
                layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
            self._fit_screen()
            self._base_height = self._dialog.height()
        if kind in (QEvent.Type.LayoutRequest, QEvent.Type.Resize, QEvent.Type.Show):
            self._timer.start()
        return False

    def _fit_screen(self) -> None:
        available = available_size(self._dialog)
        size = self._dialog.size()
        if size.width() > available.width() or size.height() > available.height():
            self._dialog.resize(size.boundedTo(available))

    def fit(self) -> None:
        """Make the dialog as tall as its content needs at its width."""
        dialog = self._dialog
        layout = dialog.layout()
        if layout is None or not dialog.isVisible():
            return
        layout.activate()
        width = dialog.width()
        needed = layout.minimumSize().height()
        if layout.hasHeightForWidth():
            needed = max(needed, layout.heightForWidth(width))
        needed = min(needed, available_size(self._dialog).height())
        ours = dialog.height() == self._set_height  # not resized by the person since
        target = max(needed, self._base_height) if ours else max(needed, dialog.height())
        if target != dialog.height():
            self._set_height = target
            dialog.resize(width, target)


def grow_with_content(dialog: QDialog) -> None:
    """Call in the dialog's __init__, before or after its layout is set (see the docstring)."""
    _Grower(dialog)


def buddy_label(text: str, field: QWidget) -> QLabel:
    """A label whose ``&`` mnemonic underlines a letter and focuses *field*."""
    label = QLabel(text)
    label.setBuddy(field)
    return label


class _ScrollingForm(QScrollArea):
    """Asks for the height its content needs at its width (a plain QScrollArea claims little and
    caps its hint at 24 lines), so a dialog grows for it first and scrolls only past the screen.
    With *leave*, that height is also its minimum, up to the screen's height less *leave* pixels:
    for a part of a QSplitter, which asks its parts for their minimum, not their height for width."""

    def __init__(self, leave: int | None = None):
        super().__init__()
        self._leave = leave

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the content's height changed: so did ours (layouts cache it)
        return super().eventFilter(watched, event)

    def _content_height(self, width: int) -> int:
        content = self.widget()
        margins = self.contentsMargins()
        # as narrow as with the scroll bar shown: then the height given makes the bar unneeded
        inner = width - margins.left() - margins.right() - self.verticalScrollBar().sizeHint().width()
        height = content.heightForWidth(inner) if content.hasHeightForWidth() else content.sizeHint().height()
        return max(height, content.minimumSizeHint().height()) + margins.top() + margins.bottom()

    def hasHeightForWidth(self) -> bool:
        return self.widget() is not None

    def heightForWidth(self, width: int) -> int:
        return self._content_height(width)

    def minimumSizeHint(self) -> QSize:
        """As wide as the content needs (it never scrolls sideways), plus room for the scroll bar."""
        hint = super().minimumSizeHint()
        content = self.widget()
        if content is None:
            return hint
        margins = self.contentsMargins()
        width = (content.minimumSizeHint().width() + margins.left() + margins.right()
                 + self.verticalScrollBar().sizeHint().width())
        height = hint.height()
        if self._leave is not None:
            height = max(height, min(self._content_height(self.width()), available_size(self).height() - self._leave))
        return QSize(max(hint.width(), width), height)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        content = self.widget()
        if content is None:
            return hint
        width = max(hint.width(), content.sizeHint().width())
        return QSize(width, self._content_height(width))


def form_grid(rows: list[tuple], parent: QWidget | None = None) -> QGridLayout:
    """A two-column form: each row is (label, field) -- label a QLabel, a text or None, field a
    widget or a layout -- or (widget,) for a widget across both columns. A label sits level with
    the first line of its field; the field column takes the width."""
    grid = QGridLayout(parent) if parent is not None else QGridLayout()
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setColumnStretch(1, 1)
    line_height = QLineEdit().sizeHint().height()
    for row, entry in enumerate(rows):
        if len(entry) == 1:
            grid.addWidget(entry[0], row, 0, 1, 2)
            continue
        label, field = entry
        if isinstance(label, str):
            label = QLabel(label) if label else None
        if label is not None:
            if not isinstance(field, QLabel):  # level with a field's text; a text field is level anyway
                label.setMinimumHeight(line_height)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        if isinstance(field, QLayout):
            grid.addLayout(field, row, 1)
        else:
            grid.addWidget(field, row, 1)
    return grid


def align_label_columns(*grids: QGridLayout) -> None:
    """Give the label columns of form_grids shown one above the other the same width."""
    def labels(grid: QGridLayout):
        for index in range(grid.count()):
            _row, column, _rows, columns = grid.getItemPosition(index)
            widget = grid.itemAt(index).widget()
            if column == 0 and columns == 1 and isinstance(widget, QLabel):
                yield widget

    width = max((label.sizeHint().width() for grid in grids for label in labels(grid)), default=0)
    for grid in grids:
        grid.setColumnMinimumWidth(0, width)


def scrolling(content: QWidget, leave: int | None = None) -> QScrollArea:
    """*content* in a frameless scroll area that scrolls only vertically: for a form that can be
    taller than a small screen. For a part of a splitter, *leave* is the height the window's
    other parts need at least (see _ScrollingForm)."""
    area = _ScrollingForm(leave)
    area.setWidget(content)
    content.installEventFilter(area)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area
