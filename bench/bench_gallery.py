"""Gallery speed: server-side script time with 1,000 takes vs none, page payload, session-state check.

    python bench/bench_gallery.py [--takes 1000] [--runs 15]
    source scripts/services.sh && start_services
    python bench/bench_gallery.py --database-url "$STUDIO_TEST_DATABASE_URL" [--takes 10000] [--rounds 2]

Runs the real pages (studio_frame.py → Gallery) in Streamlit's AppTest, against a library seeded with
completed takes (each with its own poster), and prints the median run time of each case, their
ratio (aim ≤ 2×), the bytes of the page's messages, the poster bytes the browser then fetches,
and whether any media bytes sit in session state.

With `--database-url` (a PostgreSQL database you own) the library is PostgreSQL: each case gets a
fresh schema, seeded by COPY (rows shaped as `add_batch` then a completion writes them, then
ANALYZE, as autovacuum would), and the aim is 10,000 takes ≤ 1.2× one page (12). The gallery's
queries are shown with EXPLAIN ANALYZE on the big library.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


PROMPTS = ["harbour at night", "desert wind", "neon rain", "forest dawn", "glacier", "city timelapse"]


def _poster(i: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (480, 270), ((i * 37) % 255, (i * 91) % 255, (i * 53) % 255)).save(
        buf, "JPEG", quality=80
    )
    return buf.getvalue()


def _new_take(i: int):
    from studio.library import NewTake

    return NewTake(
        account="demo",
        batch_id=f"b{i}",
        submission_id=f"bench-{i}",
        variant_index=0,
        mode=("text-to-video", "image-to-video", "remix")[i % 3],
        model=("sora-2", "sora-2-pro", "sora-2-remix")[i % 3],
        prompt=f"{PROMPTS[i % len(PROMPTS)]} take {i}",
        duration_requested=8,
        duration=8,
        aspect_ratio="16:9",
        estimated_credits=100,
    )


def _seed(home: Path, n: int) -> int:
    """n completed takes with distinct posters; returns the poster bytes written."""
    from studio.library import Library

    lib = Library(home)
    video = lib.store_bytes(b"\x00" * 1024, ".mp4", kind="videos")
    total = 0
    for i in range(n):
        data = _poster(i)
        poster = lib.store_bytes(data, ".jpg", kind="posters")
        total += len(data)
        made, _ = lib.add_batch([_new_take(i)])
        lib.update(made[0].id, status="completed", video_path=video, poster_path=poster, job_id=f"job{i}")
    lib.close()
    return total


def _seed_pg(url: str, home: Path, n: int) -> int:
    """n completed takes in PostgreSQL by one COPY (the newest pages with distinct posters); returns
    the poster bytes written, counted as if every take had its own."""
    import dataclasses
    import uuid

    import psycopg

    from components.gallery_grid import PAGE_SIZE
    from studio.store import open_store
    from studio.store.base import COLUMNS

    lib = open_store(url, home)  # migrates the fresh schema
    video = lib.store_bytes(b"\x00" * 1024, ".mp4", kind="videos")
    distinct = min(n, 2 * PAGE_SIZE)
    posters, sizes = [], []
    for i in range(distinct):
        data = _poster(i)
        posters.append(lib.store_bytes(data, ".jpg", kind="posters"))
        sizes.append(len(data))
    lib.close()
    start = time.time() - n
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.cursor().copy(f"COPY takes ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i in range(n):
                created = start + i  # one a second, the newest last
                values = dataclasses.asdict(_new_take(i))
                values.update(
                    id=uuid.uuid4().hex, idempotency_key=f"studio-{uuid.uuid4().hex}", idea_id=f"b{i}",
                    verdict=None, verdict_reasons=None, verdict_note=None, progress=1.0,
                    progress_message="done", billed_credits=100, output_url=None, lease_owner=None,
                    lease_expires=None, candidates=None, job_id=f"job{i}", status="completed", error=None,
                    created_at=created, updated_at=created + 30, completed_at=created + 30,
                    video_path=video, poster_path=posters[(n - 1 - i) % distinct], favourite=0,
                    cache_hit=0, audio=0,
                )  # fmt: skip
                copy.write_row(tuple(values[c] for c in COLUMNS))
        conn.execute("ANALYZE takes")
    return sum(sizes) * n // distinct


def _measure(n_takes: int, runs: int, database_url: str | None = None) -> dict:
    """The case's figures; on PostgreSQL also the SQL one run reads (`queries`) and their plans."""
    if not database_url:
        return _measure_in(n_takes, runs, None)
    from tests.replica_cluster import pg_schema

    with pg_schema(database_url) as url:
        os.environ["STUDIO_DATABASE_URL"] = url
        try:
            return _measure_in(n_takes, runs, url)
        finally:
            os.environ.pop("STUDIO_DATABASE_URL", None)


