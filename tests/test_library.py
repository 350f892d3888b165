"""The library: migrations, idempotent submissions, scoping, lineage, files, concurrency, storage errors.

Every test taking `lib` or `store` runs on SQLite and on PostgreSQL (see `store` in conftest.py);
tests marked `sqlite_only` are about the SQLite file itself (WAL, permissions, a damaged file).
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest

from studio import migrations
from studio.errors import InputError, StudioError
from studio.library import (
    COLUMNS,
    OPEN_STATUSES,
    Library,
    NewTake,
    StorageError,
    TakeNotFound,
    account_fingerprint,
)
from studio.settings import DEMO_API_KEY
from studio.store import SQLiteLibrary, media_files, open_store


def sql(lib: Library, query: str, params=()) -> list:
    """A raw query for assertions, in the library's own dialect-neutral `?` form."""
    return [tuple(row) for row in lib._read(query, params)]


def columns_and_indexes(lib: Library) -> tuple[list[str], set[str]]:
    if isinstance(lib, SQLiteLibrary):
        columns = [r[1] for r in sql(lib, "PRAGMA table_info(takes)")]
        return columns, {r[1] for r in sql(lib, "PRAGMA index_list(takes)")}
    columns = [
        r[0]
        for r in sql(
            lib,
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'takes' AND table_schema = current_schema() ORDER BY ordinal_position",
        )
    ]
    indexes = {r[0] for r in sql(lib, "SELECT indexname FROM pg_indexes WHERE tablename = 'takes' AND schemaname = current_schema()")}
    return columns, indexes


def has_table(lib: Library, name: str) -> bool:
    if isinstance(lib, SQLiteLibrary):
        return bool(sql(lib, "SELECT 1 FROM sqlite_master WHERE name = ?", (name,)))
    return bool(sql(lib, "SELECT 1 FROM information_schema.tables WHERE table_name = ? AND table_schema = current_schema()", (name,)))


def new(account="demo", *, prompt="a lighthouse at dusk", variants=1, submission=None, **kw) -> list[NewTake]:
    submission = submission or uuid.uuid4().hex
    fields = dict(
        batch_id="b_" + submission,
        mode="text-to-video",
        model="sora-2",
        duration_requested=4,
        duration=4,
        aspect_ratio="16:9",
        estimated_credits=100,
    )
    fields.update(kw)
    return [
        NewTake(account=account, submission_id=submission, variant_index=i, prompt=prompt, **fields)
        for i in range(variants)
    ]


def add(lib: Library, *args, **kwargs):
    takes, created = lib.add_batch(new(*args, **kwargs))
    assert created
    return takes


# --- schema ----------------------------------------------------------------------------------
def test_migrations_are_recorded_and_reopening_is_idempotent(store):
    first = store()
    add(first)
    second = store()
    rows = sql(second, "SELECT version, applied_at FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == [v for v, _ in migrations.MIGRATIONS] and rows[0][1] > 0
    assert second.schema_version() == migrations.MIGRATIONS[-1][0]
    assert second.count("demo") == 1  # the data survived the reopen


def test_takes_table_has_every_take_field_and_the_indexes(lib):
    columns, indexes = columns_and_indexes(lib)
    assert columns == list(COLUMNS)
    assert {
        "takes_account_created",
        "takes_account_status",
        "takes_job",
        "takes_batch",
        "takes_source",
    } <= indexes
    for folder in ("inputs", "videos", "posters"):
        assert (lib.media_root / folder).is_dir()


@pytest.mark.sqlite_only
def test_the_sqlite_library_journals_in_wal_mode(studio_home):
    lib = Library(studio_home)
    assert isinstance(lib, SQLiteLibrary), "Library(home) is the single-user SQLite library"
    assert sqlite3.connect(lib.db_path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    lib.close()


def test_a_new_migration_is_applied_once_and_a_failing_one_rolls_back(store, monkeypatch):
    probe = store()
    latest = migrations.MIGRATIONS[-1][0]
    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        [*migrations.MIGRATIONS, (latest + 1, "CREATE TABLE extra (x INTEGER); CREATE TABLE broken (;")],
    )
    with pytest.raises(StorageError):
        store()
    assert probe.schema_version() == latest
    assert not has_table(probe, "extra")
    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        [*migrations.MIGRATIONS[:latest], (latest + 1, "CREATE TABLE extra (x INTEGER);")],
    )
    assert store().schema_version() == latest + 1
    assert store().schema_version() == latest + 1
    assert has_table(probe, "extra")


