"""Benchmark: three ways of following a job, measured in one run against the real demo gateway.

    v1-sse      V1Backend on gateway.v1_url, JobManager(follow_mode="stream")  (the baseline)
    v2-poll     V2Backend on gateway.v2_url, JobManager(webhook_url=None): adaptive polling
    v2-webhook  V2Backend on gateway.v2_url, JobManager(webhook_url=<a receiver in this process>);
                the receiver checks `studio.webhooks.verify` and calls `JobManager.deliver`

For each it measures:
  1. completion → library lag: `take.completed_at - gateway.job_completed_at(job_id)` (both
     `time.time()` of this one process; the gateway's figure is the job's scheduled end, or the
     end of its render when that is later), p50 / p95 over `--jobs` short jobs per mode, the
     modes one after another, submissions spread `--spacing` s apart (renders all finish before
     the first job ends, so completions do not compete with renders for the CPU);
  2. HTTP requests the studio sent to the gateway's API per job for a `--long-seconds` job
     (`--long-jobs` per mode, all modes at once): deltas of `gateway.stats()["requests"]` over
     /v1/* and /v2/* routes, without `/files*` (uploads) and the output downloads (`/o/*`).

    python bench/bench_follow.py                       # 20 jobs per mode, 3 × 60 s jobs per mode
    python bench/bench_follow.py --jobs 5 --long-seconds 10   # a quick look

Loopback only; the library lives in a temporary STUDIO_HOME.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.concurrency import run_in_threadpool  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from demo_gateway import DemoGateway  # noqa: E402
from studio import webhooks  # noqa: E402
from studio.api.v1 import V1Backend  # noqa: E402
from studio.api.v2 import V2Backend  # noqa: E402
from studio.errors import StudioError  # noqa: E402
from studio.jobs import JobManager, TakeRequest  # noqa: E402
from studio.library import Library, account_fingerprint  # noqa: E402
from studio.settings import load_settings  # noqa: E402

MODES = ("v1-sse", "v2-poll", "v2-webhook")
BASELINE = "v1-sse"
MODEL = "minimax"  # 1 s clips: the demo render stays cheap, so the figures are the following's
CLIP_SECONDS = 1
AIMS = {  # from the issue: (p95 lag s, requests per long job)
    "v2-webhook": (0.3, 3),
    "v2-poll": (1.0, 15),
}

log = logging.getLogger("bench_follow")


# --- the webhook receiver -------------------------------------------------------------------------
class Receiver:
    """A Starlette app on uvicorn (loopback, a daemon thread) standing in for the studio's hook route."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.managers: list[JobManager] = []
        self.received = self.bad_signature = self.delivered = 0
        self._lock = threading.Lock()
        app = Starlette(routes=[Route("/hooks/varg", self._hook, methods=["POST"])])
        self._server = uvicorn.Server(
            uvicorn.Config(app, lifespan="off", log_config=None, log_level="warning", access_log=False)
        )
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hooks/varg"
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="webhook-receiver", daemon=True
        )

    async def _hook(self, request: Request) -> PlainTextResponse:
        body = await request.body()
        with self._lock:
            self.received += 1
        if not webhooks.verify(self.secret, body, request.headers.get(webhooks.HEADER)):
            with self._lock:
                self.bad_signature += 1
            return PlainTextResponse("bad signature", status_code=401)
        try:
            job = webhooks.job_of(body)
        except StudioError:
            return PlainTextResponse("not a job", status_code=400)
        for manager in list(self.managers):
            if await run_in_threadpool(manager.deliver, job):
                with self._lock:
                    self.delivered += 1
                return PlainTextResponse("delivered")
        return PlainTextResponse("nothing to do", status_code=202)

    def start(self) -> Receiver:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.005)
        if not self._server.started:
            raise OSError("the webhook receiver did not start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=3)


# --- one way of following ---------------------------------------------------------------------------
@dataclass
class Mode:
    name: str
    gateway: DemoGateway
    manager: JobManager
    lags: list[float] = field(default_factory=list)
    long_lags: list[float] = field(default_factory=list)
    long_requests: dict[str, int] = field(default_factory=dict)
    long_jobs: int = 0
    failures: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.manager.shutdown(wait=False)
        self.manager.backend.close()
        self.gateway.stop()


def open_mode(
    name: str, work: Path, library: Library, receiver: Receiver, secret: str, job_seconds: float
) -> Mode:
    gw = DemoGateway(
        work / f"gateway-{name}", job_seconds=job_seconds, initial_balance=10**9, webhook_secret=secret
    ).start()
    key = f"varg_bench_follow_{name}_{secrets.token_hex(4)}"
    account = account_fingerprint(key)
    if name == "v1-sse":
        backend = V1Backend(gw.v1_url, key, timeout=(5.0, 60.0))
        manager = JobManager(backend, library, account, follow_mode="stream")
    elif name == "v2-poll":
        backend = V2Backend(gw.v2_url, key, timeout=(5.0, 60.0))
        manager = JobManager(backend, library, account, webhook_url=None)
    else:
        backend = V2Backend(gw.v2_url, key, timeout=(5.0, 60.0))
        manager = JobManager(backend, library, account, webhook_url=receiver.url)
        receiver.managers.append(manager)
    return Mode(name, gw, manager)


def api_requests(gw: DemoGateway) -> dict[str, int]:
    """The gateway's request counters for API routes: /v1/* and /v2/*, not uploads or output files."""
    out = {}
    for key, n in gw.stats()["requests"].items():
        method, _, template = key.partition(" ")
        if not template.startswith(("/v1/", "/v2/")) or template.startswith(("/v1/files", "/v2/files")):
            continue
        if "/o/" in template:
            continue
        out[key] = n
    return out


def run_jobs(mode: Mode, library: Library, n: int, spacing: float, tag: str, timeout: float) -> list[float]:
    """Submit n takes `spacing` s apart, wait for all to end; the completion → library lags."""
    takes = []
    for i in range(n):
        if i and spacing:
            time.sleep(spacing)
        req = TakeRequest(
            mode="text-to-video",
            model=MODEL,
            prompt=f"{tag} {i}: a lighthouse at dusk",
            duration=CLIP_SECONDS,
        )
        takes.extend(mode.manager.submit(req, f"{mode.name}-{tag}-{i}").takes)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(not library.get(t.id).is_open for t in takes):
            break
        time.sleep(0.05)
    lags = []
    for t in takes:
        done = library.get(t.id)
        if done.status != "completed" or done.completed_at is None:
            mode.failures.append(f"{t.id}: {done.status} {done.error or ''}".strip())
            continue
        gw_done = mode.gateway.job_completed_at(done.job_id)
        if gw_done is None:
            mode.failures.append(f"{t.id}: the gateway has no completion time for {done.job_id}")
            continue
        lags.append(done.completed_at - gw_done)
    return lags


def pct(values: list[float], q: float) -> float:
    """Percentile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


# --- the run ---------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--jobs", type=int, default=20, help="short jobs per mode for the lag figures (default 20)"
    )
    ap.add_argument(
        "--job-seconds",
        type=float,
        default=None,
        help="gateway time of a short job (default: jobs × spacing + 3, so every render is done before the first "
        "job ends and the lag is the following's, not a render competing for the CPU)",
    )
    ap.add_argument(
        "--spacing", type=float, default=0.4, help="seconds between short submissions (default 0.4)"
    )
    ap.add_argument("--long-jobs", type=int, default=3, help="long jobs per mode, all at once (default 3)")
    ap.add_argument(
        "--long-seconds", type=float, default=60.0, help="gateway time of a long job (default 60)"
    )
    args = ap.parse_args()
    if args.job_seconds is None:
        args.job_seconds = round(args.jobs * args.spacing + 3.0, 1)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    started = time.monotonic()
    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="bench-follow-") as tmp:
        work = Path(tmp)
        os.environ["STUDIO_HOME"] = str(work / "home")
        library = Library(load_settings().studio_home)
        receiver = Receiver(secret).start()
        modes: dict[str, Mode] = {}
        try:
            for name in MODES:
                modes[name] = open_mode(name, work, library, receiver, secret, args.job_seconds)

            # 1. lag, one mode at a time (no competition for the 2 cores between modes)
            for name in MODES:
                m = modes[name]
                m.lags = run_jobs(m, library, args.jobs, args.spacing, "short", timeout=60 + args.jobs * 3)

            # 2. requests per long job, all modes at once
            before = {}
            for m in modes.values():
                m.gateway.job_seconds = args.long_seconds
                before[m.name] = api_requests(m.gateway)
            threads = []
            for m in modes.values():

                def go(m: Mode = m) -> None:
                    m.long_lags = run_jobs(
                        m, library, args.long_jobs, 0.0, "long", timeout=args.long_seconds + 60
                    )

                threads.append(threading.Thread(target=go, name=f"long-{m.name}"))
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for m in modes.values():
                after = api_requests(m.gateway)
                m.long_requests = {
                    k: v - before[m.name].get(k, 0) for k, v in after.items() if v - before[m.name].get(k, 0)
                }
                m.long_jobs = args.long_jobs
            hooks = {n: modes[n].gateway.stats()["webhooks"] for n in MODES}
        finally:
            for m in modes.values():
                m.close()
            receiver.stop()
            library.close()
    elapsed = time.monotonic() - started
    report(modes, args, receiver, hooks, elapsed)
    return 1 if any(m.failures for m in modes.values()) else 0


def report(
    modes: dict[str, Mode], args: argparse.Namespace, receiver: Receiver, hooks: dict, elapsed: float
) -> None:
    base = modes[BASELINE]
    base_p50, base_p95 = pct(base.lags, 0.5), pct(base.lags, 0.95)
    base_req = sum(base.long_requests.values()) / max(1, base.long_jobs)
    print(
        f"Following a job: completion → take completed in the library ({args.jobs} jobs/mode of "
        f"{args.job_seconds:g} s, {MODEL} {CLIP_SECONDS} s clips), and API requests per job for a "
        f"{args.long_seconds:g} s job ({args.long_jobs}/mode, all modes at once)"
    )
    head = f"{'mode':<12}{'n':>4}{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'req/job':>9}{'long max':>10}   {'p50 ×':>7}{'p95 ×':>7}{'req ×':>7}   aim"
    print(head)
    print("-" * len(head) + "-" * 30)
    for name in MODES:
        m = modes[name]
        p50, p95 = pct(m.lags, 0.5), pct(m.lags, 0.95)
        req = sum(m.long_requests.values()) / max(1, m.long_jobs)
        aim = ""
        if name in AIMS:
            lag_aim, req_aim = AIMS[name]
            aim = (
                f"p95 ≤ {lag_aim:g} s {'met' if p95 <= lag_aim else 'MISSED'}, "
                f"≤ {req_aim} req {'met' if req <= req_aim else 'MISSED'}"
            )
        else:
            aim = "(baseline)"
        print(
            f"{name:<12}{len(m.lags):>4}{p50:>8.3f}{p95:>8.3f}{max(m.lags, default=float('nan')):>8.3f}"
            f"{req:>9.1f}{max(m.long_lags, default=float('nan')):>10.3f}   {ratio(p50, base_p50):>7}{ratio(p95, base_p95):>7}{ratio(req, base_req):>7}   {aim}"
        )
    print("\n× = ratio to v1-sse in this run. Requests counted: every /v1/* and /v2/* API route the studio")
    print(
        "called (create, status/job reads, SSE stream connects); not /files uploads, not /o/ output downloads."
    )
    print(
        f"p50/p95/max: lag over the short jobs; long max: the largest lag of the {args.long_seconds:g} s jobs."
    )
    print(
        f"\nPer-endpoint requests for the {args.long_seconds:g} s jobs (totals over {args.long_jobs} jobs), and their lag:"
    )
    for name in MODES:
        m = modes[name]
        parts = ", ".join(f"{k} {v}" for k, v in sorted(m.long_requests.items()))
        lags = " ".join(f"{x:.3f}" for x in m.long_lags)
        print(f"  {name:<12}{parts}   lag s: {lags}")
    lows = {n: min(m.lags + m.long_lags, default=float("nan")) for n, m in modes.items()}
    print(
        "\nClock check: both times are time.time() in this process (in-process gateway, no clock skew); "
        "smallest lag per mode "
        + ", ".join(f"{n} {v:.3f}s" for n, v in lows.items())
        + (" (all ≥ 0)" if all(v >= 0 for v in lows.values()) else " (NEGATIVE: clocks disagree)")
    )
    wh = hooks["v2-webhook"]
    print(
        f"Webhooks: gateway sent {wh['sent']} (failed {wh['failed']}, dropped {wh['dropped']}); receiver got "
        f"{receiver.received}, bad signatures {receiver.bad_signature}, delivered to the JobManager {receiver.delivered}"
    )
    for name in MODES:
        for f in modes[name].failures:
            print(f"FAILED {name}: {f}")
    print(f"Total run time {elapsed:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
