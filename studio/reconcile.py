"""v1 has no idempotency key: after an ambiguous create, find the job it may have made in usage.

Never guess and never resend. Times are compared in the gateway's clock (its `Date` header). No
new job since the click → "nothing was charged" (usage proves it). Exactly one → the user is asked
whether it is theirs (another client with the same key may have made it). More → `unknown`, with
the candidates listed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from studio.api import Backend, same_model
from studio.errors import ApiError, InputError, StudioError
from studio.library import Library, Take
from studio.take import TakeStatus


def look_for_job(
    backend: Backend,
    library: Library,
    take: Take,
    sent_at: float,
    exc: StudioError,
    *,
    busy: Callable[[], bool],
    stop: threading.Event,
) -> Take:
    """Record on the take what usage shows about its ambiguous create (`busy`: another create of
    this account is still on the wire, so usage cannot be read yet)."""
    what = f"HTTP {exc.status}: {exc.message}" if isinstance(exc, ApiError) else exc.message
    found: list[tuple[str, float]] | None = None
    looks = 0
    deadline = time.monotonic() + 6.0
    while True:
        if busy():
            found = None
        else:
            found = unclaimed_jobs(backend, library, take.account, take.model, sent_at)
            looks += 1
            if found or looks >= 2:  # usage may lag behind the create: look twice
                break
        if time.monotonic() > deadline or stop.wait(0.75):
            break
    if found == []:
        return library.update(
            take.id,
            status=TakeStatus.FAILED,
            error=(
                f"The gateway failed to start the job ({what}). Your usage shows no new job since "
                "your click, so nothing was charged; it was not sent again."
            ),
        )
    if found is not None and len(found) == 1:
        job_id, after = found[0]
        return library.update(
            take.id,
            status=TakeStatus.UNKNOWN,
            candidates=job_id,
            error=(
                f"The gateway's answer was lost ({what}). varg shows one {take.model} job started "
                f"{max(0.0, after):.0f} s after your click. Is it yours? Keep it to follow and "
                "download it; it was not sent again."
            ),
            completed_at=time.time(),
        )
    listed = ", ".join(job for job, _ in found or [])
    return library.update(
        take.id,
        status=TakeStatus.UNKNOWN,
        candidates=listed or None,
        error=(
            f"The gateway's answer was lost or an error ({what}): the job may have started and "
            "been charged once. It was not sent again; check your usage"
            + (f" (jobs that could be it: {listed})." if listed else ".")
        ),
        completed_at=time.time(),
    )


def unclaimed_jobs(
    backend: Backend, library: Library, account: str, model: str, since: float
) -> list[tuple[str, float]] | None:
    """Jobs of this model created since `since` (studio clock) that no take holds, each with how
    many seconds after `since` it started in the gateway's clock (None: usage can't be read)."""
    start = datetime.fromtimestamp(since - 86400, UTC).date()
    asked = time.time()
    try:
        usage = backend.usage(start, datetime.now(UTC).date() + timedelta(days=2))
    except StudioError:
        return None
    # The gateway's clock may differ from ours: move `since` into it (Date has 1 s steps).
    skew = (usage.server_time - asked) if usage.server_time is not None else 0.0
    since_gw = since + skew
    found = []
    for rec in usage.records:
        if not same_model(rec.model, model):
            continue
        created = _epoch(rec.created_at)
        if created is None or created < since_gw - 2.0:
            continue
        if library.find_job(account, rec.job_id) is None:
            found.append((rec.job_id, created - since_gw))
    return found


def adopt(library: Library, take: Take, job_id: str) -> Take:
    """The user's word that a listed job is this take's: it is followed like any other."""
    if take.status != TakeStatus.UNKNOWN or job_id not in (take.candidates or "").split(", "):
        raise InputError("That job is not one this take can claim.", field="take")
    if library.find_job(take.account, job_id) is not None:
        raise InputError("Another take already holds that job.", field="take")
    adopted = library.transition(
        take.id,
        (TakeStatus.UNKNOWN,),
        job_id=job_id,
        status=TakeStatus.QUEUED,
        candidates=None,
        error=None,
        completed_at=None,
    )
    if adopted is None:
        raise InputError("This take changed meanwhile; look again.", field="take")
    return adopted


def disown(library: Library, take: Take) -> Take:
    if take.status != TakeStatus.UNKNOWN or not take.candidates:
        return take
    done = library.transition(
        take.id,
        (TakeStatus.UNKNOWN,),
        candidates=None,
        error=(
            "You said the job varg showed was not this take's. This take may still have been "
            "charged once; check your usage."
        ),
    )
    return done or take


def _epoch(iso: str) -> float | None:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError):
        return None
