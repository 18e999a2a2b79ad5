"""What a drop on the window means for building: a folder is a build context, a Dockerfile is
its folder's context with that Dockerfile. The main window asks here before accepting a drag."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QMimeData

from desktop.engine.build import is_dockerfile_name


@dataclass(frozen=True)
class BuildDrop:
    context_dir: str
    dockerfile: str = ""  # relative to the context; "" for the default


def build_drop_target(mime: QMimeData | None) -> BuildDrop | None:
    """The build a drop asks for: exactly one local folder, or one local file named like a
    Dockerfile (``Dockerfile``, ``Dockerfile.dev``, ``web.Dockerfile``, ``Containerfile``). One
    ``stat`` of the dropped path, nothing read."""
    if mime is None or not mime.hasUrls():
        return None
    urls = mime.urls()
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = os.path.normpath(urls[0].toLocalFile())
    if os.path.isdir(path):
        return BuildDrop(path)
    if is_dockerfile_name(os.path.basename(path)) and os.path.isfile(path):
        return BuildDrop(os.path.dirname(path), os.path.basename(path))
    return None


def is_build_context_drop(mime: QMimeData | None) -> bool:
    return build_drop_target(mime) is not None
