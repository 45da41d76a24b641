"""Self-contained HTML pages: pictures embedded as base64 data URIs, no scripts, no network."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222;
       max-width: 1280px; margin: 24px auto; padding: 0 20px; background: #fff; }
h1 { font-size: 1.5em; margin-bottom: 4px; } h2 { font-size: 1.15em; margin-top: 32px;
     border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #666; margin-top: 0; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
img.pixels { image-rendering: pixelated; }
figure { display: inline-block; margin: 8px 16px 8px 0; vertical-align: top; }
figcaption { color: #555; font-size: 0.9em; text-align: center; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 4px 12px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f6f6f6; }
pre { background: #f7f7f7; padding: 12px; overflow-x: auto; font-size: 0.85em; }
.note { color: #8a6d3b; background: #fcf8e3; padding: 6px 10px; }
"""


def escape(value: Any) -> str:
    return html.escape(str(value))


def data_uri(path: Path) -> str:
    mime = MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def image(path: Path, caption: str = "", pixels: bool = False, width: int | None = None) -> str:
    """A figure embedding the file at ``path``; ``pixels`` keeps small images sharp when
    the browser enlarges them."""
    attributes = ' class="pixels"' if pixels else ""
    if width:
        attributes += f' style="width:{width}px"'
    img = f'<img src="{data_uri(path)}" alt="{escape(caption or path.name)}"{attributes}>'
    figcaption = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f"<figure>{img}{figcaption}</figure>"


def number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return escape(value)
    if isinstance(value, int) or (math.isfinite(value) and value == int(value) and
                                  abs(value) >= 1000):
        return f"{int(value):,}"
    return f"{value:.4g}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{number(cell)}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(title: str, *parts: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def preformatted(text: str) -> str:
    return f"<pre>{escape(text)}</pre>"


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def page(title: str, subtitle: str, sections: Sequence[str]) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f'<h1>{escape(title)}</h1><p class="sub">{escape(subtitle)}</p>'
            f"{''.join(sections)}</body></html>\n")
