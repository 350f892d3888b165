"""Job lifecycle: status and progress derived from timestamps, settling money at the end, a bounded render pool."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demo_gateway import render
from demo_gateway.catalog import find_model
from demo_gateway.store import Job, Store

log = logging.getLogger(__name__)

TERMINAL = frozenset({"completed", "failed", "cancelled"})
PROCESSING_AT = 0.15  # share of job_seconds after which a queued job shows `processing`
RESUME_MIN_SECONDS = 0.5  # a job resumed after a restart completes no sooner than this
FAIL_MESSAGE = "The provider rejected the request (content policy)."
RENDER_FAIL_MESSAGE = "The local renderer could not make this video."


@dataclass(frozen=True)
class Phase:
    """What a job looks like at one moment."""

    status: str  # queued | processing | completed | failed | cancelled
    progress: float
    message: str


def terminal_at(job: Job) -> float | None:
    """When an active job ends (the later of its due time and its render), or None while rendering."""
    if job.render_done is None:
        return None
    return max(job.due, job.render_done)


def phase(job: Job, now: float) -> Phase:
    """The job's status at `now`, from its timestamps alone."""
    if job.status in TERMINAL:
        return Phase(job.status, 1.0, "done" if job.status == "completed" else job.status)
    end = terminal_at(job)
    if end is not None and now >= end:
        return Phase("failed" if job.render_error else "completed", 1.0, "done")
    span = max(job.due - job.started, 1e-6)
    share = (now - job.started) / span
    if share < PROCESSING_AT:
        return Phase("queued", 0.0, "queued")
    if now >= job.due:  # time is up, the render is not
        return Phase("processing", 0.95, "encoding")
    return Phase("processing", round(min(0.95, max(0.0, share)), 3), "rendering")