# --- accounts ----------------------------------------------------------------------------------
def test_fingerprint_is_one_way_stable_and_demo_for_no_key():
    key = "varg_live_0123456789abcdef"
    fp = account_fingerprint(key)
    assert fp == account_fingerprint(key) and fp.startswith("acct_") and len(fp) == 25
    assert key not in fp and "0123456789abcdef" not in fp
    assert fp != account_fingerprint(key + "x")
    assert account_fingerprint(None) == account_fingerprint("") == account_fingerprint(DEMO_API_KEY) == "demo"


def test_accounts_never_see_each_others_takes(lib):
    alice, bob = account_fingerprint("key-alice"), account_fingerprint("key-bob")
    a = add(lib, alice, prompt="alice's cat")[0]
    b = add(lib, bob, prompt="bob's cat")[0]
    d = add(lib, "demo", prompt="demo cat")[0]
    assert [t.id for t in lib.list(alice)] == [a.id]
    assert [t.id for t in lib.list(bob, search="cat")] == [b.id]
    assert [t.id for t in lib.list("demo")] == [d.id]
    assert lib.get(a.id, account=bob) is None and lib.get(a.id, account=alice) == a
    assert lib.count(alice) == lib.count(bob) == 1
    assert lib.spend(alice, 0) == 100
    assert {t.id for t in lib.open_takes(alice)} == {a.id}
    assert {t.id for t in lib.open_takes()} == {a.id, b.id, d.id}
    # The key itself is never stored.
    if isinstance(lib, SQLiteLibrary):
        assert b"key-alice" not in lib.db_path.read_bytes()
    assert "key-alice" not in repr(sql(lib, "SELECT * FROM takes"))


# --- submissions -------------------------------------------------------------------------------
def test_add_batch_creates_pending_variants(lib, clock):
    takes, created = lib.add_batch(new(variants=3, prompt="waves"))
    assert created and [t.variant_index for t in takes] == [0, 1, 2]
    assert all(t.status == "pending" and t.is_open and not t.is_done for t in takes)
    assert len({t.id for t in takes}) == 3 and all(len(t.id) == 32 for t in takes)
    assert all(t.job_id is None and t.favourite is False and t.cache_hit is False for t in takes)
    assert takes[0].created_at == takes[0].updated_at


def test_resubmitting_the_same_submission_returns_the_same_takes(lib):
    batch = new(variants=2, submission="sub-1")
    first, created = lib.add_batch(batch)
    again, created_again = lib.add_batch(batch)
    assert created and not created_again
    assert again == first
    assert lib.count("demo") == 2
    assert lib.find_submission("demo", "sub-1") == first
    assert lib.find_submission(account_fingerprint("someone"), "sub-1") == []


def test_concurrent_double_submit_creates_once(lib):
    batch = new(variants=4, submission="double-click")
    results = []
    barrier = threading.Barrier(6)

    def go():
        barrier.wait()
        results.append(lib.add_batch(batch))

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(created for _, created in results) == [False] * 5 + [True]
    assert len({tuple(t.id for t in takes) for takes, _ in results}) == 1
    assert lib.count("demo") == 4


def test_add_batch_rejects_mixed_or_empty_batches(lib):
    with pytest.raises(ValueError):
        lib.add_batch([])
    mixed = new(submission="a") + new(submission="b")
    with pytest.raises(ValueError):
        lib.add_batch(mixed)
    with pytest.raises(InputError):
        lib.add_batch(new(source_file="../../etc/passwd"))


