"""Take leases: one process works on a take; a second process on the same home never doubles it.

The library's part (claim, renew, take over) runs on SQLite and on PostgreSQL (`store` in
conftest.py); the job managers' part runs on SQLite.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import factories
from studio.api.v1 import V1Backend
from studio.jobs import JobManager, TakeRequest
from studio.library import Library, NewTake, account_fingerprint

KEY = "varg_test_key_0123456789"
ACCOUNT = account_fingerprint(KEY)


def _take(library: Library, name: str = "lease") -> str:
    takes, _ = library.add_batch(
        [NewTake(ACCOUNT, name, name, 0, "text-to-video", "sora-2", "a quiet harbour", 4, 4, "16:9", 100)]
    )
    return takes[0].id


def test_exactly_one_of_many_concurrent_claims_wins(store):
    library = store()
    take_id = _take(library)
    wins: list[str] = []
    start = threading.Barrier(16)
    mine = [store() for _ in range(16)]  # its own connections, as another process would have

    def claim(owner: str) -> None:
        lib = mine[int(owner[1:])]
        start.wait()
        if lib.claim(take_id, owner, 30.0) is not None:
            wins.append(owner)

    threads = [threading.Thread(target=claim, args=(f"p{i}",)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


def test_a_lease_is_renewed_by_its_owner_and_taken_over_only_after_it_lapses(store):
    library = store()
    take_id = _take(library)
    assert library.claim(take_id, "A", 0.5) is not None
    assert library.claim(take_id, "B", 30.0) is None, "a live lease is not taken"
    assert library.renew("A", 0.5, [take_id]) == {take_id}
    assert [t.id for t in library.unleased(ACCOUNT)] == []
    time.sleep(0.6)
    assert [t.id for t in library.unleased(ACCOUNT)] == [take_id]
    assert library.claim(take_id, "B", 30.0) is not None, "lapsed: taken over"
    assert library.renew("A", 0.5, [take_id]) == set(), "A learns it lost the take"
    library.update(take_id, status="completed")
    assert library.claim(take_id, "C", 30.0) is None, "a finished take is never claimed"


def _manager(gateway, home: Path, **kw) -> JobManager:
    client = V1Backend(gateway.v1_url, KEY, timeout=(2.0, 10.0), backoff=0.05)
    return JobManager(client, Library(home), ACCOUNT, poll_interval=0.3, retry_backoff=0.05, **kw)


def _wait_done(library: Library, take_id: str, timeout: float = 40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        take = library.get(take_id)
        if take is not None and not take.is_open:
            return take
        time.sleep(0.05)
    raise AssertionError(f"take {take_id} still open")


def test_a_second_studio_resuming_while_the_first_uploads_never_pays_twice(gateway, studio_home):
    """The adversarial finding: 2 uploads, 2 creates, 200 credits for one Generate click."""
    gateway.faults.update({"latency": 0.4})  # slow uploads and creates: a wide window
    first, second = _manager(gateway, studio_home), _manager(gateway, studio_home)
    try:
        req = TakeRequest(
            mode="image-to-video", model="sora-2", prompt="slow push-in", duration=4, image=factories.photo()
        )
        take = first.submit(req, "one-click").takes[0]
        time.sleep(0.1)
        second.resume()  # the second process starts up while the first is uploading
        done = _wait_done(first.library, take.id)
        assert done.status == "completed", done.error
        stats = gateway.stats()
        assert stats["requests"].get("POST /v1/files", 0) == 1, "one upload"
        assert stats["creates"] == 1, "one create"
        assert first.client.balance().credits == 5000 - 100, "charged once"
    finally:
        first.shutdown()
        second.shutdown()


def _hold_then_die(base_url: str, home: str, take_id: str, ready) -> None:
    library = Library(Path(home))
    assert library.claim(take_id, "dead-process", 1.0) is not None
    ready.set()
    time.sleep(30)  # killed long before this ends


def test_a_take_of_a_process_that_died_is_taken_over_after_its_lease_lapses(gateway, studio_home):
    library = Library(studio_home)
    take_id = _take(library, "orphan")
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(target=_hold_then_die, args=(gateway.v1_url, str(studio_home), take_id, ready))
    child.start()
    assert ready.wait(30)
    child.kill()
    child.join(10)
    m = _manager(gateway, studio_home, lease_ttl=0.6)
    try:
        m.resume()
        done = _wait_done(library, take_id)
        assert done.status == "completed" and gateway.stats()["creates"] == 1
    finally:
        m.shutdown()
