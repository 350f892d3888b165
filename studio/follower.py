"""The background work on one take: create its job once, follow it, download and save the video.

`Follower` is mixed into `JobManager` (studio/jobs.py), which schedules takes and holds the state
these steps share: the backend, the library, the lease keeper, the in-flight sets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from studio import media, reconcile
from studio.api import Backend, Job, JobStatus, VideoRequest
from studio.errors import (
    ApiError,
    AuthError,
    CreateOutcomeUnknown,
    GatewayTimeout,
    GatewayUnreachable,
    InputError,
    InsufficientBalanceError,
    NotFoundError,
    ProviderError,
    RateLimitError,
    ServerError,
    StudioError,
    ValidationError,
    model_unavailable,
)
from studio.library import Library, StorageError, Take, storage_error_from_os
from studio.submission import unavailable_message
from studio.take import Mode, TakeStatus

if TYPE_CHECKING:
    from studio.leases import LeaseKeeper
    from studio.live_catalog import LiveCatalog, StaticCatalog

log = logging.getLogger("studio.jobs")  # one log for the job manager and its followers

IMAGE_MEDIA_TYPE = "image/jpeg"
PROGRESS_STEP = 0.02  # progress is written to the library when it moves at least this much
BEFORE_DOWNLOAD = (TakeStatus.PENDING, TakeStatus.SUBMITTING, TakeStatus.QUEUED, TakeStatus.PROCESSING)


class Follower:
    """Create, follow and download one take at a time (the job manager runs one per worker)."""

    if TYPE_CHECKING:  # what the job manager supplies
        backend: Backend
        library: Library
        leases: LeaseKeeper
        catalog: LiveCatalog | StaticCatalog
        webhook_url: str | None
        poll_interval: float
        download_attempts: int
        retry_backoff: float
        follow_mode: str
        _lock: threading.Lock
        _stop: threading.Event
        _creating: set[str]
        _wake: dict[str, threading.Event]
        _delivered: dict[str, Job]
        _lost: set[str]

        def _cancelled(self, take_id: str) -> bool: ...

    def _create(self, take: Take) -> Take | None:
        if self._cancelled(take.id) and take.status == TakeStatus.PENDING:
            return self.library.update(take.id, status=TakeStatus.CANCELLED, completed_at=time.time())
        files: tuple[str, ...] = ()
        end_url = None
        try:
            if take.source_file:
                files = (self._upload(take),)
            if take.end_file:
                end_url = self._upload(take, take.end_file)
        except StudioError as exc:
            return self.library.update(
                take.id,
                status=TakeStatus.FAILED,
                error=f"Upload failed, nothing was charged: {user_message(exc)}",
            )
        if not self.leases.holds(take.id):
            return None  # taken over while uploading: the new holder sends it (with the same key)
        # Persist "submitting" BEFORE the create leaves, so a crash here is visible on restart.
        take = self.library.update(take.id, status=TakeStatus.SUBMITTING)
        req = VideoRequest(
            model=take.model,
            prompt=take.prompt,
            duration=int(take.duration) if take.duration is not None and take.mode != Mode.REMIX else None,
            aspect_ratio=take.aspect_ratio,
            files=files,
            seed=take.seed,
            audio=take.audio,
            end_image_url=end_url,
            webhook_url=self.webhook_url,
        )
        sent_at = time.time()
        with self._lock:
            self._creating.add(take.id)
        try:
            try:
                job = self.backend.create(req, idempotency_key=take.idempotency_key)
            except GatewayUnreachable:
                return self.library.update(
                    take.id,
                    status=TakeStatus.FAILED,
                    error="Could not reach the gateway: nothing was sent or charged. Try again when it is back.",
                )
            except CreateOutcomeUnknown as exc:
                if self.backend.idempotent:
                    # v2: the key makes a resend safe. Stay `submitting`; resume or Retry sends it again.
                    return self.library.update(take.id, error=exc.message)
                with self._lock:
                    self._creating.discard(take.id)
                return self._reconcile(take, sent_at, exc)
            except (ServerError, ProviderError) as exc:
                if model_unavailable(exc):
                    return self._model_gone(take, exc)
                with self._lock:
                    self._creating.discard(take.id)
                return self._reconcile(take, sent_at, exc)
            except StudioError as exc:
                if model_unavailable(exc):
                    return self._model_gone(take, exc)
                return self.library.update(take.id, status=TakeStatus.FAILED, error=user_message(exc))
            # Recorded before it leaves the in-flight set, so no other take can mistake this job.
            recorded = self._persist_job(take, job)
            if recorded is None:
                return None  # stopping; the job id could not be saved: resume finds the job again
            take = recorded
        finally:
            with self._lock:
                self._creating.discard(take.id)
        if self._cancelled(take.id):
            try:
                self.backend.cancel(job.job_id)
            except StudioError:
                log.warning("cancel after create failed for take %s", take.id)
        if job.terminal:
            self._finish(take, job)
            return self.library.get(take.id)
        return take

    def _persist_job(self, take: Take, job: Job) -> Take | None:
        """Save a paid job's id on its take, retrying while the disk is full or the library busy.

        The job exists and is charged: losing its id would lose the video. On v2 a restart would
        find it again through the take's idempotency key; on v1 only through usage.
        """
        wait = 0.5
        while True:
            try:
                return self.library.update(
                    take.id,
                    job_id=job.job_id,
                    status=open_status(job),
                    cache_hit=job.cache_hit,
                    progress=job.progress,
                    progress_message=job.progress_message,
                    error=None,
                )
            except StorageError as exc:
                log.warning(
                    "take %s: job %s is paid but not saved yet (%s)", take.id, job.job_id, exc.message
                )
                if self._stop.wait(wait):
                    return None
                wait = min(wait * 2, 10.0)

    def _model_gone(self, take: Take, exc: StudioError) -> Take:
        """The gateway said the model is gone or unpriced: nothing was made or charged."""
        reason = (
            "varg has no price for it right now"
            if getattr(exc, "code", "") == "no_pricing"
            else "varg does not list it now"
        )
        self.catalog.mark_unavailable(take.model, reason)
        cat = self.catalog.current()
        model = cat.find(take.model)
        text = unavailable_message(cat, model, take.mode) if model else exc.message
        return self.library.update(take.id, status=TakeStatus.FAILED, error=f"{text} Nothing was charged.")

    def _reconcile(self, take: Take, sent_at: float, exc: StudioError) -> Take:
        return reconcile.look_for_job(
            self.backend,
            self.library,
            take,
            sent_at,
            exc,
            busy=lambda: self._others_submitting(take.id),
            stop=self._stop,
        )

    def _others_submitting(self, take_id: str) -> bool:
        with self._lock:
            return bool(self._creating - {take_id})

    def _upload(self, take: Take, rel: str | None = None) -> str:
        path = self.library.path(rel or take.source_file or "")
        data = path.read_bytes()
        media_type = IMAGE_MEDIA_TYPE if take.mode == Mode.IMAGE else "video/mp4"
        return self.backend.upload(data, media_type).url

    def _follow(self, take: Take) -> None:
        assert take.job_id
        attempt = 0
        wake = threading.Event()
        with self._lock:
            self._wake[take.id] = wake
            if self._stop.is_set():
                wake.set()
        while not self._stop.is_set() and not self._was_lost(take.id):
            try:
                delivered = self._take_delivered(take.job_id)
                if delivered is not None:
                    self._finish(take, delivered)
                    return
                if take.status == TakeStatus.DOWNLOADING:
                    self._finish(take, self.backend.get_job(take.job_id))
                    return
                for job in self._updates(take.job_id, wake):
                    attempt = 0
                    if job.terminal:
                        self._finish(take, job)
                        return
                    take = self._progress(take, job)
                if self._stop.is_set():
                    return
                wake.clear()  # woken by a webhook or a cancel: look again
                current = self.library.get(take.id)
                if current is None or not current.is_open:
                    return
                take = current
            except (NotFoundError, AuthError) as exc:
                self.library.transition(
                    take.id, BEFORE_DOWNLOAD, status=TakeStatus.FAILED, error=user_message(exc)
                )
                return
            except (GatewayUnreachable, GatewayTimeout, ServerError, ProviderError, RateLimitError) as exc:
                attempt += 1
                wait = min(30.0, self.retry_backoff * (2 ** min(attempt, 5)))
                log.warning("following take %s: %s; again in %.1fs", take.id, type(exc).__name__, wait)
                self.library.update(take.id, error=f"Connection trouble, still following: {exc.message}")
                if self._stop.wait(wait):
                    return

    def _was_lost(self, take_id: str) -> bool:
        with self._lock:
            return take_id in self._lost

    def _forget_delivered(self, take_id: str) -> None:
        """A webhook's snapshot for a take another process follows is of no use here."""
        take = self.library.get(take_id)
        if take is not None and take.job_id:
            with self._lock:
                self._delivered.pop(take.job_id, None)

    def _take_delivered(self, job_id: str) -> Job | None:
        with self._lock:
            return self._delivered.pop(job_id, None)

    def _progress(self, take: Take, job: Job) -> Take:
        """Write a job's open status and real progress to the library when they change enough."""
        status = open_status(job)
        moved = job.progress is not None and (
            take.progress is None or abs(job.progress - take.progress) >= PROGRESS_STEP
        )
        if status == take.status and not moved and job.progress_message == take.progress_message:
            return take
        changed = self.library.transition(
            take.id,
            BEFORE_DOWNLOAD,
            status=status,
            progress=job.progress if job.progress is not None else take.progress,
            progress_message=job.progress_message,
            error=None,
        )
        return changed or take

    def _updates(self, job_id: str, wake: threading.Event) -> Iterator[Job]:
        if self.backend.version == "v2":
            yield from self.backend.follow(job_id, stop=wake, webhook=bool(self.webhook_url))
            return
        if self.follow_mode == "stream":
            yield from self.backend.follow(job_id, stop=self._stop, poll_interval=self.poll_interval)  # type: ignore[call-arg]
            return
        while True:  # plain polling at a fixed interval
            job = self.backend.get_job(job_id)
            yield job
            if job.terminal or self._stop.wait(self.poll_interval):
                return

    def _finish(self, take: Take, job: Job) -> None:
        money = {"billed_credits": job.actual_cents} if job.actual_cents is not None else {}
        if job.status is JobStatus.COMPLETED:
            self._download(take, job)
        elif job.status is JobStatus.FAILED:
            self.library.transition(
                take.id,
                BEFORE_DOWNLOAD,
                status=TakeStatus.FAILED,
                error=job.error or "The provider failed this job without saying why.",
                progress=None,
                completed_at=time.time(),
                **money,
            )
        elif job.status is JobStatus.CANCELLED:
            self.library.transition(
                take.id,
                BEFORE_DOWNLOAD,
                status=TakeStatus.CANCELLED,
                progress=None,
                completed_at=time.time(),
                **money,
            )

    def _download(self, take: Take, job: Job) -> None:
        if not job.output_url:
            self.library.transition(
                take.id,
                BEFORE_DOWNLOAD,
                status=TakeStatus.FAILED,
                error="The job completed without an output.",
            )
            return
        money = {"billed_credits": job.actual_cents} if job.actual_cents is not None else {}
        if not self.leases.holds(take.id):
            return  # another process holds this take now: it downloads
        claimed = self.library.transition(
            take.id,
            (*BEFORE_DOWNLOAD, TakeStatus.DOWNLOADING),
            status=TakeStatus.DOWNLOADING,
            cache_hit=job.cache_hit,
            output_url=job.output_url,
            progress=1.0,
            **money,
        )
        if claimed is None:
            return  # finished elsewhere meanwhile (a webhook and a poller raced)
        take = claimed
        rel_video = f"videos/{take.id}.mp4"
        rel_poster = f"posters/{take.id}.jpg"
        video = self.library.path(rel_video)
        last_error: StudioError | None = None
        for attempt in range(self.download_attempts):
            try:
                self.backend.download(job.output_url, video)
                break
            except OSError as exc:  # the disk is full or the folder read-only: retrying won't help
                err = storage_error_from_os(exc, video.parent, "save the video")
                self.library.update(
                    take.id,
                    status=TakeStatus.DOWNLOADING,
                    error=f"The video is ready and paid for, but {lower_first(err.message)} Then use Retry.",
                )
                return
            except StudioError as exc:
                last_error = exc
                if self._stop.wait(min(10.0, self.retry_backoff * (2**attempt))):
                    return
        else:
            self.library.update(
                take.id,
                status=TakeStatus.DOWNLOADING,
                error=(
                    f"The video is ready but the download keeps failing ({user_message(last_error)}). "
                    "It is paid for and will be fetched again; use Retry."
                ),
            )
            return
        try:
            info = media.probe_video(video)
            if info.duration <= 0:
                raise InputError("it has no length", field="video")
        except StudioError as exc:
            # Not a video (a captive portal's page, a truncated file): keep the take open, paid for.
            video.unlink(missing_ok=True)
            self.library.update(
                take.id,
                status=TakeStatus.DOWNLOADING,
                error=(
                    f"The output downloaded from varg is not a playable video ({lower_first(exc.message)}). "
                    "It is paid for and kept: use Retry to fetch it again."
                ),
            )
            return
        poster: str | None = rel_poster
        try:
            media.make_poster(video, self.library.path(rel_poster))
        except (StudioError, OSError):
            log.warning("no poster for take %s", take.id)
            poster = None
        try:  # stored (uploaded, on S3) before the row names them: never a row without its files
            self.library.commit_media(rel_video, poster)
        except StorageError as exc:
            self.library.update(
                take.id,
                status=TakeStatus.DOWNLOADING,
                error=f"The video is ready and paid for, but {lower_first(exc.message)} It is kept: use Retry.",
            )
            return
        self.library.transition(
            take.id,
            (TakeStatus.DOWNLOADING,),
            status=TakeStatus.COMPLETED,
            video_path=rel_video,
            poster_path=poster,
            completed_at=time.time(),
            error=None,
        )


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def open_status(job: Job) -> str:
    return TakeStatus.QUEUED if job.status is JobStatus.QUEUED else TakeStatus.PROCESSING


def user_message(exc: BaseException | None) -> str:
    if isinstance(exc, InsufficientBalanceError):
        return f"Not enough credits: {exc.message}"
    if isinstance(exc, AuthError):
        return "The API key was refused by the gateway."
    if isinstance(exc, ValidationError):
        return f"The gateway refused the request: {exc.message}"
    if isinstance(exc, ApiError | StudioError):
        return exc.message
    return "An unexpected error stopped this take; it is kept in the library."
