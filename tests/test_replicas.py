"""Following across replicas: batch claims, the change feed, and a webhook landing on another replica.

Claims run on SQLite and PostgreSQL (`store`); the feed and the wake need PostgreSQL's LISTEN/NOTIFY.
The three-process kill test is tests/test_replica_kill.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from studio.api.follow import PollPolicy
from studio.api.v2 import V2Backend
from studio.changes import Change, ChangeFeed
from studio.jobs import JobManager, TakeRequest
from studio.library import NewTake, account_fingerprint
from studio.store import base

KEY = "varg_replica_key_0000001"
ACCOUNT = account_fingerprint(KEY)


def _takes(library, n: int, name: str = "r") -> list[str]:
    ids = []
    for i in range(n):
        takes, _ = library.add_batch(
            [NewTake(ACCOUNT, f"{name}{i}", f"{name}{i}", 0, "text-to-video", "sora-2", f"shot {i}", 4, 4, "16:9", 10)]
        )
        ids.append(takes[0].id)
    return ids


def _pg(store):
    if store.engine != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    return store


def test_claim_due_leases_the_oldest_free_takes_in_one_batch(store, monkeypatch):
    library = store()
    ids = _takes(library, 10)
    first = library.claim_due(ACCOUNT, "A", 30.0, 4)
    assert [t.id for t in first] == ids[:4], "oldest first"
    assert all(t.lease_owner == "A" for t in first)
    second = library.claim_due(ACCOUNT, "B", 30.0, 50)
    assert [t.id for t in second] == ids[4:], "what A holds is passed by"
    assert library.claim_due(ACCOUNT, "C", 30.0, 50) == []
    assert library.claim_due("acct_other", "C", 30.0, 50) == [], "another account's takes are not seen"
    library.update(ids[0], status="completed")
    later = time.time() + 31
    monkeypatch.setattr(base, "_now", lambda: later)
    again = library.claim_due(ACCOUNT, "C", 30.0, 50)
    assert [t.id for t in again] == ids[1:], "lapsed leases are taken over; a finished take never"


def test_concurrent_batch_claims_give_each_take_to_exactly_one_replica(store):
    ids = set(_takes(store(), 60, "c"))
    replicas = [store() for _ in range(4)]  # each its own connections, as another process has
    got: dict[str, list[str]] = {f"r{i}": [] for i in range(4)}
    start = threading.Barrier(4)

    def claim(i: int) -> None:
        start.wait()
        while batch := replicas[i].claim_due(ACCOUNT, f"r{i}", 30.0, 3):
            got[f"r{i}"].extend(t.id for t in batch)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [tid for owned in got.values() for tid in owned]
    assert len(claimed) == len(set(claimed)) == 60, "no take claimed twice, none left"
    assert set(claimed) == ids


def test_a_visible_change_reaches_another_replica_and_a_progress_tick_does_not(store):
    _pg(store)
    writer, reader = store(), store()
    feed, stop = ChangeFeed(), threading.Event()
    reader.listen(feed, stop)
    try:
        deadline = time.monotonic() + 10
        while not feed.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        assert feed.connected
        v0 = feed.version(ACCOUNT)
        take_id = _takes(writer, 1, "n")[0]
        v1 = feed.wait(ACCOUNT, v0, 5.0)
        assert v1 == v0 + 1
        assert feed.last(ACCOUNT) is not None and feed.last(ACCOUNT).take_id == take_id
        writer.update(take_id, progress=0.4)
        writer.claim(take_id, "A", 30.0)
        writer.renew("A", 30.0, [take_id])
        writer.update(take_id, status="processing")  # an open take's step: the tray shows it
        assert feed.wait(ACCOUNT, v1, 0.5) == v1, "progress, lease renewals and open steps redraw no page"
        assert feed.last(ACCOUNT).status == "processing", "but the step was heard"
        writer.update(take_id, status="completed")
        assert feed.wait(ACCOUNT, v1, 5.0) == v1 + 1
        assert feed.last(ACCOUNT).status == "completed"
        woken: list[str] = []
        feed.on_wake(woken.append)
        writer.wake(take_id)
        deadline = time.monotonic() + 5
        while not woken and time.monotonic() < deadline:
            time.sleep(0.02)
        assert woken == [take_id]
    finally:
        stop.set()


def test_change_payloads_parse_and_junk_is_ignored():
    change = Change.parse("U demo abc123 completed")
    assert change is not None and (change.op, change.account, change.take_id, change.status) == (
        "U",
        "demo",
        "abc123",
        "completed",
    )
    assert Change.parse("X demo abc completed") is None
    assert Change.parse("U demo") is None


SLOW_WEBHOOK = PollPolicy(first=0.1, fastest=0.05, slowest=0.3, webhook_first=0.5, webhook_interval=60.0)


def _manager(gateway, library, owner: str) -> JobManager:
    backend = V2Backend(gateway.v2_url, KEY, timeout=(2.0, 5.0), backoff=0.05, poll_policy=SLOW_WEBHOOK)
    return JobManager(
        backend, library, ACCOUNT, webhook_url="http://127.0.0.1:9/hooks/varg", owner=owner, lease_ttl=5.0
    )


def test_a_webhook_landing_on_another_replica_finishes_the_take_at_once(store, tmp_path_factory):
    """Replica A follows (polling only every 60 s: it expects a webhook); the webhook lands on B."""
    _pg(store)
    from demo_gateway import DemoGateway

    gateway = DemoGateway(tmp_path_factory.mktemp("gw"), job_seconds=2.0).start()
    lib_a, lib_b = store(Path(tmp_path_factory.mktemp("home_a"))), store(Path(tmp_path_factory.mktemp("home_b")))
    feed, stop = ChangeFeed(), threading.Event()
    a, b = _manager(gateway, lib_a, "replica-a"), _manager(gateway, lib_b, "replica-b")
    lib_a.listen(feed, stop)
    feed.on_wake(a.wake)
    try:
        req = TakeRequest(mode="text-to-video", model="sora_2", prompt="a lighthouse at dusk", duration=4)
        take = a.submit(req, "webhook-elsewhere").takes[0]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            current = lib_b.get(take.id)
            if current and current.job_id:
                job = b.backend.get_job(current.job_id)
                if job.terminal:
                    break
            time.sleep(0.1)
        assert job.terminal, "the gateway finished the job"
        assert lib_b.get(take.id).lease_owner == "replica-a"
        landed = time.monotonic()
        assert b.deliver(job) is True  # the webhook, on the replica that does not follow it
        while time.monotonic() < landed + 20:
            done = lib_b.get(take.id)
            if not done.is_open:
                break
            time.sleep(0.05)
        assert done.status == "completed", done.error
        assert time.monotonic() - landed < 20, "woken, not the 60 s safety poll"
        stats = gateway.stats()
        assert stats["creates"] == 1 and stats["output_downloads"] == 1, stats
    finally:
        stop.set()
        a.shutdown()
        b.shutdown()
        gateway.stop()


def test_many_threads_share_a_bounded_pool_and_a_transaction_keeps_its_connection(store):
    _pg(store)
    from studio.store.postgres import POOL_SIZE

    library = store()
    take_id = _takes(library, 1, "p")[0]
    start = threading.Barrier(40)
    errors: list[BaseException] = []

    def read() -> None:
        start.wait()
        try:
            for _ in range(5):
                assert library.get(take_id) is not None
        except BaseException as exc:  # noqa: BLE001 - collected for the assert below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert library._pool.get_stats()["pool_size"] <= POOL_SIZE, "40 page runs, at most POOL_SIZE connections"
    with library._write() as tx:  # a call inside a transaction uses its connection: no self-deadlock
        tx.execute("SELECT id FROM takes WHERE id = ? FOR UPDATE", (take_id,))
        library.update(take_id, progress=0.5)
    assert library.get(take_id).progress == 0.5
