"""Verdicts on takes: reason tags as data, and the prompt hints a rejected take offers the next try."""

from __future__ import annotations

from studio.take import VERDICT_REASONS, Take, Verdict

# What to write next time, per reason a take was rejected for.
REASON_HINTS: dict[str, str] = {
    "motion": "Ask for slower, steadier motion: 'slow, smooth camera move', one action at a time.",
    "identity": "Describe the subject precisely and keep it the same all through: name its colours, "
    "clothes and shape, and avoid fast turns.",
    "text": "Leave out written words and signs, or keep them to one short word: 'no text, no lettering'.",
    "off_prompt": "Lead with the subject and the one thing it does; cut extra ideas the model may chase.",
    "framing": "Say where the subject sits: 'centred, full body in frame, medium shot', or pick a "
    "static camera.",
    "style": "Name the look in a few concrete words: medium, era, palette ('35 mm film, muted teal "
    "and orange').",
}


def parse_reasons(text: str | None) -> tuple[str, ...]:
    """The known reason tags in a stored comma-separated list, in order, without repeats."""
    tags = (part.strip() for part in (text or "").split(","))
    return tuple(dict.fromkeys(t for t in tags if t in VERDICT_REASONS))


def label(tag: str) -> str:
    """A reason tag's short label ("Motion"), from VERDICT_REASONS ("Motion: jittery, ...")."""
    return VERDICT_REASONS.get(tag, tag).split(":", 1)[0]


def hints(take: Take) -> list[str]:
    """For a rejected take: each reason's label and hint, then the user's note; [] otherwise."""
    if take.verdict != Verdict.REJECT.value:
        return []
    out = [f"{label(tag)}: {REASON_HINTS[tag]}" for tag in parse_reasons(take.verdict_reasons)]
    note = " ".join((take.verdict_note or "").split())
    if note:
        out.append(f"Your note: {note}")
    return out