class JobBoard:
    """Settles jobs whose time has come and renders them on a bounded pool of worker threads."""

    def __init__(
        self,
        store: Store,
        outputs_dir: Path,
        *,
        workers: int,
        initial_balance: int,
        on_terminal: Callable[[Job], None],
    ) -> None:
        self.store = store
        self.outputs_dir = outputs_dir
        self.workers = max(1, int(workers))
        self.initial_balance = initial_balance
        self.on_terminal = on_terminal
        self._cancelled: set[str] = set()
        self._stopping = threading.Event()
        self._executor: ThreadPoolExecutor | None = None
        self.changed = threading.Condition()  # notified when a job changes (streams, webhooks)

    # --- lifecycle -----------------------------------------------------------------------------
    def open(self, job_seconds: float) -> None:
        self._stopping.clear()
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="gateway-render")
        now = time.time()
        for job in self.store.jobs(active=True):
            job.due = max(job.due, now + min(RESUME_MIN_SECONDS, job_seconds))
            if job.render_done is None:
                if "[fail]" in job.prompt.lower():
                    job.render_done, job.render_error = now, FAIL_MESSAGE
                elif self.output_path(job.job_id).is_file():
                    job.render_done = now
            self.store.put_job(job)
            if job.render_done is None:
                self.submit(job)

    def close(self) -> None:
        self._stopping.set()
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        self.notify()

    def notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def output_path(self, job_id: str) -> Path:
        return self.outputs_dir / f"{job_id}.mp4"

    # --- settling --------------------------------------------------------------------------------
    def settle(self, job: Job, now: float | None = None) -> Job:
        """Make a job's money and stored status match its derived status (idempotent)."""
        if job.status in TERMINAL:
            return job
        now = time.time() if now is None else now
        end = terminal_at(job)
        if end is None or now < end:
            return job
        with self.store.tx():
            fresh = self.store.job(job.job_id)
            if fresh is None or fresh.status in TERMINAL:
                return fresh or job
            job = fresh
            end = terminal_at(job)
            if end is None or now < end:
                return job
            job.completed = end
            if job.render_error:
                job.status, job.error = "failed", job.render_error
                job.error_code = job.error_code or "provider_error"
                if job.api == "v1" and job.cost:
                    self.store.add_balance(job.account, job.cost, self.initial_balance)
                job.cost = 0
            else:
                job.status = "completed"
                job.output_job = job.output_job or job.job_id
                if job.api == "v2":
                    job.cost = job.estimate
                    self.store.add_balance(job.account, -job.cost, self.initial_balance)
            self.store.put_job(job)
        self._ended(job)
        return job

    def settle_all(self, account: str | None = None, now: float | None = None) -> float | None:
        """Settle every active job (of one account) whose time has come; the next end time, if known."""
        now = time.time() if now is None else now
        upcoming: list[float] = []
        for job in self.store.jobs(account=account, active=True):
            job = self.settle(job, now)
            end = terminal_at(job) if job.status == "active" else None
            if end is not None:
                upcoming.append(end)
        return min(upcoming) if upcoming else None

    def _ended(self, job: Job) -> None:
        self.notify()
        try:
            self.on_terminal(job)
        except Exception:
            log.exception("could not queue the webhook of %s", job.job_id)

    def cancel(self, job: Job) -> tuple[Job, bool]:
        """Cancel an active job: refund (v1) or release (v2). Returns (job, whether it changed)."""
        job = self.settle(job)
        with self.store.tx():
            fresh = self.store.job(job.job_id) or job
            if fresh.status in TERMINAL:
                return fresh, False
            job = fresh
            self._cancelled.add(job.job_id)
            job.status, job.completed = "cancelled", time.time()
            if job.api == "v1" and job.cost:
                self.store.add_balance(job.account, job.cost, self.initial_balance)
            job.cost = 0
            self.store.put_job(job)
        self.output_path(job.job_id).unlink(missing_ok=True)
        self._ended(job)
        return job, True

    def retry(self, job: Job, job_seconds: float, *, fail: bool) -> Job:
        """Put a failed job back in the queue (the same id, a new attempt and reservation)."""
        now = time.time()
        job.status, job.completed, job.error, job.error_code = "active", None, None, None
        job.render_done, job.render_error = None, None
        job.started, job.due, job.attempt, job.cost = now, now + job_seconds, job.attempt + 1, 0
        if fail:
            job.render_done, job.render_error = now, FAIL_MESSAGE
        self.store.put_job(job)
        if not fail:
            self.submit(job)
        self.notify()
        return job

    # --- rendering -------------------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        executor = self._executor
        try:
            if executor is None:
                raise RuntimeError("stopped")
            executor.submit(self._render, job.job_id, job.attempt)
        except RuntimeError:  # shutting down: the job is resumed by the next open()
            pass

    def _render(self, job_id: str, attempt: int) -> None:
        try:
            self._render_once(job_id, attempt)
        except sqlite3.ProgrammingError:  # the store closed under us: stopped mid-render
            pass
        except Exception:
            log.exception("render bookkeeping failed for %s", job_id)

    def _render_once(self, job_id: str, attempt: int) -> None:
        job = self.store.job(job_id)
        if job is None or job.status != "active" or job.attempt != attempt or self._stopping.is_set():
            return
        out = self.output_path(job_id)
        error: str | None = None
        result: Any = None

        def stop() -> bool:
            return self._stopping.is_set() or job_id in self._cancelled

        try:
            with render.cancel_scope(stop):
                result = self._draw(job, out)
            if not out.is_file():
                raise RuntimeError("the renderer wrote no file")
        except render.RenderCancelled:
            return
        except Exception:
            log.exception("render failed for job %s", job_id)
            error = RENDER_FAIL_MESSAGE
        if self._stopping.is_set():
            return
        with self.store.tx():
            job = self.store.job(job_id)
            if job is None or job.status != "active" or job.attempt != attempt:
                if job is not None and job.status == "cancelled":
                    out.unlink(missing_ok=True)
                return
            job.render_done, job.render_error = time.time(), error
            if error is None:
                with contextlib.suppress(OSError):
                    job.output_size = out.stat().st_size
                job.output_seconds = getattr(result, "duration", None) or job.duration
            self.store.put_job(job)
        self.settle(job)
        self.notify()

    def _draw(self, job: Job, out: Path) -> Any:
        model = find_model(job.model)
        extra: dict[str, Any] = {}
        if job.seed is not None:
            extra["seed"] = job.seed
        source = self.outputs_dir.parent / job.source if job.source else None
        if job.mode == "remix":
            assert source is not None
            max_seconds = model.max_source_seconds if model else None
            return render.render_remix(source, job.prompt, out, max_seconds=max_seconds, **extra)
        if model is not None and model.resolution == "1080p":
            extra["resolution"] = "1080p"
        if model is not None and model.audio:
            extra["audio"] = True  # a model with native audio: its takes carry a (quiet, ambient) track
        duration = float(job.duration or 1)
        if job.mode == "image-to-video":
            assert source is not None
            return render.render_image_to_video(source, job.prompt, duration, job.aspect_ratio, out, **extra)
        return render.render_text_to_video(job.prompt, duration, job.aspect_ratio, out, **extra)
