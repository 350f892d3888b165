"""Submit takes and follow them to the end: write first, create once (idempotently on v2), follow, download.

The job manager takes submissions and schedules takes on its followers; the work on one take
(create, follow, download) is `Follower`'s, in studio/follower.py.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from studio import media, reconcile
from studio.api import Backend, Job, JobStatus, canonical_model_id
from studio.catalog import Estimate
from studio.errors import (
    ConflictError,
    CreateOutcomeUnknown,
    InputError,
    NotFoundError,
    StudioError,
)
from studio.follower import BEFORE_DOWNLOAD, Follower, open_status, user_message
from studio.leases import DEFAULT_TTL, LeaseKeeper
from studio.library import Library, NewTake, Relation, Take
from studio.live_catalog import LiveCatalog, StaticCatalog
from studio.submission import Prepared, TakeRequest, check_affordable, prepare
from studio.take import Mode, TakeStatus

log = logging.getLogger(__name__)


__all__ = ["JobManager", "Prepared", "SubmitResult", "TakeRequest"]


@dataclass(frozen=True)
class SubmitResult:
    takes: tuple[Take, ...]
    created: bool


class JobManager(Follower):
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
            relation = Relation.REMIX if req.mode == Mode.REMIX else Relation.ANIMATE
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
                mode=Mode(prepared.request.mode),
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
                if prepared.source_take is not None and req.mode == Mode.IMAGE
                else None,
            )
            for i in range(prepared.estimate.count)
        ]
        takes, created = self.library.add_batch(news)
        if created:
            for take in takes:
                self.leases.claim(take.id)  # ours from the start: another replica's claim passes it by
                self._schedule(take.id)
            if req.continues_shot:
                self._place_continued(req.continues_shot, takes)
        return SubmitResult(tuple(takes), created=created)

    def _place_continued(self, shot_id: str, takes: list[Take]) -> None:
        """Takes continued from a storyboard shot join the shot after it, once, with the submission
        (not after a page rerun: a reload or a closed tab must not leave them out of the storyboard)."""
        for take in takes:
            try:
                self.library.continue_shot(self.account, shot_id, take.id, into_next=True)
            except StudioError as exc:  # the shot was deleted meanwhile: the take stays in the gallery
                log.warning("take %s not placed after shot %s: %s", take.id, shot_id, exc)

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

        The take says TakeStatus.CANCELLED (and refunded) only when the gateway reports `cancelled`; a job
        that finished first (409) keeps its real outcome, and the follower fetches it.
        """
        take = self._own(take_id)
        if not take.is_open:
            return take
        with self._lock:
            self._cancel_requested.add(take_id)
        if not take.job_id:
            if take.status == TakeStatus.PENDING:
                done = self.library.transition(
                    take_id, (TakeStatus.PENDING,), status=TakeStatus.CANCELLED, error=None
                )
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
                take_id, BEFORE_DOWNLOAD, status=TakeStatus.CANCELLED, error=None, progress=None
            )
            self._nudge(take_id)
            return done or self._own(take_id)
        return self._own(take_id)

    def retry(self, take_id: str) -> None:
        """Fetch a finished job again (a failed download), or ask varg to re-run a failed job (v2)."""
        take = self._own(take_id)
        if not take.job_id:
            raise InputError("This take never reached the gateway; submit it again instead.", field="take")
        if take.status == TakeStatus.FAILED and self.backend.version == "v2":
            job = self.backend.retry_job(take.job_id)
            self.library.update(
                take_id, status=open_status(job), error=None, completed_at=None, progress=job.progress
            )
            self._schedule(take_id)
            return
        if take.status in (TakeStatus.FAILED, TakeStatus.DOWNLOADING) or take.is_open:
            self.library.update(take_id, status=TakeStatus.PROCESSING, error=None)
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
            if take.status == TakeStatus.SUBMITTING and not take.job_id and not self.backend.idempotent:
                # v1, interrupted mid-create: never re-send; look for the job it may have made.
                take = self._reconcile(
                    take, take.updated_at, CreateOutcomeUnknown("The studio stopped during the create.")
                )
            elif take.status == TakeStatus.PENDING or (
                take.status == TakeStatus.SUBMITTING and not take.job_id
            ):
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
                        take_id, error=f"{user_message(exc)} The job is kept; use Retry to follow it again."
                    )
                elif (
                    current is not None
                    and current.is_open
                    and self.backend.idempotent
                    and current.status == TakeStatus.SUBMITTING
                ):
                    self.library.update(take_id, error=f"{user_message(exc)} It will be sent again safely.")
                else:
                    self.library.update(take_id, status=TakeStatus.FAILED, error=user_message(exc))
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

    def adopt(self, take_id: str, job_id: str) -> Take:
        """The user says this job (listed on the take) is theirs: follow and download it."""
        adopted = reconcile.adopt(self.library, self._own(take_id), job_id)
        self._schedule(take_id)
        return adopted

    def disown(self, take_id: str) -> Take:
        """The user says the job varg shows is not theirs: the take stays `unknown`, honestly."""
        return reconcile.disown(self.library, self._own(take_id))

    def _cancelled(self, take_id: str) -> bool:
        with self._lock:
            return take_id in self._cancel_requested


def _image_suffix(data: bytes) -> str:
    return {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}.get(media.sniff_image_type(data) or "", ".img")
