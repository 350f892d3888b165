"""Benchmark: how fast a finished job lands in the library, and what following costs.

Prints, for streaming (SSE) against plain 2-second polling in the same run:
- the time from the gateway marking a job completed to the take being complete in the library
  (video downloaded, poster made): p50 / p95 over N jobs, and the ratio polling / streaming;
- HTTP requests per job for a long job (60 s by default);
- peak threads and memory while N jobs are followed at once.

    python bench/bench_jobs.py            # 50 jobs, a 60-second job
    python bench/bench_jobs.py --quick    # 10 jobs, a 10-second job
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_gateway import DemoGateway  # noqa: E402
from studio.api.v1 import V1Backend  # noqa: E402
from studio.jobs import JobManager, TakeRequest  # noqa: E402
from studio.library import Library, account_fingerprint  # noqa: E402

KEY = "varg_bench_key"


class Sampler:
    """Samples this process's thread count and RSS every few milliseconds."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak_threads = 0
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_threads = max(self.peak_threads, self.proc.num_threads())
            self.peak_rss = max(self.peak_rss, self.proc.memory_info().rss)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_jobs(mode: str, n: int, job_seconds: float, workdir: Path) -> dict:
    gw = DemoGateway(workdir / f"gw-{mode}", job_seconds=job_seconds, initial_balance=10**9).start()
    client = V1Backend(gw.v1_url, KEY, timeout=(5.0, 60.0))
    library = Library(workdir / f"home-{mode}")
    mgr = JobManager(client, library, account_fingerprint(KEY), follow_mode=mode, poll_interval=2.0)
    base_threads = psutil.Process().num_threads()
    base_rss = psutil.Process().memory_info().rss
    try:
        with Sampler() as sampler:
            takes = []
            for i in range(n):
                req = TakeRequest(
                    mode="text-to-video", model="sora-2", prompt=f"bench scene {i}, dusk sea", duration=4
                )
                takes.extend(mgr.submit(req, f"{mode}-{i}").takes)
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                if all(not library.get(t.id).is_open for t in takes):
                    break
                time.sleep(0.05)
        lags = []
        for t in takes:
            done = library.get(t.id)
            assert done.status == "completed", (done.status, done.error)
            gw_done = gw.job_completed_at(done.job_id)
            lags.append(done.completed_at - gw_done)
        stats = gw.stats()
        api_requests = sum(v for k, v in stats["requests"].items() if " /v1/" in k)
        return {
            "lags": lags,
            "requests_per_job": api_requests / n,
            "threads": sampler.peak_threads - base_threads,
            "rss_mb": (sampler.peak_rss - base_rss) / 1e6,
        }
    finally:
        mgr.shutdown()
        client.close()
        gw.stop()


def follow_footprint(n: int, workdir: Path) -> tuple[int, float, int]:
    """Peak threads and RSS of THIS process while it follows n jobs of a gateway in another process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gw = subprocess.Popen(
        [sys.executable, "-m", "demo_gateway", "--port", str(port), "--data-dir",
         str(workdir / "gw-footprint"), "--job-seconds", "8", "--balance", str(10**9)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        gw.stdout.readline()  # the "serving at" line
        client = V1Backend(f"http://127.0.0.1:{port}/v1", KEY, timeout=(5.0, 60.0))
        library = Library(workdir / "home-footprint")
        base_threads = psutil.Process().num_threads()
        base_rss = psutil.Process().memory_info().rss
        mgr = JobManager(client, library, account_fingerprint(KEY), poll_interval=2.0)
        with Sampler() as sampler:
            takes = [
                t
                for i in range(n)
                for t in mgr.submit(
                    TakeRequest(mode="text-to-video", model="sora-2", prompt=f"footprint {i}", duration=4),
                    f"fp-{i}",
                ).takes
            ]
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and any(library.get(t.id).is_open for t in takes):
                time.sleep(0.1)
        done = sum(library.get(t.id).status == "completed" for t in takes)
        mgr.shutdown()
        client.close()
        return sampler.peak_threads - base_threads, (sampler.peak_rss - base_rss) / 1e6, done
    finally:
        gw.terminate()
        gw.wait(10)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=50)
    ap.add_argument("--long-seconds", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.jobs, args.long_seconds = 10, 10.0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"Completion → library latency, {args.jobs} jobs each (job time 2 s, 4 s 720p renders)")
        results = {mode: run_jobs(mode, args.jobs, 2.0, work) for mode in ("stream", "poll")}
        s, p = results["stream"]["lags"], results["poll"]["lags"]
        print(f"{'':10}{'p50 s':>9}{'p95 s':>9}{'mean s':>9}")
        for name, lags in (("stream", s), ("poll 2s", p)):
            print(f"{name:10}{pct(lags, 0.5):9.3f}{pct(lags, 0.95):9.3f}{statistics.mean(lags):9.3f}")
        print(
            f"ratio poll/stream: p50 {pct(p, 0.5) / pct(s, 0.5):.1f}×, p95 {pct(p, 0.95) / pct(s, 0.95):.1f}×"
        )
        threads, rss, done = follow_footprint(args.jobs, work)
        print(
            f"\nFollowing {args.jobs} jobs at once (gateway in its own process; {done} completed): "
            f"peak extra threads {threads}, peak extra RSS {rss:.0f} MB in the studio process"
        )
        print(f"\nHTTP requests per job for a {args.long_seconds:g}-second job (3 jobs, both modes at once)")
        long = {}
        threads = [
            threading.Thread(
                target=lambda m=mode: long.__setitem__(m, run_jobs(m, 3, args.long_seconds, work / "long"))
            )
            for mode in ("stream", "poll")
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rs, rp = long["stream"]["requests_per_job"], long["poll"]["requests_per_job"]
        print(f"stream {rs:.1f} requests/job · poll {rp:.1f} requests/job · ratio {rp / rs:.1f}×")


if __name__ == "__main__":
    main()
