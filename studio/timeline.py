"""A storyboard as an editor's timeline: OpenTimelineIO, and FCP 7 XML and CMX 3600 EDL through its adapters.

One video track at 24 fps; each shot a clip named after the shot, referencing its chosen take's
video file (a file URL: the editor opens the library's own files) with the take's whole length as
the media's available range and the trim as the clip's source range. Each clip's metadata holds
the take's recipe under "varg_studio". Exports are written atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import opentimelineio as otio

from studio.errors import InputError
from studio.stitch import Clip, probe
from studio.store.media_files import atomic_write_bytes
from studio.storyboard import FPS, Reel, ReelShot, take_duration, take_recipe

if TYPE_CHECKING:
    from studio.store.base import Library

RATE = FPS
METADATA_KEY = "varg_studio"


class TimelineFormat(StrEnum):
    """The editor formats a storyboard exports to (the value is the file suffix)."""

    OTIO = "otio"  # OpenTimelineIO (Resolve, Premiere through its OTIO support, Nuke Studio, ...)
    FCP_XML = "xml"  # Final Cut Pro 7 XML (Premiere, Resolve, Final Cut Pro X through a converter)
    EDL = "edl"  # CMX 3600 (every editor)


_ADAPTERS = {
    TimelineFormat.OTIO: "otio_json",
    TimelineFormat.FCP_XML: "fcp_xml",
    TimelineFormat.EDL: "cmx_3600",
}


def _frames(seconds: float) -> int:
    return round(seconds * RATE)


def _media_length(shot: ReelShot, path: Path) -> float:
    """The take's real length from its file (the gateway's figure when the file cannot be read)."""
    try:
        return probe(Clip(path)).duration
    except InputError:
        return take_duration(shot.take) or 0.0 if shot.take is not None else 0.0


def build(
    reel: Reel, library: Library, *, url_of: Callable[[Path], str] | None = None
) -> otio.schema.Timeline:
    """The storyboard as an OTIO timeline; `url_of` makes a media file's URL (default: its file URL)."""
    missing = reel.not_ready()
    if missing:
        raise InputError(f"These shots have no finished take yet: {', '.join(missing)}.", field="storyboard")
    to_url = url_of or (lambda p: p.resolve().as_uri())
    timeline = otio.schema.Timeline(name=reel.board.name)
    timeline.metadata[METADATA_KEY] = {
        "storyboard_id": reel.board.id,
        "ratio": reel.ratio,
        "length": reel.length,
        "credits": reel.spend.credits,
    }
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for number, shot in enumerate(reel.shots, start=1):
        take = shot.take
        assert take is not None and take.video_path  # not_ready() said so
        path = library.path(take.video_path)
        whole = _frames(_media_length(shot, path))
        start = min(_frames(shot.shot.trim_in), max(0, whole - 1))
        end = min(_frames(shot.trim_out or 0.0), whole) if shot.shot.trim_out is not None else whole
        ref = otio.schema.ExternalReference(
            target_url=to_url(path),
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, RATE), otio.opentime.RationalTime(whole, RATE)
            ),
        )
        clip = otio.schema.Clip(
            name=shot.shot.label(),
            media_reference=ref,
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(start, RATE), otio.opentime.RationalTime(max(1, end - start), RATE)
            ),
        )
        clip.metadata[METADATA_KEY] = {
            "shot_id": shot.shot.id,
            "position": shot.shot.position,
            **take_recipe(take),
        }
        clip.metadata["cmx_3600"] = {"reel": f"SHOT{number:03d}"}  # EDL reel names: 8 characters at most
        track.append(clip)
    return timeline


def render(timeline: otio.schema.Timeline, fmt: TimelineFormat | str) -> str:
    """The timeline as the text of one format."""
    kind = TimelineFormat(fmt)
    if kind is TimelineFormat.EDL:
        return str(otio.adapters.write_to_string(timeline, _ADAPTERS[kind], rate=RATE))
    return str(otio.adapters.write_to_string(timeline, _ADAPTERS[kind]))


def export(
    reel: Reel,
    library: Library,
    out_path: Path,
    fmt: TimelineFormat | str | None = None,
    *,
    url_of: Callable[[Path], str] | None = None,
) -> Path:
    """Write the storyboard's timeline to `out_path`, in `fmt` (default: by the file's suffix)."""
    out_path = Path(out_path)
    kind = TimelineFormat(fmt) if fmt is not None else TimelineFormat(out_path.suffix.lstrip(".").lower())
    text = render(build(reel, library, url_of=url_of), kind)
    return atomic_write_bytes(out_path, text.encode("utf-8"))


def export_all(
    reel: Reel, library: Library, folder: Path, stem: str = "timeline"
) -> dict[TimelineFormat, Path]:
    """Every format at once, `<stem>.otio`, `.xml` and `.edl` in `folder`."""
    timeline = build(reel, library)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {
        kind: atomic_write_bytes(folder / f"{stem}.{kind.value}", render(timeline, kind).encode("utf-8"))
        for kind in TimelineFormat
    }