# --- listing -----------------------------------------------------------------------------------
def test_list_is_newest_first_with_filters(lib, clock):
    old = add(lib, prompt="Sunrise over the sea", variants=2)
    mid = add(lib, prompt="A red car in the rain", mode="image-to-video", model="sora-2-pro")
    new_ = add(lib, prompt="sunset, red sky", mode="remix")
    lib.update(mid[0].id, status="completed")
    lib.set_favourite(old[1].id, True)

    assert [t.id for t in lib.list("demo")] == [new_[0].id, mid[0].id, old[0].id, old[1].id]
    assert [t.id for t in lib.list("demo", mode="remix")] == [new_[0].id]
    assert [t.id for t in lib.list("demo", model="sora-2-pro")] == [mid[0].id]
    assert [t.id for t in lib.list("demo", status="completed")] == [mid[0].id]
    assert len(lib.list("demo", status=("pending", "completed"))) == 4
    assert len(lib.list("demo", status=OPEN_STATUSES)) == 3
    assert [t.id for t in lib.list("demo", favourite=True)] == [old[1].id]
    assert len(lib.list("demo", favourite=False)) == 3
    assert [t.id for t in lib.list("demo", search="RED")] == [new_[0].id, mid[0].id]
    assert [t.id for t in lib.list("demo", search="red rain")] == [mid[0].id]  # every word
    assert [t.id for t in lib.list("demo", limit=2, offset=1)] == [mid[0].id, old[0].id]
    assert lib.count("demo", search="sun") == 3
    assert lib.count("demo", mode="remix", search="sun") == 1


def test_search_is_literal_and_case_insensitive_beyond_ascii(lib):
    pct = add(lib, prompt="100% orange")[0]
    add(lib, prompt="1000 oranges")
    under = add(lib, prompt="snake_case title")[0]
    add(lib, prompt="snakeXcase title")
    cafe = add(lib, prompt="Café at night")[0]
    assert [t.id for t in lib.list("demo", search="100%")] == [pct.id]
    assert [t.id for t in lib.list("demo", search="e_c")] == [under.id]
    assert [t.id for t in lib.list("demo", search="CAFÉ")] == [cafe.id]
    assert lib.list("demo", search="'; DROP TABLE takes; --") == []
    assert lib.count("demo") == 5


def test_open_takes_are_oldest_first(lib, clock):
    a = add(lib)[0]
    b = add(lib, account_fingerprint("other"))[0]
    c = add(lib)[0]
    lib.update(c.id, status="failed", error="boom")
    lib.update(a.id, status="processing", job_id="job_1")
    assert [t.id for t in lib.open_takes()] == [a.id, b.id]
    assert [t.id for t in lib.open_takes("demo")] == [a.id]


# --- updates -----------------------------------------------------------------------------------
def test_update_bumps_updated_at_and_returns_the_new_take(lib, clock):
    take = add(lib)[0]
    done = lib.update(take.id, status="completed", job_id="job_9", video_path="videos/x.mp4", cache_hit=True)
    assert done.status == "completed" and done.job_id == "job_9" and done.cache_hit is True
    assert done.updated_at > take.updated_at and done.completed_at == done.updated_at
    assert done.is_done and not done.is_open
    assert lib.get(take.id) == done


def test_update_rejects_unknown_and_immutable_columns(lib):
    take = add(lib)[0]
    for bad in ({"colour": "red"}, {"id": "x"}, {"account": "someone"}, {"created_at": 0.0}, {}):
        with pytest.raises(ValueError):
            lib.update(take.id, **bad)
    with pytest.raises(ValueError):
        lib.update(take.id, status="exploded")
    with pytest.raises(InputError):
        lib.update(take.id, video_path="../../../etc/passwd")
    with pytest.raises(TakeNotFound):
        lib.update("no-such-take", status="failed")
    assert lib.get(take.id) == take


# --- lineage -----------------------------------------------------------------------------------
def test_lineage_across_three_generations_and_children(lib, clock):
    root = add(lib, prompt="original")[0]
    child = add(lib, prompt="remix 1", mode="remix", source_take_id=root.id)[0]
    sibling = add(lib, prompt="remix 1b", mode="remix", source_take_id=root.id)[0]
    grandchild = add(lib, prompt="remix 2", mode="remix", source_take_id=child.id)[0]
    assert [t.id for t in lib.lineage(grandchild.id)] == [root.id, child.id, grandchild.id]
    assert [t.id for t in lib.lineage(root.id)] == [root.id]
    assert [t.id for t in lib.children(root.id)] == [child.id, sibling.id]
    assert lib.lineage("missing") == []


def test_lineage_survives_a_cycle_and_a_deleted_ancestor(lib):
    a = add(lib)[0]
    b = add(lib, source_take_id=a.id)[0]
    c = add(lib, source_take_id=b.id)[0]
    lib.update(a.id, source_take_id=c.id)  # corrupt data: a cycle
    chain = lib.lineage(c.id)
    assert len(chain) == 3 and chain[-1].id == c.id and len({t.id for t in chain}) == 3
    lib.update(a.id, source_take_id=None)
    lib.delete(a.id)
    assert [t.id for t in lib.lineage(c.id)] == [b.id, c.id]


