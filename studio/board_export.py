"""A storyboard's exports: the stitched film, and a zip of its shots with a JSON manifest of their recipes.

The zip holds each shot's chosen take as its original, untrimmed file (`shots/01 Name.mp4`), the
trims in `manifest.json` (and in the timelines beside them, which reference those files by
relative path, so the unzipped folder opens in an editor as it is).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio import stitch, timeline
from studio.errors import InputError
from studio.stitch import Clip, Progress, StitchResult
from studio.storyboard import Reel, charged, take_recipe

if TYPE_CHECKING:
    from studio.store.base import Library

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


def reel_clips(reel: Reel, library: Library) -> list[Clip]:
    """The storyboard's chosen takes as clips, in order; refuses while a shot has no finished take."""
    missing = reel.not_ready()
    if missing:
        raise InputError(f"These shots have no finished take yet: {', '.join(missing)}.", field="storyboard")
    return [
        Clip(library.path(s.take.video_path or ""), s.shot.trim_in, s.shot.trim_out, s.shot.label())
        for s in reel.shots
        if s.take is not None
    ]


def stitch_reel(
    reel: Reel, library: Library, out_path: Path, *, progress: Progress | None = None
) -> StitchResult:
    """The storyboard as one MP4 at its format (`Reel.size`), made locally (see studio.stitch)."""
    width, height = reel.size
    return stitch.stitch(reel_clips(reel, library), out_path, width, height, progress=progress)


def shot_file(position: int, label: str) -> str:
    """A shot's file name in the zip: its number and a tame version of its name (never a path)."""
    tame = " ".join(re.sub(r"[^A-Za-z0-9 _-]+", " ", label).split())[:40].strip() or "shot"
    return f"shots/{position + 1:02d} {tame}.mp4"


def manifest(reel: Reel, library: Library) -> dict[str, Any]:
    """What the zip says about the storyboard: its totals and each shot's recipe, trims and lineage."""
    shots = []
    for s in reel.shots:
        take = s.take
        if take is None:
            continue
        chain = library.lineage(take.id)[:-1]  # the ancestors, root first
        shots.append(
            {
                "position": s.shot.position,
                "name": s.shot.label(),
                "file": shot_file(s.shot.position, s.shot.label()),
                "trim_in": s.shot.trim_in,
                "trim_out": s.trim_out,
                "length": round(s.length, 3),
                "recipe": take_recipe(take),
                "lineage": [
                    {"take_id": t.id, "relation": t.relation, "model": t.model, "prompt": t.prompt}
                    for t in chain
                ],
                "candidates": [{"take_id": c.id, "credits": charged(c)} for c in s.candidates],
            }
        )
    spend = reel.spend
    width, height = reel.size
    return {
        "manifest_version": MANIFEST_VERSION,
        "storyboard": {"id": reel.board.id, "name": reel.board.name, "ratio": reel.ratio},
        "totals": {
            "shots": len(shots),
            "length": reel.length,
            "width": width,
            "height": height,
            "credits": spend.credits,
            "billed_credits": spend.billed,
            "estimated_credits": spend.estimated,
            "estimated_takes": spend.estimated_takes,
        },
        "shots": shots,
        "exported_at": time.time(),
    }


def export_zip(reel: Reel, library: Library, out_path: Path) -> Path:
    """Write the storyboard's zip (shots, manifest, timelines) to `out_path` atomically."""
    clips = reel_clips(reel, library)  # refuses while a shot is not finished
    data = manifest(reel, library)
    names = {str(c.path.resolve()): e["file"] for c, e in zip(clips, data["shots"], strict=True)}
    tl = timeline.build(reel, library, url_of=lambda p: names.get(str(p.resolve()), p.name))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        with zipfile.ZipFile(tmp, "w") as box:
            for clip, entry in zip(clips, data["shots"], strict=True):
                box.write(clip.path, entry["file"], compress_type=zipfile.ZIP_STORED)  # already compressed
            text = json.dumps(data, indent=2, ensure_ascii=False)
            box.writestr(MANIFEST, text, compress_type=zipfile.ZIP_DEFLATED)
            for kind in timeline.TimelineFormat:
                box.writestr(
                    f"timeline.{kind.value}", timeline.render(tl, kind), compress_type=zipfile.ZIP_DEFLATED
                )
        os.replace(tmp, out_path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return out_path
