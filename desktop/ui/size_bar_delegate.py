"""Paints a bar behind a size, as long as the item's share of the biggest one, so the heavy
layers of an image stand out at a glance; the text is drawn on top as usual."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect
from PySide6.QtGui import QPainter, QPalette
from PySide6 import QtWidgets  # QStyle at the first paint: its enums cost 10 ms the first frame need not pay
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from desktop.models.image_details_models import FRACTION_ROLE


def bar_rect(cell: QRect, fraction: float) -> QRect:
    """The bar inside *cell* for *fraction* (0..1): left-aligned, at least 2 px when not zero."""
    inner = cell.adjusted(2, 3, -2, -3)
    if fraction <= 0 or inner.width() <= 0:
        return QRect()
    width = max(2, round(inner.width() * min(fraction, 1.0)))
    return QRect(inner.left(), inner.top(), width, inner.height())


class SizeBarDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        fraction = index.data(FRACTION_ROLE) or 0.0
        rect = bar_rect(option.rect, float(fraction))
        if not rect.isNull() and not option.state & QtWidgets.QStyle.StateFlag.State_Selected:
            color = option.palette.color(QPalette.ColorRole.Highlight)
            color.setAlpha(110)
            painter.save()
            painter.fillRect(rect, color)
            painter.restore()
        super().paint(painter, option, index)
