"""Chaos run: several studio processes on one STUDIO_HOME, SIGKILLs and gateway faults, then the books.

Proves the studio never pays twice and never leaves a paid video behind:

- one standalone demo gateway on 127.0.0.1 and ONE shared STUDIO_HOME;
- N "studio processes" (real OS processes, multiprocessing spawn), each a `JobManager` for the same
  key on the same home (lease TTL 2 s), each submitting its share of the takes (text-to-video,
  image-to-video with an uploaded Pillow image, some with 2 variants) and then following;
- chaos: random SIGKILLs of studio processes (a killed one is restarted after a short pause: a new
  process on the same home that calls `resume()`), and gateway faults switched on and off
  (`create_commit_then_error`, `server_error` on reads and on creates, `drop_stream_after`,
  `latency`, `create_hang` with a short client read timeout);
- then every chaos process is killed, the faults are reset, and one clean studio process drains
  (resume, until no take is open or a timeout);
- the report: gateway stats and usage against the library, and the aims (exit 1 if one fails):
  0 double charges, 0 paid videos left behind, no job held by two takes.

    python bench/chaos.py                      # v2 then v1, 30 takes, 3 processes, ≤ 4 minutes
    python bench/chaos.py --api v2 --quick     # one small round (≈ 40 s)
    python bench/chaos.py --api v1 --chaos-seconds 30 --takes 12
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_gateway import DemoGateway  # noqa: E402
from studio.library import Library, account_fingerprint  # noqa: E402

KEYS = {"v2": "varg_chaos_key_v2_000000001", "v1": "varg_chaos_key_v1_000000001"}
ADMIN = "chaos-admin"
BALANCE = 10**7
LEASE_TTL = 2.0

# Each entry: the settings switched on for a few seconds (then everything is reset).
FAULT_PROFILES: tuple[dict[str, Any], ...] = (
    {"create_commit_then_error": 2},
    {"server_error": 4, "server_error_on": "read", "error_status": 500},
    {"server_error": 2, "server_error_on": "create", "error_status": 502},
    {"drop_stream_after": 0.4},
    {"latency": 0.4},
    {"create_hang": 2},  # hang_seconds is set from the client's read timeout
)


@dataclass
class Config:
    api: str = "v2"
    takes: int = 30
    processes: int = 3
    chaos_seconds: float = 60.0
    drain_seconds: float = 45.0
    job_seconds: float = 2.0
    kills: int = 1000  # at most this many SIGKILLs
    kill_gap: tuple[float, float] = (3.0, 7.0)  # seconds between kills
    restart_pause: tuple[float, float] = (0.3, 1.5)
    fault_gap: tuple[float, float] = (1.0, 3.0)  # seconds with no fault between two faults
    fault_span: tuple[float, float] = (2.0, 5.0)  # seconds a fault stays on
    faults: bool = True
    submit_gap: float | None = None  # seconds between two submissions of one process (None: spread
    # each share over the first 60 % of the chaos, so creates keep meeting kills and faults)
    read_timeout: float = 2.5  # the studio's HTTP read timeout (create_hang outlasts it)
    seed: int = 7
    workdir: Path | None = None
    verbose: bool = True


@dataclass
class Result:
    api: str
    figures: dict[str, Any] = field(default_factory=dict)
    aims: dict[str, bool] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def ok(self) -> bool:
        return all(self.aims.values())


# ------------------------------------------------------------------------------------------------
# The plan: which takes, and which process submits each
# ------------------------------------------------------------------------------------------------
def plan(n: int, api: str, seed: int) -> list[dict[str, Any]]:
    """`n` take specs: mostly text-to-video, every 4th image-to-video, every 5th with 2 variants."""
    rng = random.Random(seed)
    t2v = (("sora-2", 4), ("ltx-2-19b-distilled", 2), ("minimax", 2), ("kling-v3-standard", 3))
    out = []
    for i in range(n):
        model, duration = t2v[i % len(t2v)]
        spec: dict[str, Any] = {
            "submission_id": f"chaos-{api}-{seed}-{i:03d}",
            "mode": "text-to-video",
            "model": model,
            "duration": duration,
            "variants": 1,
            "image": False,
            "prompt": f"chaos take {i}: {rng.choice(['a harbour at dusk', 'a kite over dunes', 'rain on a tram'])}",
        }
        if i % 4 == 3:
            spec.update(mode="image-to-video", model="kling-v3-standard", duration=3, image=True)
        elif i % 5 == 1:
            spec.update(model="minimax", duration=2, variants=2)
        out.append(spec)
    return out


def make_image(path: Path) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 360), (40, 90, 140))
    draw = ImageDraw.Draw(img)
    for i in range(0, 640, 40):
        draw.rectangle((i, 0, i + 20, 360), fill=(200, 120 + i // 8, 60))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    path.write_bytes(buf.getvalue())


def make_backend(api: str, url: str, key: str, read_timeout: float):
    if api == "v1":
        from studio.api.v1 import V1Backend

        return V1Backend(url, key, timeout=(2.0, read_timeout), stream_read_timeout=5.0, backoff=0.1)
    from studio.api.follow import PollPolicy
    from studio.api.v2 import V2Backend

    policy = PollPolicy(
        first=0.2, fastest=0.1, slowest=0.6, overdue=0.1, error_backoff=0.1, max_error_wait=2.0
    )
    return V2Backend(url, key, timeout=(2.0, read_timeout), backoff=0.1, poll_policy=policy)


# ------------------------------------------------------------------------------------------------
# One studio process (runs in a spawned child)
# ------------------------------------------------------------------------------------------------
def _watchdog(parent: int, deadline: float) -> None:
    """Exit at once when the parent is gone or the deadline has passed (never outlive the run)."""
    while True:
        if os.getppid() != parent or time.time() > deadline:
            os._exit(3)
        time.sleep(0.2)


def studio_process(args: dict[str, Any]) -> None:
    """A studio on the shared home: resume, submit this share (idempotently), then keep following."""
    threading.Thread(target=_watchdog, args=(args["parent"], args["deadline"]), daemon=True).start()
    logging.basicConfig(
        filename=args["log"],
        level=logging.WARNING,
        format=f"%(asctime)s {args['name']} %(name)s %(levelname)s %(message)s",
    )
    from studio.jobs import JobManager, TakeRequest

    key = args["key"]
    backend = make_backend(args["api"], args["url"], key, args["read_timeout"])
    library = Library(Path(args["home"]))
    mgr = JobManager(
        backend,
        library,
        account_fingerprint(key),
        lease_ttl=LEASE_TTL,
        poll_interval=0.3,
        retry_backoff=0.1,
        workers=16,
    )
    mgr.resume()
    image = Path(args["image"]).read_bytes()
    for spec in args["share"]:
        if time.time() > args["deadline"]:
            break
        req = TakeRequest(
            mode=spec["mode"],
            model=spec["model"],
            prompt=spec["prompt"],
            duration=spec["duration"],
            variants=spec["variants"],
            image=image if spec["image"] else None,
            image_name="still.jpg" if spec["image"] else None,
        )
        try:
            result = mgr.submit(req, spec["submission_id"])
        except Exception:
            logging.getLogger("chaos").exception("submit %s failed", spec["submission_id"])
            continue
        if result.created:
            time.sleep(args["submit_gap"])
    while time.time() < args["deadline"]:
        time.sleep(0.25)
    mgr.shutdown()


# ------------------------------------------------------------------------------------------------
# The parent: gateway, processes, chaos, drain, report
# ------------------------------------------------------------------------------------------------
class Fleet:
    """The spawned studio processes; every one is killed at the end, whatever happens."""

    def __init__(
        self, cfg: Config, base: dict[str, Any], shares: list[list[dict[str, Any]]], logs: Path
    ) -> None:
        self.ctx = multiprocessing.get_context("spawn")
        self.cfg = cfg
        self.base = base
        self.shares = shares
        self.logs = logs
        self.slots: dict[int, Any] = {}
        self.started = 0
        self.all: list[Any] = []

    def start(
        self, slot: int, share: list[dict[str, Any]] | None = None, deadline: float | None = None
    ) -> Any:
        self.started += 1
        args = dict(self.base)
        args.update(
            name=f"p{slot}#{self.started}",
            share=self.shares[slot] if share is None else share,
            log=str(self.logs / f"studio-{slot}.log"),
            deadline=deadline if deadline is not None else self.base["deadline"],
        )
        proc = self.ctx.Process(target=studio_process, args=(args,), name=args["name"], daemon=True)
        proc.start()
        self.slots[slot] = proc
        self.all.append(proc)
        return proc

    def kill(self, slot: int) -> None:
        proc = self.slots.pop(slot, None)
        if proc is not None and proc.is_alive():
            proc.kill()  # SIGKILL
        if proc is not None:
            proc.join(5)

    def kill_all(self) -> None:
        for proc in self.all:
            if proc.is_alive():
                proc.kill()
        for proc in self.all:
            proc.join(5)
        self.slots.clear()


def run_phase(cfg: Config, gw: DemoGateway, workdir: Path) -> Result:
    api = cfg.api
    res = Result(api)
    rng = random.Random(cfg.seed)
    t0 = time.monotonic()

    def say(msg: str) -> None:
        line = f"[{api} {time.monotonic() - t0:6.1f}s] {msg}"
        res.events.append(line)
        if cfg.verbose:
            print(line, flush=True)

    key = KEYS[api]
    account = account_fingerprint(key)
    gw_account = gw.account_id(key)
    home = workdir / f"studio_home_{api}"
    logs = workdir / f"logs_{api}"
    home.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    image = workdir / "still.jpg"
    if not image.exists():
        make_image(image)
    url = gw.v1_url if api == "v1" else gw.v2_url
    admin = make_backend(api, url, key, 10.0)
    library = Library(home)

    start_balance = admin.balance().available
    before = gw.stats()
    post_key = f"POST /{api}/video"
    posts_before = before["requests"].get(post_key, 0)
    creates_before = before["creates"]

    specs = plan(cfg.takes, api, cfg.seed)
    shares = [specs[i :: cfg.processes] for i in range(cfg.processes)]
    chaos_end = time.time() + cfg.chaos_seconds
    base = {
        "api": api,
        "url": url,
        "key": key,
        "home": str(home),
        "image": str(image),
        "parent": os.getpid(),
        "deadline": chaos_end + 5.0,  # killed at chaos_end anyway
        "read_timeout": cfg.read_timeout,
        "submit_gap": cfg.submit_gap
        if cfg.submit_gap is not None
        else max(0.3, 0.6 * cfg.chaos_seconds / max(1, max(len(s) for s in shares))),
    }
    fleet = Fleet(cfg, base, shares, logs)
    kills = 0
    faults_seen: Counter[str] = Counter()
    faults_fired: Counter[str] = Counter()
    active: dict[str, Any] = {}

    def faults_off() -> None:
        left = gw.faults.to_dict()
        for name, value in active.items():
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and name in left
                and name != "error_status"
            ):
                faults_fired[
                    f"{name}({active.get('server_error_on', '')})" if name == "server_error" else name
                ] += value - int(left[name])
        active.clear()
        gw.faults.reset()

    try:
        for slot in range(cfg.processes):
            fleet.start(slot)
        say(f"{cfg.processes} studio processes started on one home, {cfg.takes} takes to submit")
        restart_at: dict[int, float] = {}
        next_kill = time.time() + rng.uniform(*cfg.kill_gap)
        next_fault = time.time() + rng.uniform(*cfg.fault_gap)
        fault_on = False
        while time.time() < chaos_end:
            now = time.time()
            for slot, when in list(restart_at.items()):
                if now >= when:
                    del restart_at[slot]
                    fleet.start(slot)
                    say(f"restarted studio process {slot} (resume on the same home)")
            if kills < cfg.kills and now >= next_kill:
                live = [s for s, p in fleet.slots.items() if p.is_alive()]
                if live:
                    slot = rng.choice(live)
                    fleet.kill(slot)
                    kills += 1
                    restart_at[slot] = time.time() + rng.uniform(*cfg.restart_pause)
                    say(f"SIGKILL studio process {slot} (kill {kills})")
                next_kill = time.time() + rng.uniform(*cfg.kill_gap)
            if cfg.faults and now >= next_fault:
                if fault_on:
                    faults_off()
                    fault_on = False
                    say("faults off")
                    next_fault = time.time() + rng.uniform(*cfg.fault_gap)
                else:
                    profile = dict(rng.choice(FAULT_PROFILES))
                    if "create_hang" in profile:
                        profile["hang_seconds"] = cfg.read_timeout + 1.5
                    gw.faults.update(profile)
                    active.update(profile)
                    fault_on = True
                    first = next(iter(profile))
                    faults_seen[
                        f"{first}({profile['server_error_on']})" if first == "server_error" else first
                    ] += 1
                    say(f"faults on: {profile}")
                    next_fault = time.time() + rng.uniform(*cfg.fault_span)
            # A process that exited by itself (it should not) is restarted too.
            for slot, proc in list(fleet.slots.items()):
                if not proc.is_alive() and slot not in restart_at:
                    say(f"studio process {slot} exited by itself (code {proc.exitcode}); restarting")
                    fleet.slots.pop(slot)
                    restart_at[slot] = time.time() + 0.2
            time.sleep(0.05)
        fleet.kill_all()
        faults_off()
        say(f"chaos over: {kills} kills; every studio process killed, faults reset")

        # Drain: one clean studio process (resume + the lease keeper's pick-ups). It submits every
        # planned take again, as a user re-clicks after a crash: what was recorded sends nothing (the
        # submission ids are fixed), what a kill cut off before it was written is sent now.
        drain_deadline = time.time() + cfg.drain_seconds
        everything = [spec for share in fleet.shares for spec in share]
        planned = {spec["submission_id"] for spec in everything}
        fleet.start(0, share=everything, deadline=drain_deadline + 2.0)
        say("drain: one clean studio process resumes and submits again")
        while time.time() < drain_deadline:
            recorded = {t.submission_id for t in library.list(account, limit=None)}
            if planned <= recorded and not library.open_takes(account):
                break
            time.sleep(0.2)
        still_open = library.open_takes(account)
        say(f"drain over: {len(still_open)} takes still open")
    finally:
        fleet.kill_all()
        gw.faults.reset()

    # ---------------------------------------------------------------- the books
    assert gw.board is not None
    gw.board.settle_all(gw_account)
    jobs = {j.job_id: j for j in gw.store.jobs(account=gw_account)}
    stats = gw.stats()
    usage = admin.usage()
    balance = admin.balance()
    admin.close()
    takes = library.list(account, limit=None)
    submitted = {t.submission_id for t in takes}

    posts = stats["requests"].get(post_key, 0) - posts_before
    creates = stats["creates"] - creates_before
    held_by: dict[str, list[str]] = {}
    for t in takes:
        if t.job_id:
            held_by.setdefault(t.job_id, []).append(t.id)
    held = set(held_by)
    shared = {j: ids for j, ids in held_by.items() if len(ids) > 1}
    unknown = [t for t in takes if t.status == "unknown"]
    candidates: set[str] = set()
    for t in unknown:
        candidates |= {c.strip() for c in (t.candidates or "").split(",") if c.strip()}
    completed = [t for t in takes if t.status == "completed"]
    completed_jobs = {t.job_id for t in completed if t.job_id}
    with_video = [t for t in takes if t.video_path and library.path(t.video_path).is_file()]
    completed_without_video = [t.id for t in completed if t not in with_video]
    failed = [t for t in takes if t.status == "failed"]
    reasons = Counter(_reason(t.error) for t in failed)
    statuses = Counter(t.status for t in takes)
    not_held = set(jobs) - held
    unexplained = not_held - candidates  # a job nobody holds and no unknown take names: paid twice
    paid_done = {j for j, job in jobs.items() if job.status == "completed" and job.cost > 0}
    left_behind = paid_done - completed_jobs - candidates
    # A take holds a job made from its own prompt (never another take's job).
    wrong_job = sorted(
        t.id for t in takes if t.job_id and t.job_id in jobs and jobs[t.job_id].prompt != t.prompt
    )
    own_candidates = sum(
        1
        for t in unknown
        if any(
            jobs.get(c) is not None and jobs[c].prompt == t.prompt for c in (t.candidates or "").split(", ")
        )
    )
    usage_total = sum(r.cost for r in usage.records)
    charged = start_balance - balance.available
    formula = len(jobs) - len(held) - len(candidates - held)

    f = res.figures
    f.update(
        takes_planned=cfg.takes,
        submissions_recorded=len(submitted),
        takes_in_library=len(takes),
        kills=kills,
        faults_switched_on=dict(faults_seen),
        faults_fired=dict(faults_fired),
        create_requests_sent=posts,
        jobs_created=creates,
        jobs_in_gateway=len(jobs),
        credits_charged_balance=charged,
        credits_reserved_at_end=balance.reserved,
        credits_usage_sum=usage_total,
        videos_downloaded=len(with_video),
        takes_completed=len(completed),
        takes_unknown=len(unknown),
        unknown_candidates={t.id[:8]: t.candidates for t in unknown},
        unknown_listing_their_own_job=own_candidates,
        takes_holding_another_takes_job=wrong_job,
        takes_failed=len(failed),
        failed_reasons=dict(reasons),
        takes_by_status=dict(statuses),
        takes_open_after_drain=len(still_open),
        distinct_jobs_held=len(held),
        jobs_named_as_candidates=len(candidates - held),
        double_charges=formula,
        jobs_unexplained=sorted(unexplained),
        paid_videos_left_behind=sorted(left_behind),
        jobs_shared_by_takes={j: ids for j, ids in shared.items()},
        completed_without_video=completed_without_video,
    )
    res.aims = {
        "0 double charges (every job is held by a take or named by an unknown take)": formula == 0
        and not unexplained,
        "0 paid videos left behind": not left_behind,
        "no job held by two takes (each completed once)": not shared,
        "every completed take has its video file": not completed_without_video,
        "every take holds a job made from its own prompt": not wrong_job,
        "credits charged = usage sum": charged == usage_total,
        "every submission recorded": len(submitted) == cfg.takes,
    }
    if api == "v2":
        res.aims["v2: no take left unknown"] = not unknown
    res.text = _format(res, still_open, jobs)
    return res


def _reason(error: str | None) -> str:
    text = (error or "(no reason)").strip()
    return text if len(text) <= 140 else text[:137] + "..."


def _format(res: Result, still_open: list, jobs: dict) -> str:
    f = res.figures
    lines = [
        f"== chaos report: {res.api} ==",
        f"takes planned {f['takes_planned']}, submissions recorded {f['submissions_recorded']}, "
        f"takes in library {f['takes_in_library']} (variants included)",
        f"SIGKILLs {f['kills']}; faults switched on {f['faults_switched_on']}",
        f"faults that fired (counted uses): {f['faults_fired']}",
        f"create requests sent (POST /{res.api}/video): {f['create_requests_sent']}",
        f"jobs created: {f['jobs_created']} (gateway holds {f['jobs_in_gateway']} for this key)",
        f"credits charged: balance {f['credits_charged_balance']} (reserved at end {f['credits_reserved_at_end']}), "
        f"usage sum {f['credits_usage_sum']}",
        f"videos downloaded: {f['videos_downloaded']}",
        f"takes completed: {f['takes_completed']}",
        f"takes unknown: {f['takes_unknown']}"
        + (
            f" candidates {f['unknown_candidates']} ({f['unknown_listing_their_own_job']} list their own job)"
            if f["unknown_candidates"]
            else ""
        ),
        f"takes failed: {f['takes_failed']}"
        + (f" reasons {json.dumps(f['failed_reasons'])}" if f["failed_reasons"] else ""),
        f"takes by status: {f['takes_by_status']}; open after drain: {f['takes_open_after_drain']}",
        f"double charges = jobs created {f['jobs_in_gateway']} - distinct jobs held {f['distinct_jobs_held']} "
        f"- jobs named as candidates {f['jobs_named_as_candidates']} = {f['double_charges']}",
        f"paid videos left behind: {len(f['paid_videos_left_behind'])} {f['paid_videos_left_behind'] or ''}",
        f"jobs held by two takes: {len(f['jobs_shared_by_takes'])} {f['jobs_shared_by_takes'] or ''}",
    ]
    for t in still_open:
        job = jobs.get(t.job_id or "")
        lines.append(
            f"  still open: take {t.id[:8]} {t.status} job {t.job_id} ({job.status if job else '-'}) {t.error or ''}"
        )
    for aim, ok in res.aims.items():
        lines.append(f"  [{'ok' if ok else 'FAIL'}] {aim}")
    return "\n".join(lines)


def run(cfgs: list[Config], workdir: Path | None = None, *, job_seconds: float = 2.0) -> list[Result]:
    """One gateway, one phase per config (each with its own key and home)."""
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="chaos-")) if workdir is None else Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    gw = DemoGateway(
        work / "gateway",
        job_seconds=job_seconds,
        initial_balance=BALANCE,
        keepalive_seconds=0.5,
        admin_token=ADMIN,
    ).start()
    results = []
    try:
        for cfg in cfgs:
            try:
                r = run_phase(cfg, gw, work)
            except Exception:  # a phase that could not run is a failed aim, and the next still runs
                r = Result(cfg.api, aims={"the phase ran to its report": False})
                r.text = f"== chaos report: {cfg.api} ==\nthe phase broke:\n{traceback.format_exc()}"
            results.append(r)
            if cfg.verbose:
                print("\n" + r.text + "\n", flush=True)
    finally:
        gw.stop()
        if own and results and all(r.ok for r in results):
            shutil.rmtree(work, ignore_errors=True)
        elif results:
            print(f"work folder kept: {work}")
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--api", choices=("both", "v2", "v1"), default="both", help="v2 then v1 by default")
    p.add_argument("--takes", type=int, default=30)
    p.add_argument("--processes", type=int, default=3)
    p.add_argument("--chaos-seconds", type=float, default=None, help="per phase (default: fits --budget)")
    p.add_argument("--drain-seconds", type=float, default=40.0)
    p.add_argument("--job-seconds", type=float, default=2.0)
    p.add_argument("--kills", type=int, default=1000, help="at most this many SIGKILLs per phase")
    p.add_argument("--no-faults", action="store_true")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--budget", type=float, default=235.0, help="seconds for the whole run (default < 4 min)")
    p.add_argument("--quick", action="store_true", help="10 takes, 2 processes, 20 s of chaos per phase")
    p.add_argument("--workdir", type=Path, default=None, help="keep everything here (else a temp dir)")
    a = p.parse_args(argv)
    apis = ["v2", "v1"] if a.api == "both" else [a.api]
    if a.quick:
        a.takes, a.processes = min(a.takes, 10), min(a.processes, 2)
        a.chaos_seconds = a.chaos_seconds or 20.0
        a.drain_seconds = min(a.drain_seconds, 25.0)
    overhead = 8.0  # gateway start, process spawns, the books
    per_phase = a.budget / len(apis)
    chaos = (
        a.chaos_seconds if a.chaos_seconds is not None else max(10.0, per_phase - a.drain_seconds - overhead)
    )
    if len(apis) * (chaos + a.drain_seconds + overhead) > a.budget + 1:
        print(
            f"note: {len(apis)} phases of {chaos:.0f}+{a.drain_seconds:.0f} s may exceed the {a.budget:.0f} s budget"
        )
    cfgs = [
        Config(
            api=api,
            takes=a.takes,
            processes=a.processes,
            chaos_seconds=chaos,
            drain_seconds=a.drain_seconds,
            job_seconds=a.job_seconds,
            kills=a.kills,
            faults=not a.no_faults,
            seed=a.seed,
        )
        for api in apis
    ]
    started = time.monotonic()
    results = run(cfgs, a.workdir, job_seconds=a.job_seconds)
    print(f"wall time {time.monotonic() - started:.0f} s")
    failed = [r.api for r in results if not r.ok]
    if failed:
        print(f"AIMS FAILED: {', '.join(failed)}")
        return 1
    print("all aims met")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
