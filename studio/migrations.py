"""The library's schema as numbered migrations: small named steps, applied in order, never edited."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

# Numbered migrations, applied in order, each in one transaction with its row in schema_migrations.
# Never edit a released migration: append a new one.
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE takes (
            id                 TEXT PRIMARY KEY,
            account            TEXT NOT NULL,
            batch_id           TEXT NOT NULL,
            submission_id      TEXT NOT NULL,
            variant_index      INTEGER NOT NULL,
            mode               TEXT NOT NULL,
            model              TEXT NOT NULL,
            prompt             TEXT NOT NULL,
            duration_requested NUMERIC,
            duration           NUMERIC,
            aspect_ratio       TEXT,
            source_take_id     TEXT,
            source_file        TEXT,
            source_name        TEXT,
            estimated_credits  INTEGER NOT NULL DEFAULT 0,
            job_id             TEXT,
            status             TEXT NOT NULL DEFAULT 'pending',
            error              TEXT,
            created_at         REAL NOT NULL,
            updated_at         REAL NOT NULL,
            completed_at       REAL,
            video_path         TEXT,
            poster_path        TEXT,
            favourite          INTEGER NOT NULL DEFAULT 0,
            cache_hit          INTEGER NOT NULL DEFAULT 0,
            UNIQUE (account, submission_id, variant_index)
        );
        CREATE INDEX takes_account_created ON takes (account, created_at);
        CREATE INDEX takes_account_status ON takes (account, status);
        CREATE INDEX takes_job ON takes (job_id);
        CREATE INDEX takes_batch ON takes (batch_id);
        CREATE INDEX takes_source ON takes (source_take_id);
        """,
    ),
    (
        2,
        """
        ALTER TABLE takes ADD COLUMN idempotency_key TEXT;
        ALTER TABLE takes ADD COLUMN seed INTEGER;
        ALTER TABLE takes ADD COLUMN audio INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE takes ADD COLUMN progress REAL;
        ALTER TABLE takes ADD COLUMN progress_message TEXT;
        ALTER TABLE takes ADD COLUMN billed_credits INTEGER;
        ALTER TABLE takes ADD COLUMN output_url TEXT;
        CREATE UNIQUE INDEX takes_idempotency ON takes (idempotency_key);
        """,
    ),
    (
        3,
        """
        ALTER TABLE takes ADD COLUMN session_id TEXT;
        ALTER TABLE takes ADD COLUMN lease_owner TEXT;
        ALTER TABLE takes ADD COLUMN lease_expires REAL;
        ALTER TABLE takes ADD COLUMN candidates TEXT;
        CREATE INDEX takes_session ON takes (account, session_id);
        """,
    ),
    (
        4,
        """
        ALTER TABLE takes ADD COLUMN parent_id TEXT;
        ALTER TABLE takes ADD COLUMN relation TEXT;
        ALTER TABLE takes ADD COLUMN idea_id TEXT;
        ALTER TABLE takes ADD COLUMN verdict TEXT;
        ALTER TABLE takes ADD COLUMN verdict_reasons TEXT;
        ALTER TABLE takes ADD COLUMN verdict_note TEXT;
        ALTER TABLE takes ADD COLUMN camera TEXT;
        ALTER TABLE takes ADD COLUMN shot TEXT;
        ALTER TABLE takes ADD COLUMN sweep_id TEXT;
        ALTER TABLE takes ADD COLUMN crop TEXT;
        ALTER TABLE takes ADD COLUMN original_file TEXT;
        ALTER TABLE takes ADD COLUMN end_file TEXT;
        ALTER TABLE takes ADD COLUMN frame_time REAL;
        UPDATE takes SET parent_id = source_take_id,
            relation = CASE mode WHEN 'remix' THEN 'remix' ELSE 'animate' END
            WHERE source_take_id IS NOT NULL;
        WITH RECURSIVE up (id, root) AS (
            SELECT id, batch_id FROM takes WHERE parent_id IS NULL
            UNION ALL
            SELECT t.id, up.root FROM takes t JOIN up ON t.parent_id = up.id
        )
        UPDATE takes SET idea_id = (SELECT root FROM up WHERE up.id = takes.id);
        UPDATE takes SET idea_id = batch_id WHERE idea_id IS NULL;
        CREATE INDEX takes_idea ON takes (account, idea_id);
        CREATE INDEX takes_parent ON takes (parent_id);
        CREATE TABLE ideas (
            account   TEXT NOT NULL,
            id        TEXT NOT NULL,
            name      TEXT,
            collapsed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (account, id)
        );
        """,
    ),
    (
        5,
        """
        ALTER TABLE takes ADD COLUMN created_by TEXT;
        CREATE INDEX takes_person ON takes (account, created_by, created_at);
        """,
    ),
    (
        6,
        # Storyboards (issue 12): shots in order, each with candidate takes, the chosen one and a trim.
        # A deleted take leaves its shots (unchosen) and its candidacies go; a deleted storyboard
        # takes its shots along. Positions are kept dense by the library, not by a constraint.
        """
        CREATE TABLE storyboards (
            id         TEXT PRIMARY KEY,
            account    TEXT NOT NULL,
            name       TEXT NOT NULL,
            ratio      TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX storyboards_account ON storyboards (account, updated_at);
        CREATE TABLE shots (
            id            TEXT PRIMARY KEY,
            storyboard_id TEXT NOT NULL REFERENCES storyboards (id) ON DELETE CASCADE,
            position      INTEGER NOT NULL,
            name          TEXT,
            take_id       TEXT REFERENCES takes (id) ON DELETE SET NULL,
            trim_in       REAL NOT NULL DEFAULT 0,
            trim_out      REAL,
            created_at    REAL NOT NULL
        );
        CREATE INDEX shots_storyboard ON shots (storyboard_id, position);
        CREATE INDEX shots_take ON shots (take_id);
        CREATE TABLE shot_takes (
            shot_id  TEXT NOT NULL REFERENCES shots (id) ON DELETE CASCADE,
            take_id  TEXT NOT NULL REFERENCES takes (id) ON DELETE CASCADE,
            added_at REAL NOT NULL,
            PRIMARY KEY (shot_id, take_id)
        );
        CREATE INDEX shot_takes_take ON shot_takes (take_id);
        """,
    ),
]


def statements(sql: str) -> Iterator[str]:
    """Split a migration script into complete statements (`executescript` would commit early)."""
    buf = ""
    for piece in sql.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \t\r\n;"):
                yield buf.strip()
            buf = ""
    if buf.strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement in migration: {buf.strip()[:80]!r}")
