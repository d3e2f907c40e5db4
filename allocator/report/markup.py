"""The page's building blocks: escaping, numbers, tables, style and security policy."""

from __future__ import annotations

import html


def e(value: object) -> str:
    """HTML-escape any value for text or attribute context."""
    return html.escape(str(value), quote=True)


def label_text(value: str) -> str:
    """A chart label: plotly.js parses pseudo-HTML, so escape it (it decodes entities)."""
    return html.escape(value, quote=False)


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 2px}h3{font-size:15px;margin:14px 0 0}
h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.sub,.caption{color:#57606a;margin:2px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:120px}
.card .k{color:#57606a;font-size:12px}.card .v{font-size:20px;font-weight:600}
.good{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}
.banner{border:1px solid #d4a72c;background:#fff8c5;border-radius:6px;padding:8px 12px}
.banner.bad{border-color:#cf222e;background:#ffebe9}
table{border-collapse:collapse;margin:6px 0 12px}
th,td{border-bottom:1px solid #eaeef2;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.tag{display:inline-block;border-radius:10px;padding:0 8px;background:#ddf4ff;font-size:12px}
"""


def num(value: float | None, spec: str = ",.2f") -> str:
    return "-" if value is None else format(value, spec)


TableRow = tuple[dict[str, str], list[str]]
"""A table row: attributes of its <tr>, then its cells (plain text)."""


def table(
    table_id: str, headers: list[str], rows: list[TableRow], numeric: set[int] | None = None
) -> str:
    """A table; cells are plain text (escaped here), row attributes likewise."""
    numeric = numeric or set()
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = []
    for attrs, cells in rows:
        attr = "".join(f' {k}="{e(v)}"' for k, v in attrs.items())
        tds = "".join(
            f'<td class="n">{e(c)}</td>' if i in numeric else f"<td>{e(c)}</td>"
            for i, c in enumerate(cells)
        )
        body.append(f"<tr{attr}>{tds}</tr>")
    return (
        f'<table id="{e(table_id)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )
