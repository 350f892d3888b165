"""Load: N concurrent studio sessions, each submitting M jobs through the real Text-to-video page.

A "session" is a `streamlit.testing.v1.AppTest` of `studio_frame.py` (the pages of `studio_app.py`):
its own session state, its own typed API key (its own account, job tray and spend), driving the real
page (type a prompt, click Generate) in one studio process, round-robin, while the jobs it already
submitted run. The local gateway runs in its own process (`python -m demo_gateway`) on loopback, so
the figures below are the studio's own. Bounded: a fixed number of jobs and a deadline.

Reports jobs completed, lost (must be 0), duplicated (must be 0: library takes vs submissions,
gateway creates vs unique job ids), peak follower threads and memory (psutil), and the slowest
page script run during the load against the same page with nothing running (ratio).

    python bench/bench_load.py                                  # 10 sessions × 10 jobs
    python bench/bench_load.py --sessions 3 --jobs-per-session 3 --json
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
APP = str(ROOT / "studio_frame.py")  # the pages; `studio_app.py` is the st.App around them


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


ADMIN_TOKEN = "bench-load-" + os.urandom(8).hex()  # the gateway serves /_admin/* only with a token


def _get(url: str) -> dict:
    req = urllib.request.Request(url, headers={"X-Admin-Token": ADMIN_TOKEN})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)


class Sampler:
    """Peak threads (all, and the core's followers), RSS and open takes of this process."""

    def __init__(self, open_takes) -> None:
        self.proc = psutil.Process()
        self.open_takes = open_takes
        self.peak_threads = self.peak_followers = self.peak_rss = self.peak_open = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_threads = max(self.peak_threads, self.proc.num_threads())
            followers = sum(t.name.startswith("follow-") for t in threading.enumerate())
            self.peak_followers = max(self.peak_followers, followers)
            self.peak_rss = max(self.peak_rss, self.proc.memory_info().rss)
            try:
                self.peak_open = max(self.peak_open, self.open_takes())
            except Exception:  # a busy library read: the next sample will do
                pass

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Session:
    index: int
    key: str
    account: str
    at: object
    submitted: list[str] = field(default_factory=list)  # prompts whose Generate said "Submitted"
    refused: list[str] = field(default_factory=list)  # messages of clicks that did not submit


def _timed_run(at, times: list[float]) -> None:
    """One page script run (with any reruns it triggers), timed; a page exception stops the bench."""
    t0 = time.perf_counter()
    at.run()
    times.append(time.perf_counter() - t0)
    if at.exception:
        raise RuntimeError(f"the page raised: {[e.value for e in at.exception]}")


def run(
    sessions: int,
    jobs_per_session: int,
    *,
    job_seconds: float = 3.0,
    model: str = "sora-2",
    duration: int = 4,
    timeout: float = 600.0,
    one_account: bool = False,
) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = _free_port()
    gw_url = f"http://127.0.0.1:{port}"
    gw = subprocess.Popen(
        [sys.executable, "-m", "demo_gateway", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(work / "gateway"), "--job-seconds", str(job_seconds),
         "--balance", str(10**9), "--log-level", "WARNING", "--admin-token", ADMIN_TOKEN],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={k: v for k, v in os.environ.items() if k not in ("VARG_API_KEY", "VARG_LOCAL_FAULTS")},
    )  # fmt: skip
    try:
        assert gw.stdout is not None
        gw.stdout.readline()  # the "Local varg gateway ... at" line: it is serving
        os.environ["STUDIO_HOME"] = str(work / "home")
        os.environ["VARG_BASE_URL"] = gw_url + "/v1"
        os.environ.pop("VARG_API_KEY", None)
        os.environ.pop("STUDIO_GATEWAY_PORT", None)
        os.environ.pop("STUDIO_SESSION_BUDGET", None)
        return _drive(sessions, jobs_per_session, gw_url, model, duration, timeout, one_account)
    finally:
        from components import wiring

        wiring.reset()
        gw.terminate()
        try:
            gw.wait(10)
        except subprocess.TimeoutExpired:
            gw.kill()


def _drive(
    n_sessions: int,
    per_session: int,
    gw_url: str,
    model: str,
    duration: int,
    timeout: float,
    one_account: bool,
) -> dict:
    from streamlit.testing.v1 import AppTest

    from components import wiring
    from studio.library import account_fingerprint

    logging_quiet()
    # Idle baseline: the same page, one session, nothing running anywhere.
    idle = AppTest.from_file(APP, default_timeout=120)
    idle.run()  # first run imports everything: not counted
    idle.text_input(key="conn_key_input").input("varg_load_idle_" + os.urandom(6).hex()).run()
    if not any(t.value == "Text to video" for t in idle.title):
        raise RuntimeError("the idle session is not on the Text to video page")
    idle_times: list[float] = []
    for _ in range(6):
        _timed_run(idle, idle_times)

    sessions: list[Session] = []
    for i in range(n_sessions):
        key = "varg_load_shared_key_0" if one_account else f"varg_load_session_{i:02d}_{os.urandom(6).hex()}"
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        at.text_input(key="conn_key_input").input(key).run()
        at.selectbox(key="t2v_model").set_value(model).run()
        # The duration is a slider (a range of seconds) or pills (a list), whichever the model has:
        # set its state and let the page check it against the model, as it does any saved value.
        at.session_state["t2v_duration"] = duration
        at.run()
        sessions.append(Session(i, key, account_fingerprint(key), at))
    accounts = sorted({s.account for s in sessions})
    studios = [wiring.hub().studio(s.key) for s in sessions]
    library = studios[0].library

    def open_takes() -> int:
        return sum(len(library.open_takes(a)) for a in accounts)

    busy_times: list[float] = []
    started = time.monotonic()
    with Sampler(open_takes) as sampler:
        for job in range(per_session):
            for s in sessions:
                prompt = f"Load session {s.index} job {job}: a lighthouse at dusk, waves, slow dolly"
                s.at.text_area(key="t2v_prompt").input(prompt)
                _timed_run(s.at, busy_times)
                s.at.button(key="t2v_generate").click()
                _timed_run(s.at, busy_times)
                if any("Submitted: 1 take rendering" in x.value for x in s.at.success):
                    s.submitted.append(prompt)
                else:
                    s.refused.append(" | ".join(e.value for e in s.at.error) or "no outcome shown")
        submit_seconds = time.monotonic() - started
        # Everyone keeps the studio open (the page re-runs, like the tray's ticks) until all finish.
        deadline = started + timeout
        while time.monotonic() < deadline and open_takes():
            for s in sessions:
                _timed_run(s.at, busy_times)
            time.sleep(0.2)
        total_seconds = time.monotonic() - started

    expected = n_sessions * per_session
    takes = [t for a in accounts for t in library.list(a, limit=None)]
    by_status: dict[str, int] = {}
    for t in takes:
        by_status[t.status] = by_status.get(t.status, 0) + 1
    submissions = {(t.account, t.submission_id, t.variant_index) for t in takes}
    job_ids = [t.job_id for t in takes if t.job_id]
    stats = _get(gw_url + "/_admin/stats")
    submitted_prompts = {(s.account, p) for s in sessions for p in s.submitted}
    found_prompts = {(t.account, t.prompt) for t in takes}
    missing = len(submitted_prompts - found_prompts) + sum(len(s.refused) for s in sessions)
    completed = by_status.get("completed", 0)
    duplicated = (
        (len(takes) - len(submissions))
        + (len(job_ids) - len(set(job_ids)))
        + max(0, stats["creates"] - len(set(job_ids)))
        + max(0, len(takes) - expected)
    )
    idle_median = statistics.median(idle_times)
    slowest = max(busy_times)
    return {
        "sessions": n_sessions,
        "jobs_per_session": per_session,
        "accounts": len(accounts),
        "model": model,
        "duration_s": duration,
        "expected": expected,
        "submitted": sum(len(s.submitted) for s in sessions),
        "refused": [m for s in sessions for m in s.refused],
        "completed": completed,
        "by_status": by_status,
        "lost": expected - completed,
        "missing": missing,
        "duplicated": duplicated,
        "library_takes": len(takes),
        "gateway_creates": stats["creates"],
        "unique_job_ids": len(set(job_ids)),
        "output_downloads_with_auth": stats["output_downloads_with_auth"],
        "peak_threads": sampler.peak_threads,
        "peak_follower_threads": sampler.peak_followers,
        "peak_open_takes": sampler.peak_open,
        "peak_rss_mb": round(sampler.peak_rss / 1e6, 1),
        "page_runs": len(busy_times),
        "idle_script_ms_median": round(idle_median * 1000, 1),
        "busy_script_ms_median": round(statistics.median(busy_times) * 1000, 1),
        "busy_script_ms_p95": round(sorted(busy_times)[int(0.95 * (len(busy_times) - 1))] * 1000, 1),
        "slowest_script_ms": round(slowest * 1000, 1),
        "slowest_vs_idle": round(slowest / idle_median, 1),
        "submit_phase_s": round(submit_seconds, 1),
        "total_s": round(total_seconds, 1),
        "timed_out": total_seconds >= timeout,
    }


def logging_quiet() -> None:
    import logging

    for name in ("streamlit", "studio", "varg_studio", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--jobs-per-session", type=int, default=10)
    ap.add_argument("--job-seconds", type=float, default=3.0, help="gateway job time (default 3)")
    ap.add_argument("--model", default="sora-2")
    ap.add_argument("--duration", type=int, default=4, help="seconds of video per job (default 4)")
    ap.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
    ap.add_argument("--one-account", action="store_true", help="all sessions share one key")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args()
    if args.sessions < 1 or args.jobs_per_session < 1:
        ap.error("--sessions and --jobs-per-session must be at least 1")
    r = run(
        args.sessions,
        args.jobs_per_session,
        job_seconds=args.job_seconds,
        model=args.model,
        duration=args.duration,
        timeout=args.timeout,
        one_account=args.one_account,
    )
    if args.json:
        print(json.dumps(r))
    else:
        print(
            f"{r['sessions']} sessions × {r['jobs_per_session']} jobs ({r['model']}, {r['duration_s']} s) "
            f"on {r['accounts']} account(s), gateway in its own process"
        )
        print(
            f"jobs: {r['expected']} expected · {r['submitted']} submitted · {r['completed']} completed · "
            f"lost {r['lost']} · duplicated {r['duplicated']}"
        )
        print(
            f"proof: library takes {r['library_takes']} · gateway creates {r['gateway_creates']} · "
            f"unique job ids {r['unique_job_ids']} · statuses {r['by_status']}"
        )
        print(
            f"peak: {r['peak_follower_threads']} follower threads ({r['peak_threads']} threads in all) · "
            f"{r['peak_open_takes']} takes open at once · RSS {r['peak_rss_mb']:.0f} MB"
        )
        print(
            f"page script (Text to video, {r['page_runs']} runs under load): idle median "
            f"{r['idle_script_ms_median']:.0f} ms · busy median {r['busy_script_ms_median']:.0f} ms · "
            f"p95 {r['busy_script_ms_p95']:.0f} ms · slowest {r['slowest_script_ms']:.0f} ms "
            f"= {r['slowest_vs_idle']:.1f}× idle"
        )
        print(f"time: submit phase {r['submit_phase_s']} s · all done {r['total_s']} s")
    return 0 if r["lost"] == 0 and r["duplicated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
