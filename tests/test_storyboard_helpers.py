"""Helpers (no tests): finished takes with real demo-rendered videos, for the storyboard and export tests."""

from __future__ import annotations

import uuid
from pathlib import Path

from demo_gateway.render import render_text_to_video
from studio.library import Library, NewTake
from studio.take import Take


def finished_take(
    lib: Library,
    prompt: str,
    seconds: float,
    ratio: str = "16:9",
    *,
    model: str = "kling-v3",
    billed: int | None = None,
    estimated: int = 100,
    parent: Take | None = None,
    relation: str | None = None,
    seed: int | None = 7,
) -> Take:
    """A completed take whose video is a real MP4 rendered by the demo renderer into the library."""
    sub = uuid.uuid4().hex
    [take], _ = lib.add_batch(
        [
            NewTake(
                account="demo",
                batch_id="b_" + sub[:8],
                submission_id=sub,
                variant_index=0,
                mode="text-to-video",
                model=model,
                prompt=prompt,
                duration_requested=seconds,
                duration=seconds,
                aspect_ratio=ratio,
                estimated_credits=estimated,
                seed=seed,
                parent_id=parent.id if parent else None,
                relation=relation,
                idea_id=parent.idea_id if parent else None,
            )
        ]
    )
    rel = lib.new_media_path(".mp4", kind="videos")
    render_text_to_video(prompt, seconds, ratio, Path(lib.path(rel)))
    return lib.update(
        take.id, status="completed", job_id="job_" + sub[:8], video_path=rel, billed_credits=billed
    )
