"""Jinja2 templates shipped with sopkinerja (a workspace may override any one of them)."""
