"""A snippet: a text on one line, cut with an ellipsis to fit a label."""

from __future__ import annotations


def snippet(text: str | None, limit: int = 80) -> str:
    """`text` with its runs of whitespace made single spaces, cut to at most `limit` characters (the last
    one "…" when it was cut)."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    return flat[: max(0, limit - 1)].rstrip() + "…"
