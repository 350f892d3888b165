"""Board speed: server-side script time of the Board page with 200 ideas / 1,000 takes vs 10 ideas.

    python bench/bench_board.py [--ideas 200] [--per-idea 5] [--runs 15]

Runs the real pages (studio_frame.py → Board) in Streamlit's AppTest against libraries seeded with
completed takes in idea trees (a root, two re-rolls, an edited prompt with its seed kept, and a
final of the edit: five takes an idea, posters shared), and prints the median run time of each
case and their ratio (aim ≤ 1.5×). Both boards show one page (10 ideas); what grows is the library.
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

SUBJECTS = ["a red fox in snow", "neon rain in Tokyo", "a lighthouse in a storm", "a koi pond", "desert wind"]


def _seed(home: Path, ideas: int, per_idea: int) -> int:
    """`ideas` trees of `per_idea` completed takes; returns the number of takes written."""
    from PIL import Image

    from studio.library import Library, NewTake

    lib = Library(home)
    video = lib.store_bytes(b"\x00" * 1024, ".mp4", kind="videos")
    posters = []
    for i in range(8):
        buf = io.BytesIO()
        Image.new("RGB", (480, 270), ((i * 37) % 255, (i * 91) % 255, (i * 53) % 255)).save(buf, "JPEG")
        posters.append(lib.store_bytes(buf.getvalue(), ".jpg", kind="posters"))
    made_total = 0
    for i in range(ideas):
        prompt = f"{SUBJECTS[i % len(SUBJECTS)]} at dusk, slow dolly forward, idea {i}"
        takes: list = []
        for j in range(per_idea):
            parent = None if j == 0 else (takes[3] if j == 4 and per_idea > 4 else takes[0])
            relation = (None, "reroll", "reroll", "lock_seed", "final")[min(j, 4)] if j else None
            text = prompt.replace("dusk", "golden hour") if j >= 3 else prompt
            made, _ = lib.add_batch(
                [
                    NewTake(
                        account="demo",
                        batch_id=f"b{i}-{j}",
                        submission_id=f"bench-{i}-{j}",
                        variant_index=0,
                        mode="text-to-video",
                        model="kling_v3" if relation == "final" else "kling_v3_standard",
                        prompt=text,
                        duration_requested=10 if relation == "final" else 5,
                        duration=10 if relation == "final" else 5,
                        aspect_ratio="16:9",
                        estimated_credits=150,
                        seed=1000 + i * 10 + (j if relation == "reroll" else 0),
                        parent_id=parent.id if parent is not None else None,
                        relation=relation,
                        idea_id=parent.idea_id if parent is not None else None,
                    )
                ]
            )
            take = lib.update(
                made[0].id,
                status="completed",
                video_path=video,
                poster_path=posters[(i + j) % len(posters)],
                job_id=f"job{i}-{j}",
                billed_credits=150,
            )
            takes.append(take)
            made_total += 1
    lib.close()
    return made_total


def _measure(ideas: int, per_idea: int, runs: int) -> dict:
    from streamlit.runtime.scriptrunner import ScriptRunnerEvent
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    from components import wiring

    # Script time = SCRIPT_STARTED → SCRIPT_STOPPED on the script thread (as bench_gallery.py).
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
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            os.environ["STUDIO_HOME"] = str(home)
            n_takes = _seed(home, ideas, per_idea)
            at = AppTest.from_file(str(ROOT / "studio_frame.py"), default_timeout=120)
            at.run()
            at.switch_page("app_pages/board.py")
            at.run()  # warm: imports, gateway, price lookups
            wiring.hub().studio(None).catalog.wait()
            at.run()
            time.sleep(1.0)  # the re-roll prices are fetched in parallel; let them land
            at.run()
            times = []
            for _ in range(runs):
                marks.clear()
                at.run()
                times.append(marks["stop"] - marks["start"])
            assert not at.exception, [e.value for e in at.exception]
            nodes = sum(1 for b in at.button if (b.key or "").startswith("bopen_"))
            rerolls = [b.label for b in at.button if (b.key or "").startswith("breroll_")]
            wiring.reset()
    finally:
        LocalScriptRunner.__init__ = runner_init
    return {
        "takes": n_takes,
        "median_s": statistics.median(times),
        "p90_s": sorted(times)[int(0.9 * (len(times) - 1))],
        "nodes": nodes,
        "exact": sum(1 for label in rerolls if "credits" in label and "approx" not in label),
        "rerolls": len(rerolls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", type=int, default=200)
    parser.add_argument("--per-idea", type=int, default=5)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("STUDIO_DEMO_JOB_SECONDS", "1")

    from components.board import PAGE_SIZE

    small = _measure(PAGE_SIZE, args.per_idea, args.runs)
    large = _measure(args.ideas, args.per_idea, args.runs)
    ratio = large["median_s"] / small["median_s"] if small["median_s"] else float("inf")
    print(f"Board page, server-side script time (AppTest run, median of {args.runs}):")
    for _name, n, r in (("small", PAGE_SIZE, small), ("large", args.ideas, large)):
        print(
            f"  {n:>5,} ideas / {r['takes']:>5,} takes: {r['median_s'] * 1000:7.1f} ms "
            f"(p90 {r['p90_s'] * 1000:.1f} ms) · {r['nodes']} takes drawn, "
            f"{r['exact']}/{r['rerolls']} re-roll buttons with an exact price"
        )
    print(
        f"  ratio {args.ideas:,} ideas vs {PAGE_SIZE}: {ratio:.2f}×  (aim ≤ 1.5×) -> {'OK' if ratio <= 1.5 else 'over'}"
    )


if __name__ == "__main__":
    main()
