"""The estimate line: the exact price of this form's request, and why it would be refused."""

from __future__ import annotations

import streamlit as st

from components.style import esc
from studio.catalog import Estimate
from studio.errors import StudioError
from studio.people import Allowance
from studio.submission import Prepared, pricing_sketch

QUOTE_WAIT = 1.0  # the longest one run waits for the gateway's exact price


def refusal(est: Estimate, balance: int | None, allowed: Allowance | None) -> str | None:
    """Why this would be refused before any call, or None (`allowed`: the tighter budget, if any)."""
    if balance is not None and est.total > balance:
        return (
            f"Not enough credits: this needs {est.total:,} and {balance:,} are available. "
            "Lower the variants or pick a cheaper model."
        )
    if allowed is not None and (why := allowed.refusal(est.total)):
        return f"Over {allowed.label}. {why}" + (
            " Raise the budget in the sidebar to go on." if allowed.label == "this session's budget" else ""
        )
    return None


def quote(studio, settings, mode: str, prompt: str, *, source_seconds: float | None = None) -> Estimate:
    """The exact price of this form's request from the gateway (or the catalogue's, "approx.").

    The create body is priced without the input file (the price does not depend on it), so no
    upload or image work happens for an estimate. `settings`: a `form_fields.Settings`.
    """
    sketch = pricing_sketch(
        settings.request(mode, prompt),
        settings.model,
        settings.duration,
        settings.aspect_ratio,
        source_seconds=source_seconds,
    )
    if not settings.model.available:
        return sketch.estimate
    return price_of(studio, sketch)


def price_of(studio, prepared: Prepared) -> Estimate:
    try:
        est = studio.quote(prepared, wait=QUOTE_WAIT)
    except StudioError:
        return prepared.estimate
    now = studio.catalog.current().find(prepared.model.id)
    if prepared.model.available and now is not None and not now.available:
        st.rerun()  # pricing just found the model gone: draw the form again without it
    return est


def estimate_line(est: Estimate, balance: int | None, allowed: Allowance | None) -> None:
    """`Estimate · 2 × 210 = 420 credits · available 5,000 → 4,580 after`, drawn above Generate."""
    line = est.text(balance)
    if balance is None:
        line += " · balance unavailable"
    over = refusal(est, balance, allowed) is not None
    extra = ""
    if allowed is not None:
        extra = f'<div class="vs-meta">{esc(budget_left_text(allowed))}</div>'
    label = "Price from varg" if est.exact else "Estimate"
    st.html(
        f'<div class="vs-estimate"><span class="lbl">{label}</span>'
        f'<span class="{"over" if over else ""}">{esc(line)}</span></div>{extra}'
    )


def budget_left_text(allowed: Allowance, spend: int | None = None) -> str:
    """`Your daily budget left: 800 credits` (and `→ 380 after` when `spend` is given)."""
    text = f"{allowed.label[0].upper()}{allowed.label[1:]} left: {max(allowed.left, 0):,}"
    if spend is not None:
        text += f" → {allowed.left - spend:,}"
    return text + " credits" + (" after" if spend is not None else "")
