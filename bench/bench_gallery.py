"""Gallery speed: server-side script time with 1,000 takes vs none, page payload, session-state check.

    python bench/bench_gallery.py [--takes 1000] [--runs 15]

Runs the real pages (studio_frame.py → Gallery) in Streamlit's AppTest, against a library seeded with
completed takes (each with its own poster), and prints the median run time of each case, their
ratio (aim ≤ 2×), the bytes of the page's messages, the poster bytes the browser then fetches,
and whether any media bytes sit in session state.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _seed(home: Path, n: int) -> int:
    """n completed takes with distinct posters; returns the poster bytes written."""
    from PIL import Image

    from studio.library import Library, NewTake

    lib = Library(home)
    video = lib.store_bytes(b"\x00" * 1024, ".mp4", kind="videos")
    total = 0
    prompts = ["harbour at night", "desert wind", "neon rain", "forest dawn", "glacier", "city timelapse"]
    for i in range(n):
        buf = io.BytesIO()
        Image.new("RGB", (480, 270), ((i * 37) % 255, (i * 91) % 255, (i * 53) % 255)).save(
            buf, "JPEG", quality=80
        )
        poster = lib.store_bytes(buf.getvalue(), ".jpg", kind="posters")
        total += len(buf.getvalue())
        made, _ = lib.add_batch(
            [
                NewTake(
                    account="demo",
                    batch_id=f"b{i}",
                    submission_id=f"bench-{i}",
                    variant_index=0,
                    mode=("text-to-video", "image-to-video", "remix")[i % 3],
                    model=("sora-2", "sora-2-pro", "sora-2-remix")[i % 3],
                    prompt=f"{prompts[i % len(prompts)]} take {i}",
                    duration_requested=8,
                    duration=8,
                    aspect_ratio="16:9",
                    estimated_credits=100,
                )
            ]
        )
        lib.update(made[0].id, status="completed", video_path=video, poster_path=poster, job_id=f"job{i}")
    lib.close()
    return total


def _measure(n_takes: int, runs: int) -> dict:
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
    from streamlit.runtime.scriptrunner import ScriptRunnerEvent
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    from components import wiring

    # Script time = SCRIPT_STARTED → SCRIPT_STOPPED on the script thread (AppTest's own polling
    # and tree parsing are left out).
    marks: dict[str, float] = {}
    runner_init = LocalScriptRunner.__init__

    def timed_init(self, *args, **kwargs):
        runner_init(self, *args, **kwargs)

        def record(sender, event, **_kw):
            if event == ScriptRunnerEvent.SCRIPT_STARTED:
                marks.setdefault("start", time.perf_counter())
            elif event in (
                ScriptRunnerEvent.SCRIPT_STOPPED_WITH_SUCCESS,
                ScriptRunnerEvent.SCRIPT_STOPPED_WITH_COMPILE_ERROR,
                ScriptRunnerEvent.SCRIPT_STOPPED_FOR_RERUN,
            ):
                marks["stop"] = time.perf_counter()

        self.on_event.connect(record, weak=False)

    LocalScriptRunner.__init__ = timed_init
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["STUDIO_HOME"] = str(home)
        poster_bytes_all = _seed(home, n_takes) if n_takes else 0
        at = AppTest.from_file(str(ROOT / "studio_frame.py"), default_timeout=120)
        at.run()
        at.switch_page("app_pages/gallery.py")
        at.run()  # warm: imports, gateway, caches
        times = []
        walls = []
        for _ in range(runs):
            marks.clear()
            t0 = time.perf_counter()
            at.run()
            walls.append(time.perf_counter() - t0)
            times.append(marks["stop"] - marks["start"])
        sizes: list[int] = []
        ForwardMsgQueue._before_enqueue_msg = staticmethod(lambda msg: sizes.append(msg.ByteSize()))
        try:
            at.run()
        finally:
            ForwardMsgQueue._before_enqueue_msg = None
        assert not at.exception, [e.value for e in at.exception]
        images = len(at.image)
        state = {k: at.session_state[k] for k in at.session_state}
        media_in_state = _media_bytes(state)
        wiring.reset()
    LocalScriptRunner.__init__ = runner_init
    per_poster = poster_bytes_all / n_takes if n_takes else 0
    return {
        "median_s": statistics.median(times),
        "p90_s": sorted(times)[int(0.9 * (len(times) - 1))],
        "wall_s": statistics.median(walls),
        "payload_bytes": sum(sizes),
        "messages": len(sizes),
        "posters_shown": images,
        "poster_bytes_fetched": int(per_poster * images),
        "state_keys": len(state),
        "media_bytes_in_state": media_in_state,
    }


def _media_bytes(value, seen: set[int] | None = None) -> int:
    """Bytes-like payloads anywhere in session state (ids and small strings do not count)."""
    seen = seen or set()
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value)
    if isinstance(value, dict):
        return sum(_media_bytes(v, seen) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return sum(_media_bytes(v, seen) for v in value)
    if hasattr(value, "getvalue"):  # an UploadedFile / BytesIO
        return len(value.getvalue())
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("STUDIO_DEMO_JOB_SECONDS", "1")

    from components.gallery_grid import PAGE_SIZE

    empty = _measure(0, args.runs)
    page = _measure(PAGE_SIZE, args.runs)
    full = _measure(args.takes, args.runs)
    ratio = full["median_s"] / empty["median_s"] if empty["median_s"] else float("inf")
    scale = full["median_s"] / page["median_s"] if page["median_s"] else float("inf")
    print(f"Gallery page, server-side script time (AppTest run, median of {args.runs}):")
    for n, r in ((0, empty), (PAGE_SIZE, page), (args.takes, full)):
        print(f"  {n:>6,} takes: {r['median_s'] * 1000:7.1f} ms  (p90 {r['p90_s'] * 1000:.1f} ms)")
    print(f"  ratio {args.takes:,} vs none: {ratio:.2f}×  (aim ≤ 2×) -> {'OK' if ratio <= 2 else 'over'}")
    print(
        f"  ratio {args.takes:,} vs one page ({PAGE_SIZE}): {scale:.2f}×  "
        "(the library's size itself; none draws only the empty state)"
    )
    print(
        f"  (AppTest wall time incl. its polling: {empty['wall_s'] * 1000:.1f} ms vs "
        f"{full['wall_s'] * 1000:.1f} ms)"
    )
    print("Page payload (ForwardMsgs of one run):")
    for name, r in (("empty", empty), ("full", full)):
        print(
            f"  {name:>5}: {r['payload_bytes']:,} bytes in {r['messages']} messages; "
            f"{r['posters_shown']} posters served separately (~{r['poster_bytes_fetched']:,} bytes)"
        )
    for name, r in (("empty", empty), ("full", full)):
        clean = r["media_bytes_in_state"] == 0
        print(
            f"Session state ({name}): {r['state_keys']} keys, media bytes: {r['media_bytes_in_state']:,} "
            f"-> {'no media bytes in session state' if clean else 'MEDIA BYTES FOUND'}"
        )


if __name__ == "__main__":
    main()