def _measure_in(n_takes: int, runs: int, url: str | None) -> dict:
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
        if not n_takes:
            poster_bytes_all = 0
        elif url:
            poster_bytes_all = _seed_pg(url, home, n_takes)
        else:
            poster_bytes_all = _seed(home, n_takes)
        at = AppTest.from_file(str(ROOT / "studio_frame.py"), default_timeout=120)
        at.run()
        at.switch_page("app_pages/gallery.py")
        at.run()  # warm: imports, gateway, caches
        times = []
        walls = []
        seen: list[tuple[int, str, tuple, float]] = []  # (run, SQL, parameters, seconds) on PostgreSQL
        with _sql_timer(seen, url is not None) as timer:
            for run in range(runs):
                marks.clear()
                timer.run = run
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
        queries = _per_statement(seen, runs)
        plans = _explain(url, queries) if url else {}
        wiring.reset()
    LocalScriptRunner.__init__ = runner_init
    per_poster = poster_bytes_all / n_takes if n_takes else 0
    return {
        "times": times,
        "median_s": statistics.median(times),
        "p90_s": sorted(times)[int(0.9 * (len(times) - 1))],
        "wall_s": statistics.median(walls),
        "payload_bytes": sum(sizes),
        "messages": len(sizes),
        "posters_shown": images,
        "poster_bytes_fetched": int(per_poster * images),
        "state_keys": len(state),
        "media_bytes_in_state": media_in_state,
        "queries": queries,
        "plans": plans,
    }


class _Timer:
    run = 0


@contextlib.contextmanager
def _sql_timer(seen: list, on: bool) -> Iterator[_Timer]:
    """Record every SQL read of the PostgreSQL library (statement, parameters, seconds) while on."""
    timer = _Timer()
    if not on:
        yield timer
        return
    from studio.store.postgres import PostgresLibrary

    read = PostgresLibrary._read

    def timed(self, sql, params=()):
        held = getattr(self._local, "held", None)
        fresh = held is None or held.conn.closed or held.key != (os.getpid(), self._generation)
        t0 = time.perf_counter()
        try:
            return read(self, sql, params)
        finally:  # a run's first read opens the run thread's connection: marked "+ connect"
            seen.append(
                (timer.run, ("+ connect: " if fresh else "") + sql, tuple(params), time.perf_counter() - t0)
            )

    PostgresLibrary._read = timed  # type: ignore[method-assign]
    try:
        yield timer
    finally:
        PostgresLibrary._read = read  # type: ignore[method-assign]


