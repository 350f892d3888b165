"""Submit takes and follow them to the end: write first, create once (idempotently on v2), follow, download."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from studio import media, reconcile
from studio.api import Backend, Job, JobStatus, VideoRequest, canonical_model_id
from studio.catalog import Estimate
from studio.errors import (
    ApiError,
    AuthError,
    ConflictError,
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
from studio.leases import DEFAULT_TTL, LeaseKeeper
from studio.library import Library, NewTake, Relation, StorageError, Take, storage_error_from_os
from studio.live_catalog import LiveCatalog, StaticCatalog
from studio.submission import Prepared, TakeRequest, check_affordable, prepare, unavailable_message

log = logging.getLogger(__name__)

_IMAGE_MEDIA_TYPE = "image/jpeg"
_PROGRESS_STEP = 0.02  # progress is written to the library when it moves at least this much
_OPEN_JOB = ("queued", "processing")
_BEFORE_DOWNLOAD = ("pending", "submitting", "queued", "processing")

__all__ = ["JobManager", "Prepared", "SubmitResult", "TakeRequest"]


@dataclass(frozen=True)
class SubmitResult:
    takes: tuple[Take, ...]
    created: bool


class JobManager:
    """Owns the follower pool for one account: submits, follows, downloads, resumes."""

    def __init__(
        self,
        backend: Backend,
        library: Library,
        account: str,
        *,
        catalog: LiveCatalog | StaticCatalog | None = None,
        webhook_url: str | None = None,
        workers: int = 32,
        poll_interval: float = 2.0,
        download_attempts: int = 6,
        retry_backoff: float = 1.0,
        follow_mode: str = "stream",
        owner: str | None = None,
        lease_ttl: float = DEFAULT_TTL,
    ) -> None:
        from studio import catalog as offline

        self.backend = backend
        self.library = library
        self.account = account
        self.catalog = catalog or StaticCatalog(
            offline.v1() if backend.version == "v1" else offline.offline()
        )
        self.webhook_url = webhook_url if backend.version == "v2" else None
        self.poll_interval = poll_interval
        self.download_attempts = download_attempts
        self.retry_backoff = retry_backoff
        self.follow_mode = follow_mode  # v1: "stream" (SSE, polling fallback) or "poll" (plain polling)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"follow-{account[:10]}")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._active: set[str] = set()
        self._cancel_requested: set[str] = set()
        self._creating: set[str] = set()  # takes whose create request is on the wire
        self._wake: dict[str, threading.Event] = {}  # set by a webhook: the follower stops waiting
        self._delivered: dict[str, Job] = {}  # terminal jobs a webhook brought, by job id
        self._queued: list[str] = []  # scheduled, waiting for a free follower (oldest first)
        self._lost: set[str] = set()  # leases another process took over
        self.workers = workers
        self.leases = LeaseKeeper(
            library,
            account,
            owner=owner,
            ttl=lease_ttl,
            on_lost=self._lease_lost,
            on_due=self._due,
            capacity=self._room,
        )
        self.leases.start()

    @property
    def client(self) -> Backend:  # the name the v1 code and its tests know
        return self.backend

    # -- checks ------------------------------------------------------------------------------
    def prepare(self, req: TakeRequest) -> Prepared:
        """Check and prepare everything a submission needs. Raises InputError; makes no API call."""
        return prepare(req, self.catalog.current(), self.library, self.account)

    @staticmethod
    def check_affordable(estimate: Estimate, *, balance: int | None, budget_left: int | None) -> None:
        check_affordable(estimate, balance=balance, budget_left=budget_left)

    # -- submit ------------------------------------------------------------------------------
    def submit(
        self,
        req: TakeRequest | Prepared,
        submission_id: str,
        *,
        balance: int | None = None,
        budget_left: int | None = None,
        estimate: Estimate | None = None,
        session_id: str | None = None,
        created_by: str | None = None,
    ) -> SubmitResult:
        """Write the takes first, then upload/create/follow in the background. Returns at once.

        The same `submission_id` again (double-click, rerun, reload) returns the existing takes.
        `estimate` is the exact price the user saw (v2); without it the catalogue's figure is used.
        """
        if not submission_id or not isinstance(submission_id, str):
            raise InputError("The form lost its submission id; try again.", field="submit")
        existing = self.library.find_submission(self.account, submission_id)
        if existing:
            return SubmitResult(tuple(existing), created=False)
        prepared = req if isinstance(req, Prepared) else self.prepare(req)
        price = (
            estimate
            if estimate is not None and estimate.count == prepared.estimate.count
            else prepared.estimate
        )
        check_affordable(price, balance=balance, budget_left=budget_left)

        req = prepared.request
        source_file = original_file = end_file = None
        source_name = req.source_name or req.image_name
        if prepared.image is not None:
            source_file = self.library.store_bytes(prepared.image.data, ".jpg", kind="inputs")
            if req.original_file:
                original_file = req.original_file
            elif req.image is not None:  # an upload: the original is kept so the take can be re-framed
                original_file = self.library.store_bytes(req.image, _image_suffix(req.image), kind="inputs")
        elif prepared.source_take is not None:
            source_file = prepared.source_take.video_path
        elif prepared.request.source_video is not None:
            source_file = self.library.store_bytes(prepared.request.source_video, ".mp4", kind="inputs")
        if prepared.end_image is not None:
            end_file = self.library.store_bytes(prepared.end_image.data, ".jpg", kind="inputs")
        duration = prepared.duration
        if duration is None and prepared.source_video is not None:
            seconds = prepared.source_video.duration
            if prepared.model.max_source_seconds:
                seconds = min(seconds, prepared.model.max_source_seconds)
            duration = max(1, round(seconds))
        batch_id = submission_id[:32]
        parent_id = req.parent_id or (prepared.source_take.id if prepared.source_take else None)
        relation = req.relation
        if relation is None and prepared.source_take is not None:
            relation = Relation.REMIX if req.mode == "remix" else Relation.ANIMATE
        parent = self.library.get(parent_id, account=self.account) if parent_id else None
        if parent is None:
            parent_id = None
            if relation != Relation.SWEEP:
                relation = None
        news = [
            NewTake(
                account=self.account,
                batch_id=batch_id,
                submission_id=submission_id,
                variant_index=i,
                mode=prepared.request.mode,
                model=canonical_model_id(prepared.model.id)
                if self.backend.version == "v2"
                else prepared.model.id,
                prompt=prepared.prompt,
                duration_requested=prepared.request.duration,
                duration=duration,
                aspect_ratio=prepared.aspect_ratio,
                estimated_credits=price.per_job,
                source_take_id=prepared.source_take.id if prepared.source_take else None,
                source_file=source_file,
                source_name=(source_name or "")[:120] or None,
                seed=prepared.seeds[i],
                audio=prepared.request.audio and prepared.model.audio,
                session_id=(session_id or "")[:64] or None,
                created_by=created_by or None,
                parent_id=parent_id,
                relation=Relation(relation).value if relation else None,
                # A sweep is one idea (its parts are separate submissions); a child joins its parent's.
                idea_id=parent.idea_id if parent is not None else req.sweep_id,
                camera=req.camera,
                shot=req.shot,
                sweep_id=req.sweep_id,
                crop=req.crop if prepared.image is not None else None,
                original_file=original_file,
                end_file=end_file,
                frame_time=req.frame_time
                if prepared.source_take is not None and req.mode == "image-to-video"
                else None,
            )
            for i in range(prepared.estimate.count)
        ]
        takes, created = self.library.add_batch(news)
        if created:
            for take in takes:
                self.leases.claim(take.id)  # ours from the start: another replica's claim passes it by
                self._schedule(take.id)
        return SubmitResult(tuple(takes), created=created)

    def submit_sweep(
        self,
        parts: list[tuple[Prepared, Estimate | None]],
        submission_id: str,
        *,
        balance: int | None = None,
        budget_left: int | None = None,
        session_id: str | None = None,
        created_by: str | None = None,
    ) -> SubmitResult:
        """One confirmed submission of several recipes (a sweep): all are paid for, or none is sent.

        The total of the parts not yet recorded is checked against the balance and the budget
        before any take is written; each part is its own submission (`<id>-<n>`), so a rerun or a
        double-click sends nothing twice.
        """
        if not parts:
            raise InputError("A sweep needs at least one value.", field="sweep")
        ids = [f"{submission_id}-{i}" for i in range(len(parts))]
        fresh = [
            (est if est is not None and est.count == p.estimate.count else p.estimate)
            for (p, est), sid in zip(parts, ids, strict=True)
            if not self.library.find_submission(self.account, sid)
        ]
        if fresh:
            total = fresh[0]
            for est in fresh[1:]:
                total = total.plus(est)
            check_affordable(total, balance=balance, budget_left=budget_left)
        takes: list[Take] = []
        created = False
        for (prepared, quoted), sid in zip(parts, ids, strict=True):
            result = self.submit(prepared, sid, estimate=quoted, session_id=session_id, created_by=created_by)
            takes.extend(result.takes)
            created = created or result.created
        return SubmitResult(tuple(takes), created=created)

    def cancel(self, take_id: str) -> Take:
        """Cancel a take: before its create it never starts; after, the gateway decides.

        The take says "cancelled" (and refunded) only when the gateway reports `cancelled`; a job
        that finished first (409) keeps its real outcome, and the follower fetches it.
        """
        take = self._own(take_id)
        if not take.is_open:
            return take
        with self._lock:
            self._cancel_requested.add(take_id)
        if not take.job_id:
            if take.status == "pending":
                done = self.library.transition(take_id, ("pending",), status="cancelled", error=None)
                return done or self._own(take_id)
            return take
        try:
            job = self.backend.cancel(take.job_id)
        except ConflictError:
            job = None  # it ended first: the follower records what really happened
            self._nudge(take_id)
        except NotFoundError:
            job = None
        if job is None and self.backend.version == "v1":
            try:
                job = self.backend.get_job(take.job_id)
            except StudioError:
                job = None
        if job is not None and job.status is JobStatus.CANCELLED:
            done = self.library.transition(
                take_id, _BEFORE_DOWNLOAD, status="cancelled", error=None, progress=None
            )
            self._nudge(take_id)
            return done or self._own(take_id)
        return self._own(take_id)

    def retry(self, take_id: str) -> None:
        """Fetch a finished job again (a failed download), or ask varg to re-run a failed job (v2)."""
        take = self._own(take_id)
        if not take.job_id:
            raise InputError("This take never reached the gateway; submit it again instead.", field="take")
        if take.status == "failed" and self.backend.version == "v2":
            job = self.backend.retry_job(take.job_id)
            self.library.update(
                take_id, status=_open_status(job), error=None, completed_at=None, progress=job.progress
            )
            self._schedule(take_id)
            return
        if take.status in ("failed", "downloading") or take.is_open:
            self.library.update(take_id, status="processing", error=None)
            self._schedule(take_id)

    def deliver(self, job: Job) -> bool:
        """A job snapshot from a webhook: record it and let the take's follower finish. Idempotent.

        The follower may be in another process (a replica): it is woken through the library and
        fetches the job itself. A take nobody holds is claimed and finished here.
        """
        take = self.library.find_job(self.account, job.job_id)
        if take is None or not take.is_open:
            return False
        if not job.terminal:
            return True
        with self._lock:
            following = take.id in self._active
            if following or self._lease_free(take):
                self._delivered[job.job_id] = job
        if following:
            self._nudge(take.id)
        elif self._lease_free(take):
            self._schedule(take.id)
        else:
            self.library.wake(take.id)
        return True

    def _lease_free(self, take: Take) -> bool:
        """Nobody else holds a live lease on this take (it is free, lapsed, or ours)."""
        return (
            take.lease_owner is None
            or take.lease_owner == self.leases.owner
            or (take.lease_expires or 0.0) < time.time()
        )

    def wake(self, take_id: str) -> None:
        """Another process says this take's job moved (a webhook landed there): look at it now."""
        with self._lock:
            following = take_id in self._active
        if following:
            self._nudge(take_id)

    def _nudge(self, take_id: str) -> None:
        with self._lock:
            wake = self._wake.get(take_id)
        if wake is not None:
            wake.set()

    def resume(self) -> int:
        """Pick up every unfinished take of this account that no live process holds. Returns how many.

        A take another process is working on (its lease is live) is left to it; the lease keeper
        picks it up later if that process goes away.
        """
        n = 0
        for take in self.library.unleased(self.account):
            self._schedule(take.id)
            n += 1
        return n

    def shutdown(self, wait: bool = False) -> None:
        self._stop.set()
        with self._lock:
            wakes = list(self._wake.values())
            creating = set(self._creating)
        for wake in wakes:
            wake.set()
        self._pool.shutdown(wait=wait, cancel_futures=True)
        # Free the leases at once so another process goes on, except a create still on the wire.
        self.leases.stop(release=False)
        for take_id in self.leases.held() - creating:
            self.leases.release(take_id)

    def waiting(self, take_id: str) -> int | None:
        """How many takes are ahead of this one for a free follower (None: it is not waiting)."""
        with self._lock:
            return self._queued.index(take_id) if take_id in self._queued else None

    def _due(self, take: Take) -> None:
        self._schedule(take.id)

    def _lease_lost(self, take_id: str) -> None:
        """Another process took this take over (our lease lapsed): stop working on it."""
        with self._lock:
            self._lost.add(take_id)
        self._nudge(take_id)

    def busy(self) -> int:
        with self._lock:
            return len(self._active)

    def _room(self) -> int:
        """Followers free for more takes (the lease keeper claims no more than this)."""
        with self._lock:
            return 0 if self._stop.is_set() else max(0, self.workers - len(self._active))

    # -- background work ---------------------------------------------------------------------
    def _own(self, take_id: str) -> Take:
        take = self.library.get(take_id, account=self.account)
        if take is None:
            raise InputError("That take does not exist (or belongs to another account).", field="take")
        return take

    def _schedule(self, take_id: str) -> None:
        with self._lock:
            if take_id in self._active or self._stop.is_set():
                return
            self._active.add(take_id)
            self._queued.append(take_id)
        try:
            self._pool.submit(self._run, take_id)
        except RuntimeError:  # pool shut down
            with self._lock:
                self._active.discard(take_id)
                self._queued.remove(take_id)

    def _run(self, take_id: str) -> None:
        with self._lock:
            if take_id in self._queued:
                self._queued.remove(take_id)
            self._lost.discard(take_id)
        claimed = False
        try:
            take = self.leases.claim(take_id)
            if take is None:
                self._forget_delivered(take_id)
                return  # another process holds it (or it is finished): never two workers on one take
            claimed = True
            log.info("following take %s as %s", take_id, self.leases.owner)
            if take.status == "submitting" and not take.job_id and not self.backend.idempotent:
                # v1, interrupted mid-create: never re-send; look for the job it may have made.
                take = self._reconcile(
                    take, take.updated_at, CreateOutcomeUnknown("The studio stopped during the create.")
                )
            elif take.status == "pending" or (take.status == "submitting" and not take.job_id):
                take = self._create(take)
            if take is not None and take.job_id and take.is_open:
                self._follow(take)
        except Exception as exc:  # never let a worker die silently
            log.exception("follower for take %s crashed", take_id)
            try:
                current = self.library.get(take_id)
                if current is not None and current.job_id and current.is_open:
                    # A job exists (and is paid for): keep the take open so Retry can fetch it.
                    self.library.update(
                        take_id, error=f"{_user_message(exc)} The job is kept; use Retry to follow it again."
                    )
                elif (
                    current is not None
                    and current.is_open
                    and self.backend.idempotent
                    and current.status == "submitting"
                ):
                    self.library.update(take_id, error=f"{_user_message(exc)} It will be sent again safely.")
                else:
                    self.library.update(take_id, status="failed", error=_user_message(exc))
            except Exception:
                log.exception("could not record the failure of take %s", take_id)
        finally:
            with self._lock:
                self._active.discard(take_id)
                self._cancel_requested.discard(take_id)
                self._wake.pop(take_id, None)
            if claimed:
                log.info("stopped following take %s as %s", take_id, self.leases.owner)
            if claimed and not self._stop.is_set():
                self.leases.release(take_id)

    def _create(self, take: Take) -> Take | None:
        if self._cancelled(take.id) and take.status == "pending":
            return self.library.update(take.id, status="cancelled", completed_at=time.time())
        files: tuple[str, ...] = ()
        end_url = None
        try:
            if take.source_file:
                files = (self._upload(take),)
            if take.end_file:
                end_url = self._upload(take, take.end_file)
        except StudioError as exc:
            return self.library.update(
                take.id, status="failed", error=f"Upload failed, nothing was charged: {_user_message(exc)}"
            )
        if not self.leases.holds(take.id):
            return None  # taken over while uploading: the new holder sends it (with the same key)
        # Persist "submitting" BEFORE the create leaves, so a crash here is visible on restart.
        take = self.library.update(take.id, status="submitting")
        req = VideoRequest(
            model=take.model,
            prompt=take.prompt,
            duration=int(take.duration) if take.duration is not None and take.mode != "remix" else None,
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
                    status="failed",
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
                return self.library.update(take.id, status="failed", error=_user_message(exc))
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
                    status=_open_status(job),
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
        return self.library.update(take.id, status="failed", error=f"{text} Nothing was charged.")

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

    def adopt(self, take_id: str, job_id: str) -> Take:
        """The user says this job (listed on the take) is theirs: follow and download it."""
        adopted = reconcile.adopt(self.library, self._own(take_id), job_id)
        self._schedule(take_id)
        return adopted

    def disown(self, take_id: str) -> Take:
        """The user says the job varg shows is not theirs: the take stays `unknown`, honestly."""
        return reconcile.disown(self.library, self._own(take_id))

    def _others_submitting(self, take_id: str) -> bool:
        with self._lock:
            return bool(self._creating - {take_id})

    def _upload(self, take: Take, rel: str | None = None) -> str:
        path = self.library.path(rel or take.source_file or "")
        data = path.read_bytes()
        media_type = _IMAGE_MEDIA_TYPE if take.mode == "image-to-video" else "video/mp4"
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
                if take.status == "downloading":
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
                self.library.transition(take.id, _BEFORE_DOWNLOAD, status="failed", error=_user_message(exc))
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
        status = _open_status(job)
        moved = job.progress is not None and (
            take.progress is None or abs(job.progress - take.progress) >= _PROGRESS_STEP
        )
        if status == take.status and not moved and job.progress_message == take.progress_message:
            return take
        changed = self.library.transition(
            take.id,
            _BEFORE_DOWNLOAD,
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
                _BEFORE_DOWNLOAD,
                status="failed",
                error=job.error or "The provider failed this job without saying why.",
                progress=None,
                completed_at=time.time(),
                **money,
            )
        elif job.status is JobStatus.CANCELLED:
            self.library.transition(
                take.id,
                _BEFORE_DOWNLOAD,
                status="cancelled",
                progress=None,
                completed_at=time.time(),
                **money,
            )

    def _download(self, take: Take, job: Job) -> None:
        if not job.output_url:
            self.library.transition(
                take.id, _BEFORE_DOWNLOAD, status="failed", error="The job completed without an output."
            )
            return
        money = {"billed_credits": job.actual_cents} if job.actual_cents is not None else {}
        if not self.leases.holds(take.id):
            return  # another process holds this take now: it downloads
        claimed = self.library.transition(
            take.id,
            (*_BEFORE_DOWNLOAD, "downloading"),
            status="downloading",
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
                    status="downloading",
                    error=f"The video is ready and paid for, but {_lower_first(err.message)} Then use Retry.",
                )
                return
            except StudioError as exc:
                last_error = exc
                if self._stop.wait(min(10.0, self.retry_backoff * (2**attempt))):
                    return
        else:
            self.library.update(
                take.id,
                status="downloading",
                error=(
                    f"The video is ready but the download keeps failing ({_user_message(last_error)}). "
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
                status="downloading",
                error=(
                    f"The output downloaded from varg is not a playable video ({_lower_first(exc.message)}). "
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
                status="downloading",
                error=f"The video is ready and paid for, but {_lower_first(exc.message)} It is kept: use Retry.",
            )
            return
        self.library.transition(
            take.id,
            ("downloading",),
            status="completed",
            video_path=rel_video,
            poster_path=poster,
            completed_at=time.time(),
            error=None,
        )

    def _cancelled(self, take_id: str) -> bool:
        with self._lock:
            return take_id in self._cancel_requested


def _image_suffix(data: bytes) -> str:
    return {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}.get(media.sniff_image_type(data) or "", ".img")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _open_status(job: Job) -> str:
    return "queued" if job.status is JobStatus.QUEUED else "processing"


def _user_message(exc: BaseException | None) -> str:
    if isinstance(exc, InsufficientBalanceError):
        return f"Not enough credits: {exc.message}"
    if isinstance(exc, AuthError):
        return "The API key was refused by the gateway."
    if isinstance(exc, ValidationError):
        return f"The gateway refused the request: {exc.message}"
    if isinstance(exc, ApiError | StudioError):
        return exc.message
    return "An unexpected error stopped this take; it is kept in the library."
