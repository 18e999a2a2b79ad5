"""The Containers view: running containers, or all of them like ``docker ps -a``."""

from __future__ import annotations

from desktop.models.containers_model import ContainersModel
from desktop.models.live_feed import LiveFeed
from desktop.ui.list_page import ListPage


class ContainersView(ListPage):
    noun = "containers"
    empty_text = "No containers. Run one from an image in the Images view."
    filter_hint = "Filter by name, image, ID, status or project"
    toggle_text = "Show &stopped containers"
    toggle_tip = "Also list stopped containers, like 'docker ps -a'"
    toggle_option = "all_containers"

    def __init__(self, model: ContainersModel, feed: LiveFeed, parent=None):
        M = ContainersModel
        super().__init__(model, feed, "containers", {M.NAME: 200, M.IMAGE: 220, M.COMMAND: 160, M.STATUS: 170,
                                                     M.CREATED: 130, M.PORTS: 180}, M.CREATED, parent)
        self.toggle.setChecked(True)
