"""The Images view: every tag on the engine, as ``docker images`` lists them, under a toolbar
that ``ImageActions`` fills (the view itself knows no actions)."""

from __future__ import annotations

from desktop.models.images_model import ImagesModel
from desktop.tasks.live_feed import LiveFeed
from desktop.ui.list_page import SELECT_WAIT_MS, ListPage


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

    def row_names(self, row) -> set:
        """A row is found by its reference ('myapp:v1'), its image id, or both ((id, reference):
        that name on that image, not on one it moved from)."""
        return {row.key, row.reference, row.id, f"{row.repository}:{row.tag}", (row.id, row.reference)}

    def select_references(self, refs, timeout_ms: int = SELECT_WAIT_MS) -> bool:
        """Select the rows named by these references or ids (what a load or build produced), once
        the event-driven listing has them."""
        return self.select_when_listed([r for r in refs if r], timeout_ms)
