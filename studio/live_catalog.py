"""The live model catalogue of varg v2: `/tools/video` schemas and `/pricing` read into `Model`s.

Cached with a TTL and refreshed on a background thread: a page never waits for it. Until the first
answer (or when varg cannot be asked) the offline list stands in, marked as such. A model the
gateway answers `model_not_found` or `no_pricing` for is marked unavailable at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any, Protocol, cast

from studio import catalog
from studio.api.request import canonical_model_id
from studio.catalog import Catalog, Model
from studio.errors import StudioError
from studio.take import Mode

log = logging.getLogger(__name__)

DEFAULT_TTL = 300.0
_MODES_BY_MEDIA = {"image": (Mode.TEXT, Mode.IMAGE), "video": (Mode.REMIX,)}


class CatalogSource(Protocol):
    def tool(self, model: str | None = None) -> Mapping[str, Any]: ...
    def pricing(self) -> Mapping[str, Any]: ...


def _ints(values: Any) -> tuple[int, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(int(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool) and v > 0)


def _strs(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values if isinstance(v, str)) if isinstance(values, list) else ()


def model_from_schema(model_id: str, schema: Mapping[str, Any], price: Mapping[str, Any] | None) -> Model:
    """One model from its JSON Schema (standard keywords only) and its pricing row."""
    # Each `x.get(k) if isinstance(x.get(k), T) else default` below is a T; the casts say so to mypy.
    props = (
        cast(Mapping[str, Any], schema.get("properties"))
        if isinstance(schema.get("properties"), Mapping)
        else {}
    )
    required = set(_strs(schema.get("required")))
    known = catalog.offline().find(model_id)

    files = props.get("files") if isinstance(props.get("files"), Mapping) else None
    media = "image"
    if files is not None:
        items = files.get("items") if isinstance(files.get("items"), Mapping) else {}
        url = (items.get("properties") or {}).get("url") if isinstance(items, Mapping) else None
        kind = url.get("contentMediaType", "") if isinstance(url, Mapping) else ""
        media = "video" if str(kind).startswith("video") or "files" in required else "image"
    if files is None:
        modes: tuple[str, ...] = (Mode.TEXT,)
    else:
        modes = _MODES_BY_MEDIA[media]

    duration = props.get("duration") if isinstance(props.get("duration"), Mapping) else None
    durations: tuple[int, ...] = ()
    rng: tuple[int, int] | None = None
    default_duration: int | None = None
    if duration is not None:
        durations = _ints(duration.get("enum"))
        lo, hi = duration.get("minimum"), duration.get("maximum")
        if (
            not durations
            and isinstance(lo, int | float)
            and isinstance(hi, int | float)
            and 0 < lo <= hi <= 600
        ):
            rng = (int(lo), int(hi))
            durations = tuple(range(int(lo), int(hi) + 1))
        d = duration.get("default")
        default_duration = int(d) if isinstance(d, int | float) and not isinstance(d, bool) else None
        if durations and default_duration not in durations:
            default_duration = durations[0]
    ratio = (
        cast(Mapping[str, Any], props.get("aspect_ratio"))
        if isinstance(props.get("aspect_ratio"), Mapping)
        else {}
    )
    ratios = _strs(ratio.get("enum"))
    # "auto" (the input image's own ratio) only means something when there is an image.
    image_ratios = ratios if "auto" in ratios else ()
    ratios = tuple(r for r in ratios if r != "auto")
    prompt = cast(Mapping[str, Any], props.get("prompt")) if isinstance(props.get("prompt"), Mapping) else {}
    max_prompt = prompt.get("maxLength")
    audio = props.get("audio") if isinstance(props.get("audio"), Mapping) else None
    unit = (price or {}).get("unit_price_cents")
    label = schema.get("title") if isinstance(schema.get("title"), str) else None
    max_source = schema.get("x-max-source-seconds")
    resolution = schema.get("x-resolution")
    return Model(
        id=canonical_model_id(model_id),
        label=label or (known.label if known else model_id.replace("_", " ").title()),
        family=known.family if known else model_id.split("_", 1)[0],
        tier=known.tier if known else ("pro" if "pro" in model_id else "standard"),
        modes=modes,
        durations=durations,
        default_duration=default_duration,
        aspect_ratios=ratios,
        image_aspect_ratios=image_ratios,
        credits=int((price or {}).get("default_cost_cents") or (known.credits if known else 0)),
        notes=str(schema.get("description") or (known.notes if known else ""))[:400],
        inherits_source=media == "video" and duration is None,
        max_source_seconds=int(max_source)
        if isinstance(max_source, int)
        else (known.max_source_seconds if known else None),
        resolution=str(resolution)
        if isinstance(resolution, str)
        else (known.resolution if known else "720p"),
        audio=audio is not None and "native" in _strs(audio.get("enum")),
        seed="seed" in props,
        end_frame="end_image_url" in props,
        duration_range=rng,
        price_per_second=float(unit)
        if isinstance(unit, int | float) and not isinstance(unit, bool)
        else None,
        max_prompt_chars=int(max_prompt) if isinstance(max_prompt, int) and max_prompt > 0 else 2000,
        available=price is not None,
        unavailable_reason="" if price is not None else "varg has no price for it right now",
    )


def read_catalog(source: CatalogSource) -> Catalog:
    """Ask `/pricing` and `/tools/video` (then each model's schema) and build the catalogue."""
    pricing = source.pricing()
    rows = cast(list[Any], pricing.get("data")) if isinstance(pricing.get("data"), list) else []
    prices = {
        canonical_model_id(r["model"]): r
        for r in rows
        if isinstance(r, Mapping) and isinstance(r.get("model"), str)
    }
    tool = source.tool()
    ids = [canonical_model_id(m) for m in _strs(tool.get("models"))]
    models = []
    for model_id in ids:
        try:
            answer = source.tool(model_id)
        except StudioError as exc:
            log.info("no schema for %s: %s", model_id, type(exc).__name__)
            continue
        schema = answer.get("input_schema")
        if isinstance(schema, Mapping):
            models.append(model_from_schema(model_id, schema, prices.get(model_id)))
    return Catalog(models, live=True, note="live from varg")


class LiveCatalog:
    """The latest catalogue of one gateway; `current()` never blocks, refreshes in the background."""

    def __init__(self, source: CatalogSource, *, ttl: float = DEFAULT_TTL, retry_after: float = 15.0) -> None:
        self._source = source
        self.ttl = ttl
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._fetched = 0.0
        self._failed = 0.0
        self._future: Future[Catalog] | None = None
        self._gone: dict[str, str] = {}
        self._closed = False

    def current(self) -> Catalog:
        """The live catalogue if known (refreshing it when stale), else the offline list."""
        now = time.monotonic()
        with self._lock:
            stale = self._catalog is None or now - self._fetched > self.ttl
            may_ask = now - self._failed > self.retry_after
            if stale and may_ask and not self._closed and (self._future is None or self._future.done()):
                # A daemon thread: a fetch still retrying a dead gateway never holds up the exit.
                future: Future[Catalog] = Future()
                self._future = future
                threading.Thread(target=self._run, args=(future,), name="catalog", daemon=True).start()
            found = self._catalog if self._catalog is not None else catalog.offline()
            for model_id, reason in self._gone.items():
                found = found.without(model_id, reason)
            return found

    def wait(self, timeout: float = 10.0) -> Catalog:
        """The catalogue after the refresh in flight (or a new one) ends: for tests and start-up."""
        self.current()
        with self._lock:
            future = self._future
        if future is not None:
            try:
                future.result(timeout=timeout)
            except Exception:  # the failure is remembered; the offline list stands in
                pass
        return self.current()

    def mark_unavailable(self, model_id: str, reason: str) -> None:
        """The gateway refused this model (gone, no price): stop offering it until the next refresh."""
        with self._lock:
            self._gone[canonical_model_id(model_id)] = reason

    def invalidate(self) -> None:
        with self._lock:
            self._fetched = 0.0
            self._failed = 0.0

    def _run(self, future: Future[Catalog]) -> None:
        try:
            future.set_result(self._fetch())
        except BaseException as exc:  # handed to whoever waits; remembered as a failure
            future.set_exception(exc)

    def _fetch(self) -> Catalog:
        try:
            fresh = read_catalog(self._source)
        except StudioError as exc:
            log.info("live catalogue unavailable: %s", type(exc).__name__)
            with self._lock:
                self._failed = time.monotonic()
            raise
        with self._lock:
            self._catalog = fresh
            self._fetched = time.monotonic()
            self._gone.clear()
        return fresh

    def close(self) -> None:
        with self._lock:
            self._closed = True


class StaticCatalog:
    """The v1 catalogue: fixed, per-job prices."""

    def __init__(self, fixed: Catalog) -> None:
        self._catalog = fixed
        self._gone: dict[str, str] = {}

    def current(self) -> Catalog:
        found = self._catalog
        for model_id, reason in self._gone.items():
            found = found.without(model_id, reason)
        return found

    def wait(self, timeout: float = 0.0) -> Catalog:
        return self.current()

    def mark_unavailable(self, model_id: str, reason: str) -> None:
        self._gone[canonical_model_id(model_id)] = reason

    def invalidate(self) -> None:
        self._gone.clear()

    def close(self) -> None:
        pass
