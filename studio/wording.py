"""The studio's wording: a text cut to fit a label, and counted nouns ("1 shot", "3 shots")."""

from __future__ import annotations


def snippet(text: str | None, limit: int = 80) -> str:
    """`text` with its runs of whitespace made single spaces, cut to at most `limit` characters (the last
    one "…" when it was cut)."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    return flat[: max(0, limit - 1)].rstrip() + "…"


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`noun` as `n` of it is said: "take" for 1, else "takes" (or `many` for an irregular plural)."""
    return noun if n == 1 else (many or noun + "s")


def count(n: int, noun: str, many: str | None = None) -> str:
    """ "1 take", "1,204 takes"."""
    return f"{n:,} {plural(n, noun, many)}"
