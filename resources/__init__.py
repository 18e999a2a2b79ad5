"""Icons, styles and desktop files; installed as the package desktop.resources."""
