"""Self-contained HTML pages: what every page this tool writes lets a browser do."""

from __future__ import annotations

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; form-action 'none'; base-uri 'none'"
)
"""Offline by construction: the browser may fetch nothing and send nothing."""

CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'


def with_csp(page: str) -> str:
    """`page` with the policy as the first element of its head."""
    head = page.find("<head>")
    if head < 0:
        raise ValueError("not a full HTML page: no <head>")
    at = head + len("<head>")
    return page[:at] + CSP_META + page[at:]
