"""Widgets: the main window, views and dialogs. Nothing here calls Docker or waits on the
network or the disk; work goes to tasks and comes back through signals."""
