"""Following a v2 job by polling its status: adaptive to the reported progress, patient on errors.

The interval follows the predicted end: the rate of progress between the first sample and the
latest change gives the time left, and the next poll comes at half of it (between `fastest` and
`slowest`). The predicted end moves only when progress moves; once it has passed, polls come
every `overdue` seconds. While queued (no rate yet) each wait doubles. When a
webhook is expected, one early poll shows progress and then polling is only a slow safety net
(`webhook_interval`): a 60 s job costs the create and two polls. Errors back off
exponentially; `Retry-After` is honoured; 401 and 404 end the follow at once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from studio.api.job import Job
from studio.errors import (
    AuthError,
    GatewayTimeout,
    GatewayUnreachable,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollPolicy:
    first: float = 2.0  # the first wait while queued (it doubles until progress shows)
    fastest: float = 0.4
    slowest: float = 10.0
    overdue: float = 0.3  # the wait once the predicted end has passed
    land: float = 2.0  # this close to the predicted end, the next poll lands on it
    no_progress_growth: float = 2.0  # without a rate yet (queued), each wait grows by this
    webhook_first: float = 2.0  # with a webhook expected: one early look, so the tray shows progress
    webhook_interval: float = 30.0  # then only a slow safety net
    error_backoff: float = 0.5
    max_error_wait: float = 30.0
    max_failures: int = 8


@dataclass
class _Pace:
    """What the poller knows: the first progress sample and the end it predicts from the rate."""

    policy: PollPolicy
    started: float
    base: tuple[float, float] | None = None  # (time, progress) of the first sample with progress
    last_progress: float | None = None
    predicted_end: float | None = None
    last_delay: float = 0.0

    def next(self, now: float, progress: float | None) -> float:
        p = self.policy
        if progress is not None and progress > 0 and progress != self.last_progress:
            if self.base is None or progress < self.base[1]:
                self.base = (now, progress)
            elif now > self.base[0]:
                rate = (progress - self.base[1]) / (now - self.base[0])
                # The end moves only when progress moves: a job holding at 95 % does not push it on.
                self.predicted_end = now + (1.0 - progress) / rate if rate > 0 else None
            self.last_progress = progress
        if self.predicted_end is None:  # queued, or one sample so far: wait longer each time
            delay = p.first if not self.last_delay else min(p.slowest, self.last_delay * p.no_progress_growth)
        else:
            left = self.predicted_end - now
            if left <= p.fastest:
                delay = p.overdue  # past the predicted end: look often until it ends
            elif left <= p.land:
                delay = max(p.fastest, left * 0.6)  # close: approach the predicted end
            else:
                delay = min(p.slowest, left / 2)
        self.last_delay = delay
        return delay


def poll(
    status: Callable[[str], Job],
    fetch: Callable[[str], Job],
    job_id: str,
    *,
    stop: threading.Event,
    policy: PollPolicy = PollPolicy(),
    webhook: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Job]:
    """Yield the job whenever its status, progress or message changes; end with the full terminal job.

    `status` is the light poll (`/jobs/{id}/status`), `fetch` the full job, read once at the end.
    Setting `stop` ends the generator promptly.
    """
    pace = _Pace(policy, clock())
    seen: tuple[object, ...] | None = None
    failures = 0
    delay = policy.webhook_first if webhook else policy.first * 0.5
    while not stop.wait(delay):
        try:
            job = status(job_id)
            if job.terminal:
                yield fetch(job_id)
                return
        except (AuthError, NotFoundError):
            raise
        except RateLimitError as exc:
            failures += 1
            if failures > policy.max_failures:
                raise
            delay = min(policy.max_error_wait, exc.retry_after or policy.error_backoff * 2**failures)
            continue
        except (GatewayUnreachable, GatewayTimeout, ServerError, ProtocolError) as exc:
            failures += 1
            if failures > policy.max_failures:
                raise
            wait = min(policy.max_error_wait, policy.error_backoff * 2**failures)
            delay = wait * random.uniform(0.8, 1.2)
            log.debug("polling %s: %s; again in %.1fs", job_id, type(exc).__name__, delay)
            continue
        failures = 0
        key = (job.status, job.progress, job.progress_message)
        if key != seen:
            seen = key
            yield job
        delay = policy.webhook_interval if webhook else pace.next(clock(), job.progress)
