"""The workspace's pages: Jinja2 templates (`templates/`) with autoescaping, so every name
from a file is text, never markup. No script is loaded from anywhere: a run page
refreshes itself with a meta tag while it solves."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from allocator.report.markup import CSS


def show_number(value: Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


def show_share(value: Any) -> str:
    return "-" if value is None else f"{value:.2%}"


ENVIRONMENT = Environment(
    loader=PackageLoader("allocator.workspace", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
ENVIRONMENT.globals.update(num=show_number, pct=show_share, css=CSS)


def render(template: str, **context: Any) -> str:
    """The page `template` (a file in `templates/`, without .html)."""
    context.setdefault("messages", [])
    context.setdefault("refresh", None)
    return ENVIRONMENT.get_template(f"{template}.html").render(**context)