# --- files -------------------------------------------------------------------------------------
def test_store_bytes_is_atomic_and_named_by_id(lib):
    rel = lib.store_bytes(b"\x89PNG fake", ".PNG", kind="inputs")
    assert rel.startswith("inputs/") and rel.endswith(".png")
    assert lib.path(rel).read_bytes() == b"\x89PNG fake"
    assert [p.name for p in (lib.media_root / "inputs").iterdir()] == [Path(rel).name]
    with pytest.raises(ValueError):
        lib.store_bytes(b"x", ".mp4", kind="secrets")
    with pytest.raises(ValueError):
        lib.store_bytes(b"x", "/../../evil.sh", kind="videos")


def test_delete_removes_the_row_and_its_files_but_keeps_shared_inputs(lib):
    shared = lib.store_bytes(b"image", ".jpg", kind="inputs")
    first = add(lib, mode="image-to-video", source_file=shared, source_name="holiday.jpg")[0]
    second = add(lib, mode="image-to-video", source_file=shared, source_name="holiday.jpg")[0]
    video = lib.store_bytes(b"video", ".mp4", kind="videos")
    poster = lib.store_bytes(b"poster", ".jpg", kind="posters")
    lib.update(first.id, status="completed", video_path=video, poster_path=poster)

    lib.delete(first.id)
    assert lib.get(first.id) is None
    assert not lib.path(video).exists() and not lib.path(poster).exists()
    assert lib.path(shared).exists()  # the other take still uses it
    lib.delete(second.id)
    assert not lib.path(shared).exists()
    lib.delete(second.id)  # deleting twice is harmless


def test_a_video_used_as_a_remix_source_outlives_its_take(lib):
    video = lib.store_bytes(b"video", ".mp4", kind="videos")
    original = add(lib)[0]
    lib.update(original.id, status="completed", video_path=video)
    remix = add(lib, mode="remix", source_take_id=original.id, source_file=video)[0]
    lib.delete(original.id)
    assert lib.path(video).exists()
    lib.delete(remix.id)
    assert not lib.path(video).exists()


@pytest.mark.parametrize(
    "rel",
    [
        "../x",
        "/etc/passwd",
        "videos/../../x",
        "videos/../../../etc/passwd",
        "",
        "C:/x",
        "a\\..\\b",
        "videos/\x00",
    ],
)
def test_paths_escaping_the_media_root_are_refused(lib, rel):
    with pytest.raises(InputError):
        lib.path(rel)


def test_symlink_out_of_the_media_root_is_refused(lib, tmp_path):
    (lib.media_root / "videos" / "link").symlink_to(tmp_path)
    with pytest.raises(InputError):
        lib.path("videos/link/secret")
    assert lib.path("videos/abc.mp4") == lib.media_root.resolve() / "videos" / "abc.mp4"


# --- spend -------------------------------------------------------------------------------------
def test_spend_counts_everything_that_may_have_been_charged(lib, clock):
    before = add(lib, estimated_credits=1)[0]
    since = before.created_at + 0.5
    add(lib, estimated_credits=100)  # pending: counts
    rejected = add(lib, estimated_credits=200)[0]
    lib.update(rejected.id, status="failed", error="402")  # never reached a job: free
    ran = add(lib, estimated_credits=300)[0]
    lib.update(ran.id, job_id="job_1", status="failed")  # reached a job: counts
    unknown = add(lib, estimated_credits=400)[0]
    lib.update(unknown.id, status="unknown")  # the create may have gone through: counts
    cancelled = add(lib, estimated_credits=500)[0]
    lib.update(cancelled.id, status="cancelled")
    add(lib, account_fingerprint("other"), estimated_credits=1000)
    assert lib.spend("demo", since) == 100 + 300 + 400
    assert lib.spend("demo", 0) == 801


# --- storage errors ----------------------------------------------------------------------------
@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores chmod 0o555; covered by the file-in-the-way test")
@pytest.mark.sqlite_only
def test_read_only_data_folder_gives_a_clear_storage_error(tmp_path):
    home = tmp_path / "ro"
    home.mkdir()
    home.chmod(0o555)
    try:
        with pytest.raises(StorageError) as info:
            Library(home)
        assert "read-only" in info.value.message or "cannot be opened" in info.value.message
    finally:
        home.chmod(0o755)


