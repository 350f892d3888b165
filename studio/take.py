"""A take: one variant of one submission, its recipe, its job, its outcome and its place in an idea."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DEMO_ACCOUNT = "demo"  # the account demo mode's takes belong to (no key)


class TakeStatus(StrEnum):
    """Where a take is in its life: open while the follower has work to do, then terminal.

    pending → submitting → queued → processing → downloading → completed; or failed, cancelled, or
    unknown (a v1 create whose answer was lost: the job may exist, awaiting the user's word)."""

    PENDING = "pending"  # written, nothing sent yet
    SUBMITTING = "submitting"  # the create call may have left
    QUEUED = "queued"
    PROCESSING = "processing"
    DOWNLOADING = "downloading"  # the gateway finished; the video is being saved
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


OPEN_STATUSES = (
    TakeStatus.PENDING,
    TakeStatus.SUBMITTING,
    TakeStatus.QUEUED,
    TakeStatus.PROCESSING,
    TakeStatus.DOWNLOADING,
)
TERMINAL_STATUSES = (TakeStatus.COMPLETED, TakeStatus.FAILED, TakeStatus.CANCELLED, TakeStatus.UNKNOWN)
STATUSES = tuple(TakeStatus)


class Relation(StrEnum):
    """How a take was derived from its parent: the label on an edge of the idea tree."""

    REUSE = "reuse"  # the recipe put back in the form, then edited
    REROLL = "reroll"  # the same recipe, a new seed
    LOCK_SEED = "lock_seed"  # the prompt edited, the seed kept
    REMIX = "remix"  # a new prompt over the parent's video
    ANIMATE = "animate"  # image-to-video from a frame of the parent
    FINAL = "final"  # the same recipe at a higher tier or length (draft -> final)
    SWEEP = "sweep"  # one value of a sweep over a shot-card field
    CONTINUE = "continue"  # image-to-video from a storyboard shot's frame: the next shot


class Mode(StrEnum):
    """What a submission makes a video from: a prompt alone, a start image, or another video."""

    TEXT = "text-to-video"
    IMAGE = "image-to-video"
    REMIX = "remix"


class Verdict(StrEnum):
    """What the user decided about a take."""

    KEEP = "keep"
    REJECT = "reject"


# Why a take was rejected (or what to watch): tag -> what it means, offered as hints for the next try.
VERDICT_REASONS: dict[str, str] = {
    "motion": "Motion: jittery, too fast, or frozen",
    "identity": "Identity drift: the subject changes as it moves",
    "text": "Text artefacts: garbled letters or signs",
    "off_prompt": "Off-prompt: not what was asked",
    "framing": "Framing: the subject is cut off or badly placed",
    "style": "Style: the look is wrong",
}


@dataclass(frozen=True)
class Take:
    """One variant of one submission: its recipe, its job and its outcome."""

    id: str
    account: str
    batch_id: str
    submission_id: str
    variant_index: int
    mode: Mode
    model: str
    prompt: str
    duration_requested: float | None
    duration: float | None
    aspect_ratio: str | None
    source_take_id: str | None
    source_file: str | None
    source_name: str | None
    estimated_credits: int
    job_id: str | None
    status: TakeStatus
    error: str | None
    created_at: float
    updated_at: float
    completed_at: float | None
    video_path: str | None
    poster_path: str | None
    favourite: bool
    cache_hit: bool
    idempotency_key: str | None = None  # one per take, written before any network call (v2)
    seed: int | None = None
    audio: bool = False
    progress: float | None = None  # 0..1 as the gateway reports it (v2), never made up
    progress_message: str | None = None
    billed_credits: int | None = None  # what varg really charged (v2 actual_cost_cents)
    output_url: str | None = None  # kept so a failed download can be fetched again
    session_id: str | None = None  # the browser session that made it (spend and budget per session)
    lease_owner: str | None = None  # the process working on it now (see Library.claim)
    lease_expires: float | None = None
    candidates: str | None = None  # v1: job ids that may be this take's, awaiting the user's word
    # Lineage and iteration (migration 4): the idea tree, verdicts, and the recipe's extras.
    parent_id: str | None = None  # the take this one was derived from (reuse, re-roll, remix, ...)
    relation: Relation | None = None  # how it was derived (None: a new idea)
    idea_id: str | None = None  # the idea (tree) it belongs to: the founding submission's batch id
    verdict: Verdict | None = None  # None while undecided
    verdict_reasons: str | None = None  # comma-separated reason tags (see studio.verdicts)
    verdict_note: str | None = None
    camera: str | None = None  # a camera preset key (studio/data/cameras.json)
    shot: str | None = None  # the shot card as JSON (subject, action, camera, lighting, style)
    sweep_id: str | None = None  # the sweep this take is one value of
    crop: str | None = None  # image-to-video framing "x,y,zoom" (anchor 0..1, zoom >= 1)
    original_file: str | None = None  # the uploaded image before framing, kept to re-frame later
    end_file: str | None = None  # the end frame image, for models that take one
    frame_time: float | None = None  # where in the source take the start frame was taken (s)
    created_by: str | None = None  # the signed-in person's email (migration 5); None without a login

    @property
    def local_preview(self) -> bool:
        """Rendered by the studio's local demo gateway (demo mode), not by the model it names."""
        return self.account == DEMO_ACCOUNT

    @property
    def is_open(self) -> bool:
        """Still in flight: the follower has work to do for it."""
        return self.status in OPEN_STATUSES

    @property
    def is_done(self) -> bool:
        """Reached a terminal status (completed, failed, cancelled or unknown)."""
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class NewTake:
    """What a submission writes for each variant before the create call."""

    account: str
    batch_id: str
    submission_id: str
    variant_index: int
    mode: Mode
    model: str
    prompt: str
    duration_requested: float | None
    duration: float | None
    aspect_ratio: str | None
    estimated_credits: int
    source_take_id: str | None = None
    source_file: str | None = None
    source_name: str | None = None
    seed: int | None = None
    audio: bool = False
    idempotency_key: str | None = None  # made by add_batch when not given
    session_id: str | None = None
    parent_id: str | None = None
    relation: str | None = None
    idea_id: str | None = None  # None: the batch founds a new idea (its batch id)
    camera: str | None = None
    shot: str | None = None
    sweep_id: str | None = None
    crop: str | None = None
    original_file: str | None = None
    end_file: str | None = None
    frame_time: float | None = None
    created_by: str | None = None  # the signed-in person who made it (None without a login)


def ids_param(ids: list[str] | tuple[str, ...]) -> str:
    """Take ids as one URL parameter (`?takes=a,b`, `?compare=a,b`): `ids_of` reads it back."""
    return ",".join(ids)


def ids_of(param: str | None) -> list[str]:
    """The take ids in a URL parameter, in order, each once, blanks dropped."""
    return list(dict.fromkeys(x.strip() for x in (param or "").split(",") if x.strip()))
