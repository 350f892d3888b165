"""A storyboard: shots in order, each a chosen take with a trim; its length, its spend, its next shot."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.catalog import Catalog, Model
from studio.errors import InputError
from studio.take import Mode, Relation, Take, TakeStatus

if TYPE_CHECKING:
    from studio.submission import TakeRequest

DEFAULT_RATIO = "16:9"
SHORT_SIDE = 720  # a storyboard's format is 720 pixels on its short side: 16:9 is 1280×720
MIN_SHOT_SECONDS = 0.1
FPS = 24  # the timeline's rate, and the stitch's when the takes do not share one
NAME_CHARS = 80
I2V = Mode.IMAGE


@dataclass(frozen=True)
class Storyboard:
    """An ordered film of shots; `ratio` None: the format follows the first shot's take."""

    id: str
    account: str
    name: str
    ratio: str | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Shot:
    """One place in a storyboard: candidate takes, the chosen one, and its trim (seconds)."""

    id: str
    storyboard_id: str
    position: int  # 0-based, dense within the storyboard
    name: str | None
    take_id: str | None  # the chosen candidate (None: none chosen, e.g. its take was deleted)
    trim_in: float
    trim_out: float | None  # None: the take's end
    candidates: tuple[str, ...]  # take ids, in the order they joined the shot

    def label(self) -> str:
        return self.name or f"Shot {self.position + 1}"


@dataclass(frozen=True)
class ReelShot:
    """A shot with its takes looked up: what a page draws and an export writes."""

    shot: Shot
    take: Take | None  # the chosen take
    candidates: tuple[Take, ...]

    @property
    def trim_out(self) -> float | None:
        """Where the shot ends in its take (the take's end when not trimmed; None: length unknown)."""
        if self.shot.trim_out is not None:
            return self.shot.trim_out
        return take_duration(self.take) if self.take is not None else None

    @property
    def length(self) -> float:
        """Seconds this shot lasts in the film (0 while its take has no length)."""
        end = self.trim_out
        return max(0.0, end - self.shot.trim_in) if end is not None else 0.0

    @property
    def ready(self) -> bool:
        """Its chosen take has a finished video, so it can be stitched and exported."""
        return (
            self.take is not None and self.take.status == TakeStatus.COMPLETED and bool(self.take.video_path)
        )


@dataclass(frozen=True)
class Spend:
    """What a storyboard's takes cost: billed where varg said, else the estimate (counted apart)."""

    credits: int
    billed: int  # the part varg billed
    estimated: int  # the part still only estimated
    estimated_takes: int  # how many takes count at their estimate

    @property
    def text(self) -> str:
        if not self.estimated_takes:
            return f"{self.credits:,} credits"
        return f"{self.credits:,} credits ({self.estimated:,} estimated, {self.estimated_takes} takes)"


@dataclass(frozen=True)
class Reel:
    """A storyboard with its shots' takes looked up, in order."""

    board: Storyboard
    shots: tuple[ReelShot, ...]

    @property
    def length(self) -> float:
        return total_length(self.shots)

    @property
    def spend(self) -> Spend:
        return total_spend(t for s in self.shots for t in s.candidates)

    @property
    def ratio(self) -> str:
        return board_ratio(self.board, self.shots)

    @property
    def size(self) -> tuple[int, int]:
        return format_size(self.ratio)

    def not_ready(self) -> list[str]:
        """The labels of shots that cannot be exported yet (no finished chosen take)."""
        return [s.shot.label() for s in self.shots if not s.ready]


@dataclass(frozen=True)
class BoardSummary:
    """A storyboard in a list: how many shots, how long."""

    board: Storyboard
    shots: int
    length: float


# --- the rules ---------------------------------------------------------------------------------------
def take_duration(take: Take) -> float | None:
    value = take.duration if take.duration is not None else take.duration_requested
    return float(value) if value is not None else None