@pytest.mark.sqlite_only
def test_data_folder_under_a_file_gives_a_clear_storage_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("I am a file")
    with pytest.raises(StorageError) as info:
        Library(blocker / "home")
    assert isinstance(info.value, StudioError)
    assert "a file is in the way" in info.value.message and str(blocker) in info.value.message
    with pytest.raises(StorageError):
        Library(blocker)


def test_full_disk_leaves_no_half_written_file(lib, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(media_files.os, "fsync", full)
    with pytest.raises(StorageError) as info:
        lib.store_bytes(b"x" * 10_000, ".mp4", kind="videos")
    assert "disk" in info.value.message and "full" in info.value.message
    assert list((lib.media_root / "videos").iterdir()) == []


def test_unwritable_media_folder_is_a_storage_error(lib, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(media_files.tempfile, "mkstemp", denied)
    with pytest.raises(StorageError) as info:
        lib.store_bytes(b"x", ".jpg", kind="posters")
    assert "read-only" in info.value.message


@pytest.mark.sqlite_only
def test_damaged_database_is_a_storage_error(studio_home):
    (studio_home / "library.sqlite3").write_bytes(b"this is not sqlite " * 200)
    with pytest.raises(StorageError) as info:
        Library(studio_home)
    assert "damaged" in info.value.message


# --- concurrency -------------------------------------------------------------------------------
def test_short_lived_threads_do_not_leak_connections(lib):
    psutil = pytest.importorskip("psutil")
    add(lib)
    proc = psutil.Process()

    def read():
        assert lib.count("demo") == 1

    def burst(n):
        for _ in range(n):
            t = threading.Thread(target=read)  # like Streamlit: a new thread per rerun
            t.start()
            t.join()

    burst(10)
    before = proc.num_fds()
    burst(200)
    assert proc.num_fds() <= before + 5


OPS_PER_WORKER = 50


def _worker(url: str | None, home: str, name: str, ops: int = OPS_PER_WORKER) -> list[str]:
    """Half inserts, half read-then-write updates; returns the ids it made."""
    lib = open_store(url, Path(home))
    account = account_fingerprint(name) if name.startswith("acct") else "demo"
    made: list[str] = []
    for i in range(ops):
        if i % 2 == 0:
            takes, created = lib.add_batch(new(account, prompt=f"{name} take {i}", submission=f"{name}-{i}"))
            assert created
            made.append(takes[0].id)
        else:
            take = lib.update(made[-1], status="completed", job_id=f"job-{name}-{i}", favourite=i % 4 == 1)
            assert take.status == "completed"
            lib.list(account, search="take", limit=5)
    return made


def _process_worker(url: str | None, home: str, name: str, queue) -> None:
    try:
        queue.put((name, _worker(url, home, name), None))
    except BaseException as exc:  # report, don't hang the parent
        queue.put((name, [], repr(exc)))


@pytest.mark.slow
def test_threads_and_processes_write_at_once_without_errors(store, lib):
    home, url = str(lib.home), store.url
    processes = []
    queues = []
    for method in ("spawn", "fork"):  # a fresh interpreter, and a fork carrying the open library
        ctx = multiprocessing.get_context(method)
        queue = ctx.Queue()
        proc = ctx.Process(target=_process_worker, args=(url, home, f"acct-proc-{method}", queue))
        proc.start()
        processes.append(proc)
        queues.append(queue)

    errors: list[BaseException] = []
    made: dict[str, list[str]] = {}

    def thread_worker(name: str) -> None:
        try:
            made[name] = _worker(url, home, name)
        except BaseException as exc:
            errors.append(exc)

    # Half the threads share this Library object (one connection each), half open their own.
    def shared_worker(name: str) -> None:
        try:
            ids = []
            for i in range(OPS_PER_WORKER):
                if i % 2 == 0:
                    ids.append(
                        lib.add_batch(new(prompt=f"{name} take {i}", submission=f"{name}-{i}"))[0][0].id
                    )
                else:
                    lib.update(ids[-1], status="completed", job_id=f"job-{name}-{i}")
            made[name] = ids
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=thread_worker if n % 2 else shared_worker, args=(f"thread{n}",))
        for n in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for queue, proc in zip(queues, processes, strict=True):
        name, ids, err = queue.get(timeout=120)
        proc.join(timeout=30)
        assert err is None, f"{name}: {err}"
        assert proc.exitcode == 0
        made[name] = ids

    assert errors == []
    per_worker = OPS_PER_WORKER // 2
    assert len(made) == 10 and all(len(ids) == per_worker for ids in made.values())
    for name, ids in made.items():
        account = account_fingerprint(name) if name.startswith("acct") else "demo"
        takes = [lib.get(i, account=account) for i in ids]
        assert all(t is not None and t.status == "completed" and t.job_id for t in takes), name
    assert lib.count("demo") == 8 * per_worker
    assert lib.count(account_fingerprint("acct-proc-spawn")) == per_worker
    assert lib.integrity_check() == "ok"
    assert sql(lib, "SELECT COUNT(*) FROM takes")[0][0] == 10 * per_worker
    if isinstance(lib, SQLiteLibrary):
        db = sqlite3.connect(lib.db_path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.sqlite_only
def test_a_library_emptied_to_zero_bytes_next_to_videos_is_set_aside_and_said(studio_home):
    lib = Library(studio_home)
    rel = lib.store_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, ".mp4", kind="videos")
    lib.close()
    (studio_home / "library.sqlite3").write_bytes(b"")
    for extra in ("library.sqlite3-wal", "library.sqlite3-shm"):
        (studio_home / extra).unlink(missing_ok=True)
    with pytest.raises(StorageError) as info:
        Library(studio_home)
    assert "damaged" in info.value.message and "kept aside" in info.value.message
    assert list(studio_home.glob("library.sqlite3.damaged-*")), "the old file is kept"
    assert (studio_home / "media" / rel).exists(), "the videos are untouched"
    assert Library(studio_home).list("demo") == []  # a reload starts a new, empty one, knowingly


@pytest.mark.sqlite_only
def test_the_library_and_media_are_private_to_the_studio_user(studio_home):
    lib = Library(studio_home)
    rel = lib.store_bytes(b"data", ".jpg", kind="inputs")
    assert (studio_home.stat().st_mode & 0o777) == 0o700
    assert ((studio_home / "library.sqlite3").stat().st_mode & 0o777) == 0o600
    assert ((studio_home / "media" / "inputs").stat().st_mode & 0o777) == 0o700
    assert ((studio_home / "media" / rel).stat().st_mode & 0o077) == 0, "no group or world access"


def test_partial_downloads_left_by_a_killed_run_are_swept(lib, studio_home):
    old = studio_home / "media" / "videos" / ".take.mp4.abc.part"
    fresh = studio_home / "media" / "videos" / ".other.mp4.def.part"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    assert lib.sweep_partial_files() == 1
    assert not old.exists() and fresh.exists(), "a download in progress elsewhere is left alone"


# --- choosing the engine -------------------------------------------------------------------------
def test_the_settings_choose_the_engine_and_never_show_the_password(studio_home, monkeypatch):
    from studio.settings import load_settings
    from studio.store import open_library

    assert load_settings({"STUDIO_HOME": str(studio_home)}).database_url is None
    lib = open_library(load_settings({"STUDIO_HOME": str(studio_home)}))
    assert isinstance(lib, SQLiteLibrary) and lib.home == studio_home
    lib.close()
    url = "postgresql://studio:s3cret-pw@127.0.0.1:1/none"
    settings = load_settings({"STUDIO_HOME": str(studio_home), "STUDIO_DATABASE_URL": f" {url} "})
    assert settings.database_url == url and "s3cret-pw" not in repr(settings)
    with pytest.raises(StorageError) as unreachable:  # nothing listens on port 1
        open_library(settings)
    assert "s3cret-pw" not in unreachable.value.message and "127.0.0.1:1" in unreachable.value.message
    with pytest.raises(StorageError) as wrong:
        open_library(settings.with_overrides(database_url="mysql://db/studio"))
    assert "postgresql://" in wrong.value.message


def test_a_capped_count_stops_at_the_cap(lib):
    for i in range(5):
        lib.add_batch(
            [NewTake("acct", f"cap{i}", f"cap{i}", 0, "text-to-video", "sora-2", f"p {i}", 4, 4, "16:9", 10)]
        )
    assert lib.count("acct") == 5
    assert lib.count("acct", cap=3) == 3
    assert lib.count("acct", cap=10) == 5
    assert lib.count("acct", cap=3, search="p 4") == 1
