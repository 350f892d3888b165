"""Submit takes and follow them to the end: write first, create once, stream, download, resume."""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from studio import catalog, media
from studio.catalog import Estimate, Model, Snap
from studio.client import Job, VargClient
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
)
from studio.library import Library, NewTake, Take, storage_error_from_os
from studio.media import PreparedImage, VideoInfo

log = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 4000
_IMAGE_MEDIA_TYPE = "image/jpeg"


@dataclass(frozen=True)
class TakeRequest:
    """What a creation form asks for, as plain values."""

    mode: str
    model: str
    prompt: str
    duration: float | None = None
    aspect_ratio: str | None = None
    variants: int = 1
    image: bytes | None = None
    image_name: str | None = None
    fit: str = "crop"
    source_take_id: str | None = None
    source_video: bytes | None = None
    source_name: str | None = None


@dataclass(frozen=True)
class Prepared:
    """A request with every check passed and every input prepared; nothing spent yet."""

    request: TakeRequest
    model: Model
    prompt: str
    duration: int | None
    snap: Snap | None
    aspect_ratio: str | None
    estimate: Estimate
    image: PreparedImage | None
    source_video: VideoInfo | None
    source_take: Take | None
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class SubmitResult:
    takes: tuple[Take, ...]
    created: bool


class JobManager:
    """Owns the follower pool for one account: submits, follows, downloads, resumes."""

    def __init__(
        self,
        client: VargClient,
        library: Library,
        account: str,
        *,
        workers: int = 32,
        poll_interval: float = 2.0,
        download_attempts: int = 6,
        retry_backoff: float = 1.0,
        follow_mode: str = "stream",
    ) -> None:
        self.client = client
        self.library = library
        self.account = account
        self.poll_interval = poll_interval
        self.download_attempts = download_attempts
        self.retry_backoff = retry_backoff
        self.follow_mode = follow_mode  # "stream" (SSE, polling fallback) or "poll" (plain polling)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"follow-{account[:10]}")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._active: set[str] = set()
        self._cancel_requested: set[str] = set()
        self._creating: set[str] = set()  # takes whose create request is on the wire

    # -- checks ------------------------------------------------------------------------------
    def prepare(self, req: TakeRequest) -> Prepared:
        """Check and prepare everything a submission needs. Raises InputError; makes no API call."""
        if req.mode not in catalog.MODES:
            raise InputError(f"Unknown mode {str(req.mode)[:40]!r}.", field="mode")
        model = catalog.get_model(req.model)
        if req.mode not in model.modes:
            raise InputError(
                f"{model.label} does not do {catalog.mode_label(req.mode).lower()}. Pick another model.",
                field="model",
            )
        prompt = _clean_prompt(req.prompt)
        estimate = catalog.estimate(model, req.variants)
        warnings: list[str] = []

        snap: Snap | None = None
        duration: int | None = None
        if not model.inherits_source:
            asked = req.duration if req.duration is not None else model.default_duration
            snap = catalog.snap_duration(model, asked)
            duration = snap.value
            if snap.snapped:
                warnings.append(snap.message)
        ratio: str | None = None
        if model.ratios_for(req.mode):
            ratio = catalog.check_ratio(model, req.mode, req.aspect_ratio or model.ratios_for(req.mode)[0])

        image: PreparedImage | None = None
        source_video: VideoInfo | None = None
        source_take: Take | None = None
        if req.source_take_id:
            source_take = self.library.get(req.source_take_id, account=self.account)
            if source_take is None or not source_take.video_path:
                raise InputError("That gallery take is gone or has no video yet.", field="source")
        long_side = 1920 if model.resolution == "1080p" else 1280

        if req.mode == "image-to-video":
            if req.fit not in ("crop", "fit"):
                raise InputError("Choose crop or fit.", field="fit")
            if source_take is not None:
                raw = media.last_frame(self.library.path(source_take.video_path))
            elif req.image is not None:
                raw = req.image
            else:
                raise InputError("Upload an image to animate.", field="image")
            image = media.prepare_image(raw, ratio or "auto", fit=req.fit, long_side=long_side)
        elif req.mode == "remix":
            if source_take is not None:
                source_video = media.probe_video(self.library.path(source_take.video_path))
                if model.is_sora and source_take.model not in ("sora-2", "sora-2-pro"):
                    warnings.append("This take was not made by Sora 2; the remix provider may reject it.")
            elif req.source_video is not None:
                source_video = media.probe_video(req.source_video)
                if model.is_sora:
                    warnings.append(
                        "Sora remixes videos that Sora made; an uploaded video may be rejected by the provider."
                    )
            else:
                raise InputError("Choose a gallery take or upload a video to remix.", field="source")
            if model.max_source_seconds and source_video.duration > model.max_source_seconds + 0.05:
                warnings.append(
                    f"{model.label} uses the first {model.max_source_seconds} s of the source "
                    f"({source_video.duration:.1f} s)."
                )
        return Prepared(
            request=req,
            model=model,
            prompt=prompt,
            duration=duration,
            snap=snap,
            aspect_ratio=ratio,
            estimate=estimate,
            image=image,
            source_video=source_video,
            source_take=source_take,
            warnings=tuple(warnings),
        )

    @staticmethod
    def check_affordable(estimate: Estimate, *, balance: int | None, budget_left: int | None) -> None:
        if balance is not None and estimate.total > balance:
            raise InputError(
                f"This needs {estimate.total:,} credits and the balance is {balance:,}. "
                "Lower the variants or pick a cheaper model.",
                field="submit",
            )
        if budget_left is not None and estimate.total > budget_left:
            raise InputError(
                f"This needs {estimate.total:,} credits and this session's budget has "
                f"{max(budget_left, 0):,} left.",
                field="submit",
            )

    # -- submit ------------------------------------------------------------------------------
    def submit(
        self,
        req: TakeRequest | Prepared,
        submission_id: str,
        *,
        balance: int | None = None,
        budget_left: int | None = None,
    ) -> SubmitResult:
        """Write the takes first, then upload/create/follow in the background. Returns at once.

        The same `submission_id` again (double-click, rerun, reload) returns the existing takes.
        """
        if not submission_id or not isinstance(submission_id, str):
            raise InputError("The form lost its submission id; try again.", field="submit")
        existing = self.library.find_submission(self.account, submission_id)
        if existing:
            return SubmitResult(tuple(existing), created=False)
        prepared = req if isinstance(req, Prepared) else self.prepare(req)
        self.check_affordable(prepared.estimate, balance=balance, budget_left=budget_left)

        source_file = None
        source_name = prepared.request.source_name or prepared.request.image_name
        if prepared.image is not None:
            source_file = self.library.store_bytes(prepared.image.data, ".jpg", kind="inputs")
        elif prepared.source_take is not None:
            source_file = prepared.source_take.video_path
        elif prepared.request.source_video is not None:
            source_file = self.library.store_bytes(prepared.request.source_video, ".mp4", kind="inputs")
        duration = prepared.duration
        if duration is None and prepared.source_video is not None:
            seconds = prepared.source_video.duration
            if prepared.model.max_source_seconds:
                seconds = min(seconds, prepared.model.max_source_seconds)
            duration = max(1, round(seconds))
        batch_id = submission_id[:32]
        news = [
            NewTake(
                account=self.account,
                batch_id=batch_id,
                submission_id=submission_id,
                variant_index=i,
                mode=prepared.request.mode,
                model=prepared.model.id,
                prompt=prepared.prompt,
                duration_requested=prepared.request.duration,
                duration=duration,
                aspect_ratio=prepared.aspect_ratio,
                estimated_credits=prepared.model.credits,
                source_take_id=prepared.source_take.id if prepared.source_take else None,
                source_file=source_file,
                source_name=(source_name or "")[:120] or None,
            )
            for i in range(prepared.estimate.count)
        ]
        takes, created = self.library.add_batch(news)
        if created:
            for take in takes:
                self._schedule(take.id)
        return SubmitResult(tuple(takes), created=created)

    def cancel(self, take_id: str) -> Take:
        """Cancel a take: before its create it never starts; after, the gateway is told."""
        take = self._own(take_id)
        if not take.is_open:
            return take
        with self._lock:
            self._cancel_requested.add(take_id)
        if take.job_id:
            try:
                self.client.cancel_job(take.job_id)
            except NotFoundError:
                pass
        if take.status in ("pending", "queued", "processing") and (take.job_id or take.status == "pending"):
            take = self.library.update(take_id, status="cancelled", completed_at=time.time(), error=None)
        return take

    def retry(self, take_id: str) -> None:
        """Follow (and download) again a take that has a job id, e.g. after a failed download."""
        take = self._own(take_id)
        if not take.job_id:
            raise InputError("This take never reached the gateway; submit it again instead.", field="take")
        if take.status in ("failed", "downloading") or take.is_open:
            self.library.update(take_id, status="processing", error=None)
            self._schedule(take_id)

    def resume(self) -> int:
        """Pick up every unfinished take of this account (after a restart). Returns how many."""
        n = 0
        for take in self.library.open_takes(self.account):
            if take.status == "submitting" and not take.job_id:
                self.library.update(
                    take.id,
                    status="unknown",
                    error=(
                        "The studio stopped while this job was being started: it may have been "
                        "charged. It was not sent again; check your usage."
                    ),
                    completed_at=time.time(),
                )
                continue
            self._schedule(take.id)
            n += 1
        return n

    def shutdown(self, wait: bool = False) -> None:
        self._stop.set()
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def busy(self) -> int:
        with self._lock:
            return len(self._active)

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
        try:
            self._pool.submit(self._run, take_id)
        except RuntimeError:  # pool shut down
            with self._lock:
                self._active.discard(take_id)

    def _run(self, take_id: str) -> None:
        try:
            take = self.library.get(take_id)
            if take is None:
                return
            if take.status == "pending":
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
                else:
                    self.library.update(take_id, status="failed", error=_user_message(exc))
            except Exception:
                log.exception("could not record the failure of take %s", take_id)
        finally:
            with self._lock:
                self._active.discard(take_id)
                self._cancel_requested.discard(take_id)

    def _create(self, take: Take) -> Take | None:
        if self._cancelled(take.id):
            return self.library.update(take.id, status="cancelled", completed_at=time.time())
        files = None
        try:
            if take.source_file:
                files = [{"url": self._upload(take)}]
        except StudioError as exc:
            return self.library.update(
                take.id, status="failed", error=f"Upload failed, nothing was charged: {_user_message(exc)}"
            )
        # Persist "submitting" BEFORE the create leaves, so a crash here is visible on restart.
        take = self.library.update(take.id, status="submitting")
        sent_at = time.time()
        with self._lock:
            self._creating.add(take.id)
        try:
            try:
                job = self.client.create_video(
                    model=take.model,
                    prompt=take.prompt,
                    duration=take.duration if take.mode != "remix" else None,
                    aspect_ratio=take.aspect_ratio,
                    files=files,
                )
            except GatewayUnreachable:
                return self.library.update(
                    take.id,
                    status="failed",
                    error="Could not reach the gateway: nothing was sent or charged. Try again when it is back.",
                )
            except (CreateOutcomeUnknown, ServerError, ProviderError) as exc:
                # The request reached the gateway but its answer proves nothing either way: look for
                # the job in the account's usage instead of guessing, and never send it again.
                with self._lock:
                    self._creating.discard(take.id)
                return self._reconcile(take, sent_at, exc)
            except StudioError as exc:
                return self.library.update(take.id, status="failed", error=_user_message(exc))
            # Recorded before it leaves the in-flight set, so no other take can mistake this job.
            take = self.library.update(
                take.id, job_id=job.job_id, status=_open_status(job), cache_hit=job.cache_hit
            )
        finally:
            with self._lock:
                self._creating.discard(take.id)
        if self._cancelled(take.id):
            try:
                self.client.cancel_job(job.job_id)
            except StudioError:
                log.warning("cancel after create failed for take %s", take.id)
        if job.terminal:
            self._finish(take, job)
            return self.library.get(take.id)
        return take

    def _reconcile(self, take: Take, sent_at: float, exc: StudioError) -> Take:
        """After an ambiguous create, adopt the job it made (found in usage) or say what is known."""
        what = f"HTTP {exc.status}: {exc.message}" if isinstance(exc, ApiError) else exc.message
        # Another take's create still in flight could own a job we'd see in usage before it is
        # recorded: only look when none is, and look twice (usage may lag behind the create).
        candidates: list[str] | None = None
        looks = 0
        deadline = time.monotonic() + 6.0
        while True:
            if self._others_submitting(take.id):
                candidates = None
            else:
                candidates = self._unclaimed_jobs(take.model, sent_at)
                looks += 1
                if candidates or looks >= 2:
                    break
            if time.monotonic() > deadline or self._stop.wait(0.75):
                break
        if candidates is not None and len(candidates) == 1:
            job_id = candidates[0]
            log.info("take %s: adopted job %s found in usage after an ambiguous create", take.id, job_id)
            return self.library.update(take.id, job_id=job_id, status="queued", error=None)
        if candidates == []:
            return self.library.update(
                take.id,
                status="failed",
                error=(
                    f"The gateway failed to start the job ({what}). Your usage shows no new job, "
                    "so nothing was charged; it was not sent again."
                ),
            )
        return self.library.update(
            take.id,
            status="unknown",
            error=(
                f"The gateway's answer was lost or an error ({what}): the job may have started and "
                "been charged once. It was not sent again; check your usage."
            ),
            completed_at=time.time(),
        )

    def _others_submitting(self, take_id: str) -> bool:
        with self._lock:
            return bool(self._creating - {take_id})

    def _unclaimed_jobs(self, model: str, since: float) -> list[str] | None:
        """Billed jobs of this model created since `since` that no take holds (None: can't tell)."""
        start = datetime.fromtimestamp(since - 60, UTC).date()
        try:
            usage = self.client.usage(start, datetime.now(UTC).date() + timedelta(days=1))
        except StudioError:
            return None
        found = []
        for rec in usage.records:
            if not (rec.model == model or rec.model.endswith(":" + model)):
                continue
            created = _epoch(rec.created_at)
            if created is None or created < since - 2.0:
                continue
            if self.library.find_job(self.account, rec.job_id) is None:
                found.append(rec.job_id)
        return found

    def _upload(self, take: Take) -> str:
        path = self.library.path(take.source_file or "")
        data = path.read_bytes()
        media_type = _IMAGE_MEDIA_TYPE if take.mode == "image-to-video" else "video/mp4"
        return self.client.upload_file(data, media_type).url

    def _follow(self, take: Take) -> None:
        assert take.job_id
        attempt = 0
        last_status = take.status
        while not self._stop.is_set():
            try:
                if take.status == "downloading":
                    job = self.client.get_job(take.job_id)
                    self._finish(take, job)
                    return
                for job in self._updates(take.job_id):
                    attempt = 0
                    if job.terminal:
                        self._finish(take, job)
                        return
                    status = _open_status(job)
                    if status != last_status:
                        take = self.library.update(take.id, status=status, error=None)
                        last_status = status
                if self._stop.is_set():
                    return
            except (NotFoundError, AuthError) as exc:
                self.library.update(take.id, status="failed", error=_user_message(exc))
                return
            except (GatewayUnreachable, GatewayTimeout, ServerError, ProviderError, RateLimitError) as exc:
                attempt += 1
                wait = min(30.0, self.retry_backoff * (2 ** min(attempt, 5)))
                log.warning("following take %s: %s; again in %.1fs", take.id, type(exc).__name__, wait)
                self.library.update(take.id, error=f"Connection trouble, still following: {exc.message}")
                if self._stop.wait(wait):
                    return

    def _updates(self, job_id: str) -> Iterator[Job]:
        if self.follow_mode == "stream":
            yield from self.client.stream_job(job_id, poll_interval=self.poll_interval, stop=self._stop)
            return
        while True:  # plain polling at a fixed interval
            job = self.client.get_job(job_id)
            yield job
            if job.terminal or self._stop.wait(self.poll_interval):
                return

    def _finish(self, take: Take, job: Job) -> None:
        if job.status == "completed":
            self._download(take, job)
        elif job.status == "failed":
            self.library.update(
                take.id,
                status="failed",
                error=job.error or "The provider failed this job without saying why.",
                completed_at=time.time(),
            )
        elif job.status == "cancelled":
            self.library.update(take.id, status="cancelled", completed_at=time.time())

    def _download(self, take: Take, job: Job) -> None:
        if not job.output_url:
            self.library.update(take.id, status="failed", error="The job completed without an output.")
            return
        take = self.library.update(take.id, status="downloading", cache_hit=job.cache_hit)
        rel_video = f"videos/{take.id}.mp4"
        rel_poster = f"posters/{take.id}.jpg"
        video = self.library.path(rel_video)
        last_error: StudioError | None = None
        for attempt in range(self.download_attempts):
            try:
                self.client.download(job.output_url, video)
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
        poster: str | None = rel_poster
        try:
            media.make_poster(video, self.library.path(rel_poster))
        except (StudioError, OSError):
            log.warning("no poster for take %s", take.id)
            poster = None
        self.library.update(
            take.id,
            status="completed",
            video_path=rel_video,
            poster_path=poster,
            completed_at=time.time(),
            error=None,
        )

    def _cancelled(self, take_id: str) -> bool:
        with self._lock:
            return take_id in self._cancel_requested


def _epoch(iso: str) -> float | None:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError):
        return None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _open_status(job: Job) -> str:
    return job.status if job.status in ("queued", "processing") else "processing"


def _clean_prompt(prompt: object) -> str:
    if not isinstance(prompt, str):
        raise InputError("Write a prompt first.", field="prompt")
    text = "".join(ch for ch in prompt if ch in "\n\t" or not _invisible(ch)).strip()
    if not text:
        raise InputError("Write a prompt first: describe the shot you want.", field="prompt")
    if len(text) > MAX_PROMPT_CHARS:
        raise InputError(
            f"The prompt is {len(text):,} characters; the limit is {MAX_PROMPT_CHARS:,}.", field="prompt"
        )
    return text


# Bidirectional overrides and isolates can disguise a prompt's text; control, surrogate, private and
# unassigned code points carry nothing a model can use. Joiners and non-ASCII spaces are kept.
_BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _invisible(ch: str) -> bool:
    return ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")


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
