"""Three studio replicas on one PostgreSQL library and one gateway; one is SIGKILLed mid-way.

Every take completes exactly once (30 creates, 30 charges, 30 downloads), no take is followed by
two replicas at the same time (counted from their logs), and the killed replica's takes are
finished by the other two.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import replica_cluster as rc

from studio.library import account_fingerprint
from studio.store import open_store

KEY = "varg_team_key_replicas_01"
REPLICAS, PER_REPLICA = 3, 10
LEASE = "2"


@pytest.fixture
def database_url():
    base = os.environ.get("STUDIO_TEST_DATABASE_URL", "")
    if not base:
        pytest.skip("no PostgreSQL: scripts/test.sh starts one (STUDIO_TEST_DATABASE_URL)")
    pytest.importorskip("psycopg")
    with rc.pg_schema(base) as url:
        yield url


def _wait(what: str, check, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.timeout(300)
def test_three_replicas_one_killed_every_take_completes_exactly_once(database_url, tmp_path: Path):
    account = account_fingerprint(KEY)
    with (
        rc.gateway_process(tmp_path, job_seconds=3.0, render_workers=2) as gateway,
        rc.s3_bucket(os.environ.get("STUDIO_TEST_S3_ENDPOINT")) as bucket,
    ):
        start_balance = gateway.balance(KEY)
        homes = [tmp_path / f"home{i}" for i in range(REPLICAS)]
        logs = [tmp_path / f"replica{i}.log" for i in range(REPLICAS)]
        workers = []
        try:
            for i in range(REPLICAS):
                env = rc.replica_env(database_url, gateway, KEY, homes[i], STUDIO_LEASE_SECONDS=LEASE, **bucket)
                workers.append(rc.start_worker(f"r{i}", PER_REPLICA, env, logs[i]))
            for w in workers:
                assert w.stdout is not None and w.stdout.readline().strip() == "submitted"
            library = open_store(database_url, tmp_path / "observer")
            total = REPLICAS * PER_REPLICA
            # Mid-way: every job is created at the gateway and none has finished yet.
            _wait("30 jobs at the gateway", lambda: gateway.stats()["jobs"] >= total, 60)
            victim = workers[0]
            open_before = [t for t in library.list(account, limit=100) if t.is_open]
            assert open_before, "the kill must land while takes are still open"
            os.killpg(victim.pid, signal.SIGKILL)
            killed_at = time.time()
            victim.wait(10)

            def all_done():
                takes = library.list(account, limit=100)
                return takes if len(takes) == total and not any(t.is_open for t in takes) else None

            takes = _wait("every take to finish", all_done, 180)
            library.close()
        finally:
            for w in workers:
                rc.stop(w)
        assert {t.status for t in takes} == {"completed"}, {t.id: t.error for t in takes if t.error}
        stats = gateway.stats()
        assert stats["jobs"] == total, "30 creates: one job per take, none twice"
        assert stats["output_downloads"] == total, "30 downloads"
        billed = sum(int(t.billed_credits or 0) for t in takes)
        assert billed > 0 and start_balance - gateway.balance(KEY) == billed, "30 charges, each once"
        assert len({t.job_id for t in takes}) == total

        found = rc.follows(logs, killed={str(logs[0]): killed_at})
        assert rc.overlaps(found) == [], "no take followed by two replicas at once"
        cut = [f for f in found if f.end == killed_at]
        orphans = {t.id for t in open_before if t.submission_id.startswith("r0-")}
        assert orphans, "the killed replica had open takes"
        victim_owners = rc.owners(logs[0])
        by_id = {t.id: t for t in takes}
        for take_id in orphans:  # finished by one of the others, after the kill
            assert any(
                f.take_id == take_id and f.owner not in victim_owners and f.start >= killed_at for f in found
            ), take_id
        if bucket:  # one bucket: every video and poster is there, no replica's disk is needed
            stored = rc.objects(bucket)
            for t in takes:
                assert t.video_path in stored and t.poster_path in stored, t.id
        else:
            for take_id in orphans:
                assert any((h / "media" / by_id[take_id].video_path).exists() for h in homes[1:]), take_id
        print(
            f"\nreplicas: {REPLICAS}, takes: {total}, media: {'one S3 bucket' if bucket else 'data folders'}, "
            f"follows: {len(found)}, overlaps: 0, "
            f"follows cut by the kill: {len(cut)}, the killed replica's open takes finished by the others: "
            f"{len(orphans)}"
        )
