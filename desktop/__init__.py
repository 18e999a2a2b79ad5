"""Berth: a desktop app for Docker images, containers and tags."""

__version__ = "0.1.0"
APP_NAME = "Berth"
APP_ID = "io.github.berth.Berth"