def charged(take: Take) -> int:
    """What a take costs: billed credits when varg said, else its estimate; nothing when it never
    reached a job (failed or cancelled before the create) — the library's spend rule."""
    if take.job_id is None and take.status in (TakeStatus.FAILED, TakeStatus.CANCELLED):
        return 0
    return int(take.billed_credits if take.billed_credits is not None else take.estimated_credits)


def take_recipe(take: Take) -> dict[str, object]:
    """A take's recipe as plain values, for an editor's metadata and an export's manifest."""
    return {
        "take_id": take.id,
        "prompt": take.prompt,
        "mode": take.mode,
        "model": take.model,
        "seed": take.seed,
        "duration": take_duration(take),
        "aspect_ratio": take.aspect_ratio,
        "audio": take.audio,
        "estimated_credits": take.estimated_credits,
        "billed_credits": take.billed_credits,
        "credits": charged(take),
        "credits_are": "billed" if take.billed_credits is not None else "estimated",
        "parent_id": take.parent_id,
        "relation": take.relation,
        "source_take_id": take.source_take_id,
        "frame_time": take.frame_time,
        "camera": take.camera,
        "created_at": take.created_at,
    }


def total_spend(takes: object) -> Spend:
    """Every distinct take once (a take may be a candidate of several shots)."""
    seen: dict[str, Take] = {}
    for take in takes:  # type: ignore[attr-defined]
        seen.setdefault(take.id, take)
    billed = estimated = count = 0
    for take in seen.values():
        if take.billed_credits is not None:
            billed += charged(take)
        else:
            value = charged(take)
            estimated += value
            count += 1 if value else 0
    return Spend(billed + estimated, billed, estimated, count)


def total_length(shots: object) -> float:
    """The film's length: the sum of the shots' trimmed chosen takes."""
    return round(sum(s.length for s in shots), 3)  # type: ignore[attr-defined]


def check_trim(trim_in: object, trim_out: object, duration: float | None) -> tuple[float, float | None]:
    """A valid trim: 0 ≤ in < out ≤ the take's length, at least 0.1 s long. Raises InputError."""
    for value, what in ((trim_in, "in"), (trim_out, "out")):
        if value is None and what == "out":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"The trim {what} point must be a number of seconds.", field=f"trim_{what}")
    start = round(float(trim_in), 3)  # type: ignore[arg-type]
    end = None if trim_out is None else round(float(trim_out), 3)  # type: ignore[arg-type]
    if start < 0:
        raise InputError("The trim in point cannot be before the start of the take.", field="trim_in")
    limit = end if end is not None else duration
    if duration is not None and end is not None and end > duration + 0.001:
        raise InputError(
            f"The trim out point ({end:g} s) is past the end of the take ({duration:g} s).", field="trim_out"
        )
    if limit is not None and start >= limit:
        raise InputError(
            f"The trim in point ({start:g} s) must come before the out point ({limit:g} s).", field="trim_in"
        )
    if limit is not None and limit - start < MIN_SHOT_SECONDS - 1e-9:
        raise InputError(
            f"A shot must last at least {MIN_SHOT_SECONDS:g} s (this trim keeps {limit - start:.2f} s).",
            field="trim_out",
        )
    if end is not None and duration is not None and abs(end - duration) <= 0.001:
        end = None  # up to the end: stays the end if the take is longer than recorded
    return start, end


def clean_name(name: object, *, field: str = "name") -> str | None:
    """A name as stored: one line, spaces folded, at most 80 characters (empty: None)."""
    if name is not None and not isinstance(name, str):
        raise InputError("A name is text.", field=field)
    return " ".join((name or "").split())[:NAME_CHARS] or None


def moved(ids: list[str], shot_id: str, position: int) -> list[str]:
    """The shot ids with one moved to `position` (clamped), the others keeping their order."""
    if shot_id not in ids:
        raise InputError("That shot is not in this storyboard any more.", field="shot")
    rest = [i for i in ids if i != shot_id]
    at = max(0, min(int(position), len(rest)))
    return [*rest[:at], shot_id, *rest[at:]]


