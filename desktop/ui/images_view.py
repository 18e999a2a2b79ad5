"""The Images view: every tag on the engine, as ``docker images`` lists them, under a toolbar
that ``ImageActions`` fills (the view itself knows no actions)."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from desktop.models.images_model import ImagesModel
from desktop.tasks.live_feed import LiveFeed
from desktop.ui.list_page import ListPage


class ImagesView(ListPage):
    noun = "images"
    empty_text = "No images yet. Pull, build or load one, or drop an image archive on this window."
    filter_hint = "Filter by repository, tag or ID"
    toggle_text = "Show &intermediate images"
    toggle_tip = "Also list intermediate and dangling images, like 'docker images -a'"
    toggle_option = "all_images"

    def __init__(self, model: ImagesModel, feed: LiveFeed, parent=None):
        M = ImagesModel
        super().__init__(model, feed, "images", {M.REPOSITORY: 320, M.TAG: 140, M.ID: 120, M.CREATED: 140,
                                                 M.SIZE: 90}, M.CREATED, parent,
                         age_column=M.CREATED)
        self.toolbar = self.make_toolbar()
        self._pending: set[str] = set()
        self._pending_timer = QTimer(self)
        self._pending_timer.setSingleShot(True)
        self._pending_timer.timeout.connect(self._pending.clear)
        feed.loaded.connect(self._select_pending)

    def select_references(self, refs) -> None:
        """Select the rows named by these references or ids (what a load or build produced). The
        event-driven listing may not have them yet: they are selected once it does (for 15 s)."""
        self._pending = {r for r in refs if r}
        self._pending_timer.start(15_000)
        self._select_pending()

    def _matches(self, row, wanted: set[str]) -> bool:
        return bool({row.reference, row.id, f"{row.repository}:{row.tag}"} & wanted)

    def _select_pending(self) -> None:
        if not self._pending:
            return
        keys = [r.key for r in self.model.rows() if self._matches(r, self._pending)]
        if not keys:
            return
        wanted_found = {ref for ref in self._pending
                        if any(self._matches(r, {ref}) for r in self.model.rows() if r.key in keys)}
        self.select_keys(keys)
        if wanted_found == self._pending:
            self._pending = set()
