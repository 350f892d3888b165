"""Money as the gateway reports it: balance (available and reserved), usage, and a priced request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.api.job import mapping, need_str, number, opt_cents, opt_str
from studio.errors import ProtocolError


@dataclass(frozen=True)
class Balance:
    """Credits (1 credit = 1 cent). `available` is what a new job may reserve."""

    available: int
    reserved: int = 0
    currency: str = "usd"

    @property
    def credits(self) -> int:  # v1 name, kept for callers that predate v2
        return self.available

    @property
    def total(self) -> int:
        return self.available + self.reserved


@dataclass(frozen=True)
class UsageRecord:
    job_id: str
    model: str
    capability: str
    cost: int  # credits (cents)
    cache_hit: bool
    created_at: str

    @classmethod
    def from_dict(cls, d: Any) -> UsageRecord:
        d = mapping(d, "usage record")
        what = "usage record"
        cached = d.get("cache_hit", d.get("cached", False))
        cost = d.get("cost_cents", 0)
        return cls(
            job_id=need_str(d, "job_id", what),
            model=opt_str(d, "model", what) or "",
            capability=opt_str(d, "capability", what) or "video",
            cost=number({"c": cost}, "c", what),
            cache_hit=cached if isinstance(cached, bool) else False,
            created_at=opt_str(d, "created_at", what) or "",
        )


@dataclass(frozen=True)
class Usage:
    records: tuple[UsageRecord, ...]
    total: int  # credits (cents)
    server_time: float | None = None  # the gateway's clock when it answered (its Date header)


@dataclass(frozen=True)
class Quote:
    """The gateway's price for one exact request (v2 `POST /estimate`)."""

    cents: int
    cached: bool = False
    unit_price_cents: float | None = None
    billed_units: float | None = None
    duration: int | None = None  # the duration the gateway will render (after snapping)
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_v2(cls, d: Any) -> Quote:
        d = mapping(d, "estimate")
        cents = opt_cents(d, "estimated_cost_cents")
        if cents is None:
            raise ProtocolError("The gateway sent an estimate without a numeric 'estimated_cost_cents'.")
        pricing = d.get("pricing") if isinstance(d.get("pricing"), dict) else {}
        inp = d.get("input") if isinstance(d.get("input"), dict) else {}
        duration = inp.get("duration")
        try:
            duration = int(duration) if duration is not None and not isinstance(duration, bool) else None
        except (TypeError, ValueError):
            duration = None
        unit = pricing.get("unit_price_cents")
        units = pricing.get("billed_units")
        warnings = d.get("warnings") if isinstance(d.get("warnings"), list) else []
        return cls(
            cents=cents,
            cached=pricing.get("cached") is True,
            unit_price_cents=float(unit)
            if isinstance(unit, int | float) and not isinstance(unit, bool)
            else None,
            billed_units=float(units)
            if isinstance(units, int | float) and not isinstance(units, bool)
            else None,
            duration=duration,
            warnings=tuple(str(w)[:300] for w in warnings[:5]),
        )

