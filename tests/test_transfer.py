"""`python -m studio.transfer`: a single-user SQLite library copied into a real PostgreSQL, exactly once."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import socket
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from factories import faststart_mp4, photo
from studio import transfer as tr
from studio.errors import StorageError
from studio.migrations import MIGRATIONS, statements
from studio.store import SQLiteLibrary, open_store
from studio.store.sqlite import DB_NAME
from studio.take import NewTake, Relation, Take, Verdict

DATABASE_URL = os.environ.get("STUDIO_TEST_DATABASE_URL", "")
ACCOUNT = "acct_team"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def pg_url():
    """A PostgreSQL URL whose tables land in a schema of their own (dropped afterwards)."""
    if not DATABASE_URL:
        pytest.skip("no PostgreSQL: scripts/test.sh starts one (STUDIO_TEST_DATABASE_URL)")
    psycopg = pytest.importorskip("psycopg")
    schema = "tr_" + uuid.uuid4().hex[:12]
    with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in DATABASE_URL else "?"
    try:
        yield f"{DATABASE_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def _tables(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return {r[0] for r in rows}


def _new(batch: str, prompt: str, *, variants: int = 1, **extra) -> list[NewTake]:
    base = dict(
        account=ACCOUNT,
        batch_id=batch,
        submission_id=f"sub-{batch}",
        mode="text-to-video",
        model="sora_2",
        prompt=prompt,
        duration_requested=4,
        duration=4,
        aspect_ratio="16:9",
        estimated_credits=84,
    )
    base.update(extra)
    return [NewTake(variant_index=i, **base) for i in range(variants)]  # type: ignore[arg-type]


@dataclasses.dataclass
class Source:
    home: Path
    takes: list[Take]
    ideas: dict[str, tuple[str | None, bool]]
    files: list[str]


@pytest.fixture
def source(tmp_path: Path) -> Source:
    """A single user's library: ideas with names, verdicts, lineage, a finished take with its video and
    poster, an open take another process was following, an image take with its inputs, a failure."""
    home = tmp_path / "single-user"
    lib = SQLiteLibrary(home)
    try:
        (first,), _ = lib.add_batch(
            _new("b-lighthouse", "a lighthouse at dusk, waves", seed=7, camera="dolly_in")
        )
        video = lib.store_bytes(faststart_mp4(0.5), ".mp4", kind="videos")
        poster = lib.store_bytes(photo(64, 36), ".jpg", kind="posters")
        lib.update(
            first.id,
            job_id="job-1",
            status="completed",
            video_path=video,
            poster_path=poster,
            duration=5.041666666666667,  # a probed length: every digit must survive
            billed_credits=84,
            progress=1.0,
            progress_message="done",
            output_url="https://cdn.example/out.mp4",
            favourite=True,
            shot='{"subject": "a lighthouse", "lighting": "dusk"}',
        )
        lib.set_verdict(first.id, Verdict.KEEP, ["style"], "the one")
        (reroll,), _ = lib.add_batch(
            _new(
                "b-reroll",
                first.prompt,
                seed=8,
                parent_id=first.id,
                relation=Relation.REROLL,
                idea_id="b-lighthouse",
            )
        )
        lib.update(reroll.id, job_id="job-2", status="completed", billed_credits=84, cache_hit=True)
        lib.set_verdict(reroll.id, Verdict.REJECT, ["motion", "text"], "jittery")
        (remix,), _ = lib.add_batch(
            _new(
                "b-remix",
                "the lighthouse in a storm",
                mode="remix",
                source_take_id=first.id,
                parent_id=first.id,
                relation=Relation.REMIX,
                idea_id="b-lighthouse",
                session_id="browser-1",
            )
        )
        lib.update(remix.id, job_id="job-3", status="processing", progress=0.4)
        assert lib.claim(remix.id, "single-user-process", 3600) is not None
        image = lib.store_bytes(photo(160, 90), ".jpg", kind="inputs")
        original = lib.store_bytes(photo(200, 200, seed=2), ".jpg", kind="inputs")
        lib.add_batch(
            _new(
                "b-harbour",
                "a harbour, boats rocking",
                variants=2,
                mode="image-to-video",
                source_file=image,
                source_name="harbour.jpg",
                original_file=original,
                crop="0.5,0.4,1.2",
                frame_time=1.25,
            )
        )
        (failed,), _ = lib.add_batch(_new("b-desert", "a desert road"))
        lib.update(failed.id, status="failed", error="The model refused the prompt.")
        lib.name_idea(ACCOUNT, "b-lighthouse", "Lighthouse")
        lib.collapse_idea(ACCOUNT, "b-harbour", True)
        takes = lib.list(ACCOUNT, limit=None)
        ideas = lib.idea_names(ACCOUNT, ["b-lighthouse", "b-harbour", "b-desert"])
        return Source(home, takes, ideas, [video, poster, image, original])
    finally:
        lib.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_take_and_idea_reads_back_equal_in_postgresql_without_leases(source, pg_url, tmp_path):
    before = _digest(source.home / DB_NAME)
    result = tr.transfer(source.home, pg_url)
    assert result.count("takes") == tr.TableCount("takes", len(source.takes), 0)
    assert result.count("ideas") == tr.TableCount("ideas", 2, 0)
    assert "schema_migrations" not in {t.table for t in result.tables}
    assert result.media is None
    team = open_store(pg_url, source.home)
    try:
        copied = {t.id: t for t in team.list(ACCOUNT, limit=None)}
        assert set(copied) == {t.id for t in source.takes}
        for take in source.takes:
            assert copied[take.id] == dataclasses.replace(take, lease_owner=None, lease_expires=None)
        assert team.idea_names(ACCOUNT, ["b-lighthouse", "b-harbour", "b-desert"]) == source.ideas
        assert team.schema_version() == max(v for v, _ in MIGRATIONS)
        # the open take is free for the team's replicas, which resume following it
        remix = next(t for t in source.takes if t.mode == "remix")
        assert remix.lease_owner == "single-user-process" and copied[remix.id].status == "processing"
        assert team.claim(remix.id, "replica-1", 30) is not None
        # same data folder: the finished take's video is found where it always was
        first = next(t for t in source.takes if t.video_path)
        assert team.path(first.video_path).read_bytes()[4:8] == b"ftyp"
    finally:
        team.close()
    assert _digest(source.home / DB_NAME) == before, "the source library is only read"


def test_a_second_run_copies_nothing_and_says_everything_is_already_there(source, pg_url):
    tr.transfer(source.home, pg_url)
    again = tr.transfer(source.home, pg_url)
    assert again.count("takes") == tr.TableCount("takes", 0, len(source.takes))
    assert again.count("ideas") == tr.TableCount("ideas", 0, 2)
    team = open_store(pg_url, source.home)
    try:
        assert team.count(ACCOUNT) == len(source.takes)
    finally:
        team.close()


def test_rows_go_in_batches_and_the_counts_add_up(source, pg_url, monkeypatch):
    takes_columns = len(dataclasses.fields(Take))
    monkeypatch.setattr(tr, "MAX_PARAMS", takes_columns * 2)  # two takes per INSERT
    result = tr.transfer(source.home, pg_url)
    assert result.count("takes").copied == len(source.takes) > 2


def test_dry_run_counts_and_writes_nothing_not_even_the_schema(source, pg_url):
    dry = tr.transfer(source.home, pg_url, dry_run=True)
    assert dry.dry_run and dry.count("takes") == tr.TableCount("takes", len(source.takes), 0)
    assert _tables(pg_url) == set(), "a dry run does not even run the migrations"
    tr.transfer(source.home, pg_url)
    lib = SQLiteLibrary(source.home)
    try:
        lib.add_batch(_new("b-late", "one more"))
    finally:
        lib.close()
    dry = tr.transfer(source.home, pg_url, dry_run=True)
    assert dry.count("takes") == tr.TableCount("takes", 1, len(source.takes))
    team = open_store(pg_url, source.home)
    try:
        assert team.count(ACCOUNT) == len(source.takes)
    finally:
        team.close()


def test_media_are_copied_into_another_data_folder_only_when_asked(source, pg_url, tmp_path):
    team_home = tmp_path / "team"
    dry = tr.transfer(source.home, pg_url, media_to=team_home, dry_run=True)
    assert dry.media == tr.MediaCount(copied=len(source.files))
    assert not (team_home / "media").exists()
    (source.home / "media" / source.files[2]).unlink()  # an input someone removed by hand
    result = tr.transfer(source.home, pg_url, media_to=team_home)
    assert result.media == tr.MediaCount(copied=len(source.files) - 1, missing=1)
    for rel in source.files[:2] + source.files[3:]:
        assert (team_home / "media" / rel).read_bytes() == (source.home / "media" / rel).read_bytes()
    assert not list((team_home / "media").rglob(".tmp-*"))
    again = tr.transfer(source.home, pg_url, media_to=team_home)
    assert again.media == tr.MediaCount(already=len(source.files) - 1, missing=1)


def test_a_library_from_a_newer_studio_is_refused_and_nothing_is_written(source, pg_url):
    newest = max(v for v, _ in MIGRATIONS)
    with sqlite3.connect(source.home / DB_NAME) as conn:
        conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", (newest + 1,))
    with pytest.raises(StorageError) as caught:
        tr.transfer(source.home, pg_url)
    assert caught.value.field == tr.Side.SOURCE
    assert f"schema {newest + 1}" in caught.value.message and "newer studio" in caught.value.message
    err = io.StringIO()
    assert tr.main(["--from", str(source.home), "--to", pg_url], err=err) == tr.Exit.SOURCE
    assert "newer studio" in err.getvalue()
    assert _tables(pg_url) == set()


def test_an_older_library_is_brought_up_to_date_on_the_way_and_left_as_it_was(tmp_path, pg_url):
    home = tmp_path / "old"
    home.mkdir()
    with sqlite3.connect(home / DB_NAME) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
        for version, sql in sorted(MIGRATIONS)[:3]:
            for statement in statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, 0)", (version,))
        conn.execute(
            "INSERT INTO takes (id, account, batch_id, submission_id, variant_index, mode, model, prompt,"
            " created_at, updated_at) VALUES ('t1', 'demo', 'b1', 's1', 0, 'text-to-video', 'sora-2', 'p', 1, 1)"
        )
    result = tr.transfer(home, pg_url)
    assert result.schema_version == 3 and result.count("takes").copied == 1
    team = open_store(pg_url, home)
    try:
        assert team.get("t1").idea_id == "b1"  # migration 4's idea trees, as the studio would have made
    finally:
        team.close()
    assert tr.source_version(home / DB_NAME) == 3


def test_a_conflicting_row_stops_the_whole_copy_in_one_transaction(source, pg_url):
    team = open_store(pg_url, source.home)
    try:
        other = source.takes[0]
        team.add_batch(_new("b-other", "not the same take", idempotency_key=other.idempotency_key))
    finally:
        team.close()
    err = io.StringIO()
    assert tr.main(["--from", str(source.home), "--to", pg_url], err=err) == tr.Exit.TARGET
    assert "conflicts" in err.getvalue() and "Nothing was copied" in err.getvalue()
    team = open_store(pg_url, source.home)
    try:
        assert team.count(ACCOUNT) == 1 and team.idea_names(ACCOUNT, ["b-lighthouse"]) == {}
    finally:
        team.close()


def test_a_missing_library_says_where_it_looked(tmp_path, pg_url):
    err = io.StringIO()
    assert tr.main(["--from", str(tmp_path / "nothing"), "--to", pg_url], err=err) == tr.Exit.SOURCE
    assert f"No studio library at {tmp_path / 'nothing' / DB_NAME}" in err.getvalue()


def test_a_target_that_is_not_postgresql_is_refused(source):
    err = io.StringIO()
    assert tr.main(["--from", str(source.home), "--to", "mysql://x@y/z"], err=err) == tr.Exit.TARGET
    assert "postgresql://" in err.getvalue()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("STUDIO_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "studio.transfer", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_copies_reports_and_exits_zero(source, pg_url):
    done = _run("--from", str(source.home), "--to", pg_url)
    assert done.returncode == 0, done.stderr
    assert f"takes: copied {len(source.takes)}, already there 0" in done.stdout
    assert "ideas: copied 2, already there 0" in done.stdout
    assert "media files: left in place" in done.stdout
    again = _run("--from", str(source.home), "--to", pg_url, "--dry-run")
    assert again.returncode == 0, again.stderr
    assert f"takes: would copy 0, already there {len(source.takes)}" in again.stdout


def test_an_unreachable_database_exits_4_without_the_password_or_a_traceback(source):
    secret = "hunter2-very-secret"
    done = _run(
        "--from", str(source.home), "--to", f"postgresql://studio:{secret}@127.0.0.1:{_closed_port()}/team"
    )
    assert done.returncode == tr.Exit.TARGET
    assert "Cannot reach the PostgreSQL database team on 127.0.0.1" in done.stderr
    assert secret not in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_a_malformed_url_is_refused_without_echoing_its_password(source):
    err = io.StringIO()
    code = tr.main(["--from", str(source.home), "--to", "postgresql://studio:hunter2@[::1/team"], err=err)
    assert code == tr.Exit.TARGET
    assert "hunter2" not in err.getvalue() and err.getvalue().startswith("error: ")


def test_a_library_still_open_in_a_running_studio_is_copied_with_its_latest_writes(source, pg_url):
    running = SQLiteLibrary(source.home)  # its newest rows may still sit in the WAL file
    try:
        (late,), _ = running.add_batch(_new("b-running", "written a moment ago"))
        result = tr.transfer(source.home, pg_url)
        assert result.count("takes").copied == len(source.takes) + 1
        assert running.add_batch(_new("b-after", "after the copy"))[1], "the studio goes on writing"
    finally:
        running.close()
    team = open_store(pg_url, source.home)
    try:
        assert team.get(late.id) == late
    finally:
        team.close()
