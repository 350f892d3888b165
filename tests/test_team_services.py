"""The team deployment's engines, as `scripts/test.sh` starts them: the library's numbered migrations
run unchanged on a real PostgreSQL (and give an old library the same idea trees as on SQLite), and
an S3-compatible store (moto's server) takes objects and serves them by presigned URL, with ranges."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
import uuid

import pytest

from studio.migrations import MIGRATIONS, statements

DATABASE_URL = os.environ.get("STUDIO_TEST_DATABASE_URL", "")
S3_ENDPOINT = os.environ.get("STUDIO_TEST_S3_ENDPOINT", "")


@pytest.fixture
def pg():
    """A connection in a schema of its own, dropped afterwards."""
    if not DATABASE_URL:
        pytest.skip("no PostgreSQL: scripts/test.sh starts one (STUDIO_TEST_DATABASE_URL)")
    psycopg = pytest.importorskip("psycopg")
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}")
        try:
            yield conn
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _migrate(conn, upto: int | None = None) -> list[int]:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    applied = []
    for version, sql in sorted(MIGRATIONS):
        if version in done or (upto is not None and version > upto):
            continue
        with conn.transaction():
            for statement in statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (%s, 0)", (version,))
        applied.append(version)
    return applied


def test_every_migration_runs_on_postgresql_once(pg):
    assert _migrate(pg) == [v for v, _ in sorted(MIGRATIONS)]
    assert _migrate(pg) == [], "a second start applies nothing"
    columns = {r[0] for r in pg.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'takes'")}
    assert {"idempotency_key", "lease_owner", "parent_id", "idea_id", "verdict", "frame_time"} <= columns
    pg.execute("INSERT INTO ideas (account, id, name) VALUES ('demo', 'b1', 'one')")
    pg.execute(
        "INSERT INTO ideas (account, id, name) VALUES ('demo', 'b1', 'two')"
        " ON CONFLICT (account, id) DO UPDATE SET name = excluded.name"
    )
    assert pg.execute("SELECT name FROM ideas").fetchall() == [("two",)]


def test_migration_4_gives_an_old_library_the_same_ideas_on_postgresql(pg):
    _migrate(pg, upto=3)

    def row(take_id, batch, source=None, mode="text-to-video"):
        pg.execute(
            "INSERT INTO takes (id, account, batch_id, submission_id, variant_index, mode, model, prompt,"
            " source_take_id, created_at, updated_at) VALUES (%s, 'demo', %s, %s, 0, %s, 'sora-2', 'p', %s, 1, 1)",
            (take_id, batch, take_id, mode, source),
        )

    row("root", "batch-a")
    row("remix", "batch-b", source="root", mode="remix")
    row("animated", "batch-c", source="remix", mode="image-to-video")
    row("orphan", "batch-d", source="gone", mode="remix")
    assert _migrate(pg)[0] == 4  # and any later steps
    got = dict(pg.execute("SELECT id, idea_id FROM takes").fetchall())
    assert got == {"root": "batch-a", "remix": "batch-a", "animated": "batch-a", "orphan": "batch-d"}
    relations = dict(pg.execute("SELECT id, relation FROM takes").fetchall())
    assert relations == {"root": None, "remix": "remix", "animated": "animate", "orphan": "remix"}


def test_an_object_store_serves_media_by_presigned_url_with_ranges():
    if not S3_ENDPOINT:
        pytest.skip("no S3 server: scripts/test.sh starts moto's (STUDIO_TEST_S3_ENDPOINT)")
    boto3 = pytest.importorskip("boto3")
    s3 = boto3.client(
        "s3",
        endpoint_url=S3_ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = "studio-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    body = os.urandom(4096)
    s3.put_object(Bucket=bucket, Key="media/videos/take.mp4", Body=body, ContentType="video/mp4")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "media/videos/take.mp4"}, ExpiresIn=60
    )
    assert url.startswith(S3_ENDPOINT)
    req = urllib.request.Request(url, headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 206 and resp.read() == body[:100]
    # moto does not check signatures (a real store does): what is tested here is the round trip.
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(url.replace("take.mp4", "other.mp4"), timeout=5)
    assert missing.value.code in (403, 404)