def format_size(ratio: str) -> tuple[int, int]:
    """The storyboard's frame size for a ratio: 720 on the short side, even numbers (16:9 → 1280×720)."""
    w, h = _ratio_parts(ratio)
    if w >= h:
        return _even(SHORT_SIDE * w / h), SHORT_SIDE
    return SHORT_SIDE, _even(SHORT_SIDE * h / w)


def check_ratio(ratio: object) -> str | None:
    """A storyboard format as stored ("16:9"; None or "auto": the first shot's)."""
    if ratio is None or ratio == "auto" or ratio == "":
        return None
    if not isinstance(ratio, str):
        raise InputError("A format is written like 16:9.", field="ratio")
    w, h = _ratio_parts(ratio)
    if not (1 / 4 <= w / h <= 4):
        raise InputError("A storyboard's format must be between 1:4 and 4:1.", field="ratio")
    return f"{w}:{h}"


def board_ratio(board: Storyboard, shots: tuple[ReelShot, ...] | list[ReelShot]) -> str:
    """The format: the board's own, else its first shot's take's, else 16:9."""
    if board.ratio:
        return board.ratio
    for s in shots[:1]:
        if s.take is not None and s.take.aspect_ratio and s.take.aspect_ratio != "auto":
            try:
                return check_ratio(s.take.aspect_ratio) or DEFAULT_RATIO
            except InputError:
                break
    return DEFAULT_RATIO


def _ratio_parts(ratio: str) -> tuple[int, int]:
    try:
        w, h = (int(p) for p in str(ratio).split(":"))
        if w <= 0 or h <= 0:
            raise ValueError
    except ValueError:
        raise InputError(f"Unknown format {str(ratio)[:20]!r}: write it like 16:9.", field="ratio") from None
    return w, h


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


# --- continue from here ------------------------------------------------------------------------------
def continue_model(source: Take, cat: Catalog) -> Model:
    """The source's model when it animates images, else the catalogue's nearest image-to-video model."""
    own = cat.find(source.model)
    if own is not None and I2V in own.modes and own.available:
        return own
    best = cat.alternative(source.model, I2V) or cat.default(I2V)
    if best is None:
        raise InputError(
            "No image-to-video model is available right now to continue this shot.", field="model"
        )
    return best


def continue_request(
    shot: ReelShot, cat: Catalog, *, at: float | None = None, prompt: str | None = None
) -> TakeRequest:
    """Image-to-video from the chosen take's frame at `at` seconds (None: the last frame of the trim),
    same model family and ratio where the model allows; lineage: `continue` from the chosen take.

    The page prices it with the usual estimate and the user confirms before anything is sent."""
    from studio.submission import TakeRequest

    take = shot.take
    if take is None or not shot.ready:
        raise InputError("This shot has no finished take to continue from yet.", field="shot")
    end = shot.trim_out
    if at is None:
        frame_time = max(shot.shot.trim_in, (end or 0.0) - 1 / FPS)
    else:
        if isinstance(at, bool) or not isinstance(at, (int, float)) or not math.isfinite(at) or at < 0:
            raise InputError("Pick a time within the take.", field="frame_time")
        if end is not None and at > end + 1e-6:
            raise InputError(f"Pick a time up to the shot's end ({end:g} s).", field="frame_time")
        frame_time = float(at)
    model = continue_model(take, cat)
    ratios = model.ratios_for(I2V)
    ratio = take.aspect_ratio if take.aspect_ratio in ratios else (ratios[0] if ratios else None)
    duration = take.duration_requested if take.duration_requested is not None else model.default_duration
    return TakeRequest(
        mode=I2V,
        model=model.id,
        prompt=prompt if prompt is not None else take.prompt,
        duration=duration,
        aspect_ratio=ratio,
        source_take_id=take.id,
        frame_time=round(frame_time, 3),
        audio=take.audio and model.audio,
        parent_id=take.id,
        relation=Relation.CONTINUE.value,
        continues_shot=shot.shot.id,
    )