def _per_statement(seen: list, runs: int) -> list[tuple[str, tuple, float, int]]:
    """(SQL, parameters, median seconds per run, times per run), the slowest first."""
    by_sql: dict[str, list[float]] = {}
    params: dict[str, tuple] = {}
    for run, sql, args, secs in seen:
        per_run = by_sql.setdefault(sql, [0.0] * runs)
        per_run[run] += secs
        params[sql] = args
    counts = {sql: sum(1 for q in seen if q[1] == sql) // max(1, runs) for sql in by_sql}
    rows = [(sql, params[sql], statistics.median(v), counts[sql]) for sql, v in by_sql.items()]
    return sorted(rows, key=lambda r: -r[2])


def _explain(url: str, queries: list[tuple[str, tuple, float, int]]) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest reads, on the seeded schema."""
    import psycopg

    from studio.store.postgres import _pg

    plans: dict[str, str] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for text, params, _, _ in queries[:4]:
            sql = text.removeprefix("+ connect: ")
            if sql not in plans:
                rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + _pg(sql), params).fetchall()
                plans[sql] = "\n".join(r[0] for r in rows)
    return plans


def _short(sql: str) -> str:
    from studio.store.base import _SELECT

    return " ".join(sql.replace(_SELECT, "SELECT <a take's columns> FROM takes").split())


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
    parser.add_argument("--takes", type=int, default=None, help="1,000 (SQLite) or 10,000 (PostgreSQL)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2, help="PostgreSQL: rounds of both cases (pooled)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL database you own: the library there (fresh schemas)",
    )
    args = parser.parse_args()
    os.environ.setdefault("STUDIO_DEMO_JOB_SECONDS", "1")
    if args.database_url:
        _main_postgres(args.takes or 10_000, args.runs, args.rounds, args.database_url)
        return
    args.takes = args.takes or 1000

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


def _main_postgres(takes: int, runs: int, rounds: int, database_url: str) -> None:
    from components.gallery_grid import PAGE_SIZE

    # Rounds in A B B A order, the times pooled: a busy spell on a shared machine hits both cases.
    found: dict[int, list[dict]] = {PAGE_SIZE: [], takes: []}
    for r in range(rounds):
        for n in (PAGE_SIZE, takes) if r % 2 == 0 else (takes, PAGE_SIZE):
            found[n].append(_measure(n, runs, database_url))
    page, full = found[PAGE_SIZE][-1], found[takes][-1]
    for r, cases in ((page, found[PAGE_SIZE]), (full, found[takes])):
        pooled = sorted(t for c in cases for t in c["times"])
        r["median_s"] = statistics.median(pooled)
        r["p90_s"] = pooled[int(0.9 * (len(pooled) - 1))]
    ratio = full["median_s"] / page["median_s"] if page["median_s"] else float("inf")
    print(
        f"Gallery page on PostgreSQL, server-side script time (AppTest run, median of {runs} runs "
        f"× {rounds} rounds, a fresh schema each):"
    )
    for n, r in ((PAGE_SIZE, page), (takes, full)):
        sql_ms = 1000 * sum(q[2] for q in r["queries"])
        reads = sum(q[3] for q in r["queries"])
        print(
            f"  {n:>6,} takes: {r['median_s'] * 1000:7.1f} ms  (p90 {r['p90_s'] * 1000:.1f} ms; "
            f"{reads} SQL reads a run, ~{sql_ms:.1f} ms of it)"
        )
    print(
        f"  ratio {takes:,} vs one page ({PAGE_SIZE}): {ratio:.2f}×  (aim ≤ 1.2×) -> {'OK' if ratio <= 1.2 else 'over'}"
    )
    print(
        f"  payload: {page['payload_bytes']:,} vs {full['payload_bytes']:,} bytes; posters shown: {full['posters_shown']}"
    )
    small = {q[0]: q[2] for q in page["queries"]}
    print(f"SQL reads per run with {takes:,} takes, the slowest first (median ms; with {PAGE_SIZE} takes):")
    for sql, _params, secs, count in full["queries"][:8]:
        before = small.get(sql)
        was = f"{before * 1000:6.2f}" if before is not None else "     -"
        print(f"  {secs * 1000:7.2f}  ({was})  ×{count}  {_short(sql)[:160]}")
    for sql, plan in full["plans"].items():
        print(f"EXPLAIN (ANALYZE, BUFFERS)  {_short(sql)[:160]}")
        for line in plan.splitlines():
            print("    " + line)


if __name__ == "__main__":
    main()
