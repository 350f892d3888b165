"""A word-level diff of two prompts: what an edge of the idea tree changed in the text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from studio.wording import snippet


class Op(StrEnum):
    """What happened to a run of words between two prompts."""

    SAME = "same"
    ADD = "add"
    DEL = "del"


@dataclass(frozen=True)
class Segment:
    """A run of words (single spaces, punctuation kept on its word) that shares one op."""

    op: Op
    text: str


def diff_words(before: str, after: str) -> list[Segment]:
    """`after` against `before`, word by word: kept, added and removed runs in reading order.

    A replaced run is its removed words, then its added ones. Identical prompts give one SAME
    segment (none when both are empty).
    """
    old, new = (before or "").split(), (after or "").split()
    runs: list[tuple[Op, list[str]]] = []

    def put(op: Op, words: list[str]) -> None:
        if not words:
            return
        if runs and runs[-1][0] is op:
            runs[-1][1].extend(words)
        else:
            runs.append((op, list(words)))

    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            put(Op.SAME, old[i1:i2])
        else:
            put(Op.DEL, old[i1:i2])
            put(Op.ADD, new[j1:j2])
    return [Segment(op, " ".join(words)) for op, words in runs]


def changed(segments: Iterable[Segment]) -> bool:
    """Whether any word was added or removed."""
    return any(s.op is not Op.SAME for s in segments)


def summary(segments: Iterable[Segment], limit: int = 80) -> str:
    """`+golden hour −dusk`: the added runs in order, then the removed ones; "" when unchanged."""
    segs = list(segments)
    parts = [f"+{s.text}" for s in segs if s.op is Op.ADD] + [f"−{s.text}" for s in segs if s.op is Op.DEL]
    return snippet(" ".join(parts), limit)
